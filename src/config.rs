//! The rules of every `config` field in one place: its default, its integer
//! bounds, its longest text. Validation, the form (`describe`), the retry
//! policy and the host all read them here, so a new field or a changed range
//! is one edit.
//!
//! Lengths are counted in characters (Unicode scalar values), on the text as
//! written and again on the value after flow variables: every input the
//! action keeps in memory or puts on the wire is bounded before it is used.

use crate::model::{CampaignVariable, Config, Entity, FieldId};

/// Bounds and default of an integer field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Integer {
    /// The value when the field is not given.
    pub default: u32,
    /// Smallest value accepted.
    pub min: u32,
    /// Largest value accepted.
    pub max: u32,
}

impl Integer {
    /// The value to use, or `None` when it is out of range.
    pub fn check(self, value: Option<u32>) -> Option<u32> {
        let value = value.unwrap_or(self.default);
        (self.min..=self.max).contains(&value).then_some(value)
    }
}

/// Attempts of one send.
pub const MAX_ATTEMPTS: Integer = Integer {
    default: 3,
    min: 1,
    max: 10,
};
/// Segments one message may take (each is billed).
pub const MAX_SEGMENTS: Integer = Integer {
    default: 6,
    min: 1,
    max: 10,
};
/// Timeout of one HTTP attempt, milliseconds.
pub const ATTEMPT_TIMEOUT_MS: Integer = Integer {
    default: 10_000,
    min: 100,
    max: 60_000,
};
/// Time budget of a whole send, attempts and waits, milliseconds.
pub const DEADLINE_MS: Integer = Integer {
    default: 30_000,
    min: 100,
    max: 300_000,
};

/// Intent that receives the error description when `error-intent` is empty.
pub const DEFAULT_ERROR_INTENT: &str = "SendSMS_SiptelSMS_ErrorError";
/// IANA time zone of the window when `time-zone` is empty.
pub const DEFAULT_TIME_ZONE: &str = "America/Santiago";
/// Siptel's base URL when `base-url` is empty (part of the contract).
pub use crate::siptel::DEFAULT_BASE_URL;

/// Longest text of each text field, in characters (as written and as
/// rendered). Far above any real value; they bound memory and wire size
/// (an API key of 131 KB would otherwise pass validation and then break the
/// HTTP request), not taste.
pub const fn max_chars(field: FieldId) -> Option<usize> {
    Some(match field {
        // Real keys are tens of characters; HTTP stacks refuse huge headers.
        FieldId::ApiKey => 512,
        // Room for typed separators: `+56 (9) 1234-5678`.
        FieldId::Sender | FieldId::Recipient => 64,
        // Ten segments of GSM-7 are 1,530 characters; the rest is room for
        // placeholders and transliteration. The segment limit is what bills.
        FieldId::Message => 4_000,
        // Two lines of an SMS: how to stop messages, not a second message.
        FieldId::OptOut => 160,
        // Each date, `YYYY-MM-DD`, with room for a placeholder.
        FieldId::ClosedDates => 32,
        FieldId::WindowStart | FieldId::WindowEnd => 32,
        FieldId::Campaign => 100,
        FieldId::Rut => 32,
        FieldId::ErrorIntent => 100,
        FieldId::TimeZone => 64,
        FieldId::BaseUrl => 2_048,
        // The key itself is 8 to 64; the text as written may hold
        // placeholders with long names (`pedido-{{id_pedido_crm}}`).
        FieldId::IdempotencyKey => 256,
        FieldId::CampaignVariables => CAMPAIGN_VARIABLE_VALUE_CHARS,
        FieldId::Weekdays
        | FieldId::Purpose
        | FieldId::SendOnHolidays
        | FieldId::MaxAttempts
        | FieldId::Language
        | FieldId::Encoding
        | FieldId::MaxSegments
        | FieldId::AttemptTimeoutMs
        | FieldId::DeadlineMs
        | FieldId::Entities => return None,
    })
}

