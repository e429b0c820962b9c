//! All outbound policy in one place: the `wasi:http` send-request hook.
//!
//! A call may reach only the scheme, host and port of its configured Siptel
//! base URL; anything else is answered `HttpRequestDenied` without leaving
//! the machine, and counted. Redirects are never followed (the hook answers
//! with whatever status the server sent).
//!
//! Secrets stay outside the sandbox: a config may carry `secret:<name>` as its
//! API key, the component sends `Authorization: Bearer secret:<name>`, and
//! this hook puts the real key in its place, on requests to the allowed
//! Siptel authority only (see [`put_secrets`]). A name the host does not hold
//! refuses the request (denied and counted), so a placeholder never leaves
//! the machine either.

use crate::pool::Pool;
use http::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

/// Scheme, host and port a call may reach (ports made explicit).
#[derive(Clone, PartialEq, Eq)]
pub struct Authority {
    https: bool,
    host_port: String,
}

impl Authority {
    /// The authority of a Siptel base URL as the component accepts it
    /// (`None` when the component would reject the URL too).
    pub fn of_base_url(base_url: &str) -> Option<Authority> {
        let base = siptel_sms::siptel::parse_base_url(base_url).ok()?;
        let https = matches!(base.scheme, siptel_sms::siptel::Scheme::Https);
        Some(Authority::new(https, &base.authority))
    }

    fn of_uri(uri: &http::Uri) -> Option<Authority> {
        let https = match uri.scheme_str()? {
            "https" => true,
            "http" => false,
            _ => return None,
        };
        Some(Authority::new(https, uri.authority()?.as_str()))
    }

    /// `authority` with the scheme's default port made explicit. Compared as
    /// text on purpose: parsing it (`http::uri::Authority::host`) would drop
    /// userinfo and let `user@host` pass as `host` (tests/sandbox.rs).
    fn new(https: bool, authority: &str) -> Authority {
        let authority = authority.to_ascii_lowercase();
        let has_port = authority
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.ends_with(':') && port.parse::<u16>().is_ok())
            && !authority.ends_with(']');
        let host_port = if has_port {
            authority
        } else {
            format!("{authority}:{}", if https { 443 } else { 80 })
        };
        Authority { https, host_port }
    }
}

impl fmt::Display for Authority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.https { "https" } else { "http" };
        write!(f, "{scheme}://{}", self.host_port)
    }
}

impl fmt::Debug for Authority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

type ResponseFuture = Box<
    dyn Future<
            Output = wasmtime_wasi_http::Result<(
                http::Response<WasiBody>,
                Box<dyn Future<Output = Result<(), Error>> + Send>,
            )>,
        > + Send,
>;

/// What an API key starts with when it names a secret the host holds.
pub const SECRET_PREFIX: &str = "secret:";

/// The host's secrets, each ready to go out as `Authorization: Bearer <key>`.
/// `Debug` shows the names only.
#[derive(Clone, Default)]
pub(crate) struct Secrets(BTreeMap<String, HeaderValue>);

