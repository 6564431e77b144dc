//! The whole extraction as a pure function of bytes and options, callable natively by
//! tests; `lib.rs` only adapts it to the WIT world.

use std::collections::HashMap;

use crate::body::{Context, Item, NoteKind, read_document, read_notes};
use crate::metadata::{read_application, read_core};
use crate::numbering::Numbering;
use crate::package::{Package, Relationship};
use crate::styles::Styles;
use crate::xml::XmlError;
use conductor_plugin_sdk::extractor::{
    Document, ExtractError, Heading, Options, Page, Pagination, Warning, truncate_page,
};

/// Extracts text, headings, metadata and links from a DOCX.
///
/// Pages: a DOCX has no fixed pages. The text is split at explicit page breaks and, when
/// the document has any, at `w:lastRenderedPageBreak` (where the authoring application
/// last broke pages); [`Document::pagination`] says which. Footnotes and endnotes follow
/// the body on the last page, each as `[n] text`, `n` being the `[n]` marker left at its
/// reference.
///
/// # Errors
/// [`ExtractError::Corrupt`] when the bytes are not a zip archive or have no main document
/// part, or that part is unreadable from its start; [`ExtractError::Encrypted`] for a
/// password-protected document; [`ExtractError::TooLarge`] for a part over the inflation
/// limits (zip bombs) or more pages than `options.max_pages`;
/// [`ExtractError::Unsupported`] for a malformed page range or a main part declaring a DTD.
pub fn extract_document(bytes: &[u8], options: &Options) -> Result<Document, ExtractError> {
    options.check_range()?;
    let mut package = Package::open(bytes)?;
    let mut warnings = Vec::new();

    let package_rels = package.relationships("")?;
    let main = find(&package_rels, "officeDocument")
        .filter(|t| package.has(t))
        .unwrap_or_else(|| "word/document.xml".to_string());
    let Some(document) = package.read(&main)? else {
        return Err(ExtractError::Corrupt(
            "the archive has no main document part (word/document.xml): not a DOCX".into(),
        ));
    };
    let rels = package.relationships(&main)?;
    let part = |kind: &str, default: &str| find(&rels, kind).unwrap_or_else(|| default.into());

    let styles = match package.read(&part("styles", "word/styles.xml"))? {
        Some(b) => Styles::load(&b).unwrap_or_else(|m| {
            warnings.push(Warning::new("styles", m, None));
            Styles::default()
        }),
        None => Styles::default(),
    };
    let mut numbering = match package.read(&part("numbering", "word/numbering.xml"))? {
        Some(b) => Numbering::load(&b).unwrap_or_else(|m| {
            warnings.push(Warning::new("numbering", m, None));
            Numbering::default()
        }),
        None => Numbering::default(),
    };
    let hyperlinks: HashMap<String, String> = rels
        .iter()
        .filter(|r| r.external && r.kind == "hyperlink")
        .map(|r| (r.id.clone(), r.target.clone()))
        .collect();

    let mut ctx = Context {
        styles: &styles,
        numbering: &mut numbering,
        hyperlinks: &hyperlinks,
        notes: Vec::new(),
    };
    let read = read_document(&document, &mut ctx);
    drop(document);
    let mut items = read.items;
    if let Some(error) = read.error {
        if items.is_empty() {
            return Err(match error {
                XmlError::DocType => ExtractError::Unsupported(format!("main document: {error}")),
                XmlError::TooDeep => ExtractError::TooLarge(format!("main document: {error}")),
                XmlError::Syntax(_) => ExtractError::Corrupt(format!("main document: {error}")),
            });
        }
        warnings.push(Warning::new(
            "partial",
            format!("the main document could not be read to its end ({error}); the text before the fault is kept"),
            None,
        ));
    }
    if read.skipped_nesting > 0 {
        warnings.push(Warning::new(
            "nesting",
            format!(
                "{} container(s) nested too deeply were skipped",
                read.skipped_nesting
            ),
            None,
        ));
    }

    let refs = std::mem::take(&mut ctx.notes);
    if !refs.is_empty() {
        let mut parts = HashMap::new();
        for (kind, rel, default) in [
            (NoteKind::Footnote, "footnotes", "word/footnotes.xml"),
            (NoteKind::Endnote, "endnotes", "word/endnotes.xml"),
        ] {
            if !refs.iter().any(|r| r.kind == kind) {
                continue;
            }
            let Some(bytes) = package.read(&part(rel, default))? else {
                continue;
            };
            let (notes, error) = read_notes(&bytes, &mut ctx);
            if let Some(error) = error {
                warnings.push(Warning::new(
                    "notes",
                    format!("the {rel} part could not be read to its end ({error})"),
                    None,
                ));
            }
            parts.insert(kind, notes);
        }
        for r in &refs {
            let note = parts.get(&r.kind).and_then(|n| n.get(&r.id));
            let mut first = true;
            for item in note.into_iter().flatten() {
                if let Item::Text { text, links, .. } = item {
                    let text = if first {
                        format!("[{}] {text}", r.number)
                    } else {
                        text.clone()
                    };
                    first = false;
                    items.push(Item::Text {
                        text,
                        heading: None,
                        row: false,
                        links: links.clone(),
                    });
                }
            }
        }
    }

    let (built, pagination) = paginate(items);
    let total = u32::try_from(built.len()).unwrap_or(u32::MAX);
    if total > options.max_pages {
        return Err(ExtractError::TooLarge(format!(
            "the document has {total} pages, more than the limit of {}",
            options.max_pages
        )));
    }

    let mut metadata = conductor_plugin_sdk::extractor::Metadata::default();
    let core_part =
        find(&package_rels, "core-properties").unwrap_or_else(|| "docProps/core.xml".to_string());
    if let Some(bytes) = package.read(&core_part)? {
        let core = read_core(&bytes);
        metadata = core.metadata;
        if let Some(who) = core.last_modified_by {
            warnings.push(Warning::new(
                "last-modified-by",
                format!("last modified by {who}"),
                None,
            ));
        }
    }
    let app_part = find(&package_rels, "extended-properties")
        .unwrap_or_else(|| "docProps/app.xml".to_string());
    if let Some(bytes) = package.read(&app_part)? {
        metadata.creator = read_application(&bytes);
    }
    metadata.page_count = total;

    let (first, last) = options.selected_pages(total, &mut warnings);
    let mut pages = Vec::new();
    let mut headings = Vec::new();
    for (built, number) in built.into_iter().zip(1u32..) {
        if number < first || number > last {
            continue;
        }
        let (text, kept) = truncate_page(
            built.text,
            options.max_chars_per_page,
            number,
            &mut warnings,
        );
        let kept = kept.unwrap_or(usize::MAX);
        headings.extend(
            built
                .headings
                .into_iter()
                .filter(|h| (h.2 as usize) < kept)
                .map(|(title, level, offset)| Heading {
                    title,
                    level,
                    page: number,
                    offset,
                }),
        );
        let chars =
            u32::try_from(text.chars().filter(|c| !c.is_whitespace()).count()).unwrap_or(u32::MAX);
        pages.push(Page {
            number,
            text,
            chars,
            ocr: None,
            links: built.links,
        });
    }
    Ok(Document {
        metadata,
        pages,
        outline: Vec::new(),
        warnings,
        headings,
        pagination,
    })
}

