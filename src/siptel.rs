//! The Siptel HTTP contract, whole, in one module: base URL, paths, headers,
//! JSON field names, error codes and which answers are retried.
//!
//! Siptel publishes no API reference we could find; this module speaks the
//! contract fixed in `siptel-api.md` (the one the stub Siptel of the host
//! harness answers). Adapting to Siptel's real reference is a change to this
//! file and its tests. Nothing here does I/O: [`request`] builds the bytes to
//! send and [`interpret`] reads what came back.

use crate::model::{CampaignVariable, Encoding, Explain, FailureCode, Language, ProblemCode};
use crate::secret::Secret;
use chrono::{DateTime, NaiveDateTime};
use serde::Serialize;
use serde::ser::SerializeMap;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Siptel's base URL when the config gives none.
pub const DEFAULT_BASE_URL: &str = "https://api.siptel.cl";
/// Largest response body read; a longer one counts as a malformed answer.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// `User-Agent` of every request: the component and its version.
pub const USER_AGENT: &str = concat!("siptel-sms/", env!("CARGO_PKG_VERSION"));

/// Longest base URL accepted (well above any real one; keeps input bounded).
pub const MAX_BASE_URL_LEN: usize = 2048;

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

// ---------------------------------------------------------------------------
// Base URL
// ---------------------------------------------------------------------------

/// URL scheme of the base URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `http`: only ever to a loopback host.
    Http,
    /// `https`.
    Https,
}

impl Scheme {
    /// `http` or `https`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// A checked Siptel base URL.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BaseUrl {
    /// `https`, or `http` to a loopback host.
    pub scheme: Scheme,
    /// `host[:port]`, host in lower case (`[v6]` in brackets), port without
    /// leading zeros.
    pub authority: String,
    /// `""` or `/prefix` (one or more segments), never a trailing slash.
    pub path_prefix: String,
}

impl Default for BaseUrl {
    /// [`DEFAULT_BASE_URL`].
    fn default() -> Self {
        BaseUrl {
            scheme: Scheme::Https,
            authority: "api.siptel.cl".to_owned(),
            path_prefix: String::new(),
        }
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}{}",
            self.scheme.as_str(),
            self.authority,
            self.path_prefix
        )
    }
}

/// Why a base URL is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UrlError {
    /// Not `scheme://host[:port][/path]`: another scheme, userinfo, a query or
    /// fragment, an empty or invalid host, a bad port, whitespace, dot segments.
    Malformed,
    /// `http://` to a host that is not loopback.
    Insecure,
}

impl Explain for UrlError {
    fn code(&self) -> ProblemCode {
        match self {
            UrlError::Malformed => ProblemCode::InvalidFormat,
            UrlError::Insecure => ProblemCode::InsecureUrl,
        }
    }

    fn message(&self, lang: Language) -> String {
        match self {
            UrlError::Malformed => lang.pick(
                "La URL base no es válida: use la forma https://servidor[:puerto][/ruta], \
                 sin usuario, consulta (?) ni fragmento (#).",
                "The base URL is not valid: use the form https://host[:port][/path], \
                 without user info, query (?) or fragment (#).",
            ),
            UrlError::Insecure => lang.pick(
                "La URL base debe usar https://; http:// solo se admite hacia la propia \
                 máquina (127.0.0.1, localhost o [::1]).",
                "The base URL must use https://; http:// is only allowed to the local \
                 machine (127.0.0.1, localhost or [::1]).",
            ),
        }
        .to_owned()
    }
}

/// Parses and checks a base URL.
///
/// Accepts `https://host[:port][/prefix]` for any host and `http://` only to
/// a loopback host (127.0.0.0/8, `localhost`, `[::1]`). The scheme and host are
/// case-insensitive and stored in lower case; trailing slashes of the path are
/// dropped. Refused as [`UrlError::Malformed`]: any other scheme, userinfo
/// (`user@`), a query or fragment, whitespace or non-ASCII (give IDN hosts in
/// their `xn--` form), an empty host, a dotted-digits host that is not an IPv4
/// address, port 0 or above 65535, empty, `.` or `..` path segments, and
/// characters that are not allowed in a URL path.
pub fn parse_base_url(s: &str) -> Result<BaseUrl, UrlError> {
    if s.is_empty() || s.len() > MAX_BASE_URL_LEN || !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(UrlError::Malformed);
    }
    let (scheme, rest) = s.split_once("://").ok_or(UrlError::Malformed)?;
    let scheme = if scheme.eq_ignore_ascii_case("https") {
        Scheme::Https
    } else if scheme.eq_ignore_ascii_case("http") {
        Scheme::Http
    } else {
        return Err(UrlError::Malformed);
    };
    if rest.contains(['?', '#']) {
        return Err(UrlError::Malformed);
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if authority.contains('@') {
        return Err(UrlError::Malformed);
    }
    let (host, port) = split_host_port(authority)?;
    let (host, loopback) = check_host(host)?;
    let port = match port {
        None => None,
        Some(p) => Some(parse_port(p)?),
    };
    let path_prefix = check_path_prefix(path)?;
    if scheme == Scheme::Http && !loopback {
        return Err(UrlError::Insecure);
    }
    let authority = match port {
        Some(p) => format!("{host}:{p}"),
        None => host,
    };
    Ok(BaseUrl {
        scheme,
        authority,
        path_prefix,
    })
}

