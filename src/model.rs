//! Plain Rust mirror of `wit/types.wit` and `wit/form.wit`.
//!
//! The logic works on these types, never on generated bindings, so it unit-tests
//! natively; the component adapter and the host convert at the boundary. Serde
//! speaks the WIT names (kebab-case fields, variants as `{"type": case, ...}`),
//! which is the JSON of the CLI.

use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use std::fmt;

/// `weekdays` flags, Monday first.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Weekdays(u8);

impl Weekdays {
    /// Flag names in WIT order, Monday first (chrono's `num_days_from_monday`).
    pub const NAMES: [&'static str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    /// Every day.
    pub const ALL: Weekdays = Weekdays(0x7f);
    /// Monday to Friday.
    pub const WORKDAYS: Weekdays = Weekdays(0x1f);
    /// No day.
    pub const NONE: Weekdays = Weekdays(0);

    /// Builds from a bit mask (bit 0 = Monday .. bit 6 = Sunday); higher bits are ignored.
    pub const fn from_bits(bits: u8) -> Self {
        Weekdays(bits & 0x7f)
    }
    /// The bit mask (bit 0 = Monday .. bit 6 = Sunday).
    pub const fn bits(self) -> u8 {
        self.0
    }
    /// Whether day `index_from_monday` (0 = Monday .. 6 = Sunday) is enabled.
    pub const fn allows(self, index_from_monday: u32) -> bool {
        index_from_monday < 7 && self.0 & (1 << index_from_monday) != 0
    }
    /// Whether no day is enabled.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// Names of the enabled days, Monday first.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Self::NAMES
            .into_iter()
            .enumerate()
            .filter(move |(i, _)| self.allows(*i as u32))
            .map(|(_, n)| n)
    }
}

impl fmt::Debug for Weekdays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

impl Serialize for Weekdays {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.names())
    }
}

impl<'de> Deserialize<'de> for Weekdays {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let names = Vec::<String>::deserialize(d)?;
        let mut bits = 0u8;
        for name in &names {
            let i = Self::NAMES
                .iter()
                .position(|n| n == name)
                .ok_or_else(|| serde::de::Error::unknown_variant(name, &Self::NAMES))?;
            bits |= 1 << i;
        }
        Ok(Weekdays(bits))
    }
}

/// `encoding-policy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EncodingPolicy {
    #[default]
    Auto,
    Gsm7Transliterate,
    Ucs2,
}

/// `encoding`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

impl Encoding {
    /// The contract's name of the encoding (`gsm7`, `ucs2`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Encoding::Gsm7 => "gsm7",
            Encoding::Ucs2 => "ucs2",
        }
    }
}

/// `purpose`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Purpose {
    #[default]
    Transactional,
    Promotional,
}

/// `language`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Language {
    #[default]
    Es,
    En,
}

impl Language {
    /// Picks the text of this language.
    pub fn pick<T>(self, es: T, en: T) -> T {
        match self {
            Language::Es => es,
            Language::En => en,
        }
    }
}

/// `campaign-variable`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CampaignVariable {
    pub name: String,
    pub value: String,
}

/// `config`. Missing JSON keys take their defaults (empty for required
/// strings, which validation then reports as `required`). `Debug` never
/// shows the API key (a [`Secret`]).
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", default, deny_unknown_fields)]
pub struct Config {
    pub api_key: Secret,
    pub sender: String,
    pub recipient: String,
    pub message: Option<String>,
    pub purpose: Option<Purpose>,
    pub opt_out: Option<String>,
    pub window_start: String,
    pub window_end: String,
    pub weekdays: Weekdays,
    pub send_on_holidays: Option<bool>,
    pub closed_dates: Vec<String>,
    pub campaign: Option<String>,
    pub campaign_variables: Vec<CampaignVariable>,
    pub rut: Option<String>,
    pub error_intent: Option<String>,
    pub time_zone: Option<String>,
    #[serde(deserialize_with = "integer::lenient")]
    pub max_attempts: Option<u32>,
    pub base_url: Option<String>,
    pub language: Option<Language>,
    pub encoding: Option<EncodingPolicy>,
    #[serde(deserialize_with = "integer::lenient")]
    pub max_segments: Option<u32>,
    pub idempotency_key: Option<String>,
    #[serde(deserialize_with = "integer::lenient")]
    pub attempt_timeout_ms: Option<u32>,
    #[serde(deserialize_with = "integer::lenient")]
    pub deadline_ms: Option<u32>,
}

