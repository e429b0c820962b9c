//! Phone numbers: what people type, normalised to international digits and
//! judged against libphonenumber's metadata.
//!
//! Siptel wants international digits without `+` (`56961234567`). People type
//! `+56 9 6123 4567`, `0056-9-6123-4567`, `(56) 9.6123.4567` or forget the
//! country code, so separators are dropped and the digits are judged as
//! Google's libphonenumber judges them, from its metadata (release
//! [`METADATA_VERSION`], compiled into tables by
//! `scripts/gen-phone-metadata.py`; `phone/matcher.rs` reads them):
//!
//! - the country code must be one the metadata knows ([`NumberError::UnknownCountry`]),
//!   including the non-geographic ones (+800, +808, +870, +881, +882, +883, +979, ...);
//! - the national number must have one of the country's possible lengths
//!   ([`NumberError::WrongLength`]) and lie in a range of one of its number
//!   types, across every region sharing the code, as `PhoneNumberUtil.isValidNumber`
//!   decides ([`NumberError::NotInPlan`]).
//!
//! The digits are judged exactly as typed: unlike libphonenumber's `parse`,
//! a national prefix typed after the country code (`+44 (0)7400 123456`) is
//! not dropped, since Siptel would receive it; such a number has a wrong
//! length or is not in the plan. E.164 allows at most [`MAX_DIGITS`] digits,
//! so the few longer numbers the metadata accepts (German fixed lines with
//! extensions; Indonesia, Japan, Korea, Nigeria and Uruguay allow lengths
//! past 15 too) are [`NumberError::WrongLength`].
//!
//! Chile has rules of its own (mobile or landline, national forms): see `phone/chile.rs`.
//!
//! **Who can receive an SMS** ([`require_mobile`], for the recipient): a
//! mobile, or a number the metadata types "fixed line or mobile" (as in the
//! United States, where the ranges overlap). A fixed line is
//! [`NumberError::NotMobile`] anywhere, as a Chilean landline always was, and
//! so is VoIP: Chile's VoIP range (`44`) was always refused as not mobile, and
//! VoIP numbers abroad receive SMS only sometimes, depending on the provider.
//! Service numbers (toll-free, premium rate, shared cost, personal, pager,
//! UAN, voicemail) are [`NumberError::NotSmsCapable`]. The type decides for
//! the non-geographic codes too: +800 (toll-free), +808 (shared cost) and
//! +979 (premium rate) numbers are not SMS-capable, the satellite mobiles of
//! +870 (Inmarsat) and +881 pass, and +882/+883 numbers pass or are not
//! mobile as their type is mobile or VoIP. The **sender** is only checked to
//! be a valid number: Siptel authorises senders, and a landline or service
//! number it authorised as a sender identity is its call.

mod chile;
mod error;
mod matcher;
#[rustfmt::skip]
mod metadata;
mod number_type;
#[cfg(test)]
mod oracle_tests;

pub use chile::CHILE;
pub use error::NumberError;
pub use metadata::METADATA_VERSION;
pub use number_type::{NumberType, SmsReach};

use matcher::Country;

/// Most digits of an E.164 number, country code included.
pub const MAX_DIGITS: usize = 15;

/// A valid, normalised phone number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhoneNumber {
    /// International digits without `+`, e.g. `56961234567`.
    pub digits: String,
    /// The E.164 country code, e.g. `56`.
    pub country_code: u16,
    /// The number's type (for Chile, mobile or landline: see `phone/chile.rs`).
    pub kind: NumberType,
}

/// Whether `c` is a separator people type inside numbers (dropped).
fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '-' | '.' | '(' | ')' | '\u{2010}'..='\u{2013}')
}

