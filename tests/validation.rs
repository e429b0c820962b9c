//! End to end: validation, preview and the form, through the real `.wasm`.
//! `check`, `preview` and `send` share one validation path, so what is
//! checked here through `check` and `preview` is what `send` refuses.

mod common;

use common::*;
use siptel_sms::model::{
    BlockReason, Blocked, CampaignVariable, Config, Encoding, EncodingPolicy, FieldId, Language,
    Outcome, ProblemCode, Replacement, SendPreview, Weekdays, WindowStatus,
};

/// A Monday morning, inside every window used here.
const MONDAY_10: &str = "2026-09-07T10:00:00-03:00";

/// A valid message config (office hours, default zone and base URL): nothing
/// is sent from these tests except through [`common::send`] with a stub.
fn valid() -> Config {
    Config {
        api_key: stub_key().into(),
        sender: "56961234567".into(),
        recipient: "{{customer_phone}}".into(),
        message: Some("Hola {{name}}, su hora es el {{date}}.".into()),
        window_start: "09:00:00".into(),
        window_end: "18:00:00".into(),
        weekdays: Weekdays::WORKDAYS,
        ..Config::default()
    }
}

/// The entities `valid()` uses.
fn flow() -> Vec<siptel_sms::model::Entity> {
    entities(&[
        ("customer_phone", "+56 9 8765 4321"),
        ("name", "Ana"),
        ("date", "lunes 10:30"),
    ])
}

/// `valid()` with this literal message.
fn with_message(text: &str) -> Config {
    Config {
        message: Some(text.into()),
        ..valid()
    }
}

/// `(field, code)` of every problem, in the order given.
fn fields_and_codes(problems: &[siptel_sms::model::Problem]) -> Vec<(FieldId, ProblemCode)> {
    problems.iter().map(|p| (p.field, p.code)).collect()
}

/// The preview at `at`; problems fail the test.
async fn previewed(config: &Config, at: &str) -> SendPreview {
    match preview_at(config, &flow(), at).await {
        Ok(preview) => preview,
        Err(problems) => panic!("expected a preview, got {problems:#?}"),
    }
}

/// The problems of a preview at Monday 10:00; a preview fails the test.
async fn refused(config: &Config) -> Vec<siptel_sms::model::Problem> {
    match preview_at(config, &flow(), MONDAY_10).await {
        Ok(preview) => panic!("expected problems, got {preview:#?}"),
        Err(problems) => problems,
    }
}

#[tokio::test]
async fn check_accepts_placeholders_in_every_field_that_takes_them() {
    let config = Config {
        sender: "{{ sender_number }}".into(),
        recipient: "{{customer_phone}}".into(),
        rut: Some("{{rut}}".into()),
        idempotency_key: Some("pedido-{{order_id}}".into()),
        ..valid()
    };
    assert_eq!(check(&config).await, []);
}

#[tokio::test]
async fn check_reports_the_static_problems_of_templated_fields() {
    let config = Config {
        // An invalid placeholder name (a space inside).
        recipient: "{{customer phone}}".into(),
        // A control character in the static text around a valid placeholder.
        message: Some("Hola {{name}},\u{7} su hora es el {{date}}.".into()),
        window_start: "9:00".into(),
        // A `{{` never closed.
        idempotency_key: Some("pedido-{{order_id".into()),
        ..valid()
    };
    let problems = check(&config).await;
    assert_eq!(
        fields_and_codes(&problems),
        [
            (FieldId::Recipient, ProblemCode::BadPlaceholder),
            (FieldId::Message, ProblemCode::BadCharacter),
            (FieldId::WindowStart, ProblemCode::InvalidTime),
            (FieldId::IdempotencyKey, ProblemCode::BadPlaceholder),
        ],
        "{problems:#?}"
    );
    assert!(
        problems[0].message.contains("customer phone"),
        "{problems:#?}"
    );
    assert!(problems[2].message.contains("«9:00»"), "{problems:#?}");
    assert!(problems[3].message.contains("posición 8"), "{problems:#?}");
}