/// Splits `host[:port]` / `[v6][:port]`; the port is `None` when absent.
fn split_host_port(authority: &str) -> Result<(&str, Option<&str>), UrlError> {
    if authority.starts_with('[') {
        let end = authority.find(']').ok_or(UrlError::Malformed)?;
        let (host, after) = authority.split_at(end + 1);
        match after {
            "" => Ok((host, None)),
            _ => match after.strip_prefix(':') {
                Some(port) => Ok((host, Some(port))),
                None => Err(UrlError::Malformed),
            },
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => Ok((host, Some(port))),
            None => Ok((authority, None)),
        }
    }
}

/// 1..=65535, decimal digits only.
fn parse_port(p: &str) -> Result<u16, UrlError> {
    if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
        return Err(UrlError::Malformed);
    }
    match p.parse::<u16>() {
        Ok(0) | Err(_) => Err(UrlError::Malformed),
        Ok(port) => Ok(port),
    }
}

/// Checks a host and lower-cases it; the flag says whether it is loopback.
fn check_host(host: &str) -> Result<(String, bool), UrlError> {
    if let Some(inner) = host.strip_prefix('[') {
        let inner = inner.strip_suffix(']').ok_or(UrlError::Malformed)?;
        let addr: Ipv6Addr = inner.parse().map_err(|_| UrlError::Malformed)?;
        return Ok((host.to_ascii_lowercase(), addr.is_loopback()));
    }
    if host.is_empty() || host.len() > 253 {
        return Err(UrlError::Malformed);
    }
    let host = host.to_ascii_lowercase();
    if host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let addr: Ipv4Addr = host.parse().map_err(|_| UrlError::Malformed)?;
        return Ok((host, addr.is_loopback()));
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if !host.split('.').all(label_ok) {
        return Err(UrlError::Malformed);
    }
    let loopback = host == "localhost";
    Ok((host, loopback))
}

/// `""` or `/seg[/seg...]` without trailing slashes; segments are RFC 3986
/// `pchar`s, non-empty and not `.` / `..`.
fn check_path_prefix(path: &str) -> Result<String, UrlError> {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    for segment in trimmed.split('/').skip(1) {
        if segment.is_empty() || segment == "." || segment == ".." || !is_pchars(segment) {
            return Err(UrlError::Malformed);
        }
    }
    Ok(trimmed.to_owned())
}

/// Whether `s` is made of RFC 3986 `pchar`s (percent-escapes well-formed).
fn is_pchars(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = |j: usize| b.get(j).is_some_and(u8::is_ascii_hexdigit);
                if !(hex(i + 1) && hex(i + 2)) {
                    return false;
                }
                i += 3;
            }
            c if is_unreserved(c) || b"!$&'()*+,;=:@".contains(&c) => i += 1,
            _ => return false,
        }
    }
    true
}

fn is_unreserved(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~')
}

/// Percent-encodes `s` as ONE path segment: every byte but the RFC 3986
/// unreserved ones (`A-Z a-z 0-9 - . _ ~`) becomes `%XX` (upper-case hex,
/// UTF-8 bytes), so `/`, `?`, `#` and `%` never leave the segment. A segment
/// made only of dots (`.`, `..`) has its dots encoded too, so it can never act
/// as a dot segment. (Validation refuses such campaign names anyway.)
pub fn encode_path_segment(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let all_dots = !s.is_empty() && s.bytes().all(|b| b == b'.');
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if is_unreserved(b) && !(all_dots && b == b'.') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Idempotency keys
// ---------------------------------------------------------------------------

/// Whether `s` is an idempotency key of the contract: 8 to 64 of `[A-Za-z0-9_-]`.
pub fn is_valid_idempotency_key(s: &str) -> bool {
    (8..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A fresh idempotency key from 128 random bits: `sms-` and 26 lower-case
/// Crockford base32 characters (all 128 bits, most significant first), 30
/// characters in all; always [valid](is_valid_idempotency_key).
pub fn new_idempotency_key(random: u128) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
    let mut key = String::with_capacity(30);
    key.push_str("sms-");
    for i in (0..26).rev() {
        let shift = i * 5;
        // 26 * 5 = 130 bits: the first character carries the top 3 bits.
        let digit = (random >> shift) & 0x1f;
        key.push(char::from(ALPHABET[digit as usize]));
    }
    key
}

// ---------------------------------------------------------------------------
// Request
// ---------------------------------------------------------------------------

/// What is sent: one message, or one message of a campaign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payload<'a> {
    /// `POST /v1/sms` with the final text and its encoding.
    Message { text: &'a str, encoding: Encoding },
    /// `POST /v1/campaigns/{name}/sms` with the template's variables.
    Campaign {
        name: &'a str,
        variables: &'a [CampaignVariable],
    },
}

/// Everything one send needs, already validated and normalised. `Debug`
/// never shows the key (a [`Secret`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Submission<'a> {
    /// Service access key (Bearer token).
    pub api_key: &'a Secret,
    /// Normalised RUT (`12345678-5`), for accounts whose IP is not registered.
    pub rut: Option<&'a str>,
    /// Idempotency key of this logical send.
    pub idempotency_key: &'a str,
    /// Sender number, international digits.
    pub sender: &'a str,
    /// Recipient number, international digits.
    pub recipient: &'a str,
    /// Message or campaign.
    pub payload: Payload<'a>,
}

/// One HTTP request, always `POST`, ready for a transport.
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    /// `http` or `https`.
    pub scheme: Scheme,
    /// `host[:port]`.
    pub authority: String,
    /// Absolute path (the base URL's prefix included), no query.
    pub path: String,
    /// Header names and values, in the order sent.
    pub headers: Vec<(&'static str, String)>,
    /// JSON body, UTF-8.
    pub body: Vec<u8>,
}

impl Request {
    /// The HTTP method: always `POST`.
    pub const METHOD: &'static str = "POST";

    /// The value of header `name` (case-insensitive), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `scheme://authority/path`, for logs and tests (no secret in it).
    pub fn url(&self) -> String {
        format!("{}://{}{}", self.scheme.as_str(), self.authority, self.path)
    }
}

/// Debug shows everything but the `Authorization` value.
impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Headers<'a>(&'a [(&'static str, String)]);
        impl fmt::Debug for Headers<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list()
                    .entries(self.0.iter().map(|(name, value)| {
                        if name.eq_ignore_ascii_case(header::AUTHORIZATION) {
                            (*name, "<redacted>")
                        } else {
                            (*name, value.as_str())
                        }
                    }))
                    .finish()
            }
        }
        f.debug_struct("Request")
            .field("method", &Self::METHOD)
            .field("scheme", &self.scheme)
            .field("authority", &self.authority)
            .field("path", &self.path)
            .field("headers", &Headers(&self.headers))
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish()
    }
}

