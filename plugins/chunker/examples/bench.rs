//! Chunks a text file (form feeds separate pages, as `pdftotext` writes them) and prints
//! the time taken: `cargo run --release -p conductor-chunker --example bench -- FILE [MAX]`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use conductor_chunker::{Config, Encoding, Input, SourcePage, chunk};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: bench FILE [MAX_TOKENS] [o200k]");
    let max_tokens = args.next().map_or(512, |m| m.parse().expect("a number"));
    let encoding = match args.next().as_deref() {
        Some("o200k") => Encoding::O200kBase,
        _ => Encoding::Cl100kBase,
    };
    let text = std::fs::read_to_string(&path).expect("a UTF-8 text file");
    let pages: Vec<SourcePage> = text
        .split('\u{c}')
        .zip(1..)
        .map(|(t, number)| SourcePage {
            number,
            text: t.to_string(),
        })
        .collect();
    let input = Input {
        pages,
        headings: Vec::new(),
    };
    let config = Config {
        max_tokens,
        encoding,
        ..Config::default()
    };

    let t = Instant::now();
    let first = chunk(&Input::default(), &config).map(|c| c.len());
    // An empty input returns before the tokenizer is built: build it with a word.
    let warm = chunk(
        &Input {
            pages: vec![SourcePage {
                number: 1,
                text: "warm".into(),
            }],
            headings: vec![],
        },
        &config,
    )
    .map(|c| c.len());
    println!(
        "tokenizer build: {:.3} s ({first:?} {warm:?})",
        t.elapsed().as_secs_f64()
    );
    if std::env::var_os("BENCH_SECTIONS").is_some() {
        // One chunk per line makes every detected heading a chunk's section.
        let fine = Config {
            max_tokens: 8,
            ..config
        };
        let mut seen = std::collections::BTreeSet::new();
        for c in chunk(&input, &fine).expect("chunks") {
            if let Some(s) = c.section {
                seen.insert(s);
            }
        }
        for s in &seen {
            println!("section: {s}");
        }
    }
    for run in 0..3 {
        let t = Instant::now();
        let chunks = chunk(&input, &config).expect("chunks");
        let secs = t.elapsed().as_secs_f64();
        let tokens: u64 = chunks.iter().map(|c| u64::from(c.tokens)).sum();
        let sections = chunks.iter().filter(|c| c.section.is_some()).count();
        println!(
            "run {run}: {} pages, {} chars -> {} chunks ({tokens} tokens, {sections} with a section) in {secs:.3} s",
            input.pages.len(),
            text.chars().count(),
            chunks.len()
        );
    }
}
