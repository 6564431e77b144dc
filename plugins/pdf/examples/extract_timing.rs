//! Times the whole plugin extraction (`extract_document`, as the component runs it) natively,
//! for comparing native and sandboxed cost and for profiling with perf or callgrind.
//!
//! Usage: `cargo run --release -p conductor-pdf --example extract_timing -- FILE.pdf [RUNS]
//! [FIRST-LAST]`: the optional page range (1-based, inclusive) is what the host asks of
//! each instance of page-parallel extraction.

use std::process::ExitCode;
use std::time::Instant;

use conductor_pdf::{Options, extract_document};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: extract_timing FILE.pdf [RUNS] [FIRST-LAST]");
        return ExitCode::from(2);
    };
    let runs: u32 = args.next().and_then(|r| r.parse().ok()).unwrap_or(1);
    let pages = args.next().and_then(|r| {
        let (first, last) = r.split_once('-')?;
        Some((first.parse().ok()?, last.parse().ok()?))
    });
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let options = Options {
        pages,
        max_chars_per_page: 1_000_000,
        max_pages: 100_000,
        password: None,
    };
    for _ in 0..runs {
        let start = Instant::now();
        match extract_document(&bytes, &options) {
            Ok(doc) => {
                let chars: usize = doc.pages.iter().map(|p| p.text.len()).sum();
                println!(
                    "{path}: {} pages, {chars} bytes of text, {:.1} ms",
                    doc.pages.len(),
                    start.elapsed().as_secs_f64() * 1000.0
                );
            }
            Err(e) => {
                eprintln!("{path}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
