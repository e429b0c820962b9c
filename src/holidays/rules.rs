//! The laws, as data: one row per rule, with the years it is in force.
//!
//! Sources: the laws' texts at the Biblioteca del Congreso Nacional
//! (leychile.cl) where quoted there, the Dirección del Trabajo, the
//! Servicio Electoral's announcements, and press quotes of the laws'
//! articles; each row names its law.

use chrono::{NaiveDate, Weekday};

use super::HolidayName;

/// A holiday rule: what date, in which years, by which law.
#[derive(Clone, Copy, Debug)]
pub(super) struct Rule {
    pub(super) name: HolidayName,
    pub(super) law: &'static str,
    pub(super) date: DateRule,
    /// First year in force.
    pub(super) first_year: i32,
    /// Last year in force; `None` while the law stands.
    pub(super) last_year: Option<i32>,
    /// From this day on the holiday is irrenunciable for commerce workers
    /// (Ley 19.973 art. 2 and the laws that extended it).
    pub(super) irrenunciable_from: Option<NaiveDate>,
}

impl Rule {
    pub(super) fn in_force(&self, year: i32) -> bool {
        year >= self.first_year && self.last_year.is_none_or(|last| year <= last)
    }
}

/// How a rule picks its date in a year.
#[derive(Clone, Copy, Debug)]
pub(super) enum DateRule {
    /// The same day every year.
    Fixed { month: u32, day: u32 },
    /// A day moved according to the weekday it falls on.
    Moved {
        month: u32,
        day: u32,
        shift: WeekdayShift,
    },
    /// A day that is a holiday only when it falls on `weekday`.
    OnlyOn {
        month: u32,
        day: u32,
        weekday: Weekday,
    },
    /// Easter Sunday plus `days` (negative: before).
    Easter { days: i16 },
    /// The first `weekday` of `month`.
    FirstWeekdayOf { month: u32, weekday: Weekday },
    /// The date of the June solstice in continental Chile.
    JuneSolstice,
    /// One date, by a law for that day alone.
    Once(NaiveDate),
}

/// Days to add to a date by the weekday it falls on, Monday first. (Small
/// integers keep each table row small in the component.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct WeekdayShift(pub(super) [i8; 7]);

/// Ley 19.668: a holiday falling on Tuesday, Wednesday or Thursday moves
/// to the Monday of that week, one falling on Friday to the next Monday;
/// Monday, Saturday and Sunday stay.
pub(super) const NEAREST_MONDAY: WeekdayShift = WeekdayShift([0, -1, -2, -3, 3, 0, 0]);

/// Ley 20.299 art. 2: 31 October on a Tuesday moves to the Friday before,
/// on a Wednesday to the Friday of that week; other days stay.
pub(super) const TUESDAY_BACK_WEDNESDAY_ON_TO_FRIDAY: WeekdayShift =
    WeekdayShift([0, -4, 2, 0, 0, 0, 0]);

/// Ley 19.973 art. 2 (published 10 September 2004): 1 May, 18 September,
/// 25 December and 1 January irrenunciable for commerce workers.
const LEY_19_973_IN_FORCE: NaiveDate = date(2004, 9, 10);
/// Ley 20.629 (published 14 September 2012) added 19 September.
const LEY_20_629_IN_FORCE: NaiveDate = date(2012, 9, 14);
/// Ley 21.341: 15 and 16 May 2021 irrenunciable for all commerce workers.
const LEY_21_341_IN_FORCE: NaiveDate = date(2021, 5, 12);

/// The first year this calendar covers (see `super::SUPPORTED_YEARS`).
const FROM_START: i32 = 2000;

/// A date known at compile time; an impossible date stops the build.
const fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(date) => date,
        None => panic!("impossible date in the holiday table"),
    }
}

const fn name(es: &'static str, en: &'static str) -> HolidayName {
    HolidayName { es, en }
}

/// A rule in force from `first_year` on.
const fn since(first_year: i32, date: DateRule, name: HolidayName, law: &'static str) -> Rule {
    Rule {
        name,
        law,
        date,
        first_year,
        last_year: None,
        irrenunciable_from: None,
    }
}

