//! What the plugins' corpus tests do when the shared corpus or a reference tool (such as
//! `pdftotext`) is missing. One file for every plugin crate, each test file including it
//! with `#[path = "../../../tests/support/corpus_gate.rs"] mod corpus_gate;`.
//!
//! Under CI (`CI` set and not `false` or `0`, as CI services set it) a missing input is a
//! failure: a test that returns early passes without checking anything, so a CI run
//! without the corpus would look green. Locally the test prints `SKIPPED: <reason>` (seen
//! with `--nocapture`) and returns. The Python tests apply the same rule
//! (`tests/_metrics.py`, `require_corpus` / `require_tool`).

/// Whether this run is under CI.
fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| {
        let v = v.trim();
        !(v.is_empty() || v == "0" || v.eq_ignore_ascii_case("false"))
    })
}

/// Reports that the test cannot run because of `reason`: panics under CI, else prints
/// `SKIPPED: <reason>`. The caller returns (skips) after it.
pub fn missing(reason: &str) {
    assert!(
        !under_ci(),
        "{reason} (CI is set: a missing corpus or reference tool is a failure, not a skip)"
    );
    eprintln!("SKIPPED: {reason}");
}
