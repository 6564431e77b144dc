//! A deliberately misbehaving extractor, used only by the host's sandbox tests.
//!
//! `info()` claims formats `misbehave` and `text`, so that a test can make it compete with
//! the `plaintext` plugin for `text`.
//!
//! `extract` reads the document from stdin and picks a behaviour from its first line:
//!
//! | first line                     | behaviour                                                  |
//! |--------------------------------|------------------------------------------------------------|
//! | `MISBEHAVE read`               | fails at once after reading stdin (times the handoff)      |
//! | `MISBEHAVE alloc`              | allocates (and touches) memory without bound               |
//! | `MISBEHAVE loop`               | loops forever                                              |
//! | `MISBEHAVE trap`               | executes `unreachable`                                     |
//! | `MISBEHAVE abort`              | `std::process::abort()`                                    |
//! | `MISBEHAVE exit`               | `std::process::exit(3)`                                    |
//! | `MISBEHAVE panic`              | panics inside `catch_panic` (comes back as `internal`)     |
//! | `MISBEHAVE stack`              | recurses until the wasm call stack is exhausted            |
//! | `MISBEHAVE shadow-stack`       | recurses until Rust's stack in linear memory overflows     |
//! | `MISBEHAVE huge-output N`      | one page of N characters (default 50,000,000)              |
//! | `MISBEHAVE pages N`            | N small pages                                              |
//! | `MISBEHAVE spam N`             | writes N bytes to stdout and stderr, then echoes           |
//! | `MISBEHAVE error KIND MESSAGE` | returns `extract-error::KIND(MESSAGE)`                     |
//! | `MISBEHAVE full`               | a document with every field filled in                      |
//! | `MISBEHAVE env`                | probes env vars, files and the network, reports what it saw |
//! | anything else                  | echoes the text; form feeds (`\f`) separate pages          |
//!
//! The echo honours `options.pages` and reports the options it received in the metadata's
//! `subject` (`pages=A-B max-chars=N max-pages=M`), so the host's conversion can be tested.

//!
//! It implements the WIT world by hand, not through `Extractor`, so that it can return
//! what the SDK's glue never would; the bindings are still the SDK's.

use std::hint::black_box;
use std::io::Write;

use conductor_plugin_sdk::extractor::bindings::engagic::conductor::types::{
    Heading, Metadata, OcrReason, OutlineEntry, Page, Pagination, Warning,
};
use conductor_plugin_sdk::extractor::bindings::{
    Document, ExtractError, ExtractOptions, Guest, PluginInfo,
};

struct Misbehave;

impl Guest for Misbehave {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "misbehave".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            api_version: conductor_plugin_sdk::API_VERSION.into(),
            formats: vec!["misbehave".into(), "text".into()],
        }
    }

    fn extract(options: ExtractOptions) -> Result<Document, ExtractError> {
        let bytes = conductor_plugin_sdk::read_document(u64::MAX, options.size_hint)
            .map_err(ExtractError::Corrupt)?;
        // Checked on the raw bytes, before any conversion, so benches/handoff.py can time
        // the handoff alone.
        if bytes.starts_with(b"MISBEHAVE read") {
            return Err(ExtractError::Corrupt(format!("read {} bytes", bytes.len())));
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let first = text.lines().next().unwrap_or("");
        let mut words = first.split_whitespace();
        if words.next() != Some("MISBEHAVE") {
            return Ok(echo(&text, &options));
        }
        let what = words.next().unwrap_or("");
        let arg = words.next();
        let count = |default: usize| arg.and_then(|a| a.parse().ok()).unwrap_or(default);
        match what {
            "alloc" => alloc_forever(),
            "loop" => loop_forever(),
            "trap" => trap(),
            "abort" => std::process::abort(),
            "exit" => std::process::exit(3),
            "panic" => conductor_plugin_sdk::catch_panic(|| -> Document {
                let v: Vec<u32> = black_box(Vec::new());
                #[allow(clippy::indexing_slicing)]
                let x = v[black_box(7)];
                panic!("misbehave panicked on purpose after reading {x}")
            })
            .map_err(ExtractError::Internal),
            "stack" => Ok(one_page(format!("depth {}", deep(1)))),
            "shadow-stack" => Ok(one_page(format!("depth {}", recurse(black_box(1))))),
            "huge-output" => Ok(one_page("x".repeat(count(50_000_000)))),
            "pages" => Ok(many_pages(count(20_000))),
            "spam" => {
                spam(count(1 << 20));
                Ok(echo(&text, &options))
            }
            "error" => {
                let message = first.splitn(4, ' ').nth(3).unwrap_or("").to_string();
                Err(match arg.unwrap_or("") {
                    "corrupt" => ExtractError::Corrupt(message),
                    "encrypted" => ExtractError::Encrypted(message),
                    "too-large" => ExtractError::TooLarge(message),
                    "unsupported" => ExtractError::Unsupported(message),
                    _ => ExtractError::Internal(message),
                })
            }
            "full" => Ok(full()),
            "env" => Ok(one_page(probe())),
            other => Err(ExtractError::Unsupported(format!(
                "unknown misbehaviour {other:?}"
            ))),
        }
    }

    /// The same behaviours, through the SDK's serialiser: hosts prefer this export, so
    /// the sandbox tests exercise the JSON path (the typed one is called by name).
    fn extract_json(options: ExtractOptions) -> Result<String, ExtractError> {
        Self::extract(options).map(|doc| conductor_plugin_sdk::extractor::document_json(&doc))
    }
}

