//! Easter Sunday of the Gregorian calendar, which Good Friday and Holy
//! Saturday (and, until 2006, Corpus Christi) follow.

use chrono::NaiveDate;

/// Easter Sunday of `year` by the anonymous Gregorian computus (Meeus,
/// *Astronomical Algorithms*, chapter 8), valid for every Gregorian year.
/// `None` only where chrono cannot represent the date (|year| > 262,000).
pub(super) fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, Weekday};

    #[test]
    fn known_easter_sundays() {
        // Including both extremes of the Gregorian range (22 March, 25 April).
        let known = [
            (2000, 4, 23),
            (2008, 3, 23),
            (2011, 4, 24),
            (2019, 4, 21),
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2038, 4, 25),
            (2285, 3, 22),
        ];
        for (year, month, day) in known {
            assert_eq!(
                easter_sunday(year),
                NaiveDate::from_ymd_opt(year, month, day),
                "{year}"
            );
        }
    }

    #[test]
    fn always_a_sunday_between_22_march_and_25_april() {
        for year in 1583..=4099 {
            let easter = easter_sunday(year).unwrap();
            assert_eq!(easter.weekday(), Weekday::Sun, "{year}");
            let earliest = NaiveDate::from_ymd_opt(year, 3, 22).unwrap();
            let latest = NaiveDate::from_ymd_opt(year, 4, 25).unwrap();
            assert!((earliest..=latest).contains(&easter), "{year}: {easter}");
        }
    }
}
