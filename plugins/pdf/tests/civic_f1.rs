//! Acceptance check of the plugin's extraction on the real civic corpus: for every PDF with
//! a text layer, word-level F1 against `pdftotext` (poppler) must be at least 0.99, with the
//! same page count. Skips (with a message) when the corpus or `pdftotext` is not available.
//!
//! The corpus is found at `$CONDUCTOR_CORPUS`, else at `shared/corpus` beside the checkout.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

use unicode_normalization::UnicodeNormalization;

const MIN_F1: f64 = 0.99;

fn corpus_dir() -> PathBuf {
    std::env::var_os("CONDUCTOR_CORPUS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"),
        PathBuf::from,
    )
}

/// The project's metric compares NFKC-normalised text (ligatures, non-breaking and
/// typographic spaces, full-width forms).
fn normalize(text: &str) -> String {
    text.nfkc().collect()
}

fn tokens(pages: &[String]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for t in normalize(&pages.join("\n")).split_whitespace() {
        *counts.entry(t.to_string()).or_insert(0) += 1;
    }
    counts
}

#[allow(clippy::cast_precision_loss)]
fn f1(ours: &HashMap<String, usize>, reference: &HashMap<String, usize>) -> f64 {
    let common: usize = ours
        .iter()
        .map(|(t, n)| (*n).min(reference.get(t).copied().unwrap_or(0)))
        .sum();
    let (a, b) = (
        ours.values().sum::<usize>(),
        reference.values().sum::<usize>(),
    );
    if a == 0 && b == 0 {
        return 1.0;
    }
    let (p, r) = (
        common as f64 / a.max(1) as f64,
        common as f64 / b.max(1) as f64,
    );
    if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    }
}

fn pdftotext_pages(path: &std::path::Path) -> Option<Vec<String>> {
    let out = Command::new("pdftotext").arg(path).arg("-").output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut pages: Vec<String> = text.split('\x0c').map(str::to_string).collect();
    if pages.last().is_some_and(String::is_empty) {
        pages.pop();
    }
    Some(pages)
}

fn our_pages(path: &std::path::Path) -> Result<Vec<String>, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let doc = conductor_plugin_sdk::catch_panic(|| {
        conductor_pdf::extract_document(&bytes, &conductor_pdf::Options::default())
    })
    .map_err(|p| format!("panicked: {p}"))?
    .map_err(|e| e.to_string())?;
    Ok(doc.pages.into_iter().map(|p| p.text).collect())
}

#[test]
fn civic_corpus_matches_pdftotext() {
    let dir = corpus_dir().join("civic");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("SKIPPED: civic corpus not found at {}", dir.display());
        return;
    };
    if Command::new("pdftotext").arg("-v").output().is_err() {
        eprintln!("SKIPPED: pdftotext (poppler-utils) is not installed");
        return;
    }
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pdf"))
        .collect();
    files.sort();
    let mut failures = Vec::new();
    let mut checked = 0;
    for path in &files {
        let name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let Some(reference) = pdftotext_pages(path) else {
            failures.push(format!("{name}: pdftotext failed"));
            continue;
        };
        if reference.iter().all(|p| p.trim().is_empty()) {
            eprintln!("{name}: no text layer, not scored");
            continue;
        }
        checked += 1;
        match our_pages(path) {
            Ok(ours) => {
                let score = f1(&tokens(&ours), &tokens(&reference));
                eprintln!("{score:.5} {name} pages {}/{}", ours.len(), reference.len());
                if score < MIN_F1 || ours.len() != reference.len() {
                    failures.push(format!(
                        "{name}: F1 {score:.4}, pages {}/{}",
                        ours.len(),
                        reference.len()
                    ));
                }
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(checked > 0, "no text-layer PDF found in {}", dir.display());
    assert!(
        failures.is_empty(),
        "below target:\n{}",
        failures.join("\n")
    );
}
