//! Dumps everything `extract_document` returns for each file (pages' text, OCR verdicts,
//! links, warnings, metadata, outline), for byte-for-byte comparison of the engine's
//! output before and after a change.
//!
//! Usage: `cargo run --release -p conductor-pdf --example extract_dump -- [--pages
//! FIRST-LAST] OUTDIR FILE.pdf...` writes `OUTDIR/<file name>.txt` per input; with
//! `--pages`, of that page range only (as page-parallel extraction asks for it).

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use conductor_pdf::{Options, extract_document};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1).peekable();
    let mut pages = None;
    if args.peek().is_some_and(|a| a == "--pages") {
        args.next();
        pages = args.next().and_then(|r| {
            let (first, last) = r.split_once('-')?;
            Some((first.parse().ok()?, last.parse().ok()?))
        });
    }
    let Some(out_dir) = args.next() else {
        eprintln!("usage: extract_dump OUTDIR FILE.pdf...");
        return ExitCode::from(2);
    };
    let options = Options {
        pages,
        max_chars_per_page: 1_000_000,
        max_pages: 100_000,
        password: None,
    };
    let mut status = ExitCode::SUCCESS;
    for path in args {
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{path}: {e}");
                status = ExitCode::FAILURE;
                continue;
            }
        };
        let mut out = String::new();
        match extract_document(&bytes, &options) {
            Ok(doc) => {
                for p in &doc.pages {
                    let _ = writeln!(
                        out,
                        "=== page {} chars {} ocr {:?} links {:?}\n{}",
                        p.number, p.chars, p.ocr, p.links, p.text
                    );
                }
                for w in &doc.warnings {
                    let _ = writeln!(out, "--- warning {} {:?} {}", w.code, w.page, w.message);
                }
                let _ = writeln!(out, "--- metadata {:?}", doc.metadata);
                for o in &doc.outline {
                    let _ = writeln!(out, "--- outline {} {:?} {}", o.level, o.page, o.title);
                }
            }
            Err(e) => {
                let _ = writeln!(out, "ERROR {e:?}");
            }
        }
        let name = Path::new(&path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Err(e) = std::fs::write(Path::new(&out_dir).join(format!("{name}.txt")), out) {
            eprintln!("{path}: {e}");
            status = ExitCode::FAILURE;
        }
    }
    status
}