fn find(rels: &[Relationship], kind: &str) -> Option<String> {
    rels.iter()
        .find(|r| !r.external && r.kind == kind)
        .map(|r| r.target.clone())
}

#[derive(Debug, Default)]
struct BuiltPage {
    text: String,
    /// Length of `text` in chars.
    len: usize,
    links: Vec<String>,
    /// (title, level, offset in chars).
    headings: Vec<(String, u32, u32)>,
    last_was_row: bool,
}

/// Splits items into pages; see [`extract_document`] for the rules.
///
/// A break before any text, and a rendered break right after another break (Word writes
/// one at the top of the page an explicit break starts), start no page. Empty pages at the
/// end are dropped; there is always at least one page.
fn paginate(items: Vec<Item>) -> (Vec<BuiltPage>, Pagination) {
    let mut pages = vec![BuiltPage::default()];
    let mut split_rendered = false;
    let mut split_explicit = false;
    let mut text_seen = false;
    let mut fresh_page = false;
    for item in items {
        match item {
            Item::Break(kind) => {
                let rendered_kind = kind == crate::body::BreakKind::Rendered;
                if !text_seen || (rendered_kind && fresh_page) {
                    continue;
                }
                if rendered_kind {
                    split_rendered = true;
                } else {
                    split_explicit = true;
                }
                pages.push(BuiltPage::default());
                fresh_page = true;
            }
            Item::Text {
                text,
                heading,
                row,
                links,
            } => {
                let page = pages.last_mut().unwrap_or_else(|| unreachable!());
                if !page.text.is_empty() {
                    let sep = if row && page.last_was_row {
                        "\n"
                    } else {
                        "\n\n"
                    };
                    page.text.push_str(sep);
                    page.len += sep.len();
                }
                if let Some((level, title)) = heading {
                    page.headings
                        .push((title, level, u32::try_from(page.len).unwrap_or(u32::MAX)));
                }
                page.len += text.chars().count();
                page.text.push_str(&text);
                page.links.extend(links);
                page.last_was_row = row;
                text_seen = true;
                fresh_page = false;
            }
        }
    }
    while pages.len() > 1 && pages.last().is_some_and(|p| p.text.trim().is_empty()) {
        pages.pop();
    }
    let pagination = if pages.len() == 1 {
        Pagination::Single
    } else if split_rendered {
        Pagination::RenderedPageBreaks
    } else if split_explicit {
        Pagination::PageBreaks
    } else {
        Pagination::Single
    };
    (pages, pagination)
}
