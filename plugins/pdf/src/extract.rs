//! The whole extraction as a pure function of bytes and options, callable natively by
//! tests and fuzz targets; `lib.rs` only adapts it to the WIT world.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use lopdf::{Document, ObjectId};

use crate::fallback::{Fallback, FallbackEngine, FallbackText, Reading, prefer_fallback};
use crate::links::page_links;
use crate::load::{Loaded, load_pages};
use crate::metadata::read_metadata;
use crate::outline::read_outline;
use crate::pages::page_tree;
use crate::quality::{assess, painting};
use crate::text::{PageText, TextCache, extract_page_text_cached};
use conductor_plugin_sdk::extractor::{
    self as model, ExtractError, OcrReason, Options, Page, Pagination, Warning, truncate_page,
};

/// Extracts text, metadata, outline and links from a PDF.
///
/// Page range: 1-based and inclusive. A range reaching past the last page yields the
/// pages that exist plus a `page-range` warning; a range that is malformed in itself
/// (`first` of 0, or `first` after `last`) is refused as `unsupported`, since it is a
/// caller's mistake that no document could satisfy.
///
/// # Errors
/// [`ExtractError::Corrupt`] when the bytes are not a readable PDF or have no pages,
/// [`ExtractError::Encrypted`] when a user password is needed, [`ExtractError::TooLarge`] when
/// the document has more pages than `options.max_pages`, [`ExtractError::Unsupported`] for
/// a malformed page range or an unknown security handler.
pub fn extract_document(bytes: &[u8], options: &Options) -> Result<model::Document, ExtractError> {
    options.check_range()?;
    let Loaded { doc, mut warnings } =
        load_pages(bytes, options.password.as_deref(), options.pages)?;

    let tree = page_tree(&doc);
    if tree.loops > 0 {
        warnings.push(Warning::new(
            "page-tree",
            format!("the page tree refers {} time(s) to nodes already visited (a loop); they were skipped", tree.loops),
            None,
        ));
    }
    if tree.too_deep > 0 {
        warnings.push(Warning::new(
            "page-tree",
            format!(
                "{} page-tree branch(es) nested too deeply were skipped",
                tree.too_deep
            ),
            None,
        ));
    }
    let total = u32::try_from(tree.pages.len()).unwrap_or(u32::MAX);
    if total == 0 {
        return Err(ExtractError::Corrupt(
            "the document has no readable pages".into(),
        ));
    }
    if total > options.max_pages {
        return Err(ExtractError::TooLarge(format!(
            "the document has {total} pages, more than the limit of {}",
            options.max_pages
        )));
    }

    let mut metadata = read_metadata(&doc);
    metadata.page_count = total;
    let numbers: HashMap<ObjectId, u32> =
        tree.pages.iter().zip(1..).map(|(id, n)| (*id, n)).collect();
    // The outline belongs to the document, not to a range: a range after page 1 (the
    // host's page-parallel calls but the first, whose outline it keeps) carries none, and
    // does not pay for reading it and the destinations it names.
    let outline = if options.pages.is_some_and(|(first, _)| first > 1) {
        Vec::new()
    } else {
        read_outline(&doc, &numbers)
    };

    let (first, last) = options.selected_pages(total, &mut warnings);
    let mut pages = Vec::new();
    let mut fallback = FallbackEngine::default();
    let mut cache = TextCache::default();
    for (id, number) in tree.pages.iter().zip(1u32..) {
        if number < first || number > last {
            continue;
        }
        pages.push(extract_page(
            &doc,
            *id,
            number,
            options,
            &mut fallback,
            &mut cache,
            &mut warnings,
        ));
    }
    crate::streams::document_error().map_or(Ok(()), Err)?;
    Ok(model::Document {
        metadata,
        pages,
        outline,
        warnings,
        // The outline is the PDF's heading structure; the host hands it to the chunker.
        headings: Vec::new(),
        pagination: Pagination::Fixed,
    })
}

/// Our engine leaves at least this many glyphs unmapped, and at least
/// [`FALLBACK_UNMAPPED_SHARE`] of the page's glyphs, before pdf-extract is tried.
const FALLBACK_MIN_UNMAPPED: u32 = 5;
const FALLBACK_UNMAPPED_SHARE: f64 = 0.1;

