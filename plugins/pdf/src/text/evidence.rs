//! Font-map evidence for the OCR verdict: which glyphs' Unicode values cannot be trusted.
//!
//! A page is garbled when its fonts map glyphs to nothing or to garbage, not when its text
//! looks unusual (code listings, tables of identifiers and camel-case names read as clean
//! text). Per glyph and per font, the interpreter notes:
//! - glyphs with no Unicode value (no ToUnicode entry, no usable encoding);
//! - glyphs mapped to characters no text contains (private use, controls, U+FFFD,
//!   noncharacters);
//! - glyphs whose font's own encoding names a Latin letter at that code while the map gives
//!   a letter of another script family (a ToUnicode table that contradicts the encoding);
//! - fonts whose letters scatter over three or more script families at once (CJK, Arabic
//!   and Cyrillic from one font): a map to random code points, not a real font's coverage.
//!
//! The page's [`Evidence::suspect`] count is the verdict's input (`crate::quality`).

use std::rc::Rc;

use lopdf::{Dictionary, Document, Object};

use super::fonts::{dict_get, resolve};

/// Letters a font must map before the spread of its scripts is judged.
const MIN_SCRIPT_LETTERS: u32 = 10;
/// A script family holding at least this share of a font's letters counts as present.
const SCRIPT_PRESENT: f64 = 0.1;
/// Families present in one font beyond which its map is taken for random code points.
const MAX_FAMILIES: usize = 2;

/// Script families of letters; a real font covers one, or one plus Latin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    /// Latin, Greek, Cyrillic, Armenian, Georgian: fonts commonly hold them together.
    European,
    /// Hebrew, Arabic, Syriac, Thaana, NKo.
    RightToLeft,
    /// Devanagari through Sinhala.
    Indic,
    /// Thai, Lao, Tibetan, Myanmar, Khmer.
    SoutheastAsian,
    /// Han, kana, Hangul, Bopomofo and their compatibility blocks.
    EastAsian,
    Other,
}

const FAMILIES: usize = 6;

fn family(c: char) -> Family {
    match u32::from(c) {
        0..=0x058F
        | 0x10A0..=0x10FF
        | 0x1D00..=0x1FFF
        | 0x2C00..=0x2C7F
        | 0xA640..=0xA69F
        | 0xA720..=0xA7FF
        | 0xFB00..=0xFB17
        | 0xFF21..=0xFF5A => Family::European,
        0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF => Family::RightToLeft,
        0x0900..=0x0DFF => Family::Indic,
        0x0E00..=0x109F | 0x1780..=0x17FF => Family::SoutheastAsian,
        0x1100..=0x11FF
        | 0x2E80..=0x2FDF
        | 0x3000..=0x9FFF
        | 0xA960..=0xA97F
        | 0xAC00..=0xD7FF
        | 0xF900..=0xFAFF
        | 0xFF66..=0xFFDC
        | 0x20000..=0x3FFFF => Family::EastAsian,
        _ => Family::Other,
    }
}

