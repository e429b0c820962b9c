//! The one validation path shared by `check`, `preview` and `send`.
//!
//! Every field is rendered (flow variables), checked and normalised here, and
//! every problem is collected, so a config is judged the same way whatever the
//! entry point. At design time (`check`, no entities) a field that holds
//! placeholders has its syntax and static text checked and the rest deferred.

use crate::describe::{
    DEFAULT_ATTEMPT_TIMEOUT_MS, DEFAULT_DEADLINE_MS, DEFAULT_ERROR_INTENT, DEFAULT_MAX_ATTEMPTS,
    DEFAULT_MAX_SEGMENTS, DEFAULT_TIME_ZONE, MAX_SEGMENTS_CAP,
};
use crate::encoding::{self, Analysis, TooLong};
use crate::model::{
    CampaignVariable, Config, Entity, Explain, FieldId, Language, Problem, ProblemCode, Replacement,
};
use crate::siptel::{self, BaseUrl};
use crate::window::{self, Window};
use crate::{phone, rut, template, text};

/// What a valid config resolves to: everything `send` needs, normalised.
#[derive(Clone)]
pub struct Plan {
    pub api_key: String,
    pub sender: String,
    pub recipient: String,
    pub content: Content,
    pub rut: Option<String>,
    pub error_intent: String,
    pub window: Window,
    pub language: Language,
    pub base_url: BaseUrl,
    /// The caller's idempotency key, if any (otherwise `send` draws one).
    pub idempotency_key: Option<String>,
    pub max_attempts: u32,
    pub attempt_timeout_ms: u32,
    pub deadline_ms: u32,
}

/// What is sent: a text, or a campaign whose template lives at Siptel.
#[derive(Clone, Debug)]
pub enum Content {
    Message {
        /// Final text, after flow variables and the encoding policy.
        text: String,
        analysis: Analysis,
        /// Replacements made by `gsm7-transliterate`.
        replacements: Vec<Replacement>,
        /// Segments with transliteration, when not in use and it would save some.
        transliterated_segments: Option<u32>,
    },
    Campaign {
        name: String,
        variables: Vec<CampaignVariable>,
    },
}

/// Design-time validation: every problem of `config`, placeholders accepted.
pub fn check(config: &Config) -> Vec<Problem> {
    match Validator::new(config, None).run(config) {
        Ok(_) => Vec::new(),
        Err(problems) => problems,
    }
}

/// Run-time validation: renders flow variables from `entities` and resolves
/// the config into a plan, or lists every problem.
pub fn plan(config: &Config, entities: &[Entity]) -> Result<Plan, Vec<Problem>> {
    match Validator::new(config, Some(entities)).run(config)? {
        Some(plan) => Ok(plan),
        // Unreachable with entities (nothing is deferred), kept total anyway.
        None => Err(Vec::new()),
    }
}

/// Rules of this module's own (the pure modules explain theirs).
#[derive(Debug, Clone, PartialEq, Eq)]
enum ConfigError {
    Required,
    MessageOrCampaign { both: bool },
    OutOfRange { min: u32, max: u32 },
    SameNumber,
    IntentName,
    IdempotencyKey,
    CampaignName,
    VariableName { name: String },
    DuplicateVariable { name: String },
    VariablesWithoutCampaign,
}

impl Explain for ConfigError {
    fn code(&self) -> ProblemCode {
        match self {
            ConfigError::Required => ProblemCode::Required,
            ConfigError::MessageOrCampaign { .. } => ProblemCode::MessageOrCampaign,
            ConfigError::OutOfRange { .. } => ProblemCode::OutOfRange,
            ConfigError::SameNumber => ProblemCode::SameNumber,
            ConfigError::IntentName
            | ConfigError::IdempotencyKey
            | ConfigError::CampaignName
            | ConfigError::VariableName { .. } => ProblemCode::InvalidFormat,
            ConfigError::DuplicateVariable { .. } => ProblemCode::Duplicate,
            ConfigError::VariablesWithoutCampaign => ProblemCode::NotApplicable,
        }
    }