/// One page; any failure inside (an error of both text engines, a panic anywhere in the
/// page's processing) gives an empty page marked for OCR rather than failing the document.
fn extract_page(
    doc: &Document,
    id: ObjectId,
    number: u32,
    options: &Options,
    fallback: &mut FallbackEngine,
    cache: &mut TextCache,
    warnings: &mut Vec<Warning>,
) -> Page {
    let mut page_warnings = Vec::new();
    let attempt = catch_unwind(AssertUnwindSafe(|| {
        read_page(
            doc,
            id,
            number,
            options,
            fallback,
            cache,
            &mut page_warnings,
        )
    }));
    let why = match attempt {
        Ok(Ok(page)) => {
            warnings.append(&mut page_warnings);
            return page;
        }
        Ok(Err(e)) => {
            // Keep what the fallback attempt reported (a contained panic, say).
            warnings.append(&mut page_warnings);
            e
        }
        Err(_) => "the extractor failed on this page's data".to_string(),
    };
    warnings.push(Warning::new(
        "page-failed",
        format!("no text could be read from page {number}: {why}"),
        Some(number),
    ));
    Page {
        number,
        text: String::new(),
        chars: 0,
        ocr: Some(OcrReason::NoTextLayer),
        links: catch_unwind(AssertUnwindSafe(|| page_links(doc, id))).unwrap_or_default(),
    }
}

/// Our engine's reading of the page, or pdf-extract's where ours failed or left a
/// significant share of glyphs unmapped and pdf-extract's is measurably better. The OCR
/// verdict is on the text finally chosen.
fn read_page(
    doc: &Document,
    id: ObjectId,
    number: u32,
    options: &Options,
    fallback: &mut FallbackEngine,
    cache: &mut TextCache,
    warnings: &mut Vec<Warning>,
) -> Result<Page, String> {
    let ours = match catch_unwind(AssertUnwindSafe(|| {
        extract_page_text_cached(doc, id, cache)
    })) {
        Ok(Ok(t)) => Ok(t),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("the text engine failed on this page's data".to_string()),
    };
    // `suspect`: the glyphs whose font maps give no reason to trust them (the OCR verdict's
    // evidence); pdf-extract's reading offers only its unmapped glyphs as such.
    let (text, glyphs, suspect) = match ours {
        Ok(PageText {
            text,
            glyphs,
            unmapped,
            suspect,
            unknown_names,
            form_fields,
            free_texts,
            warnings: text_warnings,
        }) => {
            warnings.extend(
                text_warnings
                    .into_iter()
                    .map(|m| Warning::new("font-map", m, Some(number))),
            );
            let mine = Reading {
                text: &text,
                glyphs,
                unmapped,
            };
            // Glyphs named with names no list knows stay unmapped in any engine that
            // reads names: they do not call for the fallback.
            let better = wants_fallback(glyphs, unmapped.saturating_sub(unknown_names))
                .then(|| try_fallback(doc, id, number, Some(&mine), fallback, warnings))
                .flatten();
            match better {
                Some(fb) => (fb.text, fb.glyphs, fb.unmapped),
                None => {
                    if let Some(w) = form_text_warning(number, form_fields, free_texts) {
                        warnings.push(w);
                    }
                    (text, glyphs, suspect)
                }
            }
        }
        Err(why) => match try_fallback(doc, id, number, None, fallback, warnings) {
            Some(fb) => (fb.text, fb.glyphs, fb.unmapped),
            None => return Err(why),
        },
    };
    let ocr = assess(&text, glyphs, suspect, || painting(doc, id));
    let (text, _) = truncate_page(text, options.max_chars_per_page, number, warnings);
    let chars =
        u32::try_from(text.chars().filter(|c| !c.is_whitespace()).count()).unwrap_or(u32::MAX);
    Ok(Page {
        number,
        text,
        chars,
        ocr,
        links: page_links(doc, id),
    })
}

/// The `form-text` warning of a page whose text includes `fields` form field values and
/// `notes` free-text annotations: text a viewer draws over the page, not page content.
fn form_text_warning(number: u32, fields: u32, notes: u32) -> Option<Warning> {
    (fields + notes > 0).then(|| {
        Warning::new(
            "form-text",
            format!(
                "page {number}: the text includes {fields} form field value(s) and {notes} free-text annotation(s), drawn over the page rather than in its content"
            ),
            Some(number),
        )
    })
}

