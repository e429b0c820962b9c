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
//! An edge is a little-endian `u16` `digits | kind << 10 | high << 12`, where
//! `digits` has bit `d` set for each digit `d` that takes it (the edges of a
//! state have disjoint digit sets; a digit in none leads nowhere), followed by
//! the bytes naming its target by `kind`:
//! - [`NEXT`]: no byte, the record right after this state's;
//! - [`HUB`]: one byte, an index into [`HUBS`];
//! - [`FORWARD`]: one byte, `high << 8 | byte` bytes past the end of this record;
//! - [`ABSOLUTE`]: two bytes, a little-endian offset.

use super::NumberType;
use super::metadata::{AUTOMATON, COUNTRIES, HUBS, LABEL_TYPES};

const NEXT: u16 = 0;
const HUB: u16 = 1;
const FORWARD: u16 = 2;
const ABSOLUTE: u16 = 3;

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

/// The state reached from the record at `state` on `digit` (0..=9), if any.
fn step(state: usize, digit: u8) -> Option<usize> {
    let edge_count = AUTOMATON.get(state)? >> 4;
    let mut at = state + 1;
    let mut taken = None;
    for _ in 0..edge_count {
        let edge = u16::from_le_bytes([*AUTOMATON.get(at)?, *AUTOMATON.get(at + 1)?]);
        let target_at = at + 2;
        at = target_at
            + match (edge >> 10) & 3 {
                NEXT => 0,
                HUB | FORWARD => 1,
                _ => 2,
            };
        if edge & (1 << digit) != 0 {
            taken = Some((edge, target_at));
        }
    }
    let record_end = at;
    let (edge, target_at) = taken?;
    let byte = |i: usize| AUTOMATON.get(target_at + i).copied().map(usize::from);
    match (edge >> 10) & 3 {
        NEXT => Some(record_end),
        HUB => HUBS.get(byte(0)?).copied().map(usize::from),
        FORWARD => Some(record_end + (usize::from(edge >> 12) << 8 | byte(0)?)),
        ABSOLUTE => Some(byte(0)? | byte(1)? << 8),
        _ => unreachable!("a kind has two bits"),
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
        let record_len = |state: usize| {
            let edges = usize::from(AUTOMATON[state] >> 4);
            let mut at = state + 1;
            for _ in 0..edges {
                let edge = u16::from_le_bytes([AUTOMATON[at], AUTOMATON[at + 1]]);
                at += 2 + [0, 1, 1, 2][usize::from((edge >> 10) & 3)];
            }
            at - state
        };
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