    fn message(&self, lang: Language) -> String {
        match self {
            ConfigError::Required => lang.pick("Este campo es obligatorio.", "This field is required.").into(),
            ConfigError::MessageOrCampaign { both: true } => lang
                .pick(
                    "Indique el contenido del mensaje o el nombre de la campaña, no ambos.",
                    "Give either the message content or the campaign name, not both.",
                )
                .into(),
            ConfigError::MessageOrCampaign { both: false } => lang
                .pick(
                    "Indique el contenido del mensaje o el nombre de una campaña de Siptel.",
                    "Give the message content or the name of a Siptel campaign.",
                )
                .into(),
            ConfigError::OutOfRange { min, max } => match lang {
                Language::Es => format!("Debe estar entre {min} y {max}."),
                Language::En => format!("Must be between {min} and {max}."),
            },
            ConfigError::SameNumber => lang
                .pick(
                    "El destinatario no puede ser el mismo número que el remitente.",
                    "The recipient cannot be the same number as the sender.",
                )
                .into(),
            ConfigError::IntentName => lang
                .pick(
                    "El nombre del intent de error solo admite letras, dígitos y _ (hasta 100), por ejemplo SendSMS_SiptelSMS_ErrorError.",
                    "The error intent name allows only letters, digits and _ (up to 100), e.g. SendSMS_SiptelSMS_ErrorError.",
                )
                .into(),
            ConfigError::IdempotencyKey => lang
                .pick(
                    "La clave de idempotencia debe tener de 8 a 64 caracteres entre A-Z, a-z, 0-9, _ y -.",
                    "The idempotency key must be 8 to 64 characters of A-Z, a-z, 0-9, _ and -.",
                )
                .into(),
            ConfigError::CampaignName => lang
                .pick(
                    "El nombre de la campaña debe tener de 1 a 100 caracteres, en una línea.",
                    "The campaign name must be 1 to 100 characters on one line.",
                )
                .into(),
            ConfigError::VariableName { name } => match lang {
                Language::Es => format!(
                    "La variable de campaña «{name}» no es válida: use letras, dígitos y _, comenzando con una letra (hasta 64)."
                ),
                Language::En => format!(
                    "Campaign variable \"{name}\" is not valid: use letters, digits and _, starting with a letter (up to 64)."
                ),
            },
            ConfigError::DuplicateVariable { name } => match lang {
                Language::Es => format!("La variable de campaña «{name}» aparece más de una vez."),
                Language::En => format!("Campaign variable \"{name}\" appears more than once."),
            },
            ConfigError::VariablesWithoutCampaign => lang
                .pick(
                    "Las variables de campaña solo se usan con un nombre de campaña.",
                    "Campaign variables are only used with a campaign name.",
                )
                .into(),
        }
    }
}

/// A field's value after flow variables.
enum Resolved {
    /// Rendered (or static) text, ready for the field's own checks.
    Value(String),
    /// Holds placeholders at design time: only syntax and static parts checked.
    Deferred,
    /// Already reported.
    Invalid,
}

struct Validator<'a> {
    lang: Language,
    /// `None` at design time.
    entities: Option<&'a [Entity]>,
    problems: Vec<Problem>,
}

impl<'a> Validator<'a> {
    fn new(config: &Config, entities: Option<&'a [Entity]>) -> Self {
        Validator {
            lang: config.language.unwrap_or_default(),
            entities,
            problems: Vec::new(),
        }
    }

    fn report(&mut self, field: FieldId, error: &impl Explain) {
        self.problems.push(Problem::of(field, error, self.lang));
    }

    fn report_all<E: Explain>(&mut self, field: FieldId, errors: impl IntoIterator<Item = E>) {
        for error in errors {
            self.report(field, &error);
        }
    }

    /// Renders a field's flow variables (or, at design time, checks their syntax).
    fn resolve(&mut self, field: FieldId, raw: &str) -> Resolved {
        match self.entities {
            Some(entities) => match template::render_entities(raw, entities) {
                Ok(value) => Resolved::Value(value),
                Err(errors) => {
                    self.report_all(field, errors);
                    Resolved::Invalid
                }
            },
            None => match template::check(raw) {
                Err(errors) => {
                    self.report_all(field, errors);
                    Resolved::Invalid
                }
                Ok(()) if template::has_placeholders(raw) => Resolved::Deferred,
                Ok(()) => Resolved::Value(template::static_text(raw)),
            },
        }
    }