fn metadata(page_count: usize) -> Metadata {
    Metadata {
        title: None,
        author: None,
        subject: None,
        creator: None,
        producer: None,
        created: None,
        modified: None,
        page_count: u32::try_from(page_count).unwrap_or(u32::MAX),
    }
}

fn page(number: usize, text: String) -> Page {
    let chars =
        u32::try_from(text.chars().filter(|c| !c.is_whitespace()).count()).unwrap_or(u32::MAX);
    Page {
        number: u32::try_from(number).unwrap_or(u32::MAX),
        needs_ocr: chars == 0,
        ocr_reason: if chars == 0 {
            Some(OcrReason::NoTextLayer)
        } else {
            None
        },
        text,
        chars,
        links: Vec::new(),
    }
}

fn one_page(text: String) -> Document {
    Document {
        metadata: metadata(1),
        pages: vec![page(1, text)],
        outline: Vec::new(),
        warnings: Vec::new(),
        headings: Vec::new(),
        pagination: Pagination::Single,
    }
}

fn many_pages(n: usize) -> Document {
    let pages = (1..=n).map(|i| page(i, format!("page {i}"))).collect();
    Document {
        metadata: metadata(n),
        pages,
        outline: Vec::new(),
        warnings: Vec::new(),
        headings: Vec::new(),
        pagination: Pagination::Single,
    }
}

fn echo(text: &str, options: &ExtractOptions) -> Document {
    let all: Vec<&str> = text.split('\u{c}').collect();
    let (first, last) = match options.pages {
        Some(r) => (r.first as usize, r.last as usize),
        None => (1, all.len()),
    };
    let pages = all
        .iter()
        .enumerate()
        .map(|(i, t)| (i + 1, t))
        .filter(|(n, _)| *n >= first && *n <= last)
        .map(|(n, t)| page(n, (*t).to_string()))
        .collect();
    let mut meta = metadata(all.len());
    meta.title = Some("misbehave echo".into());
    meta.subject = Some(format!(
        "pages={} max-chars={} max-pages={}",
        options
            .pages
            .map_or("all".to_string(), |r| format!("{}-{}", r.first, r.last)),
        options.max_chars_per_page,
        options.max_pages
    ));
    Document {
        metadata: meta,
        pages,
        outline: Vec::new(),
        warnings: Vec::new(),
        headings: Vec::new(),
        pagination: Pagination::Single,
    }
}

