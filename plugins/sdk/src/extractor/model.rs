//! Plain Rust results of an extraction, free of WIT types so that native tests and fuzz
//! targets can call an extractor without the component glue. Each type mirrors one in
//! `wit/types.wit`; the conversion is in `super::to_wit`.

use std::fmt;

/// How to extract: the WIT `extract-options`, in Rust terms (`size-hint` is the glue's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Inclusive 1-based page range; `None` means every page.
    pub pages: Option<(u32, u32)>,
    /// Characters kept per page; the rest is cut with a `truncated` warning.
    pub max_chars_per_page: u32,
    /// Documents with more pages than this are refused with [`ExtractError::TooLarge`].
    pub max_pages: u32,
    /// The user password for an encrypted document (WIT 0.3.0); `None` from older hosts
    /// and when the caller gave none. An extractor that cannot use it ignores it.
    pub password: Option<String>,
}

impl Options {
    /// Checks the page range alone, before any work on the document.
    ///
    /// # Errors
    /// [`ExtractError::Unsupported`] when the range starts at 0 or is reversed.
    pub fn check_range(&self) -> Result<(), ExtractError> {
        match self.pages {
            Some((first, last)) if first == 0 || first > last => {
                Err(ExtractError::Unsupported(format!(
                    "invalid page range {first}-{last}: pages are numbered from 1 and the range must not be reversed"
                )))
            }
            _ => Ok(()),
        }
    }

    /// The inclusive range of pages to extract from a document of `total` pages. A range
    /// running past the end keeps the pages that exist, with a `page-range` warning.
    pub fn selected_pages(&self, total: u32, warnings: &mut Vec<Warning>) -> (u32, u32) {
        let (first, last) = self.pages.unwrap_or((1, total));
        if last > total {
            warnings.push(Warning::new(
                "page-range",
                format!("pages {first}-{last} were asked for, the document has {total}"),
                None,
            ));
        }
        (first, last)
    }
}

/// Cuts page `number`'s `text` to `max` characters (Unicode scalar values) on a character
/// boundary, with a `truncated` warning; returns the text and, when it was cut, how many
/// characters were kept.
pub fn truncate_page(
    mut text: String,
    max: u32,
    number: u32,
    warnings: &mut Vec<Warning>,
) -> (String, Option<usize>) {
    let max = usize::try_from(max).unwrap_or(usize::MAX);
    if let Some((cut, _)) = text.char_indices().nth(max) {
        let total = text.chars().count();
        text.truncate(cut);
        warnings.push(Warning::new(
            "truncated",
            format!("page {number} has {total} characters; cut to {max}"),
            Some(number),
        ));
        return (text, Some(max));
    }
    (text, None)
}

impl Default for Options {
    fn default() -> Self {
        Self {
            pages: None,
            max_chars_per_page: 200_000,
            max_pages: 10_000,
            password: None,
        }
    }
}

/// Document-level metadata. Dates are ISO 8601 where the source date parsed, else the
/// raw value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    pub title: Option<String>,
    pub author: Option<String>,
    pub subject: Option<String>,
    /// The authoring application.
    pub creator: Option<String>,
    /// The application that wrote the file, when the format names one apart (PDF).
    pub producer: Option<String>,
    pub created: Option<String>,
    pub modified: Option<String>,
    /// Pages in the whole document, whatever range was asked for.
    pub page_count: u32,
}

/// Why a page should go to OCR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OcrReason {
    /// The page draws no text at all.
    NoTextLayer,
    /// The page has text, but it decodes to garbage.
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
    /// Set when the page should go to OCR.
    pub ocr: Option<OcrReason>,
    /// Link targets on the page, in document order.
    pub links: Vec<String>,
}

/// One outline (bookmark) entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutlineEntry {
    pub title: String,
    /// 1 for top-level entries.
    pub level: u32,
    /// 1-based page the entry points at, when it resolves to one.
    pub page: Option<u32>,
}

/// A heading found in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    /// The heading's text, without any list number.
    pub title: String,
    /// 1 for the top level (Title, Heading 1, `h1`).
    pub level: u32,
    /// 1-based page the heading starts on.
    pub page: u32,
    /// Offset of the heading in its page's text, in Unicode scalar values. An extractor
    /// always knows it; WIT's `none` is only for headings the host makes from outlines.
    pub offset: u32,
}

/// How the text was divided into pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pagination {
    /// The format has fixed pages (PDF).
    Fixed,
    /// Split at explicit page breaks only.
    PageBreaks,
    /// Split at rendered page breaks as well as at explicit ones.
    RenderedPageBreaks,
    /// No page information: one page.
    Single,
}

/// A problem that did not stop extraction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Stable code: `truncated`, `page-failed`, `page-range`, `styles`, ...
    pub code: &'static str,
    /// Human-readable detail.
    pub message: String,
    /// The page it concerns, when it concerns one.
    pub page: Option<u32>,
}

impl Warning {
    #[must_use]
    pub fn new(code: &'static str, message: impl Into<String>, page: Option<u32>) -> Self {
        Self {
            code,
            message: message.into(),
            page,
        }
    }
}

/// A successfully extracted document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// Document metadata; `page_count` counts every page, whatever range was asked for.
    pub metadata: Metadata,
    /// The pages asked for.
    pub pages: Vec<Page>,
    /// The document outline (bookmarks), when the format has one.
    pub outline: Vec<OutlineEntry>,
    /// Problems that did not stop extraction.
    pub warnings: Vec<Warning>,
    /// Headings on the pages asked for, in document order.
    pub headings: Vec<Heading>,
    /// How the text was divided into pages.
    pub pagination: Pagination,
}

/// Why a document could not be extracted; mirrors the WIT `extract-error` variants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtractError {
    /// Not a readable document of the plugin's format.
    Corrupt(String),
    /// A password is needed.
    Encrypted(String),
    /// Over a size or page limit.
    TooLarge(String),
    /// A feature the plugin does not support.
    Unsupported(String),
    /// A bug, or a caught panic.
    Internal(String),
}

impl fmt::Display for ExtractError {
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

impl std::error::Error for ExtractError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_ranges() {
        let opts = |pages| Options {
            pages,
            ..Options::default()
        };
        assert!(opts(Some((0, 2))).check_range().is_err());
        assert!(opts(Some((3, 2))).check_range().is_err());
        assert!(opts(Some((2, 2))).check_range().is_ok());
        let mut w = Vec::new();
        assert_eq!(opts(None).selected_pages(4, &mut w), (1, 4));
        assert!(w.is_empty());
        assert_eq!(opts(Some((2, 9))).selected_pages(4, &mut w), (2, 9));
        assert_eq!(w[0].code, "page-range");
    }
}
