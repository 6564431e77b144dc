//! Advance widths of the 14 standard fonts, from Adobe's Core14 AFM files (generated into
//! `data/tables.bin` by `tables_gen.rs`), for simple fonts that come without `/Widths`:
//! the standard 14 themselves (which PDF lets a writer leave unembedded and unmeasured) and
//! any other font without widths, measured as the standard font closest to its name.

use std::cell::RefCell;
use std::rc::Rc;

use super::tables::{Reader, Slots, memo, section};

/// The standard 14, as their AFM files name them.
pub const FONTS: [&str; 14] = [
    "Courier",
    "Courier-Bold",
    "Courier-BoldOblique",
    "Courier-Oblique",
    "Helvetica",
    "Helvetica-Bold",
    "Helvetica-BoldOblique",
    "Helvetica-Oblique",
    "Symbol",
    "Times-Bold",
    "Times-BoldItalic",
    "Times-Italic",
    "Times-Roman",
    "ZapfDingbats",
];

/// One standard font's widths.
#[derive(Debug)]
pub struct StdWidths {
    /// Whether the keys are the font's own codes (Symbol and ZapfDingbats, whose glyphs
    /// are not text) rather than Unicode scalar values.
    pub by_code: bool,
    /// `(key, width in 1/1000 em)` sorted by key.
    widths: Vec<(u32, u16)>,
    /// Width of a character the font lacks: its `n`, a typical lower-case width.
    fallback: f64,
}

impl StdWidths {
    /// The widths of the standard font that stands in for the font called `base_font`,
    /// decoded once per thread (per document in the component) and shared by every font
    /// measured with them.
    pub fn for_font(base_font: &str) -> Option<Rc<StdWidths>> {
        thread_local! {
            static LOADED: Slots<StdWidths, 14> = RefCell::default();
        }
        let name = standard_name(base_font);
        let index = FONTS.iter().position(|f| *f == name)?;
        memo(&LOADED, index, || Self::load(name))
    }

    /// The widths of one of [`FONTS`].
    pub fn load(name: &str) -> Option<StdWidths> {
        let data = section(&format!("afm/{name}"))?;
        let mut r = Reader::new(&data);
        let by_code = r.byte()? != 0;
        let count = r.varint()?;
        let mut widths = Vec::with_capacity(count.min(1024) as usize);
        let mut key = 0u32;
        for _ in 0..count {
            key = key.checked_add(r.varint()?)?;
            widths.push((key, u16::try_from(r.varint()?).ok()?));
        }
        let mut out = StdWidths {
            by_code,
            widths,
            fallback: 0.5,
        };
        out.fallback = out.get(u32::from('n')).unwrap_or(0.5);
        Some(out)
    }

    fn get(&self, key: u32) -> Option<f64> {
        let i = self.widths.binary_search_by_key(&key, |e| e.0).ok()?;
        Some(f64::from(self.widths[i].1) / 1000.0)
    }

    /// Advance width per unit of font size of the glyph for `code` showing `ch`.
    pub fn width(&self, code: u8, ch: Option<char>) -> f64 {
        let key = if self.by_code {
            Some(u32::from(code))
        } else {
            ch.map(u32::from)
        };
        key.and_then(|k| self.get(k)).unwrap_or(self.fallback)
    }
}

