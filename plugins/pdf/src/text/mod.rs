//! The PDF text engine: decodes a page's content stream with lopdf objects and our own
//! font/CMap handling, then lays the glyphs out in reading order.
//!
//! This interpreter is the first engine for every page. It counts glyphs and unmapped
//! codes (the text-quality signal the caller needs), bounds the work per page, and places
//! spaces the way `pdftotext` does. pdf-extract is the second engine, and only a guarded
//! fallback (`crate::fallback`): it runs on a page this engine could not read or left with
//! many unmapped glyphs, inside a panic guard and only after a preflight has bounded what it
//! will walk (it panics on many real documents and recurses without limits). Its glyphs go
//! through this module's [`layout`], and its text replaces ours only where it is measurably
//! more plausible.

mod annotations;
mod bidi;
mod cid;
mod cmap;
mod content;
mod encoding;
pub mod evidence;
mod fonts;
mod glyphlist;
pub mod layout;
mod lexer;
mod std14;
mod tables;
#[cfg(test)]
mod tables_gen;

use std::fmt;

use lopdf::{Dictionary, Document, Object, ObjectId};

pub use content::TextCache;
use content::{IDENTITY, Interpreter};
use fonts::{as_f64, resolve};
use lexer::Lexer;

/// The text of one page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageText {
    /// Reading-order text of the page, lines separated by `'\n'`.
    pub text: String,
    /// Glyphs drawn by text-showing operators (0 means the page has no text layer).
    pub glyphs: u32,
    /// Glyphs whose Unicode could not be determined (no ToUnicode, no usable encoding).
    pub unmapped: u32,
    /// Of `unmapped`, glyphs that the font's encoding names with a glyph name no list
    /// knows: reading names again (as pdf-extract does) cannot map them.
    pub unknown_names: u32,
    /// Glyphs whose Unicode value the font maps give no reason to trust: unmapped, mapped
    /// to private-use or control codes, contradicting the font's encoding, or from a font
    /// whose letters scatter over unrelated scripts (`evidence`). The OCR verdict's input.
    pub suspect: u32,
    /// Form fields whose value, and free-text annotations whose text, the page's text
    /// includes (drawn by the viewer over the page, not by its content stream).
    pub form_fields: u32,
    pub free_texts: u32,
    /// Problems met on the way (font trouble, skipped content), each reported once.
    pub warnings: Vec<String>,
}

/// Why a page could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextError {
    /// The page object is missing or is not a page dictionary.
    Corrupt(String),
}

impl fmt::Display for TextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TextError::Corrupt(m) => write!(f, "corrupt page: {m}"),
        }
    }
}

impl std::error::Error for TextError {}

/// Levels of `/Parent` followed when looking up inherited page attributes.
const MAX_INHERIT: usize = 64;

/// Looks `key` up on the page, then on its ancestors in the page tree.
fn inherited<'a>(doc: &'a Document, page: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
    let mut node = page;
    for _ in 0..MAX_INHERIT {
        if let Ok(v) = node.get(key) {
            return Some(resolve(doc, v));
        }
        match node.get(b"Parent").map(|p| resolve(doc, p)) {
            Ok(Object::Dictionary(parent)) => node = parent,
            _ => return None,
        }
    }
    None
}

/// A rectangle array (`/MediaBox`, `/Rect`, `/BBox`) as `(x0, y0, x1, y1)` with
/// `x0 <= x1` and `y0 <= y1`; `None` unless it holds four finite numbers.
fn rect_of(doc: &Document, obj: &Object) -> Option<(f64, f64, f64, f64)> {
    let Object::Array(a) = obj else {
        return None;
    };
    let v: Vec<f64> = a.iter().filter_map(|o| as_f64(resolve(doc, o))).collect();
    if v.len() != 4 || v.iter().any(|x| !x.is_finite()) {
        return None;
    }
    Some((
        v[0].min(v[2]),
        v[1].min(v[3]),
        v[0].max(v[2]),
        v[1].max(v[3]),
    ))
}

