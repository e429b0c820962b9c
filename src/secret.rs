//! The API key: one type that holds it and never shows it, and the one
//! reading of the `secret:<name>` convention (a key the host keeps outside
//! the sandbox), shared by the guest and the host.

use crate::model::{Explain, Language, ProblemCode};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What an API key starts with when it names a key the host holds.
pub const SECRET_PREFIX: &str = "secret:";
/// Longest secret name, in characters.
pub const NAME_CHARS: usize = 64;

/// An API key, or a `secret:<name>` reference to one. `Debug` prints
/// `<redacted>`, so no derived `Debug` of a type that holds one can leak it;
/// the key is read only through [`Secret::expose`], at the places that must
/// (the `Authorization` header, scrubbing output).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The key itself.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The key, consumed.
    pub fn into_exposed(self) -> String {
        self.0
    }
}

impl From<String> for Secret {
    fn from(key: String) -> Self {
        Secret(key)
    }
}

impl From<&str> for Secret {
    fn from(key: &str) -> Self {
        Secret(key.to_owned())
    }
}

impl From<Secret> for String {
    fn from(secret: Secret) -> Self {
        secret.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The name of a `secret:<name>` reference (the text after the prefix, as
/// written), or `None` for a literal key. The prefix is case-sensitive.
pub fn reference(api_key: &str) -> Option<&str> {
    api_key.strip_prefix(SECRET_PREFIX)
}

/// Whether `name` is a secret name: 1 to [`NAME_CHARS`] of `[A-Za-z0-9_.-]`.
pub fn is_valid_name(name: &str) -> bool {
    (1..=NAME_CHARS).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// Why an API key's reference to a host secret is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretError {
    /// `secret:` followed by something that is not a name.
    Malformed,
    /// A flow variable chose the secret: `secret:{{t}}`, or a key that only
    /// became `secret:…` once rendered. One tenant's entities must not pick
    /// another tenant's key.
    FromVariable,
    /// The host did not grant this call the secret named `name`.
    NotGranted { name: String },
}

impl Explain for SecretError {
    fn code(&self) -> ProblemCode {
        match self {
            SecretError::Malformed => ProblemCode::InvalidFormat,
            SecretError::FromVariable | SecretError::NotGranted { .. } => ProblemCode::NotAllowed,
        }
    }

    fn message(&self, lang: Language) -> String {
        match self {
            SecretError::Malformed => lang
                .pick(
                    "Después de «secret:» va el nombre de un secreto de la plataforma: de 1 a 64 \
                     letras sin tilde, dígitos, «_», «.» o «-».",
                    "After “secret:” comes the name of a platform secret: 1 to 64 ASCII \
                     letters, digits, “_”, “.” or “-”.",
                )
                .to_owned(),
            SecretError::FromVariable => lang
                .pick(
                    "El nombre del secreto debe escribirse tal cual: una variable del flujo no \
                     puede elegirlo.",
                    "The secret's name must be written as is: a flow variable may not choose it.",
                )
                .to_owned(),
            SecretError::NotGranted { name } => {
                let name = crate::text::quote(name);
                lang.pick(
                    format!(
                        "Esta acción no tiene acceso al secreto «{name}» de la plataforma: use \
                         un secreto de su cuenta o pida acceso al administrador."
                    ),
                    format!(
                        "This action has no access to the platform secret “{name}”: use a \
                         secret of your account or ask the administrator for access."
                    ),
                )
            }
        }
    }
}

/// Checks the API key as written (`raw`) and as rendered (`rendered`, when
/// flow variables were resolved): a `secret:` reference must be written
/// literally, whole, with a valid name.
pub fn check_reference(raw: &str, rendered: Option<&str>) -> Result<(), SecretError> {
    match reference(raw) {
        Some(name) if crate::template::has_placeholders(name) => Err(SecretError::FromVariable),
        Some(name) if !is_valid_name(name) => Err(SecretError::Malformed),
        Some(_) => Ok(()),
        None if rendered.and_then(reference).is_some() => Err(SecretError::FromVariable),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_key() {
        let key = Secret::from("sk_live_abc");
        assert_eq!(format!("{key:?}"), "<redacted>");
        assert_eq!(key.expose(), "sk_live_abc");
        assert_eq!(serde_json::to_string(&key).unwrap(), "\"sk_live_abc\"");
    }

    #[test]
    fn references_are_literal_and_well_named() {
        assert_eq!(reference("secret:tenant_a"), Some("tenant_a"));
        assert_eq!(reference("Secret:tenant_a"), None);
        assert_eq!(reference("sk_live"), None);
        assert_eq!(
            check_reference("secret:tenant_a", Some("secret:tenant_a")),
            Ok(())
        );
        assert_eq!(check_reference("sk_live", Some("sk_live")), Ok(()));
        assert_eq!(
            check_reference("secret:{{t}}", None),
            Err(SecretError::FromVariable)
        );
        assert_eq!(
            check_reference("{{key}}", Some("secret:tenant_b")),
            Err(SecretError::FromVariable)
        );
        assert_eq!(
            check_reference("secret{{colon}}tenant_b", Some("secret:tenant_b")),
            Err(SecretError::FromVariable)
        );
        for bad in [
            "secret:",
            "secret:a b",
            "secret:ñ",
            &format!("secret:{}", "a".repeat(65)),
        ] {
            assert_eq!(
                check_reference(bad, None),
                Err(SecretError::Malformed),
                "{bad}"
            );
        }
        assert!(is_valid_name(&"a".repeat(64)));
    }

    #[test]
    fn refusals_explain_themselves_without_the_key() {
        let e = SecretError::NotGranted {
            name: "tenant_b".into(),
        };
        assert_eq!(e.code(), ProblemCode::NotAllowed);
        assert!(e.message(Language::Es).contains("tenant_b"));
        assert_eq!(SecretError::FromVariable.code(), ProblemCode::NotAllowed);
        assert_eq!(SecretError::Malformed.code(), ProblemCode::InvalidFormat);
    }
}