/// Which of [`FONTS`] a font named `base_font` is, or is closest to: the standard names and
/// their common aliases (`Arial,Bold`, `TimesNewRomanPS-ItalicMT`, `CourierNew`) by family
/// and style, and any other font by the family its name suggests.
pub fn standard_name(base_font: &str) -> &'static str {
    // A subset tag (`ABCDEF+`) is not part of the name.
    let name = base_font.rsplit('+').next().unwrap_or("");
    if let Some(exact) = FONTS.iter().find(|f| **f == name) {
        return exact;
    }
    let lower = name.to_ascii_lowercase();
    if lower.starts_with("symbol") {
        return "Symbol";
    }
    if lower.starts_with("zapfdingbats") || lower.starts_with("dingbats") {
        return "ZapfDingbats";
    }
    let bold = ["bold", "black", "heavy", "semibold", "demi"]
        .iter()
        .any(|w| lower.contains(w));
    let italic = lower.contains("italic") || lower.contains("oblique");
    let style = usize::from(bold) * 2 + usize::from(italic);
    if lower.contains("courier") || lower.contains("mono") {
        [
            "Courier",
            "Courier-Oblique",
            "Courier-Bold",
            "Courier-BoldOblique",
        ][style]
    } else if lower.contains("times") || lower.contains("serif") && !lower.contains("sans") {
        [
            "Times-Roman",
            "Times-Italic",
            "Times-Bold",
            "Times-BoldItalic",
        ][style]
    } else {
        [
            "Helvetica",
            "Helvetica-Oblique",
            "Helvetica-Bold",
            "Helvetica-BoldOblique",
        ][style]
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use lopdf::{Dictionary, dictionary};

    use super::*;
    use crate::testutil::one_page;
    use crate::text::extract_page_text;

    /// A standard font as old writers put it: not embedded, no `/Widths`.
    fn bare(base_font: &str) -> Dictionary {
        dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => base_font }
    }

    fn text_of(content: &str, font: Dictionary) -> String {
        let (doc, page) = one_page(content.as_bytes(), font);
        extract_page_text(&doc, page).expect("page").text
    }

    /// Words placed one by one at the positions their writer measured with the real
    /// metrics (hand-summed from the AFM files): a width estimate that is off by a
    /// fraction of an em glues words or splits them.
    #[test]
    fn word_positions_from_afm_widths() {
        // Times-Roman at 12 pt. "SPELL" is S 556 + P 556 + E 611 + L 611 + L 611 = 2945
        // units and a space 250, so "CHECK" starts 3195 * 12 / 1000 = 38.34 pt later; the
        // capitals are narrower than a generic estimate, which would run "SPELL" into it.
        // "FIRST" = F 556 + I 333 + R 667 + S 556 + T 611 = 2723, + 250 -> 35.676 pt.
        let times = text_of(
            "BT /F1 12 Tf 72 700 Td (SPELL) Tj 38.34 0 Td (CHECK) Tj \
             0 -20 Td -38.34 0 Td (FIRST) Tj 35.676 0 Td (PASS) Tj ET",
            bare("Times-Roman"),
        );
        assert_eq!(times, "SPELL CHECK\nFIRST PASS");
        // Helvetica at 12 pt, an address drawn in two pieces with no space between them:
        // "Email: clerk@" is E 667 + m 833 + a 556 + i 222 + l 222 + : 278 + space 278 +
        // c 500 + l 222 + e 556 + r 333 + k 500 + @ 1015 = 6182 units = 74.184 pt. An
        // estimate that takes "@" for an average glyph leaves a gap that reads as a space.
        let helvetica = text_of(
            "BT /F1 12 Tf 72 700 Td (Email: clerk@) Tj 74.184 0 Td (city.gov) Tj \
             0 -20 Td -74.184 0 Td (10%) Tj 24.012 0 Td (-15%) Tj ET",
            bare("Helvetica"),
        );
        // Likewise a range drawn in two pieces: "10%" = 2 * 556 + % 889 = 2001 units =
        // 24.012 pt, and "-15%" starts right there.
        assert_eq!(helvetica, "Email: clerk@city.gov\n10%-15%");
        // Arial,Bold without widths is measured as Helvetica-Bold, whose "Bill" is B 722 +
        // i 278 + l 278 + l 278 = 1556 units (regular Helvetica's is 1333): at 10 pt,
        // "ing" drawn 15.56 pt on continues the word.
        let arial = text_of(
            "BT /F1 10 Tf 72 700 Td (Bill) Tj 15.56 0 Td (ing) Tj ET",
            bare("Arial,Bold"),
        );
        assert_eq!(arial, "Billing");
    }

    #[test]
    fn afm_widths_of_the_standard_fonts() {
        let helvetica = StdWidths::load("Helvetica").expect("Helvetica");
        assert!(!helvetica.by_code);
        // Values from Helvetica.afm: space 278, W 944, @ 1015, | 260, J 500, é 556.
        for (ch, w) in [(' ', 278), ('W', 944), ('@', 1015), ('|', 260), ('J', 500)] {
            assert_eq!(helvetica.width(0, Some(ch)), f64::from(w) / 1000.0, "{ch}");
        }
        assert_eq!(helvetica.width(0, Some('é')), 0.556);
        // Not in the font: the width of its `n`.
        assert_eq!(helvetica.width(0, Some('日')), 0.556);
        let times = StdWidths::load("Times-Bold").expect("Times-Bold");
        assert_eq!(times.width(0, Some('S')), 0.556);
        let courier = StdWidths::load("Courier-Oblique").expect("Courier-Oblique");
        assert_eq!(courier.width(0, Some('i')), 0.6);
        let symbol = StdWidths::load("Symbol").expect("Symbol");
        assert!(symbol.by_code);
        // Code 0x61 is alpha in the Symbol font: 631 units.
        assert_eq!(symbol.width(0x61, Some('a')), 0.631);
        assert!(StdWidths::load("Comic-Sans").is_none());
    }

    #[test]
    fn names_and_aliases() {
        for (name, std) in [
            ("Helvetica-Bold", "Helvetica-Bold"),
            ("ABCDEF+Times-Roman", "Times-Roman"),
            ("Arial", "Helvetica"),
            ("Arial,BoldItalic", "Helvetica-BoldOblique"),
            ("TimesNewRomanPS-ItalicMT", "Times-Italic"),
            ("TimesNewRoman,Bold", "Times-Bold"),
            ("CourierNewPSMT", "Courier"),
            ("DejaVuSansMono-Oblique", "Courier-Oblique"),
            ("SymbolMT", "Symbol"),
            ("Calibri", "Helvetica"),
        ] {
            assert_eq!(standard_name(name), std, "{name}");
        }
    }
}
