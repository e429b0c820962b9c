//! Proleptic Gregorian calendar arithmetic on day numbers (days since
//! 1970-01-01), after Howard Hinnant's `chrono`-compatible algorithms. Every
//! `i64` day number and every year of one is handled without overflow.

/// Day number of `year`-`month`-`day` (`month` 1..=12, `day` 1..=31).
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400); // [0, 399]
    let month = i64::from(month);
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

/// `(year, month, day)` of day number `days`.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32; // [1, 31]
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32; // [1, 12]
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Whether `year` has a 29 February.
pub(crate) fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, NaiveDate};
    use proptest::prelude::*;

    #[test]
    fn known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(civil_from_days(20_700), (2026, 9, 4));
        assert!(is_leap_year(2000) && is_leap_year(2028) && is_leap_year(-4));
        assert!(!is_leap_year(2100) && !is_leap_year(2026) && !is_leap_year(-1));
    }

    #[test]
    fn extreme_day_numbers_do_not_overflow() {
        for days in [i64::MIN / 2, i64::MAX / 2, -(1 << 47), 1 << 47] {
            let (year, month, day) = civil_from_days(days);
            assert_eq!(days_from_civil(year, month, day), days);
        }
        // The years of i64 Unix seconds, and one beyond either end.
        for year in [-292_277_026_597, 292_277_026_597] {
            let days = days_from_civil(year, 12, 31);
            assert_eq!(civil_from_days(days), (year, 12, 31));
        }
    }

    proptest! {
        #[test]
        fn agrees_with_chrono(days in -3_652_424i64..2_932_896) {
            let date = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()
                + chrono::Duration::days(days);
            let expected = (i64::from(date.year()), date.month(), date.day());
            prop_assert_eq!(civil_from_days(days), expected);
            prop_assert_eq!(days_from_civil(expected.0, expected.1, expected.2), days);
            prop_assert_eq!(is_leap_year(expected.0), date.leap_year());
        }
    }
}
