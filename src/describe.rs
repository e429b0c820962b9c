//! The action's form (`form.describe`): one field per `config` field, in the
//! order of the `config` record, with labels and help in Spanish and English.
//!
//! Defaults, bounds and lengths come from `config`, the one place the rules
//! of the fields are written; this module only says them to a person.

use crate::config::{self, DEFAULT_BASE_URL, DEFAULT_ERROR_INTENT, DEFAULT_TIME_ZONE};
use crate::model::{ActionForm, Field, FieldId, FieldKind, IntegerRange, Localized, Versions};

/// `language` values, default first.
const LANGUAGES: [&str; 2] = ["es", "en"];
/// `encoding` values, default first.
const ENCODINGS: [&str; 3] = ["auto", "gsm7-transliterate", "ucs2"];
/// `purpose` values, default first.
const PURPOSES: [&str; 2] = ["transactional", "promotional"];

/// The form of the Siptel SMS action, fields in `config` order.
pub fn form() -> ActionForm {
    ActionForm {
        versions: versions(),
        name: loc("Siptel SMS", "Siptel SMS"),
        summary: loc(
            "Envía un SMS a través de Siptel, solo dentro del horario y los días \
             permitidos. Fuera de ellos no envía nada y el envío queda para el \
             próximo momento permitido. Si el envío falla definitivamente, el \
             flujo se interrumpe y el intent de error recibe la descripción del \
             error.",
            "Sends an SMS through Siptel, only within the allowed hours and days. \
             Outside them nothing is sent and the send is deferred to the next \
             allowed moment. If the send fails for good, the flow is interrupted \
             and the error intent receives the error description.",
        ),
        fields: vec![
            required(field(
                FieldId::ApiKey,
                FieldKind::Secret,
                loc("API key de Siptel", "Siptel API key"),
                loc(
                    "Clave de acceso al servicio que Siptel entrega para su cuenta. \
                     Se envía como token Bearer y nunca aparece en mensajes ni \
                     registros. Si su plataforma guarda los secretos aparte, \
                     escriba `secret:<nombre>`.",
                    "Service access key that Siptel issues for your account. It is \
                     sent as a Bearer token and never appears in messages or logs. \
                     If your platform keeps secrets separately, write \
                     `secret:<name>`.",
                ),
            )),
            required(field(
                FieldId::Sender,
                FieldKind::PhoneNumber,
                loc("Número remitente", "Sender number"),
                loc(
                    "Número desde el que sale el SMS, en formato internacional, solo \
                     dígitos y sin `+`, por ejemplo `56961234567`. Debe estar \
                     autorizado por Siptel para su cuenta.",
                    "Number the SMS is sent from, in international format, digits \
                     only and without `+`, e.g. `56961234567`. It must be \
                     authorised by Siptel for your account.",
                ),
            )),
            required(field(
                FieldId::Recipient,
                FieldKind::PhoneNumber,
                loc("Número destinatario", "Recipient number"),
                loc(
                    "Celular que recibe el SMS, en formato internacional, solo \
                     dígitos y sin `+`, por ejemplo `569XXXXXXXX`. Tiene que ser un \
                     número móvil y distinto del remitente. Puede usar una variable \
                     del flujo, como `{{telefono}}`.",
                    "Mobile phone that receives the SMS, in international format, \
                     digits only and without `+`, e.g. `569XXXXXXXX`. It must be a \
                     mobile number and differ from the sender. You can use a flow \
                     variable, such as `{{phone}}`.",
                ),
            )),
            field(
                FieldId::Message,
                FieldKind::MultilineText,
                loc("Mensaje", "Message"),
                loc(
                    "Texto del SMS. Complete exactamente uno de los campos Mensaje o \
                     Campaña. Puede incluir variables del flujo escritas \
                     `{{nombre}}`; para escribir `{{` tal cual, use `{{{{`. Con \
                     caracteres fuera de GSM-7 (por ejemplo `á`, `í`, `ó`, `ú` o \
                     emojis) cada SMS admite 70 caracteres en vez de 160.",
                    "Text of the SMS. Fill in exactly one of Message or Campaign. You \
                     can include flow variables written `{{name}}`; to write a \
                     literal `{{`, use `{{{{`. With characters outside GSM-7 (e.g. \
                     `á`, `í`, `ó`, `ú` or emojis) each SMS holds 70 characters \
                     instead of 160.",
                ),
            ),
            choice(
                FieldId::Purpose,
                &PURPOSES,
                loc("Propósito", "Purpose"),
                loc(
                    "`transactional`: sobre algo que el destinatario ya tiene con la \
                     empresa (una hora, un pedido, un código). `promotional`: \
                     publicidad; la Ley 19.496 (art. 28 B) exige indicar un medio \
                     expedito para dejar de recibirla, así que Desuscripción es \
                     obligatoria.",
                    "`transactional`: about something the recipient already has with \
                     the business (an appointment, an order, a code). `promotional`: \
                     advertising; Chile's Ley 19.496 (art. 28 B) requires an \
                     expeditious way to stop receiving it, so Opt-out is required.",
                ),
            ),
            field(
                FieldId::OptOut,
                FieldKind::Text,
                loc("Desuscripción", "Opt-out"),
                loc(
                    "Cómo dejar de recibir estos mensajes, por ejemplo `Para no \
                     recibir más, responda BAJA`. Se agrega al final del mensaje, en \
                     una línea nueva, y cuenta en sus caracteres y segmentos. \
                     Obligatorio para mensajes promocionales. No se usa con Campaña: \
                     la plantilla en Siptel debe incluirlo.",
                    "How to stop receiving these messages, e.g. `To stop, reply STOP`. \
                     It is appended to the message on a new line and counts in its \
                     characters and segments. Required for promotional messages. Not \
                     used with Campaign: the template at Siptel must include it.",
                ),
            ),
            required(field(
                FieldId::WindowStart,
                FieldKind::TimeOfDay,
                loc("Inicio del horario de envío", "Sending window start"),
                loc(
                    "Hora desde la que se permite enviar, en formato `HH:MM:SS` de 24 \
                     horas (también se acepta `HH:MM`), por ejemplo `09:00:00`. La \
                     hora indicada queda incluida y se mide en la zona horaria \
                     configurada.",
                    "Time from which sending is allowed, as 24-hour `HH:MM:SS` \
                     (`HH:MM` is accepted too), e.g. `09:00:00`. The time itself is \
                     included and is read in the configured time zone.",
                ),
            )),
            required(field(
                FieldId::WindowEnd,
                FieldKind::TimeOfDay,
                loc("Término del horario de envío", "Sending window end"),
                loc(
                    "Hora hasta la que se permite enviar, en formato `HH:MM:SS` de 24 \
                     horas, por ejemplo `20:00:00`; la hora indicada queda incluida. \
                     Si es anterior al inicio, el horario cruza la medianoche (por \
                     ejemplo, de `22:00:00` a `06:00:00`). No puede ser igual al \
                     inicio.",
                    "Time until which sending is allowed, as 24-hour `HH:MM:SS`, e.g. \
                     `20:00:00`; the time itself is included. When it is earlier \
                     than the start, the window runs overnight (e.g. from \
                     `22:00:00` to `06:00:00`). It cannot equal the start.",
                ),
            )),
            required(field(
                FieldId::Weekdays,
                FieldKind::Weekdays,
                loc("Días de envío", "Sending days"),
                loc(
                    "Días de la semana en que se permite enviar, según la zona \
                     horaria configurada. Active al menos uno. Fuera de estos días \
                     u horario no se envía nada: el envío queda para el próximo \
                     momento permitido.",
                    "Days of the week on which sending is allowed, in the configured \
                     time zone. Enable at least one. Outside these days or hours \
                     nothing is sent: the send is deferred to the next allowed \
                     moment.",
                ),
            )),
            with_default(
                field(
                    FieldId::SendOnHolidays,
                    FieldKind::Switch,
                    loc("Enviar en feriados", "Send on public holidays"),
                    loc(
                        "Si se permite enviar en los feriados nacionales de Chile \
                         (2000–2100), según la fecha local de la zona horaria. \
                         Desactivado, un feriado queda cerrado todo el día: un horario \
                         de días hábiles suele excluirlos y un SMS de rutina en un \
                         feriado molesta. Actívelo para mensajes que se necesitan \
                         cualquier día (códigos, avisos urgentes).",
                        "Whether sending is allowed on Chile's national public holidays \
                         (2000–2100), by the local date in the time zone. Off, a \
                         holiday is closed all day: a window of working days usually \
                         excludes them, and a routine SMS on a holiday annoys. Switch it \
                         on for messages needed any day (codes, urgent notices).",
                    ),
                ),
                "false",
            ),
            field(
                FieldId::ClosedDates,
                FieldKind::DateList,
                loc("Fechas sin envíos", "Closed dates"),
                loc(
                    "Fechas `AAAA-MM-DD` en que no se envía nada, según la zona \
                     horaria: cierres de la empresa, elecciones, un feriado \
                     decretado a última hora. Hasta 100; admiten variables del flujo.",
                    "`YYYY-MM-DD` dates on which nothing is sent, in the time zone: \
                     company closures, election days, a holiday declared at short \
                     notice. Up to 100; flow variables are allowed.",
                ),
            ),
            field(
                FieldId::Campaign,
                FieldKind::Text,
                loc("Campaña", "Campaign"),
                loc(
                    "Nombre de una campaña de Siptel cuya plantilla de SMS está \
                     guardada en Siptel. Complete exactamente uno de los campos \
                     Mensaje o Campaña.",
                    "Name of a Siptel campaign whose SMS template is stored at \
                     Siptel. Fill in exactly one of Message or Campaign.",
                ),
            ),
            field(
                FieldId::CampaignVariables,
                FieldKind::KeyValues,
                loc("Variables de la campaña", "Campaign variables"),
                loc(
                    "Valores para las variables de la plantilla de la campaña; solo \
                     se usan con Campaña. Cada nombre lleva letras, dígitos y `_`, \
                     parte con una letra y no se repite. Los valores pueden incluir \
                     variables del flujo, por ejemplo `{{nombre}}`.",
                    "Values for the variables of the campaign's template; used only \
                     with Campaign. Each name has letters, digits and `_`, starts \
                     with a letter and is not repeated. Values may include flow \
                     variables, e.g. `{{name}}`.",
                ),
            ),
            field(
                FieldId::Rut,
                FieldKind::Text,
                loc("RUT de la cuenta", "Account RUT"),
                loc(
                    "RUT de la cuenta Siptel. Solo se necesita si la IP desde la que \
                     se envía no está registrada en Siptel. Se acepta \
                     `12.345.678-5`, `12345678-5` o `123456785`.",
                    "RUT (Chilean tax ID) of the Siptel account. Only needed for \
                     accounts whose IP is not registered with Siptel. \
                     `12.345.678-5`, `12345678-5` and `123456785` are accepted.",
                ),
            ),
            with_default(
                field(
                    FieldId::ErrorIntent,
                    FieldKind::Text,
                    loc("Intent de error", "Error intent"),
                    loc(
                        "Intent que recibe la descripción del error cuando se alcanza \
                         el máximo de intentos fallidos (o Siptel rechaza el envío) y \
                         el flujo se interrumpe. Solo letras, dígitos y `_`.",
                        "Intent that receives the error description when the maximum \
                         number of failed attempts is reached (or Siptel rejects the \
                         send) and the flow is interrupted. Letters, digits and `_` \
                         only.",
                    ),
                ),
                DEFAULT_ERROR_INTENT,
            ),
            with_default(
                field(
                    FieldId::TimeZone,
                    FieldKind::Text,
                    loc("Zona horaria", "Time zone"),
                    loc(
                        "Zona horaria IANA en la que se miden el horario y los días de \
                         envío, por ejemplo `America/Santiago` o \
                         `America/Punta_Arenas`.",
                        "IANA time zone in which the sending hours and days are read, \
                         e.g. `America/Santiago` or `America/Punta_Arenas`.",
                    ),
                ),
                DEFAULT_TIME_ZONE,
            ),
            integer(
                FieldId::MaxAttempts,
                config::MAX_ATTEMPTS,
                loc("Máximo de intentos", "Maximum attempts"),
                loc(
                    "Cantidad máxima de intentos de un mismo envío cuando Siptel no \
                     responde o tiene una falla transitoria.",
                    "Maximum number of attempts of one send when Siptel does not \
                     answer or has a transient fault.",
                ),
            ),
            with_default(
                field(
                    FieldId::BaseUrl,
                    FieldKind::Text,
                    loc("URL base de Siptel", "Siptel base URL"),
                    loc(
                        "Dirección de la API de Siptel. Debe empezar con `https://`; \
                         `http://` solo se acepta hacia el mismo equipo \
                         (`localhost`, `127.0.0.1`, `[::1]`), para pruebas.",
                        "Address of the Siptel API. It must start with `https://`; \
                         `http://` is accepted only to the same machine \
                         (`localhost`, `127.0.0.1`, `[::1]`), for testing.",
                    ),
                ),
                DEFAULT_BASE_URL,
            ),
            choice(
                FieldId::Language,
                &LANGUAGES,
                loc("Idioma", "Language"),
                loc(
                    "Idioma de los problemas de configuración y de las descripciones \
                     de error: `es` (español) o `en` (inglés).",
                    "Language of configuration problems and error descriptions: `es` \
                     (Spanish) or `en` (English).",
                ),
            ),
            choice(
                FieldId::Encoding,
                &ENCODINGS,
                loc("Codificación", "Encoding"),
                loc(
                    "`auto`: GSM-7 si todos los caracteres caben en él (160 caracteres \
                     por SMS) y, si no, UCS-2 (70 por SMS). `gsm7-transliterate`: \
                     cambia los caracteres fuera de GSM-7 por su forma más parecida \
                     (`á` → `a`) para ocupar menos SMS. `ucs2`: siempre UCS-2.",
                    "`auto`: GSM-7 when every character fits in it (160 characters per \
                     SMS), otherwise UCS-2 (70 per SMS). `gsm7-transliterate`: \
                     replaces characters outside GSM-7 by their closest form (`á` → \
                     `a`) to take fewer SMS. `ucs2`: always UCS-2.",
                ),
            ),
            integer(
                FieldId::MaxSegments,
                config::MAX_SEGMENTS,
                loc("Máximo de segmentos", "Maximum segments"),
                loc(
                    "Cantidad máxima de SMS (segmentos) que puede ocupar el mensaje; \
                     cada segmento se cobra. Un mensaje más largo no se envía.",
                    "Largest number of SMS (segments) the message may take; each \
                     segment is billed. A longer message is not sent.",
                ),
            ),
            field(
                FieldId::IdempotencyKey,
                FieldKind::Text,
                loc("Clave de idempotencia", "Idempotency key"),
                loc(
                    "Identificador estable de este envío, de 8 a 64 caracteres entre \
                     letras, dígitos, `_` y `-`, por ejemplo `pedido-{{id_pedido}}`. \
                     Si la plataforma repite la acción (por ejemplo, tras una caída), \
                     Siptel no envía el SMS dos veces. Si lo deja vacío, se genera \
                     uno al azar.",
                    "Stable identifier of this send, 8 to 64 characters among letters, \
                     digits, `_` and `-`, e.g. `order-{{order_id}}`. If the platform \
                     runs the action again (after a crash, say), Siptel does not send \
                     the SMS twice. When left empty, a random one is made.",
                ),
            ),
            integer(
                FieldId::AttemptTimeoutMs,
                config::ATTEMPT_TIMEOUT_MS,
                loc("Tiempo máximo por intento (ms)", "Timeout per attempt (ms)"),
                loc(
                    "Tiempo máximo de espera de cada intento de envío a Siptel, en \
                     milisegundos.",
                    "Longest wait for each attempt to reach Siptel, in milliseconds.",
                ),
            ),
            integer(
                FieldId::DeadlineMs,
                config::DEADLINE_MS,
                loc("Tiempo máximo total (ms)", "Overall deadline (ms)"),
                loc(
                    "Tiempo máximo de todo el envío, sumando todos los intentos y las \
                     esperas entre ellos, en milisegundos.",
                    "Time budget of the whole send, counting every attempt and the \
                     waits between them, in milliseconds.",
                ),
            ),
        ],
    }
}

