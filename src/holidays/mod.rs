//! Chile's national public holidays (feriados legales), computed by rule
//! for any year in [`SUPPORTED_YEARS`].
//!
//! Covered: the fixed days of Ley 2.977 and later laws, Good Friday and
//! Holy Saturday from the Gregorian Easter, the days that Ley 19.668 moves
//! to a Monday (29 June, 12 October; Corpus Christi until 2006), 31 October
//! with Ley 20.299's moves, 2 January and 17 or 20 September when Leyes
//! 20.983 and 20.215 add them, the June solstice of Ley 21.357 (computed
//! astronomically in Chile's winter time), and the days single laws
//! declared: censuses, national election and plebiscite days, Bicentennial
//! and other extra days. Regional holidays (Arica, Chillán, Papal visits,
//! regional run-offs and primaries) and the banks' 31 December are not
//! national feriados and are left out.
//!
//! A holiday is flagged [`Holiday::irrenunciable`] when every commerce
//! worker must rest (Ley 19.973 art. 2: 1 January, 1 May, 18 September,
//! 25 December since 10 September 2004; 19 September since Ley 20.629,
//! 14 September 2012; and the days a law says so, such as 15–16 May 2021).
//! Other election days close only shopping centres under one management;
//! they are not flagged.
//!
//! Future election days are not computed: whether and when a run-off or a
//! primary takes place is only known once it is called.
//!
//! # Adding a law
//!
//! Add one row to `rules::RULES`: a permanent rule as `since(first_year,
//! date_rule, name, law)`, with `.until(last_year)` once repealed and
//! `.irrenunciable_from(date)` when commerce must close; or a single day as
//! `once(year, month, day, name, law)`. Then add a test below that asserts
//! the new date (for a rule: its first year and each weekday case). A date
//! that needs a new kind of computation gets a new `rules::DateRule` variant.
//! Regenerate the comparison fixture (`scripts/gen-holiday-fixture.py`) when
//! the `holidays` package is upgraded, and document any new difference in
//! `independent_source`.

mod easter;
mod rules;
mod solstice;

use std::ops::RangeInclusive;

use chrono::{Datelike, NaiveDate, TimeDelta};

use crate::model::Language;
use rules::{DateRule, RULES, Rule};

/// The years this calendar answers for. From 2000, when Ley 19.668 began
/// moving holidays to Mondays (earlier years had other holidays, such as 11
/// September, that are not modelled), to 2100: the June solstice of 2108
/// and 2137 falls within minutes of a Chilean midnight, closer than time
/// itself (ΔT) can be predicted, so their dates are not certain (see
/// `solstice`). Outside this range no date is a holiday: [`holiday_on`]
/// answers `None` and [`holidays_in`] an empty list.
pub const SUPPORTED_YEARS: RangeInclusive<i32> = 2000..=2100;

/// A holiday's name in Spanish and English.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HolidayName {
    pub es: &'static str,
    pub en: &'static str,
}

impl HolidayName {
    /// The name in `lang`.
    pub fn get(self, lang: Language) -> &'static str {
        lang.pick(self.es, self.en)
    }
}

/// One holiday on one date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Holiday {
    /// The day off, after any move the law makes.
    pub date: NaiveDate,
    pub name: HolidayName,
    /// The law or laws that make the day a holiday, e.g. `Ley 20.299`.
    pub law: &'static str,
    /// Every commerce worker must rest (feriado obligatorio e irrenunciable).
    pub irrenunciable: bool,
}

impl Holiday {
    /// The date and name for a person, e.g. `18 de septiembre: Independencia
    /// Nacional` or `18 September: Independence Day`.
    pub fn describe(&self, lang: Language) -> String {
        const MONTHS_ES: [&str; 12] = [
            "enero",
            "febrero",
            "marzo",
            "abril",
            "mayo",
            "junio",
            "julio",
            "agosto",
            "septiembre",
            "octubre",
            "noviembre",
            "diciembre",
        ];
        const MONTHS_EN: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        let day = self.date.day();
        let month = self.date.month0() as usize;
        match lang {
            Language::Es => format!("{day} de {}: {}", MONTHS_ES[month], self.name.es),
            Language::En => format!("{day} {}: {}", MONTHS_EN[month], self.name.en),
        }
    }
}

