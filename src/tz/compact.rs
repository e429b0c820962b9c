//! The compact format of the embedded zone rules, written by
//! `scripts/gen-tzdata.py` (its `encode`) from a zone's TZif file: the 64-bit
//! data and the footer, reduced to UTC offsets (abbreviations, DST flags and
//! changes that keep the offset are dropped).
//!
//! ```text
//! rules  = count offset{count} count change{count} end footer
//! offset = zigzag(seconds east of UTC); the first applies before the first change
//! change = zigzag(instant - previous instant) * offset count + offset index
//!          (the "previous instant" of the first change is 0)
//! end    = 0 when the TZif file has no transitions, else
//!          1 + zigzag(its last transition - previous instant)
//! footer = the remaining bytes: the POSIX TZ string for instants after the
//!          end (ASCII), possibly empty
//! ```
//!
//! The end is where the footer takes over: the last transition, which may be
//! one that keeps the offset (Lisbon's of 1996, from CET to WEST, both +01).
//!
//! Every number is an unsigned LEB128 varint. About 5 bytes per change where
//! TZif spends 9, and no abbreviations: 23 KB for the 101 kept zones, against
//! 62 KB of (slim) TZif.

use super::DataError;
use super::posix::PosixTz;
use super::rules::{Change, Rules, Tail};

/// Decodes one zone's rules.
pub(crate) fn decode(bytes: &[u8]) -> Result<Rules, DataError> {
    let mut reader = Reader { bytes, at: 0 };
    let offset_count = reader.count()?;
    if offset_count == 0 {
        return Err(DataError::NoOffsets);
    }
    let offsets = (0..offset_count)
        .map(|_| {
            reader
                .signed()
                .and_then(|v| i32::try_from(v).map_err(|_| DataError::Overflow))
        })
        .collect::<Result<Vec<i32>, DataError>>()?;
    let change_count = reader.count()?;
    let mut changes = Vec::with_capacity(change_count.min(bytes.len()));
    let mut at = 0i64;
    for _ in 0..change_count {
        let packed = reader.varint()?;
        let index = (packed % offset_count as u64) as usize;
        let delta = unzigzag(packed / offset_count as u64);
        at = at.checked_add(delta).ok_or(DataError::Overflow)?;
        changes.push(Change {
            at,
            offset: offsets[index],
        });
    }
    let after = match reader.varint()? {
        0 => None,
        end => Some(
            at.checked_add(unzigzag(end - 1))
                .ok_or(DataError::Overflow)?,
        ),
    };
    let footer = std::str::from_utf8(reader.rest()).map_err(|_| DataError::FooterNotAscii)?;
    let tail = if footer.is_empty() {
        None
    } else {
        let rule = PosixTz::parse(footer).map_err(DataError::Footer)?;
        Some(Tail { after, rule })
    };
    Rules::new(offsets[0], changes, tail)
}