    /// A required text field: `required` when empty, else resolved.
    fn required(&mut self, field: FieldId, raw: &str) -> Resolved {
        if raw.trim().is_empty() {
            self.report(field, &ConfigError::Required);
            return Resolved::Invalid;
        }
        self.resolve(field, raw)
    }

    /// An optional text field: `None` when absent or blank (meaning "not used").
    fn optional(&mut self, field: FieldId, raw: Option<&str>) -> Option<Resolved> {
        raw.filter(|s| !s.trim().is_empty())
            .map(|s| self.resolve(field, s))
    }

    /// Applies `check` to a resolved value, reporting its error.
    fn checked<T, E: Explain>(
        &mut self,
        field: FieldId,
        resolved: Resolved,
        check: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        match resolved {
            Resolved::Value(value) => match check(&value) {
                Ok(v) => Some(v),
                Err(error) => {
                    self.report(field, &error);
                    None
                }
            },
            Resolved::Deferred | Resolved::Invalid => None,
        }
    }

    fn in_range(
        &mut self,
        field: FieldId,
        value: Option<u32>,
        default: u32,
        min: u32,
        max: u32,
    ) -> u32 {
        let value = value.unwrap_or(default);
        if !(min..=max).contains(&value) {
            self.report(field, &ConfigError::OutOfRange { min, max });
            // Reported once, here: later checks that use the value (the
            // message's length) judge against the default instead.
            return default;
        }
        value
    }

    /// Validates every field in config order; `Ok(None)` when nothing is wrong
    /// but some field was deferred (design time).
    fn run(mut self, config: &Config) -> Result<Option<Plan>, Vec<Problem>> {
        let api_key = self.api_key(&config.api_key);

        let sender = self.required(FieldId::Sender, &config.sender);
        let sender = self.checked(FieldId::Sender, sender, phone::parse);
        let recipient = self.required(FieldId::Recipient, &config.recipient);
        let recipient = self.checked(FieldId::Recipient, recipient, |s| {
            let number = phone::parse(s)?;
            phone::require_mobile(&number)?;
            Ok::<_, phone::NumberError>(number)
        });
        if let (Some(s), Some(r)) = (&sender, &recipient)
            && s.digits == r.digits
        {
            self.report(FieldId::Recipient, &ConfigError::SameNumber);
        }

        let window = self.window(config);
        // Checked in every mode, so a campaign config hears of it too.
        let max_segments = self.in_range(
            FieldId::MaxSegments,
            config.max_segments.map(u32::from),
            u32::from(DEFAULT_MAX_SEGMENTS),
            1,
            u32::from(MAX_SEGMENTS_CAP),
        );
        let content = self.content(config, max_segments);
        let rut = self
            .optional(FieldId::Rut, config.rut.as_deref())
            .and_then(|r| self.checked(FieldId::Rut, r, rut::normalize));

        let error_intent = match self.optional(FieldId::ErrorIntent, config.error_intent.as_deref())
        {
            None => Some(DEFAULT_ERROR_INTENT.to_string()),
            Some(r) => self.checked(FieldId::ErrorIntent, r, |s| {
                let valid = !s.is_empty()
                    && s.len() <= 100
                    && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if valid {
                    Ok(s.to_string())
                } else {
                    Err(ConfigError::IntentName)
                }
            }),
        };

        let max_attempts = self.in_range(
            FieldId::MaxAttempts,
            config.max_attempts.map(u32::from),
            u32::from(DEFAULT_MAX_ATTEMPTS),
            1,
            10,
        );
        let base_url = match self.optional(FieldId::BaseUrl, config.base_url.as_deref()) {
            None => siptel::parse_base_url(siptel::DEFAULT_BASE_URL).ok(),
            Some(r) => self.checked(FieldId::BaseUrl, r, siptel::parse_base_url),
        };
        let idempotency_key = self
            .optional(FieldId::IdempotencyKey, config.idempotency_key.as_deref())
            .map(|r| {
                self.checked(FieldId::IdempotencyKey, r, |s| {
                    if siptel::is_valid_idempotency_key(s) {
                        Ok(s.to_string())
                    } else {
                        Err(ConfigError::IdempotencyKey)
                    }
                })
            });
        let attempt_timeout_ms = self.in_range(
            FieldId::AttemptTimeoutMs,
            config.attempt_timeout_ms,
            DEFAULT_ATTEMPT_TIMEOUT_MS,
            100,
            60_000,
        );
        let deadline_ms = self.in_range(
            FieldId::DeadlineMs,
            config.deadline_ms,
            DEFAULT_DEADLINE_MS,
            100,
            300_000,
        );

        if !self.problems.is_empty() {
            // Stable order: config field order, then discovery order.
            self.problems.sort_by_key(|p| p.field);
            return Err(self.problems);
        }
        let (
            Some(api_key),
            Some(sender),
            Some(recipient),
            Some(window),
            Some(content),
            Some(error_intent),
            Some(base_url),
        ) = (
            api_key,
            sender,
            recipient,
            window,
            content,
            error_intent,
            base_url,
        )
        else {
            return Ok(None);
        };
        let rut = match rut {
            Some(r) => Some(r),
            None if config.rut.as_deref().is_some_and(|r| !r.trim().is_empty()) => return Ok(None),
            None => None,
        };
        let idempotency_key = match idempotency_key {
            Some(None) => return Ok(None),
            Some(Some(k)) => Some(k),
            None => None,
        };
        Ok(Some(Plan {
            api_key,
            sender: sender.digits,
            recipient: recipient.digits,
            content,
            rut,
            error_intent,
            window,
            language: self.lang,
            base_url,
            idempotency_key,
            max_attempts,
            attempt_timeout_ms,
            deadline_ms,
        }))
    }

