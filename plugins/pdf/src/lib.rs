//! PDF extractor plugin: text per page, metadata, outline and links, with a verdict on
//! whether each page needs OCR.
//!
//! [`extract_document`] does all the work as a pure function of bytes and options; this
//! file only adapts it to the `extractor` WIT world, the one place where WIT types appear.

mod extract;
mod fallback;
mod links;
mod load;
mod metadata;
mod model;
mod outline;
mod pages;
mod quality;
mod strings;
mod text;
mod xmp;

pub use extract::extract_document;
pub use model::{Extracted, Metadata, OcrReason, Options, OutlineEntry, Page, PdfError, Warning};

wit_bindgen::generate!({ world: "extractor", path: "../../wit" });

/// Documents are read whole; the host enforces its own size limit before handing over,
/// so this only guards against a runaway stream.
const MAX_DOCUMENT_BYTES: u64 = 4 << 30;

struct Pdf;

impl Guest for Pdf {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "pdf".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            api_version: conductor_plugin_sdk::API_VERSION.into(),
            formats: vec!["pdf".into()],
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

fn error_to_wit(e: PdfError) -> ExtractError {
    match e {
        PdfError::Corrupt(m) => ExtractError::Corrupt(m),
        PdfError::Encrypted(m) => ExtractError::Encrypted(m),
        PdfError::TooLarge(m) => ExtractError::TooLarge(m),
        PdfError::Unsupported(m) => ExtractError::Unsupported(m),
        PdfError::Internal(m) => ExtractError::Internal(m),
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
                needs_ocr: p.ocr.is_some(),
                ocr_reason: p.ocr.map(|r| match r {
                    OcrReason::NoTextLayer => wit::OcrReason::NoTextLayer,
                    OcrReason::GarbledText => wit::OcrReason::GarbledText,
                }),
                links: p.links,
            })
            .collect(),
        outline: doc
            .outline
            .into_iter()
            .map(|o| wit::OutlineEntry {
                title: o.title,
                level: o.level,
                page: o.page,
            })
            .collect(),
        warnings: doc
            .warnings
            .into_iter()
            .map(|w| wit::Warning {
                code: w.code.into(),
                message: w.message,
                page: w.page,
            })
            .collect(),
        // The outline is the PDF's heading structure; the host hands it to the chunker.
        headings: Vec::new(),
        pagination: wit::Pagination::Fixed,
    }
}

export!(Pdf);
