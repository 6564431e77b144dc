//! Native checks on the shared corpus's DOCX files (`$CONDUCTOR_CORPUS/docx`, else
//! `../shared/corpus/docx` beside the repository): structure that the host's Python
//! tests cannot see yet, and no panic or error on any file. Skipped, with a message, when
//! the corpus is absent; under CI that is a failure (`tests/support/corpus_gate.rs`).

use std::path::PathBuf;

use conductor_docx::{Options, Pagination, extract_document};

#[path = "../../../tests/support/corpus_gate.rs"]
mod corpus_gate;

fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("CONDUCTOR_CORPUS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"),
        PathBuf::from,
    );
    let dir = dir.join("docx");
    if dir.is_dir() {
        Some(dir)
    } else {
        corpus_gate::missing(&format!(
            "corpus not found at {} (set CONDUCTOR_CORPUS)",
            dir.display()
        ));
        None
    }
}

#[test]
fn every_corpus_file_extracts() {
    let Some(dir) = corpus() else { return };
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "docx") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap_or_default();
        let doc = extract_document(&bytes, &Options::default());
        assert!(doc.is_ok(), "{}: {doc:?}", path.display());
        seen += 1;
    }
    assert!(seen > 0, "no .docx files in {}", dir.display());
}

#[test]
fn headers_docx_headings() {
    let Some(dir) = corpus() else { return };
    let Ok(bytes) = std::fs::read(dir.join("pandoc__headers.docx")) else {
        corpus_gate::missing("pandoc__headers.docx not in the corpus");
        return;
    };
    let doc = extract_document(&bytes, &Options::default()).unwrap_or_else(|e| unreachable!("{e}"));
    let got: Vec<(&str, u32, u32)> = doc
        .headings
        .iter()
        .map(|h| (h.title.as_str(), h.level, h.page))
        .collect();
    // "Heading 7" is not defined in the file's styles.xml, so that paragraph is no heading.
    assert_eq!(
        got,
        [
            ("A Test of Headers", 1, 1),
            ("Second Level", 2, 1),
            ("Third level", 3, 1),
            ("Fourth level", 4, 1),
            ("Fifth level", 5, 1),
            ("Sixth level", 6, 1),
        ]
    );
    let page: Vec<char> = doc.pages[0].text.chars().collect();
    for h in &doc.headings {
        let at: String = page[h.offset as usize..]
            .iter()
            .take(h.title.chars().count())
            .collect();
        assert_eq!(at, h.title);
    }
    assert_eq!(doc.pagination, Pagination::Single);
}

#[test]
fn lists_docx_heading_from_style_name() {
    let Some(dir) = corpus() else { return };
    let Ok(bytes) = std::fs::read(dir.join("pandoc__lists.docx")) else {
        corpus_gate::missing("pandoc__lists.docx not in the corpus");
        return;
    };
    let doc = extract_document(&bytes, &Options::default()).unwrap_or_else(|e| unreachable!("{e}"));
    // Style id "2" is named "heading 2".
    assert_eq!(doc.headings.len(), 1);
    assert_eq!(
        (doc.headings[0].title.as_str(), doc.headings[0].level),
        ("Some nested lists", 2)
    );
}