/// Parses, normalises and validates a phone number (whether it can receive
/// an SMS is [`require_mobile`]'s question).
///
/// Accepted: digits with spaces (any Unicode space), `-` and typographic
/// hyphens/dashes U+2010..U+2013, `.`, `(`, `)`, and an international prefix
/// `+` (first character) or `00`. Without a prefix the digits are taken as
/// international (`56961234567`), except Chilean national forms (`9 6123 4567`,
/// `2 2345 6789`, `2234 5678`), which are reported with the fixed form: see
/// `phone/chile.rs`.
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
    if plus {
        international(digits)
    } else if let Some(rest) = digits.strip_prefix("00") {
        international(rest.to_string())
    } else if let Some(error) = chile::national_form(&digits) {
        Err(error)
    } else {
        international(digits)
    }
}

/// Validates international digits (country code first).
fn international(digits: String) -> Result<PhoneNumber, NumberError> {
    if digits.is_empty() {
        return Err(NumberError::WrongLength {
            digits: 0,
            country_code: None,
        });
    }
    let Some(country) = Country::of(&digits) else {
        return Err(NumberError::UnknownCountry {
            code_prefix: digits.chars().take(3).collect(),
        });
    };
    let national = digits.get(country.code_len()..).unwrap_or_default();
    if digits.len() > MAX_DIGITS || !country.is_possible_length(national.len()) {
        return Err(NumberError::WrongLength {
            digits: digits.len(),
            country_code: Some(country.code),
        });
    }
    let Some(kind) = country.number_type(national) else {
        return Err(NumberError::NotInPlan {
            country_code: country.code,
        });
    };
    let kind = if country.code == CHILE {
        chile::resolve(national, kind)
    } else {
        kind
    };
    Ok(PhoneNumber {
        country_code: country.code,
        kind,
        digits,
    })
}