#[tokio::test]
async fn every_problem_is_listed_at_once_in_field_order() {
    let config = Config {
        api_key: "".into(),
        sender: "abc".into(),
        recipient: "56221234567".into(),
        message: None,
        window_start: "25:00".into(),
        window_end: "18:00:00".into(),
        weekdays: Weekdays::NONE,
        campaign_variables: vec![CampaignVariable {
            name: "name".into(),
            value: "Ana".into(),
        }],
        rut: Some("12.345.678-9".into()),
        error_intent: Some("error intent!".into()),
        time_zone: Some("Mars/Olympus".into()),
        max_attempts: Some(0),
        base_url: Some("http://example.com".into()),
        language: Some(Language::En),
        idempotency_key: Some("short".into()),
        attempt_timeout_ms: Some(50),
        deadline_ms: Some(500_000),
        ..valid()
    };
    let problems = check(&config).await;
    assert_eq!(
        fields_and_codes(&problems),
        [
            (FieldId::ApiKey, ProblemCode::Required),
            (FieldId::Sender, ProblemCode::InvalidNumber),
            (FieldId::Recipient, ProblemCode::NotMobile),
            (FieldId::Message, ProblemCode::MessageOrCampaign),
            (FieldId::WindowStart, ProblemCode::InvalidTime),
            (FieldId::Weekdays, ProblemCode::NoWeekday),
            (FieldId::CampaignVariables, ProblemCode::NotApplicable),
            (FieldId::Rut, ProblemCode::RutCheckDigit),
            (FieldId::ErrorIntent, ProblemCode::InvalidFormat),
            (FieldId::TimeZone, ProblemCode::UnknownTimeZone),
            (FieldId::MaxAttempts, ProblemCode::OutOfRange),
            (FieldId::BaseUrl, ProblemCode::InsecureUrl),
            (FieldId::IdempotencyKey, ProblemCode::InvalidFormat),
            (FieldId::AttemptTimeoutMs, ProblemCode::OutOfRange),
            (FieldId::DeadlineMs, ProblemCode::OutOfRange),
        ],
        "{problems:#?}"
    );
    assert_eq!(problems[0].message, "This field is required.");
    assert!(problems[7].message.contains("would be 5"), "{problems:#?}");
    assert_eq!(problems[10].message, "Must be between 1 and 10.");
    // The same order on every call.
    assert_eq!(check(&config).await, problems);
    // And the same judgement from `preview` and `send` (one validation path).
    assert_eq!(preview_at(&config, &flow(), MONDAY_10).await, Err(problems));
}

#[tokio::test]
async fn problems_are_in_spanish_by_default_and_in_english_with_language_en() {
    let config = Config {
        api_key: "".into(),
        window_end: "09:00:00".into(),
        ..valid()
    };
    let spanish = check(&config).await;
    let english = check(&Config {
        language: Some(Language::En),
        ..config.clone()
    })
    .await;
    let expected = [
        (FieldId::ApiKey, ProblemCode::Required),
        (FieldId::WindowEnd, ProblemCode::EmptyWindow),
    ];
    assert_eq!(fields_and_codes(&spanish), expected);
    assert_eq!(fields_and_codes(&english), expected);
    assert_eq!(spanish[0].message, "Este campo es obligatorio.");
    assert_eq!(english[0].message, "This field is required.");
    assert!(
        spanish[1]
            .message
            .starts_with("El inicio y el término del horario son iguales"),
        "{}",
        spanish[1].message
    );
    assert!(
        english[1]
            .message
            .starts_with("The window start and end are equal"),
        "{}",
        english[1].message
    );
}

#[tokio::test]
async fn preview_renders_flow_variables_and_normalises_numbers() {
    let config = Config {
        sender: "+56 9 6123 4567".into(),
        ..valid()
    };
    let preview = previewed(&config, MONDAY_10).await;
    assert_eq!(
        preview,
        SendPreview {
            sender: "56961234567".into(),
            recipient: "56987654321".into(),
            message: Some("Hola Ana, su hora es el lunes 10:30.".into()),
            campaign: None,
            campaign_variables: Vec::new(),
            encoding: Encoding::Gsm7,
            units: 36,
            segments: 1,
            ucs2_characters: Vec::new(),
            replacements: Vec::new(),
            transliterated_segments: None,
            rut: None,
            error_intent: "SendSMS_SiptelSMS_ErrorError".into(),
            window: WindowStatus::Open,
        }
    );
}

