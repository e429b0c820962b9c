//! POSIX TZ strings as TZif footers use them (RFC 8536 §3.3.1): the rule of a
//! zone for instants after its last listed change, e.g. Santiago's
//! `<-04>4<-03>,M9.1.6/24,M4.1.6/24` (standard time -04, daylight time -03
//! from the first Saturday of September at 24:00 to the first Saturday of April
//! at 24:00).
//!
//! Offsets here are seconds east of UTC (POSIX writes them west, so `<-04>4`
//! is -14,400). Switch times may be negative or beyond 24 hours (up to ±167
//! hours, the RFC 8536 extension), which moves the switch to another day or
//! even another year; the arithmetic is in `i128` so that no `i64` instant
//! overflows.
//!
//! The embedded zones' rules are parsed at compile time (`PosixTz::from_footer`
//! in the generated `tz::zones`): a lookup only evaluates them.

use crate::civil::{civil_from_days, days_from_civil, is_leap_year};

const HOUR: i32 = 3_600;
const DAY: i128 = 86_400;

/// `?` for `const fn`s, which cannot use it.
macro_rules! try_const {
    ($result:expr) => {
        match $result {
            Ok(value) => value,
            Err(error) => return Err(error),
        }
    };
}

/// A parsed POSIX TZ string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PosixTz {
    /// Standard time's offset.
    std: i32,
    /// Daylight saving time, when the zone has it.
    dst: Option<Dst>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Dst {
    offset: i32,
    /// When daylight time starts, in local standard time.
    start: Switch,
    /// When it ends, in local daylight time.
    end: Switch,
}

/// A yearly switch: a day of the year and a local time on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Switch {
    day: RuleDay,
    /// Seconds after the day's local midnight, -167 h ..= 167 h.
    time: i32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RuleDay {
    /// `Jn`: day `n` (1..=365) of the year, 29 February never counted.
    NoLeap(u16),
    /// `n`: day `n` (0..=365) of the year counted from 0, 29 February counted.
    Ordinal(u16),
    /// `Mm.w.d`: weekday `d` (0 = Sunday) of week `w` (1..=5, 5 = last) of
    /// month `m`.
    Month { month: u8, week: u8, weekday: u8 },
}

/// What is wrong with a POSIX TZ string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PosixError {
    /// A zone designation: 3 or more letters, or `<…>` around 3 or more of
    /// letters, digits, `+` and `-`.
    Designation,
    /// An offset: `[+-]hh[:mm[:ss]]`, at most 24 hours.
    Offset,
    /// A switch: `Jn`, `n` or `Mm.w.d`, then optionally `/[+-]hh[:mm[:ss]]`
    /// with at most 167 hours.
    Switch,
    /// Daylight time without the rule saying when it applies.
    MissingRule,
    /// Something after the end of the string.
    Trailing,
}

impl PosixTz {
    /// The rule of a TZif footer, for the generated tables (`tz::zones`):
    /// there it is evaluated at compile time, so nothing is parsed at run
    /// time and an invalid footer fails the build.
    pub(crate) const fn from_footer(text: &str) -> PosixTz {
        match PosixTz::parse(text) {
            Ok(rule) => rule,
            Err(_) => panic!("an invalid POSIX TZ footer"),
        }
    }

    /// Parses a TZ string such as `CET-1CEST,M3.5.0,M10.5.0/3` or `<-03>3`.
    /// A `const fn` (hence the plain loops and matches) so that
    /// [`PosixTz::from_footer`] runs at compile time.
    pub(crate) const fn parse(text: &str) -> Result<PosixTz, PosixError> {
        let mut cursor = Cursor {
            bytes: text.as_bytes(),
            at: 0,
        };
        try_const!(cursor.designation());
        let std = try_const!(cursor.offset());
        if cursor.done() {
            return Ok(PosixTz { std, dst: None });
        }
        try_const!(cursor.designation());
        let offset = match cursor.peek() {
            Some(b',') | None => std + HOUR,
            Some(_) => try_const!(cursor.offset()),
        };
        if !cursor.eat(b',') {
            return Err(PosixError::MissingRule);
        }
        let start = try_const!(cursor.switch());
        if !cursor.eat(b',') {
            return Err(PosixError::Switch);
        }
        let end = try_const!(cursor.switch());
        if !cursor.done() {
            return Err(PosixError::Trailing);
        }
        Ok(PosixTz {
            std,
            dst: Some(Dst { offset, start, end }),
        })
    }

