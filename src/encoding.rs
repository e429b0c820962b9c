//! SMS encodings (GSM 03.38 7-bit and UCS-2) and segment counting.
//!
//! Every segment is billed, and one character outside GSM-7 (an `á`, a curly
//! quote pasted from a word processor) switches the whole message to UCS-2,
//! cutting a single SMS from 160 to 70 characters. This module tells which
//! encoding a text needs, how many segments carriers will count, and offers a
//! transliteration to GSM-7 that reports every replacement.
//!
//! Segments are counted as carriers do (3GPP TS 23.040 concatenation with a
//! 6-byte user data header): GSM-7 fits 160 septets in one SMS, else 153 per
//! part, and an extension character (escape + code, 2 septets) is never split
//! across parts; UCS-2 fits 70 UTF-16 units in one SMS, else 67 per part, and
//! a surrogate pair is never split. An empty text takes 0 segments (validation
//! rejects empty messages before anything is sent).

use crate::model::{Encoding, Explain, Language, ProblemCode, Replacement};
use std::collections::{BTreeMap, BTreeSet};
use unicode_segmentation::UnicodeSegmentation;

/// Septets in a single GSM-7 SMS.
pub const GSM7_SINGLE: u32 = 160;
/// Septets per part of a concatenated GSM-7 SMS.
pub const GSM7_PART: u32 = 153;
/// UTF-16 units in a single UCS-2 SMS.
pub const UCS2_SINGLE: u32 = 70;
/// UTF-16 units per part of a concatenated UCS-2 SMS.
pub const UCS2_PART: u32 = 67;

/// Septets `c` takes in GSM-7: 1 in the basic table, 2 in the extension
/// table (escape + code), `None` when it is not in GSM 03.38 at all.
pub fn gsm7_septets(c: char) -> Option<u32> {
    match c {
        // Basic table (3GPP TS 23.038 §6.2.1), in code order; 0x1B is the escape.
        '@'
        | '£'
        | '$'
        | '¥'
        | 'è'
        | 'é'
        | 'ù'
        | 'ì'
        | 'ò'
        | 'Ç'
        | '\n'
        | 'Ø'
        | 'ø'
        | '\r'
        | 'Å'
        | 'å'
        | '\u{394}'
        | '_'
        | '\u{3A6}'
        | '\u{393}'
        | '\u{39B}'
        | '\u{3A9}'
        | '\u{3A0}'
        | '\u{3A8}'
        | '\u{3A3}'
        | '\u{398}'
        | '\u{39E}'
        | 'Æ'
        | 'æ'
        | 'ß'
        | 'É'
        | ' '
        | '!'
        | '"'
        | '#'
        | '¤'
        | '%'
        | '&'
        | '\''
        | '('
        | ')'
        | '*'
        | '+'
        | ','
        | '-'
        | '.'
        | '/'
        | '0'..='9'
        | ':'
        | ';'
        | '<'
        | '='
        | '>'
        | '?'
        | '¡'
        | 'A'..='Z'
        | 'Ä'
        | 'Ö'
        | 'Ñ'
        | 'Ü'
        | '§'
        | '¿'
        | 'a'..='z'
        | 'ä'
        | 'ö'
        | 'ñ'
        | 'ü'
        | 'à' => Some(1),
        // Extension table (§6.2.1.1): form feed ^ { } \ [ ~ ] | €.
        '\u{C}' | '^' | '{' | '}' | '\\' | '[' | '~' | ']' | '|' | '€' => Some(2),
        _ => None,
    }
}

/// Whether `c` can be sent in GSM-7 (basic or extension table).
pub fn is_gsm7(c: char) -> bool {
    gsm7_septets(c).is_some()
}

/// How a text will be sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Analysis {
    /// GSM-7 or UCS-2.
    pub encoding: Encoding,
    /// Length in the encoding's units: septets (GSM-7) or UTF-16 units (UCS-2).
    pub units: u32,
    /// SMS segments carriers count (0 for an empty text).
    pub segments: u32,
}

impl Analysis {
    /// Fails with [`TooLong`] when the text takes more than `max_segments`.
    pub fn check_segments(&self, max_segments: u32) -> Result<(), TooLong> {
        if self.segments <= max_segments {
            Ok(())
        } else {
            Err(TooLong {
                segments: self.segments,
                max_segments,
                units: self.units,
                encoding: self.encoding,
            })
        }
    }
}