#[tokio::test]
async fn preview_a_character_outside_gsm7_forces_ucs2_and_is_listed() {
    // `ñ` and `¿` are GSM-7; `á` is not.
    let preview = previewed(
        &with_message("Mañana a las 10:30, ¿podrá venir?"),
        MONDAY_10,
    )
    .await;
    assert_eq!(preview.encoding, Encoding::Ucs2);
    assert_eq!(preview.ucs2_characters, ["á"]);
    assert_eq!((preview.units, preview.segments), (33, 1));
    // One segment either way: transliteration would not save any.
    assert_eq!(preview.transliterated_segments, None);

    // An emoji takes two UTF-16 units.
    let preview = previewed(&with_message("Gracias 🙂"), MONDAY_10).await;
    assert_eq!(preview.encoding, Encoding::Ucs2);
    assert_eq!(preview.ucs2_characters, ["🙂"]);
    assert_eq!((preview.units, preview.segments), (10, 1));
}

#[tokio::test]
async fn preview_lists_the_characters_that_force_ucs2_as_a_person_sees_them() {
    // A thumb with a skin tone and a flag: one character each, not two.
    let preview = previewed(&with_message("Gracias 👍🏽 🇨🇱 👍🏽"), MONDAY_10).await;
    assert_eq!(preview.encoding, Encoding::Ucs2);
    assert_eq!(preview.ucs2_characters, ["👍🏽", "🇨🇱"]);
}

#[tokio::test]
async fn a_message_hiding_text_in_tag_characters_is_a_bad_character() {
    // "Hola Ana" and, invisible after it, a phone number spelled in tags.
    let hidden: String = "+56961234567"
        .chars()
        .filter_map(|c| char::from_u32(0xE0000 + u32::from(c)))
        .collect();
    let problems = refused(&with_message(&format!("Hola Ana{hidden}"))).await;
    assert!(!problems.is_empty());
    assert!(
        problems
            .iter()
            .all(|p| (p.field, p.code) == (FieldId::Message, ProblemCode::BadCharacter)),
        "{problems:#?}"
    );
    assert!(problems[0].message.contains("U+E002B"), "{problems:#?}");
    // The tags of the flag of Scotland are part of a visible character.
    let scotland = "🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}";
    let preview = previewed(&with_message(&format!("Hola {scotland}")), MONDAY_10).await;
    assert_eq!(preview.ucs2_characters, [scotland]);
}

#[tokio::test]
async fn preview_counts_gsm7_segments() {
    for (text, units, segments) in [
        ("a".repeat(160), 160, 1),
        ("a".repeat(161), 161, 2),
        ("a".repeat(306), 306, 2),
        ("a".repeat(307), 307, 3),
        // Extension-table characters take two septets.
        ("€".repeat(80), 160, 1),
        ("€".repeat(81), 162, 2),
    ] {
        let preview = previewed(&with_message(&text), MONDAY_10).await;
        assert_eq!(preview.encoding, Encoding::Gsm7, "{text}");
        assert_eq!(
            (preview.units, preview.segments),
            (units, segments),
            "{text}"
        );
    }
}

#[tokio::test]
async fn preview_reports_the_segments_transliteration_would_save() {
    let text = "Estimada Ana: su solicitud fue aprobada y podrá retirar su tarjeta en la \
                sucursal Providencia desde mañana.";
    let preview = previewed(&with_message(text), MONDAY_10).await;
    assert_eq!(preview.message.as_deref(), Some(text));
    assert_eq!(preview.encoding, Encoding::Ucs2);
    assert_eq!(preview.ucs2_characters, ["á"]);
    assert_eq!((preview.units, preview.segments), (107, 2));
    assert_eq!(preview.transliterated_segments, Some(1));
    assert_eq!(preview.replacements, []);
}

#[tokio::test]
async fn preview_with_gsm7_transliterate_reports_every_replacement() {
    let config = Config {
        encoding: Some(EncodingPolicy::Gsm7Transliterate),
        ..with_message("Él llegó a “Santiago” — ¿sí? Sí.")
    };
    let preview = previewed(&config, MONDAY_10).await;
    assert_eq!(
        preview.message.as_deref(),
        Some("Él llego a \"Santiago\" - ¿si? Si.")
    );
    assert_eq!(preview.encoding, Encoding::Gsm7);
    assert_eq!(preview.ucs2_characters, Vec::<String>::new());
    let replacement = |original: &str, replacement: &str, count| Replacement {
        original: original.into(),
        replacement: replacement.into(),
        count,
    };
    assert_eq!(
        preview.replacements,
        [
            replacement("ó", "o", 1),
            replacement("“", "\"", 1),
            replacement("”", "\"", 1),
            replacement("—", "-", 1),
            replacement("í", "i", 2),
        ]
    );
    // The policy is in use: nothing more to save.
    assert_eq!(preview.transliterated_segments, None);

    // A character with no GSM-7 form keeps the message in UCS-2, and says so.
    let config = Config {
        encoding: Some(EncodingPolicy::Gsm7Transliterate),
        ..with_message("Gracias 🙂, nos vemos el sábado.")
    };
    let preview = previewed(&config, MONDAY_10).await;
    assert_eq!(
        preview.message.as_deref(),
        Some("Gracias 🙂, nos vemos el sabado.")
    );
    assert_eq!(preview.encoding, Encoding::Ucs2);
    assert_eq!(preview.ucs2_characters, ["🙂"]);
    assert_eq!(preview.replacements, [replacement("á", "a", 1)]);
}

