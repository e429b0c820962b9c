//! The validator against libphonenumber itself: `testdata/oracle.tsv` holds
//! the verdicts of PyPI `phonenumbers` (the Python port of libphonenumber, a
//! separate implementation of the same metadata) on a seeded sample, written
//! by `scripts/gen-phone-metadata.py` (its header describes the lines).
//!
//! Every verdict must agree, except the documented differences of
//! [`super`]: more than 15 digits, and a national prefix typed after the
//! country code, which libphonenumber's `parse` drops and this module refuses.

use super::chile::CHILE;
use super::*;
use crate::model::{Explain, ProblemCode};
use std::collections::BTreeMap;

const ORACLE: &str = include_str!("testdata/oracle.tsv");

/// What the oracle says of a number, as this module's outcome would be.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Valid(NumberType),
    WrongLength,
    NotInPlan,
    UnknownCountry,
}

/// libphonenumber's type code in the oracle, `None` for "-" (invalid).
fn oracle_type(code: &str) -> Option<NumberType> {
    Some(match code {
        "F" => NumberType::FixedLine,
        "M" => NumberType::Mobile,
        "FM" => NumberType::FixedLineOrMobile,
        "TF" => NumberType::TollFree,
        "PR" => NumberType::PremiumRate,
        "SC" => NumberType::SharedCost,
        "V" => NumberType::Voip,
        "PN" => NumberType::PersonalNumber,
        "PG" => NumberType::Pager,
        "U" => NumberType::Uan,
        "VM" => NumberType::Voicemail,
        "-" => return None,
        other => panic!("unknown type code {other:?} in the oracle"),
    })
}

/// The type this module gives a number libphonenumber types `kind`: the same,
/// except Chile's fixed and mobile types, told apart by the `9` prefix.
fn expected_type(digits: &str, kind: NumberType) -> NumberType {
    match digits.strip_prefix("56") {
        Some(national) => chile::resolve(national, kind),
        None => kind,
    }
}

fn verdict(result: &Result<PhoneNumber, NumberError>) -> Verdict {
    match result {
        Ok(n) => Verdict::Valid(n.kind),
        Err(NumberError::WrongLength { .. }) => Verdict::WrongLength,
        Err(NumberError::NotInPlan { .. }) => Verdict::NotInPlan,
        Err(NumberError::UnknownCountry { .. }) => Verdict::UnknownCountry,
        Err(other) => panic!("unexpected {other:?} for international digits"),
    }
}

/// Tallies of one kind of line.
#[derive(Default)]
struct Tally {
    agreed: usize,
    exceptions: BTreeMap<&'static str, usize>,
    disagreements: Vec<String>,
}

impl Tally {
    fn check(&mut self, agrees: bool, line: &str, ours: impl std::fmt::Debug) {
        if agrees {
            self.agreed += 1;
        } else {
            self.disagreements.push(format!("{line:?}: ours {ours:?}"));
        }
    }

    fn except(&mut self, why: &'static str) {
        *self.exceptions.entry(why).or_default() += 1;
    }
}

/// An international line (`+`): validity, the reason when invalid, the type,
/// and the recipient verdict (mobile, not mobile, not SMS-capable).
fn check_international(tally: &mut Tally, line: &str, fields: &[&str]) {
    let [digits, code, possible, kind] = fields else {
        panic!("malformed line {line:?}");
    };
    let ours = parse(&format!("+{digits}"));
    let expected = match (oracle_type(kind), *possible) {
        (_, "cc") => Verdict::UnknownCountry,
        (kind, "ok") if digits.len() > MAX_DIGITS => {
            assert_eq!(verdict(&ours), Verdict::WrongLength, "{line:?}");
            return tally.except(if kind.is_some() {
                "valid, but over 15 digits (E.164)"
            } else {
                "invalid, of a possible length, but over 15 digits (E.164)"
            });
        }
        (Some(kind), "ok") => Verdict::Valid(expected_type(digits, kind)),
        (None, "ok") => Verdict::NotInPlan,
        _ => Verdict::WrongLength,
    };
    let country_agrees = match &ours {
        Ok(n) => n.country_code.to_string() == *code,
        Err(NumberError::WrongLength { country_code, .. }) => {
            country_code.map(|c| c.to_string()).as_deref() == Some(code)
        }
        Err(NumberError::NotInPlan { country_code }) => country_code.to_string() == *code,
        Err(_) => *code == "0",
    };
    let reach_agrees = match &ours {
        Ok(n) => {
            let reach = match oracle_type(kind).map(|k| expected_type(digits, k)) {
                Some(NumberType::Mobile | NumberType::FixedLineOrMobile) => Ok(()),
                Some(NumberType::FixedLine | NumberType::Voip) => Err(ProblemCode::NotMobile),
                _ => Err(ProblemCode::NotSmsCapable),
            };
            require_mobile(n).map_err(|e| e.code()) == reach
        }
        Err(_) => true,
    };
    let digits_agree = ours.as_ref().map_or(true, |n| n.digits == *digits);
    tally.check(
        verdict(&ours) == expected && country_agrees && reach_agrees && digits_agree,
        line,
        ours,
    );
}

/// The digits Siptel would receive for a typed international form.
fn typed_digits(text: &str) -> String {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    match digits.strip_prefix("00") {
        Some(rest) if !text.trim_start().starts_with('+') => rest.to_string(),
        _ => digits,
    }
}

