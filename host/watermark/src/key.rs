//! The secret key a mark is made with, and the payload it carries.
//!
//! A key is 32 random bytes, written as 64 hexadecimal digits in a key
//! file (`reel watermark keygen` makes one). It never appears in logs,
//! graphs, statistics or errors: `Debug` prints only its ID, a hash that
//! names it without revealing it.

use sha2::{Digest, Sha256};

/// A watermark key.
#[derive(Clone, PartialEq, Eq)]
pub struct Key([u8; 32]);

/// Why a key could not be read. The messages never quote the key's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyError {
    Empty,
    /// Not 64 hexadecimal digits (the count of characters found).
    Malformed {
        chars: usize,
    },
}

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyError::Empty => write!(f, "the key is empty"),
            KeyError::Malformed { chars } => write!(
                f,
                "a key is 64 hexadecimal digits (32 bytes); this one has {chars} characters that are not all hexadecimal digits (make one with `reel watermark keygen`)"
            ),
        }
    }
}

impl std::error::Error for KeyError {}

impl Key {
    pub fn from_bytes(bytes: [u8; 32]) -> Key {
        Key(bytes)
    }

    /// A key file's or variable's text: 64 hexadecimal digits, with any
    /// surrounding whitespace.
    pub fn parse(text: &str) -> Result<Key, KeyError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(KeyError::Empty);
        }
        let malformed = KeyError::Malformed {
            chars: text.chars().count(),
        };
        if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(malformed);
        }
        let mut key = [0u8; 32];
        for (i, byte) in key.iter_mut().enumerate() {
            *byte =
                u8::from_str_radix(&text[2 * i..2 * i + 2], 16).map_err(|_| malformed.clone())?;
        }
        Ok(Key(key))
    }

    /// The key as a key file holds it.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A public name for the key: 16 hexadecimal digits of a hash of it.
    pub fn id(&self) -> String {
        let digest = Sha256::new()
            .chain_update(b"reel-watermark-key-id")
            .chain_update(self.0)
            .finalize();
        digest[..8].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// `count` pseudo-random bytes drawn from the key for `purpose`
    /// (SHA-256 in counter mode): the same key always gives the same
    /// patterns.
    pub(crate) fn stream(&self, purpose: &str, count: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(count + 32);
        let mut block = 0u32;
        while out.len() < count {
            out.extend_from_slice(
                &Sha256::new()
                    .chain_update(b"reel-watermark-v1")
                    .chain_update(purpose.as_bytes())
                    .chain_update(self.0)
                    .chain_update(block.to_le_bytes())
                    .finalize(),
            );
            block += 1;
        }
        out.truncate(count);
        out
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key(id {})", self.id())
    }
}

/// Reads a payload (an asset ID): a decimal number, or hexadecimal after
/// `0x`, that fits 64 bits.
pub fn parse_payload(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let parsed = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => t.parse::<u64>(),
    };
    parsed.map_err(|e| {
        let why = match e.kind() {
            std::num::IntErrorKind::PosOverflow => "does not fit 64 bits",
            std::num::IntErrorKind::Empty => "is empty",
            _ => "is not a number",
        };
        format!("payload `{t}` {why}: give a whole number from 0 to 18446744073709551615, or hexadecimal after 0x (at most 16 digits)")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_and_never_print() {
        let text = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF\n";
        let key = Key::parse(text).unwrap();
        assert_eq!(key.to_hex(), text.trim().to_lowercase());
        let shown = format!("{key:?}");
        assert!(!shown.contains("00112233"), "{shown}");
        assert!(shown.contains(&key.id()));
        assert_eq!(Key::parse("  \n"), Err(KeyError::Empty));
        assert!(matches!(
            Key::parse("abc"),
            Err(KeyError::Malformed { chars: 3 })
        ));
        let wrong = "zz".repeat(32);
        let err = Key::parse(&wrong).unwrap_err().to_string();
        assert!(!err.contains("zz"), "{err}");
    }

    #[test]
    fn payloads_must_fit_64_bits() {
        assert_eq!(parse_payload("42"), Ok(42));
        assert_eq!(parse_payload("0xDEADbeef"), Ok(0xDEAD_BEEF));
        assert_eq!(parse_payload("18446744073709551615"), Ok(u64::MAX));
        assert!(
            parse_payload("18446744073709551616")
                .unwrap_err()
                .contains("does not fit 64 bits")
        );
        assert!(parse_payload("0x1_0000_0000_0000_0000").is_err());
        assert!(
            parse_payload("0x10000000000000000")
                .unwrap_err()
                .contains("does not fit")
        );
        assert!(parse_payload("-1").unwrap_err().contains("not a number"));
    }
}
