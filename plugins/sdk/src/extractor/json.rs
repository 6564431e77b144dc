//! The WIT `document` record as JSON text, for the `extract-json` export (WIT 0.3.0).
//!
//! Written from the WIT value itself (not from the plain-Rust model), so that the two
//! exports cannot drift apart: whatever `extract` would return, `extract-json` returns the
//! same fields, named as in `wit/types.wit` (kebab case), `option` as `null` or the
//! value, enums as their kebab-case case names.
//!
//! Hand-written rather than serde: the shape is small and fixed, and the text is the
//! bulk of the output, so the one thing worth care is escaping it in runs, not per char.

use std::fmt::Write as _;

use super::bindings::engagic::conductor::types as wit;

/// `doc` as one JSON object (see the module docs for the mapping).
#[must_use]
pub fn document_json(doc: &wit::Document) -> String {
    let text_bytes: usize = doc.pages.iter().map(|p| p.text.len()).sum();
    // Text plus a little per page: one allocation for the common case.
    let mut out = String::with_capacity(text_bytes + text_bytes / 16 + 256 * doc.pages.len() + 512);
    out.push_str("{\"metadata\":");
    metadata(&mut out, &doc.metadata);
    out.push_str(",\"pages\":[");
    for (i, p) in doc.pages.iter().enumerate() {
        comma(&mut out, i);
        out.push_str("{\"number\":");
        uint(&mut out, p.number);
        out.push_str(",\"text\":");
        string(&mut out, &p.text);
        out.push_str(",\"chars\":");
        uint(&mut out, p.chars);
        out.push_str(",\"needs-ocr\":");
        out.push_str(if p.needs_ocr { "true" } else { "false" });
        out.push_str(",\"ocr-reason\":");
        match p.ocr_reason {
            None => out.push_str("null"),
            Some(wit::OcrReason::NoTextLayer) => out.push_str("\"no-text-layer\""),
            Some(wit::OcrReason::GarbledText) => out.push_str("\"garbled-text\""),
        }
        out.push_str(",\"links\":[");
        for (j, link) in p.links.iter().enumerate() {
            comma(&mut out, j);
            string(&mut out, link);
        }
        out.push_str("]}");
    }
    out.push_str("],\"outline\":[");
    for (i, o) in doc.outline.iter().enumerate() {
        comma(&mut out, i);
        out.push_str("{\"title\":");
        string(&mut out, &o.title);
        out.push_str(",\"level\":");
        uint(&mut out, o.level);
        out.push_str(",\"page\":");
        opt_uint(&mut out, o.page);
        out.push('}');
    }
    out.push_str("],\"warnings\":[");
    for (i, w) in doc.warnings.iter().enumerate() {
        comma(&mut out, i);
        out.push_str("{\"code\":");
        string(&mut out, &w.code);
        out.push_str(",\"message\":");
        string(&mut out, &w.message);
        out.push_str(",\"page\":");
        opt_uint(&mut out, w.page);
        out.push('}');
    }
    out.push_str("],\"headings\":[");
    for (i, h) in doc.headings.iter().enumerate() {
        comma(&mut out, i);
        out.push_str("{\"title\":");
        string(&mut out, &h.title);
        out.push_str(",\"level\":");
        uint(&mut out, h.level);
        out.push_str(",\"page\":");
        uint(&mut out, h.page);
        out.push_str(",\"offset\":");
        opt_uint(&mut out, h.offset);
        out.push('}');
    }
    out.push_str("],\"pagination\":");
    out.push_str(match doc.pagination {
        wit::Pagination::Fixed => "\"fixed\"",
        wit::Pagination::PageBreaks => "\"page-breaks\"",
        wit::Pagination::RenderedPageBreaks => "\"rendered-page-breaks\"",
        wit::Pagination::Single => "\"single\"",
    });
    out.push('}');
    out
}