    fn api_key(&mut self, raw: &str) -> Option<String> {
        let resolved = self.required(FieldId::ApiKey, raw);
        match resolved {
            Resolved::Value(key) => {
                let errors = text::check_token(&key);
                if errors.is_empty() {
                    Some(key)
                } else {
                    self.report_all(FieldId::ApiKey, errors);
                    None
                }
            }
            Resolved::Deferred | Resolved::Invalid => None,
        }
    }

    fn window(&mut self, config: &Config) -> Option<Window> {
        let start = self.required(FieldId::WindowStart, &config.window_start);
        let start = self.checked(FieldId::WindowStart, start, window::parse_time);
        let end = self.required(FieldId::WindowEnd, &config.window_end);
        let end = self.checked(FieldId::WindowEnd, end, window::parse_time);
        let zone = match self.optional(FieldId::TimeZone, config.time_zone.as_deref()) {
            None => window::parse_zone(DEFAULT_TIME_ZONE).ok(),
            Some(r) => self.checked(FieldId::TimeZone, r, window::parse_zone),
        };
        // Reported here so it shows even when the times are wrong too.
        if config.weekdays.is_empty() {
            self.report(FieldId::Weekdays, &window::WindowError::NoWeekday);
        }
        match Window::new(start?, end?, config.weekdays, zone?) {
            Ok(w) => Some(w),
            Err(errors) => {
                for (field, error) in errors.iter().filter(|(f, _)| *f != FieldId::Weekdays) {
                    self.report(*field, error);
                }
                None
            }
        }
    }

    fn content(&mut self, config: &Config, max_segments: u32) -> Option<Content> {
        let message = config.message.as_deref().filter(|s| !s.trim().is_empty());
        let campaign = config.campaign.as_deref().filter(|s| !s.trim().is_empty());
        if campaign.is_none() && !config.campaign_variables.is_empty() {
            self.report(
                FieldId::CampaignVariables,
                &ConfigError::VariablesWithoutCampaign,
            );
        }
        match (message, campaign) {
            (Some(text), None) => self.message(config, text, max_segments),
            (None, Some(name)) => self.campaign(config, name),
            (message, _) => {
                let both = message.is_some();
                self.report(FieldId::Message, &ConfigError::MessageOrCampaign { both });
                None
            }
        }
    }

