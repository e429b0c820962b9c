//! The rules of one zone: its UTC offset at every instant, as a list of
//! changes followed by a POSIX TZ rule (the TZif model, offsets only).

use super::DataError;
use super::posix::PosixTz;

/// A change of a zone's offset: at `at`, to `offset` from then on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Change {
    /// Unix seconds.
    pub(crate) at: i64,
    /// Seconds east of UTC.
    pub(crate) offset: i32,
}

/// A zone's offsets: `initial` before the first change, each change's offset
/// until the next, and once the changes are over the `tail` rule (or the last
/// offset when there is none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Rules {
    initial: i32,
    /// In time order; each changes the offset.
    changes: Box<[Change]>,
    tail: Option<Tail>,
}

/// The rule for the instants after a zone's last listed change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Tail {
    /// The rule applies after this instant, the TZif file's last transition
    /// (which may keep the offset, so come after the last change); to every
    /// instant when `None` (a TZif file without transitions).
    pub(crate) after: Option<i64>,
    pub(crate) rule: PosixTz,
}

impl Rules {
    /// Rules whose changes are in strictly increasing time order, each
    /// changing the offset, with the tail after the last change. The tail must
    /// agree with the offset in force where it starts (the TZif requirement,
    /// checked by the tests of every embedded zone).
    pub(crate) fn new(
        initial: i32,
        changes: Vec<Change>,
        tail: Option<Tail>,
    ) -> Result<Rules, DataError> {
        // A tail without a start rules every instant: no change may precede it.
        let tail_start = tail.as_ref().map(|t| t.after.unwrap_or(i64::MIN));
        let instants: Vec<i64> = changes.iter().map(|c| c.at).chain(tail_start).collect();
        if instants.windows(2).any(|pair| pair[1] < pair[0])
            || changes.windows(2).any(|pair| pair[1].at == pair[0].at)
        {
            return Err(DataError::Unordered);
        }
        let offsets = std::iter::once(initial).chain(changes.iter().map(|c| c.offset));
        if offsets.clone().zip(offsets.skip(1)).any(|(a, b)| a == b) {
            return Err(DataError::NoChange);
        }
        Ok(Rules {
            initial,
            changes: changes.into_boxed_slice(),
            tail,
        })
    }

    /// The offset at Unix second `t`, in seconds east of UTC.
    pub(crate) fn offset_at(&self, t: i64) -> i32 {
        match &self.tail {
            Some(tail) if tail.after.is_none_or(|after| t > after) => tail.rule.offset_at(t),
            _ => match self.changes.partition_point(|c| c.at <= t) {
                0 => self.initial,
                n => self.changes[n - 1].offset,
            },
        }
    }

    /// The first instant after `t` whose offset differs from the offset at
    /// `t`, if any (and within `i64`).
    pub(crate) fn next_change(&self, t: i64) -> Option<i64> {
        let upcoming = self.changes.partition_point(|c| c.at <= t);
        if let Some(change) = self.changes.get(upcoming) {
            // Every change changes the offset (checked by `new`).
            return Some(change.at);
        }
        let tail = self.tail.as_ref()?;
        // Until the tail starts the last change's offset holds, and the tail
        // agrees with it where it starts.
        let from = tail.after.map_or(t, |after| t.max(after));
        tail.rule.next_change(from)
    }

