//! 64-bit FNV-1a: a small, stable (seedless) hash for line references and file names.

use crate::money::Scaled;

/// FNV-1a of `bytes`.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h = KeyHasher::default();
    h.bytes(bytes);
    h.0
}

/// Hashes a line's key fields (FNV-1a with field separators).
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeyHasher(u64);

impl Default for KeyHasher {
    fn default() -> Self {
        KeyHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl KeyHasher {
    fn bytes(&mut self, b: &[u8]) {
        for &c in b {
            self.0 = (self.0 ^ c as u64).wrapping_mul(0x0100_0000_01b3);
        }
    }
    /// Adds a text field.
    pub(crate) fn text(&mut self, v: Option<&str>) -> &mut Self {
        match v {
            Some(s) => self.bytes(s.as_bytes()),
            None => self.bytes(&[0xfe]),
        }
        self.bytes(&[0xff]);
        self
    }
    /// Adds a decimal field (by value, so `"1.50"` and `1.5` hash alike).
    pub(crate) fn dec(&mut self, v: Option<Scaled>) -> &mut Self {
        match v {
            Some(s) => self.bytes(&s.value.to_le_bytes()),
            None => self.bytes(&[0xfe]),
        }
        self.bytes(&[0xff]);
        self
    }
    /// The hash.
    pub(crate) fn finish(&self) -> u64 {
        self.0
    }
}

/// A collection page's items as received (their count and each item's raw JSON text): two
/// consecutive pages of a feed with the same non-empty fingerprint repeat each other item for
/// item (a paging fault that would double their amounts).
pub(crate) fn page_fingerprint(items: &[&serde_json::value::RawValue]) -> u64 {
    let mut h = KeyHasher::default();
    h.text(Some(&items.len().to_string()));
    for item in items {
        h.text(Some(item.get()));
    }
    h.finish()
}