    fn message(&mut self, config: &Config, raw: &str, max_segments: u32) -> Option<Content> {
        let text = match self.resolve(FieldId::Message, raw) {
            Resolved::Value(text) => text,
            Resolved::Invalid => return None,
            Resolved::Deferred => {
                // Design time: the static parts must still be readable; the
                // empty check waits for the rendered text.
                let errors = text::check_message(&template::static_text(raw))
                    .into_iter()
                    .filter(|e| !matches!(e, text::TextError::Empty));
                self.report_all(FieldId::Message, errors);
                return None;
            }
        };
        let errors = text::check_message(&text);
        if !errors.is_empty() {
            self.report_all(FieldId::Message, errors);
            return None;
        }
        let policy = config.encoding.unwrap_or_default();
        let (text, replacements) = match policy {
            crate::model::EncodingPolicy::Gsm7Transliterate => {
                let t = encoding::transliterate(&text);
                (t.text, t.replacements)
            }
            _ => (text, Vec::new()),
        };
        let analysis = encoding::analyze(&text, policy == crate::model::EncodingPolicy::Ucs2);
        let transliterated_segments = match policy {
            crate::model::EncodingPolicy::Gsm7Transliterate => None,
            _ => {
                let t = encoding::transliterate(&text);
                let segments = encoding::analyze(&t.text, false).segments;
                (segments < analysis.segments).then_some(segments)
            }
        };
        if analysis.segments > max_segments {
            self.report(
                FieldId::Message,
                &TooLong {
                    segments: analysis.segments,
                    max_segments,
                    units: analysis.units,
                    encoding: analysis.encoding,
                },
            );
            return None;
        }
        Some(Content::Message {
            text,
            analysis,
            replacements,
            transliterated_segments,
        })
    }