    /// The offset at Unix second `t`.
    pub(crate) fn offset_at(&self, t: i64) -> i32 {
        let Some(dst) = &self.dst else {
            return self.std;
        };
        let t = i128::from(t);
        // The last switch at or before `t` decides. Switches of the two years
        // before `t`'s are included, so one always is: a switch lies at most
        // 167 hours (plus the day) away from its date.
        self.switches(dst, self.local_year(t))
            .iter()
            .rev()
            .find(|(at, _)| *at <= t)
            .map_or(self.std, |&(_, offset)| offset)
    }

    /// The first instant after `t` at which the offset differs from the
    /// offset at `t`, if it ever does (and fits `i64`). `None` also when no
    /// change comes within the year after `t`'s: then the rule keeps one
    /// offset all year (or its daylight time lasts no time at all).
    pub(crate) fn next_change(&self, t: i64) -> Option<i64> {
        let dst = self.dst.as_ref()?;
        let current = self.offset_at(t);
        let t = i128::from(t);
        let year = self.local_year(t);
        let switches = self.switches(dst, year);
        // Up to the start of year + 2, at least a year after `t`: before it
        // no switch of a year after year + 2 can fall.
        let horizon = i128::from(days_from_civil(year + 2, 1, 1)) * DAY - i128::from(self.std);
        // Switches at the same instant (all-year daylight time ends a year
        // where it starts the next) count as one: the last one decides.
        let last_at_its_instant =
            |i: usize| switches.get(i + 1).is_none_or(|n| n.0 != switches[i].0);
        switches
            .iter()
            .enumerate()
            .filter(|&(i, &(at, _))| at > t && at < horizon && last_at_its_instant(i))
            .find(|&(_, &(_, offset))| offset != current)
            .and_then(|(_, &(at, _))| i64::try_from(at).ok())
    }

    /// The year of `t`'s date in local standard time.
    fn local_year(&self, t: i128) -> i64 {
        let days = (t + i128::from(self.std)).div_euclid(DAY);
        // |t| < 2^63 s, so the day number fits in i64 easily.
        civil_from_days(days as i64).0
    }

    /// The switches (instant, offset from then on) of the years from two
    /// before to two after `year`, in time order (stable: for equal instants,
    /// year order).
    fn switches(&self, dst: &Dst, year: i64) -> [(i128, i32); 10] {
        let mut switches = [(0, 0); 10];
        for (k, y) in (year - 2..=year + 2).enumerate() {
            switches[2 * k] = (dst.start.instant(y, self.std), dst.offset);
            switches[2 * k + 1] = (dst.end.instant(y, dst.offset), self.std);
        }
        switches.sort_by_key(|&(at, _)| at);
        switches
    }
}

impl Switch {
    /// The instant of this switch in `year`, read in local time of `offset`.
    fn instant(self, year: i64, offset: i32) -> i128 {
        i128::from(self.day.day_number(year)) * DAY + i128::from(self.time) - i128::from(offset)
    }
}

impl RuleDay {
    /// The day number (days since 1970-01-01) of this day in `year`.
    fn day_number(self, year: i64) -> i64 {
        let january_first = days_from_civil(year, 1, 1);
        match self {
            RuleDay::NoLeap(n) => {
                let n = i64::from(n);
                january_first + n - 1 + i64::from(n >= 60 && is_leap_year(year))
            }
            RuleDay::Ordinal(n) => january_first + i64::from(n),
            RuleDay::Month {
                month,
                week,
                weekday,
            } => {
                let first = days_from_civil(year, u32::from(month), 1);
                let next_month = if month == 12 {
                    days_from_civil(year + 1, 1, 1)
                } else {
                    days_from_civil(year, u32::from(month) + 1, 1)
                };
                // 1970-01-01 was a Thursday (4, with Sunday = 0).
                let first_weekday = (first + 4).rem_euclid(7);
                let mut day = first
                    + (i64::from(weekday) - first_weekday).rem_euclid(7)
                    + 7 * (i64::from(week) - 1);
                while day >= next_month {
                    day -= 7; // week 5: the month's last such weekday
                }
                day
            }
        }
    }
}

