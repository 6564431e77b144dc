//! Plain Rust results of an extraction, free of WIT types so that native tests can call
//! the extractor without the component glue.

use std::fmt;

/// How to extract: the WIT `extract-options`, in Rust terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Inclusive 1-based page range; `None` means every page.
    pub pages: Option<(u32, u32)>,
    /// Characters kept per page; the rest is cut with a `truncated` warning.
    pub max_chars_per_page: u32,
    /// Documents with more pages than this are refused with [`DocxError::TooLarge`].
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

/// Document-level metadata (`docProps/core.xml`, `docProps/app.xml`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    /// `dc:title`.
    pub title: Option<String>,
    /// `dc:creator`.
    pub author: Option<String>,
    /// `dc:subject`.
    pub subject: Option<String>,
    /// The authoring application (`Application` in `docProps/app.xml`).
    pub creator: Option<String>,
    /// Always `None`: a DOCX names no separate producer.
    pub producer: Option<String>,
    /// `dcterms:created`, W3CDTF (an ISO 8601 profile), as written.
    pub created: Option<String>,
    /// `dcterms:modified`, as written.
    pub modified: Option<String>,
    /// Pages produced for the whole document.
    pub page_count: u32,
}

/// How the text was divided into pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pagination {
    /// Split at explicit page breaks only.
    PageBreaks,
    /// Split at `w:lastRenderedPageBreak` as well as at explicit breaks.
    RenderedPageBreaks,
    /// No breaks at all: one page.
    Single,
}

/// One page of text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// 1-based number in the whole document.
    pub number: u32,
    /// The page's text: paragraphs separated by a blank line, table rows by a newline.
    pub text: String,
    /// Non-whitespace characters in `text`.
    pub chars: u32,
    /// Hyperlink targets on the page, in document order.
    pub links: Vec<String>,
}

/// A heading paragraph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    /// The heading's text, without its list number.
    pub title: String,
    /// 1 for Title and Heading 1.
    pub level: u32,
    /// 1-based page the heading starts on.
    pub page: u32,
    /// Offset of the heading's line in its page's text, in Unicode scalar values.
    pub offset: u32,
}

/// A problem that did not stop extraction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Stable code: `truncated`, `page-range`, `styles`, `numbering`, `last-modified-by`, ...
    pub code: &'static str,
    /// Human-readable detail.
    pub message: String,
    /// The page it concerns, when it concerns one.
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    /// Document metadata; `page_count` counts every page, whatever range was asked for.
    pub metadata: Metadata,
    /// The pages asked for.
    pub pages: Vec<Page>,
    /// Headings on the pages asked for, in document order.
    pub headings: Vec<Heading>,
    /// Problems that did not stop extraction.
    pub warnings: Vec<Warning>,
    /// How the text was divided into pages.
    pub pagination: Pagination,
}

/// Why a document could not be extracted; mirrors the WIT `extract-error` variants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocxError {
    /// Not a readable DOCX.
    Corrupt(String),
    /// Password-protected (an encrypted OLE container, not a zip).
    Encrypted(String),
    /// Over a size or page limit.
    TooLarge(String),
    /// A feature the plugin refuses (DTDs, a malformed page range, ...).
    Unsupported(String),
    /// A bug.
    Internal(String),
}

impl fmt::Display for DocxError {
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

impl std::error::Error for DocxError {}