/// The segments `text` (whose analysis is `current`) would take with
/// `gsm7-transliterate`, when that is fewer: what `preview` offers.
pub fn segments_if_transliterated(text: &str, current: &Analysis) -> Option<u32> {
    let segments = analyze(&transliterate(text).text, false).segments;
    (segments < current.segments).then_some(segments)
}

/// Segments of a text whose characters take `widths` units each, given the
/// single-SMS capacity and the per-part capacity. A character is never split:
/// when it does not fit in the current part it opens the next one.
fn count_segments(widths: impl Iterator<Item = u32>, total: u32, single: u32, part: u32) -> u32 {
    if total == 0 {
        return 0;
    }
    if total <= single {
        return 1;
    }
    let mut segments = 1u32;
    let mut used = 0u32;
    for w in widths {
        if used + w > part {
            segments = segments.saturating_add(1);
            used = 0;
        }
        used += w;
    }
    segments
}

/// Analyses `text` for sending: GSM-7 when every character fits it (auto
/// policy), UCS-2 otherwise or when `force_ucs2`.
pub fn analyze(text: &str, force_ucs2: bool) -> Analysis {
    // `None` from the first character outside GSM-7 on: that settles it.
    let gsm7 = text
        .chars()
        .try_fold(0u32, |n, c| Some(n.saturating_add(gsm7_septets(c)?)));
    if let (false, Some(septets)) = (force_ucs2, gsm7) {
        let segments = count_segments(
            text.chars().map(|c| gsm7_septets(c).unwrap_or(1)),
            septets,
            GSM7_SINGLE,
            GSM7_PART,
        );
        return Analysis {
            encoding: Encoding::Gsm7,
            units: septets,
            segments,
        };
    }
    let utf16 = |c: char| c.len_utf16() as u32;
    let units = text.chars().fold(0u32, |n, c| n.saturating_add(utf16(c)));
    Analysis {
        encoding: Encoding::Ucs2,
        units,
        segments: count_segments(text.chars().map(utf16), units, UCS2_SINGLE, UCS2_PART),
    }
}

/// The characters of `text`, as a person sees them (grapheme clusters:
/// `👍🏽` is one, `e` + combining acute is one), that hold a code point
/// outside GSM-7 and so force UCS-2: distinct, in order of first appearance.
/// Empty when every character is GSM-7. Only a preview shows them, so a
/// check or a send does not pay for the segmentation.
pub fn ucs2_characters(text: &str) -> Vec<String> {
    if text.chars().all(is_gsm7) {
        return Vec::new();
    }
    let mut seen = BTreeSet::new();
    text.graphemes(true)
        .filter(|g| !g.chars().all(is_gsm7) && seen.insert(*g))
        .map(str::to_owned)
        .collect()
}

/// A text rewritten into GSM-7 where possible.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transliteration {
    /// The rewritten text; characters with no GSM-7 form are kept.
    pub text: String,
    /// What was replaced, with counts, in order of first appearance.
    pub replacements: Vec<Replacement>,
}

