//! What this product knows about Chile beyond libphonenumber's metadata.
//!
//! - **Mobile or landline.** libphonenumber types Chilean numbers
//!   `FIXED_LINE_OR_MOBILE`: since full number portability (2019) its fixed
//!   and mobile ranges are nearly the same, so it cannot tell. SUBTEL's plan
//!   (the 2013 renumbering) gives every mobile the prefix `9` and no landline
//!   starts with it, so a valid `569` + 8 digits is a mobile and any other
//!   valid fixed or mobile number a landline (a ported landline is rare).
//!   Which `9` blocks are assigned still comes from the metadata.
//! - **National forms.** People in Chile type numbers without `56`. Without an
//!   international prefix, a valid Chilean national number (9 digits, or 10–11
//!   for `600` and `123` numbers, also after the former trunk prefix `0`) is
//!   [`NumberError::MissingCountryCode`] with the fixed form, even when the
//!   digits also read as another country's number: reading `912345678` as
//!   India (91) would be wrong far more often than right here. For the same
//!   reason 9 digits starting with `9` (a mobile's shape) are read as Chilean
//!   even in an unassigned block, which is [`NumberError::NotInPlan`] then.
//!   8 digits starting with `2` are a Santiago landline without its area code
//!   (`2234 5678`, or the pre-2013 `(02) 234 5678`): the number is `56 2`
//!   followed by them.

use super::matcher::Country;
use super::{NumberError, NumberType};

/// Chile's country code.
pub const CHILE: u16 = 56;

/// A valid Chilean mobile, for the examples in messages (`56 9 6123 4567`).
pub const EXAMPLE_MOBILE: &str = "56961234567";

/// The type of a valid Chilean number: fixed and mobile types become mobile
/// for `9…` and landline otherwise (see the module doc).
pub fn resolve(national: &str, kind: NumberType) -> NumberType {
    match kind {
        NumberType::FixedLine | NumberType::Mobile | NumberType::FixedLineOrMobile => {
            if national.starts_with('9') {
                NumberType::Mobile
            } else {
                NumberType::FixedLine
            }
        }
        other => other,
    }
}

/// The error for `digits` (typed without an international prefix) when they
/// are a Chilean national form rather than an international number.
pub fn national_form(digits: &str) -> Option<NumberError> {
    let chile = Country::by_code(CHILE)?;
    let national = digits.strip_prefix('0').unwrap_or(digits);
    if chile.number_type(national).is_some() {
        return Some(NumberError::MissingCountryCode {
            suggestion: format!("{CHILE}{national}"),
        });
    }
    if national.len() == 9 && national.starts_with('9') {
        return Some(NumberError::NotInPlan {
            country_code: CHILE,
        });
    }
    let with_area_code = format!("2{national}");
    if national.len() == 8
        && national.starts_with('2')
        && chile.number_type(&with_area_code).is_some()
    {
        return Some(NumberError::SantiagoWithoutAreaCode {
            suggestion: format!("{CHILE}{with_area_code}"),
        });
    }
    None
}
