//! Flow variables: `{{name}}` placeholders in config strings.
//!
//! Syntax (see `wit/types.wit`): `{{`, optional whitespace, a name matching
//! `[A-Za-z_][A-Za-z0-9_.-]*`, optional whitespace, `}}`. A literal `{{` is
//! written `{{{{`; a `}}` outside a placeholder is plain text. A placeholder
//! ends at the first `}}` after its `{{`; a `{{` that meets another `{{` (or
//! the end of the text) first is unclosed, so one forgotten `}}` does not
//! swallow the placeholders after it.
//!
//! Entity values are inserted verbatim and never rendered again, so a value
//! cannot inject placeholders; a value that contains `{{` is reported instead
//! (a placeholder left over by an earlier step of the flow).
//!
//! Work is linear in the text and the values inserted: entities are looked up
//! in an ordered map built once per call, a field holds at most
//! [`MAX_PLACEHOLDERS`] placeholders, and rendering stops as soon as the
//! output passes the field's longest length, so a 6 MB entity value costs a
//! bounded scan, not a 6 MB copy.

use crate::config::{ENTITY_NAME_CHARS, MAX_ENTITIES, MAX_PLACEHOLDERS};
use crate::model::{Entity, Explain, Language, ProblemCode};
use crate::text::quote;
use std::collections::{BTreeMap, BTreeSet};

/// Largest number of errors one call reports: enough to fix a text in one go,
/// bounded so that a pathological input cannot produce a huge answer.
pub const MAX_ERRORS: usize = 20;

/// What is wrong with a templated text.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TemplateError {
    /// A `{{` that is never closed by `}}`. `offset`: 0-based character index
    /// of the `{{` (messages show it 1-based).
    Unclosed { offset: usize },
    /// `{{}}` or `{{  }}`. `offset`: 0-based character index of the `{{`.
    EmptyName { offset: usize },
    /// A placeholder whose name does not match `[A-Za-z_][A-Za-z0-9_.-]*`
    /// (`name` is the text between the braces, trimmed).
    InvalidName { name: String },
    /// No entity of this name.
    Missing { name: String },
    /// The entity's value itself contains `{{`: a leftover placeholder.
    PlaceholderInValue { name: String },
    /// More than [`MAX_PLACEHOLDERS`] placeholders in one text.
    TooManyPlaceholders,
    /// The text, once rendered, is longer than the field allows.
    TooLong { max_chars: usize },
}

impl Explain for TemplateError {
    fn code(&self) -> ProblemCode {
        match self {
            TemplateError::Missing { .. } => ProblemCode::MissingVariable,
            TemplateError::TooManyPlaceholders => ProblemCode::TooMany,
            TemplateError::TooLong { .. } => ProblemCode::TooLong,
            _ => ProblemCode::BadPlaceholder,
        }
    }

