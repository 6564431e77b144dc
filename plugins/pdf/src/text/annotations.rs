//! Text a page shows outside its content stream: filled-in form fields (widget annotations
//! of text and choice fields) and free-text annotations. Viewers, `pdftotext` and PyMuPDF
//! show them; a civic notice may carry its date, place and agenda items only there.
//!
//! Annotations are not page content (PDF 32000-1, 12.5.5): their appearance streams are
//! drawn over the page by the viewer, so nothing here duplicates the page's own text. Each
//! annotation's normal appearance is run through the interpreter, placed on its `/Rect` as
//! the spec's appearance algorithm places it, so its glyphs join the page's in reading
//! order. Where a field has no appearance, or the form asks viewers to build appearances
//! (`/NeedAppearances`), its value is laid on its `/Rect` instead, a line per line of value.

use std::rc::Rc;

use lopdf::{Dictionary, Document, Object};

use super::content::{IDENTITY, Interpreter, Matrix, mul};
use super::fonts::{as_f64, dict_get, resolve};
use super::inherited;
use super::layout::RawGlyph;
use crate::strings::text_value;

/// Annotations looked at per page at most; more is damage or hostile.
const MAX_ANNOTS: usize = 10_000;
/// Characters of field values laid out per page at most.
const MAX_VALUE_CHARS: usize = 200_000;
/// Annotation flags (PDF 32000-1, 12.5.3): Hidden, NoView.
const HIDDEN: i64 = 1 << 1;
const NO_VIEW: i64 = 1 << 5;
/// Font size for a value laid out without appearance when `/DA` gives none (or 0, "auto").
const DEFAULT_SIZE: f64 = 10.0;

/// What went into the page's text from annotations.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Shown {
    /// Form fields (text or choice) whose value was added.
    pub fields: u32,
    /// Free-text annotations whose text was added.
    pub notes: u32,
}

enum Kind {
    Field,
    Note,
}

/// Adds the text of the page's filled-in fields and free-text annotations to `interp`'s
/// glyphs. Never fails: a damaged annotation is skipped.
pub fn draw<'a>(doc: &'a Document, page: &'a Dictionary, interp: &mut Interpreter<'a>) -> Shown {
    let mut shown = Shown::default();
    let Object::Array(annots) = dict_get(doc, page, b"Annots") else {
        return shown;
    };
    let need_appearances = need_appearances(doc);
    let mut budget = MAX_VALUE_CHARS;
    for annot in annots.iter().take(MAX_ANNOTS) {
        let Object::Dictionary(annot) = resolve(doc, annot) else {
            continue;
        };
        let kind = match dict_get(doc, annot, b"Subtype").as_name() {
            Ok(b"Widget") => Kind::Field,
            Ok(b"FreeText") => Kind::Note,
            _ => continue,
        };
        let flags = match dict_get(doc, annot, b"F") {
            Object::Integer(f) => *f,
            _ => 0,
        };
        if flags & (HIDDEN | NO_VIEW) != 0 {
            continue;
        }
        let Some(rect) = rect(doc, annot) else {
            continue;
        };
        let value = match kind {
            Kind::Field => field_value(doc, annot),
            Kind::Note => annot.get(b"Contents").ok().and_then(|o| text_value(doc, o)),
        };
        // A field without a value shows nothing worth reading (its appearance is a blank
        // box, or a check mark for the button fields `field_value` leaves out). A note
        // without `/Contents` may still show text in its appearance (rich text only).
        if matches!(kind, Kind::Field) && value.is_none() {
            continue;
        }
        let build_own = matches!(kind, Kind::Field) && need_appearances;
        let start = interp.glyphs.len();
        if !build_own {
            run_appearance(doc, annot, rect, interp);
        }
        if !text_since(interp, start)
            && let Some(value) = &value
        {
            // Nothing readable drawn (no appearance, or one we cannot map): the value.
            interp.glyphs.truncate(start);
            lay_value(doc, annot, value, rect, &mut budget, interp);
        }
        if text_since(interp, start) {
            match kind {
                Kind::Field => shown.fields += 1,
                Kind::Note => shown.notes += 1,
            }
        }
    }
    shown
}

/// Whether a glyph with text was laid out after the first `start`.
fn text_since(interp: &Interpreter<'_>, start: usize) -> bool {
    interp.glyphs.get(start..).is_some_and(|added| {
        added
            .iter()
            .any(|g| g.text.as_deref().is_some_and(|t| !t.trim().is_empty()))
    })
}

