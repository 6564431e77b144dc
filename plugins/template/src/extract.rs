//! The whole extraction as a pure function of bytes and options.
//!
//! Rules every extractor follows, whatever its format:
//!
//! - return an error value, never panic: the document may be hostile, and a panic costs
//!   the host a fresh instance (the SDK catches it, but reports it as a plugin bug);
//! - honour the options: a malformed page range and too many pages are errors; text past
//!   `max_chars_per_page` is cut with a warning; only the asked-for pages are returned,
//!   while `metadata.page_count` counts them all;
//! - report whatever was lost or guessed as a [`Warning`] with a stable code.

use conductor_plugin_sdk::extractor::{
    Document, ExtractError, Metadata, Options, Page, Pagination, Warning, truncate_page,
};

/// Separates pages, as in `pdftotext` output and print spools.
const FORM_FEED: char = '\u{c}';

/// A first line longer than this is a paragraph, not a title.
const MAX_TITLE_CHARS: usize = 200;

/// Extracts a plain-text document: its pages (split at form feeds), page count and title.
///
/// Any bytes are text, so no document is refused as corrupt: bytes that are not UTF-8
/// become U+FFFD with an `invalid-utf8` warning (`invalid-utf16` for a UTF-16 file).
///
/// # Errors
/// [`ExtractError::Unsupported`] for a malformed page range; [`ExtractError::TooLarge`]
/// when the document has more than `options.max_pages` pages.
pub fn extract_text(bytes: &[u8], options: &Options) -> Result<Document, ExtractError> {
    // Checked before any work, so a bad request costs nothing.
    options.check_range()?;
    let mut warnings = Vec::new();
    let text = normalise_line_endings(decode(bytes, &mut warnings));

    // Counted before splitting, so a file of millions of form feeds is refused without
    // first building a list of millions of pages.
    let breaks = text.matches(FORM_FEED).count();
    // A form feed that ends the file closes its last page (pdftotext writes one after
    // every page); it does not open an empty one.
    let trailing = usize::from(text.ends_with(FORM_FEED));
    let total = u32::try_from(breaks + 1 - trailing).unwrap_or(u32::MAX);
    if total > options.max_pages {
        return Err(ExtractError::TooLarge(format!(
            "the document has {total} pages, more than the limit of {}",
            options.max_pages
        )));
    }

    let (first, last) = options.selected_pages(total, &mut warnings);
    let mut pages = Vec::new();
    for (number, page_text) in (1..=total).zip(text.split(FORM_FEED)) {
        if number >= first && number <= last {
            pages.push(page(number, page_text, options, &mut warnings));
        }
    }

    Ok(Document {
        metadata: Metadata {
            title: title(&text),
            page_count: total,
            ..Metadata::default()
        },
        pages,
        outline: Vec::new(),
        warnings,
        headings: Vec::new(),
        // Tells the host (and the chunker) whether page numbers mean anything.
        pagination: if breaks > 0 {
            Pagination::PageBreaks
        } else {
            Pagination::Single
        },
    })
}

fn page(number: u32, text: &str, options: &Options, warnings: &mut Vec<Warning>) -> Page {
    let (text, _) = truncate_page(
        text.to_owned(),
        options.max_chars_per_page,
        number,
        warnings,
    );
    let chars = text.chars().filter(|c| !c.is_whitespace()).count();
    Page {
        number,
        chars: u32::try_from(chars).unwrap_or(u32::MAX),
        text,
        // Text files always have their text; OCR is for formats that can lack it.
        ocr: None,
        links: Vec::new(),
    }
}

/// The first non-empty line, when it is short enough to be a title.
fn title(text: &str) -> Option<String> {
    let line = text
        .split(['\n', FORM_FEED])
        .map(str::trim)
        .find(|line| !line.is_empty())?;
    (line.chars().count() <= MAX_TITLE_CHARS).then(|| line.to_owned())
}

