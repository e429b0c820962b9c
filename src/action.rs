//! The action's entry points over plain types: what the component exports,
//! callable natively too (tests, benchmarks, the host's baseline).

use crate::delivery::{self, Clock, Entropy, Transport};
use crate::model::{
    ActionForm, Config, Encoding, Entity, Failure, Outcome, Problem, Receipt, SendPreview,
    WindowStatus,
};
use crate::siptel::{self, Payload, Submission};
use crate::validate::{self, Content};
use crate::{encoding, failure, retry};

/// Design-time validation: every problem, placeholders accepted, no network.
pub fn check(config: &Config) -> Vec<Problem> {
    validate::check(config)
}

/// What `send` would send at `at_unix_seconds`, without network.
pub fn preview(
    config: &Config,
    entities: &[Entity],
    at_unix_seconds: i64,
) -> Result<SendPreview, Vec<Problem>> {
    let plan = validate::plan(config, entities)?;
    let window = plan.window.status(at_unix_seconds, plan.language);
    let mut preview = SendPreview {
        sender: plan.sender,
        recipient: plan.recipient,
        message: None,
        campaign: None,
        campaign_variables: Vec::new(),
        // Siptel renders campaign templates; GSM-7 is the nominal encoding there.
        encoding: Encoding::Gsm7,
        units: 0,
        segments: 0,
        ucs2_characters: Vec::new(),
        replacements: Vec::new(),
        transliterated_segments: None,
        rut: plan.rut,
        error_intent: plan.error_intent,
        window,
    };
    match plan.content {
        Content::Message {
            text,
            analysis,
            replacements,
            transliterated,
        } => {
            // Only a preview shows what transliteration would save: a send
            // does not pay for working it out.
            preview.transliterated_segments = if transliterated {
                None
            } else {
                encoding::segments_if_transliterated(&text, &analysis)
            };
            preview.ucs2_characters = encoding::ucs2_characters(&text);
            preview.message = Some(text);
            preview.encoding = analysis.encoding;
            preview.units = analysis.units;
            preview.segments = analysis.segments;
            preview.replacements = replacements;
        }
        Content::Campaign { name, variables } => {
            preview.campaign = Some(name);
            preview.campaign_variables = variables;
        }
    }
    Ok(preview)
}

/// Sends one SMS: validates, checks the window at the clock's instant, then
/// delivers with retries under one idempotency key.
pub fn send(
    config: &Config,
    entities: &[Entity],
    transport: &mut impl Transport,
    clock: &mut impl Clock,
    entropy: &mut impl Entropy,
) -> Outcome {
    let plan = match validate::plan(config, entities) {
        Ok(plan) => plan,
        Err(problems) => return Outcome::Invalid { problems },
    };
    if let WindowStatus::Closed(blocked) = plan.window.status(clock.unix_seconds(), plan.language) {
        return Outcome::Blocked(blocked);
    }
    let idempotency_key = plan
        .idempotency_key
        .clone()
        .unwrap_or_else(|| siptel::new_idempotency_key(entropy.next_u128()));
    let (payload, campaign) = match &plan.content {
        Content::Message { text, analysis, .. } => (
            Payload::Message {
                text,
                encoding: analysis.encoding,
            },
            None,
        ),
        Content::Campaign { name, variables } => {
            (Payload::Campaign { name, variables }, Some(name))
        }
    };
    let request = siptel::request(
        &plan.base_url,
        &Submission {
            api_key: &plan.api_key,
            rut: plan.rut.as_deref(),
            idempotency_key: &idempotency_key,
            sender: &plan.sender,
            recipient: &plan.recipient,
            payload,
        },
    );
    let policy = retry::Policy::new(plan.max_attempts, u64::from(plan.deadline_ms));
    let attempt_timeout_ms = u64::from(plan.attempt_timeout_ms);
    match delivery::deliver(
        &request,
        &policy,
        attempt_timeout_ms,
        transport,
        clock,
        entropy,
    ) {
        Ok(delivered) => Outcome::Sent(Receipt {
            id: delivered.acceptance.id,
            status: delivered.acceptance.status,
            segments: delivered.acceptance.segments,
            attempts: delivered.attempts,
            idempotency_key,
            campaign: delivered.acceptance.campaign.or_else(|| campaign.cloned()),
        }),
        Err(undelivered) => Outcome::Failed(Failure {
            description: failure::describe(&undelivered, &idempotency_key, plan.language),
            error_intent: plan.error_intent,
            code: undelivered.code,
            attempts: undelivered.attempts,
            last_status: undelivered.last_status,
            idempotency_key,
            possibly_sent: undelivered.possibly_sent,
        }),
    }
}

/// The action's form.
pub fn describe() -> ActionForm {
    crate::describe::form()
}
