//! The type of a valid number, and whether it can receive an SMS.

use crate::model::Language;

/// libphonenumber's type of a valid number (its `PhoneNumberType` less
/// `UNKNOWN`, which is an invalid number here). Chilean numbers are never
/// [`NumberType::FixedLineOrMobile`]: see `phone/chile.rs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NumberType {
    FixedLine,
    Mobile,
    /// The metadata cannot tell (the ranges overlap, as in the United States).
    FixedLineOrMobile,
    TollFree,
    PremiumRate,
    SharedCost,
    Voip,
    /// A number that forwards to another (e.g. UK `070`).
    PersonalNumber,
    Pager,
    /// Universal access number: one number for a company's several offices.
    Uan,
    /// Voicemail access number.
    Voicemail,
}

/// What a recipient of some [`NumberType`] means for an SMS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmsReach {
    /// A mobile, or a number that may be one.
    Mobile,
    /// A landline or VoIP number: a line, but not a mobile (`not-mobile`).
    NotMobile,
    /// A service number that receives no SMS (`not-sms-capable`).
    NotSmsCapable,
}

impl NumberType {
    /// Whether an SMS to a number of this type can arrive (see the module doc
    /// of `phone.rs` for why VoIP counts as not mobile).
    pub fn sms_reach(self) -> SmsReach {
        match self {
            NumberType::Mobile | NumberType::FixedLineOrMobile => SmsReach::Mobile,
            NumberType::FixedLine | NumberType::Voip => SmsReach::NotMobile,
            NumberType::TollFree
            | NumberType::PremiumRate
            | NumberType::SharedCost
            | NumberType::PersonalNumber
            | NumberType::Pager
            | NumberType::Uan
            | NumberType::Voicemail => SmsReach::NotSmsCapable,
        }
    }

    /// The type with its indefinite article, for messages ("un teléfono fijo").
    pub fn describe(self, lang: Language) -> &'static str {
        let (es, en) = match self {
            NumberType::FixedLine => ("un teléfono fijo", "a landline"),
            NumberType::Mobile => ("un móvil", "a mobile"),
            NumberType::FixedLineOrMobile => ("un número fijo o móvil", "a landline or mobile"),
            NumberType::TollFree => ("un número de llamada gratuita", "a toll-free number"),
            NumberType::PremiumRate => (
                "un número de tarificación adicional",
                "a premium-rate number",
            ),
            NumberType::SharedCost => ("un número de costo compartido", "a shared-cost number"),
            NumberType::Voip => (
                "un número de telefonía IP (VoIP)",
                "an IP telephony (VoIP) number",
            ),
            NumberType::PersonalNumber => (
                "un número personal de desvío",
                "a personal (forwarding) number",
            ),
            NumberType::Pager => ("un número de buscapersonas", "a pager number"),
            NumberType::Uan => (
                "un número de acceso universal (UAN)",
                "a universal access number (UAN)",
            ),
            NumberType::Voicemail => (
                "un número de acceso a buzón de voz",
                "a voicemail access number",
            ),
        };
        lang.pick(es, en)
    }
}
