//! The June (southern winter) solstice: the date on which Ley 21.357 puts
//! the Día Nacional de los Pueblos Indígenas.
//!
//! The instant comes from Meeus, *Astronomical Algorithms* (2nd ed.),
//! chapter 27: a mean solstice polynomial corrected by 24 periodic terms,
//! within a minute of the full VSOP87 theory for 1951–2050 and a few minutes
//! for the centuries after. Dynamical time is turned into universal time with
//! Espenak & Meeus' ΔT polynomials (an extrapolation past today: a minute
//! or two of doubt by 2100, more later). Every supported year's solstice is
//! at least ten minutes from a Chilean midnight
//! (`tests::margin_from_midnight_across_supported_years`), so its date is
//! certain.

use chrono::{DateTime, NaiveDate};

/// Continental Chile's UTC offset in June: winter time, UTC−4, in force
/// every June since the law's first year (2021) and in the tz database's
/// rules for every later June it covers (checked by
/// `tests::winter_offset_matches_tz_database`). A constant, because
/// chrono-tz's tables stop in 2100 and would answer the summer offset after.
const CHILE_JUNE_OFFSET_SECONDS: i64 = -4 * 3_600;

/// The least distance from a Chilean midnight that a supported year's
/// solstice may have: ten minutes, several times the algorithm's error plus
/// ΔT's uncertainty this century. Through 2100 the closest is 2079 (11 min);
/// 2108 (3 min) and 2137 (33 s) would be too close to call, which is why
/// `SUPPORTED_YEARS` ends in 2100.
#[cfg(test)]
const MIN_MARGIN_SECONDS: i64 = 600;

/// Julian day of the Unix epoch, 1970-01-01T00:00:00Z.
const UNIX_EPOCH_JD: f64 = 2_440_587.5;

/// Meeus table 27.C: amplitude (1e-5 day), phase and rate (degrees).
const PERIODIC_TERMS: [(f64, f64, f64); 24] = [
    (485.0, 324.96, 1_934.136),
    (203.0, 337.23, 32_964.467),
    (199.0, 342.08, 20.186),
    (182.0, 27.85, 445_267.112),
    (156.0, 73.14, 45_036.886),
    (136.0, 171.52, 22_518.443),
    (77.0, 222.54, 65_928.934),
    (74.0, 296.72, 3_034.906),
    (70.0, 243.58, 9_037.513),
    (58.0, 119.81, 33_718.147),
    (52.0, 297.17, 150.678),
    (50.0, 21.02, 2_281.226),
    (45.0, 247.54, 29_929.562),
    (44.0, 325.15, 31_555.956),
    (29.0, 60.93, 4_443.417),
    (18.0, 155.12, 67_555.328),
    (17.0, 288.79, 4_562.452),
    (16.0, 198.04, 62_894.029),
    (14.0, 199.76, 31_436.921),
    (12.0, 95.39, 14_577.848),
    (12.0, 287.11, 31_931.756),
    (12.0, 320.81, 34_777.259),
    (9.0, 227.73, 1_222.114),
    (8.0, 15.45, 16_859.074),
];

/// The instant of the June solstice of `year`, in Unix seconds (UT).
/// Meaningful for years 1000..=3000 (Meeus table 27.B's range).
pub(super) fn june_solstice_unix(year: i32) -> i64 {
    let y = (f64::from(year) - 2000.0) / 1000.0;
    // Meeus table 27.B, June solstice, years +1000..+3000.
    let jde0 = 2_451_716.567_67 + 365_241.626_03 * y + 0.003_25 * y.powi(2) + 0.008_88 * y.powi(3)
        - 0.000_30 * y.powi(4);
    let t = (jde0 - 2_451_545.0) / 36_525.0;
    let w = 35_999.373 * t - 2.47;
    let delta_lambda = 1.0 + 0.033_4 * cos_degrees(w) + 0.000_7 * cos_degrees(2.0 * w);
    let s: f64 = PERIODIC_TERMS
        .iter()
        .map(|&(a, b, c)| a * cos_degrees(b + c * t))
        .sum();
    let jde = jde0 + 0.000_01 * s / delta_lambda;
    let unix_tt = (jde - UNIX_EPOCH_JD) * 86_400.0;
    (unix_tt - delta_t_seconds(year)).round() as i64
}

/// The cosine of an angle in degrees, to about 1e-8.
///
/// Not `f64::cos`: on wasm32 that links libm's cosine with its
/// argument-reduction tables, about 10 KB of the component for 26 calls
/// whose angles are exact in degrees. Reducing in degrees (exact: `%` on
/// f64 is) to [0°, 90°] and a Taylor polynomial to x¹² is enough here: the
/// largest term's amplitude is 0.005 day, so 1e-8 is far below a second.
fn cos_degrees(degrees: f64) -> f64 {
    // cos is even and 360°-periodic: fold to [0°, 180°], then to [0°, 90°].
    let folded = (degrees % 360.0).abs();
    let folded = if folded > 180.0 {
        360.0 - folded
    } else {
        folded
    };
    let (angle, sign) = if folded > 90.0 {
        (180.0 - folded, -1.0)
    } else {
        (folded, 1.0)
    };
    let x2 = angle.to_radians().powi(2);
    // 1 − x²/2! + x⁴/4! − … − x¹⁰/10! + x¹²/12!, in Horner form.
    let series = 1.0
        - x2 / 2.0
            * (1.0
                - x2 / 12.0
                    * (1.0
                        - x2 / 30.0 * (1.0 - x2 / 56.0 * (1.0 - x2 / 90.0 * (1.0 - x2 / 132.0)))));
    sign * series
}

