//! The zoneinfo fixture (`testdata/zoneinfo.txt`): UTC offsets of every kept
//! zone computed by Python's `zoneinfo` from the same `tzdata` package, written
//! by `scripts/gen-tzdata.py`. Its format is described at its top.
//!
//! It is the oracle of `tz`'s tests, which compare the module against it.

use std::sync::OnceLock;

/// The parsed fixture.
pub(crate) struct Fixture {
    pub(crate) version: String,
    /// Instants `start + k * step` for `k < count`.
    pub(crate) grid: (i64, i64, usize),
    /// Spans `(from, until)` in which every change is listed.
    pub(crate) complete: Vec<(i64, i64)>,
    pub(crate) zones: Vec<FixtureZone>,
}

/// One zone's expected offsets.
pub(crate) struct FixtureZone {
    /// Its canonical name.
    pub(crate) zone: String,
    /// Every accepted name with its data.
    pub(crate) names: Vec<String>,
    /// The offset at each grid instant.
    pub(crate) grid: Vec<i32>,
    /// `(instant, offset before, offset from then on)`.
    pub(crate) changes: Vec<(i64, i32, i32)>,
}

impl Fixture {
    /// The grid's instants.
    pub(crate) fn grid_instants(&self) -> impl Iterator<Item = i64> + Clone + '_ {
        let (start, step, count) = self.grid;
        (0..count as i64).map(move |k| start + k * step)
    }
}

/// The fixture, parsed once.
pub(crate) fn fixture() -> &'static Fixture {
    static PARSED: OnceLock<Fixture> = OnceLock::new();
    PARSED.get_or_init(|| parse(include_str!("testdata/zoneinfo.txt")))
}

fn parse(text: &str) -> Fixture {
    let mut fixture = Fixture {
        version: String::new(),
        grid: (0, 0, 0),
        complete: Vec::new(),
        zones: Vec::new(),
    };
    let mut offsets: Vec<i32> = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (key, rest) = line.split_once(' ').expect("a key and a value");
        let mut numbers = rest.split(' ').map(|n| n.parse::<i64>().expect("a number"));
        let mut number = || numbers.next().expect("another number");
        match key {
            "version" => fixture.version = rest.to_string(),
            "grid-instants" => fixture.grid = (number(), number(), number() as usize),
            "changes-complete" => fixture.complete.push((number(), number())),
            "zone" => fixture.zones.push(FixtureZone {
                zone: rest.to_string(),
                names: Vec::new(),
                grid: Vec::new(),
                changes: Vec::new(),
            }),
            "names" => current(&mut fixture).names = rest.split(' ').map(String::from).collect(),
            "offsets" => {
                offsets = rest
                    .split(' ')
                    .map(|o| o.parse().expect("an offset"))
                    .collect();
            }
            "grid" => current(&mut fixture).grid = run_length_decode(rest, &offsets),
            "change" => {
                let change = (number(), number() as i32, number() as i32);
                current(&mut fixture).changes.push(change);
            }
            _ => panic!("unknown fixture line {line:?}"),
        }
    }
    for zone in &fixture.zones {
        assert!(zone.changes.is_sorted_by_key(|c| c.0), "{}", zone.zone);
    }
    fixture
}

fn current(fixture: &mut Fixture) -> &mut FixtureZone {
    fixture.zones.last_mut().expect("a zone line first")
}

/// `a12b9…`: a letter per run (an index into `offsets`), then its length if
/// above 1.
fn run_length_decode(runs: &str, offsets: &[i32]) -> Vec<i32> {
    let mut samples = Vec::new();
    let mut chars = runs.chars().peekable();
    while let Some(letter) = chars.next() {
        let offset = offsets[(letter as u8 - b'a') as usize];
        let mut length = String::new();
        while let Some(digit) = chars.next_if(char::is_ascii_digit) {
            length.push(digit);
        }
        let length = if length.is_empty() {
            1
        } else {
            length.parse().unwrap()
        };
        samples.extend(std::iter::repeat_n(offset, length));
    }
    samples
}
