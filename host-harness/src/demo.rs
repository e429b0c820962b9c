//! `siptel-sms demo`: the product's main job against the embedded stub Siptel,
//! one scenario per outcome a host must handle.

use crate::render;
use anyhow::Result;
use serde::Serialize;
use siptel_sms::model::{CampaignVariable, Config, Entity, Outcome, Purpose, Weekdays};
use siptel_sms_host::{CallOptions, SiptelSms};
use siptel_stub::{Scripted, StubConfig, StubSiptel};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

/// One demo scenario's result, as printed with `--json`.
#[derive(Serialize)]
struct Scenario {
    scenario: &'static str,
    outcome: Outcome,
    /// Requests the stub received for this scenario.
    requests: usize,
}

/// A sending window that is always open, so the demo runs at any hour.
fn base_config(stub: &StubSiptel) -> Config {
    Config {
        api_key: StubConfig::default().api_key.into(),
        sender: "+56 9 6123 4567".into(),
        recipient: "{{customer_phone}}".into(),
        message: Some("Hola {{name}}, su hora es el {{date}}. Responda SI para confirmar.".into()),
        window_start: "00:00:00".into(),
        window_end: "23:59:59".into(),
        send_on_holidays: Some(true),
        weekdays: Weekdays::ALL,
        base_url: Some(stub.base_url()),
        max_attempts: Some(3),
        ..Config::default()
    }
}

fn entities() -> Vec<Entity> {
    [
        ("customer_phone", "56987654321"),
        ("name", "Ana"),
        ("date", "lunes 10:30"),
    ]
    .into_iter()
    .map(|(name, value)| Entity {
        name: name.into(),
        value: value.into(),
        kind: None,
    })
    .collect()
}

pub async fn run(json: bool, options: siptel_sms_host::HostOptions) -> Result<ExitCode> {
    let stub = StubSiptel::start(StubConfig::default())?;
    let action = SiptelSms::builtin(options)?;
    let entities = entities();
    let now = CallOptions {
        siptel_base_url: Some(stub.base_url()),
        ..CallOptions::default()
    };
    let mut results = Vec::new();

    let mut run = async |scenario: &'static str,
                         config: Config,
                         script: Vec<Scripted>,
                         options: &CallOptions|
           -> Result<()> {
        stub.script(script);
        let before = stub.request_count();
        let outcome = action.send(&config, &entities, options).await?.value;
        let requests = stub.request_count() - before;
        if !json {
            println!("== {scenario} ({requests} request(s) to the stub)");
            print!("{}", render::outcome(&outcome));
            println!();
        }
        results.push(Scenario {
            scenario,
            outcome,
            requests,
        });
        Ok(())
    };

    let config = base_config(&stub);
    run(
        "a message with flow variables is sent",
        config.clone(),
        vec![],
        &now,
    )
    .await?;

    run(
        "a campaign send (template at Siptel)",
        Config {
            message: None,
            campaign: Some("bienvenida".into()),
            campaign_variables: vec![CampaignVariable {
                name: "name".into(),
                value: "{{name}}".into(),
            }],
            ..config.clone()
        },
        vec![],
        &now,
    )
    .await?;

    run(
        "an invalid config reports every problem and sends nothing",
        Config {
            sender: "9 6123 4567".into(),
            recipient: "56221234567".into(),
            message: Some("Hola {{nombre}}".into()),
            window_start: "25:00:00".into(),
            rut: Some("12.345.678-9".into()),
            ..config.clone()
        },
        vec![],
        &now,
    )
    .await?;

    // Saturday 2026-09-05 12:00 in Santiago, with a Monday-to-Friday window.
    let saturday = SystemTime::UNIX_EPOCH + Duration::from_secs(1_788_624_000);
    run(
        "outside the sending window the send is blocked until the next allowed instant",
        Config {
            window_start: "09:00:00".into(),
            window_end: "18:00:00".into(),
            weekdays: Weekdays::WORKDAYS,
            ..config.clone()
        },
        vec![],
        &CallOptions {
            wall_clock: Some(saturday),
            ..now.clone()
        },
    )
    .await?;

    // Friday 2026-09-18 10:00 in Santiago: Independence Day.
    let fiestas = SystemTime::UNIX_EPOCH + Duration::from_secs(1_789_736_400);
    run(
        "on a public holiday the send is blocked until the next working day",
        Config {
            window_start: "09:00:00".into(),
            window_end: "18:00:00".into(),
            weekdays: Weekdays::WORKDAYS,
            send_on_holidays: None,
            ..config.clone()
        },
        vec![],
        &CallOptions {
            wall_clock: Some(fiestas),
            ..now.clone()
        },
    )
    .await?;

    run(
        "a promotional message goes out with its opt-out on the last line",
        Config {
            purpose: Some(Purpose::Promotional),
            message: Some("Hola {{name}}: 20% de descuento en su próxima visita.".into()),
            opt_out: Some("Para no recibir más, responda BAJA".into()),
            ..config.clone()
        },
        vec![],
        &now,
    )
    .await?;

    run(
        "a transient fault (503, 503) is retried with the same idempotency key",
        config.clone(),
        vec![Scripted::status(503), Scripted::status(503)],
        &now,
    )
    .await?;

    run(
        "attempts run out: the flow goes to the error intent",
        config.clone(),
        vec![
            Scripted::status(503),
            Scripted::status(502),
            Scripted::status(503),
        ],
        &now,
    )
    .await?;

    run(
        "a final refusal (402 insufficient balance) is not retried",
        config.clone(),
        vec![Scripted::status(402)],
        &now,
    )
    .await?;

    if json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    }
    Ok(ExitCode::SUCCESS)
}