/// ΔT = TT − UT in seconds, Espenak & Meeus (NASA, 2006) polynomials for
/// 2005 onwards (earlier years, never asked here, get the 2005 form).
fn delta_t_seconds(year: i32) -> f64 {
    let y = f64::from(year) + 0.5;
    if y < 2050.0 {
        let t = y - 2000.0;
        62.92 + 0.322_17 * t + 0.005_589 * t * t
    } else {
        let u = (y - 1820.0) / 100.0;
        let long_term = -20.0 + 32.0 * u * u;
        if y < 2150.0 {
            long_term - 0.562_8 * (2150.0 - y)
        } else {
            long_term
        }
    }
}

/// The calendar date in continental Chile of the June solstice of `year`.
pub(super) fn june_solstice_date_in_chile(year: i32) -> Option<NaiveDate> {
    let local = june_solstice_unix(year) + CHILE_JUNE_OFFSET_SECONDS;
    DateTime::from_timestamp(local, 0).map(|t| t.date_naive())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Solstice instants as published (USNO / IMCCE), to the minute.
    #[test]
    fn instants_match_published_times() {
        let published = [
            (2021, "2021-06-21T03:32:00Z"),
            (2022, "2022-06-21T09:14:00Z"),
            (2023, "2023-06-21T14:58:00Z"),
            (2024, "2024-06-20T20:51:00Z"),
            (2025, "2025-06-21T02:42:00Z"),
            (2026, "2026-06-21T08:24:00Z"),
        ];
        for (year, when) in published {
            let expected = DateTime::parse_from_rfc3339(when).unwrap().timestamp();
            let error = (june_solstice_unix(year) - expected).abs();
            assert!(error <= 60, "{year}: off by {error} s");
        }
    }

    #[test]
    fn cos_degrees_matches_std() {
        let mut degrees = -1_000_000.0;
        while degrees < 1_000_000.0 {
            let error = (cos_degrees(degrees) - degrees.to_radians().cos()).abs();
            assert!(error < 1e-8, "{degrees}: {error}");
            degrees += 0.37;
        }
        for exact in [0.0, 90.0, 180.0, 270.0, 360.0, -90.0, 45.0, 60.0] {
            let error = (cos_degrees(exact) - f64::to_radians(exact).cos()).abs();
            assert!(error < 1e-8, "{exact}: {error}");
        }
    }

    #[test]
    fn chile_dates_of_law_years() {
        let expected = [
            (2021, (6, 20)), // 23:32 on the 20th in Chile; the law's transitional article chose the 21st
            (2022, (6, 21)),
            (2023, (6, 21)),
            (2024, (6, 20)),
            (2025, (6, 20)), // 02:42 UTC on the 21st is 22:42 on the 20th in Chile
            (2026, (6, 21)),
        ];
        for (year, (month, day)) in expected {
            assert_eq!(
                june_solstice_date_in_chile(year),
                NaiveDate::from_ymd_opt(year, month, day),
                "{year}"
            );
        }
    }

    /// How close, in seconds, the solstice of `year` comes to a midnight in
    /// continental Chile: the room the date has for the algorithm's and
    /// ΔT's errors.
    fn seconds_from_midnight(year: i32) -> i64 {
        let local = (june_solstice_unix(year) + CHILE_JUNE_OFFSET_SECONDS).rem_euclid(86_400);
        local.min(86_400 - local)
    }

    #[test]
    fn margin_from_midnight_across_supported_years() {
        let (year, margin) = (2022..=*crate::holidays::SUPPORTED_YEARS.end())
            .map(|year| (year, seconds_from_midnight(year)))
            .min_by_key(|&(_, margin)| margin)
            .unwrap();
        println!("closest to midnight: {year}, {margin} s");
        assert!(margin >= MIN_MARGIN_SECONDS, "{year}: {margin} s");
    }

    #[test]
    fn winter_offset_matches_tz_database() {
        // Every June solstice of the supported years falls in Chile's UTC−4.
        let santiago = crate::tz::Zone::named("America/Santiago").unwrap();
        for year in 2021..=*crate::holidays::SUPPORTED_YEARS.end() {
            let offset = santiago.offset_at(june_solstice_unix(year));
            assert_eq!(i64::from(offset), CHILE_JUNE_OFFSET_SECONDS, "{year}");
        }
    }
}
