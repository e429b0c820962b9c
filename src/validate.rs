//! The one validation path shared by `check`, `preview` and `send`.
//!
//! Every field is rendered (flow variables), checked and normalised here, and
//! every problem is collected, so a config is judged the same way whatever the
//! entry point. At design time (`check`, no entities) a field that holds
//! placeholders has its syntax and static text checked and the rest deferred.
//!
//! Work is bounded and linear: every text is checked against its longest
//! length (`config`) before anything else reads it, entities are indexed
//! once, duplicates are found with an ordered set, and the answer lists at
//! most `config::MAX_PROBLEMS` problems.

use crate::config::{
    self, CAMPAIGN_VARIABLE_NAME_CHARS, DEFAULT_ERROR_INTENT, DEFAULT_TIME_ZONE,
    MAX_CAMPAIGN_VARIABLES, MAX_CLOSED_DATES, MAX_ENTITIES, MAX_PROBLEMS,
};
use crate::encoding::{self, Analysis};
use crate::model::{
    CampaignVariable, Config, EncodingPolicy, Entity, Explain, FieldId, Language, Problem,
    ProblemCode, Purpose, Replacement,
};
use crate::secret::{self, Secret};
use crate::siptel::{self, BaseUrl};
use crate::template::{self, Entities, Unnamed};
use crate::window::{self, ClosedDays, Window};
use crate::{phone, rut, text};
use std::collections::BTreeSet;

/// What a valid config resolves to: everything `send` needs, normalised.
#[derive(Clone, Debug)]
pub struct Plan {
    pub api_key: Secret,
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
        /// Whether `gsm7-transliterate` made the text.
        transliterated: bool,
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
    let index = Entities::new(entities);
    let mut validator = Validator::new(config, Some(&index));
    if entities.len() > MAX_ENTITIES {
        validator.report(
            FieldId::Entities,
            &LimitError::TooMany {
                max: MAX_ENTITIES,
                what: Items::Entities,
            },
        );
    }
    match validator.run(config)? {
        Some(plan) => Ok(plan),
        // Unreachable with entities (nothing is deferred), kept total anyway.
        None => Err(Vec::new()),
    }
}

/// Limits of size and count (`config`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LimitError {
    /// A text longer than its field allows, as written.
    TooLong { max_chars: usize },
    /// More items than allowed.
    TooMany { max: usize, what: Items },
    /// The answer's own cap: `more` problems were left out.
    MoreProblems { more: usize },
}

/// What a [`LimitError::TooMany`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Items {
    Entities,
    CampaignVariables,
    ClosedDates,
}

impl Explain for LimitError {
    fn code(&self) -> ProblemCode {
        match self {
            LimitError::TooLong { .. } => ProblemCode::TooLong,
            LimitError::TooMany { .. } | LimitError::MoreProblems { .. } => ProblemCode::TooMany,
        }
    }