fn metadata(out: &mut String, m: &wit::Metadata) {
    let fields = [
        ("title", &m.title),
        ("author", &m.author),
        ("subject", &m.subject),
        ("creator", &m.creator),
        ("producer", &m.producer),
        ("created", &m.created),
        ("modified", &m.modified),
    ];
    out.push('{');
    for (name, value) in fields {
        out.push('"');
        out.push_str(name);
        out.push_str("\":");
        match value {
            Some(s) => string(out, s),
            None => out.push_str("null"),
        }
        out.push(',');
    }
    out.push_str("\"page-count\":");
    uint(out, m.page_count);
    out.push('}');
}

fn comma(out: &mut String, index: usize) {
    if index > 0 {
        out.push(',');
    }
}

fn uint(out: &mut String, n: u32) {
    // Writing to a String cannot fail.
    let _ = write!(out, "{n}");
}

fn opt_uint(out: &mut String, n: Option<u32>) {
    match n {
        Some(n) => uint(out, n),
        None => out.push_str("null"),
    }
}

/// `s` as a JSON string literal. Unescaped runs are copied whole; only `"`, `\` and the
/// C0 controls are escaped (JSON allows every other character raw, and Python's parser
/// reads raw UTF-8 fastest).
fn string(out: &mut String, s: &str) {
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x00..=0x1f => "",
            _ => continue,
        };
        // Every byte matched above is ASCII, so `start..i` and `i + 1..` are on character
        // boundaries; `get` keeps that an invariant rather than a panic path.
        out.push_str(s.get(start..i).unwrap_or_default());
        if escape.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(s.get(start..).unwrap_or_default());
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> wit::Document {
        wit::Document {
            metadata: wit::Metadata {
                title: Some("T \"q\"".into()),
                author: None,
                subject: None,
                creator: None,
                producer: Some("p".into()),
                created: None,
                modified: None,
                page_count: 2,
            },
            pages: vec![
                wit::Page {
                    number: 1,
                    text: "a\\b\n\t\u{1}\u{e9}\u{1F600}".into(),
                    chars: 6,
                    needs_ocr: false,
                    ocr_reason: None,
                    links: vec!["https://x/?a=\"1\"".into(), "y".into()],
                },
                wit::Page {
                    number: 2,
                    text: String::new(),
                    chars: 0,
                    needs_ocr: true,
                    ocr_reason: Some(wit::OcrReason::GarbledText),
                    links: vec![],
                },
            ],
            outline: vec![wit::OutlineEntry {
                title: "O".into(),
                level: 1,
                page: None,
            }],
            warnings: vec![wit::Warning {
                code: "truncated".into(),
                message: "m".into(),
                page: Some(2),
            }],
            headings: vec![wit::Heading {
                title: "H".into(),
                level: 2,
                page: 1,
                offset: Some(0),
            }],
            pagination: wit::Pagination::RenderedPageBreaks,
        }
    }

    #[test]
    fn document_as_json() {
        assert_eq!(
            document_json(&doc()),
            concat!(
                r#"{"metadata":{"title":"T \"q\"","author":null,"subject":null,"creator":null,"#,
                r#""producer":"p","created":null,"modified":null,"page-count":2},"#,
                r#""pages":[{"number":1,"text":"a\\b\n\t\u0001é😀","chars":6,"needs-ocr":false,"#,
                r#""ocr-reason":null,"links":["https://x/?a=\"1\"","y"]},"#,
                r#"{"number":2,"text":"","chars":0,"needs-ocr":true,"ocr-reason":"garbled-text","links":[]}],"#,
                r#""outline":[{"title":"O","level":1,"page":null}],"#,
                r#""warnings":[{"code":"truncated","message":"m","page":2}],"#,
                r#""headings":[{"title":"H","level":2,"page":1,"offset":0}],"#,
                r#""pagination":"rendered-page-breaks"}"#
            )
        );
    }

    #[test]
    fn every_control_character_is_escaped() {
        let all: String = (0u8..0x20).map(char::from).collect();
        let mut out = String::new();
        string(&mut out, &all);
        assert!(out.bytes().all(|b| b >= 0x20), "{out}");
        assert!(out.contains("\\u001f") && out.contains("\\u0000") && out.contains("\\n"));
    }
}