/// The visible box of the page (crop box within media box), as `(x0, y0, x1, y1)`.
pub fn page_box(doc: &Document, page: &Dictionary) -> (f64, f64, f64, f64) {
    let rect = |key: &[u8]| -> Option<(f64, f64, f64, f64)> {
        rect_of(doc, inherited(doc, page, key)?).filter(|r| r.2 - r.0 > 1.0 && r.3 - r.1 > 1.0)
    };
    let media = rect(b"MediaBox").unwrap_or((0.0, 0.0, 612.0, 792.0));
    // The crop box clips what is visible; where it strays outside the media box, the
    // intersection is what a viewer shows.
    rect(b"CropBox")
        .map(|c| {
            (
                c.0.max(media.0),
                c.1.max(media.1),
                c.2.min(media.2),
                c.3.min(media.3),
            )
        })
        .filter(|c| c.2 > c.0 && c.3 > c.1)
        .unwrap_or(media)
}

/// The page's content streams, decoded and joined (a token may straddle two streams).
fn page_content(doc: &Document, page: &Dictionary, warnings: &mut Vec<String>) -> Vec<u8> {
    let mut out = Vec::new();
    let parts: Vec<&Object> = match page.get(b"Contents").map(|c| resolve(doc, c)) {
        Ok(Object::Array(items)) => items.iter().map(|o| resolve(doc, o)).collect(),
        Ok(other) => vec![other],
        Err(_) => Vec::new(),
    };
    for part in parts {
        let Object::Stream(stream) = part else {
            continue;
        };
        match crate::streams::decode(stream) {
            Ok(bytes) => out.extend_from_slice(&bytes),
            Err(e) => warnings.push(format!("page content stream unreadable: {e}")),
        }
        out.push(b'\n');
    }
    out
}

/// The names given to `Do` operators in a content stream, in order (repeats kept).
pub fn xobject_names(content: &[u8]) -> Vec<Vec<u8>> {
    let mut names = Vec::new();
    let mut lexer = Lexer::new(content);
    while let Some(op) = lexer.next_operation() {
        if op.operator == b"Do"
            && let Some(name) = op.name_at(0)
        {
            names.push(name.to_vec());
        }
    }
    names
}

/// Extracts one page's text. `doc` is already decrypted.
///
/// Never panics on document data: broken content yields partial text and warnings.
///
/// # Errors
/// [`TextError::Corrupt`] when `page_id` does not name a page dictionary.
// Used by the tests and the `pdftext` example; the plugin keeps a cache across pages.
#[allow(dead_code)]
pub fn extract_page_text(doc: &Document, page_id: ObjectId) -> Result<PageText, TextError> {
    extract_page_text_cached(doc, page_id, &mut TextCache::default())
}

