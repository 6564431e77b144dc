//! The `extractor` world, whole: the plain-Rust model, the WIT bindings, and the glue
//! between them. A plugin implements [`Extractor`] and calls [`export_extractor!`]:
//!
//! ```ignore
//! use conductor_plugin_sdk::extractor::{Document, ExtractError, Extractor, Info, Options};
//!
//! struct Pdf;
//!
//! impl Extractor for Pdf {
//!     fn info() -> Info {
//!         Info { name: "pdf", version: env!("CARGO_PKG_VERSION"), formats: &["pdf"] }
//!     }
//!     fn extract(bytes: &[u8], options: &Options) -> Result<Document, ExtractError> {
//!         extract_document(bytes, options)
//!     }
//! }
//!
//! conductor_plugin_sdk::export_extractor!(Pdf);
//! ```
//!
//! The glue reads the document from stdin (sized by the host's hint), runs the extractor
//! under [`crate::catch_panic`], and converts the result to WIT types; this module is the
//! one place where the extractor world's WIT types appear.

mod json;
mod model;

pub use json::document_json;

pub use model::{
    Document, ExtractError, Heading, Metadata, OcrReason, Options, OutlineEntry, Page, Pagination,
    Warning, truncate_page,
};

/// wit-bindgen's bindings for world `extractor`, generated once here. Plugins reach them
/// through [`export_extractor!`]; a test component that must build WIT values by hand
/// (one returning deliberately wrong output) may use them directly.
#[doc(hidden)]
#[allow(clippy::all, clippy::pedantic, unsafe_op_in_unsafe_fn)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "extractor",
        path: "../../wit",
        pub_export_macro: true,
        export_macro_name: "export",
        default_bindings_module: "conductor_plugin_sdk::extractor::bindings",
    });
}

use bindings::engagic::conductor::types as wit;

/// Documents are read whole; the host enforces its own size limit before handing over,
/// so this only guards against a runaway stream.
pub const MAX_DOCUMENT_BYTES: u64 = 4 << 30;

/// What an extractor says about itself (WIT `plugin-info`; the API version is the SDK's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Info {
    /// Short unique name, e.g. `pdf`.
    pub name: &'static str,
    /// The plugin's own version: pass `env!("CARGO_PKG_VERSION")`.
    pub version: &'static str,
    /// Formats handled, by short name.
    pub formats: &'static [&'static str],
}

/// A format extractor: a pure function from a document's bytes to its text.
pub trait Extractor {
    /// Describes the plugin.
    fn info() -> Info;

    /// Extracts one document.
    ///
    /// # Errors
    /// Returns why the document as a whole could not be extracted.
    fn extract(bytes: &[u8], options: &Options) -> Result<Document, ExtractError>;
}

/// WIT `info`, for [`export_extractor!`].
#[doc(hidden)]
pub fn info<E: Extractor>() -> wit::PluginInfo {
    let info = E::info();
    wit::PluginInfo {
        name: info.name.into(),
        version: info.version.into(),
        api_version: crate::API_VERSION.into(),
        formats: info.formats.iter().map(|&f| f.into()).collect(),
    }
}

/// WIT `extract`, for [`export_extractor!`]: stdin in, a WIT document or error out.
///
/// # Errors
/// The extractor's error, a stdin failure, or a caught panic, as `extract-error`.
#[doc(hidden)]
pub fn extract<E: Extractor>(
    options: wit::ExtractOptions,
) -> Result<wit::Document, wit::ExtractError> {
    let bytes = crate::read_document(MAX_DOCUMENT_BYTES, options.size_hint)
        .map_err(wit::ExtractError::Internal)?;
    let options = Options {
        pages: options.pages.map(|r| (r.first, r.last)),
        max_chars_per_page: options.max_chars_per_page,
        max_pages: options.max_pages,
        password: options.password,
    };
    match crate::catch_panic(|| E::extract(&bytes, &options)) {
        Ok(Ok(doc)) => Ok(to_wit(doc)),
        Ok(Err(e)) => Err(error_to_wit(e)),
        Err(panic) => Err(wit::ExtractError::Internal(format!("panic: {panic}"))),
    }
}

/// WIT `extract-json` (since 0.3.0), for [`export_extractor!`]: [`extract`]'s document as
/// JSON text ([`document_json`]), so that it crosses to the host as one string.
///
/// # Errors
/// As [`extract`].
#[doc(hidden)]
pub fn extract_json<E: Extractor>(
    options: wit::ExtractOptions,
) -> Result<String, wit::ExtractError> {
    let doc = extract::<E>(options)?;
    // Serialising cannot panic by design; guarded anyway, like every other step the glue
    // runs on a document's behalf, so a bug comes back as `internal`, not a trap.
    crate::catch_panic(|| document_json(&doc))
        .map_err(|panic| wit::ExtractError::Internal(format!("panic: {panic}")))
}

fn error_to_wit(e: ExtractError) -> wit::ExtractError {
    match e {
        ExtractError::Corrupt(m) => wit::ExtractError::Corrupt(m),
        ExtractError::Encrypted(m) => wit::ExtractError::Encrypted(m),
        ExtractError::TooLarge(m) => wit::ExtractError::TooLarge(m),
        ExtractError::Unsupported(m) => wit::ExtractError::Unsupported(m),
        ExtractError::Internal(m) => wit::ExtractError::Internal(m),
    }
}

fn to_wit(doc: Document) -> wit::Document {
    let m = doc.metadata;
    wit::Document {
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
            Pagination::Fixed => wit::Pagination::Fixed,
            Pagination::PageBreaks => wit::Pagination::PageBreaks,
            Pagination::RenderedPageBreaks => wit::Pagination::RenderedPageBreaks,
            Pagination::Single => wit::Pagination::Single,
        },
    }
}

/// Exports `$ty` (an [`Extractor`]) as the component's `extractor` world.
#[macro_export]
macro_rules! export_extractor {
    ($ty:ident) => {
        impl $crate::extractor::bindings::Guest for $ty {
            fn info() -> $crate::extractor::bindings::PluginInfo {
                $crate::extractor::info::<$ty>()
            }

            fn extract(
                options: $crate::extractor::bindings::ExtractOptions,
            ) -> ::core::result::Result<
                $crate::extractor::bindings::Document,
                $crate::extractor::bindings::ExtractError,
            > {
                $crate::extractor::extract::<$ty>(options)
            }

            fn extract_json(
                options: $crate::extractor::bindings::ExtractOptions,
            ) -> ::core::result::Result<
                ::std::string::String,
                $crate::extractor::bindings::ExtractError,
            > {
                $crate::extractor::extract_json::<$ty>(options)
            }
        }

        $crate::extractor::bindings::export!($ty with_types_in $crate::extractor::bindings);
    };
}