/// JSON integers of any size for the `u32` fields of `config`: a value out
/// of `u32`'s range (negative, or beyond it, even beyond `u64`) is saturated
/// to `0` or `u32::MAX`, both outside every field's bounds, so that it gets
/// the field's `out-of-range` problem like any other out-of-range value
/// instead of a type error. Fractions and non-numbers stay type errors.
mod integer {
    use serde::de::{self, Deserializer, Visitor};
    use std::fmt;

    pub(super) fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
        d.deserialize_option(OptionalInteger)
    }

    struct OptionalInteger;

    impl<'de> Visitor<'de> for OptionalInteger {
        type Value = Option<u32>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an integer or null")
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(u32::try_from(v).unwrap_or(u32::MAX)))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(u32::try_from(v.max(0)).unwrap_or(u32::MAX)))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            // serde_json reads an integer literal beyond 64 bits as a float.
            if v.fract() != 0.0 || v.is_nan() || v.is_infinite() {
                return Err(E::invalid_type(de::Unexpected::Float(v), &self));
            }
            // `as` saturates: negative to 0, beyond the range to `u32::MAX`.
            Ok(Some(v as u32))
        }
    }
}

/// `entity`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Entity {
    pub name: String,
    pub value: String,
    #[serde(default)]
    pub kind: Option<String>,
}

/// `field-id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FieldId {
    ApiKey,
    Sender,
    Recipient,
    Message,
    Purpose,
    OptOut,
    WindowStart,
    WindowEnd,
    Weekdays,
    SendOnHolidays,
    ClosedDates,
    Campaign,
    CampaignVariables,
    Rut,
    ErrorIntent,
    TimeZone,
    MaxAttempts,
    BaseUrl,
    Language,
    Encoding,
    MaxSegments,
    IdempotencyKey,
    AttemptTimeoutMs,
    DeadlineMs,
    Entities,
}

impl FieldId {
    /// Every field, in WIT order.
    pub const ALL: [FieldId; 25] = [
        FieldId::ApiKey,
        FieldId::Sender,
        FieldId::Recipient,
        FieldId::Message,
        FieldId::Purpose,
        FieldId::OptOut,
        FieldId::WindowStart,
        FieldId::WindowEnd,
        FieldId::Weekdays,
        FieldId::SendOnHolidays,
        FieldId::ClosedDates,
        FieldId::Campaign,
        FieldId::CampaignVariables,
        FieldId::Rut,
        FieldId::ErrorIntent,
        FieldId::TimeZone,
        FieldId::MaxAttempts,
        FieldId::BaseUrl,
        FieldId::Language,
        FieldId::Encoding,
        FieldId::MaxSegments,
        FieldId::IdempotencyKey,
        FieldId::AttemptTimeoutMs,
        FieldId::DeadlineMs,
        FieldId::Entities,
    ];
}

/// `problem-code`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemCode {
    Required,
    MissingVariable,
    BadPlaceholder,
    BadCharacter,
    InvalidNumber,
    WrongLength,
    UnknownCountry,
    MissingCountryCode,
    NotMobile,
    NotSmsCapable,
    SameNumber,
    InvalidRut,
    RutCheckDigit,
    TooLong,
    MessageOrCampaign,
    OutOfRange,
    InvalidTime,
    InvalidDate,
    EmptyWindow,
    NoWeekday,
    UnknownTimeZone,
    InsecureUrl,
    InvalidFormat,
    Duplicate,
    NotApplicable,
    TooMany,
    NotAllowed,
}

/// `problem`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Problem {
    pub field: FieldId,
    pub code: ProblemCode,
    pub message: String,
}

/// A typed error of one of the pure modules that becomes a `problem`.
pub trait Explain {
    /// The stable code.
    fn code(&self) -> ProblemCode;
    /// What is wrong and how to fix it, for a person.
    fn message(&self, lang: Language) -> String;
}

impl Problem {
    /// The problem that `error` makes of `field`.
    pub fn of(field: FieldId, error: &impl Explain, lang: Language) -> Problem {
        Problem {
            field,
            code: error.code(),
            message: error.message(lang),
        }
    }
}