/// The integer rule of an integer field.
pub const fn integer(field: FieldId) -> Option<Integer> {
    Some(match field {
        FieldId::MaxAttempts => MAX_ATTEMPTS,
        FieldId::MaxSegments => MAX_SEGMENTS,
        FieldId::AttemptTimeoutMs => ATTEMPT_TIMEOUT_MS,
        FieldId::DeadlineMs => DEADLINE_MS,
        _ => return None,
    })
}

/// Most closed dates one config may give.
pub const MAX_CLOSED_DATES: usize = 100;

/// Most campaign variables one config may give.
pub const MAX_CAMPAIGN_VARIABLES: usize = 100;
/// Longest campaign variable name, in characters.
pub const CAMPAIGN_VARIABLE_NAME_CHARS: usize = 64;
/// Longest campaign variable value, as written and as rendered.
pub const CAMPAIGN_VARIABLE_VALUE_CHARS: usize = 1_000;

/// Most entities one call may pass; a flow holds tens.
pub const MAX_ENTITIES: usize = 256;
/// Longest entity name a placeholder can name (`{{name}}`): a longer entity
/// can never be used, so it is ignored.
pub const ENTITY_NAME_CHARS: usize = 128;
/// Most placeholders one field may hold.
pub const MAX_PLACEHOLDERS: usize = 100;

/// Most problems one answer lists: enough to fix a config in one pass; the
/// last one says how many more there were.
pub const MAX_PROBLEMS: usize = 50;

/// The longest text any field accepts, in characters: an entity value longer
/// than this cannot fit in any field, so a host may cut entity values (and
/// config texts) to this length plus one before passing them in, to bound the
/// sandbox's memory, without changing any outcome (what was too long stays
/// too long).
pub const LONGEST_TEXT_CHARS: usize = {
    let mut longest = CAMPAIGN_VARIABLE_VALUE_CHARS;
    let mut i = 0;
    while i < FieldId::ALL.len() {
        if let Some(n) = max_chars(FieldId::ALL[i])
            && n > longest
        {
            longest = n;
        }
        i += 1;
    }
    longest
};

/// Whether `text` has more than `max` characters, without counting past it.
pub fn longer_than(text: &str, max: usize) -> bool {
    text.len() > max && text.chars().nth(max).is_some()
}

/// `text` cut to at most `max` characters.
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => text[..end].to_owned(),
        None => text.to_owned(),
    }
}