/// The holiday on `date`, if it is one. Evaluates each rule for that year
/// only; nothing is cached or built beyond that.
///
/// When two laws fall on one date (29 June 2025: San Pedro y San Pablo and
/// the presidential primaries), the irrenunciable one wins, else the first
/// in the table (permanent holidays come before one-off days);
/// [`holidays_in`] lists both.
pub fn holiday_on(date: NaiveDate) -> Option<Holiday> {
    let year = date.year();
    if !SUPPORTED_YEARS.contains(&year) {
        return None;
    }
    let mut on_date = RULES
        .iter()
        .filter(|rule| rule.in_force(year) && rule.date.in_year(year) == Some(date))
        .map(|rule| holiday(rule, date));
    let first = on_date.next()?;
    if first.irrenunciable {
        return Some(first);
    }
    Some(on_date.find(|h| h.irrenunciable).unwrap_or(first))
}

/// Every holiday of `year`, by date, in table order within a date (empty
/// outside [`SUPPORTED_YEARS`]).
pub fn holidays_in(year: i32) -> Vec<Holiday> {
    if !SUPPORTED_YEARS.contains(&year) {
        return Vec::new();
    }
    let mut holidays: Vec<Holiday> = RULES
        .iter()
        .filter(|rule| rule.in_force(year))
        .filter_map(|rule| Some(holiday(rule, rule.date.in_year(year)?)))
        .collect();
    // Stable: holidays sharing a date keep the table's order.
    holidays.sort_by_key(|h| h.date);
    holidays
}

fn holiday(rule: &Rule, date: NaiveDate) -> Holiday {
    Holiday {
        date,
        name: rule.name,
        law: rule.law,
        irrenunciable: rule.irrenunciable_from.is_some_and(|from| date >= from),
    }
}

impl DateRule {
    /// The rule's date in `year`, if it has one that year.
    fn in_year(&self, year: i32) -> Option<NaiveDate> {
        match *self {
            DateRule::Fixed { month, day } => NaiveDate::from_ymd_opt(year, month, day),
            DateRule::Moved { month, day, shift } => {
                let nominal = NaiveDate::from_ymd_opt(year, month, day)?;
                let days = shift.0[nominal.weekday().num_days_from_monday() as usize];
                nominal.checked_add_signed(TimeDelta::days(days.into()))
            }
            DateRule::OnlyOn {
                month,
                day,
                weekday,
            } => NaiveDate::from_ymd_opt(year, month, day).filter(|d| d.weekday() == weekday),
            DateRule::Easter { days } => {
                easter::easter_sunday(year)?.checked_add_signed(TimeDelta::days(days.into()))
            }
            DateRule::FirstWeekdayOf { month, weekday } => {
                NaiveDate::from_weekday_of_month_opt(year, month, weekday, 1)
            }
            DateRule::JuneSolstice => solstice::june_solstice_date_in_chile(year),
            DateRule::Once(date) => (date.year() == year).then_some(date),
        }
    }
}

