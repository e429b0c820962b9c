//! Secrets stay outside the sandbox, and belong to a tenant.
//!
//! The host holds API keys by name ([`Vault`], from `HostOptions::secrets`);
//! each call is granted the names it may use ([`Grant`], from
//! `CallOptions::secrets`). A config carries `secret:<name>` as its API key,
//! the component sends `Authorization: Bearer secret:<name>`, and
//! [`inject`] puts the real key in its place, only when the name is granted
//! to this call and only on a request inside the call's egress scope (its
//! Siptel authority and base-URL path). A name not granted refuses the
//! request, so the placeholder never leaves the machine either; the host
//! refuses such a config before the guest runs, so this is the second line.

use crate::egress::Scope;
use crate::error::LoadError;
use http::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use siptel_sms::secret::{self, Secret};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Every key the host holds, each ready to go out as
/// `Authorization: Bearer <key>` (marked sensitive). `Debug` shows the names.
#[derive(Default)]
pub(crate) struct Vault(BTreeMap<String, HeaderValue>);

impl Vault {
    /// Every name must be a secret name the component accepts and every key
    /// a valid header value (visible ASCII, no spaces).
    pub(crate) fn new(keys: &BTreeMap<String, Secret>) -> Result<Vault, LoadError> {
        keys.iter()
            .map(|(name, key)| {
                let key = key.expose();
                let invalid = || LoadError::Secret { name: name.clone() };
                if !secret::is_valid_name(name)
                    || key.is_empty()
                    || !key.bytes().all(|b| b.is_ascii_graphic())
                {
                    return Err(invalid());
                }
                let mut value =
                    HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| invalid())?;
                value.set_sensitive(true);
                Ok((name.clone(), value))
            })
            .collect::<Result<_, _>>()
            .map(Vault)
    }

    /// The keys themselves, for scrubbing output.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> {
        self.0
            .values()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.strip_prefix("Bearer "))
    }

    /// Whether the host holds `name`.
    pub(crate) fn holds(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

/// The secret names one call may use.
#[derive(Clone, Debug, Default)]
pub(crate) struct Grant(BTreeSet<String>);

impl Grant {
    pub(crate) fn new(names: &BTreeSet<String>) -> Grant {
        Grant(names.clone())
    }

    /// Whether this call may use the secret `name` (and the host holds it).
    pub(crate) fn allows(&self, name: &str, vault: &Vault) -> bool {
        self.0.contains(name) && vault.holds(name)
    }
}

/// Why [`inject`] refused a request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct NotGranted(pub(crate) String);

impl fmt::Display for NotGranted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "secret `{}` not granted", self.0)
    }
}