/// Fails unless `number` can receive an SMS: [`NumberError::NotMobile`] for a
/// landline or VoIP number, [`NumberError::NotSmsCapable`] for a service
/// number (see the module doc).
pub fn require_mobile(number: &PhoneNumber) -> Result<(), NumberError> {
    match number.kind.sms_reach() {
        SmsReach::Mobile => Ok(()),
        SmsReach::NotMobile => Err(NumberError::NotMobile {
            kind: number.kind,
            country_code: number.country_code,
        }),
        SmsReach::NotSmsCapable => Err(NumberError::NotSmsCapable { kind: number.kind }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Explain, Language, ProblemCode};
    use proptest::prelude::*;

    fn chilean(digits: &str, kind: NumberType) -> PhoneNumber {
        PhoneNumber {
            digits: digits.into(),
            country_code: CHILE,
            kind,
        }
    }

    #[test]
    fn accepts_every_typed_form_of_a_chilean_mobile() {
        for input in [
            "56961234567",
            "+56961234567",
            "+56 9 6123 4567",
            "+56-9-6123-4567",
            "56.9.6123.4567",
            "(56) 9 6123-4567",
            "+(56) 9 6123 4567",
            "0056 9 6123 4567",
            "  +56 9 6123 4567\n",
            "+56\u{a0}9\u{a0}6123\u{a0}4567",
            "+56 9 6123–4567",
        ] {
            assert_eq!(
                parse(input),
                Ok(chilean("56961234567", NumberType::Mobile)),
                "{input:?}"
            );
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
            parse("+56 9 6123 456O"),
            Err(NumberError::InvalidCharacter { ch: 'O' })
        );
        assert_eq!(
            parse("tel: 56961234567"),
            Err(NumberError::InvalidCharacter { ch: 't' })
        );
        assert_eq!(
            parse("56961234567 ext 2"),
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
            parse("56+961234567"),
            Err(NumberError::InvalidCharacter { ch: '+' })
        );
        assert_eq!(
            parse("++56961234567"),
            Err(NumberError::InvalidCharacter { ch: '+' })
        );
    }

    #[test]
    fn non_ascii_digits_are_invalid() {
        assert_eq!(
            parse("５６９６１２３４５６７"),
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
    fn chilean_lengths_come_from_the_metadata() {
        assert_eq!(
            parse("+56 9 6123 456"),
            Err(NumberError::WrongLength {
                digits: 10,
                country_code: Some(56)
            })
        );
        // 10 and 11 national digits are possible (`600` and `123` numbers),
        // so a mobile with a digit too many is outside the plan.
        assert_eq!(
            parse("+56 9 6123 45678"),
            Err(NumberError::NotInPlan { country_code: 56 })
        );
        assert_eq!(
            parse("+56 9 6123 4567 890"),
            Err(NumberError::WrongLength {
                digits: 14,
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
            parse("56961234567 56987654321"),
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
    fn foreign_mobiles_are_accepted() {
        for (input, digits, cc, kind) in [
            (
                "+1 (415) 555-0132",
                "14155550132",
                1,
                NumberType::FixedLineOrMobile,
            ),
            (
                "+54 9 11 1234 5678",
                "5491112345678",
                54,
                NumberType::Mobile,
            ),
            ("+51 912 345 678", "51912345678", 51, NumberType::Mobile),
            ("+34 612 345 678", "34612345678", 34, NumberType::Mobile),
            ("+44 7911 123456", "447911123456", 44, NumberType::Mobile),
            ("+49 1512 3456789", "4915123456789", 49, NumberType::Mobile),
            ("00598 94 123 456", "59894123456", 598, NumberType::Mobile),
            // Inmarsat, a satellite mobile under a non-geographic code.
            ("+870 773 111 632", "870773111632", 870, NumberType::Mobile),
        ] {
            let n = parse(input).unwrap();
            assert_eq!(n.digits, digits, "{input}");
            assert_eq!(n.country_code, cc, "{input}");
            assert_eq!(n.kind, kind, "{input}");
            assert_eq!(require_mobile(&n), Ok(()), "{input}");
        }
    }

    #[test]
    fn foreign_landlines_and_voip_are_not_mobile() {
        for (input, cc, kind) in [
            ("+44 20 7946 0958", 44, NumberType::FixedLine),
            ("+49 30 1234567", 49, NumberType::FixedLine),
            ("+683 4002", 683, NumberType::FixedLine),
            ("+882 1300 1234", 882, NumberType::Voip),
        ] {
            let n = parse(input).unwrap();
            assert_eq!(n.kind, kind, "{input}");
            assert_eq!(
                require_mobile(&n),
                Err(NumberError::NotMobile {
                    kind,
                    country_code: cc
                }),
                "{input}"
            );
        }
    }

    #[test]
    fn service_numbers_cannot_receive_sms() {
        for (input, kind) in [
            ("+800 1234 5678", NumberType::TollFree),
            ("+808 1234 5678", NumberType::SharedCost),
            ("+56 800 123 456", NumberType::TollFree),
            ("+56 600 123 4567", NumberType::SharedCost),
            ("+1 800 555 0100", NumberType::TollFree),
            ("+44 70 1234 5678", NumberType::PersonalNumber),
            ("+44 9 0123 45678", NumberType::PremiumRate),
        ] {
            let n = parse(input).unwrap();
            assert_eq!(n.kind, kind, "{input}");
            let e = require_mobile(&n).unwrap_err();
            assert_eq!(e, NumberError::NotSmsCapable { kind }, "{input}");
            assert_eq!(e.code(), ProblemCode::NotSmsCapable);
        }
    }

    #[test]
    fn unassigned_country_codes_are_unknown() {
        for (input, prefix) in [
            ("+999 1234 5678", "999"),
            ("+379 1234 5678", "379"),
            ("+28 1234 5678", "281"),
            ("0123456789", "012"),
            ("+0 56961234567", "056"),
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
        for input in ["9 6123 4567", "961234567", "09 6123 4567", "(9) 6123-4567"] {
            assert_eq!(
                parse(input),
                Err(NumberError::MissingCountryCode {
                    suggestion: "56961234567".into()
                }),
                "{input}"
            );
        }
    }

    #[test]
    fn national_chilean_mobile_in_an_unassigned_block_is_not_in_the_plan() {
        // 9 digits starting with 9 read as a Chilean mobile, not as India (91).
        for input in ["9 1234 5678", "9 0123 4567", "091234 5678"] {
            assert_eq!(
                parse(input),
                Err(NumberError::NotInPlan { country_code: 56 }),
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
    fn santiago_landline_in_its_local_form_lacks_country_and_area_code() {
        // Not Mali (223) with too few digits: Santiago's 8-digit local number,
        // or its pre-2013 form with the trunk prefix.
        for input in ["22345678", "2234 5678", "(02) 234 5678", "0 2234-5678"] {
            let e = parse(input).unwrap_err();
            assert_eq!(
                e,
                NumberError::SantiagoWithoutAreaCode {
                    suggestion: "56222345678".into()
                },
                "{input}"
            );
            assert_eq!(e.code(), ProblemCode::MissingCountryCode);
            assert!(e.message(Language::Es).contains("56222345678"));
        }
        assert_eq!(
            parse("+56 2 2234 5678").map(|n| n.kind),
            Ok(NumberType::FixedLine)
        );
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
    fn chilean_landlines_and_voip_are_not_mobile() {
        for (input, kind) in [
            ("+56 2 2345 6789", NumberType::FixedLine),
            ("+56 32 212 3456", NumberType::FixedLine),
            ("+56 41 212 3456", NumberType::FixedLine),
            ("+56 44 212 3456", NumberType::Voip),
            ("+56 61 212 3456", NumberType::FixedLine),
            ("+56 75 212 3456", NumberType::FixedLine),
        ] {
            let n = parse(input).unwrap();
            assert_eq!(n.kind, kind, "{input}");
            let e = require_mobile(&n).unwrap_err();
            assert_eq!(
                e,
                NumberError::NotMobile {
                    kind,
                    country_code: 56
                },
                "{input}"
            );
            assert_eq!(e.code(), ProblemCode::NotMobile);
        }
    }

    #[test]
    fn every_chilean_area_code_is_a_landline() {
        // SUBTEL's geographic area codes (2 is Santiago's).
        for area in [
            "22", "32", "33", "34", "35", "41", "42", "43", "45", "51", "52", "53", "55", "57",
            "58", "61", "63", "64", "65", "67", "71", "72", "73", "75",
        ] {
            let n = parse(&format!("56{area}2123456")).unwrap();
            assert_eq!(n.kind, NumberType::FixedLine, "{area}");
        }
    }

    #[test]
    fn chilean_mobile_passes_require_mobile() {
        let n = parse("+56 9 8765 4321").unwrap();
        assert_eq!(n.kind, NumberType::Mobile);
        assert_eq!(require_mobile(&n), Ok(()));
    }

    #[test]
    fn chilean_number_outside_the_plan_is_invalid() {
        for input in [
            "+56 1 2345 6789",
            "+56 36 123 4567",
            "+56 31 123 4567",
            // Mobile blocks not assigned.
            "+56 9 1234 5678",
            "+56 9 0123 4567",
        ] {
            let e = parse(input).unwrap_err();
            assert_eq!(e, NumberError::NotInPlan { country_code: 56 }, "{input}");
            assert_eq!(e.code(), ProblemCode::InvalidNumber);
        }
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
                // a Chilean national form asks for `56`).
                prop_assert_eq!(parse(&format!("+{}", n.digits)), Ok(n.clone()));
            }
        }

        #[test]
        fn chilean_mobile_blocks_come_from_the_metadata(rest in "[0-9]{8}") {
            // Assigned or not, a `569` number is judged the same typed with
            // `+56` and typed nationally (which asks for the `56`).
            match parse(&format!("+56 9 {rest}")) {
                Ok(n) => {
                    prop_assert_eq!(&n.digits, &format!("569{rest}"));
                    prop_assert_eq!(n.kind, NumberType::Mobile);
                    prop_assert_eq!(
                        parse(&format!("9{rest}")),
                        Err(NumberError::MissingCountryCode { suggestion: format!("569{rest}") })
                    );
                }
                Err(e) => {
                    prop_assert_eq!(&e, &NumberError::NotInPlan { country_code: CHILE });
                    prop_assert_eq!(parse(&format!("9{rest}")), Err(e));
                }
            }
        }
    }
}
