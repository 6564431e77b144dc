//! End-to-end tests of `extract_document` on DOCX files built in memory: the text and its
//! structure, pages, metadata, and malformed input (every case must give a typed error or
//! partial text, never a panic).

use std::io::{Cursor, Write};

use conductor_docx::{Document, ExtractError, Options, Pagination, extract_document};
use zip::CompressionMethod;
use zip::write::{SimpleFileOptions, ZipWriter};

const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const W_STRICT: &str = "http://purl.oclc.org/ooxml/wordprocessingml/main";

/// A zip of the given parts.
fn zip_of(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, bytes) in parts {
        zip.start_file(*name, options)
            .unwrap_or_else(|e| unreachable!("{e}"));
        zip.write_all(bytes).unwrap_or_else(|e| unreachable!("{e}"));
    }
    zip.finish()
        .unwrap_or_else(|e| unreachable!("{e}"))
        .into_inner()
}

fn document_xml(ns: &str, body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{ns}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body>{body}</w:body></w:document>"#
    )
}

/// A DOCX whose body is `body`, with optional extra parts.
fn docx_with(body: &str, extra: &[(&str, &str)]) -> Vec<u8> {
    let doc = document_xml(W, body);
    let mut parts: Vec<(&str, &[u8])> = vec![("word/document.xml", doc.as_bytes())];
    parts.extend(extra.iter().map(|(n, t)| (*n, t.as_bytes())));
    zip_of(&parts)
}

fn docx(body: &str) -> Vec<u8> {
    docx_with(body, &[])
}

fn para(text: &str) -> String {
    format!("<w:p><w:r><w:t xml:space=\"preserve\">{text}</w:t></w:r></w:p>")
}

fn extract(bytes: &[u8]) -> Result<Document, ExtractError> {
    extract_document(bytes, &Options::default())
}

fn ok(bytes: &[u8]) -> Document {
    extract(bytes).unwrap_or_else(|e| unreachable!("extraction failed: {e}"))
}

