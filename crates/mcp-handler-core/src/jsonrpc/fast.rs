//! The common message read by hand: one pass over the body that
//! either yields exactly what the serde reader would (`incoming.rs`,
//! `params.rs`) or declines, and the serde reader reads the body instead.
//!
//! It never refuses anything: every error a client sees comes from
//! `serde_json`, worded as before. It declines whatever it does not read
//! the way serde would: an escape in a key or in a string it keeps (serde
//! decodes those, and refuses a lone surrogate), an id that is not a plain
//! non-negative integer or an unescaped string, a `result` or `error`, a
//! `_meta` that is neither an object nor `null`, `params` that are no
//! object, nesting deeper than [`MAX_DEPTH`], and anything that is not
//! valid JSON. What it skips it checks as
//! `serde_json` checks a value it skips (`ignore_value`): the same grammar,
//! escapes of four hex digits whatever they encode.
//!
//! Why: the serde reader pays a visitor call, a key match and a
//! `RawValue` capture per member, ~30 instructions a byte on a `tools/call`;
//! this pass costs a fraction of that. Strings, most of a large body, are
//! scanned sixteen bytes a step (`json_text::find_special`, ~1.4
//! instructions a byte against ~2.3 for serde's own scan), so a large body
//! is read faster by hand too (callgrind, the 10 KiB echo: 140k
//! instructions a request when serde read bodies over 2 KiB, 99k now).

use std::borrow::Cow;

use super::incoming::{MessageKey, RawMessage};
use super::params::{Field, MetaKind, MetaMembers, Slot};
use super::{IdField, RawJson, RequestId};

/// Containers nested deeper than this, inside a value, are declined.
const MAX_DEPTH: u32 = 64;

/// A message read whole, `params` in the slot: the message's members and
/// the text of `params` when it is an object. `None`: read it with serde
/// (the slot may hold part of what was read; the caller empties it).
pub(super) fn read<'a>(text: &'a str, slot: &mut Slot<'a>) -> Option<(RawMessage<'a>, Option<&'a str>)> {
    let mut s = Scan { text, i: 0 };
    let mut msg = RawMessage::default();
    let mut params = None;
    let mut seen = 0u8;
    s.ws();
    s.object(|s, key| {
        let key = MessageKey::of(key);
        if key != MessageKey::Other {
            // A member sent twice: serde refuses it.
            let bit = 1 << key as u8;
            if seen & bit != 0 {
                return None;
            }
            seen |= bit;
        }
        match key {
            MessageKey::Jsonrpc => msg.jsonrpc = s.opt_str()?,
            MessageKey::Id => msg.id = s.id()?,
            MessageKey::Method => msg.method = s.opt_str()?,
            MessageKey::Params => match s.peek()? {
                b'{' => {
                    params = Some(read_params(s, slot)?);
                    msg.params = true;
                }
                b'n' => s.lit(b"null")?,
                _ => return None,
            },
            MessageKey::Result | MessageKey::Error => return None,
            MessageKey::Other => {
                s.value()?;
            }
        }
        Some(())
    })?;
    s.ws();
    (s.i == s.bytes().len()).then_some((msg, params))
}

/// `params`, an object (at its `{`), into the slot as `ParamsSeed` reads
/// it; its text.
fn read_params<'a>(s: &mut Scan<'a>, slot: &mut Slot<'a>) -> Option<&'a str> {
    slot.object = true;
    let m = &mut slot.members;
    s.object(|s, key| {
        let field = Field::of(key);
        if field == Field::Meta {
            m.meta_kind = read_meta(s, m.start_meta())?;
            return Some(());
        }
        m.keep(field, s.value()?);
        Some(())
    })
}

/// `_meta` as `MetaSeed` reads it: an object's members, or `null`.
fn read_meta<'a>(s: &mut Scan<'a>, m: &mut MetaMembers<'a>) -> Option<MetaKind> {
    if s.peek()? == b'n' {
        s.lit(b"null")?;
        return Some(MetaKind::Null);
    }
    let text = s.object(|s, key| {
        m.keep(Field::of(key), s.value()?);
        Some(())
    })?;
    m.text = Some(text);
    Some(MetaKind::Object)
}

/// A cursor over the body.
struct Scan<'a> {
    text: &'a str,
    i: usize,
}

