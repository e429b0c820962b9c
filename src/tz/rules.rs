//! The rules of one zone: its UTC offset at every instant, as a list of
//! changes followed by a POSIX TZ rule (the TZif model, offsets only), held in
//! static tables (`tz::zones`, generated) that lookups binary-search in place:
//! nothing is decoded, allocated or parsed at run time.

use super::posix::PosixTz;

/// A zone's offsets: `offsets[0]` before the first change, each change's
/// offset until the next, and once the changes are over the `tail` rule (or
/// the last offset when there is none).
///
/// The changes, in strictly increasing time order and each changing the
/// offset, are in two tables: `at` and `to`, those whose instant fits `i32`
/// (1901-12-13T20:45:52Z to 2038-01-19T03:14:07Z), and `far`, the few outside
/// that range, with `i64` instants: in the kept zones, local mean time giving
/// way to standard time in the 19th century (42 changes in 2026f); in a few
/// zones of the database, changes listed beyond 2038 (Asia/Gaza's). In time
/// order the changes are thus `far`'s before the range, `at`'s, then `far`'s
/// after it. A change's new offset is an index into `offsets` (a `u8`; the
/// kept zones have 8 distinct offsets at most), so most changes take 5 bytes.
/// [`Rules::problem`] states these requirements; the tests check every
/// embedded zone against them.
#[derive(Debug)]
pub(crate) struct Rules {
    /// The zone's distinct offsets, in seconds east of UTC.
    pub(super) offsets: &'static [i32],
    /// The changes outside the `i32` range: Unix second, index in `offsets`.
    pub(super) far: &'static [(i64, u8)],
    /// The instants of the other changes, in Unix seconds ...
    pub(super) at: &'static [i32],
    /// ... and the index in `offsets` of the offset each changes to.
    pub(super) to: &'static [u8],
    pub(super) tail: Option<Tail>,
}

/// The rule for the instants after a zone's last listed change.
#[derive(Debug)]
pub(crate) struct Tail {
    /// The rule applies after this instant, the TZif file's last transition
    /// (which may keep the offset, so come after the last change); to every
    /// instant when `None` (a TZif file without transitions).
    pub(super) after: Option<i64>,
    pub(super) rule: PosixTz,
}

impl Rules {
    /// The offset at Unix second `t`, in seconds east of UTC.
    pub(crate) fn offset_at(&self, t: i64) -> i32 {
        match &self.tail {
            Some(tail) if tail.after.is_none_or(|after| t > after) => tail.rule.offset_at(t),
            _ => self.offset_after(self.changes_until(t)),
        }
    }

    /// The first instant after `t` whose offset differs from the offset at
    /// `t`, if any (and within `i64`).
    pub(crate) fn next_change(&self, t: i64) -> Option<i64> {
        let passed = self.changes_until(t);
        if passed < self.change_count() {
            // Every change changes the offset.
            return Some(self.change(passed).0);
        }
        let tail = self.tail.as_ref()?;
        // Until the tail starts the last change's offset holds, and the tail
        // agrees with it where it starts.
        let from = tail.after.map_or(t, |after| t.max(after));
        tail.rule.next_change(from)
    }

    fn change_count(&self) -> usize {
        self.far.len() + self.at.len()
    }

    /// How many of `far`'s changes come before the `i32` range.
    fn far_before(&self) -> usize {
        self.far
            .partition_point(|&(at, _)| at < i64::from(i32::MIN))
    }

    /// How many changes are at or before `t`.
    fn changes_until(&self, t: i64) -> usize {
        let (before, after) = self.far.split_at(self.far_before());
        let passed = before.partition_point(|&(at, _)| at <= t);
        if passed < before.len() {
            return passed;
        }
        let passed = self.at.partition_point(|&at| i64::from(at) <= t);
        if passed < self.at.len() {
            return before.len() + passed;
        }
        before.len() + self.at.len() + after.partition_point(|&(at, _)| at <= t)
    }

    /// Change `k` (from 0, in time order): its instant and new offset.
    fn change(&self, k: usize) -> (i64, i32) {
        let before = self.far_before();
        let (at, to) = if k < before {
            self.far[k]
        } else if k - before < self.at.len() {
            (i64::from(self.at[k - before]), self.to[k - before])
        } else {
            self.far[k - self.at.len()]
        };
        (at, self.offsets[usize::from(to)])
    }

    /// The offset in force once the first `passed` changes have happened.
    fn offset_after(&self, passed: usize) -> i32 {
        match passed {
            0 => self.offsets[0],
            n => self.change(n - 1).1,
        }
    }