/// A reading position in a TZ string. Its methods are `const fn`s, for
/// [`PosixTz::parse`].
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    const fn peek(&self) -> Option<u8> {
        if self.at < self.bytes.len() {
            Some(self.bytes[self.at])
        } else {
            None
        }
    }

    const fn done(&self) -> bool {
        self.at == self.bytes.len()
    }

    const fn eat(&mut self, byte: u8) -> bool {
        match self.peek() {
            Some(found) if found == byte => {
                self.at += 1;
                true
            }
            _ => false,
        }
    }

    const fn designation(&mut self) -> Result<(), PosixError> {
        let length = if self.eat(b'<') {
            let start = self.at;
            while let Some(b) = self.peek()
                && (b.is_ascii_alphanumeric() || b == b'+' || b == b'-')
            {
                self.at += 1;
            }
            let length = self.at - start;
            if !self.eat(b'>') {
                return Err(PosixError::Designation);
            }
            length
        } else {
            let start = self.at;
            while let Some(b) = self.peek()
                && b.is_ascii_alphabetic()
            {
                self.at += 1;
            }
            self.at - start
        };
        if length >= 3 {
            Ok(())
        } else {
            Err(PosixError::Designation)
        }
    }

    /// A decimal number of 1 to `max_digits` digits.
    const fn number(&mut self, max_digits: usize) -> Option<u32> {
        let start = self.at;
        let mut value = 0u32;
        while let Some(digit @ b'0'..=b'9') = self.peek() {
            // Saturating: a number of too many digits is refused below.
            value = value
                .saturating_mul(10)
                .saturating_add((digit - b'0') as u32);
            self.at += 1;
        }
        let digits = self.at - start;
        if digits == 0 || digits > max_digits {
            None
        } else {
            Some(value)
        }
    }

    /// `[+-]hh[:mm[:ss]]` with at most `max_hours` hours, in seconds.
    const fn signed_duration(&mut self, max_hours: u32) -> Option<i32> {
        let negative = self.eat(b'-');
        if !negative {
            self.eat(b'+');
        }
        let mut seconds = match self.number(3) {
            Some(hours) if hours <= max_hours => hours * 3_600,
            _ => return None,
        };
        if self.eat(b':') {
            seconds += match self.number(2) {
                Some(minutes) if minutes < 60 => minutes * 60,
                _ => return None,
            };
            if self.eat(b':') {
                seconds += match self.number(2) {
                    Some(s) if s < 60 => s,
                    _ => return None,
                };
            }
        }
        // At most 999 hours: fits.
        let seconds = seconds as i32;
        Some(if negative { -seconds } else { seconds })
    }

    /// A UTC offset, returned east of UTC (POSIX writes it west).
    const fn offset(&mut self) -> Result<i32, PosixError> {
        match self.signed_duration(24) {
            Some(west) => Ok(-west),
            None => Err(PosixError::Offset),
        }
    }

    const fn switch(&mut self) -> Result<Switch, PosixError> {
        let Some(day) = self.rule_day() else {
            return Err(PosixError::Switch);
        };
        let time = if self.eat(b'/') {
            match self.signed_duration(167) {
                Some(time) => time,
                None => return Err(PosixError::Switch),
            }
        } else {
            2 * HOUR
        };
        Ok(Switch { day, time })
    }

    const fn rule_day(&mut self) -> Option<RuleDay> {
        if self.eat(b'J') {
            match self.number(3) {
                Some(n @ 1..=365) => Some(RuleDay::NoLeap(n as u16)),
                _ => None,
            }
        } else if self.eat(b'M') {
            let month = match self.number(2) {
                Some(month @ 1..=12) => month as u8,
                _ => return None,
            };
            if !self.eat(b'.') {
                return None;
            }
            let week = match self.number(1) {
                Some(week @ 1..=5) => week as u8,
                _ => return None,
            };
            if !self.eat(b'.') {
                return None;
            }
            let weekday = match self.number(1) {
                Some(weekday @ 0..=6) => weekday as u8,
                _ => return None,
            };
            Some(RuleDay::Month {
                month,
                week,
                weekday,
            })
        } else {
            match self.number(3) {
                Some(n @ 0..=365) => Some(RuleDay::Ordinal(n as u16)),
                _ => None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn tz(text: &str) -> PosixTz {
        PosixTz::parse(text).unwrap()
    }

    /// The instant written `s` (RFC 3339), as Unix seconds.
    fn at(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp()
    }

    /// Asserts the offset changes from `before` to `after` exactly at `when`,
    /// and that `next_change` finds that instant from a day earlier.
    #[track_caller]
    fn assert_change(rule: &PosixTz, when: &str, before: i32, after: i32) {
        let t = at(when);
        assert_eq!(rule.offset_at(t - 1), before, "before {when}");
        assert_eq!(rule.offset_at(t), after, "at {when}");
        assert_eq!(
            rule.next_change(t - 86_400),
            Some(t),
            "from a day before {when}"
        );
        assert_eq!(
            rule.next_change(t - 1),
            Some(t),
            "from a second before {when}"
        );
    }

    #[test]
    fn fixed_offsets() {
        assert_eq!(tz("UTC0"), PosixTz { std: 0, dst: None });
        assert_eq!(tz("<-03>3").offset_at(0), -3 * HOUR);
        assert_eq!(tz("<+0530>-5:30").offset_at(0), 5 * HOUR + 1_800);
        assert_eq!(tz("<+14>-14").offset_at(i64::MAX), 14 * HOUR);
        assert_eq!(tz("EST+5").offset_at(i64::MIN), -5 * HOUR);
        assert_eq!(tz("XXX-0:00:01").offset_at(0), 1);
        assert_eq!(tz("MST7").next_change(0), None);
    }

    /// Santiago: daylight time from the first Saturday of September at 24:00
    /// (-04) to the first Saturday of April at 24:00 (-03).
    #[test]
    fn santiago_switches_at_24_00() {
        let rule = tz("<-04>4<-03>,M9.1.6/24,M4.1.6/24");
        assert_change(&rule, "2026-04-05T00:00:00-03:00", -3 * HOUR, -4 * HOUR);
        assert_change(&rule, "2026-09-06T00:00:00-04:00", -4 * HOUR, -3 * HOUR);
        assert_change(&rule, "2027-04-04T00:00:00-03:00", -3 * HOUR, -4 * HOUR);
        assert_change(&rule, "2027-09-05T00:00:00-04:00", -4 * HOUR, -3 * HOUR);
        // Southern summer across New Year.
        assert_eq!(rule.offset_at(at("2026-12-31T23:59:59Z")), -3 * HOUR);
        assert_eq!(
            rule.next_change(at("2026-12-31T12:00:00Z")),
            Some(at("2027-04-04T00:00:00-03:00"))
        );
    }

    /// Easter Island: the same day as Santiago, at 22:00 local.
    #[test]
    fn easter_island() {
        let rule = tz("<-06>6<-05>,M9.1.6/22,M4.1.6/22");
        assert_change(&rule, "2026-04-04T22:00:00-05:00", -5 * HOUR, -6 * HOUR);
        assert_change(&rule, "2026-09-05T22:00:00-06:00", -6 * HOUR, -5 * HOUR);
    }

    #[test]
    fn northern_rules_with_default_times() {
        let new_york = tz("EST5EDT,M3.2.0,M11.1.0");
        assert_change(&new_york, "2026-03-08T02:00:00-05:00", -5 * HOUR, -4 * HOUR);
        assert_change(&new_york, "2026-11-01T02:00:00-04:00", -4 * HOUR, -5 * HOUR);
        let madrid = tz("CET-1CEST,M3.5.0,M10.5.0/3");
        // The last Sunday, in a month with five Sundays and in one with four.
        assert_change(&madrid, "2026-03-29T02:00:00+01:00", HOUR, 2 * HOUR);
        assert_change(&madrid, "2026-10-25T03:00:00+02:00", 2 * HOUR, HOUR);
        assert_change(&madrid, "2027-03-28T02:00:00+01:00", HOUR, 2 * HOUR);
        // Cuba: daylight time starts at 00:00 and ends at 01:00.
        let havana = tz("CST5CDT,M3.2.0/0,M11.1.0/1");
        assert_change(&havana, "2028-03-12T00:00:00-05:00", -5 * HOUR, -4 * HOUR);
        assert_change(&havana, "2028-11-05T01:00:00-04:00", -4 * HOUR, -5 * HOUR);
    }

    /// Ireland: "standard" time is summer time, and daylight time (GMT) is a
    /// negative one in winter.
    #[test]
    fn negative_daylight_saving() {
        let dublin = tz("IST-1GMT0,M10.5.0,M3.5.0/1");
        assert_change(&dublin, "2026-10-25T02:00:00+01:00", HOUR, 0);
        assert_change(&dublin, "2027-03-28T01:00:00+00:00", 0, HOUR);
    }

    #[test]
    fn julian_days_and_extended_times() {
        // J60 is 1 March in every year; 59 (from 0) is 29 February in leap years.
        let j = tz("AAA3BBB,J60/-1,J300/167");
        assert_change(&j, "2028-02-29T23:00:00-03:00", -3 * HOUR, -2 * HOUR);
        assert_change(&j, "2027-02-28T23:00:00-03:00", -3 * HOUR, -2 * HOUR);
        // J300 is 27 October; 167 hours later is 2 November, 23:00.
        assert_change(&j, "2027-11-02T23:00:00-02:00", -2 * HOUR, -3 * HOUR);
        let n = tz("AAA3BBB2,59/0,300");
        assert_change(&n, "2028-02-29T00:00:00-03:00", -3 * HOUR, -2 * HOUR);
        assert_change(&n, "2027-03-01T00:00:00-03:00", -3 * HOUR, -2 * HOUR);
        assert_change(&n, "2028-10-27T02:00:00-02:00", -2 * HOUR, -3 * HOUR);
    }

    /// Daylight time all year (RFC 8536's example): no change ever.
    #[test]
    fn all_year_daylight_time() {
        let rule = tz("EST5EDT,0/0,J365/25");
        for when in [
            "2026-01-01T05:00:00Z",
            "2026-07-01T00:00:00Z",
            "2026-12-31T23:59:59Z",
        ] {
            assert_eq!(rule.offset_at(at(when)), -4 * HOUR, "{when}");
            assert_eq!(rule.next_change(at(when)), None, "{when}");
        }
    }

    #[test]
    fn extreme_instants_do_not_panic() {
        for text in [
            "<-04>4<-03>,M9.1.6/24,M4.1.6/24",
            "IST-1GMT0,M10.5.0,M3.5.0/1",
            "AAA-24BBB-24:00:00,J1/-167,J365/167",
            "EST5EDT,0/0,J365/25",
        ] {
            let rule = tz(text);
            for t in [i64::MIN, i64::MIN + 1, -1, 0, i64::MAX - 1, i64::MAX] {
                let _ = rule.offset_at(t);
                if let Some(next) = rule.next_change(t) {
                    assert!(next > t, "{text} from {t}");
                }
            }
        }
    }

    /// The generated tables' rules are parsed in a const context, where the
    /// panic of an invalid footer fails the build.
    #[test]
    fn footers_parse_in_const_context() {
        const SANTIAGO: PosixTz = PosixTz::from_footer("<-04>4<-03>,M9.1.6/24,M4.1.6/24");
        assert_eq!(SANTIAGO, tz("<-04>4<-03>,M9.1.6/24,M4.1.6/24"));
        assert_eq!(SANTIAGO.offset_at(at("2026-07-01T12:00:00Z")), -4 * HOUR);
    }

    #[test]
    #[should_panic(expected = "an invalid POSIX TZ footer")]
    fn an_invalid_footer_panics() {
        PosixTz::from_footer("<-04>4<-03>");
    }

    #[test]
    fn malformed_strings_are_refused() {
        for (text, error) in [
            ("", PosixError::Designation),
            ("AB5", PosixError::Designation),
            ("<AB>5", PosixError::Designation),
            ("<ABC5", PosixError::Designation),
            ("A1C5", PosixError::Designation),
            ("ABC", PosixError::Offset),
            ("ABC25", PosixError::Offset),
            ("ABC5:60", PosixError::Offset),
            ("ABC5DEF", PosixError::MissingRule),
            ("ABC5DEF,M3.2.0", PosixError::Switch),
            ("ABC5DEF,M13.2.0,M11.1.0", PosixError::Switch),
            ("ABC5DEF,M3.6.0,M11.1.0", PosixError::Switch),
            ("ABC5DEF,M3.2.7,M11.1.0", PosixError::Switch),
            ("ABC5DEF,J0,J365", PosixError::Switch),
            ("ABC5DEF,366,0", PosixError::Switch),
            ("ABC5DEF,M3.2.0/168,M11.1.0", PosixError::Switch),
            ("ABC5DEF,M3.2.0,M11.1.0,", PosixError::Trailing),
            ("ABC5 ", PosixError::Designation),
        ] {
            assert_eq!(PosixTz::parse(text), Err(error), "{text:?}");
        }
    }
}
