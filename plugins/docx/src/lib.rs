//! DOCX extractor plugin: text in reading order split into pages at page breaks,
//! headings with their levels, list numbers, tables, notes, text boxes, metadata.
//!
//! [`extract_document`] does all the work as a pure function of bytes and options; this
//! file only adapts it to the `extractor` WIT world, the one place where WIT types appear.
//!
//! What the text holds, and in which order, is described in `body.rs`; footnotes and
//! endnotes come after the body, on the last page, each as `[n] text` matching the `[n]`
//! left at its reference. Styles and numbering definitions are read with docx-rs; the
//! body, notes and properties parts with a streaming reader of our own (docx-rs builds
//! a whole tree and drops text boxes). Every part is inflated under size and ratio
//! limits, DTDs are refused (no entity expansion), nesting is bounded, and the Strict
//! OOXML namespaces are read as the transitional ones.

mod body;
mod extract;
mod metadata;
mod model;
mod numbering;
mod package;
mod styles;
mod symbol;
mod xml;

pub use extract::extract_document;
pub use model::{DocxError, Extracted, Heading, Metadata, Options, Page, Pagination, Warning};

wit_bindgen::generate!({ world: "extractor", path: "../../wit" });

/// Documents are read whole; the host enforces its own size limit before handing over,
/// so this only guards against a runaway stream.
const MAX_DOCUMENT_BYTES: u64 = 4 << 30;

struct Docx;

impl Guest for Docx {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "docx".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            api_version: conductor_plugin_sdk::API_VERSION.into(),
            formats: vec!["docx".into()],
        }
    }

    fn extract(options: ExtractOptions) -> Result<Document, ExtractError> {
        let bytes = conductor_plugin_sdk::read_document(MAX_DOCUMENT_BYTES, options.size_hint)
            .map_err(ExtractError::Internal)?;
        let options = Options {
            pages: options.pages.map(|r| (r.first, r.last)),
            max_chars_per_page: options.max_chars_per_page,
            max_pages: options.max_pages,
        };
        match conductor_plugin_sdk::catch_panic(|| extract_document(&bytes, &options)) {
            Ok(Ok(doc)) => Ok(to_wit(doc)),
            Ok(Err(e)) => Err(error_to_wit(e)),
            Err(panic) => Err(ExtractError::Internal(format!("panic: {panic}"))),
        }
    }
}

fn error_to_wit(e: DocxError) -> ExtractError {
    match e {
        DocxError::Corrupt(m) => ExtractError::Corrupt(m),
        DocxError::Encrypted(m) => ExtractError::Encrypted(m),
        DocxError::TooLarge(m) => ExtractError::TooLarge(m),
        DocxError::Unsupported(m) => ExtractError::Unsupported(m),
        DocxError::Internal(m) => ExtractError::Internal(m),
    }
}

fn to_wit(doc: Extracted) -> Document {
    use engagic::conductor::types as wit;
    let m = doc.metadata;
    Document {
        metadata: wit::Metadata {
            title: m.title,
            author: m.author,
            subject: m.subject,
            creator: m.creator,
            producer: m.producer,
            created: m.created,
            modified: m.modified,
            page_count: m.page_count,
        },
        pages: doc
            .pages
            .into_iter()
            .map(|p| wit::Page {
                number: p.number,
                text: p.text,
                chars: p.chars,
                needs_ocr: false,
                ocr_reason: None,
                links: p.links,
            })
            .collect(),
        outline: Vec::new(),
        warnings: doc
            .warnings
            .into_iter()
            .map(|w| wit::Warning {
                code: w.code.into(),
                message: w.message,
                page: w.page,
            })
            .collect(),
        headings: doc
            .headings
            .into_iter()
            .map(|h| wit::Heading {
                title: h.title,
                level: h.level,
                page: h.page,
                offset: Some(h.offset),
            })
            .collect(),
        pagination: match doc.pagination {
            Pagination::PageBreaks => wit::Pagination::PageBreaks,
            Pagination::RenderedPageBreaks => wit::Pagination::RenderedPageBreaks,
            Pagination::Single => wit::Pagination::Single,
        },
    }
}

export!(Docx);
