//! The base URL's grammar: what `base-url` (and a host's allowed Siptel
//! URL) may be, and how a campaign name becomes one path segment.

use crate::model::{Explain, Language, ProblemCode};
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Longest base URL accepted (well above any real one; keeps input bounded).
pub const MAX_BASE_URL_LEN: usize = 2048;

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
    /// [`DEFAULT_BASE_URL`](super::DEFAULT_BASE_URL).
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

/// Decodes the `%XX` escapes of a URL path segment (the inverse of
/// [`encode_path_segment`]); `None` for a malformed escape. The bytes may
/// not be UTF-8.
pub fn percent_decode(segment: &str) -> Option<Vec<u8>> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::super::DEFAULT_BASE_URL;
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
    fn percent_decoding_inverts_the_encoding() {
        for segment in ["promo", "a/b?c#d%e f", "Año", "..", ""] {
            let encoded = encode_path_segment(segment);
            assert_eq!(percent_decode(&encoded), Some(segment.as_bytes().to_vec()));
        }
        assert_eq!(percent_decode("%2e%2E"), Some(b"..".to_vec()));
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%2"), None);
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
            fn segments_stay_one_segment(name in "\\PC{0,20}") {
                let encoded = encode_path_segment(&name);
                prop_assert!(encoded.bytes().all(|b| is_unreserved(b) || b == b'%'));
                prop_assert!(encoded != "." && encoded != "..");
            }
        }
    }
}