/// The inputs of a call, cut to what the action can judge: every text one
/// character past its field's limit, entity values one past
/// [`LONGEST_TEXT_CHARS`] and names one past [`ENTITY_NAME_CHARS`], lists one
/// item past their count. Whatever was too long or too many stays so (with
/// the same problems), and what fit is unchanged, so the outcome is the same;
/// but what a host copies into the sandbox is bounded (a few MB at most), so
/// a 100 MB entity is a problem on the field that uses it, never a memory
/// trap. The Rust host applies it to every call; other hosts should too.
pub fn bounded(config: &Config, entities: &[Entity]) -> (Config, Vec<Entity>) {
    let text = |field: FieldId, value: &str| cut(value, max_chars(field).unwrap_or(0) + 1);
    let optional =
        |field: FieldId, value: &Option<String>| value.as_deref().map(|v| text(field, v));
    let bounded_config = Config {
        api_key: text(FieldId::ApiKey, config.api_key.expose()).into(),
        sender: text(FieldId::Sender, &config.sender),
        recipient: text(FieldId::Recipient, &config.recipient),
        message: optional(FieldId::Message, &config.message),
        opt_out: optional(FieldId::OptOut, &config.opt_out),
        closed_dates: config
            .closed_dates
            .iter()
            .take(MAX_CLOSED_DATES + 1)
            .map(|date| text(FieldId::ClosedDates, date))
            .collect(),
        window_start: text(FieldId::WindowStart, &config.window_start),
        window_end: text(FieldId::WindowEnd, &config.window_end),
        campaign: optional(FieldId::Campaign, &config.campaign),
        campaign_variables: config
            .campaign_variables
            .iter()
            .take(MAX_CAMPAIGN_VARIABLES + 1)
            .map(|v| CampaignVariable {
                name: cut(&v.name, CAMPAIGN_VARIABLE_NAME_CHARS + 1),
                value: cut(&v.value, CAMPAIGN_VARIABLE_VALUE_CHARS + 1),
            })
            .collect(),
        rut: optional(FieldId::Rut, &config.rut),
        error_intent: optional(FieldId::ErrorIntent, &config.error_intent),
        time_zone: optional(FieldId::TimeZone, &config.time_zone),
        base_url: optional(FieldId::BaseUrl, &config.base_url),
        idempotency_key: optional(FieldId::IdempotencyKey, &config.idempotency_key),
        weekdays: config.weekdays,
        purpose: config.purpose,
        send_on_holidays: config.send_on_holidays,
        max_attempts: config.max_attempts,
        language: config.language,
        encoding: config.encoding,
        max_segments: config.max_segments,
        attempt_timeout_ms: config.attempt_timeout_ms,
        deadline_ms: config.deadline_ms,
    };
    let bounded_entities = entities
        .iter()
        .take(MAX_ENTITIES + 1)
        .map(|e| Entity {
            name: cut(&e.name, ENTITY_NAME_CHARS + 1),
            value: cut(&e.value, LONGEST_TEXT_CHARS + 1),
            kind: e.kind.as_deref().map(|k| cut(k, ENTITY_NAME_CHARS)),
        })
        .collect();
    (bounded_config, bounded_entities)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_lie_within_their_bounds() {
        for field in FieldId::ALL {
            if let Some(rule) = integer(field) {
                assert!(
                    rule.min <= rule.default && rule.default <= rule.max,
                    "{field:?}"
                );
                assert_eq!(rule.check(None), Some(rule.default));
                assert_eq!(rule.check(Some(rule.max + 1)), None);
                assert_eq!(rule.check(Some(rule.min.saturating_sub(1))), None);
            }
        }
    }

    #[test]
    fn every_text_field_has_a_length_and_no_integer_one_does() {
        for field in FieldId::ALL {
            assert!(
                !(max_chars(field).is_some() && integer(field).is_some()),
                "{field:?}"
            );
        }
        assert_eq!(LONGEST_TEXT_CHARS, 4_000);
    }

    #[test]
    fn bounded_inputs_keep_what_fits_and_stay_too_long_otherwise() {
        let config = Config {
            api_key: "k".repeat(10_000).into(),
            sender: "56961234567".into(),
            message: Some("ñ".repeat(1_000_000)),
            campaign_variables: vec![
                CampaignVariable {
                    name: "n".into(),
                    value: "v".into()
                };
                1_000
            ],
            max_attempts: Some(7),
            ..Config::default()
        };
        let entities = vec![
            Entity {
                name: "e".into(),
                value: "x".repeat(100_000),
                kind: Some("phone".into()),
            };
            MAX_ENTITIES + 50
        ];
        let (c, e) = bounded(&config, &entities);
        assert_eq!(c.api_key.expose().len(), 513);
        assert_eq!(c.sender, config.sender);
        assert_eq!(c.message.as_deref().map(|m| m.chars().count()), Some(4_001));
        assert_eq!(c.campaign_variables.len(), MAX_CAMPAIGN_VARIABLES + 1);
        assert_eq!(c.max_attempts, Some(7));
        assert_eq!(c.time_zone, None);
        assert_eq!(e.len(), MAX_ENTITIES + 1);
        assert_eq!(e[0].value.len(), LONGEST_TEXT_CHARS + 1);
        assert_eq!(e[0].kind.as_deref(), Some("phone"));
        let bytes: usize = e.iter().map(|e| e.name.len() + e.value.len()).sum();
        assert!(bytes < 2 << 20, "{bytes}");
    }

    #[test]
    fn longer_than_counts_characters() {
        assert!(!longer_than("ñññ", 3));
        assert!(longer_than("ñññ", 2));
        assert!(!longer_than("", 0));
        assert!(longer_than("a", 0));
    }
}
