//! The Siptel HTTP contract. This file holds the contract itself, whole:
//! paths, headers, the JSON bodies' fields, error codes and which answers
//! are retried. Its submodules are the mechanics: the base URL's grammar,
//! idempotency keys, building the request, reading the answer.
//!
//! Siptel publishes no API reference we could find; this module speaks the
//! contract fixed in `docs/siptel-api.md` (the one the stub Siptel answers).
//! Adapting to Siptel's real reference is a change to this file and its
//! tests. Nothing here does I/O: [`request`] builds the bytes to send and
//! [`interpret`] reads what came back.

mod answer;
mod base_url;
mod idempotency;
mod request;

pub use answer::*;
pub use base_url::*;
pub use idempotency::*;
pub use request::*;

use crate::model::{CampaignVariable, FailureCode};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize};

/// Siptel's base URL when the config gives none.
pub const DEFAULT_BASE_URL: &str = "https://api.siptel.cl";
/// Largest response body read; a longer one counts as a malformed answer.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// `User-Agent` of every request: the component and its version.
pub const USER_AGENT: &str = concat!("siptel-sms/", env!("CARGO_PKG_VERSION"));

/// Header names of the contract, as sent.
pub mod header {
    /// `Content-Type`.
    pub const CONTENT_TYPE: &str = "Content-Type";
    /// `Content-Length`: the body goes out in one piece, not chunked (some
    /// gateways refuse chunked uploads, and one write is one packet).
    pub const CONTENT_LENGTH: &str = "Content-Length";
    /// `Accept`.
    pub const ACCEPT: &str = "Accept";
    /// `User-Agent`.
    pub const USER_AGENT: &str = "User-Agent";
    /// `Authorization` (`Bearer <key>`).
    pub const AUTHORIZATION: &str = "Authorization";
    /// `X-Siptel-Rut`: the account's normalised RUT, for unregistered IPs.
    pub const RUT: &str = "X-Siptel-Rut";
    /// `Idempotency-Key`: one per logical send, same on every attempt.
    pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
    /// `Retry-After` (response): delta-seconds or an HTTP date.
    pub const RETRY_AFTER: &str = "Retry-After";
}

/// `Content-Type` of every request body.
pub const CONTENT_TYPE_JSON: &str = "application/json; charset=utf-8";
/// `Accept` of every request.
pub const ACCEPT_JSON: &str = "application/json";

/// Path of a message send, under the base URL's path prefix.
pub fn message_path(prefix: &str) -> String {
    format!("{prefix}/v1/sms")
}

/// Path of a campaign send, the campaign percent-encoded as one segment
/// ([`encode_path_segment`]).
pub fn campaign_path(prefix: &str, campaign: &str) -> String {
    format!(
        "{prefix}/v1/campaigns/{}/sms",
        encode_path_segment(campaign)
    )
}

/// JSON body of `POST /v1/sms`.
#[derive(Serialize)]
pub(crate) struct MessageBody<'a> {
    pub(crate) sender: &'a str,
    pub(crate) recipient: &'a str,
    pub(crate) message: &'a str,
    pub(crate) encoding: &'static str,
}

/// JSON body of `POST /v1/campaigns/{campaign}/sms`.
#[derive(Serialize)]
pub(crate) struct CampaignBody<'a> {
    pub(crate) sender: &'a str,
    pub(crate) recipient: &'a str,
    pub(crate) variables: Variables<'a>,
}

/// `variables` as a JSON object `name -> value`, in the given order. A name
/// given twice keeps its first value, so the object never has duplicate keys
/// (validation reports duplicates before anything is sent).
pub(crate) struct Variables<'a>(pub(crate) &'a [CampaignVariable]);

impl Serialize for Variables<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for (i, v) in self.0.iter().enumerate() {
            if self.0[..i].iter().all(|earlier| earlier.name != v.name) {
                map.serialize_entry(&v.name, &v.value)?;
            }
        }
        map.end()
    }
}

/// The success body: `{"id", "status", "segments"[, "campaign"]}`.
#[derive(Deserialize)]
pub(crate) struct SuccessBody {
    #[serde(default)]
    pub(crate) id: Option<String>,
    #[serde(default)]
    pub(crate) status: Option<String>,
    #[serde(default)]
    pub(crate) segments: Option<u64>,
    #[serde(default)]
    pub(crate) campaign: Option<String>,
}

/// An error body: `{"error": {"code", "message"}}` (only the code is read).
#[derive(Deserialize)]
pub(crate) struct ErrorBody {
    pub(crate) error: ErrorDetail,
}

#[derive(Deserialize)]
pub(crate) struct ErrorDetail {
    pub(crate) code: String,
}

/// Whether the contract retries an answer of this status: 429, 500, 502, 503, 504.
pub const fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}

/// The contract's table: a code is known only with its own status.
pub(crate) fn code_of(status: u16, code: String) -> Option<FailureCode> {
    Some(match (status, code.as_str()) {
        (400, "invalid_request") => FailureCode::InvalidRequest,
        (400, "invalid_number") => FailureCode::InvalidNumber,
        (401, "invalid_api_key") => FailureCode::InvalidApiKey,
        (402, "insufficient_balance") => FailureCode::InsufficientBalance,
        (403, "sender_not_authorized") => FailureCode::SenderNotAuthorized,
        (403, "ip_not_authorized") => FailureCode::IpNotAuthorized,
        (403, "sms_not_enabled") => FailureCode::SmsNotEnabled,
        (404, "campaign_not_found") => FailureCode::CampaignNotFound,
        (409, "idempotency_conflict") => FailureCode::IdempotencyConflict,
        (422, "template_invalid") => FailureCode::TemplateInvalid,
        (422, "missing_variable") => FailureCode::MissingVariable,
        _ => return None,
    })
}

/// The code of a non-retryable status whose body names no known code.
pub(crate) fn fallback_code(status: u16) -> FailureCode {
    match status {
        400 | 422 => FailureCode::InvalidRequest,
        401 => FailureCode::InvalidApiKey,
        402 => FailureCode::InsufficientBalance,
        409 => FailureCode::IdempotencyConflict,
        _ => FailureCode::UnexpectedStatus,
    }
}