/// A holiday on one date only.
const fn once(year: i32, month: u32, day: u32, name: HolidayName, law: &'static str) -> Rule {
    since(year, DateRule::Once(date(year, month, day)), name, law).until(year)
}

impl Rule {
    /// The same rule, repealed after `last_year`.
    const fn until(self, last_year: i32) -> Rule {
        Rule {
            last_year: Some(last_year),
            ..self
        }
    }

    /// The same rule, irrenunciable on its dates from `from` on.
    const fn irrenunciable_from(self, from: NaiveDate) -> Rule {
        Rule {
            irrenunciable_from: Some(from),
            ..self
        }
    }
}

const fn fixed(month: u32, day: u32) -> DateRule {
    DateRule::Fixed { month, day }
}

const fn moved(month: u32, day: u32, shift: WeekdayShift) -> DateRule {
    DateRule::Moved { month, day, shift }
}

const fn only_on(month: u32, day: u32, weekday: Weekday) -> DateRule {
    DateRule::OnlyOn {
        month,
        day,
        weekday,
    }
}

const fn easter(days: i16) -> DateRule {
    DateRule::Easter { days }
}

const fn first_monday_of(month: u32) -> DateRule {
    DateRule::FirstWeekdayOf {
        month,
        weekday: Weekday::Mon,
    }
}

const FIESTAS_PATRIAS: HolidayName = name("Fiestas Patrias", "National holiday (Fiestas Patrias)");
const CENSUS: HolidayName = name(
    "Censo Nacional de Población y Vivienda",
    "National population and housing census",
);
const PRESIDENTIAL_AND_PARLIAMENTARY: HolidayName = name(
    "Elecciones presidenciales y parlamentarias",
    "Presidential and parliamentary elections",
);
const PRESIDENTIAL_RUNOFF: HolidayName = name(
    "Segunda vuelta presidencial",
    "Presidential election run-off",
);
const MUNICIPAL: HolidayName = name("Elecciones municipales", "Municipal elections");
const PRESIDENTIAL_PRIMARIES: HolidayName = name(
    "Elecciones primarias presidenciales",
    "Presidential primary elections",
);
const PLEBISCITE: HolidayName = name("Plebiscito nacional", "National plebiscite");
const PUEBLOS_INDIGENAS: HolidayName = name(
    "Día Nacional de los Pueblos Indígenas",
    "National Indigenous Peoples' Day",
);
const BICENTENNIAL: HolidayName = name("Fiestas Patrias (Bicentenario)", "Bicentennial holiday");

/// Election and plebiscite days are feriados legales by the electoral law.
const ELECTORAL_LAW: &str = "Ley 18.700 (feriado el día de elecciones y plebiscitos)";
/// Primaries are feriados by their own law.
const PRIMARIES_LAW: &str = "Ley 20.640";

