//! One registered asset, and the bytes its hash and signature cover.

use sha2::{Digest, Sha256};

/// What a caller registers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAsset {
    /// The watermark payload that names the asset.
    pub id: u64,
    pub owner: String,
    pub title: String,
    /// SHA-256 of the asset's file.
    pub content_sha256: [u8; 32],
    /// The id of the watermark key its mark is made with (never the key).
    pub watermark_key_id: String,
}

/// A registered asset: its place in the chain and its proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// 1 for the first entry, then one more each time.
    pub seq: u64,
    pub asset: NewAsset,
    /// Seconds since 1970 (UTC) when it was registered.
    pub registered: i64,
    /// The hash of the entry before (for the first, of the registry's
    /// public key).
    pub prev_hash: [u8; 32],
    pub hash: [u8; 32],
    pub signature: [u8; 64],
}

impl Entry {
    /// The time registered, as RFC 3339 (UTC).
    pub fn registered_text(&self) -> String {
        chrono::DateTime::from_timestamp(self.registered, 0)
            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_else(|| format!("{} s after 1970", self.registered))
    }
}

/// The hash an entry's signature covers: every field and the hash of the
/// entry before, each length-prefixed so no two entries encode alike.
pub fn entry_hash(seq: u64, asset: &NewAsset, registered: i64, prev_hash: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"reel-asset-v1\0");
    h.update(seq.to_be_bytes());
    h.update(asset.id.to_be_bytes());
    for text in [&asset.owner, &asset.title, &asset.watermark_key_id] {
        h.update((text.len() as u64).to_be_bytes());
        h.update(text.as_bytes());
    }
    h.update(asset.content_sha256);
    h.update(registered.to_be_bytes());
    h.update(prev_hash);
    h.finalize().into()
}

/// What the first entry follows: the registry's public key, so a chain
/// cannot be moved under another key.
pub fn genesis_hash(public_key: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"reel-registry-v1\0");
    h.update(public_key);
    h.finalize().into()
}

/// What the head's signature covers: how many entries and the last one's
/// hash, so removing entries from the end is found too.
pub fn head_message(count: u64, last: &[u8; 32]) -> Vec<u8> {
    let mut m = b"reel-registry-head-v1\0".to_vec();
    m.extend(count.to_be_bytes());
    m.extend(last);
    m
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes from hexadecimal of exactly `N` bytes.
pub fn from_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let text = text.trim();
    if text.len() != 2 * N || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asset(owner: &str, title: &str) -> NewAsset {
        NewAsset {
            id: 7,
            owner: owner.into(),
            title: title.into(),
            content_sha256: [1; 32],
            watermark_key_id: "00aa".into(),
        }
    }

    #[test]
    fn fields_cannot_trade_bytes() {
        // "ab" + "c" and "a" + "bc" must not hash alike.
        let zero = [0; 32];
        assert_ne!(
            entry_hash(1, &asset("ab", "c"), 0, &zero),
            entry_hash(1, &asset("a", "bc"), 0, &zero)
        );
        assert_ne!(
            entry_hash(1, &asset("a", "b"), 0, &zero),
            entry_hash(2, &asset("a", "b"), 0, &zero)
        );
    }

    #[test]
    fn hex_round_trips_and_refuses_bad_text() {
        let bytes: [u8; 4] = [0, 0x7f, 0xab, 0xff];
        assert_eq!(from_hex::<4>(&hex(&bytes)), Some(bytes));
        assert_eq!(from_hex::<4>("007fabf"), None);
        assert_eq!(from_hex::<4>("007fabfg"), None);
        assert_eq!(from_hex::<2>("é1"), None);
    }
}
