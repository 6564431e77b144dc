//! Whether a page's text can be trusted, or the page should go to OCR.
//!
//! The verdict rests on what the fonts say about their glyphs (`crate::text`'s evidence:
//! unmapped glyphs, maps to private-use or control codes, maps contradicting the font's
//! encoding, letters scattered over unrelated scripts), and on what the page paints where
//! it has no text. It never judges the text's shape: code listings, tables of identifiers
//! and camel-case names are clean text that a shape test (vowel share, case flips inside
//! words) took for garbage on 23 pages of a LaTeX manual.

use lopdf::{Document, ObjectId};

use conductor_plugin_sdk::extractor::OcrReason;

use crate::text::evidence::is_bad;

/// Below this many non-whitespace characters a page that paints images or many paths is
/// taken for a scan or for text drawn as outlines (a page number or stray mark survives).
const FEW_CHARS: u32 = 10;
/// Path-painting operators beyond which a page is "drawing a lot", e.g. glyph outlines.
const MANY_PATHS: u32 = 20;

/// What the page's own content stream paints besides text.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Painting {
    /// `Do` (images and forms) and inline images.
    pub xobjects: u32,
    /// Fill and stroke operators.
    pub paths: u32,
}

impl Painting {
    fn anything(self) -> bool {
        self.xobjects > 0 || self.paths > 0
    }

    fn a_lot(self) -> bool {
        self.xobjects > 0 || self.paths >= MANY_PATHS
    }
}

/// Counts painting operators in the page's content streams. Each stream is read on its
/// own so that one damaged stream (common in truncated scans) does not hide the others.
pub fn painting(doc: &Document, page: ObjectId) -> Painting {
    let mut bytes = Vec::new();
    for id in doc.get_page_contents(page) {
        let Ok(stream) = doc.get_object(id).and_then(|o| o.as_stream()) else {
            continue;
        };
        let content = if stream.dict.has(b"Filter") {
            crate::streams::decode(stream).ok()
        } else {
            Some(stream.content.clone())
        };
        if let Some(content) = content {
            bytes.extend_from_slice(&content);
            bytes.push(b'\n');
        }
    }
    count_ops(&bytes)
}

