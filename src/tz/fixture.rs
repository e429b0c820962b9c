//! The zoneinfo fixture (`testdata/zoneinfo.txt`): UTC offsets of every kept
//! zone computed by Python's `zoneinfo` from the same `tzdata` package, written
//! by `scripts/gen-tzdata.py`. Its format is described at its top.
//!
//! It is the oracle of the tests: `tz`'s compare the module against it, and
//! `window`'s brute-force checks read offsets from it, not from the module
//! under test.

use std::collections::HashMap;
use std::sync::OnceLock;

/// The parsed fixture.
pub(crate) struct Fixture {
    pub(crate) version: String,
    /// Instants `start + k * step` for `k < count`.
    pub(crate) grid: (i64, i64, usize),
    /// Spans `(from, until)` in which every change is listed.
    pub(crate) complete: Vec<(i64, i64)>,
    pub(crate) zones: Vec<FixtureZone>,
    /// The index in `zones` of every name.
    by_name: HashMap<String, usize>,
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

    /// The zone one of whose names is `name`.
    pub(crate) fn zone(&self, name: &str) -> &FixtureZone {
        let index = self.by_name.get(name);
        &self.zones[*index.unwrap_or_else(|| panic!("{name} is not in the fixture"))]
    }
}

/// The fixture, parsed once.
pub(crate) fn fixture() -> &'static Fixture {
    static PARSED: OnceLock<Fixture> = OnceLock::new();
    PARSED.get_or_init(|| parse(include_str!("testdata/zoneinfo.txt")))
}

/// Python zoneinfo's offsets of one zone across one span in which the
/// fixture lists every change: a lookup as cheap as the module's, for the
/// brute-force checks of `window`.
#[derive(Clone, Copy)]
pub(crate) struct SpanOffsets {
    span: (i64, i64),
    /// The offset at the span's start.
    initial: i32,
    /// The changes in the span: `(instant, before, after)`.
    changes: &'static [(i64, i32, i32)],
}

impl SpanOffsets {
    /// The offset at `t`, which must lie in the span.
    pub(crate) fn at(&self, t: i64) -> i32 {
        assert!(
            (self.span.0..self.span.1).contains(&t),
            "{t} is outside the span"
        );
        match self.changes.partition_point(|c| c.0 <= t) {
            0 => self.initial,
            n => self.changes[n - 1].2,
        }
    }
}

/// Python zoneinfo's offsets of zone `name` across the complete span that
/// holds `t` (2020–2040 or a few later years).
pub(crate) fn zoneinfo_offsets(name: &str, t: i64) -> SpanOffsets {
    let fixture = fixture();
    let &(from, until) = fixture
        .complete
        .iter()
        .find(|(from, until)| (*from..*until).contains(&t))
        .unwrap_or_else(|| panic!("{t} is outside the fixture's complete spans"));
    let zone = fixture.zone(name);
    let first = zone.changes.partition_point(|c| c.0 <= from);
    let end = zone.changes.partition_point(|c| c.0 < until);
    let changes = &zone.changes[first..end];
    // Without a change in the span, the offset of a grid instant in it, or
    // past the grid (2100) of its last one.
    let initial = changes.first().map_or_else(
        || {
            let samples = fixture.grid_instants().zip(&zone.grid);
            let inside = samples
                .clone()
                .find(|(instant, _)| (from..until).contains(instant));
            *inside.or_else(|| samples.last()).expect("an empty grid").1
        },
        |c| c.1,
    );
    SpanOffsets {
        span: (from, until),
        initial,
        changes,
    }
}

/// Python zoneinfo's offset of zone `name` at `t` (see `zoneinfo_offsets`).
pub(crate) fn zoneinfo_offset(name: &str, t: i64) -> i32 {
    zoneinfo_offsets(name, t).at(t)
}

fn parse(text: &str) -> Fixture {
    let mut fixture = Fixture {
        version: String::new(),
        grid: (0, 0, 0),
        complete: Vec::new(),
        zones: Vec::new(),
        by_name: HashMap::new(),
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
    for (index, zone) in fixture.zones.iter().enumerate() {
        assert!(zone.changes.is_sorted_by_key(|c| c.0), "{}", zone.zone);
        for name in &zone.names {
            fixture.by_name.insert(name.clone(), index);
        }
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
