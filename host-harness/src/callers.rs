//! Who may call the service, and with which of the host's secrets.
//!
//! Each [`Caller`] is a tenant that proves itself with a bearer token
//! (`Authorization: Bearer <token>`) and is granted some of
//! `HostOptions::secrets` by name. A request of that caller runs with the
//! tenant's share of the slots (`Limits::tenant_slots`) and may name only
//! its granted secrets as `secret:<name>`; the egress hook puts the key on
//! the request to Siptel, so the key never enters the sandbox.

use std::collections::BTreeSet;
use std::fmt;

/// One tenant calling the service.
#[derive(Clone, PartialEq, Eq)]
pub struct Caller {
    /// The tenant's name: its share of the slots is keyed by it.
    pub tenant: String,
    /// The bearer token it sends (at least [`MIN_TOKEN_BYTES`], visible
    /// ASCII). `Debug` never shows it.
    pub token: String,
    /// Names of `HostOptions::secrets` its requests may use.
    pub secrets: BTreeSet<String>,
}

/// Shortest token accepted: 128 bits of hex.
pub const MIN_TOKEN_BYTES: usize = 32;

impl fmt::Debug for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Caller")
            .field("tenant", &self.tenant)
            .field("token", &"<redacted>")
            .field("secrets", &self.secrets)
            .finish()
    }
}

/// Why a list of callers cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallerError {
    /// A token shorter than [`MIN_TOKEN_BYTES`] or not visible ASCII.
    WeakToken { tenant: String },
    /// Two callers with one token: requests could not tell them apart.
    SharedToken { tenant: String },
    /// A caller granted a secret the host does not hold.
    UnknownSecret { tenant: String, name: String },
}

impl fmt::Display for CallerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallerError::WeakToken { tenant } => write!(
                f,
                "the token of `{tenant}` must be at least {MIN_TOKEN_BYTES} visible ASCII characters"
            ),
            CallerError::SharedToken { tenant } => {
                write!(f, "the token of `{tenant}` is another caller's too")
            }
            CallerError::UnknownSecret { tenant, name } => {
                write!(
                    f,
                    "`{tenant}` is granted `{name}`, which the host does not hold"
                )
            }
        }
    }
}

impl std::error::Error for CallerError {}

/// Who a request is.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Identity<'a> {
    /// No callers are configured: anyone, with no tenant and no secret.
    Anonymous,
    /// The caller whose token the request carries.
    Caller(&'a Caller),
}

/// The configured callers.
#[derive(Debug, Default)]
pub(crate) struct Callers(Vec<Caller>);

impl Callers {
    /// Checks `callers` against the secrets the host holds.
    pub(crate) fn new(callers: Vec<Caller>, held: &BTreeSet<&str>) -> Result<Callers, CallerError> {
        for (i, caller) in callers.iter().enumerate() {
            let tenant = caller.tenant.clone();
            if caller.token.len() < MIN_TOKEN_BYTES
                || !caller.token.bytes().all(|b| b.is_ascii_graphic())
            {
                return Err(CallerError::WeakToken { tenant });
            }
            if callers[..i].iter().any(|other| other.token == caller.token) {
                return Err(CallerError::SharedToken { tenant });
            }
            if let Some(name) = caller.secrets.iter().find(|n| !held.contains(n.as_str())) {
                return Err(CallerError::UnknownSecret {
                    tenant,
                    name: name.clone(),
                });
            }
        }
        Ok(Callers(callers))
    }

    /// Who sends `authorization` (the header's value, if any); `None` when
    /// callers are configured and none has that token.
    pub(crate) fn identify(&self, authorization: Option<&[u8]>) -> Option<Identity<'_>> {
        if self.0.is_empty() {
            return Some(Identity::Anonymous);
        }
        let token = bearer_token(authorization?)?;
        // Every token is compared in full, found or not, so the time taken
        // does not tell how much of a guess was right.
        let mut found = None;
        for caller in &self.0 {
            if constant_time_eq(caller.token.as_bytes(), token) && found.is_none() {
                found = Some(caller);
            }
        }
        found.map(Identity::Caller)
    }
}

/// The token of `Bearer <token>` (scheme case-insensitive).
fn bearer_token(value: &[u8]) -> Option<&[u8]> {
    let split = value.iter().position(|&b| b == b' ')?;
    let (scheme, rest) = value.split_at(split);
    scheme
        .eq_ignore_ascii_case(b"bearer")
        .then(|| rest.trim_ascii())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(tenant: &str, token: &str, secrets: &[&str]) -> Caller {
        Caller {
            tenant: tenant.into(),
            token: token.into(),
            secrets: secrets.iter().map(|s| s.to_string()).collect(),
        }
    }

    const ACME: &str = "acme-token-0123456789abcdef0123456789";
    const GLOBEX: &str = "globex-token-0123456789abcdef012345678";

    fn held() -> BTreeSet<&'static str> {
        BTreeSet::from(["acme", "globex"])
    }

    #[test]
    fn a_token_names_its_caller() {
        let callers = Callers::new(
            vec![
                caller("acme", ACME, &["acme"]),
                caller("globex", GLOBEX, &["globex"]),
            ],
            &held(),
        )
        .unwrap();
        let header = format!("bearer {GLOBEX}");
        match callers.identify(Some(header.as_bytes())) {
            Some(Identity::Caller(c)) => assert_eq!(c.tenant, "globex"),
            other => panic!("{other:?}"),
        }
        for wrong in [
            None,
            Some(format!("Bearer {ACME}x")),
            Some(format!("Basic {ACME}")),
            Some(ACME.to_owned()),
            Some("Bearer ".to_owned()),
        ] {
            assert_eq!(callers.identify(wrong.as_deref().map(str::as_bytes)), None);
        }
    }

    #[test]
    fn without_callers_everyone_is_anonymous() {
        let callers = Callers::new(Vec::new(), &held()).unwrap();
        assert_eq!(callers.identify(None), Some(Identity::Anonymous));
    }

    #[test]
    fn weak_shared_or_ungrounded_callers_are_refused() {
        let weak = Callers::new(vec![caller("a", "short", &[])], &held());
        assert_eq!(
            weak.unwrap_err(),
            CallerError::WeakToken { tenant: "a".into() }
        );
        let shared = Callers::new(
            vec![caller("a", ACME, &[]), caller("b", ACME, &[])],
            &held(),
        );
        assert_eq!(
            shared.unwrap_err(),
            CallerError::SharedToken { tenant: "b".into() }
        );
        let unknown = Callers::new(vec![caller("a", ACME, &["initech"])], &held());
        assert!(matches!(unknown, Err(CallerError::UnknownSecret { .. })));
        assert!(!format!("{:?}", caller("a", ACME, &[])).contains(ACME));
    }
}