fn wants_fallback(glyphs: u32, unmapped: u32) -> bool {
    unmapped >= FALLBACK_MIN_UNMAPPED
        && f64::from(unmapped) >= FALLBACK_UNMAPPED_SHARE * f64::from(glyphs)
}

/// Runs pdf-extract on the page and returns its reading if it should replace `ours`
/// (`None` when ours failed), with a `fallback` warning; a panic inside it gives a
/// `fallback-panic` warning and `None`.
fn try_fallback(
    doc: &Document,
    id: ObjectId,
    number: u32,
    ours: Option<&Reading<'_>>,
    engine: &mut FallbackEngine,
    warnings: &mut Vec<Warning>,
) -> Option<FallbackText> {
    match engine.extract(doc, id) {
        Fallback::Text(fb) => {
            let theirs = Reading {
                text: &fb.text,
                glyphs: fb.glyphs,
                unmapped: fb.unmapped,
            };
            if !prefer_fallback(ours, &theirs) {
                return None;
            }
            let ours = ours.map_or_else(
                || "could not read the page".to_string(),
                |o| format!("left {} of {} glyphs unmapped", o.unmapped, o.glyphs),
            );
            warnings.push(Warning::new(
                "fallback",
                format!(
                    "page {number}: text from pdf-extract (the fallback engine), which left {} of {} glyphs unmapped; the first engine {ours}",
                    fb.unmapped, fb.glyphs
                ),
                Some(number),
            ));
            Some(fb)
        }
        Fallback::Panicked(panic) => {
            warnings.push(Warning::new(
                "fallback-panic",
                format!(
                    "pdf-extract (the fallback engine) panicked on page {number}, so the first engine's reading stands: {panic}"
                ),
                Some(number),
            ));
            None
        }
        Fallback::Failed(_) | Fallback::Skipped(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_on_char_boundary() {
        let mut w = Vec::new();
        assert_eq!(truncate_page("ŁódźŁódź".into(), 5, 2, &mut w).0, "ŁódźŁ");
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].code, "truncated");
        assert_eq!(w[0].page, Some(2));
        assert_eq!(truncate_page("abc".into(), 3, 1, &mut w).0, "abc");
        assert_eq!(truncate_page("abc".into(), 0, 1, &mut w).0, "");
        assert_eq!(w.len(), 2);
    }

    #[test]
    fn failing_page_becomes_empty_ocr_page_with_warning() {
        let mut w = Vec::new();
        let page = extract_page(
            &Document::new(),
            (7, 0),
            3,
            &Options::default(),
            &mut FallbackEngine::default(),
            &mut TextCache::default(),
            &mut w,
        );
        assert_eq!(page.number, 3);
        assert_eq!(page.text, "");
        assert_eq!(page.ocr, Some(OcrReason::NoTextLayer));
        assert_eq!(w.len(), 1);
        assert_eq!((w[0].code, w[0].page), ("page-failed", Some(3)));
    }

    /// A one-page PDF drawing `content` with font `/F1` = `font`, as bytes.
    fn pdf_with_font(font: lopdf::Dictionary, content: &[u8]) -> Vec<u8> {
        crate::testutil::one_page_pdf(content, font)
    }

    /// A Type0 font without /DescendantFonts and without ToUnicode: our engine draws the
    /// glyphs but cannot map them, so the fallback runs, and pdf-extract panics on the
    /// missing descendant ("Descendant fonts required"). The panic is contained: the page
    /// keeps our reading, is still flagged garbled, and carries a `fallback-panic` warning.
    #[test]
    fn fallback_panic_is_contained() {
        use lopdf::dictionary;
        let font = dictionary! {
            "Type" => "Font",
            "Subtype" => "Type0",
            "BaseFont" => "Broken",
            "Encoding" => "Identity-H",
        };
        let bytes = pdf_with_font(
            font,
            b"BT /F1 12 Tf 72 700 Td <0011002200330044005500660077008800990010> Tj ET",
        );
        for _ in 0..2 {
            let doc = extract_document(&bytes, &Options::default());
            let Ok(doc) = doc else {
                unreachable!("{doc:?}");
            };
            assert_eq!(doc.pages.len(), 1);
            assert_eq!(doc.pages[0].ocr, Some(OcrReason::GarbledText));
            let panics: Vec<_> = doc
                .warnings
                .iter()
                .filter(|w| w.code == "fallback-panic")
                .collect();
            assert_eq!(panics.len(), 1, "{:?}", doc.warnings);
            assert_eq!(panics[0].page, Some(1));
            assert!(
                panics[0].message.contains("Descendant fonts required"),
                "{}",
                panics[0].message
            );
            assert!(
                !doc.warnings
                    .iter()
                    .any(|w| w.code == "fallback" || w.code == "page-failed")
            );
        }
    }

    /// A symbolic TrueType font with no encoding and no font program: our engine maps
    /// only the ASCII codes (no table is trustworthy for the rest) and leaves the accented
    /// letters at Latin-1 codes unmapped; pdf-extract reads every code through
    /// PDFDocEncoding, which equals Latin-1 there. Its reading is more plausible (more
    /// letters, fewer unmapped glyphs, nothing garbled), so it replaces ours, with a
    /// `fallback` warning. No file in the shared corpus gives pdf-extract such a win: this
    /// constructed page is the end-to-end check of the winning path.
    #[test]
    fn fallback_wins_with_warning_where_more_plausible() {
        use lopdf::dictionary;
        let font = dictionary! {
            "Type" => "Font",
            "Subtype" => "TrueType",
            "BaseFont" => "NoCmap",
            "FirstChar" => 32,
            "LastChar" => 255,
            "Widths" => vec![lopdf::Object::Integer(500); 224],
            "FontDescriptor" => dictionary! {
                "Type" => "FontDescriptor",
                "FontName" => "NoCmap",
                "Flags" => 4,
            },
        };
        let bytes = pdf_with_font(
            font,
            b"BT /F1 12 Tf 72 700 Td (Caf\\351 cr\\350me br\\373l\\351e \\340 la fran\\347aise) Tj ET",
        );
        let doc = extract_document(&bytes, &Options::default());
        let Ok(doc) = doc else {
            unreachable!("{doc:?}");
        };
        let page = &doc.pages[0];
        assert_eq!(
            page.text,
            "Caf\u{e9} cr\u{e8}me br\u{fb}l\u{e9}e \u{e0} la fran\u{e7}aise"
        );
        assert_eq!(page.ocr, None);
        let w: Vec<_> = doc
            .warnings
            .iter()
            .filter(|w| w.code == "fallback")
            .collect();
        assert_eq!(w.len(), 1, "{:?}", doc.warnings);
        assert_eq!(w[0].page, Some(1));
        assert!(w[0].message.contains("pdf-extract"), "{}", w[0].message);
    }

    #[test]
    fn malformed_range_is_unsupported() {
        for pages in [(0, 3), (4, 2)] {
            let opts = Options {
                pages: Some(pages),
                ..Options::default()
            };
            assert!(matches!(
                extract_document(b"%PDF-1.4", &opts),
                Err(ExtractError::Unsupported(_))
            ));
        }
    }

    #[test]
    fn generated_garbage_never_panics() {
        let mut inputs: Vec<Vec<u8>> = vec![
            Vec::new(),
            b"%PDF-".to_vec(),
            b"%PDF-1.7".to_vec(),
            b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF".to_vec(),
            b"%PDF-1.7\n1 0 obj << /Type /Pages /Kids [1 0 R] >> endobj\nstartxref\n0\n%%EOF".to_vec(),
            b"%PDF-1.4\nxref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 1 /Root 9 0 R >>\nstartxref\n9\n%%EOF".to_vec(),
        ];
        // Deterministic pseudo-random bytes (xorshift), with and without a header.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for len in [1usize, 7, 100, 1000, 5000] {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state.to_le_bytes()[0]
                })
                .collect();
            let mut with_header = b"%PDF-1.5\n".to_vec();
            with_header.extend_from_slice(&bytes);
            inputs.push(bytes);
            inputs.push(with_header);
        }
        for input in inputs {
            let result = extract_document(&input, &Options::default());
            assert!(
                matches!(result, Err(ExtractError::Corrupt(_))),
                "{:?}",
                result.map(|d| d.pages.len())
            );
        }
    }
}
