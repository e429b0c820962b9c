//! All outbound policy in one place: the `wasi:http` send-request hook.
//!
//! A call may reach only the scheme, host and port of its configured Siptel
//! base URL; anything else is answered `HttpRequestDenied` without leaving
//! the machine, and counted. Redirects are never followed (the hook answers
//! with whatever status the server sent).

use http_body_util::BodyExt;
use std::fmt;
use std::future::Future;
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

/// The per-call egress state kept in the `Store`.
pub(crate) struct Egress {
    allowed: Option<Authority>,
    /// Requests refused by the policy, as `scheme://host:port`.
    pub(crate) denied: Vec<String>,
}

impl Egress {
    pub(crate) fn new(allowed: Option<Authority>) -> Self {
        Egress {
            allowed,
            denied: Vec::new(),
        }
    }
}

impl WasiHttpHooks for Egress {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> ResponseFuture {
        drop(fut);
        let target = Authority::of_uri(request.uri());
        if target.is_none() || target != self.allowed {
            let shown = target.map_or_else(|| "<invalid>".to_string(), |t| t.to_string());
            self.denied.push(shown);
            return Box::new(async { Err(Error::HttpRequestDenied) });
        }
        Box::new(async move {
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = _> + Send>,
            ))
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

    #[test]
    fn ipv6_loopback_keeps_its_brackets() {
        let a = Authority::of_base_url("http://[::1]:9000").unwrap();
        assert_eq!(a.to_string(), "http://[::1]:9000");
        let b = Authority::of_base_url("http://[::1]").unwrap();
        assert_eq!(b.to_string(), "http://[::1]:80");
    }
}
