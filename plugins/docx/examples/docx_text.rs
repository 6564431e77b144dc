//! Prints what the extractor makes of a DOCX: `cargo run -p conductor-docx --example
//! docx_text -- FILE.docx`. A debugging aid; the component is what the host runs.

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: docx_text FILE.docx");
        return ExitCode::from(2);
    };
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match conductor_docx::extract_document(&bytes, &conductor_docx::Options::default()) {
        Ok(doc) => {
            for page in &doc.pages {
                println!("--- PAGE {} ---\n{}", page.number, page.text);
            }
            println!("--- {:?}, {:?}", doc.pagination, doc.metadata);
            for h in &doc.headings {
                println!("heading {h:?}");
            }
            for w in &doc.warnings {
                println!("warning {}: {}", w.code, w.message);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{path}: {e}");
            ExitCode::FAILURE
        }
    }
}
