//! Readability of text fields: invisible characters, lost characters, spaces.
//!
//! Text reaches the action by copy and paste from documents, spreadsheets and
//! chats, which bring invisible characters: they cost money (one forces the
//! whole SMS into UCS-2, 70 instead of 160 characters per segment), display as
//! boxes on some phones, break API keys and can reorder text (bidirectional
//! overrides). They are reported, never removed silently.
//!
//! Reported as control characters (see [`is_invisible_control`]):
//! - C0 controls U+0000..U+001F (in messages `\n`, `\t` and the `\r` of a
//!   `\r\n` line break are allowed: web forms send `\r\n`), DEL U+007F and
//!   the C1 controls U+0080..U+009F;
//! - invisible format characters: soft hyphen U+00AD, Arabic letter mark
//!   U+061C, Mongolian vowel separator U+180E, zero-width space U+200B,
//!   left-to-right/right-to-left marks U+200E/U+200F, line and paragraph
//!   separators U+2028/U+2029, bidirectional embeddings and overrides
//!   U+202A..U+202E and isolates U+2066..U+2069, word joiner and invisible
//!   operators U+2060..U+2064, deprecated format characters U+206A..U+206F,
//!   the byte order mark U+FEFF, interlinear annotation U+FFF9..U+FFFB and the
//!   noncharacters U+FFFE/U+FFFF.
//!
//! Zero-width joiner and non-joiner (U+200D, U+200C) are allowed: emoji
//! sequences (👨‍👩‍👧) and several scripts need them.

use crate::model::{Explain, Language, ProblemCode};

/// Most errors of one kind reported for one text: a text pasted with
/// thousands of invisible characters needs one fix, not thousands of problems.
pub const MAX_PER_KIND: usize = 5;

/// What makes a text unreadable or unusable. Positions are 1-based character
/// (Unicode scalar value) indices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TextError {
    /// Empty or only whitespace.
    Empty,
    /// An invisible control or format character.
    ControlCharacter { code_point: u32, position: usize },
    /// U+FFFD, the mark of a character lost in a bad encoding conversion.
    ReplacementCharacter { position: usize },
    /// Whitespace where none is allowed (API key).
    Whitespace { position: usize },
}

impl Explain for TextError {
    fn code(&self) -> ProblemCode {
        match self {
            TextError::Empty => ProblemCode::Required,
            _ => ProblemCode::BadCharacter,
        }
    }

    fn message(&self, lang: Language) -> String {
        match self {
            TextError::Empty => lang.pick(
                "El valor está vacío o solo tiene espacios: escriba un valor.".to_string(),
                "The value is empty or only spaces: write a value.".to_string(),
            ),
            TextError::ControlCharacter {
                code_point,
                position,
            } => {
                let (es, en) = control_name(*code_point);
                match *code_point {
                    // Only single-line fields report these two.
                    0x0A | 0x09 => lang.pick(
                        format!(
                            "Hay un {es} (U+{code_point:04X}) en la posición {position}, y este \
                             campo es de una sola línea: quítelo."
                        ),
                        format!(
                            "There is a {en} (U+{code_point:04X}) at position {position}, and this \
                             field is a single line: remove it."
                        ),
                    ),
                    0x0D | 0x2028 | 0x2029 => lang.pick(
                        format!(
                            "Hay un {es} (U+{code_point:04X}) en la posición {position}, que \
                             muchos teléfonos no muestran bien: quítelo, o cámbielo por un salto \
                             de línea normal si el campo admite varias líneas."
                        ),
                        format!(
                            "There is a {en} (U+{code_point:04X}) at position {position}, which \
                             many phones do not show well: remove it, or replace it by a normal \
                             line break if the field allows several lines."
                        ),
                    ),
                    _ => lang.pick(
                        format!(
                            "Hay un carácter invisible no permitido, {es} (U+{code_point:04X}), en \
                             la posición {position}: bórrelo (suele colarse al copiar y pegar)."
                        ),
                        format!(
                            "There is a forbidden invisible character, {en} \
                             (U+{code_point:04X}), at position {position}: delete it (it usually \
                             comes in with copy and paste)."
                        ),
                    ),
                }
            }
            TextError::ReplacementCharacter { position } => lang.pick(
                format!(
                    "Hay un carácter de reemplazo «\u{FFFD}» (U+FFFD) en la posición {position}: \
                     marca un carácter que se perdió al convertir el texto de codificación; \
                     escriba de nuevo el carácter original."
                ),
                format!(
                    "There is a replacement character “\u{FFFD}” (U+FFFD) at position {position}: \
                     it marks a character lost in an encoding conversion; type the original \
                     character again."
                ),
            ),
            TextError::Whitespace { position } => lang.pick(
                format!(
                    "Hay un espacio en blanco en la posición {position} y este valor no admite \
                     espacios ni saltos de línea: quítelo (al copiar una clave suelen colarse \
                     espacios al inicio o al final)."
                ),
                format!(
                    "There is whitespace at position {position} and this value allows no spaces \
                     or line breaks: remove it (copying a key often brings spaces at its start \
                     or end)."
                ),
            ),
        }
    }
}

