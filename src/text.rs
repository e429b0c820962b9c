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
//!   the C1 controls U+0080..U+009F, the line and paragraph separators
//!   U+2028/U+2029 and the noncharacters U+FFFE/U+FFFF;
//! - invisible characters, found by Unicode property, not by a hand list:
//!   every format character (General_Category=Cf: soft hyphen, zero-width
//!   space, bidirectional marks, embeddings, overrides and isolates, word
//!   joiner, byte order mark, interlinear annotation, tag characters U+E0000
//!   block, ...) and every Default_Ignorable_Code_Point (which adds the
//!   variation selectors, the combining grapheme joiner U+034F, the Hangul
//!   fillers U+115F, U+1160, U+3164 and U+FFA0, the Khmer inherent vowels
//!   U+17B4/U+17B5 and unassigned code points kept for future ones). The
//!   Prepended_Concatenation_Marks (Arabic number signs U+0600..U+0605, end of
//!   ayah U+06DD, ...) are format characters that display, and are allowed.
//!
//! Some invisible characters are part of a visible character, and are allowed
//! there: the checks go by grapheme cluster (UAX #29, what a person sees as
//! one character), and in a cluster
//! - a zero-width joiner or non-joiner (U+200D, U+200C) that follows a visible
//!   character is allowed: emoji sequences (👨‍👩‍👧) and several scripts
//!   (Persian, the Indic scripts) need them;
//! - a variation selector is allowed right after a character it selects a
//!   form of: U+FE0E/U+FE0F after an emoji (❤️, keycaps 1️⃣), the others
//!   after a CJK ideograph (ideographic variation sequences), the Mongolian
//!   free variation selectors after a Mongolian letter. The rarer
//!   standardized variants (a few math symbols, Myanmar, Phags-pa) are
//!   reported: deleting the selector changes little on screen;
//! - tag characters are allowed as an emoji tag sequence (UTS #51): an emoji,
//!   tags U+E0020..U+E007E and the cancel tag U+E007F, as in the flag of
//!   Scotland 🏴󠁧󠁢󠁳󠁣󠁴󠁿.
//!
//! Anywhere else they are reported like any other invisible character: a lone
//! variation selector after a letter, a joiner at the start of a line, tag
//! characters after a letter (they can hide a whole text, a phone number for
//! example, and force UCS-2). API keys allow no invisible character at all.

use crate::model::{Explain, Language, ProblemCode};
use std::ops::ControlFlow;
use unicode_properties::UnicodeEmoji;
use unicode_segmentation::UnicodeSegmentation;

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
        0x034F => ("unión de grafemas", "combining grapheme joiner"),
        0x115F | 0x1160 | 0x3164 | 0xFFA0 => ("relleno hangul", "Hangul filler"),
        0x200B => ("espacio de ancho cero", "zero-width space"),
        0x200C => ("no unión de ancho cero", "zero-width non-joiner"),
        0x200D => ("unión de ancho cero", "zero-width joiner"),
        0x200E | 0x200F | 0x061C => ("marca de dirección del texto", "text direction mark"),
        0x202A..=0x202E | 0x2066..=0x2069 => {
            ("control de dirección del texto", "text direction control")
        }
        0x2028 => ("separador de línea", "line separator"),
        0x2029 => ("separador de párrafo", "paragraph separator"),
        0x2060 => ("unión de palabras", "word joiner"),
        0xFEFF => ("marca de orden de bytes (BOM)", "byte order mark (BOM)"),
        0xFFFE | 0xFFFF => ("no-carácter", "noncharacter"),
        0x180B..=0x180D | 0x180F | 0xFE00..=0xFE0F | 0xE0100..=0xE01EF => {
            ("selector de variante", "variation selector")
        }
        0xE0001 | 0xE0020..=0xE007F => ("carácter de etiqueta", "tag character"),
        0x00..=0x1F | 0x7F..=0x9F => ("carácter de control", "control character"),
        _ => ("carácter de formato", "format character"),
    }
}

/// Whether `c` is a control character or an invisible character (the list
/// is in the module doc): C0 and C1 controls, DEL, U+2028/U+2029,
/// U+FFFE/U+FFFF, and every General_Category=Cf or Default_Ignorable_Code_Point
/// character except the Prepended_Concatenation_Marks. `\n` and `\t` are
/// included: callers that allow them check first. So are the joiners,
/// variation selectors and tag characters that are part of a visible
/// character: whether they are is a question about their grapheme cluster,
/// which [`stray_invisibles`] answers.
#[inline]
pub fn is_invisible_control(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_control();
    }
    is_invisible_beyond_ascii(c)
}

