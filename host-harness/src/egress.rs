//! All outbound policy in one place: the `wasi:http` send-request hook.
//!
//! A call may reach only its Siptel base URL: the same scheme, host and port,
//! and a path under the base URL's path prefix (an API gateway may serve
//! several tenants under one host, each under its own path). Anything else is
//! answered `HttpRequestDenied` without leaving the machine, and listed.
//! Redirects are never followed (the hook answers with whatever status the
//! server sent). The same hook then puts the host's secrets on the request
//! (`secrets`, kept apart as Spin keeps its interceptor apart from its
//! allowed-hosts check).

use crate::pool::Pool;
use crate::secrets::{self, Grant, Vault};
use siptel_sms::siptel::{BaseUrl, Scheme, percent_decode};
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

/// Where a call may send requests: scheme, host and port (the default port
/// made explicit), and the base URL's path prefix.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Scope {
    https: bool,
    host_port: String,
    /// Decoded, dot-free segments of the path prefix (empty: any path).
    prefix: Vec<Vec<u8>>,
}

impl Scope {
    /// The scope of a base URL the component accepts.
    pub(crate) fn of(base: &BaseUrl) -> Scope {
        let https = base.scheme == Scheme::Https;
        Scope {
            https,
            host_port: host_port(https, &base.authority),
            prefix: normalized_segments(&base.path_prefix).unwrap_or_default(),
        }
    }

    /// Whether `uri` lies in this scope: same scheme, host and port, and a
    /// path that, once percent-decoded and with its dot segments resolved
    /// (`%2e%2e` counts as `..`), starts with the prefix's segments.
    pub(crate) fn admits(&self, uri: &http::Uri) -> bool {
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return false,
        };
        let Some(authority) = uri.authority() else {
            return false;
        };
        if https != self.https || host_port(https, authority.as_str()) != self.host_port {
            return false;
        }
        normalized_segments(uri.path()).is_some_and(|path| path.starts_with(&self.prefix))
    }

    /// `scheme://host:port` of `uri`, for the list of refusals.
    fn describe(uri: &http::Uri) -> String {
        match (uri.scheme_str(), uri.authority()) {
            (Some(scheme), Some(authority)) => format!(
                "{scheme}://{}",
                host_port(scheme == "https", authority.as_str())
            ),
            _ => "<invalid>".to_owned(),
        }
    }
}

impl fmt::Debug for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.https { "https" } else { "http" };
        write!(f, "{scheme}://{}", self.host_port)?;
        for segment in &self.prefix {
            write!(f, "/{}", String::from_utf8_lossy(segment))?;
        }
        Ok(())
    }
}

/// `authority` in lower case with the scheme's default port made explicit.
/// Compared as text on purpose: parsing it (`http::uri::Authority::host`)
/// would drop userinfo and let `user@host` pass as `host` (tests/sandbox.rs).
fn host_port(https: bool, authority: &str) -> String {
    let authority = authority.to_ascii_lowercase();
    let has_port = authority
        .rsplit_once(':')
        .is_some_and(|(host, port)| !host.ends_with(':') && port.parse::<u16>().is_ok())
        && !authority.ends_with(']');
    if has_port {
        authority
    } else {
        format!("{authority}:{}", if https { 443 } else { 80 })
    }
}

/// The segments of an absolute path, each percent-decoded, with `.` and
/// `..` resolved as RFC 3986 `remove_dot_segments` does (after decoding, so
/// an encoded dot segment counts). `None` for a malformed escape.
fn normalized_segments(path: &str) -> Option<Vec<Vec<u8>>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    for raw in path.split('/').skip(1) {
        let segment = percent_decode(raw)?;
        match segment.as_slice() {
            b"." => {}
            b".." => {
                out.pop();
            }
            _ => out.push(segment),
        }
    }
    // A trailing slash leaves an empty last segment; it names no resource.
    if out.last().is_some_and(Vec::is_empty) {
        out.pop();
    }
    Some(out)
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
    scope: Scope,
    vault: Arc<Vault>,
    grant: Grant,
    /// The keep-alive client allowed requests go through (shared by calls).
    pool: Pool,
    /// Requests refused: `scheme://host:port` of a request out of scope
    /// (another authority, or a path outside the base URL's prefix),
    /// `scheme://host:port (secret `name` not granted)` of one naming a
    /// secret this call may not use.
    pub(crate) denied: Vec<String>,
}

impl Egress {
    pub(crate) fn new(scope: Scope, vault: Arc<Vault>, grant: Grant, pool: Pool) -> Self {
        Egress {
            scope,
            vault,
            grant,
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
        let target = Scope::describe(request.uri());
        let refusal = if self.scope.admits(request.uri()) {
            let uri = request.uri().clone();
            secrets::inject(
                request.headers_mut(),
                &uri,
                &self.scope,
                &self.grant,
                &self.vault,
            )
            .err()
            .map(|refused| format!("{target} ({refused})"))
        } else {
            Some(target)
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
    use siptel_sms::siptel::parse_base_url;

    fn scope(url: &str) -> Scope {
        Scope::of(&parse_base_url(url).unwrap())
    }

    fn admits(scope: &Scope, uri: &str) -> bool {
        scope.admits(&uri.parse().unwrap())
    }

    #[test]
    fn default_ports_are_made_explicit() {
        let s = scope("https://api.siptel.cl");
        assert_eq!(format!("{s:?}"), "https://api.siptel.cl:443");
        assert!(admits(&s, "https://API.siptel.cl:443/v1/sms"));
        let v6 = scope("http://[::1]");
        assert_eq!(format!("{v6:?}"), "http://[::1]:80");
        assert!(admits(
            &scope("http://[::1]:9000"),
            "http://[::1]:9000/v1/sms"
        ));
    }

    #[test]
    fn scheme_host_and_port_must_match() {
        let s = scope("http://127.0.0.1:8080");
        for other in [
            "https://127.0.0.1:8080/v1/sms",
            "http://127.0.0.1:8081/v1/sms",
            "http://localhost:8080/v1/sms",
            "http://user@127.0.0.1:8080/v1/sms",
        ] {
            assert!(!admits(&s, other), "{other}");
        }
        assert!(admits(&s, "http://127.0.0.1:8080/v1/sms"));
    }

    #[test]
    fn a_gateway_path_admits_only_what_lies_under_it() {
        let s = scope("https://gw.example/tenants/a");
        for inside in [
            "https://gw.example/tenants/a/v1/sms",
            "https://gw.example/tenants/a",
            "https://gw.example/tenants/%61/v1/sms",
            "https://gw.example/tenants/a/./v1/sms",
            "https://gw.example/tenants/a/x/../v1/sms",
        ] {
            assert!(admits(&s, inside), "{inside}");
        }
        for outside in [
            "https://gw.example/tenants/b/v1/sms",
            "https://gw.example/tenants/a/../b/v1/sms",
            "https://gw.example/tenants/a/%2e%2e/b/v1/sms",
            "https://gw.example/tenants/a/%2E%2E/b/v1/sms",
            "https://gw.example/tenants/ab/v1/sms",
            "https://gw.example/tenants/a%2Fv1/sms",
            "https://gw.example/tenants/a/%zz",
            "https://gw.example/v1/sms",
        ] {
            assert!(!admits(&s, outside), "{outside}");
        }
    }
}
