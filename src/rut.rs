//! Chilean RUT (Rol Único Tributario): format and modulo-11 check digit.
//!
//! Siptel identifies accounts whose IP is not registered by the RUT, written
//! `12345678-5`. People copy it from documents as `12.345.678-5`, `123456785`
//! or with a lower-case `k`; all are accepted and normalised, and the check
//! digit catches most typing errors before anything is sent.

use crate::model::{Explain, Language, ProblemCode};

/// Most digits of a RUT's body (RUTs stay below 100 million).
pub const MAX_BODY_DIGITS: usize = 8;

/// Why a text is not a valid RUT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RutError {
    /// Not of the form `12.345.678-5`, `12345678-5` or `123456785`.
    Malformed,
    /// The check digit does not match the body; `expected` is the right one.
    CheckDigit { expected: char },
}

impl Explain for RutError {
    fn code(&self) -> ProblemCode {
        match self {
            RutError::Malformed => ProblemCode::InvalidRut,
            RutError::CheckDigit { .. } => ProblemCode::RutCheckDigit,
        }
    }

    fn message(&self, lang: Language) -> String {
        match self {
            RutError::Malformed => lang.pick(
                "El RUT no tiene un formato válido: escríbalo como 12.345.678-5, 12345678-5 o \
                 123456785 (hasta 8 dígitos y un dígito verificador del 0 al 9 o K)."
                    .to_string(),
                "The RUT is not well formed: write it as 12.345.678-5, 12345678-5 or 123456785 \
                 (up to 8 digits and a check digit 0 to 9 or K)."
                    .to_string(),
            ),
            RutError::CheckDigit { expected } => lang.pick(
                format!(
                    "El dígito verificador del RUT no corresponde al número (para ese número sería \
                     {expected}): revise que el RUT esté bien copiado."
                ),
                format!(
                    "The RUT's check digit does not match its number (for that number it would be \
                     {expected}): check that the RUT was copied correctly."
                ),
            ),
        }
    }
}

/// The modulo-11 check digit of a RUT body: `0`..`9` or `K`.
pub fn check_digit(body: u32) -> char {
    let mut sum = 0u32;
    let mut n = body;
    for weight in [2u32, 3, 4, 5, 6, 7].into_iter().cycle() {
        if n == 0 {
            break;
        }
        sum += (n % 10) * weight;
        n /= 10;
    }
    match 11 - sum % 11 {
        11 => '0',
        10 => 'K',
        d => char::from_digit(d, 10).unwrap_or('0'),
    }
}

/// Validates a RUT and normalises it to `12345678-5` (no dots, a dash,
/// upper-case `K`).
///
/// Accepted: surrounding whitespace, thousands dots (only where they belong:
/// `12.345.678`), an optional dash before the check digit, `k` or `K`. Leading
/// zeros of the body are dropped. Empty input means "not used" to callers,
/// but is [`RutError::Malformed`] here.
pub fn normalize(input: &str) -> Result<String, RutError> {
    let s = input.trim();
    let mut chars = s.chars();
    let dv = chars.next_back().ok_or(RutError::Malformed)?;
    let body = chars.as_str();
    let body = body.strip_suffix('-').unwrap_or(body);
    let dv = match dv.to_ascii_uppercase() {
        c @ ('0'..='9' | 'K') => c,
        _ => return Err(RutError::Malformed),
    };
    let digits = body_digits(body).ok_or(RutError::Malformed)?;
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() || digits.len() > MAX_BODY_DIGITS {
        return Err(RutError::Malformed);
    }
    let number: u32 = digits.parse().map_err(|_| RutError::Malformed)?;
    let expected = check_digit(number);
    if dv != expected {
        return Err(RutError::CheckDigit { expected });
    }
    Ok(format!("{number}-{dv}"))
}

