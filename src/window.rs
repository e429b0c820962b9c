//! The sending window: hours of the day and days of the week, read in an IANA
//! time zone, during which a message may be sent.
//!
//! Sending at instant `t` is allowed when the weekday of `t`'s local date is
//! enabled and `w`, `t`'s local wall-clock time in whole seconds, satisfies
//! `start <= w <= end` (or, for an overnight window where `start > end`,
//! `w >= start || w <= end`; the weekday is still that of `t`'s own local
//! date). Both ends are included.
//!
//! Everything here is arithmetic on Unix seconds and "local seconds" (Unix
//! seconds plus the zone's UTC offset), with [`crate::tz`] consulted for the
//! offset at an instant and the next offset change. Instants are `i64` at the
//! API and `i128` inside, so no input overflows or panics.

use std::fmt;

use crate::civil::{civil_from_days, days_from_civil};
use crate::holidays::{self, Holiday};
use crate::model::{
    BlockReason, Blocked, Explain, FieldId, Language, ProblemCode, Weekdays, WindowStatus,
};
use crate::tz::Zone;

/// Seconds in a civil day.
const DAY: i64 = 86_400;

/// Local dates [`Window::next_allowed`] searches for an opening when some
/// days are closed: five years. At most 100 closed dates and about 20
/// holidays a year can never close every opening of so many weeks.
const CLOSED_SEARCH_DAYS: i128 = 5 * 366;

/// How many offset changes [`Window::next_allowed`] steps over at most; see
/// there why it is never reached with real tz data.
const MAX_OFFSET_CHANGES: usize = 64;

/// A time of day: seconds since local midnight, `0..86_400`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay(u32);

impl TimeOfDay {
    /// Midnight, `00:00:00`.
    pub const MIDNIGHT: TimeOfDay = TimeOfDay(0);

    /// The time `hour:minute:second`, if each part is in range.
    pub const fn from_hms(hour: u32, minute: u32, second: u32) -> Option<TimeOfDay> {
        if hour < 24 && minute < 60 && second < 60 {
            Some(TimeOfDay(hour * 3_600 + minute * 60 + second))
        } else {
            None
        }
    }

    /// The time `seconds` after midnight, if below 86,400.
    pub const fn from_seconds(seconds: u32) -> Option<TimeOfDay> {
        if seconds < DAY as u32 {
            Some(TimeOfDay(seconds))
        } else {
            None
        }
    }

    /// Seconds since midnight.
    pub const fn seconds(self) -> u32 {
        self.0
    }
}

/// `HH:MM:SS`.
impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        write!(f, "{:02}:{:02}:{:02}", s / 3_600, s / 60 % 60, s % 60)
    }
}

/// Parses a time of day: `HH:MM:SS` (24 h, `00:00:00` to `23:59:59`), or
/// `HH:MM` meaning `HH:MM:00`. Every part has exactly two ASCII digits
/// (`9:00` is refused); surrounding whitespace is ignored.
pub fn parse_time(s: &str) -> Result<TimeOfDay, WindowError> {
    let invalid = || WindowError::InvalidTime {
        value: s.to_string(),
    };
    let b = s.trim().as_bytes();
    let two = |i: usize| -> Option<u32> {
        match (b.get(i), b.get(i + 1)) {
            (Some(h @ b'0'..=b'9'), Some(l @ b'0'..=b'9')) => {
                Some(u32::from(h - b'0') * 10 + u32::from(l - b'0'))
            }
            _ => None,
        }
    };
    let (hour, minute, second) = match b.len() {
        5 if b[2] == b':' => (two(0), two(3), Some(0)),
        8 if b[2] == b':' && b[5] == b':' => (two(0), two(3), two(6)),
        _ => return Err(invalid()),
    };
    match (hour, minute, second) {
        (Some(h), Some(m), Some(s)) => TimeOfDay::from_hms(h, m, s).ok_or_else(invalid),
        _ => Err(invalid()),
    }
}

/// Parses an IANA time zone name, e.g. `America/Santiago` or `UTC`.
///
/// The exact name is looked up first; otherwise a case-insensitive match is
/// accepted (`america/santiago`). Surrounding whitespace is ignored. Only the
/// zones embedded in this build exist (see [`crate::tz`]).
pub fn parse_zone(name: &str) -> Result<Zone, WindowError> {
    Zone::named(name.trim()).map_err(|_| WindowError::UnknownTimeZone {
        name: name.to_string(),
    })
}

/// Parses a date `YYYY-MM-DD` (four-digit year, two-digit month and day, a
/// day that exists); surrounding whitespace is ignored.
pub fn parse_date(s: &str) -> Result<(i64, u32, u32), WindowError> {
    let invalid = || WindowError::InvalidDate {
        value: s.to_string(),
    };
    let b = s.trim().as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(range)?;
        part.iter()
            .all(u8::is_ascii_digit)
            .then(|| part.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')))
    };
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(invalid());
    }
    let (Some(year), Some(month), Some(day)) = (digits(0..4), digits(5..7), digits(8..10)) else {
        return Err(invalid());
    };
    let year = i64::from(year);
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if crate::civil::is_leap_year(year) => 29,
        2 => 28,
        _ => return Err(invalid()),
    };
    if !(1..=month_days).contains(&day) {
        return Err(invalid());
    }
    Ok((year, month, day))
}

/// What is wrong with a window setting.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum WindowError {
    /// Not `HH:MM:SS` / `HH:MM` in range; `value` is the input as given.
    InvalidTime { value: String },
    /// Not `YYYY-MM-DD`, or no such day; `value` is the input as given.
    InvalidDate { value: String },
    /// Start and end are equal.
    EmptyWindow,
    /// No weekday is enabled.
    NoWeekday,
    /// Not a time zone of this build; `name` is the input as given.
    UnknownTimeZone { name: String },
}

impl Explain for WindowError {
    fn code(&self) -> ProblemCode {
        match self {
            WindowError::InvalidTime { .. } => ProblemCode::InvalidTime,
            WindowError::InvalidDate { .. } => ProblemCode::InvalidDate,
            WindowError::EmptyWindow => ProblemCode::EmptyWindow,
            WindowError::NoWeekday => ProblemCode::NoWeekday,
            WindowError::UnknownTimeZone { .. } => ProblemCode::UnknownTimeZone,
        }
    }

    fn message(&self, lang: Language) -> String {
        match self {
            WindowError::InvalidTime { value } => {
                let value = crate::text::quote(value);
                match lang {
                    Language::Es => format!(
                        "«{value}» no es una hora válida: use HH:MM:SS de 24 horas, de \
                         00:00:00 a 23:59:59 (también se acepta HH:MM), por ejemplo 09:00:00."
                    ),
                    Language::En => format!(
                        "\"{value}\" is not a valid time: use 24-hour HH:MM:SS, from \
                         00:00:00 to 23:59:59 (HH:MM is accepted too), e.g. 09:00:00."
                    ),
                }
            }
            WindowError::InvalidDate { value } => {
                let value = crate::text::quote(value);
                lang.pick(
                    format!(
                        "«{value}» no es una fecha válida: use AAAA-MM-DD, por ejemplo \
                         2026-09-18."
                    ),
                    format!("\"{value}\" is not a valid date: use YYYY-MM-DD, e.g. 2026-09-18."),
                )
            }
            WindowError::EmptyWindow => lang
                .pick(
                    "El inicio y el término del horario son iguales, así que el horario \
                     quedaría vacío: use horas distintas (si el término es anterior al \
                     inicio, el horario cruza la medianoche, p. ej. de 22:00:00 a 06:00:00).",
                    "The window start and end are equal, so the window would be empty: \
                     use different times (when the end is earlier than the start, the \
                     window runs overnight, e.g. from 22:00:00 to 06:00:00).",
                )
                .to_string(),
            WindowError::NoWeekday => lang
                .pick(
                    "No hay ningún día de envío activo: active al menos un día de la semana.",
                    "No sending day is enabled: enable at least one day of the week.",
                )
                .to_string(),
            WindowError::UnknownTimeZone { name } => {
                let name = crate::text::quote(name);
                match lang {
                    Language::Es => format!(
                        "«{name}» no es una zona horaria incluida: use un nombre IANA de \
                         Chile (America/Santiago, America/Punta_Arenas, America/Coyhaique, \
                         Pacific/Easter), de una zona principal de América o Europa (p. ej. \
                         America/Lima, Europe/Madrid), UTC o Etc/GMT±N."
                    ),
                    Language::En => format!(
                        "\"{name}\" is not an included time zone: use an IANA name of \
                         Chile (America/Santiago, America/Punta_Arenas, America/Coyhaique, \
                         Pacific/Easter), of a main zone of the Americas or Europe (e.g. \
                         America/Lima, Europe/Madrid), UTC or Etc/GMT±N."
                    ),
                }
            }
        }
    }
}