/// Counts painting operators with a minimal scanner: comments, strings, hex strings,
/// names and inline-image data are skipped, so text in them is never taken for an
/// operator. Tolerant of anything; it only has to count, not to interpret.
fn count_ops(bytes: &[u8]) -> Painting {
    let mut p = Painting::default();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => i = skip_while(bytes, i, |c| c != b'\n' && c != b'\r'),
            b'(' => i = skip_string(bytes, i),
            b'<' if bytes.get(i + 1) != Some(&b'<') => i = skip_while(bytes, i, |c| c != b'>'),
            b'/' => i = skip_while(bytes, i + 1, is_regular),
            _ if is_regular(b) => {
                let end = skip_while(bytes, i, is_regular);
                match &bytes[i..end] {
                    b"Do" | b"sh" => p.xobjects += 1,
                    b"BI" => {
                        p.xobjects += 1;
                        // Binary image data runs from ID to the EI operator.
                        i = find_from(bytes, end, b"EI").map_or(bytes.len(), |at| at + 2);
                        continue;
                    }
                    b"f" | b"F" | b"f*" | b"B" | b"B*" | b"b" | b"b*" | b"S" | b"s" => p.paths += 1,
                    _ => {}
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    p
}

fn is_regular(b: u8) -> bool {
    !b.is_ascii_whitespace() && !b"()<>[]{}/%".contains(&b)
}

fn skip_while(bytes: &[u8], from: usize, keep: impl Fn(u8) -> bool) -> usize {
    from + bytes
        .get(from..)
        .map_or(0, |rest| rest.iter().take_while(|&&c| keep(c)).count())
}

/// Skips a literal string with nested parentheses and backslash escapes.
fn skip_string(bytes: &[u8], from: usize) -> usize {
    let mut depth = 0u32;
    let mut i = from;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' => i += 1,
            b'(' => depth += 1,
            b')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

fn find_from(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|at| from + at)
}

/// Decides whether a page needs OCR from its text, its glyph count and how many of the
/// glyphs have a Unicode value the font maps give no reason to trust (`suspect`: for our
/// engine `PageText::suspect`, for pdf-extract's reading its unmapped glyphs). `painting`
/// is only consulted when the text is too thin to speak for itself, because decoding the
/// content stream again costs time.
pub fn assess(
    text: &str,
    glyphs: u32,
    suspect: u32,
    painting: impl FnOnce() -> Painting,
) -> Option<OcrReason> {
    let chars =
        u32::try_from(text.chars().filter(|c| !c.is_whitespace()).count()).unwrap_or(u32::MAX);
    // Checked first: a page of glyphs without Unicode values has little text too, and
    // "garbled" tells the caller that the page does carry a (useless) text layer.
    if mostly_suspect(chars, glyphs, suspect) {
        return Some(OcrReason::GarbledText);
    }
    if glyphs == 0 || chars < FEW_CHARS {
        let p = painting();
        // A page painting nothing at all is blank: OCR would find nothing either.
        let no_text = if glyphs == 0 { p.anything() } else { p.a_lot() };
        if no_text {
            return Some(OcrReason::NoTextLayer);
        }
    }
    None
}

fn ratio(part: u32, whole: u32) -> f64 {
    f64::from(part) / f64::from(whole.max(1))
}

/// Most glyphs are suspect; a minority is tolerated while the rest reads as plenty of
/// text (ligature and mark glyphs often map to nothing, a symbol font to private use).
fn mostly_suspect(chars: u32, glyphs: u32, suspect: u32) -> bool {
    let share = ratio(suspect, glyphs);
    suspect >= 5 && (share > 0.5 || (share > 0.25 && chars < suspect))
}

/// Character classes of a page's text, gathered in one pass.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TextStats {
    /// Non-whitespace characters.
    pub chars: u32,
    /// Alphabetic characters of any script.
    pub letters: u32,
    /// Replacement, private-use, control and unassigned-looking characters.
    pub bad: u32,
    /// Latin letters, and the vowels among them.
    pub latin: u32,
    pub latin_vowels: u32,
    /// Words (runs of 3+ letters) and those whose case flips lower-to-upper inside, as
    /// in "tSURVW"; real text has few ("iPhone", "McDonald").
    pub words: u32,
    pub odd_case_words: u32,
}

impl TextStats {
    pub fn of(text: &str) -> Self {
        Self::scan(text, true)
    }

    /// `ascii_shortcut` off sends every character through the general (Unicode) path; the
    /// test that pins the shortcut to it compares the two.
    fn scan(text: &str, ascii_shortcut: bool) -> Self {
        let mut s = Self::default();
        let mut word_len = 0u32;
        let mut word_odd = false;
        let mut prev_lower = false;
        let end_word = |s: &mut Self, len: &mut u32, odd: &mut bool| {
            if *len >= 3 {
                s.words += 1;
                s.odd_case_words += u32::from(*odd);
            }
            *len = 0;
            *odd = false;
        };
        for c in text.chars() {
            if let Ok(b) = u8::try_from(c)
                && b.is_ascii()
                && ascii_shortcut
            {
                // ASCII, most of any page: the same tests as below without the Unicode
                // tables (every ASCII letter is its own Latin base letter, and the only bad
                // ASCII characters are the controls that are not whitespace).
                if matches!(b, b'\t'..=b'\r' | b' ') {
                    end_word(&mut s, &mut word_len, &mut word_odd);
                    prev_lower = false;
                    continue;
                }
                s.chars += 1;
                if b.is_ascii_control() {
                    s.bad += 1;
                }
                if b.is_ascii_alphabetic() {
                    s.letters += 1;
                    s.latin += 1;
                    s.latin_vowels += u32::from(matches!(
                        b.to_ascii_lowercase(),
                        b'a' | b'e' | b'i' | b'o' | b'u' | b'y'
                    ));
                    if prev_lower && b.is_ascii_uppercase() {
                        word_odd = true;
                    }
                    prev_lower = b.is_ascii_lowercase();
                    word_len += 1;
                } else {
                    end_word(&mut s, &mut word_len, &mut word_odd);
                    prev_lower = false;
                }
                continue;
            }
            if c.is_whitespace() {
                end_word(&mut s, &mut word_len, &mut word_odd);
                prev_lower = false;
                continue;
            }
            s.chars += 1;
            if is_bad(c) {
                s.bad += 1;
            }
            if c.is_alphabetic() {
                s.letters += 1;
                if let Some(base) = latin_base(c) {
                    s.latin += 1;
                    s.latin_vowels += u32::from(matches!(base, 'a' | 'e' | 'i' | 'o' | 'u' | 'y'));
                }
                if prev_lower && c.is_uppercase() {
                    word_odd = true;
                }
                prev_lower = c.is_lowercase();
                word_len += 1;
            } else {
                end_word(&mut s, &mut word_len, &mut word_odd);
                prev_lower = false;
            }
        }
        end_word(&mut s, &mut word_len, &mut word_odd);
        s
    }
}

impl TextStats {
    /// Whether text reads as garbage by its shape: many bad characters, Latin without
    /// vowels or with case flipping inside words (a font map that shifts codes, glyph ids
    /// read as characters). Not the page verdict, which never judges shape: pdf-extract's
    /// reading must pass this too, because its Unicode for codes our engine could not map
    /// is a guess with no font-map evidence behind it.
    pub fn looks_garbled(&self) -> bool {
        is_garbled(self)
    }
}

fn is_garbled(s: &TextStats) -> bool {
    if s.chars >= 5 && ratio(s.bad, s.chars) > 0.2 {
        return true;
    }
    // Latin text without vowels, or with case flipping inside words, is a font map that
    // shifts codes (glyph ids read as characters).
    if s.latin >= 15 && ratio(s.latin_vowels, s.latin) < 0.12 {
        return true;
    }
    s.words >= 3 && ratio(s.odd_case_words, s.words) > 0.34
}

/// The base letter of a Latin letter (ASCII or a common accented form), lower-cased.
fn latin_base(c: char) -> Option<char> {
    let lower = c.to_lowercase().next().unwrap_or(c);
    if lower.is_ascii_lowercase() {
        return Some(lower);
    }
    let base = match lower {
        'à'..='å' | 'ā' | 'ă' | 'ą' => 'a',
        'è'..='ë' | 'ē' | 'ė' | 'ę' | 'ě' => 'e',
        'ì'..='ï' | 'ī' | 'į' | 'ı' => 'i',
        'ò'..='ö' | 'ø' | 'ō' | 'ő' => 'o',
        'ù'..='ü' | 'ū' | 'ů' | 'ű' | 'ų' => 'u',
        'ý' | 'ÿ' => 'y',
        // Other Latin-1 Supplement / Latin Extended-A letters count as consonants.
        '\u{00C0}'..='\u{024F}' => 'b',
        _ => return None,
    };
    Some(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE: fn() -> Painting = Painting::default;
    fn scan() -> Painting {
        Painting {
            xobjects: 1,
            paths: 0,
        }
    }

    #[test]
    fn no_glyphs_with_image_needs_ocr_blank_page_does_not() {
        assert_eq!(assess("", 0, 0, scan), Some(OcrReason::NoTextLayer));
        assert_eq!(assess("", 0, 0, NONE), None);
    }

    #[test]
    fn few_chars_over_an_image_needs_ocr() {
        assert_eq!(assess("p. 3", 3, 0, scan), Some(OcrReason::NoTextLayer));
        assert_eq!(assess("p. 3", 3, 0, NONE), None);
    }

    #[test]
    fn suspect_glyphs_make_a_page_garbled() {
        assert_eq!(
            assess("abc def ghi jkl", 40, 30, NONE),
            Some(OcrReason::GarbledText)
        );
        assert_eq!(assess("", 751, 751, scan), Some(OcrReason::GarbledText));
        // Arabic whose mark glyphs map to nothing: the rest is plenty of text.
        assert_eq!(assess("حَبيبي habibi حَبيبي", 13, 6, NONE), None);
        let pua = "\u{E001}\u{E002}\u{E003} \u{E004}\u{E005}\u{E006} ok";
        assert_eq!(assess(pua, 8, 6, NONE), Some(OcrReason::GarbledText));
    }

    /// Text shape is no evidence: pages of camel-case code and of vowel-less tables whose
    /// fonts map every glyph are clean (both were once judged garbled by their shape).
    #[test]
    fn odd_looking_text_from_sound_fonts_is_clean() {
        for text in [
            "intExpr '*' doubleExpr { $$ = exec('*', d($1), $3); } doubleExpr: intExpr",
            "getValue setValue toString hashCode isEmpty addAll removeIf forEach",
            "RPV CC HR TBD PDF XML HTTP SQL CSS PHP NYC DC BLVD ST RD",
            "0x7ffd 0x1f3c RDX RCX RSP RBP XMM0 XMM1 mov lea cmp jnz",
        ] {
            let n = u32::try_from(text.chars().count()).unwrap_or(0);
            assert_eq!(assess(text, n, 0, NONE), None, "{text}");
        }
        // The same shapes with their fonts' maps untrusted are garbled.
        assert_eq!(
            assess("RPV CC HR TBD PDF XML", 21, 18, NONE),
            Some(OcrReason::GarbledText)
        );
    }

    /// The verdict on a whole generated page: Helvetica (WinAnsi) drawing `content`, with a
    /// ToUnicode map of `pairs` when there are any.
    fn verdict(content: &[u8], pairs: &[(u8, &str)]) -> (String, Option<OcrReason>) {
        use lopdf::dictionary;
        let (mut doc, page) = crate::testutil::one_page(
            content,
            dictionary! {
                "Type" => "Font",
                "Subtype" => "Type1",
                "BaseFont" => "Helvetica",
                "Encoding" => "WinAnsiEncoding",
            },
        );
        if !pairs.is_empty() {
            crate::testutil::set_to_unicode(&mut doc, pairs);
        }
        let bytes = crate::testutil::save(doc, page);
        match crate::extract_document(&bytes, &crate::Options::default()) {
            Ok(d) => (d.pages[0].text.clone(), d.pages[0].ocr),
            Err(e) => (format!("{e:?}"), Some(OcrReason::NoTextLayer)),
        }
    }

    /// A code listing and a table of abbreviations, as the LaTeX manual's false verdicts
    /// had them: every glyph mapped by the font's encoding, so clean.
    #[test]
    fn code_listing_and_table_pages_are_clean() {
        let (text, ocr) = verdict(
            b"BT /F1 10 Tf 72 700 Td (intExpr '*' doubleExpr) Tj 0 -12 Td \
              ({ $$ = exec\\('*', d\\($1\\), $3\\); }) Tj 0 -12 Td \
              (doubleExpr: intExpr | getValue toString hashCode) Tj 0 -12 Td \
              (RPV CC HR TBD XML HTTP SQL CSS PHP NYC BLVD) Tj ET",
            &[],
        );
        assert_eq!(
            text,
            "intExpr '*' doubleExpr\n{ $$ = exec('*', d($1), $3); }\n\
             doubleExpr: intExpr | getValue toString hashCode\n\
             RPV CC HR TBD XML HTTP SQL CSS PHP NYC BLVD"
        );
        assert_eq!(ocr, None);
    }

    const LINE: &[u8] = b"BT /F1 12 Tf 72 700 Td (The council approved the budget) Tj ET";

    /// Latin letters mapped by ToUnicode to each of `targets` in turn.
    fn letters_to(targets: &[&'static str]) -> Vec<(u8, &'static str)> {
        (b'A'..=b'Z')
            .chain(b'a'..=b'z')
            .zip(targets.iter().cycle())
            .map(|(code, t)| (code, *t))
            .collect()
    }

    #[test]
    fn maps_to_private_use_or_controls_are_garbled() {
        let (text, ocr) = verdict(LINE, &letters_to(&["\u{E000}", "\u{E01A}", "\u{F8FF}"]));
        assert!(text.contains('\u{E000}'), "{text:?}");
        assert_eq!(ocr, Some(OcrReason::GarbledText));
        // Control characters vanish from the text; the glyphs still count.
        let (text, ocr) = verdict(LINE, &letters_to(&["\u{1}", "\u{2}", "\u{1F}"]));
        assert_eq!(text.trim(), "");
        assert_eq!(ocr, Some(OcrReason::GarbledText));
    }

    /// WinAnsi says the codes are Latin letters; the ToUnicode map says ideographs. The
    /// text "looks" like Chinese, but the font contradicts itself.
    #[test]
    fn latin_glyphs_mapped_to_random_cjk_are_garbled() {
        let (text, ocr) = verdict(
            LINE,
            &letters_to(&["\u{9F98}", "\u{4E2D}", "\u{7E41}", "\u{5B57}"]),
        );
        assert!(text.contains('\u{4E2D}'), "{text:?}");
        assert_eq!(ocr, Some(OcrReason::GarbledText));
    }

    /// Letters of one font scattered over Han, Arabic, Cyrillic and Devanagari.
    #[test]
    fn a_font_scattered_over_scripts_is_garbled() {
        let (text, ocr) = verdict(
            b"BT /F1 12 Tf 72 700 Td (\\200\\201\\202\\203\\204\\205\\206\\207\\210\\211\\212\\213) Tj ET",
            &[
                (0x80, "\u{4E2D}"),
                (0x81, "\u{0645}"),
                (0x82, "\u{0416}"),
                (0x83, "\u{0915}"),
                (0x84, "\u{5B57}"),
                (0x85, "\u{0631}"),
                (0x86, "\u{0414}"),
                (0x87, "\u{0916}"),
                (0x88, "\u{7E41}"),
                (0x89, "\u{062D}"),
                (0x8A, "\u{0411}"),
                (0x8B, "\u{0917}"),
            ],
        );
        assert_eq!(
            text.chars().filter(|c| !c.is_whitespace()).count(),
            12,
            "{text:?}"
        );
        assert_eq!(ocr, Some(OcrReason::GarbledText));
    }

    /// A map that agrees with the encoding, and CJK from codes the encoding does not name
    /// as letters, are trusted.
    #[test]
    fn sound_maps_are_clean() {
        let (text, ocr) = verdict(LINE, &letters_to(&["A"])[..0]);
        assert_eq!(
            (text.as_str(), ocr),
            ("The council approved the budget", None)
        );
        let (text, ocr) = verdict(
            b"BT /F1 12 Tf 72 700 Td (\\200\\201\\202\\203\\204\\205 Tokyo) Tj ET",
            &[
                (0x80, "\u{65E5}"),
                (0x81, "\u{672C}"),
                (0x82, "\u{8A9E}"),
                (0x83, "\u{30C6}"),
                (0x84, "\u{30B9}"),
                (0x85, "\u{30C8}"),
            ],
        );
        assert_eq!((text.as_str(), ocr), ("日本語テスト Tokyo", None));
    }

    #[test]
    fn painting_counts_each_readable_stream() {
        use lopdf::{Stream, dictionary};
        let mut doc = Document::new();
        let good = doc.add_object(Stream::new(
            dictionary! {},
            b"q 10 0 0 10 0 0 cm /Im1 Do Q 0 0 m 5 5 l S".to_vec(),
        ));
        let broken = doc.add_object(Stream::new(
            dictionary! { "Filter" => "FlateDecode" },
            b"not zlib".to_vec(),
        ));
        let page = doc.add_object(
            dictionary! { "Type" => "Page", "Contents" => vec![broken.into(), good.into()] },
        );
        assert_eq!(
            painting(&doc, page),
            Painting {
                xobjects: 1,
                paths: 1
            }
        );
    }

    #[test]
    fn scanner_skips_comments_strings_names_and_image_data() {
        let content = b"% Do S f\n(Do \\) S (f)) Tj <446F> Tj /S gs /Do Do\nBI /W 1 ID \x00Do S\x01 EI 0 0 m f*";
        assert_eq!(
            count_ops(content),
            Painting {
                xobjects: 2,
                paths: 1
            }
        );
    }

    /// The ASCII shortcut in `TextStats::of` counts exactly as the general path does.
    #[test]
    fn ascii_stats_match_general_ones() {
        let all: String = (0u8..=127).map(char::from).collect();
        for text in [
            all.as_str(),
            "McDonald iPhone PowerPoint abc DEF gHi\x0b\x1c\x7f x \u{E000}",
            "Łódź ascii MIXED wOrd",
        ] {
            assert_eq!(
                TextStats::scan(text, true),
                TextStats::scan(text, false),
                "{text:?}"
            );
        }
    }

    #[test]
    fn real_text_is_fine() {
        for text in [
            "CITY COUNCIL REGULAR MEETING AGENDA Tuesday, April 19, 2016 at 7:00 PM",
            "Approve the minutes of the McDonald and iPhone discussion, PowerPoint attached.",
            "Faktura VAT nr 12/2016 Łódź, ul. Piotrkowska 1, zapłata przelewem",
            "会議の議題 日本語テスト",
            "RPV CC HR 2023-24 TBD",
        ] {
            let n = u32::try_from(text.chars().count()).unwrap_or(0);
            assert_eq!(assess(text, n, 0, NONE), None, "{text}");
        }
    }
}
