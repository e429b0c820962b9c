//! Embedding the action from Rust: the README's snippet, run by the tests
//! against the stub Siptel (`cargo run -p siptel-sms-host --example embed --
//! <siptel-base-url> <key>` runs it by hand).

use siptel_sms::model::{Config, Outcome};
use siptel_sms_host::{CallOptions, HostOptions, SiptelSms};
use std::collections::{BTreeMap, BTreeSet};

/// Sends one SMS for tenant `acme`, whose key the host holds, through the
/// Siptel at `siptel_base_url`; answers what the flow does next.
pub async fn run(
    siptel_base_url: &str,
    acme_key: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    // Load once (the component is embedded in the crate); call many times,
    // from many tasks. The host holds every tenant's key and reaches only
    // `siptel_base_url`; each call is granted its own tenant's names.
    let action = SiptelSms::builtin(HostOptions {
        siptel_base_url: siptel_base_url.into(),
        secrets: BTreeMap::from([("acme".to_string(), acme_key.into())]),
        ..HostOptions::default()
    })?;
    let config: Config = serde_json::from_str(
        r#"{"api-key": "secret:acme", "sender": "56961234567",
            "recipient": "{{customer_phone}}", "message": "Hola {{name}}, su hora es mañana.",
            "window-start": "00:00:00", "window-end": "23:59:59", "send-on-holidays": true,
            "weekdays": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]}"#,
    )?;
    let entities =
        siptel_sms::json::entities(r#"{"customer_phone": "+56 9 8765 4321", "name": "Ana"}"#)?;
    let options = CallOptions {
        tenant: Some("acme".into()),
        secrets: BTreeSet::from(["acme".to_string()]),
        ..CallOptions::default()
    };
    let called = action.send(&config, &entities, &options).await?;
    Ok(match called.value {
        Outcome::Sent(receipt) => format!("sent {}", receipt.id),
        Outcome::Blocked(blocked) => format!("retry at {}", blocked.next_allowed),
        Outcome::Invalid { problems } => format!("{} problems", problems.len()),
        Outcome::Failed(f) if f.possibly_sent => format!("check key {} first", f.idempotency_key),
        Outcome::Failed(f) => format!("trigger {}: {}", f.error_intent, f.description),
    })
}

#[allow(dead_code)]
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(key)) = (args.next(), args.next()) else {
        return Err("usage: embed <siptel-base-url> <key>".into());
    };
    println!("{}", run(&url, &key).await?);
    Ok(())
}
