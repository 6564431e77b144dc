//! Prints a PDF's text the way the plugin extracts it, pages separated by form feeds, like
//! `pdftotext FILE -`; for comparing the text engine against poppler while iterating.
//!
//! Usage: `cargo run --release -p conductor-pdf --example pdftext -- FILE.pdf [PAGE]`

// The engine is private to the plugin crate; compile it into this binary directly.
#[allow(dead_code)]
#[path = "../src/text/mod.rs"]
mod text;
// The text engine decodes streams through the bounded decoder.
#[allow(dead_code)]
#[path = "../src/streams.rs"]
mod streams;
// Form field values are decoded as PDF text strings.
#[allow(dead_code)]
#[path = "../src/strings.rs"]
mod strings;

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: pdftext FILE.pdf [PAGE]");
        return ExitCode::from(2);
    };
    let only: Option<u32> = args.next().and_then(|p| p.parse().ok());
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut doc = match lopdf::Document::load_mem(&bytes) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{path}: cannot load: {e}");
            return ExitCode::FAILURE;
        }
    };
    if doc.is_encrypted()
        && let Err(e) = doc.decrypt("")
    {
        eprintln!("{path}: cannot decrypt with the empty password: {e}");
        return ExitCode::FAILURE;
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for (number, id) in doc.get_pages() {
        if only.is_some_and(|p| p != number) {
            continue;
        }
        let result = conductor_plugin_sdk::catch_panic(|| text::extract_page_text(&doc, id));
        match result {
            Ok(Ok(page)) => {
                let _ = write!(out, "{}\n\x0c", page.text);
                eprintln!(
                    "page {number}: {} glyphs, {} unmapped{}",
                    page.glyphs,
                    page.unmapped,
                    if page.warnings.is_empty() {
                        String::new()
                    } else {
                        format!("; {}", page.warnings.join("; "))
                    }
                );
            }
            Ok(Err(e)) => {
                let _ = write!(out, "\x0c");
                eprintln!("page {number}: {e}");
            }
            Err(panic) => {
                let _ = write!(out, "\x0c");
                eprintln!("page {number}: PANIC {panic}");
            }
        }
    }
    ExitCode::SUCCESS
}