fn all_text(doc: &Document) -> String {
    doc.pages
        .iter()
        .map(|p| p.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn paragraphs_single_page() {
    let doc = ok(&docx(&(para("Call to order") + &para("Roll call"))));
    assert_eq!(doc.pages.len(), 1);
    assert_eq!(doc.pages[0].text, "Call to order\n\nRoll call");
    assert_eq!(doc.pages[0].chars, 19);
    assert_eq!(doc.pagination, Pagination::Single);
    assert_eq!(doc.metadata.page_count, 1);
}

#[test]
fn explicit_breaks_make_pages() {
    let body = para("one")
        + r#"<w:p><w:r><w:br w:type="page"/></w:r></w:p>"#
        + &para("two")
        + r#"<w:p><w:pPr><w:pageBreakBefore/></w:pPr><w:r><w:t>three</w:t></w:r></w:p>"#;
    let doc = ok(&docx(&body));
    let texts: Vec<&str> = doc.pages.iter().map(|p| p.text.as_str()).collect();
    assert_eq!(texts, ["one", "two", "three"]);
    assert_eq!(doc.pagination, Pagination::PageBreaks);
    assert_eq!(doc.metadata.page_count, 3);
}

#[test]
fn rendered_breaks_make_pages_without_doubling_explicit_ones() {
    let body = para("one")
        + r#"<w:p><w:r><w:t>two</w:t><w:lastRenderedPageBreak/><w:t>three</w:t><w:br w:type="page"/></w:r></w:p>"#
        + r#"<w:p><w:r><w:lastRenderedPageBreak/><w:t>four</w:t></w:r></w:p>"#;
    let doc = ok(&docx(&body));
    let texts: Vec<&str> = doc.pages.iter().map(|p| p.text.as_str()).collect();
    assert_eq!(texts, ["one\n\ntwo", "three", "four"]);
    assert_eq!(doc.pagination, Pagination::RenderedPageBreaks);
}

#[test]
fn page_range_and_limits() {
    let body = ["a", "b", "c", "d"]
        .iter()
        .map(|t| para(t))
        .collect::<Vec<_>>()
        .join(r#"<w:p><w:r><w:br w:type="page"/></w:r></w:p>"#);
    let bytes = docx(&body);
    let doc = extract_document(
        &bytes,
        &Options {
            pages: Some((2, 3)),
            ..Options::default()
        },
    )
    .unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(
        doc.pages.iter().map(|p| p.number).collect::<Vec<_>>(),
        [2, 3]
    );
    assert_eq!(doc.metadata.page_count, 4);

    let beyond = extract_document(
        &bytes,
        &Options {
            pages: Some((3, 9)),
            ..Options::default()
        },
    )
    .unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(beyond.pages.len(), 2);
    assert!(beyond.warnings.iter().any(|w| w.code == "page-range"));

    let reversed = Options {
        pages: Some((3, 2)),
        ..Options::default()
    };
    assert!(matches!(
        extract_document(&bytes, &reversed),
        Err(ExtractError::Unsupported(_))
    ));
    let few = Options {
        max_pages: 3,
        ..Options::default()
    };
    assert!(matches!(
        extract_document(&bytes, &few),
        Err(ExtractError::TooLarge(_))
    ));
}

#[test]
fn long_pages_are_truncated() {
    let bytes = docx(&para(&"x".repeat(50)));
    let doc = extract_document(
        &bytes,
        &Options {
            max_chars_per_page: 10,
            ..Options::default()
        },
    )
    .unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(doc.pages[0].text.chars().count(), 10);
    assert!(doc.warnings.iter().any(|w| w.code == "truncated"));
}

#[test]
fn headings_with_levels_pages_and_offsets() {
    let styles = format!(
        r#"<w:styles xmlns:w="{W}"><w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/></w:style><w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/><w:basedOn w:val="Heading1"/></w:style><w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/></w:style></w:styles>"#
    );
    let body = r#"<w:p><w:pPr><w:pStyle w:val="Title"/></w:pPr><w:r><w:t>Agenda</w:t></w:r></w:p>"#
        .to_string()
        + &para("Intro")
        + r#"<w:p><w:r><w:br w:type="page"/></w:r></w:p>"#
        + &para("Body")
        + r#"<w:p><w:pPr><w:pStyle w:val="Heading2"/></w:pPr><w:r><w:t>Consent calendar</w:t></w:r></w:p>"#;
    let doc = ok(&docx_with(&body, &[("word/styles.xml", &styles)]));
    let got: Vec<(&str, u32, u32, u32)> = doc
        .headings
        .iter()
        .map(|h| (h.title.as_str(), h.level, h.page, h.offset))
        .collect();
    assert_eq!(got, [("Agenda", 1, 1, 0), ("Consent calendar", 2, 2, 6)]);
    assert_eq!(&doc.pages[1].text[6..], "Consent calendar");
}

#[test]
fn lists_show_numbers_and_bullets() {
    let numbering = format!(
        r#"<w:numbering xmlns:w="{W}"><w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="upperRoman"/><w:lvlText w:val="%1."/></w:lvl><w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="upperLetter"/><w:lvlText w:val="%1.%2"/></w:lvl></w:abstractNum><w:abstractNum w:abstractNumId="1"><w:lvl w:ilvl="0"><w:numFmt w:val="bullet"/><w:lvlText w:val="o"/></w:lvl></w:abstractNum><w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num><w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num></w:numbering>"#
    );
    let item = |num: u32, lvl: u32, text: &str| {
        format!(
            r#"<w:p><w:pPr><w:numPr><w:ilvl w:val="{lvl}"/><w:numId w:val="{num}"/></w:numPr></w:pPr><w:r><w:t>{text}</w:t></w:r></w:p>"#
        )
    };
    let body = item(1, 0, "Minutes")
        + &item(1, 1, "Approve")
        + &item(1, 0, "Reports")
        + &item(2, 0, "Note");
    let doc = ok(&docx_with(&body, &[("word/numbering.xml", &numbering)]));
    assert_eq!(
        doc.pages[0].text,
        "I. Minutes\n\nI.A Approve\n\nII. Reports\n\n- Note"
    );
}

#[test]
fn notes_follow_the_body() {
    let footnotes = format!(
        r#"<w:footnotes xmlns:w="{W}"><w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote><w:footnote w:id="1"><w:p><w:r><w:footnoteRef/></w:r><w:r><w:t xml:space="preserve"> See the staff report.</w:t></w:r></w:p></w:footnote></w:footnotes>"#
    );
    let endnotes = format!(
        r#"<w:endnotes xmlns:w="{W}"><w:endnote w:id="2"><w:p><w:r><w:t>Closing note.</w:t></w:r></w:p></w:endnote></w:endnotes>"#
    );
    let body = r#"<w:p><w:r><w:t>Item</w:t></w:r><w:r><w:endnoteReference w:id="2"/></w:r><w:r><w:t xml:space="preserve"> and more</w:t></w:r><w:r><w:footnoteReference w:id="1"/></w:r></w:p>"#;
    let doc = ok(&docx_with(
        body,
        &[
            ("word/footnotes.xml", &footnotes),
            ("word/endnotes.xml", &endnotes),
        ],
    ));
    assert_eq!(
        doc.pages[0].text,
        "Item[1] and more[2]\n\n[1] Closing note.\n\n[2] See the staff report."
    );
}

#[test]
fn metadata_from_core_and_app() {
    let core = r#"<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"><dc:title>Minutes</dc:title><dc:creator>Clerk</dc:creator><cp:lastModifiedBy>Deputy Clerk</cp:lastModifiedBy><dcterms:created>2024-01-02T03:04:05Z</dcterms:created><dcterms:modified>2024-01-03T00:00:00Z</dcterms:modified></cp:coreProperties>"#;
    let app = r#"<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>Microsoft Office Word</Application></Properties>"#;
    let doc = ok(&docx_with(
        &para("x"),
        &[("docProps/core.xml", core), ("docProps/app.xml", app)],
    ));
    let m = &doc.metadata;
    assert_eq!(m.title.as_deref(), Some("Minutes"));
    assert_eq!(m.author.as_deref(), Some("Clerk"));
    assert_eq!(m.creator.as_deref(), Some("Microsoft Office Word"));
    assert_eq!(m.created.as_deref(), Some("2024-01-02T03:04:05Z"));
    assert_eq!(m.modified.as_deref(), Some("2024-01-03T00:00:00Z"));
    let w = doc.warnings.iter().find(|w| w.code == "last-modified-by");
    assert!(w.is_some_and(|w| w.message.contains("Deputy Clerk")));
}

#[test]
fn strict_ooxml_reads_like_transitional() {
    let doc = document_xml(W_STRICT, &para("strict text"));
    let bytes = zip_of(&[("word/document.xml", doc.as_bytes())]);
    assert_eq!(ok(&bytes).pages[0].text, "strict text");
}

#[test]
fn main_part_found_through_relationships() {
    let rels = r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="/word/document2.xml"/></Relationships>"#;
    let doc = document_xml(W, &para("moved main part"));
    let bytes = zip_of(&[
        ("_rels/.rels", rels.as_bytes()),
        ("word/document2.xml", doc.as_bytes()),
    ]);
    assert_eq!(ok(&bytes).pages[0].text, "moved main part");
}

// --- malformed input -------------------------------------------------------------------

#[test]
fn not_a_zip() {
    assert!(matches!(extract(b""), Err(ExtractError::Corrupt(_))));
    assert!(matches!(
        extract(b"%PDF-1.7 nope"),
        Err(ExtractError::Corrupt(_))
    ));
    let mut truncated = docx(&para("x"));
    truncated.truncate(truncated.len() / 2);
    assert!(matches!(extract(&truncated), Err(ExtractError::Corrupt(_))));
}

#[test]
fn ole_containers() {
    let mut ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1".to_vec();
    ole.resize(512, 0);
    assert!(matches!(extract(&ole), Err(ExtractError::Unsupported(_))));
    ole.extend("EncryptionInfo".encode_utf16().flat_map(u16::to_le_bytes));
    assert!(matches!(extract(&ole), Err(ExtractError::Encrypted(_))));
}

#[test]
fn missing_main_part() {
    let bytes = zip_of(&[("word/styles.xml", b"<w:styles/>")]);
    assert!(matches!(extract(&bytes), Err(ExtractError::Corrupt(_))));
}

/// Rewrites the uncompressed size of every entry, in the local headers and the central
/// directory, as a lying archive would.
fn declare_size(zip: &mut [u8], size: u32) {
    let mut i = 0;
    while i + 46 <= zip.len() {
        match &zip[i..i + 4] {
            b"PK\x03\x04" => zip[i + 22..i + 26].copy_from_slice(&size.to_le_bytes()),
            b"PK\x01\x02" => zip[i + 24..i + 28].copy_from_slice(&size.to_le_bytes()),
            _ => {}
        }
        i += 1;
    }
}

#[test]
fn zip_bomb_declared_sizes_are_refused() {
    // 1 GiB declared for a few hundred compressed bytes: over the part limit.
    let mut bytes = docx(&para("bomb"));
    declare_size(&mut bytes, 1 << 30);
    assert!(matches!(extract(&bytes), Err(ExtractError::TooLarge(_))));
    // 64 MiB declared: under the part limit, but a ratio no real document reaches.
    let mut bytes = docx(&para("bomb"));
    declare_size(&mut bytes, 64 << 20);
    assert!(matches!(extract(&bytes), Err(ExtractError::TooLarge(_))));
}

#[test]
fn zip_bomb_understated_size_inflates_no_further() {
    // The archive claims 16 bytes; the data inflates to 4 MiB. Whatever the zip reader
    // makes of the lie, the result is an error or a short text, never the 4 MiB.
    let big = para(&"a".repeat(4 << 20));
    let mut bytes = docx(&big);
    declare_size(&mut bytes, 16);
    match extract(&bytes) {
        Ok(doc) => assert!(all_text(&doc).len() < 1024),
        Err(ExtractError::Corrupt(_) | ExtractError::TooLarge(_)) => {}
        Err(e) => unreachable!("unexpected error {e}"),
    }
}

#[test]
fn entity_expansion_is_refused() {
    let bomb = format!(
        r#"<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><w:document xmlns:w="{W}"><w:body><w:p><w:r><w:t>&c;</w:t></w:r></w:p></w:body></w:document>"#
    );
    let bytes = zip_of(&[("word/document.xml", bomb.as_bytes())]);
    assert!(matches!(extract(&bytes), Err(ExtractError::Unsupported(_))));
    // A DTD in the styles part: the part is ignored with a warning, the text survives.
    let styles = r#"<!DOCTYPE x [<!ENTITY a "b">]><w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>"#;
    let doc = ok(&docx_with(&para("kept"), &[("word/styles.xml", styles)]));
    assert_eq!(doc.pages[0].text, "kept");
    assert!(doc.warnings.iter().any(|w| w.code == "styles"));
}

#[test]
fn deep_nesting_is_bounded() {
    let deep = "<w:sdt><w:sdtContent>".repeat(5000) + &"</w:sdtContent></w:sdt>".repeat(5000);
    // Nothing readable before the fault: an error.
    assert!(matches!(
        extract(&docx(&deep)),
        Err(ExtractError::TooLarge(_))
    ));
    // Text before the fault is kept, with a warning.
    let doc = ok(&docx(&(para("before") + &deep)));
    assert_eq!(doc.pages[0].text, "before");
    assert!(doc.warnings.iter().any(|w| w.code == "partial"));
}

#[test]
fn malformed_xml_keeps_text_before_the_fault() {
    let body = para("good") + "<w:p><w:r><w:t>bad</w:x></w:r></w:p>";
    let doc = ok(&docx(&body));
    assert_eq!(doc.pages[0].text, "good");
    assert!(doc.warnings.iter().any(|w| w.code == "partial"));
    let only_bad = docx("<w:p><w:r><w:t>bad</w:x>");
    assert!(matches!(extract(&only_bad), Err(ExtractError::Corrupt(_))));
}

#[test]
fn garbage_in_optional_parts_does_not_fail() {
    let doc = ok(&docx_with(
        &para("text"),
        &[
            ("word/styles.xml", "<w:styles><oops"),
            ("word/numbering.xml", "\u{0}\u{1}garbage"),
            ("docProps/core.xml", "<<<"),
            (
                "word/_rels/document.xml.rels",
                "<Relationships><Relationship Id=",
            ),
        ],
    ));
    assert_eq!(doc.pages[0].text, "text");
}

#[test]
fn large_document_is_read() {
    // 20,000 paragraphs (about 1.5 MB of XML) with a page break every 1,000.
    let mut body = String::new();
    for i in 0..20_000 {
        if i > 0 && i % 1000 == 0 {
            body.push_str(r#"<w:p><w:r><w:br w:type="page"/></w:r></w:p>"#);
        }
        body.push_str(&para(&format!("paragraph {i}")));
    }
    let doc = ok(&docx(&body));
    assert_eq!(doc.pages.len(), 20);
    assert!(doc.pages[19].text.ends_with("paragraph 19999"));
}