/// The closest GSM-7 form of a character outside GSM-7, if it has one.
fn gsm7_form(c: char) -> Option<&'static str> {
    Some(match c {
        'á' | 'â' | 'ã' | 'ā' | 'ă' | 'ą' | 'ª' => "a",
        'Á' | 'À' | 'Â' | 'Ã' | 'Ā' | 'Ă' | 'Ą' => "A",
        'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
        'È' | 'Ê' | 'Ë' | 'Ē' | 'Ė' | 'Ę' | 'Ě' => "E",
        'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => "i",
        'Í' | 'Ì' | 'Î' | 'Ï' | 'Ī' | 'Į' | 'İ' => "I",
        'ó' | 'ô' | 'õ' | 'ō' | 'ő' | 'º' => "o",
        'Ó' | 'Ò' | 'Ô' | 'Õ' | 'Ō' | 'Ő' => "O",
        'ú' | 'û' | 'ū' | 'ů' | 'ű' | 'ų' => "u",
        'Ú' | 'Ù' | 'Û' | 'Ū' | 'Ů' | 'Ű' | 'Ų' => "U",
        'ý' | 'ÿ' => "y",
        'Ý' | 'Ÿ' => "Y",
        'ç' | 'ć' | 'č' => "c",
        'Ć' | 'Č' => "C",
        'ń' | 'ň' => "n",
        'Ń' | 'Ň' => "N",
        'ś' | 'š' | 'ş' | 'ș' => "s",
        'Ś' | 'Š' | 'Ş' | 'Ș' => "S",
        'ź' | 'ż' | 'ž' => "z",
        'Ź' | 'Ż' | 'Ž' => "Z",
        'ł' => "l",
        'Ł' => "L",
        'đ' | 'ď' => "d",
        'Đ' | 'Ď' => "D",
        'ř' => "r",
        'Ř' => "R",
        'ť' | 'ţ' | 'ț' => "t",
        'Ť' | 'Ţ' | 'Ț' => "T",
        'ğ' => "g",
        'Ğ' => "G",
        'œ' => "oe",
        'Œ' => "OE",
        // Quotes and apostrophes.
        '‘' | '’' | '‚' | '‛' | '′' | '´' | '`' | '‹' | '›' => "'",
        '“' | '”' | '„' | '‟' | '″' | '«' | '»' => "\"",
        // Dashes and hyphens, minus sign.
        '\u{2010}'..='\u{2015}' | '\u{2212}' => "-",
        '…' => "...",
        // Spaces: no-break, en/em and the other typographic spaces.
        '\t'
        | '\u{A0}'
        | '\u{1680}'
        | '\u{2000}'..='\u{200A}'
        | '\u{202F}'
        | '\u{205F}'
        | '\u{3000}' => " ",
        '•' | '·' => "*",
        '×' => "x",
        '÷' => "/",
        '©' => "(c)",
        '®' => "(R)",
        '™' => "TM",
        '¼' => "1/4",
        '½' => "1/2",
        '¾' => "3/4",
        _ => return None,
    })
}

/// The precomposed letter of `base` + combining `mark` (text in decomposed
/// form, as some systems paste it), for the letters transliteration handles.
fn compose(base: char, mark: char) -> Option<char> {
    let table: &str = match mark {
        '\u{300}' => "aàAÀeèEÈiìIÌoòOÒuùUÙ",
        '\u{301}' => "aáAÁeéEÉiíIÍoóOÓuúUÚyýYÝnńNŃcćCĆsśSŚzźZŹ",
        '\u{302}' => "aâAÂeêEÊiîIÎoôOÔuûUÛ",
        '\u{303}' => "aãAÃnñNÑoõOÕ",
        '\u{308}' => "aäAÄeëEËiïIÏoöOÖuüUÜyÿYŸ",
        '\u{30A}' => "aåAÅuůUŮ",
        '\u{327}' => "cçCÇ",
        _ => return None,
    };
    let mut chars = table.chars();
    while let (Some(b), Some(p)) = (chars.next(), chars.next()) {
        if b == base {
            return Some(p);
        }
    }
    None
}

/// Replaces characters outside GSM-7 by their closest GSM-7 form (`á` → `a`,
/// curly quotes → straight, typographic spaces → space, `…` → `...`, ...).
/// Characters with no GSM-7 form are kept, never dropped, so such a message
/// stays UCS-2 and says so. A letter followed by a combining accent is
/// treated as the accented letter. Every replacement is reported.
pub fn transliterate(text: &str) -> Transliteration {
    let mut out = String::with_capacity(text.len());
    let mut replacements: Vec<Replacement> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut record = |original: String, replacement: &str| match index
        .get(&original)
        .and_then(|&i| replacements.get_mut(i))
    {
        Some(r) => r.count = r.count.saturating_add(1),
        None => {
            index.insert(original.clone(), replacements.len());
            replacements.push(Replacement {
                original,
                replacement: replacement.to_string(),
                count: 1,
            });
        }
    };
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if let Some(composed) = chars.peek().and_then(|&m| compose(c, m)) {
            let mark = chars.next().unwrap_or_default();
            let mut buf = [0u8; 4];
            let form = if is_gsm7(composed) {
                Some(&*composed.encode_utf8(&mut buf))
            } else {
                gsm7_form(composed)
            };
            match form {
                Some(form) => {
                    out.push_str(form);
                    record([c, mark].iter().collect(), form);
                }
                None => {
                    out.push(c);
                    out.push(mark);
                }
            }
            continue;
        }
        match gsm7_form(c).filter(|_| !is_gsm7(c)) {
            Some(form) => {
                out.push_str(form);
                record(c.to_string(), form);
            }
            None => out.push(c),
        }
    }
    Transliteration {
        text: out,
        replacements,
    }
}