impl Secrets {
    /// Every key must be a valid header value (visible ASCII); the error
    /// names the first that is not.
    pub(crate) fn new(keys: &BTreeMap<String, String>) -> Result<Secrets, String> {
        keys.iter()
            .map(|(name, key)| {
                let mut value = HeaderValue::from_str(&format!("Bearer {key}"))
                    .ok()
                    .filter(|_| !key.is_empty() && !key.contains(char::is_whitespace))
                    .ok_or_else(|| format!("secret `{name}` is not a valid API key"))?;
                value.set_sensitive(true);
                Ok((name.clone(), value))
            })
            .collect::<Result<_, _>>()
            .map(Secrets)
    }
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

/// A request named a secret the host does not hold.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct UnknownSecret(pub(crate) String);

/// Puts the host's secrets on a request to `target`: every
/// `Authorization: Bearer secret:<name>` becomes `Bearer <key of name>` when
/// `target` is `siptel`, the authority the secrets belong to. To any other
/// authority nothing is swapped (the egress policy refuses such a request
/// anyway; this keeps the swap bound to Siptel even if the policy changed).
/// Other headers, the URL and the body are never touched.
pub(crate) fn put_secrets(
    headers: &mut HeaderMap,
    target: &Authority,
    siptel: &Authority,
    secrets: &Secrets,
) -> Result<(), UnknownSecret> {
    if target != siptel {
        return Ok(());
    }
    for (_, value) in headers
        .iter_mut()
        .filter(|(name, _)| **name == AUTHORIZATION)
    {
        let Some(name) = secret_name(value) else {
            continue;
        };
        match secrets.0.get(name) {
            Some(key) => *value = key.clone(),
            None => return Err(UnknownSecret(name.to_owned())),
        }
    }
    Ok(())
}

/// `<name>` of a `Bearer secret:<name>` header value.
fn secret_name(value: &HeaderValue) -> Option<&str> {
    let (scheme, token) = value.to_str().ok()?.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    token.trim_start().strip_prefix(SECRET_PREFIX)
}

/// The per-call egress state kept in the `Store`.
pub(crate) struct Egress {
    allowed: Option<Authority>,
    secrets: Arc<Secrets>,
    /// The keep-alive client allowed requests go through (shared by calls).
    pool: Pool,
    /// Requests refused by the policy: `scheme://host:port` of a request to
    /// another authority, `scheme://host:port (unknown secret `name`)` of one
    /// to the allowed authority naming a secret the host does not hold.
    pub(crate) denied: Vec<String>,
}

impl Egress {
    pub(crate) fn new(allowed: Option<Authority>, secrets: Arc<Secrets>, pool: Pool) -> Self {
        Egress {
            allowed,
            secrets,
            pool,
            denied: Vec::new(),
        }
    }
}

impl WasiHttpHooks for Egress {
    fn send_request(
        &mut self,
        mut request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> ResponseFuture {
        drop(fut);
        let target = Authority::of_uri(request.uri());
        let refusal = match (&target, &self.allowed) {
            (Some(target), Some(allowed)) if target == allowed => {
                put_secrets(request.headers_mut(), target, allowed, &self.secrets)
                    .err()
                    .map(|UnknownSecret(name)| format!("{target} (unknown secret `{name}`)"))
            }
            (Some(target), _) => Some(target.to_string()),
            (None, _) => Some("<invalid>".to_string()),
        };
        if let Some(refusal) = refusal {
            self.denied.push(refusal);
            return Box::new(async { Err(Error::HttpRequestDenied) });
        }
        let pool = self.pool.clone();
        Box::new(async move {
            let response = pool.send(request, options).await?;
            // The pool's own tasks drive the connection: nothing left to run.
            let io = async { Ok(()) };
            Ok((response, Box::new(io) as Box<dyn Future<Output = _> + Send>))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_ports_are_made_explicit() {
        let a = Authority::of_base_url("https://api.siptel.cl").unwrap();
        assert_eq!(a.to_string(), "https://api.siptel.cl:443");
        let b = Authority::of_uri(&"https://API.siptel.cl:443/v1/sms".parse().unwrap()).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn scheme_and_port_must_match() {
        let allowed = Authority::of_base_url("http://127.0.0.1:8080").unwrap();
        for other in [
            "https://127.0.0.1:8080/v1/sms",
            "http://127.0.0.1:8081/v1/sms",
            "http://localhost:8080/v1/sms",
        ] {
            assert_ne!(
                Authority::of_uri(&other.parse().unwrap()),
                Some(allowed.clone())
            );
        }
    }

    fn secrets() -> Secrets {
        let keys = [("siptel".to_string(), "REAL-key-123".to_string())];
        Secrets::new(&keys.into_iter().collect()).unwrap()
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(n, v)| (n.parse().unwrap(), HeaderValue::from_str(v).unwrap()))
            .collect()
    }

    #[test]
    fn a_secret_placeholder_becomes_the_key_on_requests_to_siptel() {
        let siptel = Authority::of_base_url("https://api.siptel.cl").unwrap();
        let mut h = headers(&[
            ("authorization", "Bearer secret:siptel"),
            ("x-echo", "Bearer secret:siptel"),
        ]);
        put_secrets(&mut h, &siptel, &siptel, &secrets()).unwrap();
        assert_eq!(h["authorization"], "Bearer REAL-key-123");
        assert!(h["authorization"].is_sensitive());
        // Only `Authorization` is a place for the key.
        assert_eq!(h["x-echo"], "Bearer secret:siptel");
    }

    #[test]
    fn the_swap_is_bound_to_the_siptel_authority() {
        let siptel = Authority::of_base_url("https://api.siptel.cl").unwrap();
        for other in [
            "https://evil.example",
            "http://api.siptel.cl",
            "https://api.siptel.cl:8443",
        ] {
            let other = Authority::of_base_url(other).unwrap_or_else(|| {
                Authority::of_uri(&format!("{other}/").parse().unwrap()).unwrap()
            });
            let mut h = headers(&[("authorization", "Bearer secret:siptel")]);
            put_secrets(&mut h, &other, &siptel, &secrets()).unwrap();
            assert_eq!(h["authorization"], "Bearer secret:siptel", "to {other}");
        }
    }

    #[test]
    fn an_unknown_secret_is_refused_and_other_keys_pass_untouched() {
        let siptel = Authority::of_base_url("https://api.siptel.cl").unwrap();
        let mut h = headers(&[("authorization", "bearer secret:nope")]);
        assert_eq!(
            put_secrets(&mut h, &siptel, &siptel, &secrets()),
            Err(UnknownSecret("nope".into()))
        );
        let mut h = headers(&[("authorization", "Bearer secret:")]);
        assert_eq!(
            put_secrets(&mut h, &siptel, &siptel, &secrets()),
            Err(UnknownSecret(String::new()))
        );
        for plain in [
            "Bearer sk_live_abc",
            "Basic c2VjcmV0OnNpcHRlbA==",
            "secret:siptel",
        ] {
            let mut h = headers(&[("authorization", plain)]);
            put_secrets(&mut h, &siptel, &siptel, &secrets()).unwrap();
            assert_eq!(h["authorization"], plain);
        }
    }

    #[test]
    fn secrets_must_be_header_safe_and_never_show_in_debug() {
        assert_eq!(format!("{:?}", secrets()), r#"{"siptel"}"#);
        for bad in ["", "two words", "line\nbreak", "tab\t"] {
            let keys = [("bad".to_string(), bad.to_string())].into_iter().collect();
            assert_eq!(
                Secrets::new(&keys).unwrap_err(),
                "secret `bad` is not a valid API key"
            );
        }
    }

    #[test]
    fn ipv6_loopback_keeps_its_brackets() {
        let a = Authority::of_base_url("http://[::1]:9000").unwrap();
        assert_eq!(a.to_string(), "http://[::1]:9000");
        let b = Authority::of_base_url("http://[::1]").unwrap();
        assert_eq!(b.to_string(), "http://[::1]:80");
    }
}