/// [`is_invisible_control`] for the characters past ASCII.
fn is_invisible_beyond_ascii(c: char) -> bool {
    matches!(
        c,
        '\u{80}'..='\u{9F}' | '\u{2028}' | '\u{2029}' | '\u{FFFE}' | '\u{FFFF}'
    ) || (is_format(c) && !is_prepended_concatenation_mark(c))
        || is_variation_selector(c)
        || is_other_default_ignorable(c)
}

/// General_Category=Cf, as of Unicode 18.0. The data is the General_Category
/// table of the `unicode-properties` crate (unicode-rs), which a test checks
/// this against for every code point: shipping that whole table would add
/// 42 KB to the `.wasm` for these 21 ranges.
fn is_format(c: char) -> bool {
    matches!(
        c,
        '\u{AD}'
            | '\u{600}'..='\u{605}'
            | '\u{61C}'
            | '\u{6DD}'
            | '\u{70F}'
            | '\u{890}'..='\u{891}'
            | '\u{8E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

/// Prepended_Concatenation_Mark: format characters that display (they span
/// the digits after them), so not default-ignorable. From PropList.txt of
/// the Unicode Character Database (unchanged since Unicode 14.0).
fn is_prepended_concatenation_mark(c: char) -> bool {
    matches!(
        c,
        '\u{600}'..='\u{605}'
            | '\u{6DD}'
            | '\u{70F}'
            | '\u{890}'..='\u{891}'
            | '\u{8E2}'
            | '\u{110BD}'
            | '\u{110CD}'
    )
}

/// Variation_Selector (PropList.txt; a stable set since Unicode 14.0).
fn is_variation_selector(c: char) -> bool {
    matches!(
        c,
        '\u{180B}'..='\u{180D}' | '\u{180F}' | '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}'
    )
}

/// Other_Default_Ignorable_Code_Point, from PropList.txt of the Unicode
/// Character Database (the same list from Unicode 6.3 to 17.0; Unicode keeps
/// it stable). With General_Category=Cf and Variation_Selector it makes up
/// Default_Ignorable_Code_Point (DerivedCoreProperties.txt; its exceptions,
/// White_Space, U+FFF9..U+FFFB, U+13430..U+13440 and the
/// Prepended_Concatenation_Marks, are not in it or stay reported).
fn is_other_default_ignorable(c: char) -> bool {
    matches!(
        c,
        '\u{34F}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{2065}'
            | '\u{3164}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFF8}'
            | '\u{E0000}'
            | '\u{E0002}'..='\u{E001F}'
            | '\u{E0080}'..='\u{E00FF}'
            | '\u{E01F0}'..='\u{E0FFF}'
    )
}

/// Whether variation selector `vs` right after `base` selects a form of it:
/// emoji presentation selectors after an emoji (emoji-variation-sequences.txt
/// lists only Emoji=Yes characters), ideographic variation selectors and
/// FE00.. after a CJK ideograph, Mongolian free variation selectors after a
/// Mongolian letter.
fn selects_a_form(base: char, vs: char) -> bool {
    match vs {
        '\u{FE0E}' | '\u{FE0F}' => base.is_emoji_char(),
        '\u{FE00}'..='\u{FE0D}' | '\u{E0100}'..='\u{E01EF}' => matches!(
            base,
            '\u{3400}'..='\u{4DBF}'
                | '\u{4E00}'..='\u{9FFF}'
                | '\u{F900}'..='\u{FAFF}'
                | '\u{20000}'..='\u{3FFFF}'
        ),
        '\u{180B}'..='\u{180D}' | '\u{180F}' => matches!(base, '\u{1820}'..='\u{18AA}'),
        _ => false,
    }
}

/// Tag characters: U+E0020..U+E007E spell a tag, U+E007F cancels (ends) it.
fn is_tag(c: char) -> bool {
    matches!(c, '\u{E0020}'..='\u{E007F}')
}

/// Whether `rest`, which starts with a tag character, starts with a complete
/// emoji tag specification: one or more of U+E0020..U+E007E, then U+E007F.
fn is_tag_spec(rest: &str) -> bool {
    let mut spelled = 0usize;
    for c in rest.chars() {
        match c {
            '\u{E0020}'..='\u{E007E}' => spelled += 1,
            '\u{E007F}' => return spelled > 0,
            _ => return false,
        }
    }
    false
}

/// Whether `c` can be part of the visible character before it (the
/// joiners, variation selectors and tag characters), so that whether it is a
/// problem depends on its grapheme cluster.
fn joins_others(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}') || is_variation_selector(c) || is_tag(c)
}

/// Calls `each(offset, c, stray)` for every character `c` of `text`, at
/// byte `offset`, in order, until `each` breaks. `stray` tells that `c` is an
/// invisible character ([`is_invisible_control`]) that is part of no visible
/// character (the rules are in the module doc): a problem wherever it is.
/// Only a text that holds a joiner, variation selector or tag character is
/// split into grapheme clusters: in any other, every invisible character is
/// stray, and the split would cost more than the rest of a check.
fn visit(text: &str, mut each: impl FnMut(usize, char, bool) -> ControlFlow<()>) {
    // Joiners, selectors and tags are not ASCII; `is_ascii` is fast.
    if !text.is_ascii() && text.chars().any(joins_others) {
        visit_clusters(text, each);
    } else {
        for (offset, c) in text.char_indices() {
            if each(offset, c, is_invisible_control(c)).is_break() {
                return;
            }
        }
    }
}

/// [`visit`] cluster by cluster, whatever the text holds.
fn visit_clusters(text: &str, mut each: impl FnMut(usize, char, bool) -> ControlFlow<()>) {
    for (start, cluster) in text.grapheme_indices(true) {
        let visited = stray_invisibles(cluster, |offset, c, stray| each(start + offset, c, stray));
        if visited.is_break() {
            return;
        }
    }
}

/// [`visit`] for one grapheme cluster, offsets from its start.
fn stray_invisibles(
    cluster: &str,
    mut each: impl FnMut(usize, char, bool) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let mut base: Option<char> = None;
    let mut prev: Option<char> = None;
    let mut prev_stray = false;
    // Whether the run of tag characters being read is an emoji tag sequence.
    let mut tag_run: Option<bool> = None;
    for (offset, c) in cluster.char_indices() {
        let stray = is_invisible_control(c)
            && !match c {
                '\u{200C}' | '\u{200D}' => {
                    base.is_some_and(|b| !b.is_whitespace() && !is_invisible_control(b))
                }
                _ if is_variation_selector(c) => prev.is_some_and(|p| selects_a_form(p, c)),
                _ if is_tag(c) => *tag_run.get_or_insert_with(|| {
                    prev.is_some_and(|p| p.is_emoji_char() || (p == '\u{FE0F}' && !prev_stray))
                        && cluster.get(offset..).is_some_and(is_tag_spec)
                }),
                _ => false,
            };
        if !is_tag(c) || c == '\u{E007F}' {
            tag_run = None;
        }
        base.get_or_insert(c);
        prev = Some(c);
        prev_stray = stray;
        each(offset, c, stray)?;
    }
    ControlFlow::Continue(())
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
    let mut position = 0usize;
    visit(text, |offset, c, stray| {
        position += 1;
        let allowed = mode == Mode::Message
            && (c == '\n'
                || c == '\t'
                || (c == '\r' && text.as_bytes().get(offset + 1) == Some(&b'\n')));
        if allowed {
            return ControlFlow::Continue(());
        }
        if mode == Mode::Token && c.is_whitespace() {
            found.push(Kind::Whitespace, TextError::Whitespace { position });
        } else if stray || (mode == Mode::Token && is_invisible_control(c)) {
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
        if found.full() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
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
/// characters (then `…`), with every control and invisible character
/// written as its code point (`U+001B`) as [`escaped`] does, so an echoed value can neither
/// flood an answer nor act on the terminal or page that shows it.
pub fn quote(value: &str) -> String {
    let mut chars = value.chars();
    let mut out = escaped(chars.by_ref().take(QUOTE_CHARS));
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

/// `chars` with every control and invisible character that is part of no
/// visible character (and U+FFFD) written as its code point (`U+001B`), for
/// showing text that came from elsewhere (Siptel's answers, a user's input)
/// on a terminal or a page. Emoji sequences stay as they are.
pub fn escaped(chars: impl IntoIterator<Item = char>) -> String {
    let text: String = chars.into_iter().collect();
    let mut out = String::with_capacity(text.len());
    visit(&text, |_, c, stray| {
        if stray || c == '\u{FFFD}' {
            out.push_str(&format!("U+{:04X}", u32::from(c)));
        } else {
            out.push(c);
        }
        ControlFlow::Continue(())
    });
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
    fn format_table_is_general_category_cf() {
        use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            assert_eq!(
                is_format(c),
                c.general_category() == GeneralCategory::Format,
                "U+{:04X}",
                u32::from(c)
            );
        }
    }

    /// "Hola Ana" and, hidden after it in tag characters, `+56961234567`:
    /// invisible on screen, yet it made the SMS UCS-2 (58 units).
    #[test]
    fn tag_characters_hiding_text_are_reported() {
        let hidden: String = "+56961234567"
            .chars()
            .filter_map(|c| char::from_u32(0xE0000 + u32::from(c)))
            .collect();
        let text = format!("Hola Ana{hidden}");
        let errors = check_message(&text);
        assert_eq!(errors.len(), MAX_PER_KIND, "{errors:?}");
        assert_eq!(errors[0], control(0xE002B, 9));
        assert_eq!(errors[1], control(0xE0035, 10));
        assert!(check_line(&text).len() == MAX_PER_KIND);
        // Also at the start, after a space, and the language tag U+E0001.
        assert_eq!(check_message("\u{E0041}x"), vec![control(0xE0041, 1)]);
        assert_eq!(check_message("a \u{E0041}"), vec![control(0xE0041, 3)]);
        assert_eq!(
            check_message("\u{E0001}\u{E0065}\u{E006E}hi"),
            vec![
                control(0xE0001, 1),
                control(0xE0065, 2),
                control(0xE006E, 3)
            ]
        );
        let m = control(0xE002B, 9).message(Language::En);
        assert!(m.contains("tag character") && m.contains("U+E002B") && m.contains("position 9"));
    }

    #[test]
    fn tag_characters_outside_a_complete_emoji_tag_sequence_are_reported() {
        // The flag of Scotland without its cancel tag, and a lone cancel tag.
        let unterminated = "🏴\u{E0067}\u{E0062}";
        assert_eq!(
            check_message(unterminated),
            vec![control(0xE0067, 2), control(0xE0062, 3)]
        );
        assert_eq!(check_message("🏴\u{E007F}"), vec![control(0xE007F, 2)]);
        // Tags after a complete sequence start no new one.
        assert_eq!(
            check_message("🏴\u{E0067}\u{E007F}\u{E0067}\u{E007F}"),
            vec![control(0xE0067, 4), control(0xE007F, 5)]
        );
        // A letter is no tag base, even with an emoji selector after it.
        assert_eq!(
            check_message("a\u{FE0F}\u{E0067}\u{E007F}"),
            vec![control(0xFE0F, 2), control(0xE0067, 3), control(0xE007F, 4)]
        );
    }

    #[test]
    fn combining_grapheme_joiner_is_reported() {
        assert_eq!(check_message("a\u{34F}b"), vec![control(0x34F, 2)]);
        assert_eq!(check_message("\u{34F}ok"), vec![control(0x34F, 1)]);
        assert_eq!(check_line("ok\u{34F}"), vec![control(0x34F, 3)]);
        let m = control(0x34F, 2).message(Language::En);
        assert!(m.contains("combining grapheme joiner"), "{m}");
    }

    #[test]
    fn hangul_fillers_are_reported() {
        for c in ['\u{115F}', '\u{1160}', '\u{3164}', '\u{FFA0}'] {
            let code = u32::from(c);
            assert_eq!(
                check_message(&format!("{c}")),
                vec![control(code, 1)],
                "{c:?}"
            );
            assert_eq!(
                check_message(&format!("ok{c}")),
                vec![control(code, 3)],
                "{c:?}"
            );
            assert_eq!(
                check_line(&format!("a{c}b")),
                vec![control(code, 2)],
                "{c:?}"
            );
            let m = control(code, 1).message(Language::Es);
            assert!(m.contains("relleno hangul"), "{m}");
        }
        // Both conjoining fillers make one (empty) syllable: both reported.
        assert_eq!(
            check_message("x\u{115F}\u{1160}"),
            vec![control(0x115F, 2), control(0x1160, 3)]
        );
        // Korean as people write it is fine.
        assert_eq!(check_message("안녕하세요 ㅋㅋ"), vec![]);
    }

    #[test]
    fn lone_variation_selectors_are_reported() {
        // At the start, after a letter, a digit, a space, another selector.
        assert_eq!(check_message("\u{FE0F}Hola"), vec![control(0xFE0F, 1)]);
        assert_eq!(check_message("Hola\u{FE0F}"), vec![control(0xFE0F, 5)]);
        assert_eq!(check_message("a\u{FE0E}"), vec![control(0xFE0E, 2)]);
        assert_eq!(check_message("a\u{FE00}b"), vec![control(0xFE00, 2)]);
        assert_eq!(check_message("a\u{E0100}"), vec![control(0xE0100, 2)]);
        assert_eq!(check_message("a\u{180B}"), vec![control(0x180B, 2)]);
        assert_eq!(check_message("a \u{FE0F}"), vec![control(0xFE0F, 3)]);
        assert_eq!(check_message("❤\u{FE0F}\u{FE0F}"), vec![control(0xFE0F, 3)]);
        assert_eq!(check_message("a\n\u{FE0F}"), vec![control(0xFE0F, 3)]);
        assert_eq!(check_line("Ana\u{FE0F}"), vec![control(0xFE0F, 4)]);
        let m = control(0xFE0F, 5).message(Language::En);
        assert!(
            m.contains("variation selector") && m.contains("position 5"),
            "{m}"
        );
    }

    /// Bytes spelled in variation selectors after an emoji (a known way to
    /// smuggle text past people): one selector at most selects a form, and
    /// only U+FE0E/U+FE0F do for an emoji.
    #[test]
    fn text_hidden_in_variation_selectors_is_reported() {
        let hidden: String = "56961234567"
            .bytes()
            .filter_map(|b| char::from_u32(0xE0100 + u32::from(b)))
            .collect();
        let errors = check_message(&format!("Hola 😀{hidden}"));
        assert_eq!(errors.len(), MAX_PER_KIND);
        assert_eq!(errors[0], control(0xE0135, 7));
        assert_eq!(
            check_message("😀\u{FE0F}\u{FE0F}\u{FE00}"),
            vec![control(0xFE0F, 3), control(0xFE00, 4)]
        );
        assert_eq!(
            check_message("葛\u{E0100}\u{E0101}"),
            vec![control(0xE0101, 3)]
        );
    }

    #[test]
    fn emoji_sequences_that_people_write_are_fine() {
        for text in [
            "👨\u{200D}👩\u{200D}👧", // family: ZWJ sequence
            "❤\u{FE0F}",              // emoji presentation selector
            "☺\u{FE0E}",              // text presentation selector
            "1\u{FE0F}\u{20E3}",      // keycap 1️⃣
            "#\u{FE0F}\u{20E3}",      // keycap #️⃣
            "🇨🇱",                     // flag: regional indicators
            "🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}", // Scotland
            "🏳\u{FE0F}\u{200D}🌈",    // rainbow flag
            "👍🏽",                     // skin tone modifier
            "👩🏽\u{200D}💻",           // modifier inside a ZWJ sequence
            "❤\u{FE0F}\u{200D}🔥",    // heart on fire
        ] {
            let message = format!("Hola {text} chao {text}\n{text}");
            assert_eq!(check_message(&message), vec![], "{text:?}");
            assert_eq!(check_line(text), vec![], "{text:?}");
            assert_eq!(escaped(text.chars()), text, "{text:?}");
        }
    }

    #[test]
    fn joiners_in_scripts_that_need_them_are_fine() {
        // Persian with a ZWNJ, Devanagari with a ZWJ (half form), an
        // ideographic variation sequence, a Mongolian free variation selector.
        for text in [
            "می\u{200C}خواهم",
            "क्\u{200D}ष",
            "葛\u{E0100}城",
            "\u{1828}\u{180B}",
        ] {
            assert_eq!(check_message(text), vec![], "{text:?}");
        }
    }

    #[test]
    fn joiners_with_nothing_visible_to_join_are_reported() {
        assert_eq!(check_message("\u{200D}hola"), vec![control(0x200D, 1)]);
        assert_eq!(check_message("a \u{200C}b"), vec![control(0x200C, 3)]);
        assert_eq!(check_message("a\n\u{200D}"), vec![control(0x200D, 3)]);
        assert_eq!(
            check_message("\u{200B}\u{200D}"),
            vec![control(0x200B, 1), control(0x200D, 2)]
        );
        let m = control(0x200D, 1).message(Language::Es);
        assert!(m.contains("unión de ancho cero"), "{m}");
    }

    #[test]
    fn api_keys_allow_no_joiner_or_selector() {
        assert_eq!(
            check_token("ab\u{200D}c\u{FE0F}"),
            vec![control(0x200D, 3), control(0xFE0F, 5)]
        );
    }

    #[test]
    fn visible_format_characters_are_fine() {
        // Arabic number sign and end of ayah: Cf, but they display.
        assert_eq!(check_message("\u{600}١٢٣ \u{6DD}"), vec![]);
    }

    #[test]
    fn escaped_shows_stray_invisibles_and_keeps_emoji() {
        assert_eq!(escaped("a\u{FE0F}".chars()), "aU+FE0F");
        assert_eq!(escaped("x\u{E0041}".chars()), "xU+E0041");
        assert_eq!(escaped("\u{200D}❤\u{FE0F}".chars()), "U+200D❤\u{FE0F}");
        assert_eq!(quote("\u{3164}"), "U+3164");
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

        /// Every format (Cf) or default-ignorable character, as the regex
        /// crate's Unicode tables (independent of this module's data) list
        /// them, is reported after a letter; the joiners are allowed there,
        /// and the visible Prepended_Concatenation_Marks anywhere.
        #[test]
        fn invisible_characters_by_property_are_reported(
            c in "[\\p{Cf}\\p{Default_Ignorable_Code_Point}]",
            before in "[a-zA-Z0-9 .,]{0,5}",
        ) {
            let c = c.chars().next().unwrap();
            prop_assume!(!matches!(c, '\u{200C}' | '\u{200D}'));
            prop_assume!(!is_prepended_concatenation_mark(c));
            let text = format!("{before}x{c}");
            let position = before.chars().count() + 2;
            prop_assert!(is_invisible_control(c));
            prop_assert_eq!(check_line(&text), vec![control(u32::from(c), position)]);
            prop_assert_eq!(check_token(&text.replace(' ', "")).len(), 1);
        }

        /// Outside the default-ignorable and format characters and the
        /// controls, nothing is reported: the property check is no broader
        /// than the properties.
        #[test]
        fn visible_characters_are_not_reported(
            text in "[^\\p{Cf}\\p{Default_Ignorable_Code_Point}\\p{Cc}\\p{Zl}\\p{Zp}\\p{Cn}\\x{FFFD}]{1,40}",
        ) {
            prop_assume!(!text.trim().is_empty());
            prop_assert_eq!(check_message(&text), vec![]);
            prop_assert_eq!(escaped(text.chars()), text);
        }

        /// Skipping the grapheme split when no joiner, variation selector
        /// or tag character is present changes nothing.
        #[test]
        fn the_shortcut_without_joiners_agrees_with_clusters(text in any::<String>()) {
            let mut fast = Vec::new();
            visit(&text, |offset, c, stray| {
                fast.push((offset, c, stray));
                ControlFlow::Continue(())
            });
            let mut slow = Vec::new();
            visit_clusters(&text, |offset, c, stray| {
                slow.push((offset, c, stray));
                ControlFlow::Continue(())
            });
            prop_assert_eq!(fast, slow);
        }

        /// Emoji sequences mixed into any readable text keep it valid.
        #[test]
        fn emoji_sequences_in_text_pass(
            parts in proptest::collection::vec(
                prop_oneof![
                    "[a-zA-Záéíóúñ¿?!.,€ ]{1,8}",
                    Just("👨\u{200D}👩\u{200D}👧".to_string()),
                    Just("❤\u{FE0F}".to_string()),
                    Just("1\u{FE0F}\u{20E3}".to_string()),
                    Just("🇨🇱".to_string()),
                    Just("🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}".to_string()),
                    Just("👍🏽".to_string()),
                    Just("\n".to_string()),
                ],
                1..12,
            ),
        ) {
            let text: String = parts.concat();
            prop_assume!(!text.trim().is_empty());
            prop_assert_eq!(check_message(&text), vec![]);
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
