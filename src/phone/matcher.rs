//! Reading the generated tables: the calling code of a number and the type of
//! its national significant number.
//!
//! The tables (`metadata.rs`) hold one deterministic automaton over digits for
//! all calling codes. Walking it from a code's start state over the national
//! number ends in a state whose label is libphonenumber's type of that number,
//! or 0 when the number is not valid (lengths included: the automaton only
//! accepts numbers of the lengths the metadata allows for their type).
//!
//! Encoding (written by `scripts/gen-phone-metadata.py`'s `encode`): a state
//! is a record, a header byte `label | edge_count << 4` followed by its edges.
//! An edge is a head byte `digits | kind << 6`: `digits` is the code of a
//! digit range in [`DIGIT_RANGES`], or [`EXPLICIT_DIGITS`] followed by a
//! little-endian `u16` digit set (bit `d` for digit `d`); the edges of a state
//! have disjoint digit sets, and a digit in none leads nowhere. Then come the
//! bytes naming the target by `kind`:
//! - [`NEXT`]: no byte, the record right after this state's;
//! - [`HUB`]: one byte, an index into [`HUBS`];
//! - [`FORWARD`]: one byte, how far past the end of this record;
//! - [`ABSOLUTE`]: two bytes, a little-endian offset.

use super::NumberType;
use super::metadata::{AUTOMATON, COUNTRIES, HUBS, LABEL_TYPES};

const NEXT: u8 = 0;
const HUB: u8 = 1;
const FORWARD: u8 = 2;
const ABSOLUTE: u8 = 3;

/// Digit sets that are one range `lo..=hi`, by code: `lo` 0 first, then 1...
const DIGIT_RANGES: [u16; 55] = digit_ranges();
/// The code of a digit set spelt out in the two bytes after the edge's head.
const EXPLICIT_DIGITS: u8 = 63;

const fn digit_ranges() -> [u16; 55] {
    let mut ranges = [0; 55];
    let (mut lo, mut code) = (0, 0);
    while lo < 10 {
        let mut hi = lo;
        while hi < 10 {
            ranges[code] = (1 << (hi + 1)) - (1 << lo);
            code += 1;
            hi += 1;
        }
        lo += 1;
    }
    ranges
}

/// A calling code and what the metadata says about its numbers.
#[derive(Debug)]
pub struct Country {
    /// The calling code, e.g. 56.
    pub code: u16,
    /// Possible lengths of the national number: bit `n` set when `n` digits is
    /// a possible length (libphonenumber's `possible_length` of the code's
    /// main region; local-only lengths excluded).
    pub lengths: u32,
    /// Offset of the code's start state in the automaton.
    pub start: u16,
}

impl Country {
    /// The calling code that `digits` (international, without `+`) starts
    /// with. Calling codes are prefix-free, so at most one matches.
    pub fn of(digits: &str) -> Option<&'static Country> {
        if digits.starts_with('0') {
            return None; // "01" would otherwise read as 1
        }
        (1..=3)
            .filter_map(|n| digits.get(..n)?.parse::<u16>().ok())
            .find_map(Country::by_code)
    }

    /// The country of a calling code, if it has metadata.
    pub fn by_code(code: u16) -> Option<&'static Country> {
        let i = COUNTRIES.binary_search_by_key(&code, |c| c.code).ok()?;
        COUNTRIES.get(i)
    }

    /// Digits of the calling code itself.
    pub fn code_len(&self) -> usize {
        match self.code {
            0..=9 => 1,
            10..=99 => 2,
            _ => 3,
        }
    }

    /// Whether a national number of `len` digits has a possible length.
    pub fn is_possible_length(&self, len: usize) -> bool {
        len < 32 && self.lengths & (1 << len) != 0
    }

    /// The possible lengths of a national number, shortest first.
    pub fn possible_lengths(&self) -> impl Iterator<Item = usize> + '_ {
        (0..32).filter(|&n| self.is_possible_length(n))
    }

    /// libphonenumber's type of the national significant number `national`
    /// (ASCII digits), or `None` when it is not a valid number of this code.
    pub fn number_type(&self, national: &str) -> Option<NumberType> {
        let mut state = usize::from(self.start);
        for byte in national.bytes() {
            let digit = byte.checked_sub(b'0').filter(|d| *d <= 9)?;
            state = step(state, digit)?;
        }
        let label = AUTOMATON.get(state)? & 0x0F;
        LABEL_TYPES.get(usize::from(label).checked_sub(1)?).copied()
    }
}

fn byte(at: usize) -> Option<u8> {
    AUTOMATON.get(at).copied()
}