/// `receipt`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Receipt {
    pub id: String,
    pub status: String,
    pub segments: u32,
    pub attempts: u32,
    pub idempotency_key: String,
    pub campaign: Option<String>,
}

/// `block-reason`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BlockReason {
    WeekdayDisabled,
    OutsideHours,
    Holiday,
    ClosedDate,
}

/// `blocked`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Blocked {
    pub reason: BlockReason,
    pub next_allowed: String,
    pub wait_seconds: u64,
    pub description: String,
}

/// The cases of `failure-code`, in WIT order: the one list of them.
///
/// `failure_codes!([callback] args...)` expands to
/// `callback! { args... { InvalidApiKey, ... } }`: [`FailureCode`] and
/// [`FailureCode::ALL`] are declared through it below, and
/// `wit_conversions!` converts to and from the WIT enum through it, so a code
/// added here reaches all three, and one missing from the WIT fails to
/// compile.
#[doc(hidden)]
#[macro_export]
macro_rules! failure_codes {
    ([$($callback:tt)*] $($args:tt)*) => {
        $($callback)*! { $($args)* {
            InvalidApiKey,
            InsufficientBalance,
            SenderNotAuthorized,
            IpNotAuthorized,
            SmsNotEnabled,
            InvalidNumber,
            InvalidRequest,
            CampaignNotFound,
            IdempotencyConflict,
            TemplateInvalid,
            MissingVariable,
            RateLimited,
            ServerError,
            Timeout,
            ConnectionFailed,
            RequestDenied,
            MalformedResponse,
            UnexpectedStatus,
            DeadlineExceeded,
            Unconfirmed,
        } }
    };
}

/// Declares [`FailureCode`] and its `ALL` from the list of [`failure_codes!`].
macro_rules! declare_failure_code {
    ({ $($case:ident),* $(,)? }) => {
        /// `failure-code`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum FailureCode {
            $($case,)*
        }

        impl FailureCode {
            /// Every code, in WIT order.
            pub const ALL: [FailureCode; [$(FailureCode::$case),*].len()] =
                [$(FailureCode::$case),*];
        }
    };
}

crate::failure_codes!([declare_failure_code]);

/// `failure`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Failure {
    pub error_intent: String,
    pub code: FailureCode,
    pub description: String,
    pub attempts: u32,
    pub last_status: Option<u16>,
    pub idempotency_key: String,
    pub possibly_sent: bool,
}

/// `outcome`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Outcome {
    Sent(Receipt),
    Blocked(Blocked),
    Invalid { problems: Vec<Problem> },
    Failed(Failure),
}

/// `replacement`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Replacement {
    pub original: String,
    pub replacement: String,
    pub count: u32,
}

/// `window-status`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum WindowStatus {
    Open,
    Closed(Blocked),
}

/// `preview`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct SendPreview {
    pub sender: String,
    pub recipient: String,
    pub message: Option<String>,
    pub campaign: Option<String>,
    pub campaign_variables: Vec<CampaignVariable>,
    pub encoding: Encoding,
    pub units: u32,
    pub segments: u32,
    pub ucs2_characters: Vec<String>,
    pub replacements: Vec<Replacement>,
    pub transliterated_segments: Option<u32>,
    pub rut: Option<String>,
    pub error_intent: String,
    pub window: WindowStatus,
}

/// `localized`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Localized {
    pub es: String,
    pub en: String,
}

/// `integer-range`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegerRange {
    pub min: u32,
    pub max: u32,
}

/// `field-kind`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum FieldKind {
    Secret,
    PhoneNumber,
    Text,
    MultilineText,
    TimeOfDay,
    Weekdays,
    KeyValues,
    Choice { values: Vec<String> },
    Integer(IntegerRange),
    Switch,
    DateList,
}

/// `field`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Field {
    pub id: FieldId,
    pub kind: FieldKind,
    pub required: bool,
    pub default_value: Option<String>,
    pub accepts_variables: bool,
    pub max_length: Option<u32>,
    pub label: Localized,
    pub help: Localized,
}

/// `versions`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Versions {
    pub component: String,
    pub tzdata: String,
    pub phone_metadata: String,
    pub holiday_years: String,
}

/// `action-form`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ActionForm {
    pub name: Localized,
    pub summary: Localized,
    pub fields: Vec<Field>,
    pub versions: Versions,
}