/// English message.
impl fmt::Display for WindowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Language::En))
    }
}

impl std::error::Error for WindowError {}

/// Local dates on which nothing is sent, whatever the hours: Chile's public
/// holidays (unless sending on them is on) and the dates a business closes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ClosedDays {
    holidays: bool,
    /// Day numbers (days since 1970-01-01), sorted, without repeats.
    dates: Vec<i64>,
}

impl ClosedDays {
    /// Closed on Chile's public holidays when `holidays`, and on `dates`
    /// (`(year, month, day)` of the local calendar).
    pub fn new(holidays: bool, dates: impl IntoIterator<Item = (i64, u32, u32)>) -> Self {
        let mut dates: Vec<i64> = dates
            .into_iter()
            .map(|(y, m, d)| days_from_civil(y, m, d))
            .collect();
        dates.sort_unstable();
        dates.dedup();
        ClosedDays { holidays, dates }
    }

    /// Whether no day is closed.
    fn is_empty(&self) -> bool {
        !self.holidays && self.dates.is_empty()
    }

    /// Why local day `day` is closed, if it is: a closed date first (the
    /// business said so), then a holiday.
    fn closure(&self, day: i128) -> Option<Closure> {
        if self.is_empty() {
            return None;
        }
        let day = i64::try_from(day).ok()?;
        if self.dates.binary_search(&day).is_ok() {
            return Some(Closure::Date);
        }
        if !self.holidays {
            return None;
        }
        let (year, month, day) = civil_from_days(day);
        let date = chrono::NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
        holidays::holiday_on(date).map(Closure::Holiday)
    }
}

/// Why a local date is closed.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Closure {
    /// One of the config's closed dates.
    Date,
    /// A Chilean public holiday.
    Holiday(Holiday),
}

/// A valid sending window: start != end, at least one weekday, a zone, and
/// the days closed whatever the hours.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Window {
    start: TimeOfDay,
    end: TimeOfDay,
    weekdays: Weekdays,
    zone: Zone,
    closed: ClosedDays,
}

impl Window {
    /// Builds a window, or every problem with it: [`WindowError::EmptyWindow`]
    /// on [`FieldId::WindowEnd`] when `start == end`, [`WindowError::NoWeekday`]
    /// on [`FieldId::Weekdays`] when no day is enabled (both when both apply).
    pub fn new(
        start: TimeOfDay,
        end: TimeOfDay,
        weekdays: Weekdays,
        zone: Zone,
    ) -> Result<Window, Vec<(FieldId, WindowError)>> {
        let mut errors = Vec::new();
        if start == end {
            errors.push((FieldId::WindowEnd, WindowError::EmptyWindow));
        }
        if weekdays.is_empty() {
            errors.push((FieldId::Weekdays, WindowError::NoWeekday));
        }
        if errors.is_empty() {
            Ok(Window {
                start,
                end,
                weekdays,
                zone,
                closed: ClosedDays::default(),
            })
        } else {
            Err(errors)
        }
    }

    /// The same window, closed on `closed` days too.
    pub fn closed_on(self, closed: ClosedDays) -> Window {
        Window { closed, ..self }
    }

    /// First allowed time of day (included).
    pub fn start(&self) -> TimeOfDay {
        self.start
    }

    /// Last allowed time of day (included).
    pub fn end(&self) -> TimeOfDay {
        self.end
    }

    /// Enabled days.
    pub fn weekdays(&self) -> Weekdays {
        self.weekdays
    }

    /// The zone the window is read in.
    pub fn zone(&self) -> Zone {
        self.zone
    }

    /// Whether the window runs overnight (`start > end`).
    pub fn is_overnight(&self) -> bool {
        self.start > self.end
    }

    /// Whether sending is allowed at `unix_seconds`.
    pub fn allows(&self, unix_seconds: i64) -> bool {
        let t = i128::from(unix_seconds);
        self.allows_local(t + self.offset_at(t))
    }

    /// The earliest instant `>= unix_seconds` at which sending is allowed
    /// (`unix_seconds` itself when allowed). Saturates at `i64::MAX` at the
    /// very end of the `i64` range.
    ///
    /// Walks offset spans (stretches of constant UTC offset) forward from
    /// `unix_seconds`: within a span local time is `instant + offset`, so the
    /// earliest allowed instant of the span is the next allowed local second
    /// (found arithmetically, walking at most 8 local dates) minus the offset,
    /// if that is before the span ends. Gaps (skipped local times) and
    /// repeated local times thus come out exactly: after a forward change the
    /// first allowed instant is the first one after the gap that satisfies the
    /// rule, and both occurrences of a repeated time count.
    ///
    /// Termination and bound: each enabled weekday opens the window at least
    /// once every 7 local days, for at least one second. An opening is
    /// unreachable only if a gap (a forward offset change) swallows it whole.
    /// In the embedded tz data offset changes are at least 7 days apart and
    /// no change moves the clock by more than 24 h (asserted over 1800–2100
    /// by `tz`'s tests; in 2026f the changes of the kept zones are at least
    /// 10 days apart and at most 2 h). So of two openings of the same weekday
    /// 7 local days apart at most one is hidden: hiding both would take two
    /// forward changes less than 7 days apart, or a backward change between
    /// them turning the clock back by more than 6 days. The answer thus lies
    /// within about 16 days, past at most 3 offset changes. The loop still
    /// stops after `MAX_OFFSET_CHANGES` (64) changes and then answers its last
    /// candidate (the next local opening, ignoring later changes); with the
    /// embedded data it is never reached.
    pub fn next_allowed(&self, unix_seconds: i64) -> i64 {
        let t = i128::from(unix_seconds);
        let mut span_start = t;
        let mut offset = self.offset_at(t);
        let mut candidate = t;
        for _ in 0..=MAX_OFFSET_CHANGES {
            let Some(local) = self.next_open_local(span_start + offset) else {
                // Unreachable for a valid window (some weekday is enabled).
                break;
            };
            candidate = local - offset;
            match self.next_offset_change(span_start, candidate) {
                None => break,
                Some(change) => {
                    span_start = change;
                    offset = self.offset_at(change);
                }
            }
        }
        saturate(candidate)
    }

    /// The window at `unix_seconds`: open, or closed with why and until when.
    /// The reason is the first that applies of: the weekday is off, the date
    /// is closed (a closed date, then a holiday), the hours.
    pub fn status(&self, unix_seconds: i64, lang: Language) -> WindowStatus {
        let t = i128::from(unix_seconds);
        let local = t + self.offset_at(t);
        if self.allows_local(local) {
            return WindowStatus::Open;
        }
        let weekday = weekday_of_local(local);
        let closure = self.closed.closure(local.div_euclid(i128::from(DAY)));
        let reason = match (self.weekdays.allows(weekday), &closure) {
            (false, _) => BlockReason::WeekdayDisabled,
            (true, Some(Closure::Date)) => BlockReason::ClosedDate,
            (true, Some(Closure::Holiday(_))) => BlockReason::Holiday,
            (true, None) => BlockReason::OutsideHours,
        };
        let next = self.next_allowed(unix_seconds);
        let next_allowed = self.rfc3339(next);
        let wait = i128::from(next) - t;
        let block = Block {
            reason,
            weekday,
            date: format_date(local.div_euclid(i128::from(DAY))),
            holiday: match closure {
                Some(Closure::Holiday(holiday)) => Some(holiday),
                _ => None,
            },
        };
        let description = self.describe_block(&block, &next_allowed, lang);
        WindowStatus::Closed(Blocked {
            reason,
            next_allowed,
            wait_seconds: u64::try_from(wait).unwrap_or(0),
            description,
        })
    }

