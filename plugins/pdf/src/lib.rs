//! PDF extractor plugin: text per page, metadata, outline and links, with a verdict on
//! whether each page needs OCR.
//!
//! [`extract_document`] does all the work as a pure function of bytes and options; the
//! SDK's `extractor` module owns the result types, the WIT bindings and the glue.

mod extract;
mod fallback;
mod lazy;
mod links;
mod load;
mod metadata;
mod outline;
mod pages;
mod quality;
mod streams;
mod strings;
#[cfg(test)]
mod testutil;
mod text;
mod xmp;

pub use conductor_plugin_sdk::extractor::{
    Document, ExtractError, Metadata, OcrReason, Options, OutlineEntry, Page, Warning,
};
pub use extract::extract_document;

use conductor_plugin_sdk::extractor::{Extractor, Info};

struct Pdf;

impl Extractor for Pdf {
    fn info() -> Info {
        Info {
            name: "pdf",
            version: env!("CARGO_PKG_VERSION"),
            formats: &["pdf"],
        }
    }

    fn extract(bytes: &[u8], options: &Options) -> Result<Document, ExtractError> {
        extract_document(bytes, options)
    }
}

conductor_plugin_sdk::export_extractor!(Pdf);