/// Characters that never appear in real extracted text.
pub fn is_bad(c: char) -> bool {
    let u = u32::from(c);
    c == '\u{FFFD}'
        || (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        || (0xE000..=0xF8FF).contains(&u)
        || u >= 0xF0000
        || (0xFDD0..=0xFDEF).contains(&u)
        || (u & 0xFFFE) == 0xFFFE
}

/// The Latin letter a simple font's encoding puts at each one-byte code, where it says so
/// explicitly: a standard base encoding (whose letters all sit at their ASCII codes) or a
/// `/Differences` name of one letter. Fonts without an explicit encoding (built-in or
/// symbolic ones) and composite fonts claim nothing.
pub fn encoding_claims(doc: &Document, font: &Dictionary) -> Option<Rc<[u8; 256]>> {
    if dict_get(doc, font, b"Subtype").as_name().ok() == Some(b"Type0") {
        return None;
    }
    let standard = |name: &[u8]| {
        matches!(
            name,
            b"WinAnsiEncoding" | b"MacRomanEncoding" | b"StandardEncoding" | b"PDFDocEncoding"
        )
    };
    let mut claims = [0u8; 256];
    let ascii_letters = |claims: &mut [u8; 256]| {
        for b in (b'A'..=b'Z').chain(b'a'..=b'z') {
            claims[usize::from(b)] = b;
        }
    };
    match dict_get(doc, font, b"Encoding") {
        Object::Name(name) if standard(name) => ascii_letters(&mut claims),
        Object::Dictionary(enc) => {
            if dict_get(doc, enc, b"BaseEncoding")
                .as_name()
                .is_ok_and(standard)
            {
                ascii_letters(&mut claims);
            }
            if let Object::Array(diffs) = dict_get(doc, enc, b"Differences") {
                let mut code: i64 = 0;
                for item in diffs {
                    match resolve(doc, item) {
                        Object::Integer(n) => code = *n,
                        Object::Name(name) => {
                            if let Ok(i) = usize::try_from(code)
                                && let Some(slot) = claims.get_mut(i)
                            {
                                *slot = match name.as_slice() {
                                    [b] if b.is_ascii_alphabetic() => *b,
                                    _ => 0,
                                };
                            }
                            code += 1;
                        }
                        _ => {}
                    }
                }
            }
        }
        _ => return None,
    }
    claims.iter().any(|&b| b != 0).then(|| Rc::new(claims))
}

/// One font's glyphs on a page.
#[derive(Debug, Default, Clone)]
pub struct FontTally {
    glyphs: u32,
    /// Glyphs with no Unicode value.
    unmapped: u32,
    /// Glyphs mapped to several bytes of text (not one ASCII character).
    wide: u32,
    /// Glyphs mapped to nothing but [`is_bad`] characters, or contradicting the font's
    /// encoding.
    suspect: u32,
    /// Letters of `wide` glyphs by script family; the glyphs of one ASCII character
    /// (nearly all) count as European.
    letters: [u32; FAMILIES],
}

impl FontTally {
    /// Letters spread over more script families than one font holds.
    fn scattered(&self) -> bool {
        let ascii = self
            .glyphs
            .saturating_sub(self.unmapped)
            .saturating_sub(self.wide);
        let mut letters = self.letters;
        letters[Family::European as usize] =
            letters[Family::European as usize].saturating_add(ascii);
        let total = letters.iter().fold(0u32, |a, &n| a.saturating_add(n));
        if total < MIN_SCRIPT_LETTERS {
            return false;
        }
        let present = letters
            .iter()
            .filter(|&&n| f64::from(n) >= SCRIPT_PRESENT * f64::from(total))
            .count();
        present > MAX_FAMILIES
    }
}

impl FontTally {
    /// Notes one glyph: its `code` (one byte where `claims`, the font's
    /// [`encoding_claims`], apply) and the Unicode text it mapped to.
    /// Notes that a string of `n` glyphs is shown, before [`FontTally::glyph`] for each.
    pub fn shown(&mut self, n: usize) {
        self.glyphs = self
            .glyphs
            .saturating_add(u32::try_from(n).unwrap_or(u32::MAX));
    }

    /// Counts wrap rather than saturate: a page cannot draw 2^32 glyphs (its content is
    /// bounded by the memory limit), and this runs for every glyph, the engine's hottest
    /// loop: one ASCII character (nearly every glyph) costs a comparison or two.
    #[inline]
    pub fn glyph(&mut self, claims: Option<&[u8; 256]>, code: u32, text: Option<&str>) {
        let Some(text) = text else {
            self.unmapped = self.unmapped.wrapping_add(1);
            return;
        };
        match *text.as_bytes() {
            [b] if b >= 0x20 && b != 0x7f => {}
            _ => self.other(claims, code, text),
        }
    }

    /// [`FontTally::glyph`] for anything but one printable ASCII character.
    fn other(&mut self, claims: Option<&[u8; 256]>, code: u32, text: &str) {
        if let [b] = *text.as_bytes() {
            // A control character: tab, newline and return pass (some fonts map spaces so).
            self.suspect = self
                .suspect
                .wrapping_add(u32::from(!matches!(b, b'\t' | b'\n' | b'\r')));
            return;
        }
        self.wide = self.wide.wrapping_add(1);
        if text.is_empty() {
            self.suspect = self.suspect.wrapping_add(1);
            return;
        }
        if text.chars().any(is_bad) && text.chars().all(|c| is_bad(c) || c.is_whitespace()) {
            self.suspect = self.suspect.saturating_add(1);
            return;
        }
        let Some(first) = text.chars().find(|c| c.is_alphabetic()) else {
            return;
        };
        let fam = family(first);
        let claimed = claims
            .and_then(|c| c.get(usize::try_from(code).ok()?))
            .is_some_and(|&b| b != 0);
        if claimed && !matches!(fam, Family::European | Family::Other) {
            self.suspect = self.suspect.saturating_add(1);
        }
        self.letters[fam as usize] = self.letters[fam as usize].saturating_add(1);
    }
}

/// The page's tallies, one per font (keyed by the font's address while the page runs).
#[derive(Debug, Default)]
pub struct Evidence {
    fonts: foldhash::HashMap<usize, FontTally>,
    /// The tally last put back, kept out of the map: consecutive strings are mostly in
    /// one font, and then cost no lookup at all.
    current: Option<(usize, FontTally)>,
}

impl Evidence {
    /// Takes the tally of the font at address `font` out, to note a string's glyphs in it
    /// without a lookup per glyph; [`Evidence::put`] returns it.
    pub fn take(&mut self, font: usize) -> FontTally {
        match self.current.take() {
            Some((f, tally)) if f == font => tally,
            other => {
                if let Some((f, tally)) = other {
                    self.fonts.insert(f, tally);
                }
                self.fonts.remove(&font).unwrap_or_default()
            }
        }
    }

    pub fn put(&mut self, font: usize, tally: FontTally) {
        if let Some((f, old)) = self.current.replace((font, tally)) {
            self.fonts.insert(f, old);
        }
    }

    /// Glyphs of the page whose Unicode value cannot be trusted: each font's suspect
    /// glyphs, or all its glyphs where its letters scatter over unrelated scripts.
    pub fn suspect(&self) -> u32 {
        self.fonts
            .values()
            .chain(self.current.as_ref().map(|(_, t)| t))
            .map(|t| {
                if t.scattered() {
                    t.glyphs
                } else {
                    t.suspect.saturating_add(t.unmapped)
                }
            })
            .fold(0u32, u32::saturating_add)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_fall_into_families() {
        assert_eq!(family('a'), Family::European);
        assert_eq!(family('Ж'), Family::European);
        assert_eq!(family('ש'), Family::RightToLeft);
        assert_eq!(family('م'), Family::RightToLeft);
        assert_eq!(family('漢'), Family::EastAsian);
        assert_eq!(family('テ'), Family::EastAsian);
        assert_eq!(family('한'), Family::EastAsian);
        assert_eq!(family('क'), Family::Indic);
    }

    /// The suspect glyphs of one font drawing `text` a character per glyph, at codes
    /// `a`, `b`, ...
    fn tally(text: &str, claims: Option<&[u8; 256]>) -> u32 {
        let mut e = Evidence::default();
        let mut t = e.take(1);
        t.shown(text.chars().count());
        for (c, code) in text.chars().zip((b'a'..=b'z').cycle()) {
            t.glyph(claims, u32::from(code), Some(&c.to_string()));
        }
        e.put(1, t);
        e.suspect()
    }

    #[test]
    fn japanese_with_latin_is_one_font_s_coverage() {
        assert_eq!(tally("日本語のテキストとEnglish wordsです", None), 0);
    }

    #[test]
    fn letters_from_three_families_are_scattered() {
        let text = "漢字漢字漢字ЖЖЖЖЖمممممक";
        assert_eq!(tally(text, None), 17);
    }

    #[test]
    fn a_map_contradicting_the_encoding_is_suspect() {
        let mut claims = [0u8; 256];
        for b in b'a'..=b'z' {
            claims[usize::from(b)] = b;
        }
        assert_eq!(tally("漢字漢字", Some(&claims)), 4);
        assert_eq!(tally("abcd", Some(&claims)), 0);
        // Without an encoding that says otherwise, a simple font may hold CJK.
        assert_eq!(tally("漢字漢字", None), 0);
    }

    #[test]
    fn private_use_controls_and_unmapped_are_suspect() {
        let mut e = Evidence::default();
        let mut t = e.take(1);
        t.shown(6);
        t.glyph(None, 1, Some("\u{E001}"));
        t.glyph(None, 2, Some("\u{3}"));
        t.glyph(None, 3, None);
        t.glyph(None, 4, Some("a"));
        t.glyph(None, 5, Some(" "));
        t.glyph(None, 6, Some("\u{E002}\u{E003}"));
        e.put(1, t);
        assert_eq!(e.suspect(), 4);
    }
}