/// The catalog's `/AcroForm /NeedAppearances`: viewers build the fields' appearances from
/// their values, and the stored appearances may be stale.
fn need_appearances(doc: &Document) -> bool {
    let Object::Dictionary(catalog) = dict_get(doc, &doc.trailer, b"Root") else {
        return false;
    };
    let Object::Dictionary(form) = dict_get(doc, catalog, b"AcroForm") else {
        return false;
    };
    matches!(
        dict_get(doc, form, b"NeedAppearances"),
        Object::Boolean(true)
    )
}

/// `/Rect`; `None` when missing or degenerate.
fn rect(doc: &Document, annot: &Dictionary) -> Option<(f64, f64, f64, f64)> {
    super::rect_of(doc, dict_get(doc, annot, b"Rect"))
        .filter(|r| r.2 - r.0 > 0.5 && r.3 - r.1 > 0.5)
}

/// The value of a text or choice field, lines joined by `'\n'` (a multi-select list gives
/// one line per choice); `None` for other fields (buttons, signatures) and empty values.
fn field_value(doc: &Document, widget: &Dictionary) -> Option<String> {
    let kind = inherited(doc, widget, b"FT")?.as_name().ok()?;
    if kind != b"Tx" && kind != b"Ch" {
        return None;
    }
    let value = inherited(doc, widget, b"V")?;
    let text = match value {
        Object::Array(items) => items
            .iter()
            .filter_map(|o| text_value(doc, o))
            .collect::<Vec<_>>()
            .join("\n"),
        other => text_value(doc, other)?,
    };
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    (!text.trim().is_empty()).then_some(text)
}

/// Runs the annotation's normal appearance (`/AP /N`, the state `/AS` names when there
/// are several) with its `/BBox`, after `/Matrix`, mapped onto `rect` (PDF 32000-1,
/// 12.5.5, algorithm 8.1).
fn run_appearance<'a>(
    doc: &'a Document,
    annot: &'a Dictionary,
    rect: (f64, f64, f64, f64),
    interp: &mut Interpreter<'a>,
) {
    let Object::Dictionary(ap) = dict_get(doc, annot, b"AP") else {
        return;
    };
    let stream = match dict_get(doc, ap, b"N") {
        Object::Stream(s) => s,
        Object::Dictionary(states) => {
            let Ok(state) = dict_get(doc, annot, b"AS").as_name() else {
                return;
            };
            match states.get(state).map(|o| resolve(doc, o)) {
                Ok(Object::Stream(s)) => s,
                _ => return,
            }
        }
        _ => return,
    };
    let matrix = match dict_get(doc, &stream.dict, b"Matrix") {
        Object::Array(a) => {
            let v: Vec<f64> = a.iter().filter_map(|o| as_f64(resolve(doc, o))).collect();
            match v.as_slice() {
                [a, b, c, d, e, f] => [*a, *b, *c, *d, *e, *f],
                _ => IDENTITY,
            }
        }
        _ => IDENTITY,
    };
    let Some(bbox) = super::rect_of(doc, dict_get(doc, &stream.dict, b"BBox")) else {
        return;
    };
    // The box after the matrix, and the map from it onto the annotation's rectangle.
    let corners = [
        (bbox.0, bbox.1),
        (bbox.0, bbox.3),
        (bbox.2, bbox.1),
        (bbox.2, bbox.3),
    ]
    .map(|(x, y)| super::content::apply(&matrix, x, y));
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for (x, y) in corners {
        x0 = x0.min(x);
        y0 = y0.min(y);
        x1 = x1.max(x);
        y1 = y1.max(y);
    }
    if x1 - x0 < 1e-6 || y1 - y0 < 1e-6 {
        return;
    }
    let sx = (rect.2 - rect.0) / (x1 - x0);
    let sy = (rect.3 - rect.1) / (y1 - y0);
    let onto: Matrix = [sx, 0.0, 0.0, sy, rect.0 - x0 * sx, rect.1 - y0 * sy];
    let Ok(content) = crate::streams::decode(stream) else {
        return;
    };
    let resources = match dict_get(doc, &stream.dict, b"Resources") {
        Object::Dictionary(d) => Some(d),
        _ => default_resources(doc),
    };
    interp.run(&content, resources, mul(&matrix, &onto));
}

