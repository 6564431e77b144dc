//! Plain Rust results of an extraction, free of WIT types so that native tests can call
//! the extractor without the component glue.

use std::fmt;

/// How to extract: the WIT `extract-options`, in Rust terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Inclusive 1-based page range; `None` means every page (an HTML document has one).
    pub pages: Option<(u32, u32)>,
    /// Characters kept on the page; the rest is cut with a `truncated` warning.
    pub max_chars_per_page: u32,
    /// Documents with more pages than this are refused with [`HtmlError::TooLarge`].
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

/// Document-level metadata from `<title>` and `<meta name=...>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    /// The first `<title>`, whitespace collapsed.
    pub title: Option<String>,
    /// `<meta name="author">`.
    pub author: Option<String>,
    /// `<meta name="description">`.
    pub subject: Option<String>,
    /// `<meta name="generator">`: the authoring application.
    pub creator: Option<String>,
    /// Always `None`: HTML names no separate producer.
    pub producer: Option<String>,
    /// Always `None`.
    pub created: Option<String>,
    /// Always `None`.
    pub modified: Option<String>,
    /// Always 1: an HTML document has no pages of its own.
    pub page_count: u32,
}

/// The document's one page of text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Always 1.
    pub number: u32,
    /// Blocks separated by newlines (a blank line after paragraphs, headings, tables and
    /// lists), table rows one per line with cells separated by a tab, list items with
    /// their bullet or number.
    pub text: String,
    /// Non-whitespace characters in `text`.
    pub chars: u32,
    /// `href`s of the document's links, as written, in document order.
    pub links: Vec<String>,
}

/// An `h1`..`h6` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    /// The heading's text, whitespace collapsed.
    pub title: String,
    /// 1 for `h1` .. 6 for `h6`.
    pub level: u32,
    /// Always 1.
    pub page: u32,
    /// Offset of the heading's first character in the page text, in Unicode scalar values.
    pub offset: u32,
}

/// A problem that did not stop extraction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Stable code: `truncated`, `page-range`, `charset`, `too-deep`.
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

/// A successfully extracted document; its pagination is always `single`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    /// Document metadata.
    pub metadata: Metadata,
    /// The page, unless the page range asked for excludes it.
    pub pages: Vec<Page>,
    /// Headings on the page, in document order.
    pub headings: Vec<Heading>,
    /// Problems that did not stop extraction.
    pub warnings: Vec<Warning>,
}

/// Why a document could not be extracted; mirrors the WIT `extract-error` variants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HtmlError {
    /// Never produced: any bytes parse as HTML. Kept to mirror the WIT variants.
    Corrupt(String),
    /// Over a limit (`max-pages` of 0).
    TooLarge(String),
    /// A malformed page range.
    Unsupported(String),
    /// A bug.
    Internal(String),
}

impl fmt::Display for HtmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Corrupt(m) => write!(f, "corrupt: {m}"),
            Self::TooLarge(m) => write!(f, "too large: {m}"),
            Self::Unsupported(m) => write!(f, "unsupported: {m}"),
            Self::Internal(m) => write!(f, "internal: {m}"),
        }
    }
}

impl std::error::Error for HtmlError {}
