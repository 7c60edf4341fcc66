//! Listings cut into pages behind opaque cursors, serialized once.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use serde_json::Value;

fn encode_cursor(key: &str, index: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("{key}:{index}"))
}

pub(crate) fn decode_cursor(key: &str, cursor: &str) -> Option<usize> {
    let raw = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let text = std::str::from_utf8(&raw).ok()?;
    let (k, i) = text.split_once(':')?;
    (k == key).then(|| i.parse().ok()).flatten()
}

/// Listing entries of any kind, serialized through `serde_json::Value`.
pub(crate) mod erased_serde_free {
    pub(crate) trait Item {
        fn to_json(&self) -> serde_json::Value;
    }
    impl<T: serde::Serialize> Item for T {
        fn to_json(&self) -> serde_json::Value {
            serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
        }
    }
}

pub(crate) fn paginate(
    key: &str,
    items: &[&dyn erased_serde_free::Item],
    page_size: usize,
    extra: Option<&serde_json::Map<String, Value>>,
) -> Vec<Bytes> {
    let chunks: Vec<&[&dyn erased_serde_free::Item]> =
        if items.is_empty() { vec![&[][..]] } else { items.chunks(page_size).collect() };
    let count = chunks.len();
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, chunk)| {
            let mut page = extra.cloned().unwrap_or_default();
            let list = chunk.iter().map(|item| item.to_json()).collect();
            page.insert(key.to_owned(), Value::Array(list));
            if i + 1 < count {
                page.insert("nextCursor".into(), Value::String(encode_cursor(key, i + 1)));
            }
            Bytes::from(serde_json::to_vec(&page).unwrap_or_default())
        })
        .collect()
}