/// [`extract_page_text`] with what the document's earlier pages left in `cache` (fonts,
/// forms), which it adds to. A panic inside leaves the cache empty, never half-built.
///
/// # Errors
/// [`TextError::Corrupt`] when `page_id` does not name a page dictionary.
pub fn extract_page_text_cached(
    doc: &Document,
    page_id: ObjectId,
    cache: &mut TextCache,
) -> Result<PageText, TextError> {
    let page = doc
        .get_object(page_id)
        .map_err(|e| TextError::Corrupt(format!("page object {page_id:?}: {e}")))?;
    let Object::Dictionary(page) = page else {
        return Err(TextError::Corrupt(format!(
            "page object {page_id:?} is not a dictionary"
        )));
    };
    let mut warnings = Vec::new();
    let content = page_content(doc, page, &mut warnings);
    let resources = match inherited(doc, page, b"Resources") {
        Some(Object::Dictionary(d)) => Some(d),
        _ => None,
    };
    let mut interp = Interpreter::new(doc, std::mem::take(cache));
    for w in warnings {
        interp.warn(w);
    }
    interp.run(&content, resources, IDENTITY);
    let shown = annotations::draw(doc, page, &mut interp);
    *cache = std::mem::take(&mut interp.cache);
    let text = layout::layout(&interp.glyphs, page_box(doc, page));
    cache.recycle(std::mem::take(&mut interp.glyphs));
    Ok(PageText {
        text,
        glyphs: interp.glyph_count,
        unmapped: interp.unmapped,
        suspect: interp.evidence.suspect(),
        form_fields: shown.fields,
        free_texts: shown.notes,
        unknown_names: interp.unknown_names,
        warnings: interp.warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use lopdf::dictionary;

    use crate::testutil::one_page;

    fn helvetica() -> Dictionary {
        dictionary! {
            "Type" => "Font",
            "Subtype" => "Type1",
            "BaseFont" => "Helvetica",
            "Encoding" => "WinAnsiEncoding",
        }
    }

    #[test]
    fn extracts_simple_text_with_kerning_spaces() {
        let (doc, page) = one_page(
            b"BT /F1 12 Tf 72 700 Td (Hello) Tj [( W) 30 (orld) -600 (again)] TJ \
              0 -20 Td 3 Tr (Invisible \\223quoted\\224) Tj ET",
            helvetica(),
        );
        let t = extract_page_text(&doc, page).unwrap_or_default();
        assert_eq!(
            t.text,
            "Hello World again\nInvisible \u{201C}quoted\u{201D}"
        );
        assert_eq!(t.glyphs, 34);
        assert_eq!(t.unmapped, 0);
    }

    #[test]
    fn word_spacing_and_rotation() {
        let (doc, page) = one_page(
            b"q 0 1 -1 0 300 100 cm BT /F1 10 Tf 5 Tw (ab ba) Tj ET Q",
            helvetica(),
        );
        let t = extract_page_text(&doc, page).unwrap_or_default();
        assert_eq!(t.text, "ab ba");
    }

    /// Hebrew and Arabic through a ToUnicode map, their glyphs drawn in visual order (left
    /// to right, as a shaping engine hands them to the PDF writer), mixed with Latin.
    #[test]
    fn right_to_left_lines_come_out_in_logical_order() {
        let (mut doc, page) = one_page(
            // Line 1, visual "םלוע Python םולש": logical "שלום Python עולם" (hello world).
            // Line 2, visual "PDF و لا ابحرم" with the lam-alef ligature as one glyph (code
            // 8B): logical "مرحبا لا و PDF". The words are separated by gaps, not spaces.
            // Line 3 is Latin only.
            b"BT /F1 12 Tf 72 700 Td [(\\203\\201\\202\\204) -400 (Python) -400 (\\203\\202\\201\\200)] TJ \
              0 -20 Td [(PDF) -400 (\\212) -400 (\\213) -400 (\\211\\210\\207\\206\\205)] TJ \
              0 -20 Td (Agenda item 4 \\(b\\)) Tj ET",
            helvetica(),
        );
        crate::testutil::set_to_unicode(
            &mut doc,
            &[
                (0x80, "\u{5E9}"),
                (0x81, "\u{5DC}"),
                (0x82, "\u{5D5}"),
                (0x83, "\u{5DD}"),
                (0x84, "\u{5E2}"),
                (0x85, "\u{645}"),
                (0x86, "\u{631}"),
                (0x87, "\u{62D}"),
                (0x88, "\u{628}"),
                (0x89, "\u{627}"),
                (0x8A, "\u{648}"),
                (0x8B, "\u{644}\u{627}"),
            ],
        );
        let t = extract_page_text(&doc, page).unwrap_or_default();
        assert_eq!(t.text, "שלום Python עולם\nمرحبا لا و PDF\nAgenda item 4 (b)");
        assert_eq!(t.unmapped, 0);
    }

    #[test]
    fn missing_page_is_an_error() {
        let (doc, _) = one_page(b"", helvetica());
        assert!(extract_page_text(&doc, (999, 0)).is_err());
    }

    #[test]
    fn garbage_content_does_not_panic() {
        let (doc, page) = one_page(
            b"BT /F9 Tf ) ( [ << Tj TJ 1 2 3 cm Do /X Do ET Q Q",
            helvetica(),
        );
        let t = extract_page_text(&doc, page).unwrap_or_default();
        assert!(t.text.is_empty());
    }
}
