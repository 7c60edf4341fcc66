//! `file:/path` — a mounted file (Docker/Compose secrets under
//! `/run/secrets`, Kubernetes secret volumes, a local `.secrets/` folder).
//! Read again every TTL (default 5 s), so a rotated mount is picked up
//! without a restart; one trailing newline is dropped.

use std::time::Duration;

use zeroize::Zeroizing;

use crate::reference::Location;
use crate::secret::Secret;
use crate::source::{SecretSource, SourceError};

/// Reads files.
#[derive(Debug, Clone, Default)]
pub struct FileSource {
    _private: (),
}

impl FileSource {
    /// The file source.
    pub fn new() -> Self {
        Self::default()
    }
}

/// The largest secret file read (Secrets Manager's own limit is 64 KiB);
/// a mistaken path to a log or a device must not fill memory.
const MAX_LEN: usize = 1024 * 1024;

/// Reads at most `MAX_LEN + 1` bytes (one more tells "too large").
async fn read_capped(path: &str) -> std::io::Result<Zeroizing<Vec<u8>>> {
    use tokio::io::AsyncReadExt as _;
    let file = tokio::fs::File::open(path).await?;
    // Sized up front so the buffer is not reallocated (each move would
    // leave an unwiped copy behind).
    let hint = file.metadata().await.map_or(0, |m| m.len()).min(MAX_LEN as u64) as usize;
    let mut buf = Zeroizing::new(Vec::with_capacity(hint + 1));
    file.take(MAX_LEN as u64 + 1).read_to_end(&mut buf).await?;
    Ok(buf)
}

/// Drops one trailing `\n` or `\r\n` (editors and `echo` add one).
fn trim_newline(v: &mut Vec<u8>) {
    if v.last() == Some(&b'\n') {
        v.pop();
        if v.last() == Some(&b'\r') {
            v.pop();
        }
    }
}

impl SecretSource for FileSource {
    async fn fetch(&self, location: &Location) -> Result<Secret, SourceError> {
        let path = &location.id;
        let mut bytes = match read_capped(path).await {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(SourceError::NotFound(format!("no file {path}")));
            }
            Err(e) => return Err(SourceError::Unavailable(format!("cannot read {path}: {}", e.kind()))),
        };
        if bytes.len() > MAX_LEN {
            return Err(SourceError::Invalid(format!("{path} is larger than {} KiB", MAX_LEN / 1024)));
        }
        trim_newline(&mut bytes);
        // Moving the buffer into the String keeps one copy to wipe.
        match String::from_utf8(std::mem::take(&mut *bytes)) {
            Ok(s) => Ok(Secret::new(s)),
            Err(e) => {
                drop(Zeroizing::new(e.into_bytes()));
                Err(SourceError::Invalid(format!("{path} is not UTF-8 text")))
            }
        }
    }

    fn default_ttl(&self) -> Option<Duration> {
        Some(Duration::from_secs(5))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_device_or_huge_file_is_refused_not_read_whole() {
        let err = FileSource::new().fetch(&Location { id: "/dev/zero".into(), options: Vec::new() }).await.unwrap_err();
        assert!(matches!(err, SourceError::Invalid(ref m) if m.contains("larger than")), "{err:?}");
    }

    #[test]
    fn one_trailing_newline_goes() {
        for (input, want) in [("a\n", "a"), ("a\r\n", "a"), ("a\n\n", "a\n"), ("a", "a"), ("", "")] {
            let mut v = input.as_bytes().to_vec();
            trim_newline(&mut v);
            assert_eq!(v, want.as_bytes(), "{input:?}");
        }
    }
}