/// The form's default resources (`/AcroForm /DR`), where an appearance names a font
/// without resources of its own.
fn default_resources(doc: &Document) -> Option<&Dictionary> {
    let Object::Dictionary(catalog) = dict_get(doc, &doc.trailer, b"Root") else {
        return None;
    };
    let Object::Dictionary(form) = dict_get(doc, catalog, b"AcroForm") else {
        return None;
    };
    match dict_get(doc, form, b"DR") {
        Object::Dictionary(d) => Some(d),
        _ => None,
    }
}

/// The font size of a default appearance string such as `/Helv 10 Tf 0 g`: the number
/// before `Tf`, when positive.
fn da_size(doc: &Document, annot: &Dictionary) -> Option<f64> {
    let da = inherited(doc, annot, b"DA")?.as_str().ok()?;
    let da = String::from_utf8_lossy(da);
    let words: Vec<&str> = da.split_whitespace().collect();
    let at = words.iter().position(|w| *w == "Tf")?;
    let size: f64 = words.get(at.checked_sub(1)?)?.parse().ok()?;
    (size.is_finite() && size > 0.0).then_some(size)
}

/// Lays `value` on `rect` as glyphs: each line from the top-left corner, half an em per
/// character (positions only order the text; no width is read from a font).
fn lay_value(
    doc: &Document,
    annot: &Dictionary,
    value: &str,
    rect: (f64, f64, f64, f64),
    budget: &mut usize,
    interp: &mut Interpreter<'_>,
) {
    let height = rect.3 - rect.1;
    let lines: Vec<&str> = value.lines().collect();
    let size = da_size(doc, annot)
        .unwrap_or(DEFAULT_SIZE)
        .min(height.max(1.0));
    let pad = 2.0_f64.min(height / 4.0);
    for (i, line) in lines.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let baseline = if lines.len() == 1 {
            // A one-line field centres its text vertically.
            rect.1 + (height - size) / 2.0 + 0.2 * size
        } else {
            rect.3 - pad - size * (i as f64 + 1.0)
        };
        let mut x = rect.0 + pad;
        for c in line.chars() {
            if *budget == 0 {
                return;
            }
            *budget -= 1;
            let w = 0.5 * size;
            interp.glyph_count = interp.glyph_count.saturating_add(1);
            interp.glyphs.push(RawGlyph {
                text: Some(Rc::from(c.to_string())),
                origin: (x, baseline),
                end: (x + w, baseline),
                up: (0.0, size),
            });
            x += w;
        }
    }
}

#[cfg(test)]
mod tests {
    use lopdf::{Object, Stream, StringFormat, dictionary};

    use crate::{Options, extract_document};

    fn text(s: &str) -> Object {
        Object::String(s.as_bytes().to_vec(), StringFormat::Literal)
    }

