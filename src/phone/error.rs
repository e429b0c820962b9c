//! Why a text is not an acceptable phone number, in Spanish and English.

use super::chile::{CHILE, EXAMPLE_MOBILE};
use super::matcher::Country;
use super::{MAX_DIGITS, NumberType};
use crate::model::{Explain, Language, ProblemCode};

/// Why a text is not an acceptable phone number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NumberError {
    /// Nothing but whitespace.
    Empty,
    /// A character that is neither a digit nor a separator (the first one).
    InvalidCharacter { ch: char },
    /// Too few or too many digits. `digits`: how many it has, country code
    /// included; `country_code`: the country, when it could be told.
    WrongLength {
        digits: usize,
        country_code: Option<u16>,
    },
    /// The first digits are not an assigned country code (`code_prefix`:
    /// up to three first digits).
    UnknownCountry { code_prefix: String },
    /// A Chilean national number without `56`; `suggestion` is the fixed form.
    MissingCountryCode { suggestion: String },
    /// A Santiago landline typed in its 8-digit local form, without `56` and
    /// the area code `2`; `suggestion` is the fixed form.
    SantiagoWithoutAreaCode { suggestion: String },
    /// A possible length, but in no range the country assigned.
    NotInPlan { country_code: u16 },
    /// A landline or VoIP number, which cannot receive SMS (recipient only).
    NotMobile { kind: NumberType, country_code: u16 },
    /// A toll-free, premium-rate, shared-cost, personal, pager, UAN or
    /// voicemail number, which cannot receive SMS (recipient only).
    NotSmsCapable { kind: NumberType },
}

impl Explain for NumberError {
    fn code(&self) -> ProblemCode {
        match self {
            NumberError::Empty => ProblemCode::Required,
            NumberError::InvalidCharacter { .. } | NumberError::NotInPlan { .. } => {
                ProblemCode::InvalidNumber
            }
            NumberError::WrongLength { .. } => ProblemCode::WrongLength,
            NumberError::UnknownCountry { .. } => ProblemCode::UnknownCountry,
            NumberError::MissingCountryCode { .. }
            | NumberError::SantiagoWithoutAreaCode { .. } => ProblemCode::MissingCountryCode,
            NumberError::NotMobile { .. } => ProblemCode::NotMobile,
            NumberError::NotSmsCapable { .. } => ProblemCode::NotSmsCapable,
        }
    }

    fn message(&self, lang: Language) -> String {
        match self {
            NumberError::Empty => lang.pick(
                format!(
                    "Falta el número de teléfono: escríbalo con código de país, por ejemplo \
                     {EXAMPLE_MOBILE}."
                ),
                format!(
                    "The phone number is missing: write it with its country code, e.g. \
                     {EXAMPLE_MOBILE}."
                ),
            ),
            NumberError::InvalidCharacter { ch } => {
                let ch = show_char(*ch, lang);
                lang.pick(
                    format!(
                        "El número contiene {ch}, que no es un dígito: use solo dígitos (se admiten \
                         espacios, guiones, puntos, paréntesis y un «+» inicial), por ejemplo \
                         +56 9 6123 4567."
                    ),
                    format!(
                        "The number contains {ch}, which is not a digit: use digits only (spaces, \
                         dashes, dots, parentheses and a leading “+” are allowed), e.g. \
                         +56 9 6123 4567."
                    ),
                )
            }
            NumberError::WrongLength {
                digits,
                country_code,
            } => wrong_length(*digits, *country_code, lang),
            NumberError::UnknownCountry { code_prefix } => lang.pick(
                format!(
                    "El número empieza con {code_prefix}, que no es un código de país asignado: \
                     escríbalo en formato internacional, empezando por el código de país (56 para \
                     Chile), por ejemplo {EXAMPLE_MOBILE}."
                ),
                format!(
                    "The number starts with {code_prefix}, which is not an assigned country code: \
                     write it in international form, starting with the country code (56 for \
                     Chile), e.g. {EXAMPLE_MOBILE}."
                ),
            ),
            NumberError::MissingCountryCode { suggestion } => lang.pick(
                format!(
                    "Al número le falta el código de país 56 de Chile: escríbalo como \
                     {suggestion} (si es de otro país, escríbalo con «+» y su código de país)."
                ),
                format!(
                    "The number lacks Chile's country code 56: write it as {suggestion} (if it \
                     belongs to another country, write it with “+” and its country code)."
                ),
            ),
            NumberError::SantiagoWithoutAreaCode { suggestion } => lang.pick(
                format!(
                    "El número parece un teléfono fijo de Santiago escrito sin el código de país \
                     56 ni el código de área 2: escríbalo como {suggestion} (si es de otro país, \
                     escríbalo con «+» y su código de país)."
                ),
                format!(
                    "The number looks like a Santiago landline written without the country code \
                     56 and the area code 2: write it as {suggestion} (if it belongs to another \
                     country, write it with “+” and its country code)."
                ),
            ),
            NumberError::NotInPlan { country_code } if *country_code == CHILE => lang.pick(
                format!(
                    "El número no pertenece a ningún rango asignado del plan de numeración de \
                     Chile: revise los dígitos; un móvil se escribe 56 9 seguido de 8 dígitos, \
                     por ejemplo {EXAMPLE_MOBILE}."
                ),
                format!(
                    "The number is in no range assigned in Chile's numbering plan: check the \
                     digits; a mobile is written 56 9 followed by 8 digits, e.g. \
                     {EXAMPLE_MOBILE}."
                ),
            ),
            NumberError::NotInPlan { country_code } => lang.pick(
                format!(
                    "El número no pertenece a ningún rango asignado del código de país \
                     {country_code}: revise los dígitos y el código de país."
                ),
                format!(
                    "The number is in no range assigned under country code {country_code}: \
                     check the digits and the country code."
                ),
            ),
            NumberError::NotMobile { kind, country_code } => {
                let kind = kind.describe(lang);
                if *country_code == CHILE {
                    lang.pick(
                        format!(
                            "El número es {kind} de Chile y no puede recibir SMS: use un número \
                             móvil (56 9 seguido de 8 dígitos)."
                        ),
                        format!(
                            "The number is {kind} in Chile, which cannot receive SMS: use a \
                             mobile number (56 9 followed by 8 digits)."
                        ),
                    )
                } else {
                    lang.pick(
                        format!(
                            "El número es {kind} (código de país {country_code}) y no puede \
                             recibir SMS: use un número móvil."
                        ),
                        format!(
                            "The number is {kind} (country code {country_code}), which cannot \
                             receive SMS: use a mobile number."
                        ),
                    )
                }
            }
            NumberError::NotSmsCapable { kind } => {
                let kind = kind.describe(lang);
                lang.pick(
                    format!("El número es {kind}, que no puede recibir SMS: use un número móvil."),
                    format!("The number is {kind}, which cannot receive SMS: use a mobile number."),
                )
            }
        }
    }
}

