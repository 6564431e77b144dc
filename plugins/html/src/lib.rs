//! HTML extractor plugin: agenda pages from civic portals (Granicus, Legistar, CivicPlus,
//! BoardDocs, ...) as one page of text in reading order, with headings, links and
//! metadata.
//!
//! [`extract_document`] does all the work as a pure function of bytes and options; the
//! SDK's `extractor` module owns the result types, the WIT bindings and the glue.
//!
//! The bytes are decoded in `decode.rs` (BOM, declared charset, UTF-8 or windows-1252),
//! parsed by html5ever behind a filter that bounds nesting and attributes (`parse.rs`),
//! and rendered to text by an iterative walk (`render.rs`).

mod decode;
mod extract;
mod parse;
mod render;

pub use conductor_plugin_sdk::extractor::{
    Document, ExtractError, Heading, Metadata, Options, Page, Pagination, Warning,
};
pub use extract::extract_document;

use conductor_plugin_sdk::extractor::{Extractor, Info};

struct Html;

impl Extractor for Html {
    fn info() -> Info {
        Info {
            name: "html",
            version: env!("CARGO_PKG_VERSION"),
            formats: &["html"],
        }
    }

    fn extract(bytes: &[u8], options: &Options) -> Result<Document, ExtractError> {
        extract_document(bytes, options)
    }
}

conductor_plugin_sdk::export_extractor!(Html);