    fn message(&self, lang: Language) -> String {
        match self {
            TemplateError::TooManyPlaceholders => lang.pick(
                format!("El texto tiene más de {MAX_PLACEHOLDERS} variables del flujo: use menos."),
                format!("The text holds more than {MAX_PLACEHOLDERS} flow variables: use fewer."),
            ),
            TemplateError::TooLong { max_chars } => lang.pick(
                format!(
                    "Con los valores de las variables del flujo, el texto pasa de {max_chars} \
                     caracteres, el máximo de este campo: revise qué valor es tan largo."
                ),
                format!(
                    "With the flow variables' values the text is longer than {max_chars} \
                     characters, this field's limit: check which value is that long."
                ),
            ),
            TemplateError::Unclosed { offset } => {
                let at = offset.saturating_add(1);
                lang.pick(
                    format!(
                        "La llave «{{{{» de la posición {at} no se cierra: termine la variable con «}}}}» \
                         (por ejemplo «{{{{nombre}}}}») o escriba «{{{{{{{{» para un «{{{{» literal."
                    ),
                    format!(
                        "The “{{{{” at position {at} is never closed: end the variable with “}}}}” \
                         (e.g. “{{{{name}}}}”), or write “{{{{{{{{” for a literal “{{{{”."
                    ),
                )
            }
            TemplateError::EmptyName { offset } => {
                let at = offset.saturating_add(1);
                lang.pick(
                    format!(
                        "La variable de la posición {at} no tiene nombre: escriba el nombre entre \
                         las llaves (por ejemplo «{{{{nombre}}}}») o bórrela."
                    ),
                    format!(
                        "The variable at position {at} has no name: write the name between the \
                         braces (e.g. “{{{{name}}}}”) or remove it."
                    ),
                )
            }
            TemplateError::InvalidName { name } => {
                let name = quote(name);
                lang.pick(
                    format!(
                        "«{name}» no es un nombre de variable válido: debe empezar con una letra o «_» \
                         y tener solo letras sin tilde, dígitos, «_», «.» y «-», sin espacios."
                    ),
                    format!(
                        "“{name}” is not a valid variable name: it must start with a letter or “_” \
                         and hold only ASCII letters, digits, “_”, “.” and “-”, without spaces."
                    ),
                )
            }
            TemplateError::Missing { name } => {
                let name = quote(name);
                lang.pick(
                    format!(
                        "La variable «{{{{{name}}}}}» no tiene valor en el flujo: revise el nombre \
                         (distingue mayúsculas de minúsculas) o haga que el flujo la obtenga antes \
                         de esta acción."
                    ),
                    format!(
                        "The flow variable “{{{{{name}}}}}” has no value: check its name (it is \
                         case-sensitive) or make the flow collect it before this action."
                    ),
                )
            }
            TemplateError::PlaceholderInValue { name } => {
                let name = quote(name);
                lang.pick(
                    format!(
                        "El valor de la variable «{name}» contiene «{{{{», un marcador que quedó sin \
                         reemplazar en un paso anterior del flujo: los valores se insertan tal cual y \
                         no se vuelven a procesar; corrija el paso que produce ese valor."
                    ),
                    format!(
                        "The value of the flow variable “{name}” contains “{{{{”, a placeholder an \
                         earlier step of the flow left unreplaced: values are inserted as they are \
                         and never rendered again; fix the step that produces that value."
                    ),
                )
            }
        }
    }
}

/// A template error of a secret field (the API key), explained without the
/// names between braces: `{{sk_live_…}}` written by mistake is the key itself.
pub struct Unnamed<'e>(pub &'e TemplateError);

impl Explain for Unnamed<'_> {
    fn code(&self) -> ProblemCode {
        self.0.code()
    }

    fn message(&self, lang: Language) -> String {
        match self.0 {
            TemplateError::InvalidName { .. } | TemplateError::Missing { .. } => lang.pick(
                "Una variable del flujo de este campo no existe o su nombre no es válido (no se \
                 muestra: podría ser la clave). Si pegó la clave entre llaves, quite las llaves."
                    .to_owned(),
                "A flow variable in this field does not exist or has an invalid name (not shown: \
                 it could be the key). If you pasted the key between braces, remove the braces."
                    .to_owned(),
            ),
            TemplateError::PlaceholderInValue { .. } => lang.pick(
                "El valor de una variable del flujo de este campo contiene «{{», un marcador que \
                 quedó sin reemplazar en un paso anterior del flujo."
                    .to_owned(),
                "The value of a flow variable in this field contains “{{”, a placeholder an \
                 earlier step of the flow left unreplaced."
                    .to_owned(),
            ),
            other => other.message(lang),
        }
    }
}

/// The flow's entities by name, built once per call: the last entity of a
/// name wins (flows append newer values). Only the first [`MAX_ENTITIES`]
/// count (more is a problem the caller reports), and a name longer than
/// [`ENTITY_NAME_CHARS`] is left out: no placeholder can name it.
pub struct Entities<'a>(BTreeMap<&'a str, &'a str>);

impl<'a> Entities<'a> {
    /// Indexes `entities`.
    pub fn new(entities: &'a [Entity]) -> Self {
        let usable = entities
            .iter()
            .take(MAX_ENTITIES)
            .filter(|e| !crate::config::longer_than(&e.name, ENTITY_NAME_CHARS));
        Entities(
            usable
                .map(|e| (e.name.as_str(), e.value.as_str()))
                .collect(),
        )
    }

    /// The value of entity `name`.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.0.get(name).copied()
    }
}

