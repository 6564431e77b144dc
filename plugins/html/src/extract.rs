//! The whole extraction as a pure function of bytes and options.

use crate::decode::decode;
use crate::parse::{MAX_DEPTH, parse};
use crate::render::render;
use conductor_plugin_sdk::extractor::{
    Document, ExtractError, Heading, Options, Page, Pagination, Warning,
};

/// Extracts an HTML document: its text as one page, headings, links and metadata.
///
/// Any bytes are HTML to a browser, so no document is refused as corrupt: the charset
/// comes from a BOM, a `<meta>` declaration or the bytes themselves (see `decode.rs`);
/// nesting deeper than 512 elements is flattened (warning `too-deep`); text beyond
/// `options.max_chars_per_page` is cut (warning `truncated`).
///
/// # Errors
/// [`ExtractError::Unsupported`] for a malformed page range; [`ExtractError::TooLarge`] when
/// `options.max_pages` is 0.
pub fn extract_document(bytes: &[u8], options: &Options) -> Result<Document, ExtractError> {
    options.check_range()?;
    if options.max_pages == 0 {
        return Err(ExtractError::TooLarge(
            "the document has 1 page, more than the limit of 0".into(),
        ));
    }
    let mut warnings = Vec::new();
    let decoded = decode(bytes);
    if let Some(note) = decoded.note {
        warnings.push(Warning::new("charset", note, None));
    }
    let parsed = parse(decoded.text);
    if parsed.dropped > 0 {
        warnings.push(Warning::new(
            "too-deep",
            format!(
                "{} elements nested deeper than {MAX_DEPTH} levels were flattened into their parents",
                parsed.dropped
            ),
            Some(1),
        ));
    }
    let limit = usize::try_from(options.max_chars_per_page).unwrap_or(usize::MAX);
    let rendered = render(&parsed.dom.document, limit);
    drop(parsed);
    if rendered.truncated {
        warnings.push(Warning::new(
            "truncated",
            format!("page 1 has more than {limit} characters; cut to {limit}"),
            Some(1),
        ));
    }

    let wanted = options.pages.is_none_or(|(first, _)| first == 1);
    if let Some((first, last)) = options.pages
        && last > 1
    {
        warnings.push(Warning::new(
            "page-range",
            format!("pages {first}-{last} were asked for, the document has 1"),
            None,
        ));
    }
    let (pages, headings) = if wanted {
        let chars = rendered.text.chars().filter(|c| !c.is_whitespace()).count();
        let headings = rendered
            .headings
            .into_iter()
            .map(|(level, title, offset)| Heading {
                title,
                level,
                page: 1,
                offset: u32::try_from(offset).unwrap_or(u32::MAX),
            })
            .collect();
        let page = Page {
            number: 1,
            text: rendered.text,
            chars: u32::try_from(chars).unwrap_or(u32::MAX),
            ocr: None,
            links: rendered.links,
        };
        (vec![page], headings)
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(Document {
        metadata: rendered.metadata,
        pages,
        outline: Vec::new(),
        warnings,
        headings,
        pagination: Pagination::Single,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(html: &str) -> Document {
        match extract_document(html.as_bytes(), &Options::default()) {
            Ok(doc) => doc,
            Err(e) => unreachable!("{e}"),
        }
    }

    fn text(doc: &Document) -> &str {
        doc.pages.first().map_or("", |p| p.text.as_str())
    }

    #[test]
    fn structure_metadata_and_links() {
        let doc = run(
            "<html><head><title> Agenda  </title><meta name=author content='Clerk'>\
             <meta name=description content='Regular meeting'><style>p{}</style>\
             <script>var secret=1</script></head><body><h1>City   Council</h1>\
             <p>Call to <b>order</b></p><ol start=3><li>Minutes<li>Budget</ol>\
             <ul><li>one</li></ul><table><tr><td>1.</td><td>Item <a href='/a.pdf'>A</a></td></tr>\
             <tr><td>2.</td><td>Item B</td></tr></table><noscript>enable js</noscript>\
             <template>hidden</template><a href='javascript:void(0)'>x</a><h2>Adjourn</h2>",
        );
        let t = text(&doc);
        assert_eq!(
            t,
            "City Council\n\nCall to order\n\n3. Minutes\n4. Budget\n\n• one\n\n1.\tItem A\n2.\tItem B\n\nx\n\nAdjourn"
        );
        assert_eq!(doc.metadata.title.as_deref(), Some("Agenda"));
        assert_eq!(doc.metadata.author.as_deref(), Some("Clerk"));
        assert_eq!(doc.metadata.subject.as_deref(), Some("Regular meeting"));
        assert_eq!(doc.pages[0].links, vec!["/a.pdf"]);
        let heads: Vec<_> = doc
            .headings
            .iter()
            .map(|h| (h.title.as_str(), h.level))
            .collect();
        assert_eq!(heads, vec![("City Council", 1), ("Adjourn", 2)]);
        for h in &doc.headings {
            let at: String = t
                .chars()
                .skip(h.offset as usize)
                .take(h.title.chars().count())
                .collect();
            assert_eq!(at, h.title);
        }
    }

    #[test]
    fn pathological_nesting_is_bounded() {
        let n = 100_000;
        let html = format!("{}deep{}", "<div>".repeat(n), "</div>".repeat(n));
        let started = std::time::Instant::now();
        let doc = run(&html);
        assert_eq!(text(&doc), "deep");
        assert!(doc.warnings.iter().any(|w| w.code == "too-deep"));
        assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
        // Unclosed, misnested and self-closed variants too.
        for unit in [
            "<div/>",
            "<b><i>",
            "<table><tr><td>",
            "<ul><li>x",
            "<span></x>",
        ] {
            let html = format!("{}end", unit.repeat(4_000));
            let doc = run(&html);
            assert!(text(&doc).ends_with("end"), "{unit}");
        }
    }

    #[test]
    fn huge_attributes_are_dropped() {
        let big = "x".repeat(20 << 20);
        let html = format!(
            "<p title='{big}' data-x='{big}'>a</p><a href='{big}'>b</a><a href='/ok'>c</a>"
        );
        let doc = run(&html);
        assert_eq!(text(&doc), "a\n\nbc");
        assert_eq!(doc.pages[0].links, vec!["/ok"]);
    }

    #[test]
    fn text_is_cut_at_the_limit() {
        let html = format!("<p>{}</p>", "word ".repeat(100_000));
        let options = Options {
            max_chars_per_page: 1000,
            ..Options::default()
        };
        let doc = extract_document(html.as_bytes(), &options);
        let doc = doc.unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(doc.pages[0].text.chars().count(), 1000);
        assert!(doc.warnings.iter().any(|w| w.code == "truncated"));
    }

    #[test]
    fn legacy_charset_and_page_ranges() {
        let doc = extract_document(
            b"<meta charset=windows-1252><h1>Caf\xE9 \x96 men\xFA</h1>",
            &Options::default(),
        )
        .unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(doc.headings[0].title, "Café – menú");
        let options = Options {
            pages: Some((2, 3)),
            ..Options::default()
        };
        let doc = extract_document(b"<p>x", &options).unwrap_or_else(|e| unreachable!("{e}"));
        assert!(doc.pages.is_empty());
        assert_eq!(doc.metadata.page_count, 1);
        let options = Options {
            pages: Some((0, 1)),
            ..Options::default()
        };
        assert!(matches!(
            extract_document(b"", &options),
            Err(ExtractError::Unsupported(_))
        ));
    }
}
