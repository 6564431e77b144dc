//! Simple-font encodings: the standard base encodings and glyph-name -> Unicode lookup.
//!
//! The tables themselves (WinAnsi, MacRoman, Standard, MacExpert and the Adobe Glyph List)
//! come from lopdf, which keeps them in a private module; they are reached through its
//! public `Dictionary::get_font_encoding` on small synthetic font dictionaries.

use std::collections::HashMap;

use lopdf::{Dictionary, Document, Encoding, Object};

/// A code -> Unicode table for one-byte codes.
pub type CodeTable = Vec<Option<char>>;

/// Caches lookups that go through lopdf (each builds a small dictionary).
#[derive(Default)]
pub struct Names {
    glyphs: foldhash::HashMap<Vec<u8>, Option<String>>,
    bases: HashMap<Vec<u8>, CodeTable>,
    /// The font dictionary that glyph-list lookups go through, built once: building and
    /// dropping one per name cost more than lopdf's lookup in it (a document of TeX math
    /// fonts looks up a thousand names, half of them not in the list).
    probe: Option<Dictionary>,
}

fn synthetic_font(encoding: Object) -> Dictionary {
    let mut font = Dictionary::new();
    font.set("Type", Object::Name(b"Font".to_vec()));
    font.set("Encoding", encoding);
    font
}

impl Names {
    /// The table of a named base encoding (`WinAnsiEncoding`, ...), or `None` for a name
    /// that is not a standard simple-font encoding.
    pub fn base_table(&mut self, doc: &Document, name: &[u8]) -> Option<CodeTable> {
        if !matches!(
            name,
            b"WinAnsiEncoding" | b"MacRomanEncoding" | b"StandardEncoding" | b"MacExpertEncoding"
        ) {
            return None;
        }
        if let Some(t) = self.bases.get(name) {
            return Some(t.clone());
        }
        let font = synthetic_font(Object::Name(name.to_vec()));
        let table: CodeTable = match font.get_font_encoding(doc) {
            Ok(enc @ Encoding::OneByteEncoding(_)) => (0..=255u8)
                .map(|b| {
                    enc.bytes_to_string(&[b])
                        .ok()
                        .and_then(|s| s.chars().next())
                })
                .collect(),
            _ => return None,
        };
        self.bases.insert(name.to_vec(), table.clone());
        Some(table)
    }

    /// Unicode text for a glyph name, following the Adobe Glyph List specification:
    /// suffixes after `.` are dropped, `_` joins ligature components, and `uniXXXX` /
    /// `uXXXX[XX]` spell code points directly.
    pub fn glyph(&mut self, doc: &Document, name: &[u8]) -> Option<String> {
        if let Some(hit) = self.glyphs.get(name) {
            return hit.clone();
        }
        let result = self.resolve(doc, name);
        if self.glyphs.len() < 10_000 {
            self.glyphs.insert(name.to_vec(), result.clone());
        }
        result
    }

    fn resolve(&mut self, doc: &Document, name: &[u8]) -> Option<String> {
        let base = name.split(|&b| b == b'.').next().unwrap_or(name);
        if base.is_empty() {
            return None;
        }
        let mut out = String::new();
        for part in base.split(|&b| b == b'_') {
            out.push_str(&self.component(doc, part)?);
        }
        Some(out)
    }

    fn component(&mut self, doc: &Document, part: &[u8]) -> Option<String> {
        if let Some(s) = direct(part) {
            return Some(s);
        }
        match self.agl(doc, part) {
            Some(c) => Some(c.to_string()),
            None => tex_name(part).or_else(|| extra_glyph(part)),
        }
    }

    /// Looks a name up in lopdf's Adobe Glyph List: a one-entry `/Differences` read by
    /// `get_font_encoding`, the only public way to it.
    fn agl(&mut self, doc: &Document, name: &[u8]) -> Option<char> {
        let font = self.probe.get_or_insert_with(|| {
            let mut enc = Dictionary::new();
            enc.set("Type", Object::Name(b"Encoding".to_vec()));
            enc.set(
                "Differences",
                Object::Array(vec![Object::Integer(0), Object::Name(Vec::new())]),
            );
            synthetic_font(Object::Dictionary(enc))
        });
        let slot = font
            .get_mut(b"Encoding")
            .and_then(Object::as_dict_mut)
            .and_then(|enc| enc.get_mut(b"Differences"))
            .and_then(Object::as_array_mut)
            .ok()
            .and_then(|d| d.get_mut(1));
        let Some(Object::Name(slot)) = slot else {
            return None;
        };
        slot.clear();
        slot.extend_from_slice(name);
        match font.get_font_encoding(doc) {
            Ok(Encoding::Differences(d)) => d
                .map
                .get(&0)
                .and_then(|g| char::from_u32(u32::from(g.utf16_code_unit()))),
            _ => None,
        }
    }
}