#[tokio::test]
async fn preview_reports_the_window_status_at_the_given_instant() {
    let config = valid();
    assert_eq!(
        previewed(&config, MONDAY_10).await.window,
        WindowStatus::Open
    );

    let sunday = previewed(&config, "2026-09-13T10:00:00-03:00").await;
    let WindowStatus::Closed(Blocked {
        reason,
        next_allowed,
        wait_seconds,
        description,
    }) = sunday.window
    else {
        panic!("expected closed, got {:?}", sunday.window)
    };
    assert_eq!(reason, BlockReason::WeekdayDisabled);
    assert_eq!(next_allowed, "2026-09-14T09:00:00-03:00");
    assert_eq!(wait_seconds, 23 * 3_600);
    assert!(description.contains("America/Santiago"), "{description}");
    assert!(description.starts_with("Es domingo"), "{description}");
    // The rest of the preview does not depend on the window.
    assert_eq!(sunday.recipient, "56987654321");
}

#[tokio::test]
async fn a_message_longer_than_max_segments_is_too_long() {
    let config = Config {
        max_segments: Some(1),
        language: Some(Language::En),
        ..with_message(&"a".repeat(161))
    };
    // A static message is judged at design time already.
    let problems = check(&config).await;
    assert_eq!(
        fields_and_codes(&problems),
        [(FieldId::Message, ProblemCode::TooLong)]
    );
    assert!(
        problems[0]
            .message
            .starts_with("The message takes 2 SMS segments (161 GSM-7 characters;"),
        "{}",
        problems[0].message
    );
    assert!(problems[0].message.contains("the limit is 1"));
    assert_eq!(refused(&config).await, problems);

    // A templated one once its variables are rendered.
    let config = Config {
        max_segments: Some(1),
        ..valid()
    };
    assert_eq!(check(&config).await, []);
    let long_date = "lunes 7 de septiembre de 2026 a las 10:30, en la sucursal de \
                     Avenida Providencia 1234, piso 5, oficina 502, comuna de Providencia, \
                     Santiago";
    let problems = preview_at(
        &config,
        &entities(&[
            ("customer_phone", "56987654321"),
            ("name", "Ana"),
            ("date", long_date),
        ]),
        MONDAY_10,
    )
    .await
    .unwrap_err();
    assert_eq!(
        fields_and_codes(&problems),
        [(FieldId::Message, ProblemCode::TooLong)]
    );
}

#[tokio::test]
async fn message_and_campaign_together_is_message_or_campaign() {
    let both = Config {
        campaign: Some("bienvenida".into()),
        ..valid()
    };
    let problems = check(&both).await;
    assert_eq!(
        fields_and_codes(&problems),
        [(FieldId::Message, ProblemCode::MessageOrCampaign)]
    );
    assert!(problems[0].message.contains("no ambos"), "{problems:#?}");
    assert_eq!(refused(&both).await, problems);

    let neither = Config {
        message: Some("   ".into()),
        ..valid()
    };
    let problems = check(&neither).await;
    assert_eq!(
        fields_and_codes(&problems),
        [(FieldId::Message, ProblemCode::MessageOrCampaign)]
    );
    assert!(!problems[0].message.contains("no ambos"), "{problems:#?}");
}

#[tokio::test]
async fn preview_of_a_campaign_renders_its_variables() {
    let config = Config {
        message: None,
        campaign: Some("bienvenida".into()),
        campaign_variables: vec![CampaignVariable {
            name: "name".into(),
            value: "{{name}}".into(),
        }],
        ..valid()
    };
    assert_eq!(check(&config).await, []);
    let preview = previewed(&config, MONDAY_10).await;
    assert_eq!(preview.message, None);
    assert_eq!(preview.campaign.as_deref(), Some("bienvenida"));
    assert_eq!(
        preview.campaign_variables,
        [CampaignVariable {
            name: "name".into(),
            value: "Ana".into()
        }]
    );
    assert_eq!(preview.encoding, Encoding::Gsm7);
}

