//! Replays every input kept in `fuzz/regressions/`: documents that once crashed, hung or
//! exhausted the plugin. Each must now end in a document or a typed error; one with a
//! sidecar `NAME.expect` must give a document whose text holds that file's text (the
//! bug lost good text, not only time).

use std::path::PathBuf;

use conductor_docx::{Options, extract_document};

#[test]
fn every_kept_input_ends_cleanly() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "expect") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap_or_default();
        let result = extract_document(&bytes, &Options::default());
        if let Ok(expected) = std::fs::read_to_string(path.with_extension("expect")) {
            let doc = result.unwrap_or_else(|e| unreachable!("{}: {e}", path.display()));
            let text: String = doc.pages.iter().map(|p| p.text.as_str()).collect();
            assert!(
                text.contains(expected.trim()),
                "{}: {text:?} lacks {expected:?}",
                path.display()
            );
        }
        replayed += 1;
    }
    // A kept input that vanished (moved folder, bad glob) must not pass silently.
    assert!(replayed > 0, "no inputs in {}", dir.display());
}