/// A typed form (`t`): the same digits and verdict as libphonenumber's
/// `parse`, unless `parse` dropped a national prefix.
fn check_typed(tally: &mut Tally, line: &str, fields: &[&str]) {
    let [text, e164, kind] = fields else {
        panic!("malformed line {line:?}");
    };
    let ours = parse(text);
    match oracle_type(kind) {
        Some(kind) if typed_digits(text) == *e164 => {
            let expected = expected_type(e164, kind);
            tally.check(
                ours.as_ref()
                    .is_ok_and(|n| n.digits == *e164 && n.kind == expected),
                line,
                ours,
            );
        }
        Some(_) => {
            assert!(ours.is_err(), "{line:?}: {ours:?}");
            tally.except("national prefix after the country code");
        }
        None => tally.check(ours.is_err(), line, ours),
    }
}

/// A Chilean national form (`n`) or a Santiago local form (`s`): the fixed
/// form suggested is libphonenumber's reading of it.
fn check_national(tally: &mut Tally, line: &str, fields: &[&str], santiago: bool) {
    let [text, e164, kind] = fields else {
        panic!("malformed line {line:?}");
    };
    let ours = parse(text);
    let suggestion = match &ours {
        Err(NumberError::MissingCountryCode { suggestion }) if !santiago => Some(suggestion),
        Err(NumberError::SantiagoWithoutAreaCode { suggestion }) if santiago => Some(suggestion),
        _ => None,
    };
    let digits = typed_digits(text);
    let national = digits.strip_prefix('0').unwrap_or(&digits);
    let agrees = match oracle_type(kind) {
        Some(_) => suggestion.is_some_and(|s| s == e164),
        // 9 digits starting with 9 read as a Chilean mobile even when unassigned.
        None if !santiago && national.len() == 9 && national.starts_with('9') => {
            ours == Err(NumberError::NotInPlan {
                country_code: CHILE,
            })
        }
        None => suggestion.is_none(),
    };
    tally.check(agrees, line, ours);
}

/// The kinds of lines, by tag, in the order the figures are printed.
const LINE_KINDS: [(&str, &str); 4] = [
    ("+", "international digits"),
    ("t", "typed forms"),
    ("n", "Chilean national forms"),
    ("s", "Santiago local forms"),
];

#[test]
fn agrees_with_libphonenumber() {
    let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
    for line in ORACLE.lines().filter(|l| !l.starts_with('#')) {
        let (tag, rest) = line.split_once('\t').expect("a tagged line");
        let fields: Vec<&str> = rest.split('\t').collect();
        let tally = tallies.entry(tag).or_default();
        match tag {
            "+" => check_international(tally, line, &fields),
            "t" => check_typed(tally, line, &fields),
            "n" | "s" => check_national(tally, line, &fields, tag == "s"),
            other => panic!("unknown line tag {other:?}"),
        }
    }
    let mut failures = Vec::new();
    for (tag, name) in LINE_KINDS {
        let tally = &tallies[tag];
        let judged = tally.agreed + tally.disagreements.len();
        println!(
            "{name}: {}/{judged} agree ({:.2}%); documented exceptions: {:?}",
            tally.agreed,
            100.0 * tally.agreed as f64 / judged.max(1) as f64,
            tally.exceptions,
        );
        failures.extend(tally.disagreements.iter().take(20).cloned());
    }
    assert!(
        failures.is_empty(),
        "disagreements with libphonenumber {METADATA_VERSION}:\n{}",
        failures.join("\n")
    );
}

#[test]
fn the_oracle_covers_what_it_should() {
    let count = |tag: &str, pred: &dyn Fn(&[&str]) -> bool| {
        ORACLE
            .lines()
            .filter_map(|l| l.strip_prefix(tag)?.strip_prefix('\t'))
            .map(|l| l.split('\t').collect::<Vec<_>>())
            .filter(|f| pred(f))
            .count()
    };
    // Every 56 + 4-digit prefix from 2000 to 9999 of a 9-digit national number.
    let chilean_prefixes: std::collections::HashSet<&str> = ORACLE
        .lines()
        .filter_map(|l| l.strip_prefix("+\t56"))
        .filter(|l| l.find('\t') == Some(9))
        .filter_map(|l| l.get(..4))
        .collect();
    assert_eq!(
        (2000..10_000)
            .filter(|p| chilean_prefixes.contains(p.to_string().as_str()))
            .count(),
        8000
    );
    // Every type, valid and invalid numbers, every reason, non-geographic codes.
    for kind in [
        "F", "M", "FM", "TF", "PR", "SC", "V", "PN", "PG", "U", "VM", "-",
    ] {
        assert!(count("+", &|f| f[3] == kind) > 10, "{kind}");
    }
    for possible in ["ok", "local", "cc", "short", "long", "length"] {
        assert!(count("+", &|f| f[2] == possible) > 10, "{possible}");
    }
    for code in ["800", "808", "870", "881", "882", "883", "979"] {
        assert!(count("+", &|f| f[1] == code) > 3, "{code}");
    }
    assert!(count("t", &|_| true) > 400);
    assert!(count("n", &|f| f[2] != "-") > 50 && count("n", &|f| f[2] == "-") > 50);
    assert!(count("s", &|f| f[2] != "-") > 30);
}
