//! Phone numbers: what people type, normalised to international digits.
//!
//! Siptel wants international digits without `+` (`56912345678`). People type
//! `+56 9 1234 5678`, `0056-9-1234-5678`, `(56) 9.1234.5678` or forget the
//! country code, so separators are dropped, the number is checked against the
//! E.164 country codes and, for Chile (56), against the national plan.
//!
//! Sources and assumptions:
//! - Country codes: ITU-T E.164 list of assigned country codes (the
//!   "List of ITU-T Recommendation E.164 assigned country codes"), geographic
//!   codes plus the global mobile/satellite services 870, 881, 882 and 883.
//!   Freephone (800), shared-cost (808), VISIONng (878), UN OCHA (888),
//!   premium (979), trial (991) and other codes whose numbers cannot receive
//!   an SMS are left out on purpose; so is 379, assigned to the Vatican but
//!   unused (it is dialled through Italy's 39).
//! - Checked by hand against Google libphonenumber's `PhoneNumberMetadata.xml`
//!   (release 9.0.33): every code here is a territory's code there, and
//!   every `LENGTHS` row admits all of that country's mobile lengths, with
//!   two choices: the Netherlands' 11-digit machine-to-machine mobiles (`97`)
//!   are refused, and Mexico's 11-digit `1` + 10 mobile form, dropped in 2019
//!   but still found in old records, is accepted.
//! - Lengths: E.164 allows at most 15 digits with the country code. Where the
//!   national length is well established it is enforced (table `LENGTHS`);
//!   elsewhere the minimum is 7 digits in total (Niue, `683` + 4 digits; the
//!   few shorter numbers, such as Austrian extensions or German pagers at 6,
//!   cannot receive an SMS) and a national part of at least 4 digits.
//! - Chile: SUBTEL's plan since the 2013 renumbering (ITU Operational Bulletin
//!   communication of 2 July 2014): every number has 9 national digits; mobile
//!   is `9` + 8 digits; landline is `2` (Santiago) + 8 digits or a 2-digit area
//!   code + 7 digits. The area codes are 32-35, 41-43, 45, 51-53, 55, 57, 58,
//!   61, 63-65, 67, 71-73 and 75; `44` is not geographic but SUBTEL's range for
//!   IP telephony (VoIP), which cannot receive SMS either, so it counts as a
//!   landline here. Since full number portability (2019) a prefix no longer
//!   proves the kind of line, but landline ranges ported to mobile are rare.

use crate::model::{Explain, Language, ProblemCode};

/// Most digits of an E.164 number, country code included.
pub const MAX_DIGITS: usize = 15;
/// Fewest digits of a number in total when the country has no known length.
pub const MIN_DIGITS: usize = 7;
/// Chile's country code.
pub const CHILE: u16 = 56;

/// Kind of line, known only for Chilean numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    /// Chilean mobile (`569` + 8 digits).
    Mobile,
    /// Chilean landline or IP telephony (cannot receive SMS).
    Landline,
    /// Not a Chilean number: the kind is not judged.
    Unknown,
}

/// A valid, normalised phone number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhoneNumber {
    /// International digits without `+`, e.g. `56912345678`.
    pub digits: String,
    /// The E.164 country code, e.g. `56`.
    pub country_code: u16,
    /// Mobile or landline (Chile only).
    pub kind: LineKind,
}

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
    /// A Chilean number with 9 national digits that is neither mobile (`9`)
    /// nor a landline area code; `prefix` is its first national digits.
    UnknownAreaCode { prefix: String },
    /// A Chilean landline, which cannot receive SMS.
    NotMobile,
}

impl Explain for NumberError {
    fn code(&self) -> ProblemCode {
        match self {
            NumberError::Empty => ProblemCode::Required,
            NumberError::InvalidCharacter { .. } | NumberError::UnknownAreaCode { .. } => {
                ProblemCode::InvalidNumber
            }
            NumberError::WrongLength { .. } => ProblemCode::WrongLength,
            NumberError::UnknownCountry { .. } => ProblemCode::UnknownCountry,
            NumberError::MissingCountryCode { .. } => ProblemCode::MissingCountryCode,
            NumberError::NotMobile => ProblemCode::NotMobile,
        }
    }