/// JSON body of `POST /v1/sms`.
#[derive(Serialize)]
struct MessageBody<'a> {
    sender: &'a str,
    recipient: &'a str,
    message: &'a str,
    encoding: &'static str,
}

/// JSON body of `POST /v1/campaigns/{campaign}/sms`.
#[derive(Serialize)]
struct CampaignBody<'a> {
    sender: &'a str,
    recipient: &'a str,
    variables: Variables<'a>,
}

/// `variables` as a JSON object `name -> value`, in the given order. A name
/// given twice keeps its first value, so the object never has duplicate keys
/// (validation reports duplicates before anything is sent).
struct Variables<'a>(&'a [CampaignVariable]);

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

/// Builds the request of one send (the same for every attempt).
///
/// `POST {prefix}/v1/sms` or `POST {prefix}/v1/campaigns/{campaign}/sms`
/// (campaign percent-encoded as one segment, see [`encode_path_segment`]),
/// headers `Content-Type`, `Accept`, `User-Agent`, `Authorization: Bearer`,
/// `X-Siptel-Rut` when a RUT is given, and `Idempotency-Key`.
pub fn request(base: &BaseUrl, s: &Submission) -> Request {
    let (path, body) = match s.payload {
        Payload::Message { text, encoding } => (
            format!("{}/v1/sms", base.path_prefix),
            serde_json::to_vec(&MessageBody {
                sender: s.sender,
                recipient: s.recipient,
                message: text,
                encoding: encoding.as_str(),
            }),
        ),
        Payload::Campaign { name, variables } => (
            format!(
                "{}/v1/campaigns/{}/sms",
                base.path_prefix,
                encode_path_segment(name)
            ),
            serde_json::to_vec(&CampaignBody {
                sender: s.sender,
                recipient: s.recipient,
                variables: Variables(variables),
            }),
        ),
    };
    // Serialising strings into a Vec cannot fail (string keys, no I/O).
    let body = body.unwrap_or_default();
    let mut headers = vec![
        (header::CONTENT_TYPE, CONTENT_TYPE_JSON.to_owned()),
        (header::CONTENT_LENGTH, body.len().to_string()),
        (header::ACCEPT, ACCEPT_JSON.to_owned()),
        (header::USER_AGENT, USER_AGENT.to_owned()),
        (
            header::AUTHORIZATION,
            format!("Bearer {}", s.api_key.expose()),
        ),
    ];
    if let Some(rut) = s.rut {
        headers.push((header::RUT, rut.to_owned()));
    }
    headers.push((header::IDEMPOTENCY_KEY, s.idempotency_key.to_owned()));
    Request {
        scheme: base.scheme,
        authority: base.authority.clone(),
        path,
        headers,
        body,
    }
}

// ---------------------------------------------------------------------------
// Answer
// ---------------------------------------------------------------------------

/// What Siptel accepted (the success body).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Acceptance {
    /// Siptel's message id (non-empty).
    pub id: String,
    /// Siptel's status, [`DEFAULT_STATUS`] when the body has none.
    pub status: String,
    /// Segments Siptel counted, [`DEFAULT_SEGMENTS`] when the body has none.
    pub segments: u32,
    /// Campaign name, for campaign sends (as Siptel echoed it).
    pub campaign: Option<String>,
}

/// `status` of an acceptance whose body has none: a 200/201 means Siptel took
/// the message, and `queued` is what the contract's success body says then.
pub const DEFAULT_STATUS: &str = "queued";
/// `segments` of an acceptance whose body has none: every accepted SMS is at
/// least one segment.
pub const DEFAULT_SEGMENTS: u32 = 1;

/// When a `Retry-After` allows the next attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryAfter {
    /// Delta-seconds.
    Seconds(u64),
    /// An HTTP date, as Unix seconds.
    At(i64),
}

/// How a response body ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BodyEnd {
    /// Read to its end, within [`MAX_BODY_BYTES`].
    Complete,
    /// It went on past [`MAX_BODY_BYTES`] (not read further).
    TooLong,
    /// The connection broke before its end.
    Cut,
    /// It stopped coming: no more bytes before the attempt's timeout.
    Stalled,
}

/// Siptel's answer to one attempt, classified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// 201 (or 200 for a repeated idempotency key) with a well-formed body.
    Accepted(Acceptance),
    /// A 2xx whose body was cut off or stalled: Siptel most likely accepted
    /// the message, but its answer is unknown. Retried with the same
    /// idempotency key, which makes Siptel answer the original result.
    Unconfirmed {
        /// The 2xx status.
        status: u16,
    },
    /// Anything else that came back over HTTP.
    Rejected {
        /// HTTP status.
        status: u16,
        /// Stable reason.
        code: FailureCode,
        /// Whether the contract says to try again (429, 500, 502, 503, 504).
        retryable: bool,
        /// The `Retry-After` header, when present and well-formed.
        retry_after: Option<RetryAfter>,
    },
}