/// Every rule, permanent ones first, then the one-off days by date. One
/// row per rule, so the table is kept as written (not reflowed by rustfmt).
#[rustfmt::skip]
pub(super) const RULES: &[Rule] = &[
    // --- permanent rules: first year, date, name, law ------------------------------------------
    since(FROM_START, fixed(1, 1), name("Año Nuevo", "New Year's Day"), "Ley 2.977")
        .irrenunciable_from(LEY_19_973_IN_FORCE),
    since(2017, only_on(1, 2, Weekday::Mon), name("Feriado de Año Nuevo", "New Year holiday"), "Ley 20.983"),
    since(FROM_START, easter(-2), name("Viernes Santo", "Good Friday"), "Ley 2.977"),
    since(FROM_START, easter(-1), name("Sábado Santo", "Holy Saturday"), "Ley 2.977"),
    since(FROM_START, fixed(5, 1), name("Día Nacional del Trabajo", "Labour Day"), "Ley 2.200; Ley 18.018")
        .irrenunciable_from(LEY_19_973_IN_FORCE),
    since(FROM_START, fixed(5, 21), name("Día de las Glorias Navales", "Navy Day"), "Ley 2.977"),
    // Thursday Corpus Christi (Easter + 60) on the Monday of its week.
    since(FROM_START, easter(57), name("Corpus Christi", "Corpus Christi"), "Ley 2.977; Ley 19.668")
        .until(2006), // suprimido por Ley 20.148
    // From 2022; 2021 is a one-off row below (the law's transitional article).
    since(2022, DateRule::JuneSolstice, PUEBLOS_INDIGENAS, "Ley 21.357"),
    since(FROM_START, moved(6, 29, NEAREST_MONDAY), name("San Pedro y San Pablo", "Saints Peter and Paul"),
        "Ley 18.432; Ley 19.668"),
    since(2007, fixed(7, 16), name("Virgen del Carmen", "Our Lady of Mount Carmel"), "Ley 20.148"),
    since(FROM_START, fixed(8, 15), name("Asunción de la Virgen", "Assumption of Mary"), "Ley 2.977"),
    since(FROM_START, first_monday_of(9), name("Día de la Unidad Nacional", "National Unity Day"), "Ley 19.588")
        .until(2001), // suprimido por Ley 19.793
    // 18 on a Tuesday: Monday 17 too (Código del Trabajo art. 35 ter).
    since(2007, only_on(9, 17, Weekday::Mon), FIESTAS_PATRIAS, "Ley 20.215"),
    // 18 on a Saturday: Friday 17 too.
    since(2017, only_on(9, 17, Weekday::Fri), FIESTAS_PATRIAS, "Ley 20.983"),
    since(FROM_START, fixed(9, 18), name("Independencia Nacional", "Independence Day"), "Ley 2.977")
        .irrenunciable_from(LEY_19_973_IN_FORCE),
    since(FROM_START, fixed(9, 19), name("Día de las Glorias del Ejército", "Army Day"), "Ley 2.977")
        .irrenunciable_from(LEY_20_629_IN_FORCE),
    // 19 on a Thursday: Friday 20 too (Código del Trabajo art. 35 ter).
    since(2007, only_on(9, 20, Weekday::Fri), FIESTAS_PATRIAS, "Ley 20.215"),
    since(FROM_START, moved(10, 12, NEAREST_MONDAY), name("Encuentro de Dos Mundos", "Meeting of Two Worlds Day"),
        "Ley 3.810; Ley 19.668"),
    since(2008, moved(10, 31, TUESDAY_BACK_WEDNESDAY_ON_TO_FRIDAY),
        name("Día Nacional de las Iglesias Evangélicas y Protestantes", "Evangelical and Protestant Churches Day"),
        "Ley 20.299"),
    since(FROM_START, fixed(11, 1), name("Día de Todos los Santos", "All Saints' Day"), "Ley 2.977"),
    since(FROM_START, fixed(12, 8), name("Inmaculada Concepción", "Immaculate Conception"), "Ley 2.977"),
    since(FROM_START, fixed(12, 25), name("Navidad", "Christmas Day"), "Ley 2.977")
        .irrenunciable_from(LEY_19_973_IN_FORCE),

    // --- one-off days: date, name, law ---------------------------------------------------------
    once(2000, 1, 16, PRESIDENTIAL_RUNOFF, ELECTORAL_LAW),
    once(2000, 10, 29, MUNICIPAL, ELECTORAL_LAW),
    once(2001, 12, 16, name("Elecciones parlamentarias", "Parliamentary elections"), ELECTORAL_LAW),
    once(2002, 4, 24, CENSUS, "Ley 17.374"),
    once(2004, 9, 17, FIESTAS_PATRIAS, "Ley 19.973 art. 1"),
    once(2004, 10, 31, MUNICIPAL, ELECTORAL_LAW),
    once(2005, 12, 11, PRESIDENTIAL_AND_PARLIAMENTARY, ELECTORAL_LAW),
    once(2006, 1, 15, PRESIDENTIAL_RUNOFF, ELECTORAL_LAW),
    once(2008, 10, 26, MUNICIPAL, ELECTORAL_LAW),
    once(2009, 12, 13, PRESIDENTIAL_AND_PARLIAMENTARY, ELECTORAL_LAW),
    once(2010, 1, 17, PRESIDENTIAL_RUNOFF, ELECTORAL_LAW),
    once(2010, 9, 17, BICENTENNIAL, "Ley 20.450"),
    once(2010, 9, 20, BICENTENNIAL, "Ley 20.450"),
    once(2012, 10, 28, MUNICIPAL, ELECTORAL_LAW),
    once(2013, 6, 30, PRESIDENTIAL_PRIMARIES, PRIMARIES_LAW),
    once(2013, 11, 17, PRESIDENTIAL_AND_PARLIAMENTARY, ELECTORAL_LAW),
    once(2013, 12, 15, PRESIDENTIAL_RUNOFF, ELECTORAL_LAW),
    once(2016, 10, 23, MUNICIPAL, ELECTORAL_LAW),
    once(2017, 4, 19, CENSUS, "Ley 17.374"),
    once(2017, 7, 2, PRESIDENTIAL_PRIMARIES, PRIMARIES_LAW),
    once(2017, 11, 19, PRESIDENTIAL_AND_PARLIAMENTARY, ELECTORAL_LAW),
    once(2017, 12, 17, PRESIDENTIAL_RUNOFF, ELECTORAL_LAW),
    once(2020, 10, 25, PLEBISCITE, ELECTORAL_LAW),
    once(2021, 5, 15, ELECTIONS_MAY_2021, ELECTIONS_MAY_2021_LAWS).irrenunciable_from(LEY_21_341_IN_FORCE),
    once(2021, 5, 16, ELECTIONS_MAY_2021, ELECTIONS_MAY_2021_LAWS).irrenunciable_from(LEY_21_341_IN_FORCE),
    // The solstice was 20 June at 23:32 in Chile; the transitional article chose Monday 21.
    once(2021, 6, 21, PUEBLOS_INDIGENAS, "Ley 21.357 (artículo transitorio)"),
    once(2021, 7, 18, PRESIDENTIAL_PRIMARIES, PRIMARIES_LAW),
    once(2021, 11, 21, PRESIDENTIAL_AND_PARLIAMENTARY, ELECTORAL_LAW),
    once(2021, 12, 19, PRESIDENTIAL_RUNOFF, ELECTORAL_LAW),
    once(2022, 9, 4, PLEBISCITE, ELECTORAL_LAW),
    once(2022, 9, 16, FIESTAS_PATRIAS, "Ley de 2022 que declara feriado el 16 de septiembre"),
    once(2023, 5, 7, name("Elección de consejeros constitucionales", "Constitutional Council election"),
        ELECTORAL_LAW),
    once(2023, 12, 17, PLEBISCITE, ELECTORAL_LAW),
    // Voting over two days; the Servicio Electoral announced both as feriados legales.
    once(2024, 10, 26, MUNICIPAL_AND_REGIONAL, ELECTIONS_OCTOBER_2024_LAWS),
    once(2024, 10, 27, MUNICIPAL_AND_REGIONAL, ELECTIONS_OCTOBER_2024_LAWS),
    once(2025, 6, 29, PRESIDENTIAL_PRIMARIES, PRIMARIES_LAW),
    once(2025, 11, 16, PRESIDENTIAL_AND_PARLIAMENTARY, ELECTORAL_LAW),
    once(2025, 12, 14, PRESIDENTIAL_RUNOFF, ELECTORAL_LAW),
];

const ELECTIONS_MAY_2021: HolidayName = name(
    "Elecciones municipales, regionales y de convencionales constituyentes",
    "Municipal, regional and Constitutional Convention elections",
);
const ELECTIONS_MAY_2021_LAWS: &str = "Ley 18.700; Ley 21.324 (fecha); Ley 21.341 (irrenunciable)";
const MUNICIPAL_AND_REGIONAL: HolidayName = name(
    "Elecciones municipales y regionales",
    "Municipal and regional elections",
);
const ELECTIONS_OCTOBER_2024_LAWS: &str = "Ley 18.700; Ley 21.693 (elección en dos días)";