/// One piece of a templated text.
#[derive(Debug, PartialEq, Eq)]
enum Token<'t> {
    /// Plain text, copied as is.
    Text(&'t str),
    /// `{{{{`, which stands for a literal `{{`.
    Escape,
    /// `{{ inner }}`; `start` is the byte offset of the `{{`.
    Placeholder { start: usize, inner: &'t str },
    /// A `{{` with no `}}` before the next `{{` or the end.
    Unclosed { start: usize },
}

/// Splits a text into tokens; never fails, every byte belongs to one token.
struct Tokens<'t> {
    text: &'t str,
    pos: usize,
}

impl<'t> Tokens<'t> {
    fn new(text: &'t str) -> Self {
        Tokens { text, pos: 0 }
    }
}

impl<'t> Iterator for Tokens<'t> {
    type Item = Token<'t>;

    fn next(&mut self) -> Option<Token<'t>> {
        let start = self.pos;
        let rest = self.text.get(start..).filter(|r| !r.is_empty())?;
        // Braces are ASCII, so every offset found below is a char boundary.
        if rest.starts_with("{{{{") {
            self.pos += 4;
            return Some(Token::Escape);
        }
        if let Some(after) = rest.strip_prefix("{{") {
            // Look for `}}` only up to the next `{{`: linear time on any input.
            let scope = find_pair(after, b'{').map_or(after, |o| after.get(..o).unwrap_or(after));
            return Some(match find_pair(scope, b'}') {
                Some(c) => {
                    self.pos += 2 + c + 2;
                    Token::Placeholder {
                        start,
                        inner: after.get(..c).unwrap_or_default(),
                    }
                }
                None => {
                    self.pos += 2;
                    Token::Unclosed { start }
                }
            });
        }
        let len = find_pair(rest, b'{').unwrap_or(rest.len());
        self.pos += len;
        Some(Token::Text(rest.get(..len).unwrap_or_default()))
    }
}

/// The offset of the first `{{` (or `}}`) in `text`. A byte scan: `str::find`
/// with a two-byte pattern sets up a two-way searcher on every call, which
/// showed in a send's profile (every text field is tokenised on every call).
fn find_pair(text: &str, brace: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    loop {
        let at = from + bytes.get(from..)?.iter().position(|&b| b == brace)?;
        if bytes.get(at + 1) == Some(&brace) {
            return Some(at);
        }
        from = at + 1;
    }
}

/// Whether `name` matches `[A-Za-z_][A-Za-z0-9_.-]*`.
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// The name of a placeholder, or why it has none.
fn placeholder_name<'t>(
    text: &str,
    start: usize,
    inner: &'t str,
) -> Result<&'t str, TemplateError> {
    let name = inner.trim();
    if name.is_empty() {
        Err(TemplateError::EmptyName {
            offset: char_offset(text, start),
        })
    } else if valid_name(name) {
        Ok(name)
    } else {
        Err(TemplateError::InvalidName {
            name: name.to_string(),
        })
    }
}

/// The character index of byte offset `byte` (only computed for errors).
fn char_offset(text: &str, byte: usize) -> usize {
    text.get(..byte).map_or(0, |s| s.chars().count())
}

/// Collects errors in order, each distinct error once, at most `MAX_ERRORS`.
#[derive(Default)]
struct Errors {
    list: Vec<TemplateError>,
    seen: BTreeSet<TemplateError>,
}

impl Errors {
    fn full(&self) -> bool {
        self.list.len() >= MAX_ERRORS
    }

    fn push(&mut self, error: TemplateError) {
        if !self.full() && self.seen.insert(error.clone()) {
            self.list.push(error);
        }
    }

    fn finish<T>(self, value: T) -> Result<T, Vec<TemplateError>> {
        if self.list.is_empty() {
            Ok(value)
        } else {
            Err(self.list)
        }
    }
}

/// The rendered text, kept within `max_chars` characters.
struct Output {
    text: String,
    chars: usize,
    max_chars: usize,
}

impl Output {
    /// Appends `piece`, or reports that it would pass the limit (counting
    /// no further than the limit).
    fn push(&mut self, piece: &str) -> Result<(), TemplateError> {
        let room = self.max_chars - self.chars;
        let added = piece.chars().take(room.saturating_add(1)).count();
        if added > room {
            return Err(TemplateError::TooLong {
                max_chars: self.max_chars,
            });
        }
        self.chars += added;
        self.text.push_str(piece);
        Ok(())
    }
}