/// The message of [`NumberError::WrongLength`]: the lengths the country's
/// numbers may have, counting the country code.
fn wrong_length(digits: usize, country_code: Option<u16>, lang: Language) -> String {
    let Some(country) = country_code.and_then(Country::by_code) else {
        let (min, max) = total_length_bounds();
        return lang.pick(
            format!(
                "El número tiene {digits} dígitos, pero un número internacional tiene entre \
                 {min} y {max} contando el código de país, por ejemplo {EXAMPLE_MOBILE}."
            ),
            format!(
                "The number has {digits} digits, but an international number has {min} to \
                 {max} counting the country code, e.g. {EXAMPLE_MOBILE}."
            ),
        );
    };
    let cc = country.code;
    let totals: Vec<usize> = country
        .possible_lengths()
        .map(|n| n + country.code_len())
        .filter(|&n| n <= MAX_DIGITS)
        .collect();
    let expected = one_of(&totals, lang);
    let example = if cc == CHILE {
        lang.pick(
            format!(" (por ejemplo {EXAMPLE_MOBILE})"),
            format!(" (e.g. {EXAMPLE_MOBILE})"),
        )
    } else {
        String::new()
    };
    lang.pick(
        format!(
            "El número tiene {digits} dígitos, pero uno con código de país {cc} tiene {expected} \
             contando el código de país: revise que no falten ni sobren dígitos{example}."
        ),
        format!(
            "The number has {digits} digits, but one with country code {cc} has {expected} \
             counting the country code: check for missing or extra digits{example}."
        ),
    )
}

/// Fewest and most digits of any valid international number.
fn total_length_bounds() -> (usize, usize) {
    let min = super::metadata::COUNTRIES
        .iter()
        .filter_map(|c| Some(c.code_len() + c.possible_lengths().next()?))
        .min()
        .unwrap_or(1);
    (min, MAX_DIGITS)
}

/// "11", "12 o 13", "entre 9 y 12" or "9, 11 u 12" (and the English forms).
fn one_of(lengths: &[usize], lang: Language) -> String {
    match lengths {
        [] => String::new(),
        [only] => only.to_string(),
        [first, .., last] if last - first + 1 == lengths.len() && lengths.len() > 2 => lang.pick(
            format!("entre {first} y {last}"),
            format!("{first} to {last}"),
        ),
        [init @ .., last] => {
            let init: Vec<String> = init.iter().map(usize::to_string).collect();
            let init = init.join(", ");
            // Spanish writes "u" before a word sounding "o": ocho, once.
            let or = lang.pick(if matches!(last, 8 | 11) { "u" } else { "o" }, "or");
            format!("{init} {or} {last}")
        }
    }
}