/// Decodes the record at `state`: calls `edge(digits, kind, target_at)` for
/// each edge (`target_at`: where its target bytes are) and returns where the
/// record ends.
fn decode(state: usize, mut edge: impl FnMut(u16, u8, usize)) -> Option<usize> {
    let mut at = state + 1;
    for _ in 0..byte(state)? >> 4 {
        let head = byte(at)?;
        at += 1;
        let digits = match head & 0x3F {
            EXPLICIT_DIGITS => {
                at += 2;
                u16::from_le_bytes([byte(at - 2)?, byte(at - 1)?])
            }
            code => *DIGIT_RANGES.get(usize::from(code))?,
        };
        let kind = head >> 6;
        edge(digits, kind, at);
        at += match kind {
            NEXT => 0,
            HUB | FORWARD => 1,
            ABSOLUTE => 2,
            _ => return None, // a kind has two bits
        };
    }
    Some(at)
}

/// The state reached from the record at `state` on `digit` (0..=9), if any.
fn step(state: usize, digit: u8) -> Option<usize> {
    let mut taken = None;
    let end = decode(state, |digits, kind, target_at| {
        if digits & (1 << digit) != 0 {
            taken = Some((kind, target_at));
        }
    })?;
    let (kind, at) = taken?;
    match kind {
        NEXT => Some(end),
        HUB => HUBS.get(usize::from(byte(at)?)).copied().map(usize::from),
        FORWARD => Some(end + usize::from(byte(at)?)),
        ABSOLUTE => Some(usize::from(u16::from_le_bytes([byte(at)?, byte(at + 1)?]))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Offsets of every record reachable from the start states, checking that
    /// each edge lands on a record start inside the table.
    fn reachable_records() -> Vec<usize> {
        let mut seen = vec![false; AUTOMATON.len()];
        let mut stack: Vec<usize> = COUNTRIES.iter().map(|c| usize::from(c.start)).collect();
        let mut records = Vec::new();
        while let Some(state) = stack.pop() {
            if std::mem::replace(&mut seen[state], true) {
                continue;
            }
            records.push(state);
            for digit in 0..10 {
                if let Some(next) = step(state, digit) {
                    assert!(next < AUTOMATON.len(), "edge out of the table at {state}");
                    stack.push(next);
                }
            }
        }
        records
    }

    #[test]
    fn every_edge_lands_on_a_record_and_the_table_has_no_unreachable_bytes() {
        let mut records = reachable_records();
        records.sort_unstable();
        // Records are laid end to end, so each one's end is the next's start.
        let record_len = |state: usize| decode(state, |_, _, _| {}).unwrap() - state;
        let mut expected_start = 0;
        for state in records {
            assert_eq!(state, expected_start, "a gap or overlap before {state}");
            expected_start = state + record_len(state);
        }
        assert_eq!(expected_start, AUTOMATON.len());
    }

    #[test]
    fn labels_name_a_type() {
        for state in reachable_records() {
            assert!(usize::from(AUTOMATON[state] & 0x0F) <= LABEL_TYPES.len());
        }
    }

    #[test]
    fn countries_are_sorted_and_prefix_free() {
        assert!(COUNTRIES.windows(2).all(|w| w[0].code < w[1].code));
        for a in COUNTRIES {
            for b in COUNTRIES {
                let (a, b) = (a.code.to_string(), b.code.to_string());
                assert!(a == b || !b.starts_with(&a), "{a} is a prefix of {b}");
            }
        }
    }

    #[test]
    fn calling_codes_are_found_by_their_digits() {
        assert_eq!(Country::of("56961234567").map(|c| c.code), Some(56));
        assert_eq!(Country::of("14155550100").map(|c| c.code), Some(1));
        assert_eq!(Country::of("8001234567").map(|c| c.code), Some(800));
        assert_eq!(Country::of("999123").map(|c| c.code), None);
        assert_eq!(Country::of("0561234").map(|c| c.code), None);
        assert!(Country::of("").is_none());
        assert_eq!(Country::by_code(56).map(Country::code_len), Some(2));
        assert_eq!(Country::by_code(800).map(Country::code_len), Some(3));
        assert_eq!(Country::by_code(1).map(Country::code_len), Some(1));
    }

    #[test]
    fn chilean_types_come_from_the_automaton() {
        let chile = Country::by_code(56).unwrap();
        assert_eq!(chile.possible_lengths().collect::<Vec<_>>(), [9, 10, 11]);
        let kind = |national| chile.number_type(national);
        assert_eq!(kind("961234567"), Some(NumberType::FixedLineOrMobile));
        assert_eq!(kind("222345678"), Some(NumberType::FixedLineOrMobile));
        assert_eq!(kind("441234567"), Some(NumberType::Voip));
        assert_eq!(kind("800123456"), Some(NumberType::TollFree));
        assert_eq!(kind("6001234567"), Some(NumberType::SharedCost));
        // Unassigned mobile blocks, a wrong length, a non-digit.
        assert_eq!(kind("901234567"), None);
        assert_eq!(kind("912345678"), None);
        assert_eq!(kind("96123456"), None);
        assert_eq!(kind("9612345678"), None);
        assert_eq!(kind("96123456x"), None);
    }
}
