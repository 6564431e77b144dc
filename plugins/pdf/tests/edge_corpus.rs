//! The plugin over the real documents in the shared corpus (`pdf-edge/` and `civic/`).
//! The corpus lives outside the repository; when it is absent these tests print SKIPPED
//! and pass, and under CI they fail (`tests/support/corpus_gate.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use conductor_pdf::{Document, ExtractError, OcrReason, Options, extract_document};

#[path = "../../../tests/support/corpus_gate.rs"]
mod corpus_gate;

fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("CONDUCTOR_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
        });
    if dir.join("pdf-edge").is_dir() {
        Some(dir)
    } else {
        corpus_gate::missing(&format!(
            "corpus not found at {} (set CONDUCTOR_CORPUS)",
            dir.display()
        ));
        None
    }
}

fn run(rel: &str) -> Option<Result<Document, ExtractError>> {
    let path = corpus()?.join(rel);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let start = Instant::now();
    let result = extract_document(&bytes, &Options::default());
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "{rel} took {:?}",
        start.elapsed()
    );
    Some(result)
}

fn ok(rel: &str) -> Option<Document> {
    run(rel).map(|r| r.unwrap_or_else(|e| panic!("{rel}: {e}")))
}

fn all_text(doc: &Document) -> String {
    doc.pages
        .iter()
        .map(|p| p.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

fn civic_pdfs() -> Vec<String> {
    let Some(dir) = corpus() else {
        return Vec::new();
    };
    let mut names: Vec<String> = std::fs::read_dir(dir.join("civic"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".pdf"))
        .map(|n| format!("civic/{n}"))
        .collect();
    names.sort();
    names
}

const NO_TEXT_LAYER: [&str; 2] = [
    "civic/cityscrapersca__palmdale_agenda_1.pdf",
    "civic/hackomaha__1303a_scanned.pdf",
];

/// Scanned attachments inside otherwise born-digital agendas: image-only pages on which
/// pdftotext finds no text either, so they must be flagged, not left alone.
const SCANNED_PAGES: [(&str, &[u32]); 2] = [
    ("civic/cityscrapersca__gardena_agenda_1.pdf", &[6, 7]),
    (
        "civic/cityscrapersca__norwalk_agenda_1.pdf",
        &[7, 8, 9, 10, 11, 12, 13, 14, 15],
    ),
];

fn scanned(name: &str, page: u32) -> bool {
    SCANNED_PAGES
        .iter()
        .any(|(n, pages)| *n == name && pages.contains(&page))
}

#[test]
fn civic_text_pages_are_not_flagged() {
    let names = civic_pdfs();
    for name in &names {
        if NO_TEXT_LAYER.contains(&name.as_str()) {
            continue;
        }
        let doc = ok(name).unwrap();
        assert_eq!(doc.metadata.page_count as usize, doc.pages.len(), "{name}");
        for page in &doc.pages {
            if scanned(name, page.number) {
                assert_eq!(
                    page.ocr,
                    Some(OcrReason::NoTextLayer),
                    "{name} page {}",
                    page.number
                );
                continue;
            }
            let head: String = page.text.chars().take(300).collect();
            assert_eq!(page.ocr, None, "{name} page {}: {head:?}", page.number);
            assert!(page.chars > 0, "{name} page {} is empty", page.number);
        }
    }
    if !names.is_empty() {
        assert_eq!(names.len(), 20);
    }
}

#[test]
fn civic_without_text_layer_needs_ocr_on_every_page() {
    for name in NO_TEXT_LAYER {
        let Some(doc) = ok(name) else { return };
        assert!(!doc.pages.is_empty(), "{name}");
        for page in &doc.pages {
            assert_eq!(
                page.ocr,
                Some(OcrReason::NoTextLayer),
                "{name} page {}",
                page.number
            );
        }
    }
}

#[test]
fn non_unicode_cmap_is_garbled() {
    let Some(doc) = ok("pdf-edge/pdfminer__issue-791-non-unicode-cmap.pdf") else {
        return;
    };
    assert!(
        doc.pages
            .iter()
            .any(|p| p.ocr == Some(OcrReason::GarbledText)),
        "{:?}",
        doc.pages
            .iter()
            .map(|p| (&p.text, p.ocr))
            .collect::<Vec<_>>()
    );
}

#[test]
fn empty_user_password_aes256_opens() {
    let Some(doc) = ok("pdf-edge/pdfjs__empty_protected.pdf") else {
        return;
    };
    assert_eq!(doc.metadata.page_count, 1);
}

#[test]
fn empty_user_password_rc4_opens() {
    let Some(doc) = ok("pdf-edge/pdfminer__issue-625-identity-cmap.pdf") else {
        return;
    };
    assert_eq!(doc.metadata.page_count, 2);
    // Strings are encrypted too: readable metadata shows the key was right.
    assert_eq!(doc.metadata.creator.as_deref(), Some("wfirma.pl"));
    assert_eq!(
        doc.metadata.created.as_deref(),
        Some("2021-04-26T15:09:26+02:00")
    );
}

/// Needs the text engine to decode its Identity-H fonts without a ToUnicode map.
#[test]
fn empty_user_password_rc4_has_polish_text() {
    let Some(doc) = ok("pdf-edge/pdfminer__issue-625-identity-cmap.pdf") else {
        return;
    };
    assert!(all_text(&doc).contains("Łódź"), "{}", all_text(&doc));
}

#[test]
fn real_password_is_encrypted_error() {
    let Some(result) = run("pdf-edge/pysample__libreoffice-writer-password.pdf") else {
        return;
    };
    match result {
        Err(ExtractError::Encrypted(m)) => assert!(m.contains("password"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn page_tree_loop_terminates() {
    // /Count says 2, but the second kid is a loop of /Pages nodes with no page in it.
    let Some(doc) = ok("pdf-edge/pdfjs__Pages-tree-refs.pdf") else {
        return;
    };
    assert_eq!(doc.metadata.page_count, 1);
    assert!(doc.warnings.iter().any(|w| w.code == "page-tree"));
}

#[test]
fn corrupt_files_give_typed_error_or_partial_text() {
    for name in [
        "pdf-edge/pdfjs__helloworld-bad.pdf",
        "pdf-edge/pdfjs__bug1020226.pdf",
        "pdf-edge/pdfjs__scan-bad.pdf",
        "pdf-edge/pdfminer__zen_of_python_corrupted.pdf",
    ] {
        let Some(result) = run(name) else { return };
        match result {
            Ok(doc) => assert!(!doc.pages.is_empty(), "{name}"),
            Err(ExtractError::Corrupt(_)) => {}
            Err(e) => panic!("{name}: {e}"),
        }
    }
}

#[test]
fn every_edge_file_finishes() {
    let Some(dir) = corpus() else { return };
    let mut names: Vec<_> = std::fs::read_dir(dir.join("pdf-edge"))
        .unwrap()
        .filter_map(|e| e.ok())
        .collect();
    names.sort_by_key(std::fs::DirEntry::file_name);
    for entry in names {
        let name = format!("pdf-edge/{}", entry.file_name().to_string_lossy());
        let result = run(&name).unwrap();
        match &result {
            Ok(doc) => eprintln!(
                "{name}: {} pages, chars {:?}, ocr {:?}, warnings {:?}",
                doc.pages.len(),
                doc.pages.iter().map(|p| p.chars).collect::<Vec<_>>(),
                doc.pages.iter().map(|p| p.ocr).collect::<Vec<_>>(),
                doc.warnings.iter().map(|w| w.code).collect::<Vec<_>>()
            ),
            Err(e) => eprintln!("{name}: {e}"),
        }
    }
}

#[test]
fn page_range_and_limits() {
    let name = "civic/agendaminer__palo-alto.pdf";
    let Some(path) = corpus().map(|d| d.join(name)) else {
        return;
    };
    let bytes = std::fs::read(path).unwrap();
    let opts = Options {
        pages: Some((2, 3)),
        ..Options::default()
    };
    let doc = extract_document(&bytes, &opts).unwrap();
    assert_eq!(
        doc.pages.iter().map(|p| p.number).collect::<Vec<_>>(),
        vec![2, 3]
    );
    assert_eq!(doc.metadata.page_count, 4);

    let opts = Options {
        pages: Some((3, 99)),
        ..Options::default()
    };
    let doc = extract_document(&bytes, &opts).unwrap();
    assert_eq!(
        doc.pages.iter().map(|p| p.number).collect::<Vec<_>>(),
        vec![3, 4]
    );
    assert!(doc.warnings.iter().any(|w| w.code == "page-range"));

    let opts = Options {
        max_pages: 3,
        ..Options::default()
    };
    assert!(matches!(
        extract_document(&bytes, &opts),
        Err(ExtractError::TooLarge(_))
    ));

    let opts = Options {
        max_chars_per_page: 50,
        ..Options::default()
    };
    let doc = extract_document(&bytes, &opts).unwrap();
    for page in &doc.pages {
        assert!(page.text.chars().count() <= 50);
        assert!(
            doc.warnings
                .iter()
                .any(|w| w.code == "truncated" && w.page == Some(page.number))
        );
    }
}

#[test]
fn civic_metadata_is_read() {
    let Some(doc) = ok("civic/agendaminer__palo-alto.pdf") else {
        return;
    };
    let created = doc.metadata.created.clone().unwrap_or_default();
    assert!(
        created.starts_with("20") && created.contains('T'),
        "{created}"
    );
    assert!(doc.metadata.producer.is_some());
}

/// Prints what the plugin makes of one file: `PDF_DUMP=path cargo test -p conductor-pdf
/// --test edge_corpus dump -- --nocapture`.
#[test]
fn dump() {
    let Some(path) = std::env::var_os("PDF_DUMP") else {
        return;
    };
    let bytes = std::fs::read(&path).unwrap();
    match extract_document(&bytes, &Options::default()) {
        Ok(doc) => {
            eprintln!(
                "{:#?}\n{:#?}\n{:#?}",
                doc.metadata, doc.outline, doc.warnings
            );
            for p in &doc.pages {
                eprintln!(
                    "--- page {} chars {} ocr {:?} links {:?}\n{}",
                    p.number, p.chars, p.ocr, p.links, p.text
                );
            }
        }
        Err(e) => eprintln!("{e}"),
    }
}

#[test]
fn civic_summary() {
    if std::env::var_os("PDF_SUMMARY").is_none() {
        return;
    }
    for name in civic_pdfs() {
        let start = Instant::now();
        let doc = ok(&name).unwrap();
        eprintln!(
            "{name}: {} pages, {} chars, {} outline, {} links, ocr {}, {:?}, warnings {:?}",
            doc.pages.len(),
            doc.pages.iter().map(|p| p.chars).sum::<u32>(),
            doc.outline.len(),
            doc.pages.iter().map(|p| p.links.len()).sum::<usize>(),
            doc.pages.iter().filter(|p| p.ocr.is_some()).count(),
            start.elapsed(),
            doc.warnings.iter().map(|w| w.code).collect::<Vec<_>>()
        );
    }
}

/// Damaged variants of real documents (truncated, bytes overwritten): each must give a
/// result or a typed error, quickly, and never a panic.
#[test]
fn damaged_variants_never_panic() {
    let names = [
        "civic/agendaminer__palo-alto.pdf",
        "pdf-edge/pdfjs__copy_paste_ligatures.pdf",
        "pdf-edge/pdfjs__empty_protected.pdf",
    ];
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    for name in names {
        let Some(path) = corpus().map(|d| d.join(name)) else {
            return;
        };
        let bytes = std::fs::read(path).unwrap();
        let len = bytes.len() as u64;
        let mut variants = Vec::new();
        for i in 1..=12u64 {
            variants.push(bytes[..usize::try_from(len * i / 13).unwrap()].to_vec());
        }
        for _ in 0..24 {
            let mut v = bytes.clone();
            for _ in 0..(next() % 16 + 1) {
                let at = usize::try_from(next() % len).unwrap();
                v[at] = u8::try_from(next() % 256).unwrap();
            }
            variants.push(v);
        }
        for (i, v) in variants.iter().enumerate() {
            let start = Instant::now();
            let result = std::panic::catch_unwind(|| extract_document(v, &Options::default()));
            assert!(result.is_ok(), "{name} variant {i} panicked");
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "{name} variant {i} took {:?}",
                start.elapsed()
            );
        }
    }
}

/// A file with cross-reference streams, object streams and an incremental update, whose
/// last `startxref` points nowhere: the table is rebuilt and the text still comes out.
#[test]
fn broken_startxref_with_object_streams_is_recovered() {
    let name = "pdf-edge/pdfjs__copy_paste_ligatures.pdf";
    let Some(path) = corpus().map(|d| d.join(name)) else {
        return;
    };
    let mut bytes = std::fs::read(path).unwrap();
    let mut at = bytes.windows(9).rposition(|w| w == b"startxref").unwrap() + 9;
    while bytes[at].is_ascii_whitespace() {
        at += 1;
    }
    let mut changed = 0;
    while bytes[at].is_ascii_digit() {
        bytes[at] = b'1';
        at += 1;
        changed += 1;
    }
    assert!(changed > 0);
    let original = ok(name).unwrap();
    let doc = extract_document(&bytes, &Options::default()).unwrap();
    assert!(doc.warnings.iter().any(|w| w.code == "recovered"));
    assert_eq!(all_text(&doc), all_text(&original));
    assert!(original.pages[0].chars > 10);
}

/// Offsets and stream lengths broken by a CRLF conversion, comments after `obj`: the
/// rebuilt table and repaired lengths give the text back, as pdf.js does.
#[test]
fn helloworld_bad_is_recovered() {
    let Some(doc) = ok("pdf-edge/pdfjs__helloworld-bad.pdf") else {
        return;
    };
    assert!(
        all_text(&doc).contains("Hello, world!"),
        "{:?}",
        all_text(&doc)
    );
}

/// Composite fonts with a predefined CMap and no ToUnicode map: the text comes from the
/// built-in CMaps and Adobe CID -> Unicode tables (as `pdftotext` gives it with poppler-data).
#[test]
fn predefined_cjk_cmaps_read_without_to_unicode() {
    for (name, expected) in [
        (
            "pdf-edge/pdfjs__90ms_rksj_h_sample.pdf",
            "Hello ASCII\n日本語テスト",
        ),
        (
            "pdf-edge/pdfjs__issue2128r.pdf",
            "浅谈校长的魅力\n山西省闻喜县诚镇初中 李新录",
        ),
    ] {
        let Some(doc) = ok(name) else { return };
        assert_eq!(all_text(&doc).trim(), expected, "{name}");
        assert_eq!(doc.pages[0].ocr, None, "{name}");
    }
}