/// A character as a person can recognise it, invisible ones by code point.
fn show_char(ch: char, lang: Language) -> String {
    let code = u32::from(ch);
    if ch.is_control() || ch.is_whitespace() || crate::text::is_invisible_control(ch) {
        format!("U+{code:04X}")
    } else {
        lang.pick(
            format!("«{ch}» (U+{code:04X})"),
            format!("“{ch}” (U+{code:04X})"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_listed_the_way_people_say_them() {
        assert_eq!(one_of(&[11], Language::Es), "11");
        assert_eq!(one_of(&[12, 13], Language::Es), "12 o 13");
        assert_eq!(one_of(&[10, 11], Language::Es), "10 u 11");
        assert_eq!(one_of(&[10, 11], Language::En), "10 or 11");
        assert_eq!(one_of(&[9, 10, 11, 12], Language::Es), "entre 9 y 12");
        assert_eq!(one_of(&[9, 10, 11, 12], Language::En), "9 to 12");
        assert_eq!(one_of(&[9, 11, 12], Language::En), "9, 11 or 12");
    }

    #[test]
    fn messages_are_localised_and_name_the_problem() {
        let e = NumberError::InvalidCharacter { ch: 'x' };
        assert!(e.message(Language::Es).contains("«x»"));
        assert!(e.message(Language::En).contains("“x”"));
        let e = NumberError::InvalidCharacter { ch: '\u{200B}' };
        assert!(e.message(Language::En).contains("U+200B"));
        // Chile: 9 national digits, or 10 and 11 for `600` and `123` numbers.
        let e = NumberError::WrongLength {
            digits: 10,
            country_code: Some(56),
        };
        assert!(
            e.message(Language::Es)
                .contains("tiene entre 11 y 13 contando")
        );
        assert!(e.message(Language::Es).contains(EXAMPLE_MOBILE));
        let e = NumberError::WrongLength {
            digits: 13,
            country_code: Some(54),
        };
        assert!(
            e.message(Language::En).contains("12 or 13"),
            "{}",
            e.message(Language::En)
        );
        let e = NumberError::WrongLength {
            digits: 0,
            country_code: None,
        };
        assert!(e.message(Language::En).contains(" to 15"));
        let e = NumberError::UnknownCountry {
            code_prefix: "999".into(),
        };
        assert!(e.message(Language::Es).contains("999"));
        let e = NumberError::NotMobile {
            kind: NumberType::FixedLine,
            country_code: 56,
        };
        assert!(e.message(Language::Es).contains("teléfono fijo de Chile"));
        let e = NumberError::NotMobile {
            kind: NumberType::Voip,
            country_code: 44,
        };
        assert!(
            e.message(Language::En)
                .contains("(VoIP) number (country code 44)")
        );
        let e = NumberError::NotSmsCapable {
            kind: NumberType::TollFree,
        };
        assert!(e.message(Language::En).contains("toll-free"));
        assert!(e.message(Language::Es).contains("llamada gratuita"));
    }

    #[test]
    fn the_example_in_messages_is_a_valid_chilean_mobile() {
        let n = super::super::parse(EXAMPLE_MOBILE).unwrap();
        assert_eq!(n.kind, NumberType::Mobile);
        assert_eq!(n.digits, EXAMPLE_MOBILE);
        assert_eq!(super::super::parse("+56 9 6123 4567"), Ok(n));
    }

    #[test]
    fn every_error_has_its_code() {
        use ProblemCode::*;
        for (error, code) in [
            (NumberError::Empty, Required),
            (NumberError::InvalidCharacter { ch: 'x' }, InvalidNumber),
            (
                NumberError::WrongLength {
                    digits: 3,
                    country_code: None,
                },
                WrongLength,
            ),
            (
                NumberError::UnknownCountry {
                    code_prefix: "999".into(),
                },
                UnknownCountry,
            ),
            (
                NumberError::MissingCountryCode {
                    suggestion: EXAMPLE_MOBILE.into(),
                },
                MissingCountryCode,
            ),
            (
                NumberError::SantiagoWithoutAreaCode {
                    suggestion: "56222345678".into(),
                },
                MissingCountryCode,
            ),
            (NumberError::NotInPlan { country_code: 56 }, InvalidNumber),
            (
                NumberError::NotMobile {
                    kind: NumberType::FixedLine,
                    country_code: 56,
                },
                NotMobile,
            ),
            (
                NumberError::NotSmsCapable {
                    kind: NumberType::PremiumRate,
                },
                NotSmsCapable,
            ),
        ] {
            assert_eq!(error.code(), code, "{error:?}");
            for lang in [Language::Es, Language::En] {
                assert!(!error.message(lang).is_empty());
            }
        }
    }
}