/// A text in both languages.
/// The component's version and its reference data's.
fn versions() -> Versions {
    let years = crate::holidays::SUPPORTED_YEARS;
    Versions {
        component: env!("CARGO_PKG_VERSION").to_owned(),
        tzdata: crate::tz::TZDATA_VERSION.to_owned(),
        phone_metadata: crate::phone::METADATA_VERSION.to_owned(),
        holiday_years: format!("{}-{}", years.start(), years.end()),
    }
}

fn loc(es: impl Into<String>, en: impl Into<String>) -> Localized {
    Localized {
        es: es.into(),
        en: en.into(),
    }
}

/// An optional field without default, with its longest length from
/// `config`. Every text-like field accepts flow variables; switches, choices
/// and integers do not.
fn field(id: FieldId, kind: FieldKind, label: Localized, help: Localized) -> Field {
    let accepts_variables = !matches!(
        kind,
        FieldKind::Weekdays | FieldKind::Choice { .. } | FieldKind::Integer(_) | FieldKind::Switch
    );
    Field {
        id,
        kind,
        required: false,
        default_value: None,
        accepts_variables,
        max_length: config::max_chars(id).map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
        label,
        help,
    }
}

/// `field` marked required.
fn required(field: Field) -> Field {
    Field {
        required: true,
        ..field
    }
}