/// Bytes to text: a byte-order mark decides the encoding, else UTF-8.
fn decode(bytes: &[u8], warnings: &mut Vec<Warning>) -> String {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        utf8(rest, warnings)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        utf16(rest, u16::from_le_bytes, warnings)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        utf16(rest, u16::from_be_bytes, warnings)
    } else {
        utf8(bytes, warnings)
    }
}

fn utf8(bytes: &[u8], warnings: &mut Vec<Warning>) -> String {
    // Valid UTF-8, the usual case, costs one check and one copy.
    if let Ok(text) = std::str::from_utf8(bytes) {
        return text.to_owned();
    }
    // Each run of bad bytes becomes one U+FFFD, as in `String::from_utf8_lossy`, but
    // counted, so the warning can say how much was lost.
    let mut text = String::with_capacity(bytes.len());
    let mut replaced = 0;
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            replaced += chunk.invalid().len();
            text.push(char::REPLACEMENT_CHARACTER);
        }
    }
    warnings.push(Warning::new(
        "invalid-utf8",
        format!(
            "{replaced} of {} bytes are not valid UTF-8; replaced with U+FFFD",
            bytes.len()
        ),
        None,
    ));
    text
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16, warnings: &mut Vec<Warning>) -> String {
    let pairs = bytes.chunks_exact(2);
    let odd_byte = !pairs.remainder().is_empty();
    let units = pairs.map(|pair| unit([pair[0], pair[1]]));
    let mut text = String::with_capacity(bytes.len());
    let mut replaced = 0;
    for c in char::decode_utf16(units) {
        text.push(c.unwrap_or_else(|_| {
            replaced += 1;
            char::REPLACEMENT_CHARACTER
        }));
    }
    if odd_byte {
        replaced += 1;
        text.push(char::REPLACEMENT_CHARACTER);
    }
    if replaced > 0 {
        warnings.push(Warning::new(
            "invalid-utf16",
            format!(
                "{replaced} of {} code units are not valid UTF-16; replaced with U+FFFD",
                bytes.len().div_ceil(2)
            ),
            None,
        ));
    }
    text
}

