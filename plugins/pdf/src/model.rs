//! Plain Rust results of an extraction, free of WIT types so that native tests and fuzz
//! targets can call the extractor without the component glue.

use std::fmt;

/// How to extract: the WIT `extract-options`, in Rust terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Inclusive 1-based page range; `None` means every page.
    pub pages: Option<(u32, u32)>,
    /// Characters kept per page; the rest is cut with a `truncated` warning.
    pub max_chars_per_page: u32,
    /// Documents with more pages than this are refused with [`PdfError::TooLarge`].
    pub max_pages: u32,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            pages: None,
            max_chars_per_page: 200_000,
            max_pages: 10_000,
        }
    }
}

/// Document-level metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    pub title: Option<String>,
    pub author: Option<String>,
    pub subject: Option<String>,
    pub creator: Option<String>,
    pub producer: Option<String>,
    /// ISO 8601 when the PDF date parsed, else the raw value.
    pub created: Option<String>,
    pub modified: Option<String>,
    /// Pages in the whole document.
    pub page_count: u32,
}

/// Why a page should go to OCR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OcrReason {
    NoTextLayer,
    GarbledText,
}

/// One extracted page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// 1-based number in the whole document.
    pub number: u32,
    pub text: String,
    /// Non-whitespace characters in `text`.
    pub chars: u32,
    pub ocr: Option<OcrReason>,
    pub links: Vec<String>,
}

/// One outline (bookmark) entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutlineEntry {
    pub title: String,
    /// 1 for top-level entries.
    pub level: u32,
    /// 1-based page the entry points at.
    pub page: Option<u32>,
}

/// A problem that did not stop extraction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Stable code: `truncated`, `page-failed`, `page-range`, `recovered`, ...
    pub code: &'static str,
    pub message: String,
    pub page: Option<u32>,
}

impl Warning {
    pub(crate) fn new(code: &'static str, message: impl Into<String>, page: Option<u32>) -> Self {
        Self {
            code,
            message: message.into(),
            page,
        }
    }
}

/// A successfully extracted document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extracted {
    pub metadata: Metadata,
    pub pages: Vec<Page>,
    pub outline: Vec<OutlineEntry>,
    pub warnings: Vec<Warning>,
}

/// Why a document could not be extracted; mirrors the WIT `extract-error` variants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PdfError {
    Corrupt(String),
    Encrypted(String),
    TooLarge(String),
    Unsupported(String),
    Internal(String),
}

impl fmt::Display for PdfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Corrupt(m) => write!(f, "corrupt: {m}"),
            Self::Encrypted(m) => write!(f, "encrypted: {m}"),
            Self::TooLarge(m) => write!(f, "too large: {m}"),
            Self::Unsupported(m) => write!(f, "unsupported: {m}"),
            Self::Internal(m) => write!(f, "internal: {m}"),
        }
    }
}

impl std::error::Error for PdfError {}