/// Replaces every placeholder by the value `lookup` gives for its name; the
/// result may hold at most `max_chars` characters.
///
/// Reports every error at once (each distinct error once, in order of
/// appearance, at most [`MAX_ERRORS`]) so a person can fix the text in one
/// pass. Values are inserted verbatim; one that contains `{{` is an error
/// ([`TemplateError::PlaceholderInValue`]), never rendered again. Rendering
/// stops at the first placeholder past [`MAX_PLACEHOLDERS`]
/// ([`TemplateError::TooManyPlaceholders`]) and when the output would pass
/// `max_chars` ([`TemplateError::TooLong`]).
pub fn render<'a>(
    text: &str,
    lookup: impl Fn(&str) -> Option<&'a str>,
    max_chars: usize,
) -> Result<String, Vec<TemplateError>> {
    let mut out = Output {
        text: String::with_capacity(text.len().min(max_chars)),
        chars: 0,
        max_chars,
    };
    let mut errors = Errors::default();
    let mut placeholders = 0usize;
    for token in Tokens::new(text) {
        if errors.full() {
            break;
        }
        let pushed = match token {
            Token::Text(s) => out.push(s),
            Token::Escape => out.push("{{"),
            Token::Unclosed { start } => {
                errors.push(TemplateError::Unclosed {
                    offset: char_offset(text, start),
                });
                Ok(())
            }
            Token::Placeholder { start, inner } => {
                placeholders += 1;
                if placeholders > MAX_PLACEHOLDERS {
                    errors.push(TemplateError::TooManyPlaceholders);
                    break;
                }
                match placeholder_name(text, start, inner) {
                    Err(e) => {
                        errors.push(e);
                        Ok(())
                    }
                    Ok(name) => match lookup(name) {
                        None => {
                            errors.push(TemplateError::Missing {
                                name: name.to_string(),
                            });
                            Ok(())
                        }
                        Some(value) if find_pair(value, b'{').is_some() => {
                            errors.push(TemplateError::PlaceholderInValue {
                                name: name.to_string(),
                            });
                            Ok(())
                        }
                        Some(value) => out.push(value),
                    },
                }
            }
        };
        if let Err(too_long) = pushed {
            errors.push(too_long);
            break;
        }
    }
    errors.finish(out.text)
}

/// [`render`] with the flow's entities.
pub fn render_entities(
    text: &str,
    entities: &Entities<'_>,
    max_chars: usize,
) -> Result<String, Vec<TemplateError>> {
    render(text, |name| entities.get(name), max_chars)
}

/// Checks the placeholder syntax only, for design time when no entity
/// exists: every placeholder well formed, at most [`MAX_PLACEHOLDERS`].
pub fn check(text: &str) -> Result<(), Vec<TemplateError>> {
    let mut errors = Errors::default();
    let mut placeholders = 0usize;
    for token in Tokens::new(text) {
        if errors.full() {
            break;
        }
        match token {
            Token::Text(_) | Token::Escape => {}
            Token::Unclosed { start } => errors.push(TemplateError::Unclosed {
                offset: char_offset(text, start),
            }),
            Token::Placeholder { start, inner } => {
                placeholders += 1;
                if placeholders > MAX_PLACEHOLDERS {
                    errors.push(TemplateError::TooManyPlaceholders);
                    break;
                }
                if let Err(e) = placeholder_name(text, start, inner) {
                    errors.push(e);
                }
            }
        }
    }
    errors.finish(())
}

/// Whether the text holds any placeholder, valid or not (an unclosed `{{`
/// counts); `{{{{` escapes do not. A text without one is final as written.
pub fn has_placeholders(text: &str) -> bool {
    Tokens::new(text).any(|t| matches!(t, Token::Placeholder { .. } | Token::Unclosed { .. }))
}