    /// What, if anything, breaks the requirements of the layout (see
    /// [`Rules`]) or of the TZif model: the check of every embedded zone and
    /// of the rules tests make.
    #[cfg(test)]
    pub(crate) fn problem(&self) -> Option<&'static str> {
        if self.offsets.is_empty() {
            return Some("no offsets");
        }
        if self.at.len() != self.to.len() {
            return Some("`at` and `to` differ in length");
        }
        if self.far.iter().any(|&(at, _)| i32::try_from(at).is_ok()) {
            return Some("a far change within the `i32` range");
        }
        let indices = self.far.iter().map(|c| c.1).chain(self.to.iter().copied());
        if indices
            .clone()
            .any(|i| usize::from(i) >= self.offsets.len())
        {
            return Some("an offset index out of range");
        }
        let changes: Vec<(i64, i32)> = (0..self.change_count()).map(|k| self.change(k)).collect();
        if changes.windows(2).any(|pair| pair[1].0 <= pair[0].0) {
            return Some("changes out of order");
        }
        let offsets = std::iter::once(self.offsets[0]).chain(changes.iter().map(|c| c.1));
        if offsets.clone().zip(offsets.skip(1)).any(|(a, b)| a == b) {
            return Some("a change that keeps the offset");
        }
        if (1..self.offsets.len()).any(|i| indices.clone().all(|j| usize::from(j) != i)) {
            return Some("an offset no change uses");
        }
        let Some(tail) = &self.tail else {
            return None;
        };
        // A tail without a start rules every instant: no change may precede it.
        let start = tail.after.unwrap_or(i64::MIN);
        if changes.last().is_some_and(|last| last.0 > start) {
            return Some("the tail starts before the last change");
        }
        // The TZif requirement, which `next_change` relies on.
        let listed = match tail.after {
            Some(after) => self.offset_after(self.changes_until(after)),
            None => self.offsets[0],
        };
        if tail.rule.offset_at(start) != listed {
            return Some("the tail disagrees with the listed offset where it starts");
        }
        None
    }

    /// Rules made by a test: offset `initial`, then the `(instant, offset)`
    /// changes, then `tail`; laid out like the generated ones, leaked, and
    /// not checked (see [`Rules::problem`]).
    #[cfg(test)]
    pub(crate) fn leak(initial: i32, changes: &[(i64, i32)], tail: Option<Tail>) -> &'static Rules {
        let mut offsets = vec![initial];
        let mut index = |offset: i32| {
            let i = offsets
                .iter()
                .position(|&o| o == offset)
                .unwrap_or_else(|| {
                    offsets.push(offset);
                    offsets.len() - 1
                });
            u8::try_from(i).unwrap()
        };
        let mut far = Vec::new();
        let (mut at, mut to) = (Vec::new(), Vec::new());
        for &(instant, offset) in changes {
            match i32::try_from(instant) {
                Ok(instant) => {
                    at.push(instant);
                    to.push(index(offset));
                }
                Err(_) => far.push((instant, index(offset))),
            }
        }
        Box::leak(Box::new(Rules {
            offsets: offsets.leak(),
            far: far.leak(),
            at: at.leak(),
            to: to.leak(),
            tail,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i32 = 3_600;

    fn tail(after: Option<i64>, rule: &str) -> Option<Tail> {
        Some(Tail {
            after,
            rule: PosixTz::parse(rule).unwrap(),
        })
    }

    /// Rules made by `Rules::leak` that meet its requirements.
    fn checked(initial: i32, changes: &[(i64, i32)], tail: Option<Tail>) -> &'static Rules {
        let rules = Rules::leak(initial, changes, tail);
        assert_eq!(rules.problem(), None);
        rules
    }

    #[test]
    fn changes_then_tail() {
        let rule = "<-03>3<-02>,M3.2.0,M11.1.0";
        let tail = PosixTz::parse(rule).unwrap();
        let rules = checked(
            -5 * HOUR,
            &[(-100, -4 * HOUR), (1_000, -3 * HOUR)],
            self::tail(Some(1_000), rule),
        );
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

    /// Changes outside the `i32` range (before 1901-12-13, after
    /// 2038-01-19) are kept apart, with `i64` instants; lookups cross from
    /// one table to the other.
    #[test]
    fn far_changes_around_i32_changes() {
        let (min, max) = (i64::from(i32::MIN), i64::from(i32::MAX));
        let changes = [
            (min - 1_000, 1_800),
            (min - 1, HOUR),
            (min, 2 * HOUR),
            (max, HOUR),
            (max + 1, 0),
            (max + 1_000, HOUR),
        ];
        let rules = checked(1_786, &changes, None);
        assert_eq!((rules.far.len(), rules.at.len()), (4, 2));
        assert_eq!(rules.offsets, [1_786, 1_800, HOUR, 2 * HOUR, 0]);
        let mut expected = vec![(i64::MIN, 1_786, Some(changes[0].0))];
        for (k, &(at, offset)) in changes.iter().enumerate() {
            let next = changes.get(k + 1).map(|c| c.0);
            expected.push((at - 1, rules.offset_at(at - 1), Some(at)));
            expected.push((at, offset, next));
        }
        expected.push((i64::MAX, HOUR, None));
        for (t, offset, next) in expected {
            assert_eq!(rules.offset_at(t), offset, "at {t}");
            assert_eq!(rules.next_change(t), next, "from {t}");
        }
        assert_eq!(rules.offset_at(min - 1_001), 1_786);
        assert_eq!(rules.offset_at(max), HOUR);
        // Only far changes before the range, only `i32` ones, only far ones
        // after it.
        for (t, offset) in [(min - 1, HOUR), (0, HOUR), (max + 1, HOUR)] {
            let one = checked(0, &[(t, offset)], None);
            assert_eq!(one.offset_at(t - 1), 0, "{t}");
            assert_eq!(one.offset_at(t), offset, "{t}");
            assert_eq!(one.next_change(i64::MIN), Some(t), "{t}");
            assert_eq!(one.next_change(t), None, "{t}");
        }
    }

    /// Lisbon's last transition (1996-03-31) went from CET to WEST, both
    /// +01:00: its tail (WET/WEST) starts there, not at the last change.
    #[test]
    fn tail_starts_at_the_last_transition_not_the_last_change() {
        let september_1995 = 811_904_400;
        let march_1996 = 828_234_000;
        let rules = checked(
            0,
            &[(september_1995, HOUR)],
            tail(Some(march_1996), "WET0WEST,M3.5.0/1,M10.5.0"),
        );
        let november_1995 = 815_356_140;
        assert_eq!(rules.offset_at(november_1995), HOUR);
        assert_eq!(rules.offset_at(march_1996 + 1), HOUR);
        let october_1996 = 846_378_000; // 1996-10-27T01:00:00Z
        assert_eq!(rules.next_change(september_1995), Some(october_1996));
        assert_eq!(rules.offset_at(october_1996), 0);
    }

    #[test]
    fn tail_without_transitions_rules_everything() {
        let rules = checked(-5 * HOUR, &[], tail(None, "EST5EDT,M3.2.0,M11.1.0"));
        let july_2026 = 1_783_000_000;
        assert_eq!(rules.offset_at(july_2026), -4 * HOUR);
        assert_eq!(rules.offset_at(i64::MIN), -5 * HOUR);
    }

    #[test]
    fn without_tail_the_last_offset_stays() {
        let rules = checked(0, &[(10, HOUR)], None);
        assert_eq!(rules.offset_at(i64::MAX), HOUR);
        assert_eq!(rules.next_change(10), None);
        let constant = checked(HOUR, &[], None);
        assert_eq!(constant.offset_at(0), HOUR);
        assert_eq!(constant.next_change(i64::MIN), None);
    }

    #[test]
    fn problems_are_found() {
        let problem =
            |initial, changes: &[(i64, i32)], tail| Rules::leak(initial, changes, tail).problem();
        assert_eq!(
            problem(0, &[(10, HOUR), (10, 0)], None),
            Some("changes out of order")
        );
        assert_eq!(
            problem(0, &[(10, HOUR), (20, HOUR)], None),
            Some("a change that keeps the offset")
        );
        assert_eq!(
            problem(0, &[(10, 0)], None),
            Some("a change that keeps the offset")
        );
        assert_eq!(
            problem(0, &[(10, HOUR)], tail(Some(9), "<+01>-1")),
            Some("the tail starts before the last change")
        );
        assert_eq!(
            problem(0, &[(10, HOUR)], tail(None, "<+01>-1")),
            Some("the tail starts before the last change")
        );
        assert_eq!(
            problem(0, &[(10, HOUR)], tail(Some(10), "UTC0")),
            Some("the tail disagrees with the listed offset where it starts")
        );
        assert_eq!(
            problem(HOUR, &[], tail(None, "UTC0")),
            Some("the tail disagrees with the listed offset where it starts")
        );
        // What `leak` cannot make: damaged tables.
        let damaged = |rules: Rules| rules.problem();
        let base = || Rules {
            offsets: &[0, HOUR],
            far: &[],
            at: &[10],
            to: &[1],
            tail: None,
        };
        assert_eq!(damaged(base()), None);
        assert_eq!(
            damaged(Rules {
                offsets: &[],
                ..base()
            }),
            Some("no offsets")
        );
        assert_eq!(
            damaged(Rules { to: &[], ..base() }),
            Some("`at` and `to` differ in length")
        );
        assert_eq!(
            damaged(Rules { to: &[2], ..base() }),
            Some("an offset index out of range")
        );
        assert_eq!(
            damaged(Rules {
                far: &[(-(1 << 31), 1)],
                at: &[],
                to: &[],
                ..base()
            }),
            Some("a far change within the `i32` range")
        );
        assert_eq!(
            damaged(Rules {
                offsets: &[0, HOUR, 2 * HOUR],
                ..base()
            }),
            Some("an offset no change uses")
        );
    }
}