/// The message takes more segments than allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TooLong {
    /// Segments the message takes.
    pub segments: u32,
    /// The configured limit (`max-segments`).
    pub max_segments: u32,
    /// Its length in the encoding's units.
    pub units: u32,
    /// Its encoding.
    pub encoding: Encoding,
}

impl Explain for TooLong {
    fn code(&self) -> ProblemCode {
        ProblemCode::TooLong
    }

    fn message(&self, lang: Language) -> String {
        let TooLong {
            segments,
            max_segments,
            units,
            encoding,
        } = self;
        match encoding {
            Encoding::Gsm7 => lang.pick(
                format!(
                    "El mensaje ocupa {segments} segmentos SMS ({units} caracteres GSM-7; los de la \
                     tabla extendida, como € o [, cuentan doble) y el máximo es {max_segments}: \
                     acórtelo (cada segmento lleva {GSM7_PART} caracteres) o aumente \
                     «max-segments»."
                ),
                format!(
                    "The message takes {segments} SMS segments ({units} GSM-7 characters; those of \
                     the extension table, such as € or [, count twice) and the limit is \
                     {max_segments}: shorten it (each segment holds {GSM7_PART} characters) or \
                     raise “max-segments”."
                ),
            ),
            Encoding::Ucs2 => lang.pick(
                format!(
                    "El mensaje ocupa {segments} segmentos SMS ({units} caracteres en UCS-2, porque \
                     tiene caracteres fuera de GSM-7 como tildes o emojis) y el máximo es \
                     {max_segments}: acórtelo, o, si esos caracteres son tildes o comillas \
                     tipográficas, use la codificación «gsm7-transliterate», que cambia «á» por «a», \
                     «“» por «\"», etc. (un SMS GSM-7 lleva 160 caracteres en vez de 70)."
                ),
                format!(
                    "The message takes {segments} SMS segments ({units} characters in UCS-2, \
                     because it has characters outside GSM-7 such as accents or emoji) and the \
                     limit is {max_segments}: shorten it or, if those characters are accents or \
                     curly quotes, use the “gsm7-transliterate” encoding, which turns “á” into “a”, \
                     curly quotes into straight ones, etc. (a GSM-7 SMS holds 160 characters \
                     instead of 70)."
                ),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// GSM 03.38 basic table in code order 0x00..0x7F (0x1B, the escape, as
    /// U+001B), written independently of `gsm7_septets` to cross-check it.
    const BASIC_TABLE: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u{1B}ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
                               ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    const EXTENSION_TABLE: &str = "\u{C}^{}\\[~]|€";

    fn gsm(text: &str) -> Analysis {
        analyze(text, false)
    }

    #[test]
    fn basic_table_is_exactly_gsm_03_38() {
        assert_eq!(BASIC_TABLE.chars().count(), 128);
        for c in BASIC_TABLE.chars().filter(|&c| c != '\u{1B}') {
            assert_eq!(gsm7_septets(c), Some(1), "{c:?}");
        }
        for c in EXTENSION_TABLE.chars() {
            assert_eq!(gsm7_septets(c), Some(2), "{c:?}");
        }
        let known: BTreeSet<char> = BASIC_TABLE.chars().chain(EXTENSION_TABLE.chars()).collect();
        for c in (0u32..0x3000).filter_map(char::from_u32) {
            if !known.contains(&c) || c == '\u{1B}' {
                assert_eq!(gsm7_septets(c), None, "{c:?} U+{:04X}", u32::from(c));
            }
        }
    }

    #[test]
    fn spanish_letters_in_and_out_of_gsm7() {
        for c in "éñÑüÜ¿¡àèìòùÉ".chars() {
            assert!(is_gsm7(c), "{c}");
        }
        for c in "áíóúÁÍÓÚÀÈÌÒÙçêâ`".chars() {
            assert!(!is_gsm7(c), "{c}");
        }
    }

    #[test]
    fn empty_text_is_zero_segments() {
        assert_eq!(
            gsm(""),
            Analysis {
                encoding: Encoding::Gsm7,
                units: 0,
                segments: 0,
            }
        );
        let forced = analyze("", true);
        assert_eq!(
            (forced.encoding, forced.units, forced.segments),
            (Encoding::Ucs2, 0, 0)
        );
    }

    #[test]
    fn gsm7_boundaries_160_161() {
        assert_eq!(gsm("a").segments, 1);
        assert_eq!(gsm(&"a".repeat(160)).segments, 1);
        let a = gsm(&"a".repeat(161));
        assert_eq!((a.units, a.segments), (161, 2));
    }

    #[test]
    fn gsm7_boundaries_306_307() {
        assert_eq!(gsm(&"a".repeat(306)).segments, 2);
        assert_eq!(gsm(&"a".repeat(307)).segments, 3);
    }

    #[test]
    fn gsm7_boundaries_459_460() {
        assert_eq!(gsm(&"a".repeat(459)).segments, 3);
        assert_eq!(gsm(&"a".repeat(460)).segments, 4);
    }

    #[test]
    fn extension_characters_count_two_septets() {
        let a = gsm("€");
        assert_eq!((a.encoding, a.units, a.segments), (Encoding::Gsm7, 2, 1));
        assert_eq!(gsm(&"€".repeat(80)).segments, 1);
        let a = gsm(&"€".repeat(81));
        assert_eq!((a.units, a.segments), (162, 2));
        assert_eq!(gsm("{}[]~|^\\\u{C}").units, 18);
    }

    #[test]
    fn extension_character_never_straddles_a_part() {
        // 152 septets then `€`: 154 would straddle, so `€` opens part 2.
        let text = format!("{}€{}", "a".repeat(152), "a".repeat(10));
        let a = gsm(&text);
        assert_eq!((a.units, a.segments), (164, 2));
        // 306 septets where the second part's last `€` would straddle.
        let text = format!("{}€{}", "a".repeat(152), "a".repeat(152));
        let a = gsm(&text);
        assert_eq!(a.units, 306);
        assert_eq!(
            a.segments, 3,
            "153 + 152 leaves the `€` for part 2 and the tail for 3"
        );
        // Same length, `€` inside the first part: fits two parts exactly.
        let text = format!("{}€{}", "a".repeat(151), "a".repeat(153));
        assert_eq!(gsm(&text).segments, 2);
    }

    #[test]
    fn ucs2_boundaries_70_71() {
        let a = gsm(&"á".repeat(70));
        assert_eq!((a.encoding, a.units, a.segments), (Encoding::Ucs2, 70, 1));
        let a = gsm(&"á".repeat(71));
        assert_eq!((a.units, a.segments), (71, 2));
    }

    #[test]
    fn ucs2_boundaries_134_135() {
        assert_eq!(gsm(&"á".repeat(134)).segments, 2);
        assert_eq!(gsm(&"á".repeat(135)).segments, 3);
        assert_eq!(gsm(&"á".repeat(201)).segments, 3);
        assert_eq!(gsm(&"á".repeat(202)).segments, 4);
    }

    #[test]
    fn surrogate_pairs_count_two_units() {
        let a = gsm("😀");
        assert_eq!((a.encoding, a.units, a.segments), (Encoding::Ucs2, 2, 1));
        assert_eq!(gsm(&"😀".repeat(35)).segments, 1);
        assert_eq!(gsm(&"😀".repeat(36)).segments, 2);
    }

    #[test]
    fn surrogate_pair_never_straddles_a_part() {
        // 66 units then an emoji: 68 would straddle, so it opens part 2.
        let text = format!("{}😀{}", "á".repeat(66), "á".repeat(5));
        let a = gsm(&text);
        assert_eq!((a.units, a.segments), (73, 2));
        let text = format!("{}😀{}", "á".repeat(66), "á".repeat(66));
        let a = gsm(&text);
        assert_eq!((a.units, a.segments), (134, 3));
        let text = format!("{}😀{}", "á".repeat(65), "á".repeat(67));
        assert_eq!(gsm(&text).segments, 2);
    }

    #[test]
    fn ucs2_characters_are_distinct_in_order_of_appearance() {
        let text = "¿Cómo está? Ñandú 😀 ó á";
        assert_eq!(gsm(text).encoding, Encoding::Ucs2);
        assert_eq!(ucs2_characters(text), ["ó", "á", "ú", "😀"]);
        assert!(ucs2_characters("Hola ¿qué tal? ñ €").is_empty());
    }

    #[test]
    fn ucs2_characters_are_what_a_person_sees() {
        // A skin tone, a family, a flag, a keycap: one character each.
        let text = "Ok 👍🏽 👍 👨\u{200D}👩\u{200D}👧 🇨🇱 1\u{FE0F}\u{20E3} 👍🏽 🇨🇱";
        assert_eq!(
            ucs2_characters(text),
            [
                "👍🏽",
                "👍",
                "👨\u{200D}👩\u{200D}👧",
                "🇨🇱",
                "1\u{FE0F}\u{20E3}"
            ]
        );
        // A decomposed accent is one character with its letter, even when
        // the letter alone is GSM-7 (`e`) and the mark is not.
        assert_eq!(ucs2_characters("cafe\u{301} y te\u{301}, ya"), ["e\u{301}"]);
        // `\r\n` is one cluster of GSM-7 characters: no culprit.
        assert!(ucs2_characters("a\r\nb").is_empty());
        assert_eq!(ucs2_characters("a\r\ná"), ["á"]);
    }

    #[test]
    fn force_ucs2_counts_utf16_units() {
        let a = analyze("Hola", true);
        assert_eq!((a.encoding, a.units, a.segments), (Encoding::Ucs2, 4, 1));
        assert!(ucs2_characters("Hola").is_empty());
        assert_eq!(analyze("€", true).units, 1);
        assert_eq!(analyze(&"a".repeat(71), true).segments, 2);
    }

    #[test]
    fn transliterates_spanish_accents_and_typography() {
        let t = transliterate("“Está aquí” — sí… ‘ok’\u{a0}Ó");
        assert_eq!(t.text, "\"Esta aqui\" - si... 'ok' O");
        assert_eq!(gsm(&t.text).encoding, Encoding::Gsm7);
        let r = |o: &str, n: &str, c: u32| Replacement {
            original: o.into(),
            replacement: n.into(),
            count: c,
        };
        assert_eq!(
            t.replacements,
            vec![
                r("“", "\"", 1),
                r("á", "a", 1),
                r("í", "i", 2),
                r("”", "\"", 1),
                r("—", "-", 1),
                r("…", "...", 1),
                r("‘", "'", 1),
                r("’", "'", 1),
                r("\u{a0}", " ", 1),
                r("Ó", "O", 1),
            ]
        );
    }

    #[test]
    fn transliteration_keeps_gsm7_characters() {
        let text = "¿Qué tal, Ñandú? ñ ü é € {x} @ £";
        let t = transliterate(text);
        assert_eq!(t.text, "¿Qué tal, Ñandu? ñ ü é € {x} @ £");
        assert_eq!(t.replacements.len(), 1);
    }

    #[test]
    fn characters_without_gsm7_form_are_kept() {
        let t = transliterate("Hola 😀 Привет ó");
        assert_eq!(t.text, "Hola 😀 Привет o");
        assert_eq!(gsm(&t.text).encoding, Encoding::Ucs2);
        assert_eq!(ucs2_characters(&t.text)[0], "😀");
        assert_eq!(t.replacements.len(), 1);
    }

    #[test]
    fn decomposed_accents_are_composed_first() {
        let t = transliterate("Mame\u{301} cafe\u{301} ma\u{301}s x\u{301}");
        assert_eq!(t.text, "Mamé café mas x\u{301}");
        assert_eq!(
            t.replacements,
            vec![
                Replacement {
                    original: "e\u{301}".into(),
                    replacement: "é".into(),
                    count: 2
                },
                Replacement {
                    original: "a\u{301}".into(),
                    replacement: "a".into(),
                    count: 1
                },
            ]
        );
    }

    #[test]
    fn every_transliteration_is_gsm7() {
        for c in (0u32..0x11000).filter_map(char::from_u32) {
            if let Some(form) = gsm7_form(c) {
                assert!(form.chars().all(is_gsm7), "{c:?} -> {form:?}");
                assert!(!form.is_empty(), "{c:?}");
                // Only characters outside GSM-7 need a form.
                assert!(!is_gsm7(c), "{c:?}");
            }
        }
        for mark in '\u{300}'..='\u{36F}' {
            for base in ('a'..='z').chain('A'..='Z') {
                if let Some(p) = compose(base, mark) {
                    assert!(is_gsm7(p) || gsm7_form(p).is_some(), "{base}{mark}");
                }
            }
        }
    }

    #[test]
    fn transliteration_saves_segments() {
        let text = "á".repeat(100);
        assert_eq!(gsm(&text).segments, 2);
        assert_eq!(gsm(&transliterate(&text).text).segments, 1);
        assert_eq!(transliterate(&text).replacements[0].count, 100);
    }

    #[test]
    fn too_long_messages_state_length_and_limit() {
        let e = TooLong {
            segments: 3,
            max_segments: 2,
            units: 350,
            encoding: Encoding::Gsm7,
        };
        assert_eq!(e.code(), ProblemCode::TooLong);
        let es = e.message(Language::Es);
        assert!(es.contains("3 segmentos") && es.contains("350") && es.contains("máximo es 2"));
        let e = TooLong {
            segments: 4,
            max_segments: 3,
            units: 210,
            encoding: Encoding::Ucs2,
        };
        let en = e.message(Language::En);
        assert!(en.contains("4 SMS segments") && en.contains("210") && en.contains("limit is 3"));
        assert!(en.contains("gsm7-transliterate"));
    }

    #[test]
    fn check_segments_against_the_limit() {
        let a = gsm(&"a".repeat(161));
        assert_eq!(a.check_segments(2), Ok(()));
        assert_eq!(
            a.check_segments(1),
            Err(TooLong {
                segments: 2,
                max_segments: 1,
                units: 161,
                encoding: Encoding::Gsm7
            })
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn no_input_panics(text in any::<String>()) {
            for force in [false, true] {
                let a = analyze(&text, force);
                prop_assert_eq!(a.segments == 0, text.is_empty());
            }
            let t = transliterate(&text);
            let _ = analyze(&t.text, false);
        }

        #[test]
        fn segments_fit_their_units(text in "[a-z€{á😀]{0,500}") {
            let a = analyze(&text, false);
            let (single, part) = match a.encoding {
                Encoding::Gsm7 => (GSM7_SINGLE, GSM7_PART),
                Encoding::Ucs2 => (UCS2_SINGLE, UCS2_PART),
            };
            if a.units == 0 {
                prop_assert_eq!(a.segments, 0);
            } else if a.units <= single {
                prop_assert_eq!(a.segments, 1);
            } else {
                // Enough room, and at most one unit wasted per part boundary.
                prop_assert!(a.segments * part >= a.units);
                prop_assert!((a.segments - 1) * (part - 1) < a.units);
            }
        }

        /// The culprits are distinct grapheme clusters of the text, each
        /// with a character outside GSM-7, and cover every such character.
        #[test]
        fn ucs2_characters_are_distinct_graphemes_covering_the_text(
            text in "([a-zé€ ]|á|😀|👍🏽|🇨🇱|e\u{301}|\u{200D}|\u{FE0F}|\r\n){0,40}",
        ) {
            let a = analyze(&text, false);
            let culprits = ucs2_characters(&text);
            let clusters: Vec<&str> = text.graphemes(true).collect();
            let mut seen = BTreeSet::new();
            for g in &culprits {
                prop_assert!(clusters.contains(&g.as_str()), "{g:?}");
                prop_assert!(!g.chars().all(is_gsm7), "{g:?}");
                prop_assert!(seen.insert(g.clone()), "{g:?} twice");
            }
            let covered: String = culprits.concat();
            for c in text.chars().filter(|c| !is_gsm7(*c)) {
                prop_assert!(covered.contains(c), "{c:?}");
            }
            prop_assert_eq!(culprits.is_empty(), a.encoding == Encoding::Gsm7);
        }

        #[test]
        fn transliteration_is_idempotent(text in "[^\\p{M}\\p{C}]{0,200}") {
            let t = transliterate(&text);
            let again = transliterate(&t.text);
            prop_assert_eq!(&again.text, &t.text);
            prop_assert!(again.replacements.is_empty());
            let total: u32 = t.replacements.iter().map(|r| r.count).sum();
            prop_assert!(total as usize <= text.chars().count());
        }
    }
}