/// `field` with a default value, which its help then states.
fn with_default(field: Field, value: impl ToString) -> Field {
    let value = value.to_string();
    let help = loc(
        format!("{} Si lo deja vacío: `{value}`.", field.help.es),
        format!("{} When left empty: `{value}`.", field.help.en),
    );
    Field {
        default_value: Some(value),
        help,
        ..field
    }
}

/// An integer field with its rule from `config`; its help states the bounds
/// and the default.
fn integer(id: FieldId, rule: config::Integer, label: Localized, help: Localized) -> Field {
    let range = IntegerRange {
        min: rule.min,
        max: rule.max,
    };
    let help = loc(
        format!(
            "{} Entre {} y {}.",
            help.es,
            thousands(range.min, '.'),
            thousands(range.max, '.')
        ),
        format!(
            "{} Between {} and {}.",
            help.en,
            thousands(range.min, ','),
            thousands(range.max, ',')
        ),
    );
    with_default(
        field(id, FieldKind::Integer(range), label, help),
        rule.default,
    )
}

/// A choice among `values`, the first one being the default.
fn choice(id: FieldId, values: &[&str], label: Localized, help: Localized) -> Field {
    let kind = FieldKind::Choice {
        values: values.iter().map(|v| v.to_string()).collect(),
    };
    with_default(field(id, kind, label, help), values[0])
}