    /// `unix_seconds` in RFC 3339 with the zone's offset at that instant,
    /// whole seconds, e.g. `2026-09-07T09:00:00-03:00`.
    ///
    /// An offset that is not whole minutes (local mean time before ~1920)
    /// cannot be written in RFC 3339; the instant is then written in UTC
    /// (`Z`). Years outside 0000..=9999 are written with more digits or a
    /// sign (not RFC 3339, but unambiguous).
    pub fn rfc3339(&self, unix_seconds: i64) -> String {
        let t = i128::from(unix_seconds);
        let offset = self.offset_at(t);
        if offset % 60 != 0 {
            return format_local(t, "Z");
        }
        let sign = if offset < 0 { '-' } else { '+' };
        let minutes = offset.abs() / 60;
        let suffix = format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60);
        format_local(t + offset, &suffix)
    }

    /// The zone's UTC offset at instant `t`, in seconds.
    fn offset_at(&self, t: i128) -> i128 {
        i128::from(self.zone.offset_at(saturate(t)))
    }

    /// The first instant in `(from, until]` whose offset differs from the
    /// offset at `from`, if any.
    fn next_offset_change(&self, from: i128, until: i128) -> Option<i128> {
        self.zone
            .next_change(saturate(from))
            .map(i128::from)
            .filter(|&change| change <= until)
    }

    /// Whether the rule allows local seconds `local` (local date and time).
    fn allows_local(&self, local: i128) -> bool {
        let time = local.rem_euclid(i128::from(DAY)) as u32;
        self.weekdays.allows(weekday_of_local(local))
            && self.time_allowed(time)
            && self
                .closed
                .closure(local.div_euclid(i128::from(DAY)))
                .is_none()
    }

    /// Whether time of day `w` (seconds) is inside the hours.
    fn time_allowed(&self, w: u32) -> bool {
        let (start, end) = (self.start.0, self.end.0);
        if start < end {
            start <= w && w <= end
        } else {
            w >= start || w <= end
        }
    }

    /// The allowed stretches of one enabled local date, as inclusive
    /// `(first, last)` seconds since midnight, in order.
    fn stretches(&self) -> ([(u32, u32); 2], usize) {
        let (start, end) = (self.start.0, self.end.0);
        if start < end {
            ([(start, end), (0, 0)], 1)
        } else {
            ([(0, end), (start, DAY as u32 - 1)], 2)
        }
    }

    /// The smallest allowed local second `>= local`. Always found within 8
    /// local dates when some weekday is enabled and no day is closed, within
    /// [`CLOSED_SEARCH_DAYS`] otherwise.
    fn next_open_local(&self, local: i128) -> Option<i128> {
        let day0 = local.div_euclid(i128::from(DAY));
        let (stretches, count) = self.stretches();
        let last = if self.closed.is_empty() {
            day0 + 7
        } else {
            day0 + CLOSED_SEARCH_DAYS
        };
        for day in day0..=last {
            if !self.weekdays.allows(weekday_of_day(day)) || self.closed.closure(day).is_some() {
                continue;
            }
            let midnight = day * i128::from(DAY);
            for &(first, last) in &stretches[..count] {
                if midnight + i128::from(last) >= local {
                    return Some((midnight + i128::from(first)).max(local));
                }
            }
        }
        None
    }

    /// The person-readable explanation of a block.
    fn describe_block(&self, block: &Block, next: &str, lang: Language) -> String {
        let zone = self.zone.name();
        let (start, end) = (self.start, self.end);
        let overnight = match (self.is_overnight(), lang) {
            (false, _) => "",
            (true, Language::Es) => ", cruza la medianoche",
            (true, Language::En) => ", overnight",
        };
        let date = &block.date;
        match (block.reason, lang) {
            (BlockReason::OutsideHours, Language::Es) => format!(
                "Fuera del horario permitido ({start}–{end}{overnight}, {zone}); \
                 el envío se permite desde {next}."
            ),
            (BlockReason::OutsideHours, Language::En) => format!(
                "Outside the allowed hours ({start}–{end}{overnight}, {zone}); \
                 sending is allowed from {next}."
            ),
            (BlockReason::WeekdayDisabled, Language::Es) => format!(
                "Es {} en {zone}, día sin envíos (días permitidos: {}; horario \
                 {start}–{end}{overnight}); el envío se permite desde {next}.",
                weekday_name(block.weekday, lang),
                self.day_list(lang),
            ),
            (BlockReason::WeekdayDisabled, Language::En) => format!(
                "It is {} in {zone}, a day without sending (allowed days: {}; hours \
                 {start}–{end}{overnight}); sending is allowed from {next}.",
                weekday_name(block.weekday, lang),
                self.day_list(lang),
            ),
            (BlockReason::Holiday, _) => {
                let holiday = block
                    .holiday
                    .as_ref()
                    .map(|h| h.describe(lang))
                    .unwrap_or_default();
                lang.pick(
                    format!(
                        "El {date} es feriado en Chile ({holiday}) y el envío en feriados \
                         está desactivado; el envío se permite desde {next}."
                    ),
                    format!(
                        "{date} is a public holiday in Chile ({holiday}) and sending on \
                         holidays is off; sending is allowed from {next}."
                    ),
                )
            }
            (BlockReason::ClosedDate, _) => lang.pick(
                format!(
                    "El {date} es una fecha sin envíos de la configuración; el envío se \
                     permite desde {next}."
                ),
                format!(
                    "{date} is one of the configured closed dates; sending is allowed from \
                     {next}."
                ),
            ),
        }
    }

    /// The enabled days, e.g. `lunes, martes y viernes`.
    fn day_list(&self, lang: Language) -> String {
        let names: Vec<&str> = (0..7)
            .filter(|&d| self.weekdays.allows(d))
            .map(|d| weekday_name(d, lang))
            .collect();
        match names.split_last() {
            None => String::new(),
            Some((last, [])) => (*last).to_string(),
            Some((last, rest)) => {
                format!("{} {} {last}", rest.join(", "), lang.pick("y", "and"))
            }
        }
    }
}

/// Local day `day` as `YYYY-MM-DD`.
fn format_date(day: i128) -> String {
    let (year, month, day) = civil_from_days(saturate(day));
    format!("{year:04}-{month:02}-{day:02}")
}

/// What a block's description says.
struct Block {
    reason: BlockReason,
    weekday: u32,
    /// The local date, `YYYY-MM-DD`.
    date: String,
    holiday: Option<Holiday>,
}

/// Day name, Monday = 0.
fn weekday_name(index_from_monday: u32, lang: Language) -> &'static str {
    const ES: [&str; 7] = [
        "lunes",
        "martes",
        "miércoles",
        "jueves",
        "viernes",
        "sábado",
        "domingo",
    ];
    const EN: [&str; 7] = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ];
    let i = (index_from_monday % 7) as usize;
    lang.pick(ES[i], EN[i])
}

/// Weekday (Monday = 0) of day number `day` since 1970-01-01 (a Thursday).
fn weekday_of_day(day: i128) -> u32 {
    (day + 3).rem_euclid(7) as u32
}

/// Weekday (Monday = 0) of the local date of local seconds `local`.
fn weekday_of_local(local: i128) -> u32 {
    weekday_of_day(local.div_euclid(i128::from(DAY)))
}

fn saturate(t: i128) -> i64 {
    i64::try_from(t).unwrap_or(if t < 0 { i64::MIN } else { i64::MAX })
}