/// Puts the host's secrets on a request to `uri`: every
/// `Authorization: Bearer secret:<name>` becomes `Bearer <key of name>`
/// when `uri` is inside `scope` and `grant` allows `name`. Outside `scope`
/// nothing is swapped (the egress policy refuses such a request anyway; this
/// keeps the swap bound to the call's Siptel even if the policy changed).
/// Other headers, the URL and the body are never touched.
pub(crate) fn inject(
    headers: &mut HeaderMap,
    uri: &http::Uri,
    scope: &Scope,
    grant: &Grant,
    vault: &Vault,
) -> Result<(), NotGranted> {
    if !scope.admits(uri) {
        return Ok(());
    }
    for (_, value) in headers
        .iter_mut()
        .filter(|(name, _)| **name == AUTHORIZATION)
    {
        let Some(name) = secret_name(value) else {
            continue;
        };
        match vault.0.get(name) {
            Some(key) if grant.allows(name, vault) => *value = key.clone(),
            _ => return Err(NotGranted(name.to_owned())),
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
    secret::reference(token.trim_start())
}

#[cfg(test)]
mod tests {
    use super::*;
    use siptel_sms::siptel::parse_base_url;

    fn vault() -> Vault {
        let keys = [
            ("tenant_a".to_string(), "KEY-of-A-123".into()),
            ("tenant_b".to_string(), "KEY-of-B-456".into()),
        ];
        Vault::new(&keys.into_iter().collect()).unwrap()
    }

    fn grant(names: &[&str]) -> Grant {
        Grant(names.iter().map(|n| n.to_string()).collect())
    }

    fn scope(url: &str) -> Scope {
        Scope::of(&parse_base_url(url).unwrap())
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(n, v)| (n.parse().unwrap(), HeaderValue::from_str(v).unwrap()))
            .collect()
    }

    fn uri(s: &str) -> http::Uri {
        s.parse().unwrap()
    }

    #[test]
    fn a_granted_secret_becomes_the_key_on_requests_in_scope() {
        let siptel = scope("https://api.siptel.cl");
        let mut h = headers(&[
            ("authorization", "Bearer secret:tenant_a"),
            ("x-echo", "Bearer secret:tenant_a"),
        ]);
        let to = uri("https://api.siptel.cl/v1/sms");
        inject(&mut h, &to, &siptel, &grant(&["tenant_a"]), &vault()).unwrap();
        assert_eq!(h["authorization"], "Bearer KEY-of-A-123");
        assert!(h["authorization"].is_sensitive());
        // Only `Authorization` is a place for the key.
        assert_eq!(h["x-echo"], "Bearer secret:tenant_a");
    }

    #[test]
    fn one_tenant_cannot_reach_another_tenants_key() {
        let siptel = scope("https://api.siptel.cl");
        let to = uri("https://api.siptel.cl/v1/sms");
        for name in ["tenant_b", "nope", ""] {
            let mut h = headers(&[("authorization", &format!("bearer secret:{name}"))]);
            assert_eq!(
                inject(&mut h, &to, &siptel, &grant(&["tenant_a"]), &vault()),
                Err(NotGranted(name.into()))
            );
            assert!(!h["authorization"].to_str().unwrap().contains("KEY-of"));
        }
        // Granted but not held is refused the same way.
        let mut h = headers(&[("authorization", "Bearer secret:ghost")]);
        assert!(inject(&mut h, &to, &siptel, &grant(&["ghost"]), &vault()).is_err());
    }

    #[test]
    fn the_swap_is_bound_to_the_scope_with_its_gateway_path() {
        let gateway = scope("https://gw.example/tenants/a");
        for other in [
            "https://evil.example/tenants/a/v1/sms",
            "http://gw.example/tenants/a/v1/sms",
            "https://gw.example/tenants/b/v1/sms",
            "https://gw.example/tenants/a/%2e%2e/b/v1/sms",
        ] {
            let mut h = headers(&[("authorization", "Bearer secret:tenant_a")]);
            inject(
                &mut h,
                &uri(other),
                &gateway,
                &grant(&["tenant_a"]),
                &vault(),
            )
            .unwrap();
            assert_eq!(h["authorization"], "Bearer secret:tenant_a", "to {other}");
        }
    }

    #[test]
    fn plain_keys_pass_untouched() {
        let siptel = scope("https://api.siptel.cl");
        let to = uri("https://api.siptel.cl/v1/sms");
        for plain in [
            "Bearer sk_live_abc",
            "Basic c2VjcmV0OnNpcHRlbA==",
            "secret:tenant_a",
        ] {
            let mut h = headers(&[("authorization", plain)]);
            inject(&mut h, &to, &siptel, &grant(&[]), &vault()).unwrap();
            assert_eq!(h["authorization"], plain);
        }
    }

    #[test]
    fn secrets_must_be_well_named_header_safe_and_never_show_in_debug() {
        assert_eq!(format!("{:?}", vault()), r#"{"tenant_a", "tenant_b"}"#);
        assert_eq!(
            vault().keys().collect::<Vec<_>>(),
            ["KEY-of-A-123", "KEY-of-B-456"]
        );
        for (name, key) in [
            ("bad", ""),
            ("bad", "two words"),
            ("bad", "line\nbreak"),
            ("bad", "ñ"),
            ("bad name", "ok-key"),
        ] {
            let keys = [(name.to_string(), Secret::from(key))]
                .into_iter()
                .collect();
            assert!(
                matches!(Vault::new(&keys), Err(LoadError::Secret { name: n }) if n == name),
                "{name:?} {key:?}"
            );
        }
    }
}