/// `n` with a thousands separator, as a person reads it (`60.000`, `60,000`).
fn thousands(n: u32, separator: char) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Config;

    /// Field ids in the order of the `config` record (every id but the
    /// entities, which are not a config field).
    fn config_order() -> Vec<FieldId> {
        FieldId::ALL
            .into_iter()
            .filter(|id| *id != FieldId::Entities)
            .collect()
    }

    fn get(id: FieldId) -> Field {
        form().fields.into_iter().find(|f| f.id == id).unwrap()
    }

    #[test]
    fn every_field_once_in_config_order() {
        let ids: Vec<FieldId> = form().fields.iter().map(|f| f.id).collect();
        assert_eq!(ids, config_order());
    }

    #[test]
    fn field_names_match_config_keys() {
        // The serde names of the ids are the kebab-case keys of `config`, in order.
        let config = serde_json::to_value(Config::default()).unwrap();
        let keys: Vec<&String> = config.as_object().unwrap().keys().collect();
        let ids: Vec<String> = form()
            .fields
            .iter()
            .map(|f| {
                serde_json::to_value(f.id)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        let mut sorted_keys: Vec<String> = keys.into_iter().cloned().collect();
        let mut sorted_ids = ids.clone();
        sorted_keys.sort();
        sorted_ids.sort();
        assert_eq!(sorted_ids, sorted_keys);
    }

    #[test]
    fn texts_non_empty_in_both_languages() {
        let form = form();
        for text in [&form.name, &form.summary] {
            assert!(!text.es.trim().is_empty() && !text.en.trim().is_empty());
        }
        assert_eq!(form.name.es, "Siptel SMS");
        assert_eq!(form.name.en, "Siptel SMS");
        for f in &form.fields {
            for text in [&f.label, &f.help] {
                assert!(!text.es.trim().is_empty(), "{:?}", f.id);
                assert!(!text.en.trim().is_empty(), "{:?}", f.id);
            }
            assert_ne!(f.help.es, f.help.en, "{:?}", f.id);
        }
    }

    #[test]
    fn required_fields() {
        let required: Vec<FieldId> = form()
            .fields
            .iter()
            .filter(|f| f.required)
            .map(|f| f.id)
            .collect();
        assert_eq!(
            required,
            [
                FieldId::ApiKey,
                FieldId::Sender,
                FieldId::Recipient,
                FieldId::WindowStart,
                FieldId::WindowEnd,
                FieldId::Weekdays,
            ]
        );
        for f in form().fields.iter().filter(|f| f.required) {
            assert_eq!(f.default_value, None, "{:?}", f.id);
        }
    }

    #[test]
    fn integer_defaults_inside_ranges() {
        let mut seen = 0;
        for f in form().fields {
            if let FieldKind::Integer(range) = f.kind {
                seen += 1;
                assert!(range.min <= range.max);
                let default: u32 = f.default_value.as_deref().unwrap().parse().unwrap();
                assert!((range.min..=range.max).contains(&default), "{:?}", f.id);
                assert!(!f.accepts_variables);
            }
        }
        assert_eq!(seen, 4);
    }

    #[test]
    fn choice_defaults_are_values() {
        for f in form().fields {
            if let FieldKind::Choice { values } = &f.kind {
                assert!(values.contains(f.default_value.as_ref().unwrap()));
                assert!(!f.accepts_variables);
            }
        }
        assert_eq!(
            get(FieldId::Language).kind,
            FieldKind::Choice {
                values: vec!["es".into(), "en".into()]
            }
        );
        assert_eq!(
            get(FieldId::Encoding).kind,
            FieldKind::Choice {
                values: vec!["auto".into(), "gsm7-transliterate".into(), "ucs2".into()]
            }
        );
    }

    #[test]
    fn choice_values_deserialize_as_config_enums() {
        use crate::model::{EncodingPolicy, Language};
        let parse_lang = |v: &str| serde_json::from_value::<Language>(v.into()).unwrap();
        let parse_enc = |v: &str| serde_json::from_value::<EncodingPolicy>(v.into()).unwrap();
        assert_eq!(parse_lang(LANGUAGES[0]), Language::default());
        assert_eq!(parse_enc(ENCODINGS[0]), EncodingPolicy::default());
        for v in LANGUAGES {
            assert_eq!(serde_json::to_value(parse_lang(v)).unwrap(), v);
        }
        for v in ENCODINGS {
            assert_eq!(serde_json::to_value(parse_enc(v)).unwrap(), v);
        }
    }

    #[test]
    fn defaults() {
        let default = |id| get(id).default_value;
        assert_eq!(
            default(FieldId::ErrorIntent).as_deref(),
            Some("SendSMS_SiptelSMS_ErrorError")
        );
        assert_eq!(
            default(FieldId::TimeZone).as_deref(),
            Some("America/Santiago")
        );
        assert_eq!(default(FieldId::MaxAttempts).as_deref(), Some("3"));
        assert_eq!(
            default(FieldId::BaseUrl).as_deref(),
            Some("https://api.siptel.cl")
        );
        assert_eq!(default(FieldId::Language).as_deref(), Some("es"));
        assert_eq!(default(FieldId::Encoding).as_deref(), Some("auto"));
        assert_eq!(default(FieldId::MaxSegments).as_deref(), Some("6"));
        assert_eq!(default(FieldId::AttemptTimeoutMs).as_deref(), Some("10000"));
        assert_eq!(default(FieldId::DeadlineMs).as_deref(), Some("30000"));
        for id in [
            FieldId::Message,
            FieldId::Campaign,
            FieldId::CampaignVariables,
            FieldId::Rut,
            FieldId::IdempotencyKey,
        ] {
            assert_eq!(default(id), None, "{id:?}");
        }
    }

    #[test]
    fn kinds_and_variables() {
        use FieldKind as K;
        let expect = [
            (FieldId::ApiKey, K::Secret, true),
            (FieldId::Sender, K::PhoneNumber, true),
            (FieldId::Recipient, K::PhoneNumber, true),
            (FieldId::Message, K::MultilineText, true),
            (FieldId::WindowStart, K::TimeOfDay, true),
            (FieldId::WindowEnd, K::TimeOfDay, true),
            (FieldId::Weekdays, K::Weekdays, false),
            (FieldId::Campaign, K::Text, true),
            (FieldId::CampaignVariables, K::KeyValues, true),
            (FieldId::Rut, K::Text, true),
            (FieldId::ErrorIntent, K::Text, true),
            (FieldId::TimeZone, K::Text, true),
            (FieldId::BaseUrl, K::Text, true),
            (FieldId::IdempotencyKey, K::Text, true),
        ];
        for (id, kind, vars) in expect {
            let f = get(id);
            assert_eq!(f.kind, kind, "{id:?}");
            assert_eq!(f.accepts_variables, vars, "{id:?}");
        }
        let range = |id| match get(id).kind {
            K::Integer(r) => (r.min, r.max),
            other => panic!("{id:?}: {other:?}"),
        };
        assert_eq!(range(FieldId::MaxAttempts), (1, 10));
        assert_eq!(range(FieldId::MaxSegments), (1, 10));
        assert_eq!(range(FieldId::AttemptTimeoutMs), (100, 60_000));
        assert_eq!(range(FieldId::DeadlineMs), (100, 300_000));
    }

    #[test]
    fn help_states_rules() {
        let help = |id| get(id).help;
        for id in [FieldId::Message, FieldId::Campaign] {
            assert!(help(id).es.contains("exactamente uno"));
            assert!(help(id).en.contains("exactly one"));
        }
        let message = help(FieldId::Message);
        for text in [&message.es, &message.en] {
            assert!(text.contains("`{{{{`"));
        }
        assert!(help(FieldId::Recipient).es.contains("569XXXXXXXX"));
        assert!(help(FieldId::Rut).en.contains("not registered"));
        assert!(help(FieldId::ErrorIntent).es.contains(DEFAULT_ERROR_INTENT));
        assert!(help(FieldId::DeadlineMs).es.contains("300.000"));
        assert!(help(FieldId::DeadlineMs).en.contains("300,000"));
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0, '.'), "0");
        assert_eq!(thousands(100, '.'), "100");
        assert_eq!(thousands(1_000, '.'), "1.000");
        assert_eq!(thousands(60_000, ','), "60,000");
        assert_eq!(thousands(300_000, '.'), "300.000");
        assert_eq!(thousands(4_294_967_295, ','), "4,294,967,295");
    }

    #[test]
    fn form_serializes_with_wit_names() {
        let json = serde_json::to_value(form()).unwrap();
        let first = &json["fields"][0];
        assert_eq!(first["id"], "api-key");
        assert_eq!(first["kind"]["type"], "secret");
        assert_eq!(first["accepts-variables"], true);
    }
}