    fn message(&self, lang: Language) -> String {
        match *self {
            LimitError::TooLong { max_chars } => lang.pick(
                format!("El valor tiene más de {max_chars} caracteres, el máximo de este campo."),
                format!("The value is longer than {max_chars} characters, this field's limit."),
            ),
            LimitError::TooMany { max, what } => {
                let (es, en) = match what {
                    Items::Entities => ("entidades del flujo", "flow entities"),
                    Items::CampaignVariables => ("variables de campaña", "campaign variables"),
                    Items::ClosedDates => ("fechas sin envíos", "closed dates"),
                };
                lang.pick(
                    format!("Hay más de {max} {es}, el máximo: use menos."),
                    format!("There are more than {max} {en}, the limit: use fewer."),
                )
            }
            LimitError::MoreProblems { more } => lang.pick(
                format!("Y {more} problemas más: corrija los anteriores y vuelva a validar."),
                format!("And {more} more problems: fix the ones above and validate again."),
            ),
        }
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
    OptOutRequired,
    OptOutWithCampaign,
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
            ConfigError::VariablesWithoutCampaign | ConfigError::OptOutWithCampaign => {
                ProblemCode::NotApplicable
            }
            ConfigError::OptOutRequired => ProblemCode::Required,
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
                    "El nombre de la campaña debe tener de 1 a 100 caracteres, en una línea, sin / ni \\, y no ser solo puntos.",
                    "The campaign name must be 1 to 100 characters on one line, without / or \\, and not only dots.",
                )
                .into(),
            ConfigError::VariableName { name } => match (lang, text::quote(name)) {
                (Language::Es, name) => format!(
                    "La variable de campaña «{name}» no es válida: use letras, dígitos y _, comenzando con una letra (hasta 64)."
                ),
                (Language::En, name) => format!(
                    "Campaign variable \"{name}\" is not valid: use letters, digits and _, starting with a letter (up to 64)."
                ),
            },
            ConfigError::DuplicateVariable { name } => match (lang, text::quote(name)) {
                (Language::Es, name) => format!("La variable de campaña «{name}» aparece más de una vez."),
                (Language::En, name) => format!("Campaign variable \"{name}\" appears more than once."),
            },
            ConfigError::VariablesWithoutCampaign => lang
                .pick(
                    "Las variables de campaña solo se usan con un nombre de campaña.",
                    "Campaign variables are only used with a campaign name.",
                )
                .into(),
            ConfigError::OptOutRequired => lang
                .pick(
                    "Un mensaje promocional debe indicar cómo dejar de recibirlos (Ley 19.496, \
                     art. 28 B): escriba la desuscripción, por ejemplo «Para no recibir más, \
                     responda BAJA».",
                    "A promotional message must say how to stop receiving them (Chile's Ley \
                     19.496, art. 28 B): write the opt-out, e.g. “To stop, reply STOP”.",
                )
                .into(),
            ConfigError::OptOutWithCampaign => lang
                .pick(
                    "La desuscripción no se usa con una campaña: la plantilla está en Siptel y \
                     no se puede modificar desde aquí; inclúyala en la plantilla.",
                    "The opt-out is not used with a campaign: the template lives at Siptel \
                     and cannot be changed from here; include it in the template.",
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
    entities: Option<&'a Entities<'a>>,
    problems: Vec<Problem>,
}

impl<'a> Validator<'a> {
    fn new(config: &Config, entities: Option<&'a Entities<'a>>) -> Self {
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

    /// Renders a text of `field` (or, at design time, checks its syntax),
    /// first checking its length as written; `max_chars` bounds both.
    /// Problems of a secret field never quote the names between braces.
    fn resolve_text(
        &mut self,
        field: FieldId,
        raw: &str,
        max_chars: usize,
        secret: bool,
    ) -> Resolved {
        if config::longer_than(raw, max_chars) {
            self.report(field, &LimitError::TooLong { max_chars });
            return Resolved::Invalid;
        }
        let result = match self.entities {
            Some(entities) => template::render_entities(raw, entities, max_chars).map(Some),
            None => template::check(raw).map(|()| None),
        };
        match result {
            Ok(Some(value)) => Resolved::Value(value),
            Ok(None) if template::has_placeholders(raw) => Resolved::Deferred,
            Ok(None) => Resolved::Value(template::static_text(raw)),
            Err(errors) => {
                for error in &errors {
                    if secret {
                        self.report(field, &Unnamed(error));
                    } else {
                        self.report(field, error);
                    }
                }
                Resolved::Invalid
            }
        }
    }

    /// [`Self::resolve_text`] with the field's own length.
    fn resolve(&mut self, field: FieldId, raw: &str) -> Resolved {
        let max_chars = config::max_chars(field).unwrap_or(config::LONGEST_TEXT_CHARS);
        self.resolve_text(field, raw, max_chars, false)
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

    /// An integer field against its rule; out of range is reported once, and
    /// later checks that use the value (the message's length) judge against
    /// the default instead.
    fn integer(&mut self, field: FieldId, rule: config::Integer, value: Option<u32>) -> u32 {
        rule.check(value).unwrap_or_else(|| {
            self.report(
                field,
                &ConfigError::OutOfRange {
                    min: rule.min,
                    max: rule.max,
                },
            );
            rule.default
        })
    }

    /// Validates every field in config order; `Ok(None)` when nothing is wrong
    /// but some field was deferred (design time).
    fn run(mut self, config: &Config) -> Result<Option<Plan>, Vec<Problem>> {
        let api_key = self.api_key(config.api_key.expose());

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
        let max_segments = self.integer(
            FieldId::MaxSegments,
            config::MAX_SEGMENTS,
            config.max_segments,
        );
        let content = self.content(config, max_segments);
        let rut = self
            .optional(FieldId::Rut, config.rut.as_deref())
            .and_then(|r| self.checked(FieldId::Rut, r, rut::normalize));

        let error_intent = match self.optional(FieldId::ErrorIntent, config.error_intent.as_deref())
        {
            None => Some(DEFAULT_ERROR_INTENT.to_string()),
            Some(r) => self.checked(FieldId::ErrorIntent, r, |s| {
                let valid =
                    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if valid {
                    Ok(s.to_string())
                } else {
                    Err(ConfigError::IntentName)
                }
            }),
        };

        let max_attempts = self.integer(
            FieldId::MaxAttempts,
            config::MAX_ATTEMPTS,
            config.max_attempts,
        );
        let base_url = match self.optional(FieldId::BaseUrl, config.base_url.as_deref()) {
            None => siptel::parse_base_url(config::DEFAULT_BASE_URL).ok(),
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
        let attempt_timeout_ms = self.integer(
            FieldId::AttemptTimeoutMs,
            config::ATTEMPT_TIMEOUT_MS,
            config.attempt_timeout_ms,
        );
        let deadline_ms =
            self.integer(FieldId::DeadlineMs, config::DEADLINE_MS, config.deadline_ms);

        if !self.problems.is_empty() {
            return Err(capped(self.problems, self.lang));
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

    /// The API key: never quoted in a problem; a `secret:` reference must be
    /// literal and whole (a flow variable may not choose another tenant's key).
    fn api_key(&mut self, raw: &str) -> Option<Secret> {
        if raw.trim().is_empty() {
            self.report(FieldId::ApiKey, &ConfigError::Required);
            return None;
        }
        let max_chars = config::max_chars(FieldId::ApiKey).unwrap_or(config::LONGEST_TEXT_CHARS);
        let resolved = if secret::reference(raw).is_some() {
            // A reference is never rendered: its name is checked as written.
            Resolved::Value(raw.to_owned())
        } else {
            self.resolve_text(FieldId::ApiKey, raw, max_chars, true)
        };
        let rendered = match &resolved {
            Resolved::Value(key) => Some(key.as_str()),
            Resolved::Deferred | Resolved::Invalid => None,
        };
        if let Err(error) = secret::check_reference(raw, rendered) {
            self.report(FieldId::ApiKey, &error);
            return None;
        }
        match resolved {
            Resolved::Value(key) => {
                let errors = text::check_token(&key);
                if errors.is_empty() {
                    Some(Secret::from(key))
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
        let closed = self.closed_days(config);
        match Window::new(start?, end?, config.weekdays, zone?) {
            Ok(w) => Some(w.closed_on(closed?)),
            Err(errors) => {
                for (field, error) in errors.iter().filter(|(f, _)| *f != FieldId::Weekdays) {
                    self.report(*field, error);
                }
                None
            }
        }
    }

    /// The holidays (closed unless `send-on-holidays`) and closed dates;
    /// `None` when a date is wrong (reported) or, at design time, deferred.
    fn closed_days(&mut self, config: &Config) -> Option<ClosedDays> {
        let holidays = !config.send_on_holidays.unwrap_or(false);
        if config.closed_dates.len() > MAX_CLOSED_DATES {
            self.report(
                FieldId::ClosedDates,
                &LimitError::TooMany {
                    max: MAX_CLOSED_DATES,
                    what: Items::ClosedDates,
                },
            );
            return None;
        }
        let mut dates = Vec::with_capacity(config.closed_dates.len());
        let mut complete = true;
        for raw in &config.closed_dates {
            let Some(resolved) = self.optional(FieldId::ClosedDates, Some(raw)) else {
                continue;
            };
            match self.checked(FieldId::ClosedDates, resolved, window::parse_date) {
                Some(date) => dates.push(date),
                None => complete = false,
            }
        }
        complete.then(|| ClosedDays::new(holidays, dates))
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
        let opt_out = config.opt_out.as_deref().filter(|s| !s.trim().is_empty());
        match (message, campaign) {
            (Some(text), None) => {
                let opt_out = self.opt_out(config, opt_out);
                self.message(config, text, opt_out?, max_segments)
            }
            (None, Some(name)) => {
                if opt_out.is_some() {
                    self.report(FieldId::OptOut, &ConfigError::OptOutWithCampaign);
                }
                self.campaign(config, name)
            }
            (message, _) => {
                let both = message.is_some();
                self.report(FieldId::Message, &ConfigError::MessageOrCampaign { both });
                None
            }
        }
    }

    /// The opt-out text to append (`Some(None)`: none), or `None` when it is
    /// wrong, missing for a promotional message, or deferred.
    fn opt_out(&mut self, config: &Config, raw: Option<&str>) -> Option<Option<String>> {
        let promotional = config.purpose == Some(Purpose::Promotional);
        let Some(raw) = raw else {
            if promotional {
                self.report(FieldId::OptOut, &ConfigError::OptOutRequired);
                return None;
            }
            return Some(None);
        };
        let resolved = self.resolve(FieldId::OptOut, raw);
        let text = self.checked(FieldId::OptOut, resolved, |s| {
            let errors = text::check_line(s);
            match errors.into_iter().next() {
                Some(error) => Err(error),
                None if s.trim().is_empty() => Err(text::TextError::Empty),
                None => Ok(s.trim().to_owned()),
            }
        })?;
        Some(Some(text))
    }

    fn message(
        &mut self,
        config: &Config,
        raw: &str,
        opt_out: Option<String>,
        max_segments: u32,
    ) -> Option<Content> {
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
        // The fixed, documented way: on a line of its own at the end.
        let text = match opt_out {
            Some(opt_out) => format!("{text}\n{opt_out}"),
            None => text,
        };
        let policy = config.encoding.unwrap_or_default();
        let (text, replacements) = match policy {
            EncodingPolicy::Gsm7Transliterate => {
                let t = encoding::transliterate(&text);
                (t.text, t.replacements)
            }
            _ => (text, Vec::new()),
        };
        let analysis = encoding::analyze(&text, policy == EncodingPolicy::Ucs2);
        if let Err(too_long) = analysis.check_segments(max_segments) {
            self.report(FieldId::Message, &too_long);
            return None;
        }
        Some(Content::Message {
            text,
            analysis,
            replacements,
            transliterated: policy == EncodingPolicy::Gsm7Transliterate,
        })
    }

    fn campaign(&mut self, config: &Config, raw: &str) -> Option<Content> {
        let resolved = self.resolve(FieldId::Campaign, raw);
        let name = self.checked(FieldId::Campaign, resolved, |s| {
            let s = s.trim();
            if is_campaign_name(s) {
                Ok(s.to_string())
            } else {
                Err(ConfigError::CampaignName)
            }
        });
        let given = &config.campaign_variables;
        if given.len() > MAX_CAMPAIGN_VARIABLES {
            self.report(
                FieldId::CampaignVariables,
                &LimitError::TooMany {
                    max: MAX_CAMPAIGN_VARIABLES,
                    what: Items::CampaignVariables,
                },
            );
            return None;
        }
        let mut variables = Vec::with_capacity(given.len());
        let mut seen = BTreeSet::new();
        let mut complete = true;
        for var in given {
            if !is_variable_name(&var.name) {
                self.report(
                    FieldId::CampaignVariables,
                    &ConfigError::VariableName {
                        name: var.name.clone(),
                    },
                );
                complete = false;
                continue;
            }
            if !seen.insert(var.name.as_str()) {
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

/// Whether `name` can name a campaign: one readable line that is one URL
/// path segment wherever it goes. Dots alone (`.`, `..`) would be a dot
/// segment once a proxy or Siptel decodes `%2E` (RFC 3986 normalises
/// `/campaigns/%2E%2E/sms` to another endpoint), and `/` or `\` would be
/// a path separator once decoded; they are refused, not encoded.
fn is_campaign_name(name: &str) -> bool {
    !name.is_empty()
        && text::check_line(name).is_empty()
        && !name.chars().all(|c| c == '.')
        && !name.contains(['/', '\\'])
}

/// A campaign variable name: `[A-Za-z][A-Za-z0-9_]*`, at most
/// [`CAMPAIGN_VARIABLE_NAME_CHARS`] characters.
fn is_variable_name(name: &str) -> bool {
    name.len() <= CAMPAIGN_VARIABLE_NAME_CHARS
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The problems in their stable order (config field order, then discovery
/// order), at most [`MAX_PROBLEMS`]: past that, the last one says how many
/// more there were, on the field of the first one left out.
fn capped(mut problems: Vec<Problem>, lang: Language) -> Vec<Problem> {
    problems.sort_by_key(|p| p.field);
    if problems.len() > MAX_PROBLEMS {
        let more = problems.len() - (MAX_PROBLEMS - 1);
        problems.truncate(MAX_PROBLEMS);
        let field = problems[MAX_PROBLEMS - 1].field;
        problems[MAX_PROBLEMS - 1] = Problem::of(field, &LimitError::MoreProblems { more }, lang);
    }
    problems
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
        assert_eq!(plan.deadline_ms, config::DEADLINE_MS.default);
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
        let problems = check(&config);
        // The space and the tab (as whitespace and as a control character).
        assert_eq!(
            codes(&problems),
            [(FieldId::ApiKey, ProblemCode::BadCharacter); 3]
        );
        for problem in problems {
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
    fn campaign_names_that_would_leave_their_path_segment_are_refused() {
        for name in [".", "..", "...", "a/b", "..\\admin", "a\u{7}b", " .. "] {
            let mut config = valid();
            config.message = None;
            config.campaign = Some(name.into());
            let problems = check(&config);
            assert!(
                problems.iter().any(|p| p.field == FieldId::Campaign),
                "{name:?}: {problems:?}"
            );
        }
        for name in ["promo", "Año nuevo 2027", "v1.2", ".hidden"] {
            let mut config = valid();
            config.message = None;
            config.campaign = Some(name.into());
            let problems = check(&config);
            assert!(
                problems.iter().all(|p| p.field != FieldId::Campaign),
                "{name:?}: {problems:?}"
            );
        }
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
        let Content::Message { text, analysis, .. } = planned(&config, &[]).content else {
            panic!("message mode")
        };
        assert_eq!(analysis.segments, 2);
        assert_eq!(
            encoding::segments_if_transliterated(&text, &analysis),
            Some(1)
        );

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
    #[test]
    fn the_key_written_as_a_placeholder_is_never_echoed() {
        let mut config = valid();
        config.api_key = "{{sk_live_4f9a}}".into();
        let problems = problems(plan(&config, &[entity("name", "Ana")]));
        assert_eq!(
            codes(&problems),
            [(FieldId::ApiKey, ProblemCode::MissingVariable)]
        );
        assert!(!problems[0].message.contains("4f9a"), "{problems:?}");
        config.api_key = "{{sk live 4f9a}}".into();
        let problems = check(&config);
        assert_eq!(
            codes(&problems),
            [(FieldId::ApiKey, ProblemCode::BadPlaceholder)]
        );
        assert!(!problems[0].message.contains("4f9a"), "{problems:?}");
    }

    #[test]
    fn a_flow_variable_may_not_choose_a_secret() {
        let mut config = valid();
        config.api_key = "secret:{{tenant}}".into();
        assert_eq!(
            codes(&check(&config)),
            [(FieldId::ApiKey, ProblemCode::NotAllowed)]
        );
        config.api_key = "{{key}}".into();
        let stolen = [entity("key", "secret:tenant_b"), entity("name", "Ana")];
        assert_eq!(
            codes(&problems(plan(&config, &stolen))),
            [(FieldId::ApiKey, ProblemCode::NotAllowed)]
        );
        config.api_key = "secret:tenant_a".into();
        assert_eq!(
            planned(&config, &[entity("name", "Ana")]).api_key.expose(),
            "secret:tenant_a"
        );
        config.api_key = "secret:".into();
        assert_eq!(
            codes(&check(&config)),
            [(FieldId::ApiKey, ProblemCode::InvalidFormat)]
        );
    }

    #[test]
    fn every_text_field_has_a_length_limit_as_written_and_rendered() {
        let mut config = valid();
        config.api_key = "k".repeat(131_072).into();
        config.message = Some("x".repeat(4_001));
        config.rut = Some("1".repeat(33));
        config.time_zone = Some("a".repeat(65));
        assert_eq!(
            codes(&check(&config)),
            [
                (FieldId::ApiKey, ProblemCode::TooLong),
                (FieldId::Message, ProblemCode::TooLong),
                (FieldId::Rut, ProblemCode::TooLong),
                (FieldId::TimeZone, ProblemCode::TooLong),
            ]
        );
        // A huge entity is a problem of the field that uses it, found fast.
        let mut config = valid();
        config.recipient = "{{phone}}".into();
        let huge = "9".repeat(6 << 20);
        let start = std::time::Instant::now();
        let found = problems(plan(
            &config,
            &[entity("phone", &huge), entity("name", "Ana")],
        ));
        assert_eq!(codes(&found), [(FieldId::Recipient, ProblemCode::TooLong)]);
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
        // Unused, it does no harm.
        config.recipient = "56987654321".into();
        planned(&config, &[entity("blob", &huge), entity("name", "Ana")]);
    }

    #[test]
    fn counts_are_capped_and_checked_in_linear_time() {
        let mut config = valid();
        config.message = None;
        config.campaign = Some("promo".into());
        config.campaign_variables = (0..60_000)
            .map(|i| CampaignVariable {
                name: format!("v{}", i % 30_000),
                value: "x".into(),
            })
            .collect();
        let start = std::time::Instant::now();
        assert_eq!(
            codes(&check(&config)),
            [(FieldId::CampaignVariables, ProblemCode::TooMany)]
        );
        let mut entities: Vec<Entity> = (0..100_000)
            .map(|i| entity(&format!("e{i}"), "v"))
            .collect();
        entities.insert(0, entity("name", "Ana"));
        assert_eq!(
            codes(&problems(plan(&valid(), &entities))),
            [(FieldId::Entities, ProblemCode::TooMany)]
        );
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
        // Duplicates among the allowed 100 are each found once.
        config.campaign_variables.truncate(100);
        config.campaign_variables[99].name = "v0".into();
        assert_eq!(
            codes(&check(&config)),
            [(FieldId::CampaignVariables, ProblemCode::Duplicate)]
        );
    }

    #[test]
    fn the_problem_list_is_capped_with_a_last_word() {
        let mut config = valid();
        config.message = None;
        config.campaign = Some("promo".into());
        config.campaign_variables = (0..100)
            .map(|i| CampaignVariable {
                name: format!("{i}bad"),
                value: "x".into(),
            })
            .collect();
        let found = check(&config);
        assert_eq!(found.len(), MAX_PROBLEMS);
        let last = &found[MAX_PROBLEMS - 1];
        assert_eq!(last.code, ProblemCode::TooMany);
        assert!(
            last.message.contains("51 more") || last.message.contains("51 problemas"),
            "{last:?}"
        );
    }

    #[test]
    fn out_of_range_integers_of_any_size_are_one_problem() {
        for json in [
            "0",
            "11",
            "256",
            "4294967296",
            "-1",
            "100000000000000000000000",
        ] {
            let text = format!(r#"{{"max-attempts": {json}}}"#);
            let config: Config = serde_json::from_str(&text).unwrap();
            assert_eq!(
                codes(&check(&config))
                    .into_iter()
                    .filter(|(f, _)| *f == FieldId::MaxAttempts)
                    .collect::<Vec<_>>(),
                [(FieldId::MaxAttempts, ProblemCode::OutOfRange)],
                "{json}"
            );
        }
        for not_an_integer in ["1.5", "\"3\"", "true"] {
            let text = format!(r#"{{"max-segments": {not_an_integer}}}"#);
            assert!(
                serde_json::from_str::<Config>(&text).is_err(),
                "{not_an_integer}"
            );
        }
        let config: Config = serde_json::from_str(r#"{"deadline-ms": null}"#).unwrap();
        assert_eq!(config.deadline_ms, None);
    }

    #[test]
    fn a_promotional_message_needs_an_opt_out_which_is_appended_and_counted() {
        let mut config = valid();
        config.purpose = Some(Purpose::Promotional);
        config.message = Some("a".repeat(155));
        assert_eq!(
            codes(&check(&config)),
            [(FieldId::OptOut, ProblemCode::Required)]
        );
        config.opt_out = Some("  Responda BAJA  ".into());
        let Content::Message { text, analysis, .. } = planned(&config, &[]).content else {
            panic!("message mode")
        };
        assert_eq!(text, format!("{}\nResponda BAJA", "a".repeat(155)));
        // 155 + 1 + 13 septets: two segments, where the message alone took one.
        assert_eq!((analysis.units, analysis.segments), (169, 2));
        // A transactional message with an opt-out gets it too.
        config.purpose = None;
        let Content::Message { text, .. } = planned(&config, &[]).content else {
            panic!("message mode")
        };
        assert!(text.ends_with("\nResponda BAJA"));
    }

    #[test]
    fn an_opt_out_is_one_readable_line_and_not_for_campaigns() {
        let mut config = valid();
        config.opt_out = Some("Responda\nBAJA".into());
        assert_eq!(
            codes(&check(&config)),
            [(FieldId::OptOut, ProblemCode::BadCharacter)]
        );
        config.opt_out = Some("{{unsubscribe}}".into());
        assert_eq!(check(&config), []);
        let rendered = planned(
            &config,
            &[entity("name", "Ana"), entity("unsubscribe", "BAJA al 1234")],
        );
        let Content::Message { text, .. } = rendered.content else {
            panic!("message mode")
        };
        assert_eq!(text, "Hola Ana\nBAJA al 1234");
        config.message = None;
        config.campaign = Some("promo".into());
        config.purpose = Some(Purpose::Promotional);
        assert_eq!(
            codes(&check(&config)),
            [(FieldId::OptOut, ProblemCode::NotApplicable)]
        );
        // A promotional campaign without one: the template at Siptel must
        // carry it; the component cannot check it.
        config.opt_out = None;
        assert_eq!(check(&config), []);
    }

    #[test]
    fn closed_dates_are_dates_possibly_from_flow_variables() {
        let mut config = valid();
        config.closed_dates = vec![
            "2026-12-24".into(),
            " ".into(),
            "{{closure}}".into(),
            "2026-02-30".into(),
            "24/12/2026".into(),
        ];
        assert_eq!(
            codes(&check(&config)),
            [
                (FieldId::ClosedDates, ProblemCode::InvalidDate),
                (FieldId::ClosedDates, ProblemCode::InvalidDate)
            ]
        );
        config.closed_dates.truncate(3);
        let plan = planned(
            &config,
            &[entity("name", "Ana"), entity("closure", "2026-12-31")],
        );
        let new_year_eve = crate::window::parse_date("2026-12-31").unwrap();
        let (y, m, d) = new_year_eve;
        let day = chrono::NaiveDate::from_ymd_opt(y as i32, m, d).unwrap();
        let noon = day.and_hms_opt(15, 0, 0).unwrap().and_utc().timestamp();
        assert!(!plan.window.allows(noon));
        config.closed_dates = vec!["2026-12-24".into(); MAX_CLOSED_DATES + 1];
        assert_eq!(
            codes(&check(&config)),
            [(FieldId::ClosedDates, ProblemCode::TooMany)]
        );
    }

    #[test]
    fn holidays_are_closed_unless_sending_on_them_is_on() {
        let mut config = valid();
        config.window_start = "00:00".into();
        config.window_end = "23:59:59".into();
        config.weekdays = Weekdays::ALL;
        // Friday 18 September 2026, 12:00 in Santiago.
        let fiestas = 1_789_743_600;
        let plan = planned(&config, &[entity("name", "Ana")]);
        assert!(!plan.window.allows(fiestas));
        config.send_on_holidays = Some(true);
        let plan = planned(&config, &[entity("name", "Ana")]);
        assert!(plan.window.allows(fiestas));
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
                api_key: a.0.into(),
                sender: a.1,
                recipient: a.2,
                message: a.3,
                window_start: b.0,
                window_end: b.1,
                weekdays: Weekdays::from_bits(b.2),
                campaign: b.3,
                rut: c.0,
                time_zone: c.1,
                max_segments: c.2.map(u32::from),
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