/// CRLF (Windows) and lone CR (old Mac) become LF, so that pages compare equal whatever
/// system wrote the file.
fn normalise_line_endings(text: String) -> String {
    if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(bytes: &[u8]) -> Document {
        run_with(bytes, &Options::default())
    }

    fn run_with(bytes: &[u8], options: &Options) -> Document {
        extract_text(bytes, options).unwrap_or_else(|e| unreachable!("{e}"))
    }

    fn texts(doc: &Document) -> Vec<&str> {
        doc.pages.iter().map(|p| p.text.as_str()).collect()
    }

    fn codes(doc: &Document) -> Vec<&str> {
        doc.warnings.iter().map(|w| w.code).collect()
    }

    #[test]
    fn one_page_without_form_feeds() {
        let doc = run("City Council Agenda\r\n\r\n1. Call to order\r2. Roll call\n".as_bytes());
        assert_eq!(
            texts(&doc),
            ["City Council Agenda\n\n1. Call to order\n2. Roll call\n"]
        );
        assert_eq!(doc.metadata.page_count, 1);
        assert_eq!(doc.metadata.title.as_deref(), Some("City Council Agenda"));
        assert_eq!(doc.pagination, Pagination::Single);
        assert_eq!(doc.pages[0].number, 1);
        // "City Council Agenda" + "1. Call to order" + "2. Roll call", without spaces.
        assert_eq!(doc.pages[0].chars, 17 + 13 + 10);
        assert!(doc.warnings.is_empty());
    }

    #[test]
    fn form_feeds_separate_pages() {
        let doc = run(b"\n  \n  Minutes  \nfirst\x0csecond\x0c\x0cfourth\x0c");
        assert_eq!(
            texts(&doc),
            ["\n  \n  Minutes  \nfirst", "second", "", "fourth"]
        );
        assert_eq!(doc.metadata.page_count, 4);
        assert_eq!(doc.metadata.title.as_deref(), Some("Minutes"));
        assert_eq!(doc.pagination, Pagination::PageBreaks);
        let numbers: Vec<u32> = doc.pages.iter().map(|p| p.number).collect();
        assert_eq!(numbers, [1, 2, 3, 4]);
        assert_eq!(doc.pages[2].chars, 0);
        assert_eq!(doc.pages[2].ocr, None);
    }

    #[test]
    fn byte_order_marks_choose_the_encoding() {
        let utf8 = run("\u{feff}Caf\u{e9}".as_bytes());
        assert_eq!(texts(&utf8), ["Caf\u{e9}"]);

        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(
                "Caf\u{e9} \u{1f600}\r\nx"
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes),
            )
            .collect();
        assert_eq!(texts(&run(&le)), ["Caf\u{e9} \u{1f600}\nx"]);

        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("Caf\u{e9}\x0cp2".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        let doc = run(&be);
        assert_eq!(texts(&doc), ["Caf\u{e9}", "p2"]);
        assert!(doc.warnings.is_empty());
    }

    #[test]
    fn broken_utf16_is_replaced_with_a_warning() {
        // A lone high surrogate, then an odd trailing byte.
        let doc = run(&[0xFF, 0xFE, b'a', 0, 0x00, 0xD8, b'b', 0, 0x41]);
        assert_eq!(texts(&doc), ["a\u{fffd}b\u{fffd}"]);
        assert_eq!(codes(&doc), ["invalid-utf16"]);
        assert!(doc.warnings[0].message.starts_with("2 of 4 code units "));
    }

    #[test]
    fn invalid_utf8_is_replaced_and_counted() {
        let doc = run(b"caf\xE9 \xFF\xFEok \xE2\x82");
        assert_eq!(texts(&doc), ["caf\u{fffd} \u{fffd}\u{fffd}ok \u{fffd}"]);
        assert_eq!(codes(&doc), ["invalid-utf8"]);
        assert!(
            doc.warnings[0].message.starts_with("5 of 12 bytes "),
            "{}",
            doc.warnings[0].message
        );
    }

    #[test]
    fn long_first_line_is_not_a_title() {
        let long = "word ".repeat(50);
        let doc = run(format!("{long}\nsecond line").as_bytes());
        assert_eq!(doc.metadata.title, None);
        let doc = run(b" \n\t\n");
        assert_eq!(doc.metadata.title, None);
        assert_eq!(texts(&doc), [" \n\t\n"]);
    }

    #[test]
    fn empty_document_is_one_empty_page() {
        let doc = run(b"");
        assert_eq!(texts(&doc), [""]);
        assert_eq!(doc.metadata.page_count, 1);
        assert_eq!(doc.pagination, Pagination::Single);
    }

    #[test]
    fn page_ranges_and_limits() {
        let bytes = b"one\x0ctwo\x0cthree";
        let pages = |range| Options {
            pages: Some(range),
            ..Options::default()
        };
        let doc = run_with(bytes, &pages((2, 3)));
        assert_eq!(texts(&doc), ["two", "three"]);
        assert_eq!(doc.metadata.page_count, 3);

        let doc = run_with(bytes, &pages((3, 9)));
        assert_eq!(texts(&doc), ["three"]);
        assert_eq!(codes(&doc), ["page-range"]);

        assert!(matches!(
            extract_text(bytes, &pages((0, 1))),
            Err(ExtractError::Unsupported(_))
        ));
        assert!(matches!(
            extract_text(bytes, &pages((3, 2))),
            Err(ExtractError::Unsupported(_))
        ));
        let two_pages = Options {
            max_pages: 2,
            ..Options::default()
        };
        assert!(matches!(
            extract_text(bytes, &two_pages),
            Err(ExtractError::TooLarge(m)) if m.contains("3 pages")
        ));
    }

    #[test]
    fn text_is_cut_at_the_limit() {
        let options = Options {
            max_chars_per_page: 5,
            ..Options::default()
        };
        let doc = run_with("h\u{e9}llo world\x0cok".as_bytes(), &options);
        assert_eq!(texts(&doc), ["h\u{e9}llo", "ok"]);
        assert_eq!(codes(&doc), ["truncated"]);
        assert_eq!(doc.warnings[0].page, Some(1));
    }
}