/// `YYYY-MM-DDTHH:MM:SS` of local seconds `local`, then `suffix`.
fn format_local(local: i128, suffix: &str) -> String {
    // Local seconds stay within a day of the i64 range: the day fits i64.
    let (year, month, day) = civil_from_days(local.div_euclid(i128::from(DAY)) as i64);
    let s = local.rem_euclid(i128::from(DAY));
    let year = if (0..=9999).contains(&year) {
        format!("{year:04}")
    } else {
        format!("{year:+05}")
    };
    format!(
        "{year}-{month:02}-{day:02}T{:02}:{:02}:{:02}{suffix}",
        s / 3_600,
        s / 60 % 60,
        s % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tz::fixture::{SpanOffsets, fixture, zoneinfo_offset, zoneinfo_offsets};
    use chrono::{DateTime, Datelike, FixedOffset, TimeZone, Timelike};
    use proptest::prelude::*;
    use std::sync::OnceLock;

    const MON: u8 = 1;
    const TUE: u8 = 1 << 1;
    const SAT: u8 = 1 << 5;
    const SUN: u8 = 1 << 6;

    fn zone(name: &str) -> Zone {
        parse_zone(name).unwrap()
    }

    fn time(s: &str) -> TimeOfDay {
        parse_time(s).unwrap()
    }

    fn window(start: &str, end: &str, days: Weekdays, zone_name: &str) -> Window {
        Window::new(time(start), time(end), days, zone(zone_name)).unwrap()
    }

    fn santiago(start: &str, end: &str, days: Weekdays) -> Window {
        window(start, end, days, "America/Santiago")
    }

    /// The instant written `s` (RFC 3339 with offset), as Unix seconds.
    fn at(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp()
    }

    /// Asserts a block and returns it.
    fn closed(w: &Window, t: i64, lang: Language) -> Blocked {
        match w.status(t, lang) {
            WindowStatus::Closed(b) => b,
            WindowStatus::Open => panic!("open at {}", w.rfc3339(t)),
        }
    }

    /// Asserts that at `from` sending is blocked for `reason` until `next`.
    #[track_caller]
    fn assert_blocked(w: &Window, from: &str, reason: BlockReason, next: &str) {
        let t = at(from);
        assert!(!w.allows(t), "allowed at {from}");
        let b = closed(w, t, Language::Es);
        assert_eq!(b.reason, reason, "at {from}");
        assert_eq!(b.next_allowed, next, "from {from}");
        assert_eq!(b.wait_seconds, (at(next) - t) as u64);
        assert_eq!(w.next_allowed(t), at(next));
        assert!(w.allows(at(next)));
        assert!(!w.allows(at(next) - 1) || at(next) - 1 < t);
    }

    #[track_caller]
    fn assert_open(w: &Window, when: &str) {
        let t = at(when);
        assert!(w.allows(t), "blocked at {when}");
        assert_eq!(w.status(t, Language::En), WindowStatus::Open);
        assert_eq!(w.next_allowed(t), t);
    }

    // --- scenarios -------------------------------------------------------

    #[test]
    fn blocked_on_disabled_weekday() {
        let w = santiago("09:00:00", "18:00:00", Weekdays::WORKDAYS);
        let next = "2026-09-14T09:00:00-03:00";
        assert_blocked(
            &w,
            "2026-09-13T10:00:00-03:00",
            BlockReason::WeekdayDisabled,
            next,
        );
        let b = closed(&w, at("2026-09-13T10:00:00-03:00"), Language::Es);
        assert_eq!(b.wait_seconds, 23 * 3_600);
        assert_eq!(
            b.description,
            "Es domingo en America/Santiago, día sin envíos (días permitidos: lunes, \
             martes, miércoles, jueves y viernes; horario 09:00:00–18:00:00); el envío \
             se permite desde 2026-09-14T09:00:00-03:00."
        );
        let b = closed(&w, at("2026-09-13T10:00:00-03:00"), Language::En);
        assert_eq!(
            b.description,
            "It is Sunday in America/Santiago, a day without sending (allowed days: \
             Monday, Tuesday, Wednesday, Thursday and Friday; hours 09:00:00–18:00:00); \
             sending is allowed from 2026-09-14T09:00:00-03:00."
        );
    }

    #[test]
    fn blocked_before_start() {
        let w = santiago("09:00:00", "18:00:00", Weekdays::WORKDAYS);
        let next = "2026-09-07T09:00:00-03:00";
        assert_blocked(
            &w,
            "2026-09-07T08:59:59-03:00",
            BlockReason::OutsideHours,
            next,
        );
        assert_blocked(
            &w,
            "2026-09-07T00:00:00-03:00",
            BlockReason::OutsideHours,
            next,
        );
        assert_open(&w, next);
        let b = closed(&w, at("2026-09-07T08:00:00-03:00"), Language::Es);
        assert_eq!(
            b.description,
            "Fuera del horario permitido (09:00:00–18:00:00, America/Santiago); el envío \
             se permite desde 2026-09-07T09:00:00-03:00."
        );
        let b = closed(&w, at("2026-09-07T08:00:00-03:00"), Language::En);
        assert_eq!(
            b.description,
            "Outside the allowed hours (09:00:00–18:00:00, America/Santiago); sending is \
             allowed from 2026-09-07T09:00:00-03:00."
        );
    }

    #[test]
    fn blocked_after_end() {
        let w = santiago("09:00:00", "18:00:00", Weekdays::WORKDAYS);
        assert_open(&w, "2026-09-07T18:00:00-03:00");
        assert_open(&w, "2026-09-07T18:00:00.999-03:00");
        let tuesday = "2026-09-08T09:00:00-03:00";
        assert_blocked(
            &w,
            "2026-09-07T18:00:01-03:00",
            BlockReason::OutsideHours,
            tuesday,
        );
        assert_blocked(
            &w,
            "2026-09-07T23:59:59-03:00",
            BlockReason::OutsideHours,
            tuesday,
        );
        // Friday evening: the disabled weekend is skipped.
        let monday = "2026-09-21T09:00:00-03:00";
        assert_blocked(
            &w,
            "2026-09-18T18:00:01-03:00",
            BlockReason::OutsideHours,
            monday,
        );
        assert_blocked(
            &w,
            "2026-09-19T12:00:00-03:00",
            BlockReason::WeekdayDisabled,
            monday,
        );
    }

    #[test]
    fn overnight_window_after_midnight_is_allowed_on_the_date_after_midnight() {
        let w = santiago("22:00:00", "06:00:00", Weekdays::from_bits(TUE));
        assert!(w.is_overnight());
        // Tuesday 02:00 is allowed: its local date is the enabled Tuesday.
        assert_open(&w, "2026-09-15T02:00:00-03:00");
        assert_open(&w, "2026-09-15T00:00:00-03:00");
        assert_open(&w, "2026-09-15T06:00:00-03:00");
        assert_open(&w, "2026-09-15T22:00:00-03:00");
        assert_open(&w, "2026-09-15T23:59:59-03:00");
        // Monday night is Monday's: disabled.
        assert_blocked(
            &w,
            "2026-09-14T23:00:00-03:00",
            BlockReason::WeekdayDisabled,
            "2026-09-15T00:00:00-03:00",
        );
        assert_blocked(
            &w,
            "2026-09-15T06:00:01-03:00",
            BlockReason::OutsideHours,
            "2026-09-15T22:00:00-03:00",
        );
        let b = closed(&w, at("2026-09-15T12:00:00-03:00"), Language::Es);
        assert!(
            b.description
                .contains("22:00:00–06:00:00, cruza la medianoche")
        );
    }

    #[test]
    fn overnight_window_with_following_day_disabled() {
        let w = santiago("22:00:00", "06:00:00", Weekdays::from_bits(MON));
        assert_open(&w, "2026-09-14T23:59:59-03:00");
        // Tuesday after midnight belongs to Tuesday, which is off: next is
        // Monday's own early hours a week later.
        assert_blocked(
            &w,
            "2026-09-15T00:00:00-03:00",
            BlockReason::WeekdayDisabled,
            "2026-09-21T00:00:00-03:00",
        );
        assert_blocked(
            &w,
            "2026-09-15T03:00:00-03:00",
            BlockReason::WeekdayDisabled,
            "2026-09-21T00:00:00-03:00",
        );
    }

    /// Santiago 2026: DST starts Sunday 6 September at 04:00 UTC; local
    /// 00:00:00–00:59:59 of that Sunday does not exist (the date starts at 01:00).
    /// Office hours in Santiago, closed on Chile's holidays and on `dates`.
    fn office_closed(dates: &[(i64, u32, u32)]) -> Window {
        santiago("09:00:00", "18:00:00", Weekdays::WORKDAYS)
            .closed_on(ClosedDays::new(true, dates.iter().copied()))
    }

    #[test]
    fn a_holiday_is_closed_all_day_and_named() {
        let w = office_closed(&[]);
        // Friday 18 September 2026, mid-morning; Saturday 19 is a holiday
        // too, then Sunday: Monday 21 opens.
        assert_blocked(
            &w,
            "2026-09-18T10:00:00-03:00",
            BlockReason::Holiday,
            "2026-09-21T09:00:00-03:00",
        );
        let es = closed(&w, at("2026-09-18T10:00:00-03:00"), Language::Es).description;
        assert_eq!(
            es,
            "El 2026-09-18 es feriado en Chile (18 de septiembre: Independencia Nacional) \
             y el envío en feriados está desactivado; el envío se permite desde \
             2026-09-21T09:00:00-03:00."
        );
        let en = closed(&w, at("2026-09-18T10:00:00-03:00"), Language::En).description;
        assert!(
            en.starts_with("2026-09-18 is a public holiday in Chile"),
            "{en}"
        );
        // With sending on holidays, the same instant is open.
        assert_open(
            &santiago("09:00:00", "18:00:00", Weekdays::WORKDAYS),
            "2026-09-18T10:00:00-03:00",
        );
    }

    #[test]
    fn next_allowed_skips_a_holiday_weekend() {
        // Good Friday 3 April 2026 and Holy Saturday, then Easter Sunday
        // (a Sunday, off anyway); the window reopens on Monday 6 April.
        let w =
            santiago("09:00:00", "18:00:00", Weekdays::ALL).closed_on(ClosedDays::new(true, []));
        assert_blocked(
            &w,
            "2026-04-02T18:30:00-03:00",
            BlockReason::OutsideHours,
            "2026-04-05T09:00:00-04:00",
        );
        let office = office_closed(&[]);
        assert_blocked(
            &office,
            "2026-04-02T18:30:00-03:00",
            BlockReason::OutsideHours,
            "2026-04-06T09:00:00-04:00",
        );
    }

    #[test]
    fn closed_dates_are_closed_and_skipped_with_the_holidays_after_them() {
        // Thursday 24 December 2026 closed by the business, 25 a holiday,
        // then the weekend: Monday 28.
        let w = office_closed(&[(2026, 12, 24)]);
        assert_blocked(
            &w,
            "2026-12-24T11:00:00-03:00",
            BlockReason::ClosedDate,
            "2026-12-28T09:00:00-03:00",
        );
        let es = closed(&w, at("2026-12-24T11:00:00-03:00"), Language::Es).description;
        assert!(
            es.starts_with("El 2026-12-24 es una fecha sin envíos"),
            "{es}"
        );
        // A disabled weekday is named as such even when also closed.
        let sunday = office_closed(&[(2026, 12, 27)]);
        let b = closed(&sunday, at("2026-12-27T11:00:00-03:00"), Language::Es);
        assert_eq!(b.reason, BlockReason::WeekdayDisabled);
    }

    #[test]
    fn many_closed_days_in_a_row_still_find_the_opening() {
        // 100 days in a row from Monday 5 January 2026: the search reaches past them.
        let dates: Vec<(i64, u32, u32)> = (0..100)
            .map(|i| civil_from_days(days_from_civil(2026, 1, 5) + i))
            .collect();
        let w = office_closed(&dates);
        let t = at("2026-01-05T10:00:00-03:00");
        let next = w.next_allowed(t);
        assert!(w.allows(next));
        assert_eq!(w.rfc3339(next), "2026-04-15T09:00:00-04:00");
    }

    #[test]
    fn dates_are_strict() {
        assert_eq!(parse_date("2026-09-18"), Ok((2026, 9, 18)));
        assert_eq!(parse_date(" 2028-02-29 "), Ok((2028, 2, 29)));
        for bad in [
            "2026-02-29",
            "2026-9-18",
            "18-09-2026",
            "2026-13-01",
            "2026-00-10",
            "2026-04-31",
            "2026/09/18",
            "",
            "２０２６-09-18",
        ] {
            assert!(
                matches!(parse_date(bad), Err(WindowError::InvalidDate { .. })),
                "{bad}"
            );
        }
        let e = parse_date("2026-13-01").unwrap_err();
        assert_eq!(e.code(), ProblemCode::InvalidDate);
        assert!(e.message(Language::Es).contains("«2026-13-01»"));
    }

    #[test]
    fn santiago_dst_start_2026_date_starts_at_one() {
        let tz = zone("America/Santiago");
        let gap = chrono::NaiveDate::from_ymd_opt(2026, 9, 6)
            .unwrap()
            .and_hms_opt(0, 30, 0)
            .unwrap();
        // No instant is 00:30 local: neither offset in force around it maps
        // an instant there.
        let local = gap.and_utc().timestamp();
        let around = [tz.offset_at(local - DAY), tz.offset_at(local + DAY)];
        assert_eq!(around, [-4 * 3_600, -3 * 3_600]);
        assert!(
            around
                .iter()
                .all(|&o| tz.offset_at(local - i64::from(o)) != o)
        );
        let last_before = at("2026-09-05T23:59:59-04:00");
        let w = santiago("00:00:00", "08:00:00", Weekdays::ALL);
        assert_eq!(w.rfc3339(last_before + 1), "2026-09-06T01:00:00-03:00");
        assert_blocked(
            &w,
            "2026-09-05T12:00:00-04:00",
            BlockReason::OutsideHours,
            "2026-09-06T01:00:00-03:00",
        );
        assert_open(&w, "2026-09-06T07:59:59-03:00");
        // A day window on the change day.
        let w = santiago("09:00:00", "18:00:00", Weekdays::ALL);
        assert_blocked(
            &w,
            "2026-09-05T18:30:00-04:00",
            BlockReason::OutsideHours,
            "2026-09-06T09:00:00-03:00",
        );
        let b = closed(&w, at("2026-09-05T18:30:00-04:00"), Language::En);
        assert_eq!(b.wait_seconds, 13 * 3_600 + 30 * 60);
    }

    #[test]
    fn window_start_inside_skipped_hour_opens_after_the_gap() {
        let w = santiago("00:30:00", "06:00:00", Weekdays::ALL);
        assert_blocked(
            &w,
            "2026-09-05T12:00:00-04:00",
            BlockReason::OutsideHours,
            "2026-09-06T01:00:00-03:00",
        );
        assert_eq!(
            w.next_allowed(at("2026-09-05T12:00:00-04:00")),
            at("2026-09-06T04:00:00Z")
        );
    }

    #[test]
    fn window_entirely_inside_skipped_hour_waits_a_week() {
        let w = santiago("00:10:00", "00:50:00", Weekdays::from_bits(SUN));
        assert_blocked(
            &w,
            "2026-09-05T12:00:00-04:00",
            BlockReason::WeekdayDisabled,
            "2026-09-13T00:10:00-03:00",
        );
    }

    /// Santiago 2026: DST ends Sunday 5 April at 03:00 UTC; local Saturday
    /// 23:00:00–23:59:59 happens twice (-03:00, then -04:00).
    #[test]
    fn santiago_dst_end_2026_repeated_hour_counts_twice() {
        let w = santiago("23:30:00", "23:45:00", Weekdays::from_bits(SAT));
        assert_blocked(
            &w,
            "2026-04-04T12:00:00-03:00",
            BlockReason::OutsideHours,
            "2026-04-04T23:30:00-03:00",
        );
        assert_open(&w, "2026-04-04T23:40:00-03:00");
        // After the first occurrence ends, the second one is next.
        assert_blocked(
            &w,
            "2026-04-04T23:46:00-03:00",
            BlockReason::OutsideHours,
            "2026-04-04T23:30:00-04:00",
        );
        assert_eq!(
            closed(&w, at("2026-04-04T23:46:00-03:00"), Language::Es).wait_seconds,
            44 * 60
        );
        assert_open(&w, "2026-04-04T23:40:00-04:00");
        assert_blocked(
            &w,
            "2026-04-04T23:45:01-04:00",
            BlockReason::OutsideHours,
            "2026-04-11T23:30:00-04:00",
        );
    }

    #[test]
    fn backward_change_lands_inside_window() {
        // At 2026-04-05T03:00:00Z local time jumps from 23:59:59 (-03) back to
        // 23:00:00 (-04), straight into the window.
        let w = santiago("23:00:00", "23:30:00", Weekdays::from_bits(SAT));
        assert_blocked(
            &w,
            "2026-04-04T23:45:00-03:00",
            BlockReason::OutsideHours,
            "2026-04-04T23:00:00-04:00",
        );
        assert_eq!(
            w.next_allowed(at("2026-04-04T23:45:00-03:00")),
            at("2026-04-05T03:00:00Z")
        );
    }

    #[test]
    fn santiago_dst_end_2026_day_window() {
        let w = santiago("09:00:00", "18:00:00", Weekdays::ALL);
        assert_blocked(
            &w,
            "2026-04-05T08:00:00-04:00",
            BlockReason::OutsideHours,
            "2026-04-05T09:00:00-04:00",
        );
        // 14.5 h of wall clock plus the repeated hour.
        assert_blocked(
            &w,
            "2026-04-04T18:30:00-03:00",
            BlockReason::OutsideHours,
            "2026-04-05T09:00:00-04:00",
        );
        assert_eq!(
            closed(&w, at("2026-04-04T18:30:00-03:00"), Language::Es).wait_seconds,
            15 * 3_600 + 30 * 60
        );
    }

    #[test]
    fn santiago_dst_end_2027_repeated_hour() {
        let w = santiago("23:00:00", "23:59:59", Weekdays::from_bits(SAT));
        assert_eq!(
            w.rfc3339(at("2027-04-03T23:59:59-03:00") + 1),
            "2027-04-03T23:00:00-04:00"
        );
        assert_blocked(
            &w,
            "2027-04-03T22:00:00-03:00",
            BlockReason::OutsideHours,
            "2027-04-03T23:00:00-03:00",
        );
        assert_open(&w, "2027-04-03T23:59:59-03:00");
        assert_open(&w, "2027-04-03T23:00:00-04:00");
        assert_open(&w, "2027-04-03T23:59:59-04:00");
        assert_blocked(
            &w,
            "2027-04-04T00:00:00-04:00",
            BlockReason::WeekdayDisabled,
            "2027-04-10T23:00:00-04:00",
        );
    }

    #[test]
    fn santiago_dst_start_2027_skipped_hour() {
        let w = santiago("00:00:00", "00:59:59", Weekdays::from_bits(SUN));
        assert_blocked(
            &w,
            "2027-09-04T20:00:00-04:00",
            BlockReason::WeekdayDisabled,
            "2027-09-12T00:00:00-03:00",
        );
        let w = santiago("00:00:00", "02:00:00", Weekdays::from_bits(SUN));
        assert_blocked(
            &w,
            "2027-09-04T20:00:00-04:00",
            BlockReason::WeekdayDisabled,
            "2027-09-05T01:00:00-03:00",
        );
        let w = santiago("09:00:00", "18:00:00", Weekdays::ALL);
        assert_blocked(
            &w,
            "2027-09-05T08:59:59-03:00",
            BlockReason::OutsideHours,
            "2027-09-05T09:00:00-03:00",
        );
    }

    /// Easter Island changes at the same instants, i.e. at 22:00 local.
    #[test]
    fn easter_island_dst_2026() {
        let w = window(
            "22:00:00",
            "23:00:00",
            Weekdays::from_bits(SAT),
            "Pacific/Easter",
        );
        assert_blocked(
            &w,
            "2026-09-05T12:00:00-06:00",
            BlockReason::OutsideHours,
            "2026-09-05T23:00:00-05:00",
        );
        let w = window(
            "21:30:00",
            "21:40:00",
            Weekdays::from_bits(SAT),
            "Pacific/Easter",
        );
        assert_blocked(
            &w,
            "2026-04-04T21:41:00-05:00",
            BlockReason::OutsideHours,
            "2026-04-04T21:30:00-06:00",
        );
    }

    #[test]
    fn northern_hemisphere_dst_2026() {
        let w = window(
            "02:30:00",
            "03:00:00",
            Weekdays::from_bits(SUN),
            "America/New_York",
        );
        // 8 March 2026: 02:00–02:59 skipped.
        assert_blocked(
            &w,
            "2026-03-07T12:00:00-05:00",
            BlockReason::WeekdayDisabled,
            "2026-03-08T03:00:00-04:00",
        );
        let w = window(
            "02:00:00",
            "02:10:00",
            Weekdays::from_bits(SUN),
            "Europe/Madrid",
        );
        // 25 October 2026: 02:00–02:59 happens twice.
        assert_blocked(
            &w,
            "2026-10-25T02:11:00+02:00",
            BlockReason::OutsideHours,
            "2026-10-25T02:00:00+01:00",
        );
    }

    #[test]
    fn utc_window() {
        let w = window("09:00", "17:30", Weekdays::WORKDAYS, "UTC");
        assert_blocked(
            &w,
            "2026-01-01T17:30:01Z",
            BlockReason::OutsideHours,
            "2026-01-02T09:00:00+00:00",
        );
    }

    #[test]
    fn extreme_instants_do_not_panic() {
        let windows = [
            santiago("09:00:00", "18:00:00", Weekdays::WORKDAYS),
            santiago("22:00:00", "06:00:00", Weekdays::from_bits(SUN)),
            window("00:00:00", "00:00:01", Weekdays::from_bits(MON), "UTC"),
        ];
        for w in &windows {
            for t in [
                i64::MIN,
                i64::MIN + 1,
                -1,
                0,
                i64::MAX - 1_000_000,
                i64::MAX,
            ] {
                let next = w.next_allowed(t);
                assert!(next >= t);
                let _ = w.allows(t);
                let _ = w.rfc3339(t);
                if let WindowStatus::Closed(b) = w.status(t, Language::Es) {
                    assert!(!b.next_allowed.is_empty());
                }
            }
        }
        assert_eq!(windows[0].next_allowed(i64::MAX), i64::MAX);
    }

    #[test]
    fn rfc3339_formats() {
        let w = santiago("09:00:00", "18:00:00", Weekdays::ALL);
        assert_eq!(
            w.rfc3339(at("2026-09-07T12:00:00Z")),
            "2026-09-07T09:00:00-03:00"
        );
        assert_eq!(
            w.rfc3339(at("2026-07-01T12:00:00Z")),
            "2026-07-01T08:00:00-04:00"
        );
        // Santiago Mean Time (-04:42:45) is not whole minutes: written in UTC.
        assert_eq!(
            w.rfc3339(at("1900-01-01T12:00:00Z")),
            "1900-01-01T12:00:00Z"
        );
        let utc = window("09:00:00", "18:00:00", Weekdays::ALL, "UTC");
        assert_eq!(utc.rfc3339(0), "1970-01-01T00:00:00+00:00");
        assert_eq!(utc.rfc3339(-1), "1969-12-31T23:59:59+00:00");
        assert_eq!(utc.rfc3339(253_402_300_800), "+10000-01-01T00:00:00+00:00");
        assert_eq!(utc.rfc3339(-62_167_219_201), "-0001-12-31T23:59:59+00:00");
    }

    #[test]
    fn every_zone_finds_an_opening_within_16_days() {
        let (start, end) = (time("00:30:00"), time("00:30:01"));
        for name in crate::tz::names() {
            let tz = zone(name);
            let w = Window::new(start, end, Weekdays::from_bits(SUN), tz).unwrap();
            for from in [
                "2026-03-15T00:00:00Z",
                "2026-09-01T00:00:00Z",
                "2027-10-20T00:00:00Z",
            ] {
                let t = at(from);
                let next = w.next_allowed(t);
                assert!(w.allows(next), "{tz} from {from}");
                assert!(!w.allows(next - 1), "{tz} from {from}");
                assert!(next - t <= 16 * DAY, "{tz} from {from}");
            }
        }
    }

    /// Samoa skipped Friday 30 December 2011. Pacific/Apia is not among the
    /// kept zones, so its change (-10:00 to +14:00, daylight time on both
    /// sides) is given here as it is in the tz data.
    #[test]
    fn whole_day_skipped() {
        let tz = Zone::from_changes(
            "Pacific/Apia",
            -10 * 3_600,
            &[(at("2011-12-30T10:00:00Z"), 14 * 3_600)],
        );
        let w = Window::new(
            time("09:00"),
            time("18:00"),
            Weekdays::from_bits(1 << 4),
            tz,
        )
        .unwrap();
        let next = w.next_allowed(at("2011-12-29T12:00:00-10:00"));
        assert_eq!(w.rfc3339(next), "2012-01-06T09:00:00+14:00");
    }

    // --- parsing and errors -------------------------------------------------

    #[test]
    fn hh_mm_accepted() {
        assert_eq!(time("09:00"), time("09:00:00"));
        assert_eq!(time("23:59").seconds(), 23 * 3_600 + 59 * 60);
        assert_eq!(time("00:00"), TimeOfDay::MIDNIGHT);
        assert_eq!(time(" 18:30 ").to_string(), "18:30:00");
        assert_eq!(time("23:59:59").seconds(), 86_399);
        assert_eq!(TimeOfDay::from_seconds(86_399), Some(time("23:59:59")));
        assert_eq!(TimeOfDay::from_seconds(86_400), None);
    }

    #[test]
    fn invalid_times_refused() {
        for s in [
            "24:00:00",
            "9:00",
            "12:60:00",
            "12:00:60",
            "",
            "   ",
            "garbage",
            "9:00:00",
            "09:0",
            "09:00:0",
            "09-00-00",
            "0900",
            "09:00:00:00",
            "+9:00",
            "09:00 am",
            "１２:００",
            "09:00:00Z",
            "-1:00:00",
        ] {
            let e = parse_time(s).unwrap_err();
            assert_eq!(
                e,
                WindowError::InvalidTime {
                    value: s.to_string()
                },
                "{s:?}"
            );
            assert_eq!(e.code(), ProblemCode::InvalidTime);
            assert!(e.message(Language::Es).contains("HH:MM:SS"));
            assert!(e.message(Language::Es).contains("00:00:00 a 23:59:59"));
            assert!(e.message(Language::En).contains("00:00:00 to 23:59:59"));
        }
        let long = "x".repeat(500);
        let message = parse_time(&long).unwrap_err().message(Language::En);
        assert!(message.len() < 250, "{message}");
    }

    #[test]
    fn empty_window() {
        let t = time("09:00:00");
        let errors = Window::new(t, t, Weekdays::ALL, zone("UTC")).unwrap_err();
        assert_eq!(errors, vec![(FieldId::WindowEnd, WindowError::EmptyWindow)]);
        assert_eq!(errors[0].1.code(), ProblemCode::EmptyWindow);
        assert!(errors[0].1.message(Language::Es).contains("iguales"));
    }

    #[test]
    fn no_weekday() {
        let errors =
            Window::new(time("09:00"), time("10:00"), Weekdays::NONE, zone("UTC")).unwrap_err();
        assert_eq!(errors, vec![(FieldId::Weekdays, WindowError::NoWeekday)]);
        assert_eq!(errors[0].1.code(), ProblemCode::NoWeekday);
        assert!(
            errors[0]
                .1
                .message(Language::En)
                .contains("at least one day")
        );
        // Both at once.
        let errors =
            Window::new(time("09:00"), time("09:00"), Weekdays::NONE, zone("UTC")).unwrap_err();
        assert_eq!(
            errors,
            vec![
                (FieldId::WindowEnd, WindowError::EmptyWindow),
                (FieldId::Weekdays, WindowError::NoWeekday)
            ]
        );
    }

    #[test]
    fn unknown_zone() {
        for name in [
            "Mars/Olympus",
            "",
            "America/Santiagoo",
            "GMT+99",
            "América/Santiago",
        ] {
            let e = parse_zone(name).unwrap_err();
            assert_eq!(
                e,
                WindowError::UnknownTimeZone {
                    name: name.to_string()
                }
            );
            assert_eq!(e.code(), ProblemCode::UnknownTimeZone);
            assert!(e.message(Language::Es).contains("America/Santiago"));
            assert!(e.message(Language::En).contains("IANA"));
        }
    }

    #[test]
    fn known_zones() {
        assert_eq!(zone("America/Santiago").name(), "America/Santiago");
        assert_eq!(zone("america/santiago"), zone("America/Santiago"));
        assert_eq!(
            zone(" America/Punta_Arenas ").name(),
            "America/Punta_Arenas"
        );
        assert_eq!(zone("UTC").name(), "UTC");
        assert_eq!(zone("utc"), zone("UTC"));
        assert_eq!(zone("Etc/GMT+3").name(), "Etc/GMT+3");
        assert_eq!(zone("Chile/Continental").name(), "Chile/Continental");
        for name in [
            "Pacific/Easter",
            "America/Coyhaique",
            "Europe/Madrid",
            "America/New_York",
            "US/Eastern",
        ] {
            assert_eq!(zone(name).name(), name);
        }
    }

    // --- properties ---------------------------------------------------------

    /// The zones of the property tests.
    const ZONES: [&str; 5] = [
        "America/Santiago",
        "Pacific/Easter",
        "UTC",
        "Europe/Madrid",
        "America/New_York",
    ];
    const START_2026: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z
    const END_2027: i64 = 1_830_297_600; // 2028-01-01T00:00:00Z

    /// The rule, written plainly from the spec.
    fn rule(start: u32, end: u32, days: Weekdays, weekday: u32, w: u32) -> bool {
        days.allows(weekday)
            && if start < end {
                start <= w && w <= end
            } else {
                w >= start || w <= end
            }
    }

    /// Instant `u` as chrono's local date and time, at Python zoneinfo's
    /// offset (the fixture), not the offset of the module under test.
    fn reference_local(zoneinfo: SpanOffsets, u: i64) -> DateTime<FixedOffset> {
        let offset = FixedOffset::east_opt(zoneinfo.at(u)).unwrap();
        offset.timestamp_opt(u, 0).unwrap()
    }

    /// The rule at an instant, through the reference local date and time.
    fn reference_allows(
        zoneinfo: SpanOffsets,
        start: u32,
        end: u32,
        days: Weekdays,
        u: i64,
    ) -> bool {
        let local = reference_local(zoneinfo, u);
        rule(
            start,
            end,
            days,
            local.weekday().num_days_from_monday(),
            local.num_seconds_from_midnight(),
        )
    }

    /// Brute force: second by second from `t`. Exact shortcut: whole UTC
    /// minutes (every offset and change of these zones in 2026–2028 is whole
    /// minutes, asserted) are converted once and their 60 seconds tried with
    /// the plain rule.
    fn reference_next(
        zoneinfo: SpanOffsets,
        start: u32,
        end: u32,
        days: Weekdays,
        t: i64,
    ) -> Option<i64> {
        let mut u = t;
        while u.rem_euclid(60) != 0 {
            if reference_allows(zoneinfo, start, end, days, u) {
                return Some(u);
            }
            u += 1;
        }
        while u - t <= 16 * DAY {
            let first = reference_local(zoneinfo, u);
            let last = reference_local(zoneinfo, u + 59);
            assert_eq!(first.offset(), last.offset());
            assert_eq!(first.second(), 0);
            let weekday = first.weekday().num_days_from_monday();
            let base = first.num_seconds_from_midnight();
            for s in 0..60 {
                if rule(start, end, days, weekday, base + s) {
                    return Some(u + i64::from(s));
                }
            }
            u += 60;
        }
        None
    }

    /// Every offset change of the test zones in 2026–2027, as (zone, instant),
    /// as Python's zoneinfo lists them (the fixture).
    fn transitions() -> &'static [(usize, i64)] {
        static LIST: OnceLock<Vec<(usize, i64)>> = OnceLock::new();
        LIST.get_or_init(|| {
            let mut list = Vec::new();
            for (z, name) in ZONES.iter().enumerate() {
                let changes = &fixture().zone(name).changes;
                let in_range = changes
                    .iter()
                    .filter(|c| (START_2026..END_2027).contains(&c.0));
                list.extend(in_range.map(|c| (z, c.0)));
            }
            list
        })
    }

    #[test]
    fn test_zones_have_their_transitions() {
        let list = transitions();
        // Santiago, Easter, Madrid and New York change twice a year; UTC never.
        for (z, name) in ZONES.iter().enumerate() {
            let n = list.iter().filter(|(zz, _)| *zz == z).count();
            assert_eq!(n, if *name == "UTC" { 0 } else { 4 }, "{name}");
        }
        assert!(list.contains(&(0, at("2026-09-06T04:00:00Z"))));
        assert!(list.contains(&(0, at("2026-04-05T03:00:00Z"))));
        assert!(list.contains(&(0, at("2027-09-05T04:00:00Z"))));
        assert!(list.contains(&(0, at("2027-04-04T03:00:00Z"))));
    }

    /// Times of day, biased to whole hours and to the hours around midnight
    /// where the southern changes happen.
    fn time_of_day() -> impl Strategy<Value = u32> {
        prop_oneof![
            3 => 0u32..86_400,
            2 => (0u32..24).prop_map(|h| h * 3_600),
            1 => (0u32..24, 0u32..60).prop_map(|(h, m)| h * 3_600 + m * 60),
            2 => 75_600u32..86_400,
            2 => 0u32..7_200,
            1 => (0u32..4).prop_map(|i| [0, 86_399, 1, 86_398][i as usize]),
        ]
    }

    fn config() -> impl Strategy<Value = (u32, u32, u8)> {
        (time_of_day(), time_of_day(), 1u8..=127).prop_filter("start == end", |(s, e, _)| s != e)
    }

    /// An instant: anywhere in 2026–2027, or within 2 days of a transition.
    fn case() -> impl Strategy<Value = (usize, i64)> {
        let anywhere = (0..ZONES.len(), START_2026..END_2027);
        let near = (any::<prop::sample::Index>(), -2 * DAY..2 * DAY).prop_map(|(i, d)| {
            let (z, u) = transitions()[i.index(transitions().len())];
            (z, u + d)
        });
        let on_change = (any::<prop::sample::Index>(), -2i64..=2).prop_map(|(i, d)| {
            let (z, u) = transitions()[i.index(transitions().len())];
            (z, u + d)
        });
        prop_oneof![2 => anywhere, 3 => near, 1 => on_change]
    }

    fn check_against_reference(
        z: usize,
        t: i64,
        (start, end, bits): (u32, u32, u8),
    ) -> Result<(), TestCaseError> {
        let name = ZONES[z];
        let days = Weekdays::from_bits(bits);
        let w = Window::new(TimeOfDay(start), TimeOfDay(end), days, zone(name)).unwrap();
        let zoneinfo = zoneinfo_offsets(name, t);
        let expected = reference_next(zoneinfo, start, end, days, t);
        prop_assert!(expected.is_some());
        let got = w.next_allowed(t);
        prop_assert_eq!(Some(got), expected, "{} from {}", ZONES[z], w.rfc3339(t));
        prop_assert_eq!(w.allows(t), reference_allows(zoneinfo, start, end, days, t));
        prop_assert!(w.allows(got));
        match w.status(t, Language::Es) {
            WindowStatus::Open => prop_assert_eq!(got, t),
            WindowStatus::Closed(b) => {
                prop_assert_eq!(b.wait_seconds, (got - t) as u64);
                prop_assert_eq!(at(&b.next_allowed), got);
                let local = reference_local(zoneinfo, t);
                let day_on = days.allows(local.weekday().num_days_from_monday());
                prop_assert_eq!(b.reason == BlockReason::OutsideHours, day_on);
            }
        }
        Ok(())
    }

    /// `rfc3339` agrees with chrono's own formatting of `u` at the reference
    /// `offset`.
    fn check_rfc3339(name: &str, u: i64, offset: i32) -> Result<(), TestCaseError> {
        let w = Window::new(TimeOfDay(0), TimeOfDay(1), Weekdays::ALL, zone(name)).unwrap();
        let expected = FixedOffset::east_opt(offset)
            .unwrap()
            .timestamp_opt(u, 0)
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
        prop_assert_eq!(w.rfc3339(u), expected);
        Ok(())
    }

    fn check_no_panic(
        z: usize,
        t: i64,
        (start, end, bits): (u32, u32, u8),
    ) -> Result<(), TestCaseError> {
        let days = Weekdays::from_bits(bits);
        let w = Window::new(TimeOfDay(start), TimeOfDay(end), days, zone(ZONES[z])).unwrap();
        prop_assert!(w.next_allowed(t) >= t);
        let _ = w.status(t, Language::En);
        Ok(())
    }

    /// `parse_time` against a plain reading of the format.
    fn check_parse_time(s: &str) -> Result<(), TestCaseError> {
        let two = |p: &str| {
            (p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse::<u32>().unwrap())
        };
        let parts: Vec<&str> = s.trim().split(':').collect();
        let expected = match parts.as_slice() {
            [h, m] => two(h)
                .zip(two(m))
                .and_then(|(h, m)| TimeOfDay::from_hms(h, m, 0)),
            [h, m, s] => match (two(h), two(m), two(s)) {
                (Some(h), Some(m), Some(s)) => TimeOfDay::from_hms(h, m, s),
                _ => None,
            },
            _ => None,
        };
        prop_assert_eq!(parse_time(s).ok(), expected);
        Ok(())
    }

    #[test]
    fn every_zone_parses_by_name_in_any_case() {
        for name in crate::tz::names() {
            assert_eq!(parse_zone(name).map(Zone::name), Ok(name));
            let lower = parse_zone(&name.to_ascii_lowercase()).unwrap();
            assert!(lower.name().eq_ignore_ascii_case(name));
        }
    }

    proptest! {
        // About 2 ms a case in a debug build.
        #![proptest_config(ProptestConfig::with_cases(1_500))]

        #[test]
        fn next_allowed_matches_brute_force((z, t) in case(), cfg in config()) {
            check_against_reference(z, t, cfg)?;
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1_000))]

        #[test]
        fn rfc3339_matches_chrono(
            z in 0..ZONES.len(),
            u in START_2026 - 400 * DAY..END_2027 + 400 * DAY,
        ) {
            check_rfc3339(ZONES[z], u, zoneinfo_offset(ZONES[z], u))?;
        }

        #[test]
        fn utc_dates_match_chrono(u in -62_135_596_800i64..253_402_300_800) {
            check_rfc3339("UTC", u, 0)?;
        }

        #[test]
        fn any_instant_any_window_no_panic(
            t in any::<i64>(),
            cfg in config(),
            z in 0..ZONES.len(),
        ) {
            check_no_panic(z, t, cfg)?;
        }

        #[test]
        fn parse_never_panics(s in any::<String>()) {
            let _ = parse_time(&s);
            let _ = parse_zone(&s);
        }

        #[test]
        fn parse_time_matches_plain_definition(
            s in "[0-9: ]{0,10}|[0-2][0-9]:[0-6][0-9](:[0-6][0-9])?|\\PC{0,9}"
        ) {
            check_parse_time(&s)?;
        }
    }
}
