//! HTML extractor plugin: agenda pages from civic portals (Granicus, Legistar, CivicPlus,
//! BoardDocs, ...) as one page of text in reading order, with headings, links and
//! metadata.
//!
//! [`extract_document`] does all the work as a pure function of bytes and options; this
//! file only adapts it to the `extractor` WIT world, the one place where WIT types appear.
//!
//! The bytes are decoded in `decode.rs` (BOM, declared charset, UTF-8 or windows-1252),
//! parsed by html5ever behind a filter that bounds nesting and attributes (`parse.rs`),
//! and rendered to text by an iterative walk (`render.rs`).

mod decode;
mod extract;
mod model;
mod parse;
mod render;

pub use extract::extract_document;
pub use model::{Extracted, Heading, HtmlError, Metadata, Options, Page, Warning};

wit_bindgen::generate!({ world: "extractor", path: "../../wit" });

/// Documents are read whole; the host enforces its own size limit before handing over,
/// so this only guards against a runaway stream.
const MAX_DOCUMENT_BYTES: u64 = 4 << 30;

struct Html;

impl Guest for Html {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "html".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            api_version: conductor_plugin_sdk::API_VERSION.into(),
            formats: vec!["html".into()],
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

fn error_to_wit(e: HtmlError) -> ExtractError {
    match e {
        HtmlError::Corrupt(m) => ExtractError::Corrupt(m),
        HtmlError::TooLarge(m) => ExtractError::TooLarge(m),
        HtmlError::Unsupported(m) => ExtractError::Unsupported(m),
        HtmlError::Internal(m) => ExtractError::Internal(m),
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
        pagination: wit::Pagination::Single,
    }
}

export!(Html);