    /// A notice whose page content holds only its headings; the date, the place, an agenda
    /// choice and a note are annotations, as a filled-in form has them.
    fn form_pdf(need_appearances: bool) -> Vec<u8> {
        let (mut doc, page) = crate::testutil::one_page(
            b"BT /F1 14 Tf 72 720 Td (NOTICE OF PUBLIC MEETING) Tj ET \
              BT /F1 11 Tf 72 680 Td (Date:) Tj ET \
              BT /F1 11 Tf 72 650 Td (Place:) Tj ET \
              BT /F1 11 Tf 72 620 Td (Item:) Tj ET \
              BT /F1 11 Tf 72 500 Td (Signed by the City Clerk) Tj ET",
            dictionary! {
                "Type" => "Font",
                "Subtype" => "Type1",
                "BaseFont" => "Helvetica",
                "Encoding" => "WinAnsiEncoding",
            },
        );
        let helv = doc.add_object(dictionary! {
            "Type" => "Font",
            "Subtype" => "Type1",
            "BaseFont" => "Helvetica",
            "Encoding" => "WinAnsiEncoding",
        });
        let zadb = doc.add_object(dictionary! {
            "Type" => "Font",
            "Subtype" => "Type1",
            "BaseFont" => "ZapfDingbats",
        });
        let dr = dictionary! { "Font" => dictionary! { "Helv" => helv, "ZaDb" => zadb } };
        let appearance = |doc: &mut lopdf::Document, w: i64, h: i64, content: &[u8]| {
            doc.add_object(Stream::new(
                dictionary! {
                    "Type" => "XObject",
                    "Subtype" => "Form",
                    "BBox" => vec![0.into(), 0.into(), w.into(), h.into()],
                    "Resources" => dictionary! { "Font" => dictionary! { "Helv" => helv, "ZaDb" => zadb } },
                },
                content.to_vec(),
            ))
        };
        // A text field with a stale appearance (an older value): viewers that build
        // appearances show the value; others the appearance.
        let date_ap = appearance(
            &mut doc,
            200,
            20,
            b"/Tx BMC BT /Helv 11 Tf 2 5 Td (March 3, 2025 at 6:30 PM) Tj ET EMC",
        );
        let date = doc.add_object(dictionary! {
            "Type" => "Annot", "Subtype" => "Widget", "FT" => "Tx", "T" => text("date"),
            "V" => text("March 3, 2025 at 6:30 PM"),
            "Rect" => vec![120.into(), 675.into(), 320.into(), 695.into()],
            "DA" => text("/Helv 11 Tf 0 g"),
            "AP" => dictionary! { "N" => date_ap },
        });
        // A field whose value sits on the parent, its widget a kid without appearance.
        let place_field = doc.new_object_id();
        let place = doc.add_object(dictionary! {
            "Type" => "Annot", "Subtype" => "Widget", "Parent" => place_field,
            "Rect" => vec![120.into(), 645.into(), 400.into(), 665.into()],
        });
        doc.objects.insert(
            place_field,
            Object::Dictionary(dictionary! {
                "FT" => "Tx", "T" => text("place"), "V" => text("Council Chambers, 1 Main St"),
                "DA" => text("/Helv 11 Tf 0 g"), "Kids" => vec![place.into()],
            }),
        );
        let item = doc.add_object(dictionary! {
            "Type" => "Annot", "Subtype" => "Widget", "FT" => "Ch", "T" => text("item"),
            "V" => text("Budget hearing"),
            "Rect" => vec![120.into(), 615.into(), 320.into(), 635.into()],
        });
        let note_ap = appearance(
            &mut doc,
            250,
            40,
            b"BT /Helv 10 Tf 4 26 Td (Bring photo ID) Tj 0 -12 Td (to enter) Tj ET",
        );
        let note = doc.add_object(dictionary! {
            "Type" => "Annot", "Subtype" => "FreeText",
            "Contents" => text("Bring photo ID\rto enter"),
            "Rect" => vec![72.into(), 540.into(), 322.into(), 580.into()],
            "DA" => text("/Helv 10 Tf"),
            "AP" => dictionary! { "N" => note_ap },
        });
        // Left out: a checked box (a ZapfDingbats check mark), a hidden field, an empty one.
        let check_ap = appearance(&mut doc, 12, 12, b"BT /ZaDb 10 Tf 1 2 Td (4) Tj ET");
        let checkbox = doc.add_object(dictionary! {
            "Type" => "Annot", "Subtype" => "Widget", "FT" => "Btn", "T" => text("ok"),
            "V" => "Yes", "AS" => "Yes",
            "Rect" => vec![330.into(), 615.into(), 342.into(), 627.into()],
            "AP" => dictionary! { "N" => dictionary! { "Yes" => check_ap } },
        });
        let hidden = doc.add_object(dictionary! {
            "Type" => "Annot", "Subtype" => "Widget", "FT" => "Tx", "T" => text("secret"),
            "V" => text("internal only"), "F" => 2,
            "Rect" => vec![120.into(), 400.into(), 320.into(), 420.into()],
        });
        let empty = doc.add_object(dictionary! {
            "Type" => "Annot", "Subtype" => "Widget", "FT" => "Tx", "T" => text("blank"),
            "Rect" => vec![120.into(), 380.into(), 320.into(), 400.into()],
        });
        let annots: Vec<Object> = [note, date, place, item, checkbox, hidden, empty]
            .into_iter()
            .map(Object::from)
            .collect();
        if let Ok(p) = doc.get_dictionary_mut(page) {
            p.set("Annots", annots);
        }
        let bytes = crate::testutil::save(doc, page);
        // The catalog gets its form (save() made the catalog the trailer's Root).
        let Ok(mut doc) = lopdf::Document::load_mem(&bytes) else {
            return Vec::new();
        };
        let Ok(root) = doc.trailer.get(b"Root").and_then(Object::as_reference) else {
            return Vec::new();
        };
        let fields: Vec<Object> = [date, place_field, item, checkbox, hidden, empty]
            .into_iter()
            .map(Object::from)
            .collect();
        if let Ok(catalog) = doc.get_dictionary_mut(root) {
            catalog.set(
                "AcroForm",
                dictionary! { "Fields" => fields, "DR" => dr, "NeedAppearances" => need_appearances },
            );
        }
        let mut out = Vec::new();
        if doc.save_to(&mut out).is_err() {
            out.clear();
        }
        out
    }

