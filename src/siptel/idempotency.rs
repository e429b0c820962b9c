//! Idempotency keys: one per logical send, the same on every attempt, so
//! Siptel sends at most one SMS.

/// Whether `s` is an idempotency key of the contract: 8 to 64 of `[A-Za-z0-9_-]`.
pub fn is_valid_idempotency_key(s: &str) -> bool {
    (8..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A fresh idempotency key from 128 random bits: `sms-` and 26 lower-case
/// Crockford base32 characters (all 128 bits, most significant first), 30
/// characters in all; always [valid](is_valid_idempotency_key).
pub fn new_idempotency_key(random: u128) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
    let mut key = String::with_capacity(30);
    key.push_str("sms-");
    for i in (0..26).rev() {
        let shift = i * 5;
        // 26 * 5 = 130 bits: the first character carries the top 3 bits.
        let digit = (random >> shift) & 0x1f;
        key.push(char::from(ALPHABET[digit as usize]));
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_keys() {
        for ok in ["abcdefgh", "sms-01HZX3_ab", &"A".repeat(64)] {
            assert!(is_valid_idempotency_key(ok), "{ok}");
        }
        for bad in [
            "",
            "abcdefg",
            &"a".repeat(65),
            "abc defgh",
            "abcdefgh!",
            "ñandúes1",
        ] {
            assert!(!is_valid_idempotency_key(bad), "{bad}");
        }
        for random in [0, 1, u128::MAX, 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210] {
            let key = new_idempotency_key(random);
            assert!(is_valid_idempotency_key(&key), "{key}");
            assert_eq!(key.len(), 30);
            assert!(key.starts_with("sms-"));
        }
        assert_eq!(new_idempotency_key(0), "sms-00000000000000000000000000");
        assert_eq!(
            new_idempotency_key(u128::MAX),
            "sms-7zzzzzzzzzzzzzzzzzzzzzzzzz"
        );
        assert_ne!(new_idempotency_key(1), new_idempotency_key(2));
    }

    mod never_panics {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn fresh_keys_are_valid(random: u128) {
                prop_assert!(is_valid_idempotency_key(&new_idempotency_key(random)));
            }
        }
    }
}
