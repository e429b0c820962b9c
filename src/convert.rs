//! Conversions between `model` and generated WIT bindings, written once.
//!
//! The guest (`wit-bindgen`) and the host (`wasmtime::component::bindgen!`)
//! generate different Rust types for the same WIT, with the same names. The
//! macro below writes `From` impls both ways for every type of `wit/`; each side
//! invokes it with its own bindings in scope as `wit_types` and `wit_form`, so
//! the field lists exist once and a WIT change that is not mirrored in
//! `model` fails to compile on both sides.

/// Implements `From` both ways between `model` types and the bindings modules
/// named `wit_types` (interface `types`) and `wit_form` (interface `form`),
/// which must be in scope at the call site.
#[macro_export]
macro_rules! wit_conversions {
    () => {
        $crate::wit_conversions!(@enum EncodingPolicy { Auto, Gsm7Transliterate, Ucs2 });
        $crate::wit_conversions!(@enum Encoding { Gsm7, Ucs2 });
        $crate::wit_conversions!(@enum Language { Es, En });
        $crate::wit_conversions!(@enum Purpose { Transactional, Promotional });
        $crate::wit_conversions!(@enum BlockReason { WeekdayDisabled, OutsideHours, Holiday, ClosedDate });
        $crate::wit_conversions!(@enum FieldId {
            ApiKey, Sender, Recipient, Message, Purpose, OptOut, WindowStart, WindowEnd, Weekdays,
            SendOnHolidays, ClosedDates, Campaign,
            CampaignVariables, Rut, ErrorIntent, TimeZone, MaxAttempts, BaseUrl, Language,
            Encoding, MaxSegments, IdempotencyKey, AttemptTimeoutMs, DeadlineMs, Entities
        });
        $crate::wit_conversions!(@enum ProblemCode {
            Required, MissingVariable, BadPlaceholder, BadCharacter, InvalidNumber, WrongLength,
            UnknownCountry, MissingCountryCode, NotMobile, SameNumber, InvalidRut, RutCheckDigit,
            TooLong, MessageOrCampaign, OutOfRange, InvalidTime, InvalidDate, EmptyWindow, NoWeekday,
            UnknownTimeZone, InsecureUrl, InvalidFormat, Duplicate, NotApplicable, NotSmsCapable,
            TooMany, NotAllowed
        });
        // The cases come from the one list that also declares the enum.
        $crate::failure_codes!([$crate::wit_conversions] @enum FailureCode);

        $crate::wit_conversions!(@record wit_types CampaignVariable { name: plain, value: plain });
        $crate::wit_conversions!(@record wit_types Config {
            api_key: plain, sender: plain, recipient: plain, message: plain, purpose: opt,
            opt_out: plain, window_start: plain, window_end: plain, weekdays: plain,
            send_on_holidays: plain, closed_dates: plain, campaign: plain,
            campaign_variables: vec, rut: plain, error_intent: plain, time_zone: plain,
            max_attempts: plain, base_url: plain, language: opt, encoding: opt,
            max_segments: plain, idempotency_key: plain, attempt_timeout_ms: plain,
            deadline_ms: plain
        });
        $crate::wit_conversions!(@record wit_types Entity { name: plain, value: plain, kind: plain });
        $crate::wit_conversions!(@record wit_types Problem { field: plain, code: plain, message: plain });
        $crate::wit_conversions!(@record wit_types Receipt {
            id: plain, status: plain, segments: plain, attempts: plain, idempotency_key: plain,
            campaign: plain
        });
        $crate::wit_conversions!(@record wit_types Blocked {
            reason: plain, next_allowed: plain, wait_seconds: plain, description: plain
        });
        $crate::wit_conversions!(@record wit_types Failure {
            error_intent: plain, code: plain, description: plain, attempts: plain,
            last_status: plain, idempotency_key: plain, possibly_sent: plain
        });
        $crate::wit_conversions!(@record wit_types Replacement { original: plain, replacement: plain, count: plain });
        $crate::wit_conversions!(@record wit_types SendPreview {
            sender: plain, recipient: plain, message: plain, campaign: plain,
            campaign_variables: vec, encoding: plain, units: plain, segments: plain,
            ucs2_characters: plain, replacements: vec, transliterated_segments: plain,
            rut: plain, error_intent: plain, window: plain
        });
        $crate::wit_conversions!(@record wit_form Localized { es: plain, en: plain });
        $crate::wit_conversions!(@record wit_form IntegerRange { min: plain, max: plain });
        $crate::wit_conversions!(@record wit_form Field {
            id: plain, kind: plain, required: plain, default_value: plain,
            accepts_variables: plain, max_length: plain, label: plain, help: plain
        });
        $crate::wit_conversions!(@record wit_form Versions {
            component: plain, tzdata: plain, phone_metadata: plain, holiday_years: plain
        });
        $crate::wit_conversions!(@record wit_form ActionForm {
            name: plain, summary: plain, fields: vec, versions: plain
        });

        impl From<wit_types::Outcome> for $crate::model::Outcome {
            fn from(v: wit_types::Outcome) -> Self {
                match v {
                    wit_types::Outcome::Sent(r) => Self::Sent(r.into()),
                    wit_types::Outcome::Blocked(b) => Self::Blocked(b.into()),
                    wit_types::Outcome::Invalid(p) => Self::Invalid {
                        problems: p.into_iter().map(Into::into).collect(),
                    },
                    wit_types::Outcome::Failed(f) => Self::Failed(f.into()),
                }
            }
        }
        impl From<$crate::model::Outcome> for wit_types::Outcome {
            fn from(v: $crate::model::Outcome) -> Self {
                use $crate::model::Outcome as M;
                match v {
                    M::Sent(r) => Self::Sent(r.into()),
                    M::Blocked(b) => Self::Blocked(b.into()),
                    M::Invalid { problems } => {
                        Self::Invalid(problems.into_iter().map(Into::into).collect())
                    }
                    M::Failed(f) => Self::Failed(f.into()),
                }
            }
        }
        impl From<wit_types::WindowStatus> for $crate::model::WindowStatus {
            fn from(v: wit_types::WindowStatus) -> Self {
                match v {
                    wit_types::WindowStatus::Open => Self::Open,
                    wit_types::WindowStatus::Closed(b) => Self::Closed(b.into()),
                }
            }
        }
        impl From<$crate::model::WindowStatus> for wit_types::WindowStatus {
            fn from(v: $crate::model::WindowStatus) -> Self {
                match v {
                    $crate::model::WindowStatus::Open => Self::Open,
                    $crate::model::WindowStatus::Closed(b) => Self::Closed(b.into()),
                }
            }
        }
        impl From<wit_form::FieldKind> for $crate::model::FieldKind {
            fn from(v: wit_form::FieldKind) -> Self {
                use wit_form::FieldKind as W;
                match v {
                    W::Secret => Self::Secret,
                    W::PhoneNumber => Self::PhoneNumber,
                    W::Text => Self::Text,
                    W::MultilineText => Self::MultilineText,
                    W::TimeOfDay => Self::TimeOfDay,
                    W::Weekdays => Self::Weekdays,
                    W::KeyValues => Self::KeyValues,
                    W::Choice(values) => Self::Choice { values },
                    W::Integer(r) => Self::Integer(r.into()),
                    W::Switch => Self::Switch,
                    W::DateList => Self::DateList,
                }
            }
        }
        impl From<$crate::model::FieldKind> for wit_form::FieldKind {
            fn from(v: $crate::model::FieldKind) -> Self {
                use $crate::model::FieldKind as M;
                match v {
                    M::Secret => Self::Secret,
                    M::PhoneNumber => Self::PhoneNumber,
                    M::Text => Self::Text,
                    M::MultilineText => Self::MultilineText,
                    M::TimeOfDay => Self::TimeOfDay,
                    M::Weekdays => Self::Weekdays,
                    M::KeyValues => Self::KeyValues,
                    M::Choice { values } => Self::Choice(values),
                    M::Integer(r) => Self::Integer(r.into()),
                    M::Switch => Self::Switch,
                    M::DateList => Self::DateList,
                }
            }
        }
        impl From<wit_types::Weekdays> for $crate::model::Weekdays {
            fn from(v: wit_types::Weekdays) -> Self {
                let days = [
                    wit_types::Weekdays::MONDAY,
                    wit_types::Weekdays::TUESDAY,
                    wit_types::Weekdays::WEDNESDAY,
                    wit_types::Weekdays::THURSDAY,
                    wit_types::Weekdays::FRIDAY,
                    wit_types::Weekdays::SATURDAY,
                    wit_types::Weekdays::SUNDAY,
                ];
                let bits = days
                    .iter()
                    .enumerate()
                    .filter(|(_, d)| v.contains(**d))
                    .fold(0u8, |acc, (i, _)| acc | (1 << i));
                Self::from_bits(bits)
            }
        }
        impl From<$crate::model::Weekdays> for wit_types::Weekdays {
            fn from(v: $crate::model::Weekdays) -> Self {
                let days = [
                    Self::MONDAY,
                    Self::TUESDAY,
                    Self::WEDNESDAY,
                    Self::THURSDAY,
                    Self::FRIDAY,
                    Self::SATURDAY,
                    Self::SUNDAY,
                ];
                days.iter()
                    .enumerate()
                    .filter(|(i, _)| v.allows(*i as u32))
                    .fold(Self::empty(), |acc, (_, d)| acc | *d)
            }
        }
    };

    (@enum $name:ident { $($case:ident),* $(,)? }) => {
        impl From<wit_types::$name> for $crate::model::$name {
            fn from(v: wit_types::$name) -> Self {
                match v { $(wit_types::$name::$case => Self::$case,)* }
            }
        }
        impl From<$crate::model::$name> for wit_types::$name {
            fn from(v: $crate::model::$name) -> Self {
                match v { $($crate::model::$name::$case => Self::$case,)* }
            }
        }
    };

    (@record $wit:ident $name:ident { $($field:ident : $how:ident),* $(,)? }) => {
        impl From<$wit::$name> for $crate::model::$name {
            fn from(v: $wit::$name) -> Self {
                Self { $($field: $crate::wit_conversions!(@field $how v.$field),)* }
            }
        }
        impl From<$crate::model::$name> for $wit::$name {
            fn from(v: $crate::model::$name) -> Self {
                Self { $($field: $crate::wit_conversions!(@field $how v.$field),)* }
            }
        }
    };

    (@field plain $e:expr) => { $e.into() };
    (@field opt $e:expr) => { $e.map(Into::into) };
    (@field vec $e:expr) => { $e.into_iter().map(Into::into).collect() };
}
