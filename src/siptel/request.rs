//! The request of one send: built once, sent as is on every attempt.

use super::*;
use crate::model::{CampaignVariable, Encoding};
use crate::secret::Secret;

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

/// A header value; `Debug` never shows a secret one (the `Authorization`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeaderValue {
    /// Shown as is.
    Public(String),
    /// Holds the API key.
    Secret(Secret),
}

impl HeaderValue {
    /// The value as it goes on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            HeaderValue::Public(value) => value,
            HeaderValue::Secret(value) => value.expose(),
        }
    }
}

impl From<String> for HeaderValue {
    fn from(value: String) -> Self {
        HeaderValue::Public(value)
    }
}

/// One HTTP request, always `POST`, ready for a transport. `Debug` shows
/// everything but the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// `http` or `https`.
    pub scheme: Scheme,
    /// `host[:port]`.
    pub authority: String,
    /// Absolute path (the base URL's prefix included), no query.
    pub path: String,
    /// Header names and values, in the order sent.
    pub headers: Vec<(&'static str, HeaderValue)>,
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

/// Builds the request of one send (the same for every attempt).
///
/// `POST {prefix}/v1/sms` or `POST {prefix}/v1/campaigns/{campaign}/sms`
/// (campaign percent-encoded as one segment, see [`encode_path_segment`]),
/// headers `Content-Type`, `Accept`, `User-Agent`, `Authorization: Bearer`,
/// `X-Siptel-Rut` when a RUT is given, and `Idempotency-Key`.
pub fn request(base: &BaseUrl, s: &Submission) -> Request {
    let (path, body) = match s.payload {
        Payload::Message { text, encoding } => (
            message_path(&base.path_prefix),
            serde_json::to_vec(&MessageBody {
                sender: s.sender,
                recipient: s.recipient,
                message: text,
                encoding: encoding.as_str(),
            }),
        ),
        Payload::Campaign { name, variables } => (
            campaign_path(&base.path_prefix, name),
            serde_json::to_vec(&CampaignBody {
                sender: s.sender,
                recipient: s.recipient,
                variables: Variables(variables),
            }),
        ),
    };
    // Serialising strings into a Vec cannot fail (string keys, no I/O).
    let body = body.unwrap_or_default();
    let bearer = Secret::from(format!("Bearer {}", s.api_key.expose()));
    let mut headers = vec![
        (header::CONTENT_TYPE, CONTENT_TYPE_JSON.to_owned().into()),
        (header::CONTENT_LENGTH, body.len().to_string().into()),
        (header::ACCEPT, ACCEPT_JSON.to_owned().into()),
        (header::USER_AGENT, USER_AGENT.to_owned().into()),
        (header::AUTHORIZATION, HeaderValue::Secret(bearer)),
    ];
    if let Some(rut) = s.rut {
        headers.push((header::RUT, rut.to_owned().into()));
    }
    headers.push((header::IDEMPOTENCY_KEY, s.idempotency_key.to_owned().into()));
    Request {
        scheme: base.scheme,
        authority: base.authority.clone(),
        path,
        headers,
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