/// Whether the contract retries an answer of this status: 429, 500, 502, 503, 504.
pub const fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}

/// Classifies one HTTP answer.
///
/// * 200/201 with a JSON object holding a non-empty string `id` is
///   [`Answer::Accepted`]; `status` and `segments` default to
///   [`DEFAULT_STATUS`] and [`DEFAULT_SEGMENTS`] when absent or `null` (the
///   message was taken; failing the flow over a missing detail would be
///   worse), but a field of the wrong type, or a missing/empty `id`, is
///   `MalformedResponse` (not retried).
/// * 429 is `RateLimited`, 500/502/503/504 are `ServerError`, whatever the
///   body (a proxy may answer HTML): these are the retryable ones.
/// * Other statuses read `{"error": {"code": ...}}`. A code is trusted only
///   with the status the contract pairs it with; otherwise the status decides:
///   400 → `InvalidRequest`, 401 → `InvalidApiKey`, 402 →
///   `InsufficientBalance`, 409 → `IdempotencyConflict`, 422 →
///   `InvalidRequest` (Siptel understood and refused the request). A 403 or
///   404 without a known code is `UnexpectedStatus`: a 403 has three causes
///   with different fixes, and a bare 404 most likely means a wrong base URL,
///   so guessing would send a person to fix the wrong thing. Any other status
///   (1xx, 3xx — redirects are not followed —, other 2xx, 4xx, 5xx) is
///   `UnexpectedStatus`.
/// * A 2xx whose body was cut or stalled ([`BodyEnd::Cut`],
///   [`BodyEnd::Stalled`]) is [`Answer::Unconfirmed`].
/// * A body that is not whole otherwise (past [`MAX_BODY_BYTES`], or cut on a
///   status that is not 2xx) makes the answer `MalformedResponse`, not
///   retried, except for the retryable statuses, whose classification never
///   needs the body: they stay retryable.
/// * `Retry-After` (header name case-insensitive, first one wins) is read on
///   every rejected answer; the retry policy only uses it on retryable ones.
pub fn interpret(status: u16, headers: &[(String, String)], body: &[u8], end: BodyEnd) -> Answer {
    let rejected = |code: FailureCode, retry_after: Option<RetryAfter>| Answer::Rejected {
        status,
        code,
        retryable: is_retryable_status(status),
        retry_after,
    };
    let whole = end == BodyEnd::Complete;
    if (200..300).contains(&status) && matches!(end, BodyEnd::Cut | BodyEnd::Stalled) {
        return Answer::Unconfirmed { status };
    }
    if status == 200 || status == 201 {
        if !whole {
            return rejected(FailureCode::MalformedResponse, None);
        }
        return match parse_acceptance(body) {
            Some(acceptance) => Answer::Accepted(acceptance),
            None => rejected(FailureCode::MalformedResponse, None),
        };
    }
    let truncated = !whole;
    let retry_after = headers
        .iter()
        .find(|(name, _)| name.trim().eq_ignore_ascii_case(header::RETRY_AFTER))
        .and_then(|(_, value)| parse_retry_after(value));
    let code = match status {
        429 => FailureCode::RateLimited,
        500 | 502 | 503 | 504 => FailureCode::ServerError,
        _ if truncated => FailureCode::MalformedResponse,
        _ => error_code(body)
            .and_then(|code| code_of(status, code))
            .unwrap_or_else(|| fallback_code(status)),
    };
    rejected(code, retry_after)
}

/// The success body, or `None` when it is not one.
fn parse_acceptance(body: &[u8]) -> Option<Acceptance> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let object = value.as_object()?;
    // Absent and `null` are the same; a present value of the wrong type is not.
    let field = |name: &str| object.get(name).filter(|v| !v.is_null());
    let id = field("id")?
        .as_str()
        .filter(|id| !id.is_empty())?
        .to_owned();
    let status = match field("status") {
        None => DEFAULT_STATUS.to_owned(),
        Some(v) => v.as_str()?.to_owned(),
    };
    let segments = match field("segments") {
        None => DEFAULT_SEGMENTS,
        Some(v) => u32::try_from(v.as_u64()?).ok()?,
    };
    let campaign = match field("campaign") {
        None => None,
        Some(v) => Some(v.as_str()?.to_owned()),
    };
    Some(Acceptance {
        id,
        status,
        segments,
        campaign,
    })
}

/// `error.code` of an error body, if it has one.
fn error_code(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    Some(value.get("error")?.get("code")?.as_str()?.to_owned())
}