    fn campaign(&mut self, config: &Config, raw: &str) -> Option<Content> {
        let resolved = self.resolve(FieldId::Campaign, raw);
        let name = self.checked(FieldId::Campaign, resolved, |s| {
            let s = s.trim();
            if !s.is_empty() && s.chars().count() <= 100 && text::check_line(s).is_empty() {
                Ok(s.to_string())
            } else {
                Err(ConfigError::CampaignName)
            }
        });
        let mut variables = Vec::with_capacity(config.campaign_variables.len());
        let mut complete = true;
        for (i, var) in config.campaign_variables.iter().enumerate() {
            let valid_name = var.name.len() <= 64
                && var
                    .name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic())
                && var
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid_name {
                self.report(
                    FieldId::CampaignVariables,
                    &ConfigError::VariableName {
                        name: var.name.clone(),
                    },
                );
                complete = false;
                continue;
            }
            if config.campaign_variables[..i]
                .iter()
                .any(|v| v.name == var.name)
            {
                self.report(
                    FieldId::CampaignVariables,
                    &ConfigError::DuplicateVariable {
                        name: var.name.clone(),
                    },
                );
                complete = false;
                continue;
            }
            match self.resolve(FieldId::CampaignVariables, &var.value) {
                Resolved::Value(value) => {
                    let errors: Vec<_> = text::check_message(&value)
                        .into_iter()
                        .filter(|e| !matches!(e, text::TextError::Empty))
                        .collect();
                    complete &= errors.is_empty();
                    self.report_all(FieldId::CampaignVariables, errors);
                    variables.push(CampaignVariable {
                        name: var.name.clone(),
                        value,
                    });
                }
                Resolved::Deferred | Resolved::Invalid => complete = false,
            }
        }
        let name = name?;
        complete.then_some(Content::Campaign { name, variables })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EncodingPolicy, Weekdays};
    use proptest::prelude::*;

    fn valid() -> Config {
        Config {
            api_key: "key-123".into(),
            sender: "56961234567".into(),
            recipient: "56987654321".into(),
            message: Some("Hola {{name}}".into()),
            window_start: "09:00".into(),
            window_end: "18:00:00".into(),
            weekdays: Weekdays::WORKDAYS,
            ..Config::default()
        }
    }

    fn entity(name: &str, value: &str) -> Entity {
        Entity {
            name: name.into(),
            value: value.into(),
            kind: None,
        }
    }

    /// The problems of a plan that must fail (`Plan` has no `Debug`: it
    /// holds the API key).
    fn problems(result: Result<Plan, Vec<Problem>>) -> Vec<Problem> {
        match result {
            Ok(_) => panic!("expected problems"),
            Err(problems) => problems,
        }
    }

    /// The plan of a config that must be valid.
    fn planned(config: &Config, entities: &[Entity]) -> Plan {
        match plan(config, entities) {
            Ok(plan) => plan,
            Err(problems) => panic!("expected a plan: {problems:#?}"),
        }
    }

    fn codes(problems: &[Problem]) -> Vec<(FieldId, ProblemCode)> {
        problems.iter().map(|p| (p.field, p.code)).collect()
    }

    #[test]
    fn a_valid_config_resolves_with_its_defaults() {
        let plan = planned(&valid(), &[entity("name", "Ana")]);
        assert_eq!(plan.error_intent, DEFAULT_ERROR_INTENT);
        assert_eq!(plan.max_attempts, 3);
        assert_eq!(plan.deadline_ms, DEFAULT_DEADLINE_MS);
        assert_eq!(plan.base_url.to_string(), siptel::DEFAULT_BASE_URL);
        assert_eq!(plan.idempotency_key, None);
        let Content::Message { text, analysis, .. } = plan.content else {
            panic!("message mode")
        };
        assert_eq!(text, "Hola Ana");
        assert_eq!(analysis.segments, 1);
    }

    #[test]
    fn check_accepts_placeholders_and_checks_static_parts() {
        let mut config = valid();
        config.recipient = "{{ customer_phone }}".into();
        config.message = Some("Hola {{name}}\u{7}".into());
        assert_eq!(
            codes(&check(&config)),
            [(FieldId::Message, ProblemCode::BadCharacter)]
        );
        config.message = Some("Hola {{name}}".into());
        assert_eq!(check(&config), []);
    }

    #[test]
    fn every_problem_is_reported_at_once_in_field_order() {
        let config = Config {
            api_key: "bad key".into(),
            sender: "56961234567".into(),
            recipient: "56961234567".into(),
            message: Some("x".into()),
            campaign: Some("promo".into()),
            window_start: "25:00:00".into(),
            window_end: "18:00".into(),
            weekdays: Weekdays::NONE,
            rut: Some("12.345.678-9".into()),
            max_attempts: Some(0),
            max_segments: Some(11),
            base_url: Some("http://example.com".into()),
            ..Config::default()
        };
        assert_eq!(
            codes(&check(&config)),
            [
                (FieldId::ApiKey, ProblemCode::BadCharacter),
                (FieldId::Recipient, ProblemCode::SameNumber),
                (FieldId::Message, ProblemCode::MessageOrCampaign),
                (FieldId::WindowStart, ProblemCode::InvalidTime),
                (FieldId::Weekdays, ProblemCode::NoWeekday),
                (FieldId::Rut, ProblemCode::RutCheckDigit),
                (FieldId::MaxAttempts, ProblemCode::OutOfRange),
                (FieldId::BaseUrl, ProblemCode::InsecureUrl),
                (FieldId::MaxSegments, ProblemCode::OutOfRange),
            ]
        );
    }

    #[test]
    fn missing_required_fields_are_named() {
        assert_eq!(
            codes(&check(&Config::default())),
            [
                (FieldId::ApiKey, ProblemCode::Required),
                (FieldId::Sender, ProblemCode::Required),
                (FieldId::Recipient, ProblemCode::Required),
                (FieldId::Message, ProblemCode::MessageOrCampaign),
                (FieldId::WindowStart, ProblemCode::Required),
                (FieldId::WindowEnd, ProblemCode::Required),
                (FieldId::Weekdays, ProblemCode::NoWeekday),
            ]
        );
    }

    #[test]
    fn the_api_key_is_never_echoed() {
        let mut config = valid();
        config.api_key = "secret value\twith tab".into();
        for problem in check(&config) {
            assert!(!problem.message.contains("secret"), "{problem:?}");
        }
    }

    #[test]
    fn campaign_variables_are_rendered_and_checked() {
        let mut config = valid();
        config.message = None;
        config.campaign = Some("bienvenida".into());
        config.campaign_variables = vec![
            CampaignVariable {
                name: "name".into(),
                value: "{{name}}".into(),
            },
            CampaignVariable {
                name: "name".into(),
                value: "x".into(),
            },
            CampaignVariable {
                name: "1bad".into(),
                value: "x".into(),
            },
        ];
        assert_eq!(
            codes(&problems(plan(&config, &[entity("name", "Ana")]))),
            [
                (FieldId::CampaignVariables, ProblemCode::Duplicate),
                (FieldId::CampaignVariables, ProblemCode::InvalidFormat),
            ]
        );
        config.campaign_variables.truncate(1);
        let plan = planned(&config, &[entity("name", "Ana")]);
        let Content::Campaign { name, variables } = plan.content else {
            panic!("campaign mode")
        };
        assert_eq!(name, "bienvenida");
        assert_eq!(variables[0].value, "Ana");
    }

    #[test]
    fn variables_without_a_campaign_are_not_applicable() {
        let mut config = valid();
        config.campaign_variables = vec![CampaignVariable {
            name: "name".into(),
            value: "x".into(),
        }];
        assert_eq!(
            codes(&check(&config)),
            [(FieldId::CampaignVariables, ProblemCode::NotApplicable)]
        );
    }

    #[test]
    fn the_last_entity_of_a_name_wins() {
        let entities = [entity("name", "Ana"), entity("name", "Berta")];
        let plan = planned(&valid(), &entities);
        let Content::Message { text, .. } = plan.content else {
            panic!("message mode")
        };
        assert_eq!(text, "Hola Berta");
    }

    #[test]
    fn transliteration_is_offered_when_it_saves_segments() {
        let mut config = valid();
        config.message = Some("á".repeat(71));
        let Content::Message {
            analysis,
            transliterated_segments,
            ..
        } = planned(&config, &[]).content
        else {
            panic!("message mode")
        };
        assert_eq!(analysis.segments, 2);
        assert_eq!(transliterated_segments, Some(1));

        config.encoding = Some(EncodingPolicy::Gsm7Transliterate);
        let Content::Message {
            text, replacements, ..
        } = planned(&config, &[]).content
        else {
            panic!("message mode")
        };
        assert_eq!(text, "a".repeat(71));
        assert_eq!(replacements[0].count, 71);
    }

    #[test]
    fn too_many_segments_is_a_problem() {
        let mut config = valid();
        config.max_segments = Some(1);
        config.message = Some("a".repeat(161));
        assert_eq!(
            codes(&problems(plan(&config, &[]))),
            [(FieldId::Message, ProblemCode::TooLong)]
        );
    }

    fn any_config() -> impl Strategy<Value = Config> {
        let text = || "\\PC{0,24}|\\{\\{[a-z ]{0,6}\\}?\\}?|5696123456[0-9]";
        (
            (text(), text(), text(), proptest::option::of(text())),
            (text(), text(), any::<u8>(), proptest::option::of(text())),
            (
                proptest::option::of(text()),
                proptest::option::of(text()),
                proptest::option::of(any::<u8>()),
                proptest::option::of(text()),
            ),
        )
            .prop_map(|(a, b, c)| Config {
                api_key: a.0,
                sender: a.1,
                recipient: a.2,
                message: a.3,
                window_start: b.0,
                window_end: b.1,
                weekdays: Weekdays::from_bits(b.2),
                campaign: b.3,
                rut: c.0,
                time_zone: c.1,
                max_segments: c.2,
                idempotency_key: c.3,
                ..Config::default()
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// No config panics validation, at design time or with entities.
        #[test]
        fn no_config_panics(config in any_config(), value in "\\PC{0,16}") {
            let _ = check(&config);
            let _ = plan(&config, &[entity("name", &value)]);
        }
    }
}