fn hex_chars(hex: &[u8]) -> Option<u32> {
    if hex.is_empty() || !hex.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
}

/// A glyph name that spells its code points: `uniXXXX[XXXX...]`, `uXXXX[XX]`.
fn direct(part: &[u8]) -> Option<String> {
    if let Some(hex) = part.strip_prefix(b"uni")
        && hex.len() >= 4
        && hex.len() % 4 == 0
        && let Some(units) = hex
            .chunks(4)
            .map(|c| hex_chars(c).and_then(|v| u16::try_from(v).ok()))
            .collect::<Option<Vec<u16>>>()
    {
        return Some(super::cmap::utf16_to_string(&units));
    }
    if let Some(hex) = part.strip_prefix(b"u")
        && (4..=6).contains(&hex.len())
        && let Some(c) = hex_chars(hex).and_then(char::from_u32)
    {
        return Some(c.to_string());
    }
    None
}

/// Common names outside the glyph list, mostly from TeX and font editors.
fn tex_name(part: &[u8]) -> Option<String> {
    let s = match part {
        b"ff" => "ff",
        b"fi" => "fi",
        b"fl" => "fl",
        b"ffi" => "ffi",
        b"ffl" => "ffl",
        b"st" | b"s_t" => "st",
        b"dotlessj" => "\u{237}",
        b"nbspace" | b"nonbreakingspace" => " ",
        _ => return None,
    };
    Some(s.to_string())
}

/// A name from TeX fonts, font editors or PDFBox's list that the Adobe Glyph List lacks
/// (`parenleftbig`, `summationdisplay`): see [`super::glyphlist`].
fn extra_glyph(part: &[u8]) -> Option<String> {
    let table = super::glyphlist::EXTRA_GLYPHS;
    table
        .binary_search_by(|(name, _)| name.as_bytes().cmp(part))
        .ok()
        .map(|i| table[i].1.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_glyph_names() {
        let doc = Document::new();
        let mut names = Names::default();
        let mut g = |n: &str| names.glyph(&doc, n.as_bytes());
        assert_eq!(g("A").as_deref(), Some("A"));
        assert_eq!(g("eacute").as_deref(), Some("é"));
        assert_eq!(g("uni0041").as_deref(), Some("A"));
        assert_eq!(g("uni00410042").as_deref(), Some("AB"));
        assert_eq!(g("u1F600").as_deref(), Some("\u{1F600}"));
        assert_eq!(g("f_f_i").as_deref(), Some("ffi"));
        assert_eq!(g("a.sc").as_deref(), Some("a"));
        // TeX names outside the glyph list, from the extra table.
        assert_eq!(g("parenleftbig").as_deref(), Some("("));
        assert_eq!(g("summationdisplay").as_deref(), Some("\u{2211}"));
        assert_eq!(g("g123"), None);
        assert_eq!(g(".notdef"), None);
    }

    #[test]
    fn extra_glyph_table_is_sorted_for_binary_search() {
        let table = super::super::glyphlist::EXTRA_GLYPHS;
        assert!(table.len() > 300);
        assert!(
            table
                .windows(2)
                .all(|w| w[0].0.as_bytes() < w[1].0.as_bytes())
        );
    }

    #[test]
    fn builds_base_tables() {
        let doc = Document::new();
        let mut names = Names::default();
        let win = names
            .base_table(&doc, b"WinAnsiEncoding")
            .unwrap_or_default();
        assert_eq!(win.len(), 256);
        assert_eq!(win[0x41], Some('A'));
        assert_eq!(win[0x93], Some('\u{201C}'));
        let mac = names
            .base_table(&doc, b"MacRomanEncoding")
            .unwrap_or_default();
        assert_eq!(mac[0x8e], Some('é'));
        assert!(names.base_table(&doc, b"Bogus").is_none());
    }
}