/// The contract's table: a code is known only with its own status.
fn code_of(status: u16, code: String) -> Option<FailureCode> {
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
fn fallback_code(status: u16) -> FailureCode {
    match status {
        400 | 422 => FailureCode::InvalidRequest,
        401 => FailureCode::InvalidApiKey,
        402 => FailureCode::InsufficientBalance,
        409 => FailureCode::IdempotencyConflict,
        _ => FailureCode::UnexpectedStatus,
    }
}

/// Parses a `Retry-After` value: delta-seconds (saturating at `u64::MAX`) or
/// an HTTP date in any of the three forms HTTP recipients must accept
/// (IMF-fixdate, RFC 850, asctime), always GMT.
pub fn parse_retry_after(value: &str) -> Option<RetryAfter> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        let seconds = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(RetryAfter::Seconds(seconds));
    }
    if value.len() > 64 {
        return None;
    }
    // IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
    if value.ends_with("GMT")
        && let Ok(date) = DateTime::parse_from_rfc2822(value)
    {
        return Some(RetryAfter::At(date.timestamp()));
    }
    // RFC 850: `Sunday, 06-Nov-94 08:49:37 GMT`; asctime: `Sun Nov  6 08:49:37 1994`.
    ["%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(value, format).ok())
        .map(|date| RetryAfter::At(date.and_utc().timestamp()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Result<BaseUrl, UrlError> {
        parse_base_url(s)
    }

    fn base(scheme: Scheme, authority: &str, prefix: &str) -> BaseUrl {
        BaseUrl {
            scheme,
            authority: authority.to_owned(),
            path_prefix: prefix.to_owned(),
        }
    }

    #[test]
    fn default_base_url_parses_to_default() {
        assert_eq!(url(DEFAULT_BASE_URL), Ok(BaseUrl::default()));
        assert_eq!(BaseUrl::default().to_string(), DEFAULT_BASE_URL);
    }

    #[test]
    fn https_any_host_port_and_prefix() {
        assert_eq!(
            url("HTTPS://API.Siptel.CL:8443/gateway/v2/"),
            Ok(base(Scheme::Https, "api.siptel.cl:8443", "/gateway/v2"))
        );
        assert_eq!(
            url("https://example.com/"),
            Ok(base(Scheme::Https, "example.com", ""))
        );
        assert_eq!(
            url("https://10.1.2.3"),
            Ok(base(Scheme::Https, "10.1.2.3", ""))
        );
        assert_eq!(
            url("https://[2001:db8::1]:443"),
            Ok(base(Scheme::Https, "[2001:db8::1]:443", ""))
        );
        assert_eq!(
            url("https://h.example/a%20b/c:d@e"),
            Ok(base(Scheme::Https, "h.example", "/a%20b/c:d@e"))
        );
    }

    #[test]
    fn http_only_to_loopback() {
        assert_eq!(
            url("http://127.0.0.1:8080"),
            Ok(base(Scheme::Http, "127.0.0.1:8080", ""))
        );
        assert_eq!(
            url("http://127.255.0.9/stub"),
            Ok(base(Scheme::Http, "127.255.0.9", "/stub"))
        );
        assert_eq!(
            url("http://LocalHost:1"),
            Ok(base(Scheme::Http, "localhost:1", ""))
        );
        assert_eq!(url("http://[::1]:9"), Ok(base(Scheme::Http, "[::1]:9", "")));
        for insecure in [
            "http://api.siptel.cl",
            "http://128.0.0.1",
            "http://10.0.0.1:80",
            "http://[2001:db8::1]",
            "http://localhost.evil.com",
            "http://127.0.0.1.nip.io",
        ] {
            assert_eq!(url(insecure), Err(UrlError::Insecure), "{insecure}");
        }
    }

    #[test]
    fn malformed_urls() {
        for bad in [
            "",
            "api.siptel.cl",
            "ftp://api.siptel.cl",
            "https//api.siptel.cl",
            "https://",
            "https:///v1",
            "https://user:pw@api.siptel.cl",
            "http://user@127.0.0.1",
            "https://api.siptel.cl?x=1",
            "https://api.siptel.cl/#frag",
            "https://api.siptel.cl:",
            "https://api.siptel.cl:0",
            "https://api.siptel.cl:65536",
            "https://api.siptel.cl:+1",
            "https://api.siptel.cl:8a",
            "https://api siptel.cl",
            " https://api.siptel.cl",
            "https://api.siptel.cl\n",
            "https://apí.siptel.cl",
            "https://api..siptel.cl",
            "https://-api.siptel.cl",
            "https://api_x.siptel.cl",
            "https://256.0.0.1",
            "http://127.1",
            "https://[::1",
            "https://[zz::1]",
            "https://[::1]x",
            "https://a:1:2",
            "https://api.siptel.cl//v1",
            "https://api.siptel.cl/./v1",
            "https://api.siptel.cl/a/..",
            "https://api.siptel.cl/a%2",
            "https://api.siptel.cl/a\\b",
            "https://api.siptel.cl/a\"b",
        ] {
            assert_eq!(url(bad), Err(UrlError::Malformed), "{bad:?}");
        }
        let long = format!("https://a.cl/{}", "x".repeat(MAX_BASE_URL_LEN));
        assert_eq!(url(&long), Err(UrlError::Malformed));
    }

    #[test]
    fn url_errors_explain_themselves() {
        assert_eq!(UrlError::Malformed.code(), ProblemCode::InvalidFormat);
        assert_eq!(UrlError::Insecure.code(), ProblemCode::InsecureUrl);
        for e in [UrlError::Malformed, UrlError::Insecure] {
            for lang in [Language::Es, Language::En] {
                assert!(!e.message(lang).is_empty());
            }
        }
        assert!(
            UrlError::Insecure
                .message(Language::Es)
                .contains("https://")
        );
    }

    #[test]
    fn idempotency_keys() {
        for ok in ["abcdefgh", "sms-01HZX3_ab", &"A".repeat(64)] {
            assert!(is_valid_idempotency_key(ok), "{ok}");
        }
        for bad in [
            "",
            "abcdefg",
            &"a".repeat(65),
            "abc defgh",
            "abcdefgh!",
            "ñandúes1",
        ] {
            assert!(!is_valid_idempotency_key(bad), "{bad}");
        }
        for random in [0, 1, u128::MAX, 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210] {
            let key = new_idempotency_key(random);
            assert!(is_valid_idempotency_key(&key), "{key}");
            assert_eq!(key.len(), 30);
            assert!(key.starts_with("sms-"));
        }
        assert_eq!(new_idempotency_key(0), "sms-00000000000000000000000000");
        assert_eq!(
            new_idempotency_key(u128::MAX),
            "sms-7zzzzzzzzzzzzzzzzzzzzzzzzz"
        );
        assert_ne!(new_idempotency_key(1), new_idempotency_key(2));
    }

    #[test]
    fn path_segment_encoding() {
        assert_eq!(encode_path_segment("promo-2024_v1.x~"), "promo-2024_v1.x~");
        assert_eq!(encode_path_segment("a/b?c#d%e f"), "a%2Fb%3Fc%23d%25e%20f");
        assert_eq!(encode_path_segment("Año"), "A%C3%B1o");
        assert_eq!(encode_path_segment(".."), "%2E%2E");
        assert_eq!(encode_path_segment("."), "%2E");
        assert_eq!(encode_path_segment("a..b"), "a..b");
        assert_eq!(encode_path_segment(""), "");
    }

    const KEY: &str = "sk_live_SECRET123";

    fn key() -> &'static Secret {
        Box::leak(Box::new(Secret::from(KEY)))
    }

    fn message_submission(rut: Option<&'static str>) -> Submission<'static> {
        Submission {
            api_key: key(),
            rut,
            idempotency_key: "sms-key-0001",
            sender: "56961234567",
            recipient: "56987654321",
            payload: Payload::Message {
                text: "Hola Ana, su hora es el lunes 10:30. ¿Ok? \"sí\"",
                encoding: Encoding::Ucs2,
            },
        }
    }

    #[test]
    fn message_request_follows_contract() {
        let r = request(&BaseUrl::default(), &message_submission(None));
        assert_eq!(r.scheme, Scheme::Https);
        assert_eq!(r.authority, "api.siptel.cl");
        assert_eq!(r.path, "/v1/sms");
        assert_eq!(r.url(), "https://api.siptel.cl/v1/sms");
        let names: Vec<&str> = r.headers.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                "Content-Type",
                "Content-Length",
                "Accept",
                "User-Agent",
                "Authorization",
                "Idempotency-Key"
            ]
        );
        // The byte length, not the character count (the text has non-ASCII).
        assert_eq!(
            r.header("content-length"),
            Some(r.body.len().to_string().as_str())
        );
        assert_ne!(
            r.body.len(),
            String::from_utf8_lossy(&r.body).chars().count()
        );
        assert_eq!(
            r.header("content-type"),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(r.header("accept"), Some("application/json"));
        assert_eq!(
            r.header("user-agent"),
            Some(concat!("siptel-sms/", env!("CARGO_PKG_VERSION")))
        );
        assert_eq!(r.header("authorization"), Some("Bearer sk_live_SECRET123"));
        assert_eq!(r.header("idempotency-key"), Some("sms-key-0001"));
        assert_eq!(r.header("x-siptel-rut"), None);
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "sender": "56961234567",
                "recipient": "56987654321",
                "message": "Hola Ana, su hora es el lunes 10:30. ¿Ok? \"sí\"",
                "encoding": "ucs2",
            })
        );
        // UTF-8 as is, fields in the contract's order.
        let text = String::from_utf8(r.body.clone()).unwrap();
        assert!(text.starts_with(r#"{"sender":"56961234567","recipient":"#));
        assert!(text.contains("¿Ok?"));
    }

    #[test]
    fn rut_header_when_given() {
        let r = request(&BaseUrl::default(), &message_submission(Some("12345678-5")));
        assert_eq!(r.header("X-Siptel-Rut"), Some("12345678-5"));
        assert_eq!(r.headers.last().map(|(n, _)| *n), Some("Idempotency-Key"));
    }

    #[test]
    fn gsm7_encoding_name() {
        let mut s = message_submission(None);
        s.payload = Payload::Message {
            text: "hola",
            encoding: Encoding::Gsm7,
        };
        let r = request(&BaseUrl::default(), &s);
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["encoding"], "gsm7");
    }

    #[test]
    fn campaign_request_follows_contract() {
        let variables = vec![
            CampaignVariable {
                name: "name".into(),
                value: "Ana".into(),
            },
            CampaignVariable {
                name: "date".into(),
                value: "lunes 10:30".into(),
            },
            CampaignVariable {
                name: "name".into(),
                value: "duplicate".into(),
            },
        ];
        let s = Submission {
            payload: Payload::Campaign {
                name: "Promo Año/2",
                variables: &variables,
            },
            ..message_submission(Some("7654321-K"))
        };
        let prefixed = parse_base_url("http://127.0.0.1:8080/stub/").unwrap();
        let r = request(&prefixed, &s);
        assert_eq!(r.scheme, Scheme::Http);
        assert_eq!(r.authority, "127.0.0.1:8080");
        assert_eq!(r.path, "/stub/v1/campaigns/Promo%20A%C3%B1o%2F2/sms");
        assert_eq!(r.header("x-siptel-rut"), Some("7654321-K"));
        let text = String::from_utf8(r.body.clone()).unwrap();
        assert_eq!(
            text,
            r#"{"sender":"56961234567","recipient":"56987654321","variables":{"name":"Ana","date":"lunes 10:30"}}"#
        );
    }

    #[test]
    fn debug_never_shows_the_key() {
        let s = message_submission(Some("12345678-5"));
        let r = request(&BaseUrl::default(), &s);
        for debug in [format!("{r:?}"), format!("{r:#?}"), format!("{s:?}")] {
            assert!(!debug.contains("SECRET"), "{debug}");
            assert!(debug.contains("<redacted>"));
        }
        assert!(format!("{r:?}").contains("Idempotency-Key"));
    }

    fn h(name: &str, value: &str) -> Vec<(String, String)> {
        vec![(name.to_owned(), value.to_owned())]
    }

    fn rejected(status: u16, body: &str) -> (FailureCode, bool) {
        match interpret(status, &[], body.as_bytes(), BodyEnd::Complete) {
            Answer::Rejected {
                status: s,
                code,
                retryable,
                ..
            } => {
                assert_eq!(s, status);
                (code, retryable)
            }
            other => panic!("{other:?}"),
        }
    }

    fn error_body(code: &str) -> String {
        format!(r#"{{"error":{{"code":"{code}","message":"x"}}}}"#)
    }

    #[test]
    fn a_2xx_cut_or_stalled_is_unconfirmed_whatever_the_body() {
        for status in [200, 201, 202] {
            for end in [BodyEnd::Cut, BodyEnd::Stalled] {
                assert_eq!(
                    interpret(status, &[], br#"{"id":"sms_1","st"#, end),
                    Answer::Unconfirmed { status }
                );
            }
        }
        // A cut refusal is still a refusal (malformed), a cut 503 still retryable.
        assert!(matches!(
            interpret(401, &[], b"{", BodyEnd::Cut),
            Answer::Rejected {
                code: FailureCode::MalformedResponse,
                retryable: false,
                ..
            }
        ));
        assert!(matches!(
            interpret(503, &[], b"", BodyEnd::Stalled),
            Answer::Rejected {
                code: FailureCode::ServerError,
                retryable: true,
                ..
            }
        ));
    }

    #[test]
    fn success_bodies() {
        let body = br#"{"id":"sms_01HZX3","status":"queued","segments":2}"#;
        for status in [200, 201] {
            assert_eq!(
                interpret(status, &[], body, BodyEnd::Complete),
                Answer::Accepted(Acceptance {
                    id: "sms_01HZX3".into(),
                    status: "queued".into(),
                    segments: 2,
                    campaign: None,
                })
            );
        }
        let campaign = br#"{"id":"a","status":"sent","segments":1,"campaign":"promo","extra":[1]}"#;
        assert_eq!(
            interpret(201, &[], campaign, BodyEnd::Complete),
            Answer::Accepted(Acceptance {
                id: "a".into(),
                status: "sent".into(),
                segments: 1,
                campaign: Some("promo".into()),
            })
        );
        let minimal = br#"{"id":"a","status":null}"#;
        assert_eq!(
            interpret(201, &[], minimal, BodyEnd::Complete),
            Answer::Accepted(Acceptance {
                id: "a".into(),
                status: DEFAULT_STATUS.into(),
                segments: DEFAULT_SEGMENTS,
                campaign: None,
            })
        );
    }

    #[test]
    fn malformed_success_bodies() {
        for body in [
            "",
            "not json",
            "[]",
            r#"{"status":"queued","segments":1}"#,
            r#"{"id":"","status":"queued"}"#,
            r#"{"id":7}"#,
            r#"{"id":"a","status":3}"#,
            r#"{"id":"a","segments":-1}"#,
            r#"{"id":"a","segments":1.5}"#,
            r#"{"id":"a","segments":"1"}"#,
            r#"{"id":"a","segments":4294967296}"#,
            r#"{"id":"a","campaign":{}}"#,
        ] {
            assert_eq!(
                rejected(201, body),
                (FailureCode::MalformedResponse, false),
                "{body}"
            );
        }
        let good = br#"{"id":"a","status":"queued","segments":1}"#;
        assert_eq!(
            interpret(201, &[], good, BodyEnd::TooLong),
            Answer::Rejected {
                status: 201,
                code: FailureCode::MalformedResponse,
                retryable: false,
                retry_after: None,
            }
        );
    }

    #[test]
    fn error_table() {
        use FailureCode::*;
        for (status, code, expected) in [
            (400, "invalid_request", InvalidRequest),
            (400, "invalid_number", InvalidNumber),
            (401, "invalid_api_key", InvalidApiKey),
            (402, "insufficient_balance", InsufficientBalance),
            (403, "sender_not_authorized", SenderNotAuthorized),
            (403, "ip_not_authorized", IpNotAuthorized),
            (403, "sms_not_enabled", SmsNotEnabled),
            (404, "campaign_not_found", CampaignNotFound),
            (409, "idempotency_conflict", IdempotencyConflict),
            (422, "template_invalid", TemplateInvalid),
            (422, "missing_variable", MissingVariable),
        ] {
            assert_eq!(
                rejected(status, &error_body(code)),
                (expected, false),
                "{status} {code}"
            );
        }
        assert_eq!(
            rejected(429, &error_body("rate_limited")),
            (RateLimited, true)
        );
    }

    #[test]
    fn unknown_codes_fall_back_by_status() {
        use FailureCode::*;
        for (status, expected) in [
            (400, InvalidRequest),
            (401, InvalidApiKey),
            (402, InsufficientBalance),
            (403, UnexpectedStatus),
            (404, UnexpectedStatus),
            (409, IdempotencyConflict),
            (422, InvalidRequest),
            (405, UnexpectedStatus),
            (418, UnexpectedStatus),
            (501, UnexpectedStatus),
            (505, UnexpectedStatus),
            (202, UnexpectedStatus),
            (204, UnexpectedStatus),
            (301, UnexpectedStatus),
            (100, UnexpectedStatus),
            (0, UnexpectedStatus),
            (999, UnexpectedStatus),
        ] {
            for body in [
                "",
                "<html>nope</html>",
                &error_body("brand_new"),
                r#"{"error":"x"}"#,
            ] {
                assert_eq!(rejected(status, body), (expected, false), "{status} {body}");
            }
        }
        // A known code with another status is not trusted.
        assert_eq!(
            rejected(400, &error_body("insufficient_balance")),
            (InvalidRequest, false)
        );
        assert_eq!(
            rejected(403, &error_body("invalid_api_key")),
            (UnexpectedStatus, false)
        );
    }

    #[test]
    fn retryable_statuses_whatever_the_body() {
        for status in [429, 500, 502, 503, 504] {
            let expected = if status == 429 {
                FailureCode::RateLimited
            } else {
                FailureCode::ServerError
            };
            for body in ["", "<h1>Bad gateway</h1>", &error_body("invalid_api_key")] {
                assert_eq!(rejected(status, body), (expected, true));
            }
            // Truncated bodies do not matter to these.
            match interpret(status, &[], b"xx", BodyEnd::TooLong) {
                Answer::Rejected {
                    code, retryable, ..
                } => assert_eq!((code, retryable), (expected, true)),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn truncated_error_is_malformed() {
        let body = error_body("invalid_api_key");
        assert_eq!(
            interpret(401, &[], body.as_bytes(), BodyEnd::TooLong),
            Answer::Rejected {
                status: 401,
                code: FailureCode::MalformedResponse,
                retryable: false,
                retry_after: None,
            }
        );
    }

    #[test]
    fn retry_after_header() {
        let answer = interpret(429, &h("retry-after", " 7 "), b"", BodyEnd::Complete);
        assert_eq!(
            answer,
            Answer::Rejected {
                status: 429,
                code: FailureCode::RateLimited,
                retryable: true,
                retry_after: Some(RetryAfter::Seconds(7)),
            }
        );
        let answer = interpret(
            503,
            &h("RETRY-AFTER", "Sun, 06 Nov 1994 08:49:37 GMT"),
            b"",
            BodyEnd::Complete,
        );
        assert!(matches!(
            answer,
            Answer::Rejected {
                retry_after: Some(RetryAfter::At(784111777)),
                ..
            }
        ));
        let mut headers = h("x-other", "5");
        headers.extend(h("Retry-After", "soon"));
        assert!(matches!(
            interpret(429, &headers, b"", BodyEnd::Complete),
            Answer::Rejected {
                retry_after: None,
                ..
            }
        ));
    }

    #[test]
    fn retry_after_forms() {
        use RetryAfter::*;
        assert_eq!(parse_retry_after("0"), Some(Seconds(0)));
        assert_eq!(parse_retry_after("120"), Some(Seconds(120)));
        assert_eq!(
            parse_retry_after("99999999999999999999999999"),
            Some(Seconds(u64::MAX))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(At(784111777))
        );
        assert_eq!(
            parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT"),
            Some(At(784111777))
        );
        assert_eq!(
            parse_retry_after("Sun Nov  6 08:49:37 1994"),
            Some(At(784111777))
        );
        for bad in [
            "",
            " ",
            "-1",
            "1.5",
            "+3",
            "soon",
            "Sun, 06 Nov 1994 08:49:37 +0100",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "1e3",
        ] {
            assert_eq!(parse_retry_after(bad), None, "{bad:?}");
        }
    }

    mod never_panics {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn base_urls(
                s in "\\PC{0,40}|(https?|HTTP)://[a-z0-9.:\\[\\]@%/?#-]{0,30}|\
                      (https?|hTTps)://([A-Za-z0-9-]{1,6}\\.){0,2}[a-z0-9]{1,6}(:[0-9]{1,6})?\
                      (/[a-zA-Z0-9%.~:@!-]{0,5}){0,3}/?",
            ) {
                if let Ok(base) = parse_base_url(&s) {
                    // What is accepted prints back to itself.
                    prop_assert_eq!(parse_base_url(&base.to_string()), Ok(base.clone()));
                    prop_assert!(!base.path_prefix.ends_with('/'));
                }
            }

            #[test]
            fn answers(
                status: u16,
                name in "[A-Za-z-]{0,12}",
                value in "\\PC{0,40}",
                body in proptest::collection::vec(any::<u8>(), 0..200),
                end in prop_oneof![
                    Just(BodyEnd::Complete),
                    Just(BodyEnd::TooLong),
                    Just(BodyEnd::Cut),
                    Just(BodyEnd::Stalled),
                ],
            ) {
                let answer = interpret(status, &[(name, value)], &body, end);
                match answer {
                    Answer::Rejected { status: s, retryable, .. } => {
                        prop_assert_eq!(s, status);
                        prop_assert_eq!(retryable, is_retryable_status(status));
                    }
                    Answer::Unconfirmed { status: s } => {
                        prop_assert_eq!(s, status);
                        prop_assert!((200..300).contains(&status));
                        prop_assert!(matches!(end, BodyEnd::Cut | BodyEnd::Stalled));
                    }
                    Answer::Accepted(_) => prop_assert_eq!(end, BodyEnd::Complete),
                }
            }

            #[test]
            fn success_json(id in "\\PC{0,10}", segments: i64, status in "\\PC{0,10}") {
                let body = serde_json::json!({"id": id, "status": status, "segments": segments});
                let answer = interpret(201, &[], body.to_string().as_bytes(), BodyEnd::Complete);
                let ok = !id.is_empty() && u32::try_from(segments).is_ok();
                prop_assert_eq!(matches!(answer, Answer::Accepted(_)), ok);
            }

            #[test]
            fn fresh_keys_are_valid(random: u128) {
                prop_assert!(is_valid_idempotency_key(&new_idempotency_key(random)));
            }

            #[test]
            fn segments_stay_one_segment(name in "\\PC{0,20}") {
                let encoded = encode_path_segment(&name);
                prop_assert!(encoded.bytes().all(|b| is_unreserved(b) || b == b'%'));
                prop_assert!(encoded != "." && encoded != "..");
            }
        }
    }
}