    fn message(&self, lang: Language) -> String {
        match self {
            NumberError::Empty => lang.pick(
                "Falta el número de teléfono: escríbalo con código de país, por ejemplo 56912345678."
                    .to_string(),
                "The phone number is missing: write it with its country code, e.g. 56912345678."
                    .to_string(),
            ),
            NumberError::InvalidCharacter { ch } => {
                let ch = show_char(*ch, lang);
                lang.pick(
                    format!(
                        "El número contiene {ch}, que no es un dígito: use solo dígitos (se admiten \
                         espacios, guiones, puntos, paréntesis y un «+» inicial), por ejemplo \
                         +56 9 1234 5678."
                    ),
                    format!(
                        "The number contains {ch}, which is not a digit: use digits only (spaces, \
                         dashes, dots, parentheses and a leading “+” are allowed), e.g. \
                         +56 9 1234 5678."
                    ),
                )
            }
            NumberError::WrongLength {
                digits,
                country_code,
            } => {
                let (min, max) = total_length(*country_code);
                let expected = |and: &str| {
                    if min == max {
                        format!("{min}")
                    } else {
                        format!("{min} {and} {max}")
                    }
                };
                match country_code {
                    Some(cc) => lang.pick(
                        format!(
                            "El número tiene {digits} dígitos, pero uno con código de país {cc} \
                             tiene {} contando el código de país: revise que no falten ni sobren \
                             dígitos{}.",
                            expected("a"),
                            if *cc == CHILE { " (por ejemplo 56912345678)" } else { "" },
                        ),
                        format!(
                            "The number has {digits} digits, but one with country code {cc} has {} \
                             counting the country code: check for missing or extra digits{}.",
                            expected("to"),
                            if *cc == CHILE { " (e.g. 56912345678)" } else { "" },
                        ),
                    ),
                    None => lang.pick(
                        format!(
                            "El número tiene {digits} dígitos, pero un número internacional tiene \
                             entre {min} y {max} contando el código de país, por ejemplo \
                             56912345678."
                        ),
                        format!(
                            "The number has {digits} digits, but an international number has \
                             {min} to {max} counting the country code, e.g. 56912345678."
                        ),
                    ),
                }
            }
            NumberError::UnknownCountry { code_prefix } => lang.pick(
                format!(
                    "El número empieza con {code_prefix}, que no es un código de país asignado: \
                     escríbalo en formato internacional, empezando por el código de país (56 para \
                     Chile), por ejemplo 56912345678."
                ),
                format!(
                    "The number starts with {code_prefix}, which is not an assigned country code: \
                     write it in international form, starting with the country code (56 for \
                     Chile), e.g. 56912345678."
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
            NumberError::UnknownAreaCode { prefix } => lang.pick(
                format!(
                    "El número chileno empieza con {prefix} después del 56, que no es un móvil \
                     (9) ni un código de área: revise el número; un móvil se escribe \
                     56 9 seguido de 8 dígitos."
                ),
                format!(
                    "The Chilean number starts with {prefix} after 56, which is neither a mobile \
                     (9) nor an area code: check the number; a mobile is written 56 9 followed \
                     by 8 digits."
                ),
            ),
            NumberError::NotMobile => lang.pick(
                "El número es un teléfono fijo de Chile y no puede recibir SMS: use un número \
                 móvil (56 9 seguido de 8 dígitos)."
                    .to_string(),
                "The number is a Chilean landline, which cannot receive SMS: use a mobile number \
                 (56 9 followed by 8 digits)."
                    .to_string(),
            ),
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

/// ITU-T E.164 assigned country codes (see the module doc), sorted.
const COUNTRY_CODES: &[u16] = &[
    1, 7, 20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54,
    55, 56, 57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98, 211,
    212, 213, 216, 218, 220, 221, 222, 223, 224, 225, 226, 227, 228, 229, 230, 231, 232, 233, 234,
    235, 236, 237, 238, 239, 240, 241, 242, 243, 244, 245, 246, 247, 248, 249, 250, 251, 252, 253,
    254, 255, 256, 257, 258, 260, 261, 262, 263, 264, 265, 266, 267, 268, 269, 290, 291, 297, 298,
    299, 350, 351, 352, 353, 354, 355, 356, 357, 358, 359, 370, 371, 372, 373, 374, 375, 376, 377,
    378, 380, 381, 382, 383, 385, 386, 387, 389, 420, 421, 423, 500, 501, 502, 503, 504, 505, 506,
    507, 508, 509, 590, 591, 592, 593, 594, 595, 596, 597, 598, 599, 670, 672, 673, 674, 675, 676,
    677, 678, 679, 680, 681, 682, 683, 685, 686, 687, 688, 689, 690, 691, 692, 850, 852, 853, 855,
    856, 870, 880, 881, 882, 883, 886, 960, 961, 962, 963, 964, 965, 966, 967, 968, 970, 971, 972,
    973, 974, 975, 976, 977, 992, 993, 994, 995, 996, 998,
];

/// National significant number lengths (min, max) of countries whose plan is
/// well established; others get the generic bounds.
const LENGTHS: &[(u16, usize, usize)] = &[
    (1, 10, 10),   // NANP
    (7, 10, 10),   // Russia, Kazakhstan
    (31, 9, 9),    // Netherlands
    (33, 9, 9),    // France
    (34, 9, 9),    // Spain
    (41, 9, 9),    // Switzerland
    (45, 8, 8),    // Denmark
    (48, 9, 9),    // Poland
    (51, 8, 9),    // Peru: landline 8, mobile 9
    (52, 10, 11),  // Mexico: 10, or the former mobile `1` + 10
    (54, 10, 11),  // Argentina: 10, mobiles `9` + 10
    (55, 10, 11),  // Brazil: area + 8 (landline) or 9 (mobile)
    (CHILE, 9, 9), // Chile
    (57, 10, 10),  // Colombia (since 2021)
    (58, 10, 10),  // Venezuela
    (61, 9, 9),    // Australia
    (65, 8, 8),    // Singapore
    (91, 10, 10),  // India
    (502, 8, 8),   // Guatemala
    (503, 8, 8),   // El Salvador
    (504, 8, 8),   // Honduras
    (505, 8, 8),   // Nicaragua
    (506, 8, 8),   // Costa Rica
    (507, 7, 8),   // Panama
    (591, 8, 8),   // Bolivia
    (593, 8, 9),   // Ecuador: landline 8, mobile 9
    (598, 8, 8),   // Uruguay
];

/// Chilean 2-digit landline area codes, plus 44 (IP telephony); see the module doc.
const CHILE_AREA_CODES: &[&str] = &[
    "32", "33", "34", "35", "41", "42", "43", "44", "45", "51", "52", "53", "55", "57", "58", "61",
    "63", "64", "65", "67", "71", "72", "73", "75",
];

/// Total digits (country code included) a number of `country_code` may have.
fn total_length(country_code: Option<u16>) -> (usize, usize) {
    let Some(cc) = country_code else {
        return (MIN_DIGITS, MAX_DIGITS);
    };
    let cc_len = cc.to_string().len();
    match LENGTHS.iter().find(|(c, _, _)| *c == cc) {
        Some((_, min, max)) => (cc_len + min, cc_len + max),
        None => (MIN_DIGITS.max(cc_len + 4), MAX_DIGITS),
    }
}

/// The assigned country code that `digits` starts with (codes are prefix-free).
fn country_code(digits: &str) -> Option<u16> {
    if digits.starts_with('0') {
        return None; // "01" would otherwise parse as 1
    }
    (1..=3)
        .filter_map(|n| digits.get(..n))
        .filter_map(|p| p.parse::<u16>().ok())
        .find(|cc| COUNTRY_CODES.binary_search(cc).is_ok())
}

/// The kind of a Chilean national number (9 digits), if it is in the plan.
fn chilean_kind(national: &str) -> Option<LineKind> {
    if national.len() != 9 || !national.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if national.starts_with('9') {
        Some(LineKind::Mobile)
    } else if national.starts_with('2') {
        Some(LineKind::Landline)
    } else {
        let area = national.get(..2)?;
        CHILE_AREA_CODES
            .contains(&area)
            .then_some(LineKind::Landline)
    }
}

/// Whether `c` is a separator people type inside numbers (dropped).
fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '-' | '.' | '(' | ')' | '\u{2010}'..='\u{2013}')
}

/// Parses and normalises a phone number (does not judge mobile vs landline;
/// see [`require_mobile`]).
///
/// Accepted: digits with spaces (any Unicode space), `-` and typographic
/// hyphens/dashes U+2010..U+2013, `.`, `(`, `)`, and an international prefix
/// `+` (first character) or `00`. Without a prefix the digits are taken as
/// international (`56912345678`), except that a valid 9-digit Chilean
/// national number (`9 1234 5678`, `2 2345 6789`, `32 123 4567`, also with
/// the old leading `0`) is reported as [`NumberError::MissingCountryCode`]
/// with the fixed form: this product serves Chile, and reading `912345678`
/// as India (91) would be wrong far more often than right.
pub fn parse(input: &str) -> Result<PhoneNumber, NumberError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(NumberError::Empty);
    }
    let (plus, body) = match trimmed.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    let mut digits = String::with_capacity(body.len());
    for c in body.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else if !is_separator(c) {
            return Err(NumberError::InvalidCharacter { ch: c });
        }
    }
    let international = if plus {
        digits
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest.to_string()
    } else {
        let national = digits.strip_prefix('0').unwrap_or(&digits);
        if chilean_kind(national).is_some() {
            return Err(NumberError::MissingCountryCode {
                suggestion: format!("{CHILE}{national}"),
            });
        }
        digits
    };
    if international.is_empty() {
        return Err(NumberError::WrongLength {
            digits: 0,
            country_code: None,
        });
    }
    let Some(cc) = country_code(&international) else {
        return Err(NumberError::UnknownCountry {
            code_prefix: international.chars().take(3).collect(),
        });
    };
    let (min, max) = total_length(Some(cc));
    if !(min..=max).contains(&international.len()) {
        return Err(NumberError::WrongLength {
            digits: international.len(),
            country_code: Some(cc),
        });
    }
    let kind = if cc == CHILE {
        let national = international.get(2..).unwrap_or_default();
        chilean_kind(national).ok_or_else(|| NumberError::UnknownAreaCode {
            prefix: national.chars().take(2).collect(),
        })?
    } else {
        LineKind::Unknown
    };
    Ok(PhoneNumber {
        digits: international,
        country_code: cc,
        kind,
    })
}