/// Names of the control characters people meet, for messages.
fn control_name(code_point: u32) -> (&'static str, &'static str) {
    match code_point {
        0x00 => ("carácter nulo", "null character"),
        0x09 => ("tabulador", "tab"),
        0x0A => ("salto de línea", "line break"),
        0x0D => ("retorno de carro", "carriage return"),
        0x0C => ("salto de página", "form feed"),
        0x1B => ("carácter de escape", "escape character"),
        0x7F => ("carácter de borrado", "delete character"),
        0xAD => ("guion suave", "soft hyphen"),
        0x200B => ("espacio de ancho cero", "zero-width space"),
        0x200E | 0x200F | 0x061C => ("marca de dirección del texto", "text direction mark"),
        0x202A..=0x202E | 0x2066..=0x2069 => {
            ("control de dirección del texto", "text direction control")
        }
        0x2028 => ("separador de línea", "line separator"),
        0x2029 => ("separador de párrafo", "paragraph separator"),
        0x2060 => ("unión de palabras", "word joiner"),
        0xFEFF => ("marca de orden de bytes (BOM)", "byte order mark (BOM)"),
        0xFFFE | 0xFFFF => ("no-carácter", "noncharacter"),
        _ => ("carácter de control", "control character"),
    }
}

/// Whether `c` is a control or invisible format character that no text field
/// should hold (the list is in the module doc). `\n` and `\t` are included:
/// callers that allow them check first.
pub fn is_invisible_control(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{1F}'
            | '\u{7F}'..='\u{9F}'
            | '\u{AD}'
            | '\u{61C}'
            | '\u{180E}'
            | '\u{200B}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{FFFE}'
            | '\u{FFFF}'
    )
}

/// Error kinds, for the per-kind cap.
#[derive(Clone, Copy)]
enum Kind {
    Control,
    Replacement,
    Whitespace,
}

/// Collects errors in text order, at most [`MAX_PER_KIND`] of each kind.
#[derive(Default)]
struct Found {
    errors: Vec<TextError>,
    counts: [usize; 3],
}

impl Found {
    fn push(&mut self, kind: Kind, error: TextError) {
        if let Some(n) = self.counts.get_mut(kind as usize)
            && *n < MAX_PER_KIND
        {
            *n += 1;
            self.errors.push(error);
        }
    }

    fn full(&self) -> bool {
        self.counts.iter().all(|n| *n >= MAX_PER_KIND)
    }
}

/// What a scan allows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Message,
    Line,
    Token,
}

fn scan(text: &str, mode: Mode) -> Vec<TextError> {
    let mut found = Found::default();
    let mut chars = text.chars().peekable();
    let mut position = 0usize;
    while let Some(c) = chars.next() {
        position += 1;
        if found.full() {
            break;
        }
        let allowed = mode == Mode::Message
            && (c == '\n' || c == '\t' || (c == '\r' && chars.peek() == Some(&'\n')));
        if allowed {
            continue;
        }
        if mode == Mode::Token && c.is_whitespace() {
            found.push(Kind::Whitespace, TextError::Whitespace { position });
        } else if is_invisible_control(c) {
            found.push(
                Kind::Control,
                TextError::ControlCharacter {
                    code_point: u32::from(c),
                    position,
                },
            );
        } else if c == '\u{FFFD}' {
            found.push(
                Kind::Replacement,
                TextError::ReplacementCharacter { position },
            );
        }
    }
    found.errors
}

/// Checks an SMS text: [`TextError::Empty`] when empty or only whitespace,
/// else the invisible controls (`\n`, `\t` and `\r\n` are fine) and U+FFFD,
/// at most [`MAX_PER_KIND`] of each kind, in text order.
pub fn check_message(text: &str) -> Vec<TextError> {
    if text.trim().is_empty() {
        return vec![TextError::Empty];
    }
    scan(text, Mode::Message)
}

/// Checks a single-line value (a name, a campaign): as [`check_message`], but
/// line breaks and tabs are errors too, and empty is not (callers decide
/// whether the field is required).
pub fn check_line(text: &str) -> Vec<TextError> {
    scan(text, Mode::Line)
}