#[cfg(test)]
mod independent_source;

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Weekday;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// The holiday named `es` on `on`, asserted.
    #[track_caller]
    fn assert_holiday(on: &str, es: &str) -> Holiday {
        let found = holiday_on(date(on)).unwrap_or_else(|| panic!("{on} is no holiday"));
        assert_eq!(found.name.es, es, "{on}");
        found
    }

    #[track_caller]
    fn assert_not_holiday(on: &str) {
        if let Some(h) = holiday_on(date(on)) {
            panic!("{on} is {}", h.name.es);
        }
    }

    /// The dates in `years` of the holiday named `es`.
    fn dates_of(es: &str, years: RangeInclusive<i32>) -> Vec<NaiveDate> {
        years
            .flat_map(holidays_in)
            .filter(|h| h.name.es == es)
            .map(|h| h.date)
            .collect()
    }

    // --- fixed days --------------------------------------------------------

    #[test]
    fn fixed_days_every_supported_year() {
        let fixed = [
            ((1, 1), "Año Nuevo"),
            ((5, 1), "Día Nacional del Trabajo"),
            ((5, 21), "Día de las Glorias Navales"),
            ((8, 15), "Asunción de la Virgen"),
            ((9, 18), "Independencia Nacional"),
            ((9, 19), "Día de las Glorias del Ejército"),
            ((11, 1), "Día de Todos los Santos"),
            ((12, 8), "Inmaculada Concepción"),
            ((12, 25), "Navidad"),
        ];
        for year in SUPPORTED_YEARS {
            for ((month, day), es) in fixed {
                let on = NaiveDate::from_ymd_opt(year, month, day).unwrap();
                assert_eq!(holiday_on(on).map(|h| h.name.es), Some(es), "{on}");
            }
        }
    }

    #[test]
    fn virgen_del_carmen_from_2007() {
        assert_not_holiday("2006-07-16");
        assert_eq!(
            assert_holiday("2007-07-16", "Virgen del Carmen").law,
            "Ley 20.148"
        );
        assert_holiday("2100-07-16", "Virgen del Carmen");
    }

    // --- Easter ------------------------------------------------------------

    #[test]
    fn good_friday_and_holy_saturday_follow_easter() {
        for (friday, saturday) in [
            ("2000-04-21", "2000-04-22"),
            ("2024-03-29", "2024-03-30"),
            ("2025-04-18", "2025-04-19"),
            ("2026-04-03", "2026-04-04"),
            ("2038-04-23", "2038-04-24"),
        ] {
            assert_holiday(friday, "Viernes Santo");
            assert_holiday(saturday, "Sábado Santo");
        }
    }

    #[test]
    fn corpus_christi_on_its_monday_until_2006() {
        assert_holiday("2000-06-19", "Corpus Christi"); // Thursday 22 June moved back
        assert_not_holiday("2000-06-22");
        assert_holiday("2006-06-12", "Corpus Christi");
        assert!(dates_of("Corpus Christi", 2007..=2100).is_empty());
        for d in dates_of("Corpus Christi", 2000..=2006) {
            assert_eq!(d.weekday(), Weekday::Mon, "{d}");
        }
    }

    // --- moved to a Monday (Ley 19.668) ------------------------------------

    #[test]
    fn san_pedro_y_san_pablo_moves_by_weekday() {
        // 29 June on each weekday: Mon stays, Tue–Thu back to Monday,
        // Fri on to Monday, Sat and Sun stay.
        let cases = [
            ("2026-06-29", "2026-06-29"), // Monday
            ("2021-06-29", "2021-06-28"), // Tuesday
            ("2022-06-29", "2022-06-27"), // Wednesday
            ("2023-06-29", "2023-06-26"), // Thursday
            ("2018-06-29", "2018-07-02"), // Friday
            ("2019-06-29", "2019-06-29"), // Saturday
            ("2025-06-29", "2025-06-29"), // Sunday
        ];
        for (nominal, observed) in cases {
            assert_holiday(observed, "San Pedro y San Pablo");
            if nominal != observed {
                assert_not_holiday(nominal);
            }
        }
    }

    #[test]
    fn encuentro_de_dos_mundos_moves_by_weekday() {
        let cases = [
            ("2020-10-12", "2020-10-12"), // Monday
            ("2021-10-12", "2021-10-11"), // Tuesday
            ("2022-10-12", "2022-10-10"), // Wednesday
            ("2023-10-12", "2023-10-09"), // Thursday
            ("2018-10-12", "2018-10-15"), // Friday
            ("2019-10-12", "2019-10-12"), // Saturday
            ("2025-10-12", "2025-10-12"), // Sunday
        ];
        for (nominal, observed) in cases {
            assert_holiday(observed, "Encuentro de Dos Mundos");
            if nominal != observed {
                assert_not_holiday(nominal);
            }
        }
    }

    #[test]
    fn monday_holidays_land_on_monday_or_weekend() {
        for name in ["San Pedro y San Pablo", "Encuentro de Dos Mundos"] {
            for d in dates_of(name, SUPPORTED_YEARS) {
                assert!(
                    matches!(d.weekday(), Weekday::Mon | Weekday::Sat | Weekday::Sun),
                    "{name} on {d}"
                );
            }
        }
    }

    // --- 31 October (Ley 20.299) -------------------------------------------

    #[test]
    fn iglesias_evangelicas_from_2008_with_its_moves() {
        const NAME: &str = "Día Nacional de las Iglesias Evangélicas y Protestantes";
        assert_not_holiday("2007-10-31");
        assert_holiday("2008-10-31", NAME); // Friday, first year
        assert_holiday("2023-10-27", NAME); // Tuesday 31st: the Friday before
        assert_not_holiday("2023-10-31");
        assert_holiday("2018-11-02", NAME); // Wednesday 31st: the Friday after
        assert_not_holiday("2018-10-31");
        assert_holiday("2019-10-31", NAME); // Thursday stays
        assert_holiday("2022-10-31", NAME); // Monday stays
        assert_holiday("2021-10-31", NAME); // Sunday stays
        for d in dates_of(NAME, SUPPORTED_YEARS) {
            assert_ne!(d.weekday(), Weekday::Tue, "{d}");
            assert_ne!(d.weekday(), Weekday::Wed, "{d}");
        }
    }

    // --- conditional days --------------------------------------------------

    #[test]
    fn second_of_january_when_new_year_is_a_sunday_from_2017() {
        assert_not_holiday("2012-01-02"); // 1 January 2012 was a Sunday, before the law
        assert_eq!(
            assert_holiday("2017-01-02", "Feriado de Año Nuevo").law,
            "Ley 20.983"
        );
        assert_holiday("2023-01-02", "Feriado de Año Nuevo");
        assert_holiday("2034-01-02", "Feriado de Año Nuevo");
        assert_not_holiday("2024-01-02"); // 1 January a Monday
        assert_not_holiday("2028-01-02"); // 1 January a Saturday
        for d in dates_of("Feriado de Año Nuevo", SUPPORTED_YEARS) {
            assert_eq!(d.weekday(), Weekday::Mon);
        }
    }

    #[test]
    fn september_17_and_20_by_weekday() {
        // Ley 20.215: Monday 17 (18 on Tuesday), first applied in 2007.
        assert_eq!(
            assert_holiday("2007-09-17", "Fiestas Patrias").law,
            "Ley 20.215"
        );
        assert_holiday("2018-09-17", "Fiestas Patrias");
        assert_not_holiday("2001-09-17"); // Monday, before the law
        // Ley 20.215: Friday 20 (18 on Wednesday).
        assert_eq!(
            assert_holiday("2019-09-20", "Fiestas Patrias").law,
            "Ley 20.215"
        );
        assert_holiday("2024-09-20", "Fiestas Patrias");
        assert_holiday("2013-09-20", "Fiestas Patrias");
        // Ley 20.983: Friday 17 (18 on Saturday), from 2017.
        assert_eq!(
            assert_holiday("2021-09-17", "Fiestas Patrias").law,
            "Ley 20.983"
        );
        assert_holiday("2027-09-17", "Fiestas Patrias");
        assert_not_holiday("2015-09-17"); // 2010's Friday 17 was its own law
        // No extra day otherwise.
        assert_not_holiday("2025-09-17"); // Wednesday
        assert_not_holiday("2025-09-20"); // Saturday
        assert_not_holiday("2026-09-17"); // Thursday
        assert_not_holiday("2023-09-20"); // Wednesday
    }

    #[test]
    fn dia_de_la_unidad_nacional_2000_and_2001() {
        assert_holiday("2000-09-04", "Día de la Unidad Nacional");
        assert_holiday("2001-09-03", "Día de la Unidad Nacional");
        assert!(dates_of("Día de la Unidad Nacional", 2002..=2100).is_empty());
    }

    // --- solstice (Ley 21.357) ---------------------------------------------

    #[test]
    fn pueblos_indigenas_on_the_solstice_from_2021() {
        const NAME: &str = "Día Nacional de los Pueblos Indígenas";
        assert!(dates_of(NAME, 2000..=2020).is_empty());
        // 2021 by the transitional article (the solstice was 20 June, 23:32 in Chile).
        assert_holiday("2021-06-21", NAME);
        assert_not_holiday("2021-06-20");
        for on in [
            "2022-06-21",
            "2023-06-21",
            "2024-06-20",
            "2025-06-20",
            "2026-06-21",
        ] {
            assert_holiday(on, NAME);
        }
        for year in 2022..=2100 {
            let d = dates_of(NAME, year..=year);
            assert_eq!(d.len(), 1, "{year}");
            assert!(
                (20..=22).contains(&d[0].day()) && d[0].month() == 6,
                "{}",
                d[0]
            );
        }
    }

    // --- irrenunciables ----------------------------------------------------

    #[test]
    fn irrenunciables_follow_ley_19973_and_its_extensions() {
        let irrenunciable = |on: &str| holiday_on(date(on)).unwrap().irrenunciable;
        // Ley 19.973 in force from 10 September 2004.
        assert!(!irrenunciable("2004-05-01"));
        assert!(irrenunciable("2004-09-18"));
        assert!(irrenunciable("2004-12-25"));
        assert!(!irrenunciable("2004-01-01"));
        assert!(irrenunciable("2005-01-01"));
        assert!(irrenunciable("2005-05-01"));
        // 19 September from Ley 20.629 (14 September 2012).
        assert!(!irrenunciable("2011-09-19"));
        assert!(irrenunciable("2012-09-19"));
        // 15 and 16 May 2021 by Ley 21.341; other election days are not.
        assert!(irrenunciable("2021-05-15"));
        assert!(irrenunciable("2021-05-16"));
        assert!(!irrenunciable("2025-11-16"));
        // Exactly five a year in ordinary years.
        for year in [2013, 2026, 2050, 2100] {
            let flagged: Vec<String> = holidays_in(year)
                .iter()
                .filter(|h| h.irrenunciable)
                .map(|h| h.date.format("%m-%d").to_string())
                .collect();
            assert_eq!(
                flagged,
                ["01-01", "05-01", "09-18", "09-19", "12-25"],
                "{year}"
            );
        }
    }

    // --- one-off days ------------------------------------------------------

    #[test]
    fn one_off_days_by_law() {
        let cases = [
            (
                "2002-04-24",
                "Censo Nacional de Población y Vivienda",
                "Ley 17.374",
            ),
            ("2004-09-17", "Fiestas Patrias", "Ley 19.973 art. 1"),
            ("2010-09-17", "Fiestas Patrias (Bicentenario)", "Ley 20.450"),
            ("2010-09-20", "Fiestas Patrias (Bicentenario)", "Ley 20.450"),
            (
                "2017-04-19",
                "Censo Nacional de Población y Vivienda",
                "Ley 17.374",
            ),
            ("2020-10-25", "Plebiscito nacional", rules_electoral_law()),
            (
                "2022-09-16",
                "Fiestas Patrias",
                "Ley de 2022 que declara feriado el 16 de septiembre",
            ),
            (
                "2024-10-26",
                "Elecciones municipales y regionales",
                "Ley 18.700; Ley 21.693 (elección en dos días)",
            ),
            (
                "2025-12-14",
                "Segunda vuelta presidencial",
                rules_electoral_law(),
            ),
        ];
        for (on, es, law) in cases {
            assert_eq!(assert_holiday(on, es).law, law, "{on}");
        }
        // A one-off day does not recur.
        assert_not_holiday("2023-09-16");
        assert_not_holiday("2011-09-20");
    }

    fn rules_electoral_law() -> &'static str {
        "Ley 18.700 (feriado el día de elecciones y plebiscitos)"
    }

    #[test]
    fn shared_dates_are_only_the_known_ones() {
        let shared: Vec<NaiveDate> = SUPPORTED_YEARS
            .flat_map(holidays_in)
            .collect::<Vec<_>>()
            .windows(2)
            .filter(|pair| pair[0].date == pair[1].date)
            .map(|pair| pair[0].date)
            .collect();
        // A new shared date needs a look: which name should a user see?
        assert_eq!(shared, [date("2025-06-29")]);
        let names: Vec<&str> = holidays_in(2025)
            .into_iter()
            .filter(|h| h.date == date("2025-06-29"))
            .map(|h| h.name.es)
            .collect();
        assert_eq!(
            names,
            [
                "San Pedro y San Pablo",
                "Elecciones primarias presidenciales"
            ]
        );
        assert_holiday("2025-06-29", "San Pedro y San Pablo");
    }

    // --- API ---------------------------------------------------------------

    #[test]
    fn holidays_in_agrees_with_holiday_on() {
        for year in [2000, 2010, 2021, 2024, 2025, 2026, 2100] {
            let listed = holidays_in(year);
            assert!(
                listed.windows(2).all(|w| w[0].date <= w[1].date),
                "{year} sorted"
            );
            let mut day = NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
            while day.year() == year {
                let listed_on_day: Vec<&Holiday> =
                    listed.iter().filter(|h| h.date == day).collect();
                match holiday_on(day) {
                    Some(found) => assert!(listed_on_day.contains(&&found), "{day}"),
                    None => assert!(listed_on_day.is_empty(), "{day}"),
                }
                day = day.succ_opt().unwrap();
            }
        }
    }

    #[test]
    fn year_2026_in_full() {
        let listed: Vec<String> = holidays_in(2026)
            .iter()
            .map(|h| h.describe(Language::Es))
            .collect();
        assert_eq!(
            listed,
            [
                "1 de enero: Año Nuevo",
                "3 de abril: Viernes Santo",
                "4 de abril: Sábado Santo",
                "1 de mayo: Día Nacional del Trabajo",
                "21 de mayo: Día de las Glorias Navales",
                "21 de junio: Día Nacional de los Pueblos Indígenas",
                "29 de junio: San Pedro y San Pablo",
                "16 de julio: Virgen del Carmen",
                "15 de agosto: Asunción de la Virgen",
                "18 de septiembre: Independencia Nacional",
                "19 de septiembre: Día de las Glorias del Ejército",
                "12 de octubre: Encuentro de Dos Mundos",
                "31 de octubre: Día Nacional de las Iglesias Evangélicas y Protestantes",
                "1 de noviembre: Día de Todos los Santos",
                "8 de diciembre: Inmaculada Concepción",
                "25 de diciembre: Navidad",
            ]
        );
    }

    #[test]
    fn describe_in_english() {
        let h = holiday_on(date("2025-09-18")).unwrap();
        assert_eq!(h.describe(Language::En), "18 September: Independence Day");
        assert_eq!(h.name.get(Language::En), "Independence Day");
        assert_eq!(h.name.get(Language::Es), "Independencia Nacional");
    }

    #[test]
    fn outside_the_supported_years_nothing_is_a_holiday() {
        assert_eq!(holiday_on(date("1999-01-01")), None);
        assert_eq!(holiday_on(date("2101-01-01")), None);
        assert!(holidays_in(1999).is_empty());
        assert!(holidays_in(2101).is_empty());
        assert!(holidays_in(i32::MIN).is_empty());
        assert!(holidays_in(i32::MAX).is_empty());
        assert_eq!(holiday_on(NaiveDate::MIN), None);
        assert_eq!(holiday_on(NaiveDate::MAX), None);
        assert!(holiday_on(date("2000-01-01")).is_some());
        assert!(holiday_on(date("2100-12-25")).is_some());
    }

    #[test]
    fn ordinary_days_are_not_holidays() {
        for on in [
            "2026-03-02",
            "2026-09-17",
            "2026-12-24",
            "2026-12-31",
            "2025-06-21",
        ] {
            assert_not_holiday(on);
        }
    }
}
