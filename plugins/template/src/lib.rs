//! Plain-text extractor plugin, and the template a plugin author copies (docs/plugins.md).
//!
//! A plugin is two parts, kept apart on purpose:
//!
//! - this file, the only place that knows the crate is a WebAssembly component: it says
//!   who the plugin is ([`Extractor::info`]) and hands the document to the extraction.
//!   The SDK's `export_extractor!` does the rest: it reads the document from stdin,
//!   catches panics, and converts the result to the WIT types of `wit/types.wit`;
//! - `extract.rs`, the extraction as a pure function of bytes and options. It knows
//!   nothing about components, so native unit tests and the fuzz target call it directly
//!   and it runs the same way there as in the sandbox.
//!
//! Format: UTF-8 (a BOM is dropped), or UTF-16 when a BOM says so; line endings become
//! `\n`; form feeds separate pages, the way `pdftotext` writes them.

mod extract;

// Re-exported so that tests and fuzz targets need only this crate.
pub use conductor_plugin_sdk::extractor::{Document, ExtractError, Options, Pagination};
pub use extract::extract_text;

use conductor_plugin_sdk::extractor::{Extractor, Info};

struct PlainText;

impl Extractor for PlainText {
    /// The host calls this once at load and checks it against `plugin.toml`: the name,
    /// version and API version (the SDK adds it) must agree, and every format the manifest
    /// names must be listed here. Change all three places together.
    fn info() -> Info {
        Info {
            name: "plaintext",
            version: env!("CARGO_PKG_VERSION"),
            formats: &["text"],
        }
    }

    fn extract(bytes: &[u8], options: &Options) -> Result<Document, ExtractError> {
        extract_text(bytes, options)
    }
}

// Generates the component's exports (`info`, `extract`) for the `extractor` world.
conductor_plugin_sdk::export_extractor!(PlainText);