/// Checks an API key: empty, any whitespace (a pasted key often carries a
/// trailing space or line break), control characters and U+FFFD. Errors hold
/// positions only, so no message ever echoes the key.
pub fn check_token(text: &str) -> Vec<TextError> {
    if text.is_empty() {
        return vec![TextError::Empty];
    }
    scan(text, Mode::Token)
}

/// Longest excerpt of a user's value that a message quotes, in characters.
pub const QUOTE_CHARS: usize = 40;

/// A user's value as a message may quote it: at most [`QUOTE_CHARS`]
/// characters (then `…`), with every control and invisible format character
/// written as its code point (`U+001B`), so an echoed value can neither
/// flood an answer nor act on the terminal or page that shows it.
pub fn quote(value: &str) -> String {
    let mut chars = value.chars();
    let mut out = escaped(chars.by_ref().take(QUOTE_CHARS));
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

/// `chars` with every control and invisible format character (and U+FFFD)
/// written as its code point (`U+001B`), for showing text that came from
/// elsewhere (Siptel's answers, a user's input) on a terminal or a page.
pub fn escaped(chars: impl IntoIterator<Item = char>) -> String {
    let mut out = String::new();
    for c in chars {
        if is_invisible_control(c) || c == '\u{FFFD}' {
            out.push_str(&format!("U+{:04X}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn control(code_point: u32, position: usize) -> TextError {
        TextError::ControlCharacter {
            code_point,
            position,
        }
    }

    #[test]
    fn quotes_are_short_and_show_invisible_characters_by_code_point() {
        assert_eq!(quote("09:00"), "09:00");
        assert_eq!(quote("a\u{1B}]0;pwned\u{7}b"), "aU+001B]0;pwnedU+0007b");
        assert_eq!(quote("x\u{202E}y\u{FFFD}"), "xU+202EyU+FFFD");
        let long = "é".repeat(QUOTE_CHARS + 1);
        assert_eq!(quote(&long), format!("{}…", "é".repeat(QUOTE_CHARS)));
        assert_eq!(quote(&"é".repeat(QUOTE_CHARS)), "é".repeat(QUOTE_CHARS));
    }

    #[test]
    fn ordinary_message_is_fine() {
        assert_eq!(
            check_message(
                "Hola Ñandú, ¿cómo estás? 😀\n\tSaludos\r\n—Equipo 👨\u{200D}👩\u{200D}👧"
            ),
            vec![]
        );
    }

    #[test]
    fn empty_and_blank_message_is_empty() {
        for text in ["", " ", "\n\t \u{a0}"] {
            assert_eq!(check_message(text), vec![TextError::Empty], "{text:?}");
        }
        assert_eq!(TextError::Empty.code(), ProblemCode::Required);
    }

    #[test]
    fn control_characters_in_message_are_reported_with_position() {
        assert_eq!(
            check_message("a\u{0}b\u{7}c\u{1B}"),
            vec![control(0, 2), control(7, 4), control(0x1B, 6)]
        );
        assert_eq!(control(0, 2).code(), ProblemCode::BadCharacter);
    }

    #[test]
    fn lone_carriage_return_in_message_is_reported() {
        assert_eq!(check_message("a\rb\r\nc"), vec![control(0x0D, 2)]);
    }

    #[test]
    fn c1_and_invisible_format_characters_are_reported() {
        for c in [
            '\u{80}', '\u{85}', '\u{9F}', '\u{AD}', '\u{200B}', '\u{200E}', '\u{200F}', '\u{2028}',
            '\u{2029}', '\u{202E}', '\u{2066}', '\u{2060}', '\u{FEFF}', '\u{FFFE}',
        ] {
            let text = format!("ok{c}");
            assert_eq!(
                check_message(&text),
                vec![control(u32::from(c), 3)],
                "{c:?}"
            );
        }
    }

    #[test]
    fn joiners_used_by_emoji_are_allowed() {
        assert_eq!(check_message("🏳\u{FE0F}\u{200D}🌈 a\u{200C}b"), vec![]);
        assert_eq!(check_line("🏳\u{FE0F}\u{200D}🌈"), vec![]);
    }

    #[test]
    fn positions_count_characters_not_bytes() {
        assert_eq!(check_message("ñáé😀\u{200B}"), vec![control(0x200B, 5)]);
    }

    #[test]
    fn replacement_character_is_reported() {
        let errors = check_message("Informaci\u{FFFD}n");
        assert_eq!(
            errors,
            vec![TextError::ReplacementCharacter { position: 10 }]
        );
        assert_eq!(errors[0].code(), ProblemCode::BadCharacter);
    }

    #[test]
    fn only_invisible_characters_is_not_empty_but_bad() {
        assert_eq!(check_message("\u{200B}"), vec![control(0x200B, 1)]);
    }

    #[test]
    fn thousands_of_bad_characters_are_capped_per_kind() {
        let text = "\u{200B}\u{FFFD}".repeat(5000);
        let errors = check_message(&text);
        assert_eq!(errors.len(), 2 * MAX_PER_KIND);
        assert_eq!(errors[0], control(0x200B, 1));
        assert_eq!(errors[1], TextError::ReplacementCharacter { position: 2 });
        // A later kind is still reported after many of another.
        let text = format!("{}\u{FFFD}", "\u{0}".repeat(100));
        let errors = check_message(&text);
        assert_eq!(errors.len(), MAX_PER_KIND + 1);
        assert_eq!(
            errors.last(),
            Some(&TextError::ReplacementCharacter { position: 101 })
        );
    }

    #[test]
    fn line_rejects_newlines_and_tabs_but_not_empty() {
        assert_eq!(check_line(""), vec![]);
        assert_eq!(check_line("   "), vec![]);
        assert_eq!(check_line("Campaña de marzo"), vec![]);
        assert_eq!(
            check_line("a\nb\tc\r\n"),
            vec![
                control(0x0A, 2),
                control(0x09, 4),
                control(0x0D, 6),
                control(0x0A, 7)
            ]
        );
    }

    #[test]
    fn token_rejects_empty_whitespace_and_controls() {
        assert_eq!(check_token(""), vec![TextError::Empty]);
        assert_eq!(check_token("sk_live_abc123-XYZ.="), vec![]);
        assert_eq!(
            check_token(" key\n"),
            vec![
                TextError::Whitespace { position: 1 },
                TextError::Whitespace { position: 5 }
            ]
        );
        assert_eq!(
            check_token("ke\u{a0}y"),
            vec![TextError::Whitespace { position: 3 }]
        );
        assert_eq!(
            check_token("k\u{200B}\u{FFFD}"),
            vec![
                control(0x200B, 2),
                TextError::ReplacementCharacter { position: 3 }
            ]
        );
        assert_eq!(
            check_token("   "),
            vec![
                TextError::Whitespace { position: 1 },
                TextError::Whitespace { position: 2 },
                TextError::Whitespace { position: 3 }
            ]
        );
    }

    #[test]
    fn token_messages_never_echo_the_value() {
        let key = "SECRETKEY \u{200B}\u{FFFD}\u{7}";
        let errors = check_token(key);
        assert_eq!(errors.len(), 4);
        for e in errors {
            for lang in [Language::Es, Language::En] {
                let m = e.message(lang);
                assert!(!m.contains("SECRET") && !m.contains("KEY"), "{m}");
            }
        }
    }

    #[test]
    fn messages_name_the_character_and_position() {
        let m = control(0x200B, 7).message(Language::Es);
        assert!(m.contains("U+200B") && m.contains("posición 7") && m.contains("ancho cero"));
        let m = control(0x0A, 3).message(Language::En);
        assert!(m.contains("line break") && m.contains("position 3") && m.contains("single line"));
        let m = TextError::ReplacementCharacter { position: 4 }.message(Language::En);
        assert!(m.contains("U+FFFD") && m.contains("position 4"));
        let m = TextError::Whitespace { position: 9 }.message(Language::Es);
        assert!(m.contains("posición 9"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn no_input_panics(text in any::<String>()) {
            let n = text.chars().count();
            for errors in [check_message(&text), check_line(&text), check_token(&text)] {
                prop_assert!(errors.len() <= 3 * MAX_PER_KIND);
                for e in &errors {
                    let _ = e.message(Language::Es);
                    let _ = e.message(Language::En);
                    match e {
                        TextError::Empty => {}
                        TextError::ControlCharacter { position, .. }
                        | TextError::ReplacementCharacter { position }
                        | TextError::Whitespace { position } => {
                            prop_assert!(*position >= 1 && *position <= n);
                        }
                    }
                }
            }
        }

        #[test]
        fn printable_text_passes(text in "[a-zA-Z0-9áéíóúñÑ¿¡?!.,;:€$ ]{1,60}") {
            prop_assert!(check_line(&text).is_empty());
            if !text.trim().is_empty() {
                prop_assert!(check_message(&text).is_empty());
            }
        }
    }
}