impl<'a> Scan<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    /// An object (at its `{`) whose keys have no escapes: `member` reads
    /// each member's value, given its key. The object's text.
    fn object(&mut self, mut member: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<&'a str> {
        let start = self.i;
        self.eat(b'{')?;
        self.ws();
        if self.peek()? != b'}' {
            loop {
                let key = self.key()?;
                member(self, key)?;
                if !self.next_member(b'}')? {
                    break;
                }
            }
        }
        self.i += 1;
        Some(&self.text[start..self.i])
    }

    /// A member's key without escapes, then its colon: the key.
    #[inline(always)]
    fn key(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let key = self.plain()?;
        self.ws();
        self.eat(b':')?;
        self.ws();
        Some(key)
    }

    /// After a member or element: `true` at a comma (the next one starts
    /// there), `false` at `close` (left to eat).
    #[inline(always)]
    fn next_member(&mut self, close: u8) -> Option<bool> {
        self.ws();
        match self.peek()? {
            b',' => {
                self.i += 1;
                self.ws();
                Some(true)
            }
            c if c == close => Some(false),
            _ => None,
        }
    }

    /// Moves to the next `"`, `\\` or control character and returns it
    /// (`json_text::find_special`: sixteen bytes a step).
    #[inline(always)]
    fn seek_special(&mut self) -> Option<u8> {
        self.i += crate::json_text::find_special(self.bytes().get(self.i..)?);
        self.peek()
    }

    /// The rest of a string without escapes or control characters, after
    /// its opening quote: its content.
    #[inline(always)]
    fn plain(&mut self) -> Option<&'a str> {
        let start = self.i;
        if self.seek_special()? != b'"' {
            return None;
        }
        let s = &self.text[start..self.i];
        self.i += 1;
        Some(s)
    }

    /// A string read as `opt_cow` reads it (`null` is `None`), unescaped.
    fn opt_str(&mut self) -> Option<Option<Cow<'a, str>>> {
        if self.peek()? == b'n' {
            self.lit(b"null")?;
            return Some(None);
        }
        self.eat(b'"')?;
        self.plain().map(|s| Some(Cow::Borrowed(s)))
    }

    /// The id as `IdField` reads it, where that is plain: an unescaped
    /// string, `null`, or a non-negative integer short enough for `i64`.
    fn id(&mut self) -> Option<IdField> {
        match self.peek()? {
            b'"' => {
                self.i += 1;
                Some(IdField::Valid(RequestId::String(self.plain()?.into())))
            }
            b'n' => {
                self.lit(b"null")?;
                Some(IdField::Null)
            }
            b'0'..=b'9' => {
                let start = self.i;
                self.i += 1;
                while let Some(b'0'..=b'9') = self.peek() {
                    self.i += 1;
                }
                let digits = &self.text[start..self.i];
                let plain = (digits == "0" || !digits.starts_with('0')) && digits.len() <= 18;
                if !plain || matches!(self.peek(), Some(b'.' | b'e' | b'E')) {
                    return None;
                }
                digits.parse().ok().map(|n| IdField::Valid(RequestId::Number(n)))
            }
            _ => None,
        }
    }

    fn lit(&mut self, word: &[u8]) -> Option<()> {
        let end = self.i + word.len();
        (self.bytes().get(self.i..end)? == word).then(|| self.i = end)
    }

    /// One or more digits.
    fn digits(&mut self) -> Option<()> {
        let start = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        (self.i > start).then_some(())
    }

    /// A number as `ignore_integer` checks it: no leading zero, digits
    /// after a point and in an exponent.
    fn number(&mut self) -> Option<()> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek()? {
            b'0' => {
                self.i += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return None;
                }
            }
            b'1'..=b'9' => self.digits()?,
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            self.digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            self.digits()?;
        }
        Some(())
    }

    /// The rest of a string after its opening quote, escapes checked as
    /// `ignore_str` checks them.
    #[inline(always)]
    fn skip_string(&mut self) -> Option<()> {
        loop {
            match self.seek_special()? {
                b'"' => {
                    self.i += 1;
                    return Some(());
                }
                b'\\' => match *self.bytes().get(self.i + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.i += 2,
                    b'u' => {
                        let hex = self.bytes().get(self.i + 2..self.i + 6)?;
                        if !hex.iter().all(u8::is_ascii_hexdigit) {
                            return None;
                        }
                        self.i += 6;
                    }
                    _ => return None,
                },
                _ => return None,
            }
        }
    }

    /// One value of any kind (at its first byte), checked as
    /// `ignore_value` checks it: its text.
    fn value(&mut self) -> Option<RawJson<'a>> {
        let start = self.i;
        // One bit per open container, innermost lowest: 1 for an object.
        let mut open = 0u64;
        let mut depth = 0;
        loop {
            match self.peek()? {
                b'"' => {
                    self.i += 1;
                    self.skip_string()?;
                }
                c @ (b'{' | b'[') => {
                    if depth == MAX_DEPTH {
                        return None;
                    }
                    self.i += 1;
                    self.ws();
                    let close = if c == b'{' { b'}' } else { b']' };
                    if self.peek()? != close {
                        open = open << 1 | u64::from(c == b'{');
                        depth += 1;
                        if c == b'{' {
                            self.member_key()?;
                        }
                        continue;
                    }
                    self.i += 1;
                }
                b't' => self.lit(b"true")?,
                b'f' => self.lit(b"false")?,
                b'n' => self.lit(b"null")?,
                b'-' | b'0'..=b'9' => self.number()?,
                _ => return None,
            }
            // A value ended: close what it ends, or go on after a comma.
            loop {
                if depth == 0 {
                    return Some(RawJson(&self.text[start..self.i]));
                }
                let object = open & 1 == 1;
                if self.next_member(if object { b'}' } else { b']' })? {
                    if object {
                        self.member_key()?;
                    }
                    break;
                }
                self.i += 1;
                open >>= 1;
                depth -= 1;
            }
        }
    }

    /// A key inside a skipped object (escapes allowed), then its colon.
    fn member_key(&mut self) -> Option<()> {
        self.eat(b'"')?;
        self.skip_string()?;
        self.ws();
        self.eat(b':')?;
        self.ws();
        Some(())
    }
}

#[cfg(any(test, feature = "fuzzing"))]
#[path = "fast_check.rs"]
pub(crate) mod check;

#[cfg(test)]
#[path = "fast_tests.rs"]
mod tests;