/// Fails with [`NumberError::NotMobile`] for a Chilean landline, which cannot
/// receive SMS; numbers of other countries pass (their kind is not known).
pub fn require_mobile(number: &PhoneNumber) -> Result<(), NumberError> {
    match number.kind {
        LineKind::Landline => Err(NumberError::NotMobile),
        LineKind::Mobile | LineKind::Unknown => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn mobile(digits: &str) -> PhoneNumber {
        PhoneNumber {
            digits: digits.into(),
            country_code: CHILE,
            kind: LineKind::Mobile,
        }
    }

    #[test]
    fn accepts_every_typed_form_of_a_chilean_mobile() {
        for input in [
            "56912345678",
            "+56912345678",
            "+56 9 1234 5678",
            "+56-9-1234-5678",
            "56.9.1234.5678",
            "(56) 9 1234-5678",
            "+(56) 9 1234 5678",
            "0056 9 1234 5678",
            "  +56 9 1234 5678\n",
            "+56\u{a0}9\u{a0}1234\u{a0}5678",
            "+56 9 1234–5678",
        ] {
            assert_eq!(parse(input), Ok(mobile("56912345678")), "{input:?}");
        }
    }

    #[test]
    fn empty_and_blank_are_empty() {
        assert_eq!(parse(""), Err(NumberError::Empty));
        assert_eq!(parse("  \t "), Err(NumberError::Empty));
        assert_eq!(NumberError::Empty.code(), ProblemCode::Required);
    }

    #[test]
    fn letters_are_invalid_characters() {
        assert_eq!(
            parse("+56 9 1234 567O"),
            Err(NumberError::InvalidCharacter { ch: 'O' })
        );
        assert_eq!(
            parse("tel: 56912345678"),
            Err(NumberError::InvalidCharacter { ch: 't' })
        );
        assert_eq!(
            parse("56912345678 ext 2"),
            Err(NumberError::InvalidCharacter { ch: 'e' })
        );
        assert_eq!(
            NumberError::InvalidCharacter { ch: 'x' }.code(),
            ProblemCode::InvalidNumber
        );
    }

    #[test]
    fn plus_only_at_the_start() {
        assert_eq!(
            parse("56+912345678"),
            Err(NumberError::InvalidCharacter { ch: '+' })
        );
        assert_eq!(
            parse("++56912345678"),
            Err(NumberError::InvalidCharacter { ch: '+' })
        );
    }

    #[test]
    fn non_ascii_digits_are_invalid() {
        assert_eq!(
            parse("５６９１２３４５６７８"),
            Err(NumberError::InvalidCharacter { ch: '５' })
        );
    }

    #[test]
    fn separators_without_digits_have_wrong_length() {
        assert_eq!(
            parse("+ ( ) -"),
            Err(NumberError::WrongLength {
                digits: 0,
                country_code: None
            })
        );
        assert_eq!(
            parse("00"),
            Err(NumberError::WrongLength {
                digits: 0,
                country_code: None
            })
        );
    }

    #[test]
    fn chilean_lengths_are_exact() {
        assert_eq!(
            parse("+56 9 1234 567"),
            Err(NumberError::WrongLength {
                digits: 10,
                country_code: Some(56)
            })
        );
        assert_eq!(
            parse("+56 9 1234 56789"),
            Err(NumberError::WrongLength {
                digits: 12,
                country_code: Some(56)
            })
        );
        assert_eq!(
            NumberError::WrongLength {
                digits: 10,
                country_code: Some(56)
            }
            .code(),
            ProblemCode::WrongLength
        );
    }

    #[test]
    fn more_than_fifteen_digits_is_wrong_length() {
        assert_eq!(
            parse("+49 1234 5678 9012 34"),
            Err(NumberError::WrongLength {
                digits: 16,
                country_code: Some(49)
            })
        );
        // Two numbers pasted together.
        assert!(matches!(
            parse("56912345678 56987654321"),
            Err(NumberError::WrongLength { digits: 22, .. })
        ));
    }

    #[test]
    fn too_short_is_wrong_length() {
        assert_eq!(
            parse("+49 12"),
            Err(NumberError::WrongLength {
                digits: 4,
                country_code: Some(49)
            })
        );
        assert_eq!(
            parse("+1 555 1234"),
            Err(NumberError::WrongLength {
                digits: 8,
                country_code: Some(1)
            })
        );
    }

    #[test]
    fn foreign_numbers_are_accepted_with_unknown_kind() {
        for (input, digits, cc) in [
            ("+1 (415) 555-0132", "14155550132", 1),
            ("+54 9 11 1234 5678", "5491112345678", 54),
            ("+51 912 345 678", "51912345678", 51),
            ("+34 612 345 678", "34612345678", 34),
            ("+44 7911 123456", "447911123456", 44),
            ("+683 4002", "6834002", 683),
            ("+49 1512 3456789", "4915123456789", 49),
            ("00598 94 123 456", "59894123456", 598),
        ] {
            let n = parse(input).unwrap();
            assert_eq!(n.digits, digits, "{input}");
            assert_eq!(n.country_code, cc, "{input}");
            assert_eq!(n.kind, LineKind::Unknown, "{input}");
            assert_eq!(require_mobile(&n), Ok(()), "{input}");
        }
    }

    #[test]
    fn unassigned_country_codes_are_unknown() {
        for (input, prefix) in [
            ("+999 1234 5678", "999"),
            ("+800 1234 5678", "800"),
            ("+379 1234 5678", "379"),
            ("+28 1234 5678", "281"),
            ("0123456789", "012"),
            ("+0 56912345678", "056"),
        ] {
            assert_eq!(
                parse(input),
                Err(NumberError::UnknownCountry {
                    code_prefix: prefix.into()
                }),
                "{input}"
            );
        }
        assert_eq!(
            NumberError::UnknownCountry {
                code_prefix: "999".into()
            }
            .code(),
            ProblemCode::UnknownCountry
        );
    }

    #[test]
    fn national_chilean_mobile_lacks_country_code() {
        for input in ["9 1234 5678", "912345678", "09 1234 5678", "(9) 1234-5678"] {
            assert_eq!(
                parse(input),
                Err(NumberError::MissingCountryCode {
                    suggestion: "56912345678".into()
                }),
                "{input}"
            );
        }
    }

    #[test]
    fn national_chilean_landline_lacks_country_code() {
        assert_eq!(
            parse("2 2345 6789"),
            Err(NumberError::MissingCountryCode {
                suggestion: "56223456789".into()
            })
        );
        // Valparaíso: 32 would otherwise read as Belgium.
        assert_eq!(
            parse("32 212 3456"),
            Err(NumberError::MissingCountryCode {
                suggestion: "56322123456".into()
            })
        );
        let e = NumberError::MissingCountryCode {
            suggestion: "56223456789".into(),
        };
        assert_eq!(e.code(), ProblemCode::MissingCountryCode);
        assert!(e.message(Language::Es).contains("56223456789"));
        assert!(e.message(Language::En).contains("56223456789"));
    }

    #[test]
    fn international_prefix_disables_the_national_guess() {
        // With `+`, 912345678 is India (91) with too few digits.
        assert_eq!(
            parse("+912345678"),
            Err(NumberError::WrongLength {
                digits: 9,
                country_code: Some(91)
            })
        );
    }

    #[test]
    fn chilean_landlines_are_recognised() {
        for input in [
            "+56 2 2345 6789",
            "+56 32 212 3456",
            "+56 41 212 3456",
            "+56 44 212 3456",
            "+56 61 212 3456",
            "+56 75 212 3456",
        ] {
            let n = parse(input).unwrap();
            assert_eq!(n.kind, LineKind::Landline, "{input}");
            assert_eq!(require_mobile(&n), Err(NumberError::NotMobile), "{input}");
        }
        assert_eq!(NumberError::NotMobile.code(), ProblemCode::NotMobile);
    }

    #[test]
    fn every_chilean_area_code_is_a_landline() {
        for area in CHILE_AREA_CODES {
            let n = parse(&format!("56{area}2123456")).unwrap();
            assert_eq!(n.kind, LineKind::Landline, "{area}");
        }
    }

    #[test]
    fn chilean_mobile_passes_require_mobile() {
        let n = parse("+56 9 8765 4321").unwrap();
        assert_eq!(n.kind, LineKind::Mobile);
        assert_eq!(require_mobile(&n), Ok(()));
    }

    #[test]
    fn chilean_number_outside_the_plan_is_invalid() {
        for (input, prefix) in [
            ("+56 1 2345 6789", "12"),
            ("+56 36 123 4567", "36"),
            ("+56 80 012 3456", "80"),
            ("+56 31 123 4567", "31"),
        ] {
            let e = parse(input).unwrap_err();
            assert_eq!(
                e,
                NumberError::UnknownAreaCode {
                    prefix: prefix.into()
                },
                "{input}"
            );
            assert_eq!(e.code(), ProblemCode::InvalidNumber);
        }
    }

    #[test]
    fn country_code_table_is_sorted_and_prefix_free() {
        assert!(COUNTRY_CODES.windows(2).all(|w| w[0] < w[1]));
        for a in COUNTRY_CODES {
            for b in COUNTRY_CODES {
                let (a, b) = (a.to_string(), b.to_string());
                assert!(a == b || !b.starts_with(&a), "{a} is a prefix of {b}");
            }
        }
        for (cc, min, max) in LENGTHS {
            assert!(COUNTRY_CODES.contains(cc) && min <= max, "{cc}");
            assert!(cc.to_string().len() + max <= MAX_DIGITS, "{cc}");
        }
    }

    #[test]
    fn messages_are_localised_and_name_the_problem() {
        let e = NumberError::InvalidCharacter { ch: 'x' };
        assert!(e.message(Language::Es).contains("«x»"));
        assert!(e.message(Language::En).contains("“x”"));
        let e = NumberError::InvalidCharacter { ch: '\u{200B}' };
        assert!(e.message(Language::En).contains("U+200B"));
        let e = NumberError::WrongLength {
            digits: 10,
            country_code: Some(56),
        };
        assert!(e.message(Language::Es).contains("tiene 11 contando"));
        let e = NumberError::WrongLength {
            digits: 13,
            country_code: Some(54),
        };
        assert!(e.message(Language::En).contains("12 to 13"));
        let e = NumberError::WrongLength {
            digits: 0,
            country_code: None,
        };
        assert!(e.message(Language::En).contains("7 to 15"));
        let e = NumberError::UnknownCountry {
            code_prefix: "999".into(),
        };
        assert!(e.message(Language::Es).contains("999"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn no_input_panics(input in any::<String>()) {
            if let Ok(n) = parse(&input) {
                prop_assert!(n.digits.bytes().all(|b| b.is_ascii_digit()));
                prop_assert!(n.digits.len() <= MAX_DIGITS);
                let _ = require_mobile(&n);
            }
            for lang in [Language::Es, Language::En] {
                if let Err(e) = parse(&input) {
                    let _ = e.message(lang);
                }
            }
        }

        #[test]
        fn digit_soup_never_panics(input in "[0-9+ ()./-]{0,20}") {
            if let Ok(n) = parse(&input) {
                prop_assert!(input.contains(n.digits.get(..1).unwrap_or_default()));
                // Normalised digits parse to themselves (with `+`: without it,
                // 9 digits that read as Chilean national ask for `56`).
                prop_assert_eq!(parse(&format!("+{}", n.digits)), Ok(n.clone()));
            }
        }

        #[test]
        fn any_chilean_mobile_round_trips(rest in "[0-9]{8}") {
            let n = parse(&format!("+56 9 {rest}")).unwrap();
            prop_assert_eq!(&n.digits, &format!("569{rest}"));
            prop_assert_eq!(n.kind, LineKind::Mobile);
            prop_assert_eq!(
                parse(&format!("9{rest}")),
                Err(NumberError::MissingCountryCode { suggestion: format!("569{rest}") })
            );
        }
    }
}
