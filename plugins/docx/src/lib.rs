//! DOCX extractor plugin: text in reading order split into pages at page breaks,
//! headings with their levels, list numbers, tables, notes, text boxes, metadata.
//!
//! [`extract_document`] does all the work as a pure function of bytes and options; the
//! SDK's `extractor` module owns the result types, the WIT bindings and the glue.
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
mod numbering;
mod package;
mod styles;
mod symbol;
mod xml;

pub use conductor_plugin_sdk::extractor::{
    Document, ExtractError, Heading, Metadata, Options, Page, Pagination, Warning,
};
pub use extract::extract_document;

use conductor_plugin_sdk::extractor::{Extractor, Info};

struct Docx;

impl Extractor for Docx {
    fn info() -> Info {
        Info {
            name: "docx",
            version: env!("CARGO_PKG_VERSION"),
            formats: &["docx"],
        }
    }

    fn extract(bytes: &[u8], options: &Options) -> Result<Document, ExtractError> {
        extract_document(bytes, options)
    }
}

conductor_plugin_sdk::export_extractor!(Docx);