    #[test]
    fn field_values_and_free_text_join_the_page_in_reading_order() {
        for need_appearances in [false, true] {
            let doc = extract_document(&form_pdf(need_appearances), &Options::default());
            let Ok(doc) = doc else {
                unreachable!("{doc:?}");
            };
            assert_eq!(
                doc.pages[0].text,
                "NOTICE OF PUBLIC MEETING\n\
                 Date: March 3, 2025 at 6:30 PM\n\
                 Place: Council Chambers, 1 Main St\n\
                 Item: Budget hearing\n\
                 Bring photo ID\n\
                 to enter\n\
                 Signed by the City Clerk",
                "need_appearances {need_appearances}"
            );
            assert_eq!(doc.pages[0].ocr, None);
            let flags: Vec<_> = doc
                .warnings
                .iter()
                .filter(|w| w.code == "form-text")
                .collect();
            assert_eq!(flags.len(), 1, "{:?}", doc.warnings);
            assert_eq!(flags[0].page, Some(1));
            assert!(
                flags[0]
                    .message
                    .contains("3 form field value(s) and 1 free-text annotation(s)"),
                "{}",
                flags[0].message
            );
        }
    }

    /// Annotations that are not dictionaries, lack a `/Rect`, loop through `/Parent`, or
    /// have an appearance with an empty box or undecodable content are skipped.
    #[test]
    fn damaged_annotations_are_skipped() {
        let (mut doc, page) = crate::testutil::one_page(
            b"BT /F1 12 Tf 72 700 Td (Plain page) Tj ET",
            dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica" },
        );
        let looping = doc.new_object_id();
        doc.objects.insert(
            looping,
            Object::Dictionary(dictionary! {
                "Subtype" => "Widget", "Parent" => looping,
                "Rect" => vec![0.into(), 0.into(), 100.into(), 20.into()],
            }),
        );
        let flat_box = doc.add_object(Stream::new(
            dictionary! { "BBox" => vec![0.into(), 0.into(), 0.into(), 0.into()] },
            b"BT /F1 10 Tf (never) Tj ET".to_vec(),
        ));
        let bad_stream = doc.add_object(Stream::new(
            dictionary! { "BBox" => vec![0.into(), 0.into(), 10.into(), 10.into()], "Filter" => "FlateDecode" },
            b"not zlib".to_vec(),
        ));
        let annots: Vec<Object> = vec![
            7.into(),
            dictionary! { "Subtype" => "FreeText", "Contents" => text("no rect") }.into(),
            looping.into(),
            dictionary! {
                "Subtype" => "FreeText",
                "Rect" => vec![0.into(), 0.into(), 100.into(), 20.into()],
                "AP" => dictionary! { "N" => flat_box },
            }
            .into(),
            dictionary! {
                "Subtype" => "FreeText",
                "Rect" => vec!["x".into(), 0.into(), 100.into(), 20.into()],
                "AP" => dictionary! { "N" => bad_stream },
                "Contents" => text("bad rect"),
            }
            .into(),
        ];
        if let Ok(p) = doc.get_dictionary_mut(page) {
            p.set("Annots", annots);
        }
        let Ok(out) = extract_document(&crate::testutil::save(doc, page), &Options::default())
        else {
            unreachable!();
        };
        assert_eq!(out.pages[0].text, "Plain page");
        assert!(out.warnings.iter().all(|w| w.code != "form-text"));
    }

    #[test]
    fn a_page_without_annotations_has_no_flag() {
        let bytes = crate::testutil::one_page_pdf(
            b"BT /F1 12 Tf 72 700 Td (Plain page) Tj ET",
            dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica" },
        );
        let Ok(doc) = extract_document(&bytes, &Options::default()) else {
            unreachable!();
        };
        assert_eq!(doc.pages[0].text, "Plain page");
        assert!(doc.warnings.iter().all(|w| w.code != "form-text"));
    }
}
