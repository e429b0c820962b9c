//! Keeps API keys out of what a call returns. The guest's captured stdout and
//! stderr are scrubbed of the config's key (as written and as its flow
//! variables resolve) and of every host secret, even a key the output cap cut
//! in two. The component prints nothing; this holds for any guest.

use siptel_sms::config;
use siptel_sms::model::{Entity, FieldId};
use siptel_sms::secret::{self, Secret};
use siptel_sms::template::{self, Entities};

/// What a key is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Shorter strings are left alone: scrubbing them would garble the output,
/// and a key that short protects nothing.
const MIN_LEN: usize = 4;

/// The keys one call's output must not show, longest first.
#[derive(Debug, Default)]
pub(crate) struct Redactor {
    keys: Vec<String>,
}

impl Redactor {
    /// `secrets`, plus `api_key` as written and as `entities` resolve it
    /// (the component's own rendering, within the field's length; unless it
    /// is a `secret:` reference).
    pub(crate) fn new<'a>(
        secrets: impl IntoIterator<Item = &'a str>,
        api_key: Option<(&Secret, &[Entity])>,
    ) -> Redactor {
        let mut keys: Vec<String> = secrets.into_iter().map(str::to_owned).collect();
        if let Some((raw, entities)) = api_key {
            let raw = raw.expose();
            let max = config::max_chars(FieldId::ApiKey).unwrap_or(config::LONGEST_TEXT_CHARS);
            keys.push(raw.to_owned());
            keys.extend(template::render_entities(raw, &Entities::new(entities), max).ok());
        }
        // A `secret:<name>` reference names a key; the key itself is among
        // `secrets`.
        keys.retain(|k| k.len() >= MIN_LEN && secret::reference(k).is_none());
        keys.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        keys.dedup();
        Redactor { keys }
    }

    /// `text` with every key replaced by [`REDACTED`], and a tail that starts
    /// a key (the cap cut it) replaced too.
    pub(crate) fn scrub(&self, mut text: String) -> String {
        for key in &self.keys {
            if text.contains(key.as_str()) {
                text = text.replace(key.as_str(), REDACTED);
            }
        }
        let cut = self
            .keys
            .iter()
            .filter_map(|key| cut_tail(&text, key))
            .max();
        if let Some(cut) = cut {
            text.truncate(text.len() - cut);
            text.push_str(REDACTED);
        }
        text
    }
}

/// Length of the longest proper prefix of `key` (at least `MIN_LEN` bytes)
/// that `text` ends with.
fn cut_tail(text: &str, key: &str) -> Option<usize> {
    (MIN_LEN..key.len())
        .rev()
        .find(|&n| key.is_char_boundary(n) && text.ends_with(&key[..n]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entity(name: &str, value: &str) -> Entity {
        Entity {
            name: name.into(),
            value: value.into(),
            kind: None,
        }
    }

    #[test]
    fn the_key_as_written_and_as_resolved_is_scrubbed() {
        let entities = [entity("key", "sk_live_old"), entity("key", "sk_live_NEW")];
        let redactor = Redactor::new([], Some((&"{{key}}".into(), &entities[..])));
        assert_eq!(
            redactor.scrub("sent with sk_live_NEW and {{key}}".into()),
            "sent with [redacted] and [redacted]"
        );
        // The last entity wins, as in the component: the older value is no key.
        assert_eq!(redactor.scrub("sk_live_old".into()), "sk_live_old");
    }

    #[test]
    fn host_secrets_are_scrubbed_and_short_strings_left_alone() {
        let secrets = ["REAL-key-123", "abc"];
        let redactor = Redactor::new(secrets, Some((&"k".into(), &[][..])));
        assert_eq!(
            redactor.scrub("REAL-key-123 abc k".into()),
            "[redacted] abc k"
        );
        let placeholder = Redactor::new(secrets, Some((&"secret:siptel".into(), &[][..])));
        assert_eq!(
            placeholder.scrub("secret:siptel is REAL-key-123".into()),
            "secret:siptel is [redacted]"
        );
    }

    #[test]
    fn a_key_cut_by_the_output_cap_is_scrubbed() {
        let redactor = Redactor::new([], Some((&"sk_live_SECRET".into(), &[][..])));
        assert_eq!(redactor.scrub("key: sk_live_SE".into()), "key: [redacted]");
        // Too short a tail to say.
        assert_eq!(redactor.scrub("key: sk_".into()), "key: sk_");
        assert_eq!(redactor.scrub(String::new()), "");
    }

    #[test]
    fn a_longer_key_is_scrubbed_before_one_it_contains() {
        let redactor = Redactor::new(["abcd", "abcdefgh"], None);
        assert_eq!(
            redactor.scrub("abcdefgh abcd".into()),
            "[redacted] [redacted]"
        );
    }
}