fn full() -> Document {
    Document {
        metadata: Metadata {
            title: Some("Full Title".into()),
            author: Some("An Author".into()),
            subject: Some("A Subject".into()),
            creator: Some("A Creator".into()),
            producer: Some("A Producer".into()),
            created: Some("2024-01-02T03:04:05Z".into()),
            modified: Some("D:20240102".into()),
            page_count: 3,
        },
        pages: vec![
            Page {
                number: 1,
                text: "Hello wörld".into(),
                chars: 10,
                needs_ocr: false,
                ocr_reason: None,
                links: vec![
                    "https://example.org/a".into(),
                    "mailto:x@example.org".into(),
                ],
            },
            Page {
                number: 2,
                text: String::new(),
                chars: 0,
                needs_ocr: true,
                ocr_reason: Some(OcrReason::NoTextLayer),
                links: Vec::new(),
            },
            Page {
                number: 3,
                text: "\u{fffd}\u{fffd}".into(),
                chars: 2,
                needs_ocr: true,
                ocr_reason: Some(OcrReason::GarbledText),
                links: Vec::new(),
            },
        ],
        outline: vec![
            OutlineEntry {
                title: "Part 1".into(),
                level: 1,
                page: Some(1),
            },
            OutlineEntry {
                title: "Nowhere".into(),
                level: 2,
                page: None,
            },
        ],
        warnings: vec![
            Warning {
                code: "font-map".into(),
                message: "page 3 has no ToUnicode map".into(),
                page: Some(3),
            },
            Warning {
                code: "other".into(),
                message: "document-level".into(),
                page: None,
            },
        ],
        headings: vec![Heading {
            title: "Second page heading".into(),
            level: 1,
            page: 2,
            offset: Some(0),
        }],
        pagination: Pagination::PageBreaks,
    }
}

fn alloc_forever() -> ! {
    let mut kept: Vec<Vec<u8>> = Vec::new();
    loop {
        // Touch every page so the memory is really committed.
        kept.push(vec![0xA5; 8 << 20]);
        black_box(&kept);
    }
}

fn loop_forever() -> ! {
    let mut x: u64 = 0;
    loop {
        x = black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
    }
}

fn recurse(n: u64) -> u64 {
    let buf = black_box([n; 64]);
    if black_box(n) == 0 {
        0
    } else {
        recurse(n + 1).wrapping_add(buf[(n % 64) as usize])
    }
}

/// Recursion that exhausts the wasm call stack (`Config.max_wasm_stack`): the indirect call
/// stops LLVM from turning it into a loop.
fn deep(n: u64) -> u64 {
    let next: fn(u64) -> u64 = black_box(deep);
    next(n.wrapping_add(1)).wrapping_mul(3).wrapping_add(n)
}

fn spam(n: usize) {
    let chunk = vec![b'o'; 64 << 10];
    let mut left = n;
    while left > 0 {
        let k = left.min(chunk.len());
        let _ = std::io::stdout().write_all(&chunk[..k]);
        let _ = std::io::stderr().write_all(&chunk[..k]);
        left -= k;
    }
    let _ = std::io::stdout().flush();
}

fn probe() -> String {
    let mut seen = Vec::new();
    let vars: Vec<String> = std::env::vars().map(|(k, _)| k).collect();
    seen.push(format!("env vars: {}", vars.len()));
    seen.push(format!("args: {}", std::env::args().count()));
    for dir in ["/", ".", "/etc", "/tmp"] {
        seen.push(match std::fs::read_dir(dir) {
            Ok(entries) => format!("read_dir {dir}: OPEN {} entries", entries.count()),
            Err(e) => format!("read_dir {dir}: denied ({e})"),
        });
    }
    for file in ["/etc/passwd", "etc/passwd", "/proc/self/environ"] {
        seen.push(match std::fs::read(file) {
            Ok(b) => format!("read {file}: OPEN {} bytes", b.len()),
            Err(e) => format!("read {file}: denied ({e})"),
        });
    }
    seen.push(match std::fs::write("/tmp/misbehave-was-here", b"x") {
        Ok(()) => "write /tmp: OPEN".to_string(),
        Err(e) => format!("write /tmp: denied ({e})"),
    });
    seen.push(match std::net::TcpStream::connect("127.0.0.1:80") {
        Ok(_) => "tcp 127.0.0.1:80: OPEN".to_string(),
        Err(e) => format!("tcp 127.0.0.1:80: denied ({e})"),
    });
    seen.push(match std::net::UdpSocket::bind("0.0.0.0:0") {
        Ok(_) => "udp bind: OPEN".to_string(),
        Err(e) => format!("udp bind: denied ({e})"),
    });
    seen.join("\n")
}

conductor_plugin_sdk::extractor::bindings::export!(Misbehave);

/// Executes `unreachable` in wasm; natively (for `cargo test`) aborts, the nearest thing.
fn trap() -> ! {
    #[cfg(target_arch = "wasm32")]
    core::arch::wasm32::unreachable();
    #[cfg(not(target_arch = "wasm32"))]
    std::process::abort();
}