fn unzigzag(n: u64) -> i64 {
    ((n >> 1) as i64) ^ -((n & 1) as i64)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn varint(&mut self) -> Result<u64, DataError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self.bytes.get(self.at).ok_or(DataError::Truncated)?;
            self.at += 1;
            let bits = u64::from(byte & 0x7f);
            if shift == 63 && bits > 1 {
                return Err(DataError::Overflow);
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(DataError::Overflow)
    }

    fn signed(&mut self) -> Result<i64, DataError> {
        self.varint().map(unzigzag)
    }

    fn count(&mut self) -> Result<usize, DataError> {
        usize::try_from(self.varint()?).map_err(|_| DataError::Overflow)
    }

    fn rest(&self) -> &[u8] {
        &self.bytes[self.at..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tz::posix::PosixError;

    /// LEB128 of `n`, as the generator writes it.
    fn varint(mut n: u64) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let low = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(low);
                return out;
            }
            out.push(low | 0x80);
        }
    }

    fn zigzag(n: i64) -> u64 {
        ((n << 1) ^ (n >> 63)) as u64
    }

    /// Encodes like `scripts/gen-tzdata.py`, with the last change as the
    /// last transition (when there is one).
    fn encode(offsets: &[i32], changes: &[(i64, usize)], footer: &str) -> Vec<u8> {
        let mut out = varint(offsets.len() as u64);
        for &o in offsets {
            out.extend(varint(zigzag(i64::from(o))));
        }
        out.extend(varint(changes.len() as u64));
        let mut previous = 0;
        for &(at, index) in changes {
            let packed = zigzag(at - previous) * offsets.len() as u64 + index as u64;
            out.extend(varint(packed));
            previous = at;
        }
        out.push(if changes.is_empty() { 0 } else { 1 });
        out.extend(footer.bytes());
        out
    }

    #[test]
    fn round_trip() {
        let bytes = encode(
            &[-16_965, -18_000, -14_400],
            &[(-2_524_504_635, 1), (-1_000, 2), (5, 1), (1 << 40, 2)],
            "<-04>4",
        );
        let expected = Rules::new(
            -16_965,
            vec![
                Change {
                    at: -2_524_504_635,
                    offset: -18_000,
                },
                Change {
                    at: -1_000,
                    offset: -14_400,
                },
                Change {
                    at: 5,
                    offset: -18_000,
                },
                Change {
                    at: 1 << 40,
                    offset: -14_400,
                },
            ],
            Some(Tail {
                after: Some(1 << 40),
                rule: PosixTz::parse("<-04>4").unwrap(),
            }),
        )
        .unwrap();
        assert_eq!(decode(&bytes), Ok(expected));
        assert_eq!(
            decode(&encode(&[7_200], &[], "")),
            Ok(Rules::new(7_200, Vec::new(), None).unwrap())
        );
        // A tail after a last transition that kept the offset.
        let mut bytes = encode(&[0, 3_600], &[(100, 1)], "");
        bytes.pop();
        bytes.extend(varint(1 + zigzag(50)));
        bytes.extend(b"<+01>-1");
        let tail = decode(&bytes).unwrap();
        assert_eq!(tail.next_change(100), None);
        assert_eq!(tail.offset_at(151), 3_600);
        // Without transitions the footer rules every instant.
        let footer_only = decode(&encode(&[0], &[], "<+01>-1")).unwrap();
        assert_eq!(footer_only.offset_at(i64::MIN), 3_600);
    }

    #[test]
    fn unzigzag_is_the_inverse_of_zigzag() {
        for n in [0, 1, -1, 2, -2, i64::MAX, i64::MIN, -2_524_504_635] {
            assert_eq!(unzigzag(zigzag(n)), n);
        }
    }

    #[test]
    fn damaged_data_is_refused() {
        let good = encode(&[0, 3_600], &[(10, 1), (20, 0)], "UTC0");
        for cut in 0..good.len() - "UTC0".len() - 1 {
            let error = decode(&good[..cut]).unwrap_err();
            assert_eq!(error, DataError::Truncated, "cut at {cut}");
        }
        assert_eq!(decode(&encode(&[], &[], "")), Err(DataError::NoOffsets));
        assert_eq!(
            decode(&[
                1, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f
            ]),
            Err(DataError::Overflow)
        );
        let big_offset = [varint(1), varint(zigzag(1 << 40)), varint(0)].concat();
        assert_eq!(decode(&big_offset), Err(DataError::Overflow));
        let repeated = encode(&[0, 1], &[(7, 1), (7, 0)], "");
        assert_eq!(decode(&repeated), Err(DataError::Unordered));
        // Three steps of 2^62 - 1, 2^62 - 1 and 2: past i64::MAX.
        let step = zigzag((1 << 62) - 1) * 2;
        let beyond_i64 = [
            vec![2, 0, 2, 3],
            varint(step + 1),
            varint(step),
            varint(zigzag(2) * 2 + 1),
        ]
        .concat();
        assert_eq!(decode(&beyond_i64), Err(DataError::Overflow));
        assert_eq!(
            decode(&encode(&[0], &[], "x")),
            Err(DataError::Footer(PosixError::Designation))
        );
        let mut not_ascii = encode(&[0], &[], "");
        not_ascii.push(0xff);
        assert_eq!(decode(&not_ascii), Err(DataError::FooterNotAscii));
        assert_eq!(
            decode(&encode(&[0], &[], "ABC5DEF")),
            Err(DataError::Footer(PosixError::MissingRule))
        );
        assert_eq!(
            decode(&encode(&[0, 1], &[(5, 0)], "")),
            Err(DataError::NoChange)
        );
    }
}