#[tokio::test]
async fn rut_is_normalised_in_preview() {
    for (typed, sent) in [
        ("12.345.678-5", "12345678-5"),
        ("12345678-5", "12345678-5"),
        ("123456785", "12345678-5"),
        (" 76.354.771-k ", "76354771-K"),
    ] {
        let config = Config {
            rut: Some(typed.into()),
            ..valid()
        };
        let preview = previewed(&config, MONDAY_10).await;
        assert_eq!(preview.rut.as_deref(), Some(sent), "{typed:?}");
    }

    let config = Config {
        rut: Some("12.345.678-9".into()),
        ..valid()
    };
    let problems = refused(&config).await;
    assert_eq!(
        fields_and_codes(&problems),
        [(FieldId::Rut, ProblemCode::RutCheckDigit)]
    );
    assert!(problems[0].message.contains("sería 5"), "{problems:#?}");
}

#[tokio::test]
async fn an_invalid_send_makes_no_request() {
    let stub = stub();
    // Valid at design time: the recipient comes from the flow.
    let config = Config {
        base_url: Some(stub.base_url()),
        ..valid()
    };
    assert_eq!(check(&config).await, []);

    // The flow supplies a landline, which cannot receive SMS.
    let landline = entities(&[
        ("customer_phone", "+56 2 2345 6789"),
        ("name", "Ana"),
        ("date", "lunes 10:30"),
    ]);
    let called = send_at(&config, &landline, MONDAY_10).await;
    let Outcome::Invalid { problems } = &called.value else {
        panic!("expected invalid, got {:?}", called.value)
    };
    assert_eq!(
        fields_and_codes(problems),
        [(FieldId::Recipient, ProblemCode::NotMobile)]
    );
    assert_eq!(stub.request_count(), 0);
    assert!(called.denied.is_empty());
    // `preview` refuses it the same way.
    assert_eq!(
        preview_at(&config, &landline, MONDAY_10).await,
        Err(problems.clone())
    );
}

#[tokio::test]
async fn describe_lists_the_twenty_four_fields_in_config_order() {
    let form = describe().await;
    let ids: Vec<String> = form
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
    assert_eq!(
        ids,
        [
            "api-key",
            "sender",
            "recipient",
            "message",
            "purpose",
            "opt-out",
            "window-start",
            "window-end",
            "weekdays",
            "send-on-holidays",
            "closed-dates",
            "campaign",
            "campaign-variables",
            "rut",
            "error-intent",
            "time-zone",
            "max-attempts",
            "base-url",
            "language",
            "encoding",
            "max-segments",
            "idempotency-key",
            "attempt-timeout-ms",
            "deadline-ms",
        ]
    );
    let default = |id: FieldId| {
        form.fields
            .iter()
            .find(|f| f.id == id)
            .and_then(|f| f.default_value.clone())
    };
    assert_eq!(
        default(FieldId::ErrorIntent).as_deref(),
        Some("SendSMS_SiptelSMS_ErrorError")
    );
    assert_eq!(
        default(FieldId::TimeZone).as_deref(),
        Some("America/Santiago")
    );
    assert_eq!(default(FieldId::MaxSegments).as_deref(), Some("6"));

    // The Spanish texts address the user formally ("usted"), as every other
    // message of the product does.
    for field in &form.fields {
        let help = &field.help.es;
        for informal in [
            "dejas",
            "Puedes",
            "Completa ",
            "Activa ",
            " tu ",
            "escribe `",
            "Ingresa",
        ] {
            assert!(!help.contains(informal), "{:?}: {help}", field.id);
        }
        if let Some(value) = &field.default_value {
            assert!(
                help.ends_with(&format!("Si lo deja vacío: `{value}`.")),
                "{:?}: {help}",
                field.id
            );
        }
    }
}

#[tokio::test]
async fn an_out_of_range_max_segments_is_reported_on_its_own_field_only() {
    let config = Config {
        max_segments: Some(0),
        ..with_message("Hola Ana, su hora es el lunes 10:30.")
    };
    let problems = check(&config).await;
    assert_eq!(
        fields_and_codes(&problems),
        [(FieldId::MaxSegments, ProblemCode::OutOfRange)],
        "{problems:#?}"
    );
}