/// The digits of a body written `12345678` or `12.345.678` (dots exactly
/// every three digits from the right), or `None`.
fn body_digits(body: &str) -> Option<String> {
    let groups: Vec<&str> = body.split('.').collect();
    let all_digits = |g: &str| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit());
    let (first, rest) = groups.split_first()?;
    let valid = if rest.is_empty() {
        all_digits(first)
    } else {
        all_digits(first) && first.len() <= 3 && rest.iter().all(|g| g.len() == 3 && all_digits(g))
    };
    valid.then(|| groups.concat())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_check_digits() {
        assert_eq!(check_digit(12_345_678), '5');
        assert_eq!(check_digit(11_111_111), '1');
        assert_eq!(check_digit(76_086_428), '5');
        assert_eq!(check_digit(1), '9');
        assert_eq!(check_digit(0), '0');
    }

    #[test]
    fn check_digit_k() {
        assert_eq!(check_digit(10_000_013), 'K');
        assert_eq!(check_digit(6), 'K');
        assert_eq!(normalize("10.000.013-k"), Ok("10000013-K".into()));
    }

    #[test]
    fn check_digit_zero() {
        assert_eq!(check_digit(10_000_004), '0');
        assert_eq!(normalize("10000004-0"), Ok("10000004-0".into()));
    }

    #[test]
    fn accepts_every_documented_form() {
        for input in [
            "12.345.678-5",
            "12345678-5",
            "123456785",
            "  12.345.678-5\n",
            "12.345.6785",
        ] {
            assert_eq!(normalize(input), Ok("12345678-5".into()), "{input:?}");
        }
    }

    #[test]
    fn accepts_seven_digit_bodies() {
        assert_eq!(check_digit(1_234_567), '4');
        assert_eq!(normalize("1.234.567-4"), Ok("1234567-4".into()));
        assert_eq!(normalize("1234567-4"), Ok("1234567-4".into()));
    }

    #[test]
    fn lower_case_k_is_normalised() {
        assert_eq!(normalize("6-k"), Ok("6-K".into()));
        assert_eq!(normalize("6K"), Ok("6-K".into()));
    }

    #[test]
    fn leading_zeros_are_dropped() {
        assert_eq!(normalize("012.345.678-5"), Ok("12345678-5".into()));
    }

    #[test]
    fn wrong_check_digit_names_the_expected_one() {
        let e = normalize("12.345.678-9").unwrap_err();
        assert_eq!(e, RutError::CheckDigit { expected: '5' });
        assert_eq!(e.code(), ProblemCode::RutCheckDigit);
        assert!(e.message(Language::Es).contains("sería 5"));
        assert!(e.message(Language::En).contains("would be 5"));
        assert_eq!(
            normalize("10000013-0"),
            Err(RutError::CheckDigit { expected: 'K' })
        );
    }

    #[test]
    fn malformed_inputs() {
        for input in [
            "",
            "   ",
            "-",
            "5",
            "-5",
            "K",
            "12.345.678-",
            "12.345.678-X",
            "12,345,678-5",
            "12.34.5678-5",
            "1234.5678-5",
            ".12.345.678-5",
            "12..345.678-5",
            "12 345 678-5",
            "12345678--5",
            "12345678-55",
            "123.456.789-2",
            "0-0",
            "00000000-0",
            "１２３４５６７８-5",
            "12.345.678-５",
            "a12345678-5",
        ] {
            assert_eq!(normalize(input), Err(RutError::Malformed), "{input:?}");
        }
        assert_eq!(RutError::Malformed.code(), ProblemCode::InvalidRut);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn no_input_panics(input in any::<String>()) {
            if let Ok(rut) = normalize(&input) {
                prop_assert_eq!(normalize(&rut), Ok(rut.clone()));
            }
        }

        #[test]
        fn rut_like_input_never_panics(input in "[0-9kK.\\- ]{0,14}") {
            if let Ok(rut) = normalize(&input) {
                prop_assert_eq!(normalize(&rut), Ok(rut.clone()));
            }
        }

        #[test]
        fn every_body_with_its_digit_is_valid_in_every_form(body in 1u32..100_000_000) {
            let dv = check_digit(body);
            let canonical = format!("{body}-{dv}");
            let s = body.to_string();
            let mut dotted = String::new();
            for (i, c) in s.chars().enumerate() {
                if i > 0 && (s.len() - i) % 3 == 0 {
                    dotted.push('.');
                }
                dotted.push(c);
            }
            let lower = dv.to_ascii_lowercase();
            for form in [
                canonical.clone(),
                format!("{s}{dv}"),
                format!("{dotted}-{dv}"),
                format!(" {dotted}-{lower} "),
            ] {
                prop_assert_eq!(normalize(&form), Ok(canonical.clone()), "{}", form);
            }
        }

        #[test]
        fn a_wrong_digit_is_always_caught(body in 1u32..100_000_000, dv in "[0-9K]") {
            let dv = dv.chars().next().unwrap_or('0');
            let expected = check_digit(body);
            let result = normalize(&format!("{body}-{dv}"));
            if dv == expected {
                prop_assert!(result.is_ok());
            } else {
                prop_assert_eq!(result, Err(RutError::CheckDigit { expected }));
            }
        }
    }
}
