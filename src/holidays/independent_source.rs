//! The calendar against an independent source: the PyPI package `holidays`
//! 0.109 for Chile (public holidays, no subdivision), 2000–2050, as written
//! to `tests/data/chile-holidays.tsv` by `scripts/gen-holiday-fixture.py`.
//!
//! Result: every one of the package's 818 dates is a holiday here, and the
//! only dates here that the package lacks are the national election and
//! plebiscite days below, which it does not model at all. Future elections
//! (2028 onwards) are in neither: their dates are fixed only when called.

use std::collections::BTreeSet;

use super::*;

const FIXTURE: &str = include_str!("../../tests/data/chile-holidays.tsv");
const YEARS: RangeInclusive<i32> = 2000..=2050;

/// Dates that are holidays by law but missing from the package, each with
/// the law that decides it. All are election or plebiscite days: feriados
/// legales by Ley 18.700 (primaries by Ley 20.640).
const ONLY_BY_LAW: &[(&str, &str)] = &[
    ("2000-01-16", "Ley 18.700: presidential run-off"),
    ("2000-10-29", "Ley 18.700: municipal elections"),
    ("2001-12-16", "Ley 18.700: parliamentary elections"),
    ("2004-10-31", "Ley 18.700: municipal elections"),
    (
        "2005-12-11",
        "Ley 18.700: presidential and parliamentary elections",
    ),
    ("2006-01-15", "Ley 18.700: presidential run-off"),
    ("2008-10-26", "Ley 18.700: municipal elections"),
    (
        "2009-12-13",
        "Ley 18.700: presidential and parliamentary elections",
    ),
    ("2010-01-17", "Ley 18.700: presidential run-off"),
    ("2012-10-28", "Ley 18.700: municipal elections"),
    ("2013-06-30", "Ley 20.640: presidential primaries"),
    (
        "2013-11-17",
        "Ley 18.700: presidential and parliamentary elections",
    ),
    ("2013-12-15", "Ley 18.700: presidential run-off"),
    ("2016-10-23", "Ley 18.700: municipal elections"),
    ("2017-07-02", "Ley 20.640: presidential primaries"),
    (
        "2017-11-19",
        "Ley 18.700: presidential and parliamentary elections",
    ),
    ("2017-12-17", "Ley 18.700: presidential run-off"),
    ("2020-10-25", "Ley 18.700: national plebiscite"),
    (
        "2021-05-15",
        "Ley 18.700, Ley 21.324, Ley 21.341: elections, first day",
    ),
    (
        "2021-05-16",
        "Ley 18.700, Ley 21.324, Ley 21.341: elections, second day",
    ),
    ("2021-07-18", "Ley 20.640: presidential primaries"),
    (
        "2021-11-21",
        "Ley 18.700: presidential and parliamentary elections",
    ),
    ("2021-12-19", "Ley 18.700: presidential run-off"),
    ("2022-09-04", "Ley 18.700: national plebiscite"),
    ("2023-05-07", "Ley 18.700: Constitutional Council election"),
    ("2023-12-17", "Ley 18.700: national plebiscite"),
    (
        "2024-10-26",
        "Ley 18.700, Ley 21.693: municipal and regional elections, first day",
    ),
    (
        "2024-10-27",
        "Ley 18.700, Ley 21.693: municipal and regional elections, second day",
    ),
    (
        "2025-11-16",
        "Ley 18.700: presidential and parliamentary elections",
    ),
    ("2025-12-14", "Ley 18.700: presidential run-off"),
    // 2025-06-29 (presidential primaries, Ley 20.640) is missing from the
    // package too, but it is also San Pedro y San Pablo, which it has.
];

/// Dates the package has that are not holidays by law: none.
const ONLY_IN_PACKAGE: &[(&str, &str)] = &[];

fn parse(date: &str) -> NaiveDate {
    NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap_or_else(|e| panic!("{date}: {e}"))
}

fn package_dates() -> BTreeSet<NaiveDate> {
    FIXTURE
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (date, name) = line.split_once('\t').expect("date<TAB>name");
            assert!(!name.is_empty(), "{line}");
            parse(date)
        })
        .collect()
}

#[test]
fn fixture_covers_every_year() {
    let dates = package_dates();
    for year in YEARS {
        let in_year = dates.iter().filter(|d| d.year() == year).count();
        // 14 in 2003, 2005 and 2006; 15 or more in every other year.
        assert!(in_year >= 14, "{year}: {in_year} dates");
    }
    assert!(dates.iter().all(|d| YEARS.contains(&d.year())));
}

#[test]
fn agrees_with_python_holidays_2000_to_2050() {
    let theirs = package_dates();
    let ours: BTreeSet<NaiveDate> = YEARS.flat_map(holidays_in).map(|h| h.date).collect();

    let only_ours: Vec<NaiveDate> = ours.difference(&theirs).copied().collect();
    let only_theirs: Vec<NaiveDate> = theirs.difference(&ours).copied().collect();
    let expected_ours: Vec<NaiveDate> = ONLY_BY_LAW.iter().map(|(d, _)| parse(d)).collect();
    let expected_theirs: Vec<NaiveDate> = ONLY_IN_PACKAGE.iter().map(|(d, _)| parse(d)).collect();
    assert_eq!(
        only_ours, expected_ours,
        "holidays here that the package lacks"
    );
    assert_eq!(
        only_theirs, expected_theirs,
        "package dates that are no holiday here"
    );

    let common = ours.intersection(&theirs).count();
    assert_eq!(common, theirs.len());
    println!(
        "{common} of the package's {} dates agree; {} more here, all documented",
        theirs.len(),
        only_ours.len()
    );
}

#[test]
fn every_documented_exception_is_an_election_day_here() {
    for (on, why) in ONLY_BY_LAW {
        let holiday = holiday_on(parse(on)).unwrap_or_else(|| panic!("{on}"));
        let law = why.split(':').next().unwrap();
        let first_law = law.split(',').next().unwrap();
        assert!(
            holiday.law.starts_with(first_law),
            "{on}: {} vs {why}",
            holiday.law
        );
    }
}