    /// Whether the tail agrees with the listed offsets where it starts: for
    /// the tests of the embedded data.
    #[cfg(test)]
    pub(crate) fn tail_agrees_where_it_starts(&self) -> bool {
        match &self.tail {
            Some(Tail {
                after: Some(after),
                rule,
            }) => {
                let listed = match self.changes.partition_point(|c| c.at <= *after) {
                    0 => self.initial,
                    n => self.changes[n - 1].offset,
                };
                rule.offset_at(*after) == listed
            }
            Some(Tail { after: None, rule }) => rule.offset_at(i64::MIN) == self.initial,
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i32 = 3_600;

    fn change(at: i64, offset: i32) -> Change {
        Change { at, offset }
    }

    fn tail(after: Option<i64>, rule: &str) -> Option<Tail> {
        Some(Tail {
            after,
            rule: PosixTz::parse(rule).unwrap(),
        })
    }

    #[test]
    fn changes_then_tail() {
        let rule = "<-03>3<-02>,M3.2.0,M11.1.0";
        let tail = PosixTz::parse(rule).unwrap();
        let rules = Rules::new(
            -5 * HOUR,
            vec![change(-100, -4 * HOUR), change(1_000, -3 * HOUR)],
            self::tail(Some(1_000), rule),
        )
        .unwrap();
        assert_eq!(rules.offset_at(i64::MIN), -5 * HOUR);
        assert_eq!(rules.offset_at(-101), -5 * HOUR);
        assert_eq!(rules.offset_at(-100), -4 * HOUR);
        assert_eq!(rules.offset_at(999), -4 * HOUR);
        assert_eq!(rules.offset_at(1_000), -3 * HOUR);
        assert_eq!(rules.next_change(i64::MIN), Some(-100));
        assert_eq!(rules.next_change(-100), Some(1_000));
        // After the last change, the tail rule.
        assert_eq!(rules.next_change(1_000), tail.next_change(1_000));
        let july = 1_783_000_000; // 2026-07-02
        assert_eq!(rules.offset_at(july), -2 * HOUR);
        assert_eq!(rules.next_change(july), tail.next_change(july));
    }

    /// Lisbon's last transition (1996-03-31) went from CET to WEST, both
    /// +01:00: its tail (WET/WEST) starts there, not at the last change.
    #[test]
    fn tail_starts_at_the_last_transition_not_the_last_change() {
        let september_1995 = 811_904_400;
        let march_1996 = 828_234_000;
        let rules = Rules::new(
            0,
            vec![change(september_1995, HOUR)],
            tail(Some(march_1996), "WET0WEST,M3.5.0/1,M10.5.0"),
        )
        .unwrap();
        let november_1995 = 815_356_140;
        assert_eq!(rules.offset_at(november_1995), HOUR);
        assert_eq!(rules.offset_at(march_1996 + 1), HOUR);
        let october_1996 = 846_378_000; // 1996-10-27T01:00:00Z
        assert_eq!(rules.next_change(september_1995), Some(october_1996));
        assert_eq!(rules.offset_at(october_1996), 0);
        assert!(rules.tail_agrees_where_it_starts());
    }

    #[test]
    fn tail_without_transitions_rules_everything() {
        let rules =
            Rules::new(-5 * HOUR, Vec::new(), tail(None, "EST5EDT,M3.2.0,M11.1.0")).unwrap();
        let july_2026 = 1_783_000_000;
        assert_eq!(rules.offset_at(july_2026), -4 * HOUR);
        assert_eq!(rules.offset_at(i64::MIN), -5 * HOUR);
        assert!(rules.tail_agrees_where_it_starts());
    }

    #[test]
    fn without_tail_the_last_offset_stays() {
        let rules = Rules::new(0, vec![change(10, HOUR)], None).unwrap();
        assert_eq!(rules.offset_at(i64::MAX), HOUR);
        assert_eq!(rules.next_change(10), None);
        let constant = Rules::new(HOUR, Vec::new(), None).unwrap();
        assert_eq!(constant.offset_at(0), HOUR);
        assert_eq!(constant.next_change(i64::MIN), None);
    }

    #[test]
    fn invalid_changes_are_refused() {
        let unordered = vec![change(10, HOUR), change(10, 0)];
        assert_eq!(Rules::new(0, unordered, None), Err(DataError::Unordered));
        let no_change = vec![change(10, HOUR), change(20, HOUR)];
        assert_eq!(Rules::new(0, no_change, None), Err(DataError::NoChange));
        assert_eq!(
            Rules::new(0, vec![change(10, 0)], None),
            Err(DataError::NoChange)
        );
        let early_tail = Rules::new(0, vec![change(10, HOUR)], tail(Some(9), "UTC0"));
        assert_eq!(early_tail, Err(DataError::Unordered));
        let tail_from_the_start = Rules::new(0, vec![change(10, HOUR)], tail(None, "UTC0"));
        assert_eq!(tail_from_the_start, Err(DataError::Unordered));
    }
}