/// The text with placeholders removed and escapes resolved, so that the
/// static parts can be checked at design time. An unclosed `{{` is kept as
/// written (it is static text the author will have to fix anyway).
pub fn static_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for token in Tokens::new(text) {
        match token {
            Token::Text(s) => out.push_str(s),
            Token::Escape | Token::Unclosed { .. } => out.push_str("{{"),
            Token::Placeholder { .. } => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn entities(name: &str) -> Option<&'static str> {
        match name {
            "nombre" => Some("Ana"),
            "user.first-name" => Some("Bea"),
            "_x" => Some("X"),
            "leftover" => Some("Hola {{nombre}}"),
            "empty" => Some(""),
            _ => None,
        }
    }

    fn rendered(text: &str) -> Result<String, Vec<TemplateError>> {
        render(text, entities, usize::MAX)
    }

    #[test]
    fn plain_text_renders_unchanged() {
        assert_eq!(
            rendered("Hola, ¿cómo estás? }} {").unwrap(),
            "Hola, ¿cómo estás? }} {"
        );
        assert_eq!(rendered("").unwrap(), "");
    }

    #[test]
    fn placeholder_is_replaced() {
        assert_eq!(rendered("Hola {{nombre}}!").unwrap(), "Hola Ana!");
    }

    #[test]
    fn spaces_inside_braces_are_allowed() {
        assert_eq!(rendered("Hola {{  nombre \t}}").unwrap(), "Hola Ana");
        assert_eq!(rendered("{{ nombre}}{{nombre }}").unwrap(), "AnaAna");
    }

    #[test]
    fn names_with_dots_dashes_and_underscores() {
        assert_eq!(rendered("{{user.first-name}} {{_x}}").unwrap(), "Bea X");
    }

    #[test]
    fn empty_value_renders_as_nothing() {
        assert_eq!(rendered("a{{empty}}b").unwrap(), "ab");
    }

    #[test]
    fn quadruple_brace_is_a_literal_double_brace() {
        assert_eq!(rendered("{{{{nombre}}").unwrap(), "{{nombre}}");
        assert_eq!(rendered("a {{{{ b").unwrap(), "a {{ b");
        assert!(!has_placeholders("a {{{{ b"));
        assert_eq!(check("a {{{{ b"), Ok(()));
    }

    #[test]
    fn escape_followed_by_placeholder() {
        assert_eq!(rendered("{{{{{{nombre}}").unwrap(), "{{Ana");
    }

    #[test]
    fn lone_closing_braces_are_literal() {
        assert_eq!(rendered("}} y }}}}").unwrap(), "}} y }}}}");
        assert_eq!(rendered("{{nombre}}}").unwrap(), "Ana}");
    }

    #[test]
    fn missing_variable_reported_once() {
        let errors = rendered("{{a}} {{b}} {{a}} {{nombre}}").unwrap_err();
        assert_eq!(
            errors,
            vec![
                TemplateError::Missing { name: "a".into() },
                TemplateError::Missing { name: "b".into() },
            ]
        );
        assert_eq!(errors[0].code(), ProblemCode::MissingVariable);
    }

    #[test]
    fn names_are_case_sensitive() {
        assert_eq!(
            rendered("{{Nombre}}").unwrap_err(),
            vec![TemplateError::Missing {
                name: "Nombre".into()
            }]
        );
    }

    #[test]
    fn unclosed_placeholder_reports_its_offset() {
        let errors = rendered("Hola {{nombre").unwrap_err();
        assert_eq!(errors, vec![TemplateError::Unclosed { offset: 5 }]);
        assert_eq!(errors[0].code(), ProblemCode::BadPlaceholder);
    }

    #[test]
    fn unclosed_offset_counts_characters_not_bytes() {
        assert_eq!(
            check("ñandú {{x").unwrap_err(),
            vec![TemplateError::Unclosed { offset: 6 }]
        );
    }

    #[test]
    fn unclosed_does_not_swallow_following_placeholders() {
        let errors = rendered("Hola {{nombre, tu código es {{codigo}}").unwrap_err();
        assert_eq!(
            errors,
            vec![
                TemplateError::Unclosed { offset: 5 },
                TemplateError::Missing {
                    name: "codigo".into()
                },
            ]
        );
    }

    #[test]
    fn empty_name_is_reported() {
        assert_eq!(
            check("a {{}} b {{   }}").unwrap_err(),
            vec![
                TemplateError::EmptyName { offset: 2 },
                TemplateError::EmptyName { offset: 9 },
            ]
        );
    }

    #[test]
    fn invalid_names_are_reported() {
        for (text, name) in [
            ("{{1abc}}", "1abc"),
            ("{{mi nombre}}", "mi nombre"),
            ("{{año}}", "año"),
            ("{{{nombre}}}", "{nombre"),
            ("{{-x}}", "-x"),
        ] {
            assert_eq!(
                check(text).unwrap_err(),
                vec![TemplateError::InvalidName { name: name.into() }],
                "{text}"
            );
        }
    }

    #[test]
    fn value_containing_placeholder_is_a_leftover() {
        let errors = rendered("{{leftover}} {{leftover}}").unwrap_err();
        assert_eq!(
            errors,
            vec![TemplateError::PlaceholderInValue {
                name: "leftover".into()
            }]
        );
        assert_eq!(errors[0].code(), ProblemCode::BadPlaceholder);
    }

    #[test]
    fn values_are_not_rendered_again() {
        let value = "}} {";
        assert_eq!(render("{{v}}", |_| Some(value), 10).unwrap(), "}} {");
    }

    #[test]
    fn all_errors_in_order_of_appearance() {
        let errors = rendered("{{x}} {{}} {{1}} {{nombre}} {{leftover}} {{").unwrap_err();
        assert_eq!(
            errors,
            vec![
                TemplateError::Missing { name: "x".into() },
                TemplateError::EmptyName { offset: 6 },
                TemplateError::InvalidName { name: "1".into() },
                TemplateError::PlaceholderInValue {
                    name: "leftover".into()
                },
                TemplateError::Unclosed { offset: 41 },
            ]
        );
    }

    #[test]
    fn error_list_is_capped() {
        let text = "{{a ".repeat(1000);
        assert_eq!(check(&text).unwrap_err().len(), MAX_ERRORS);
        let text: String = (0..50).map(|i| format!("{{{{v{i}}}}}")).collect();
        assert_eq!(rendered(&text).unwrap_err().len(), MAX_ERRORS);
    }

    #[test]
    fn pathological_input_takes_linear_time() {
        let text = "{{a".repeat(300_000);
        let start = std::time::Instant::now();
        assert_eq!(static_text(&text), text);
        assert!(has_placeholders(&text));
        assert_eq!(check(&text).unwrap_err().len(), MAX_ERRORS);
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn check_accepts_valid_syntax_without_entities() {
        assert_eq!(check("Hola {{nombre}}, {{ otro.valor }} {{{{"), Ok(()));
    }

    #[test]
    fn has_placeholders_detects_valid_invalid_and_unclosed() {
        assert!(has_placeholders("{{a}}"));
        assert!(has_placeholders("{{}}"));
        assert!(has_placeholders("{{1}}"));
        assert!(has_placeholders("x {{"));
        assert!(!has_placeholders("x }} {"));
        assert!(!has_placeholders("{{{{a}}"));
        assert!(!has_placeholders(""));
    }

    #[test]
    fn static_text_drops_placeholders_and_resolves_escapes() {
        assert_eq!(static_text("Hola {{nombre}}, {{{{ {{ x }}!"), "Hola , {{ !");
        assert_eq!(static_text("a {{b"), "a {{b");
        assert_eq!(static_text("{{}}{{1}}"), "");
    }

    #[test]
    fn messages_name_the_variable_in_both_languages() {
        let e = TemplateError::Missing {
            name: "nombre".into(),
        };
        assert!(e.message(Language::Es).contains("{{nombre}}"));
        assert!(e.message(Language::En).contains("{{nombre}}"));
        let e = TemplateError::Unclosed { offset: 4 };
        assert!(e.message(Language::Es).contains("posición 5"));
        assert!(e.message(Language::En).contains("position 5"));
        assert!(e.message(Language::Es).contains("«{{{{»"));
        let long = TemplateError::InvalidName {
            name: "x".repeat(500),
        };
        assert!(long.message(Language::En).chars().count() < 300);
    }

    #[test]
    fn the_last_entity_of_a_name_wins_and_unusable_names_are_left_out() {
        let list = [
            Entity {
                name: "a".into(),
                value: "1".into(),
                kind: None,
            },
            Entity {
                name: "a".into(),
                value: "2".into(),
                kind: None,
            },
            Entity {
                name: "x".repeat(ENTITY_NAME_CHARS + 1),
                value: "3".into(),
                kind: None,
            },
        ];
        let entities = Entities::new(&list);
        assert_eq!(entities.get("a"), Some("2"));
        assert_eq!(entities.get(&"x".repeat(ENTITY_NAME_CHARS + 1)), None);
        assert_eq!(render_entities("{{a}}", &entities, 5), Ok("2".into()));
    }

    #[test]
    fn rendering_stops_at_the_field_length() {
        let huge = "x".repeat(6 << 20);
        let start = std::time::Instant::now();
        assert_eq!(
            render("a{{v}}", |_| Some(huge.as_str()), 10).unwrap_err(),
            vec![TemplateError::TooLong { max_chars: 10 }]
        );
        assert!(start.elapsed() < std::time::Duration::from_secs(1));
        assert_eq!(render("ñ{{v}}", |_| Some("éé"), 3), Ok("ñéé".into()));
        assert_eq!(
            render("ñ{{v}}", |_| Some("éé"), 2).unwrap_err()[0].code(),
            ProblemCode::TooLong
        );
        // Static text counts too.
        assert!(render("abc", |_| None, 2).is_err());
    }

    #[test]
    fn placeholders_per_text_are_capped() {
        let ok: String = "{{a}}".repeat(MAX_PLACEHOLDERS);
        assert!(check(&ok).is_ok());
        let too_many = format!("{ok}{{{{a}}}}");
        assert_eq!(
            check(&too_many),
            Err(vec![TemplateError::TooManyPlaceholders])
        );
        assert_eq!(
            render(&too_many, |_| Some(""), usize::MAX),
            Err(vec![TemplateError::TooManyPlaceholders])
        );
        assert_eq!(
            TemplateError::TooManyPlaceholders.code(),
            ProblemCode::TooMany
        );
    }

    #[test]
    fn secret_fields_never_echo_the_names_between_braces() {
        for error in [
            TemplateError::Missing {
                name: "sk_live_abc123".into(),
            },
            TemplateError::InvalidName {
                name: "sk live abc123".into(),
            },
            TemplateError::PlaceholderInValue {
                name: "sk_live_abc123".into(),
            },
        ] {
            for lang in [Language::Es, Language::En] {
                let message = Unnamed(&error).message(lang);
                assert!(!message.contains("abc123"), "{message}");
                assert_eq!(Unnamed(&error).code(), error.code());
            }
        }
    }

    #[test]
    fn echoed_names_show_control_characters_escaped() {
        let e = TemplateError::InvalidName {
            name: "\u{1b}]0;owned\u{7}".into(),
        };
        let message = e.message(Language::En);
        assert!(message.contains("U+001B]0;ownedU+0007"), "{message}");
        assert!(!message.contains('\u{1b}'));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn no_input_panics(text in any::<String>()) {
            let _ = render(&text, |_| Some("v"), usize::MAX);
            let _ = render(&text, |_| None, 3);
            let _ = check(&text);
            let _ = has_placeholders(&text);
            let _ = static_text(&text);
        }

        #[test]
        fn brace_heavy_input_never_panics(text in "[{} a_.1é-]{0,40}") {
            let _ = render(&text, |n| (n.len() % 2 == 0).then_some("{{"), usize::MAX);
            let result = check(&text);
            let rendered = render(&text, |_| Some("v"), usize::MAX);
            // Syntax errors are the same whatever the entities.
            prop_assert_eq!(result.is_ok(), rendered.is_ok());
            if result.is_ok() && !has_placeholders(&text) {
                prop_assert_eq!(rendered.unwrap(), static_text(&text));
            }
        }

        #[test]
        fn find_pair_finds_what_str_find_finds(text in "[{} aé}]{0,40}") {
            prop_assert_eq!(find_pair(&text, b'{'), text.find("{{"));
            prop_assert_eq!(find_pair(&text, b'}'), text.find("}}"));
        }

        #[test]
        fn text_without_braces_is_unchanged(text in "[^{]*") {
            prop_assert_eq!(render(&text, |_| None, usize::MAX).unwrap(), text.clone());
            prop_assert_eq!(static_text(&text), text.clone());
            prop_assert!(!has_placeholders(&text));
        }

        #[test]
        fn rendered_value_is_verbatim(value in "[^{]*", name in "[A-Za-z_][A-Za-z0-9_.-]{0,10}") {
            let text = format!("<{{{{ {name} }}}}>");
            let out = render(&text, |n| (n == name).then_some(value.as_str()), usize::MAX).unwrap();
            prop_assert_eq!(out, format!("<{value}>"));
        }
    }
}
