//! The extractor over the real agenda pages in `shared/corpus/html/`: every heading and
//! every visible text run of the raw file present, no script text, charsets right.
//!
//! The expectations come from a deliberately naive scan of the raw bytes (tags stripped
//! with a regex-free loop, a few entities decoded), independent of html5ever.

use std::path::PathBuf;

use conductor_html::{Options, extract_document};

#[path = "../../../tests/support/corpus_gate.rs"]
mod corpus_gate;

fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("CONDUCTOR_CORPUS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"),
        PathBuf::from,
    );
    let html = dir.join("html");
    if html.is_dir() {
        Some(html)
    } else {
        corpus_gate::missing(&format!(
            "no corpus at {} (set CONDUCTOR_CORPUS)",
            html.display()
        ));
        None
    }
}

fn files() -> Vec<(String, Vec<u8>)> {
    let Some(dir) = corpus() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "html")
            && let Ok(bytes) = std::fs::read(&path)
        {
            out.push((entry.file_name().to_string_lossy().into_owned(), bytes));
        }
    }
    out.sort();
    out
}

fn normalise(s: &str) -> String {
    s.split(char::is_whitespace)
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Decodes the handful of entities agenda pages use; `None` when another one is left.
fn unescape(s: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';').filter(|&e| e < 10) else {
            if rest.starts_with("&#") {
                return None; // a reference without its `;`: too subtle for this scan
            }
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let name = &rest[1..end];
        let c = match name {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            "nbsp" => ' ',
            _ if name.starts_with("#x") || name.starts_with("#X") => {
                char::from_u32(u32::from_str_radix(&name[2..], 16).ok()?)?
            }
            _ if name.starts_with('#') => char::from_u32(name[1..].parse().ok()?)?,
            _ => return None,
        };
        out.push(c);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// Lowercased copy for tag matching; ASCII lowercasing keeps byte offsets.
fn lower(s: &str) -> String {
    s.to_ascii_lowercase()
}

/// Contents of every `<tag ...>...</tag>` element, raw.
fn elements<'a>(raw: &'a str, tag: &str) -> Vec<&'a str> {
    let low = lower(raw);
    let (open, close) = (format!("<{tag}"), format!("</{tag}"));
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = low[from..].find(&open) {
        let start = from + at;
        let after = low
            .as_bytes()
            .get(start + open.len())
            .copied()
            .unwrap_or(b'>');
        let Some(gt) = low[start..].find('>') else {
            break;
        };
        let body = start + gt + 1;
        if !(after == b'>' || after.is_ascii_whitespace()) {
            from = body;
            continue;
        }
        let end = low[body..].find(&close).map_or(low.len(), |e| body + e);
        out.push(&raw[body..end]);
        from = end;
    }
    out
}

/// `raw` with whole `<tag>...</tag>` elements removed.
fn without(raw: &str, tags: &[&str]) -> String {
    let mut s = raw.to_string();
    for tag in tags {
        for body in elements(&s.clone(), tag) {
            s = s.replacen(body, " ", 1);
        }
    }
    s
}

/// Runs inside elements a browser hides (`hidden`, inline `display:none` or
/// `visibility:hidden`), which the plugin leaves out as `innerText` does.
fn hidden_runs(raw: &str) -> Vec<String> {
    let low = lower(raw);
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = low[from..].find('<') {
        let start = from + at;
        let end = start + tag_end(&low[start..]);
        from = start + 1;
        let tag = &low[start + 1..end];
        let name: String = tag
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        let squashed: String = tag.chars().filter(|c| !c.is_whitespace()).collect();
        let hides = squashed.contains("display:none")
            || squashed.contains("visibility:hidden")
            || tag
                .split_whitespace()
                .any(|a| a == "hidden" || a.starts_with("hidden="));
        if name.is_empty() || !hides {
            continue;
        }
        out.extend(runs(&raw[end..matching_close(&low, end, &name)]));
    }
    out
}

/// Where the element `name` whose content starts at `from` closes, counting nested
/// elements of the same name (portals nest hidden `div`s in hidden `div`s).
fn matching_close(low: &str, from: usize, name: &str) -> usize {
    let (open, close) = (format!("<{name}"), format!("</{name}"));
    let mut depth = 1;
    let mut at = from;
    while let Some(next) = low[at..].find('<').map(|i| at + i) {
        let rest = &low[next..];
        let boundary = |len: usize| {
            rest.as_bytes()
                .get(len)
                .is_none_or(|b| *b == b'>' || b.is_ascii_whitespace())
        };
        if rest.starts_with(&close) && boundary(close.len()) {
            depth -= 1;
            if depth == 0 {
                return next;
            }
        } else if rest.starts_with(&open) && boundary(open.len()) {
            depth += 1;
        }
        at = next + 1;
    }
    low.len()
}

/// Text runs between tags (and outside comments), entities decoded.
fn runs(raw: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = raw;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("<!--") {
            rest = r.find("-->").map_or("", |e| &r[e + 3..]);
            continue;
        }
        if rest.starts_with('<') {
            rest = &rest[tag_end(rest)..];
            continue;
        }
        let end = rest.find('<').unwrap_or(rest.len());
        if let Some(text) = unescape(&rest[..end]) {
            let text = normalise(&text);
            if !text.is_empty() {
                out.push(text);
            }
        }
        rest = &rest[end..];
    }
    out
}

/// Length of the tag at the start of `s`, up to the first `>` outside quoted attribute
/// values (a PHP notice inside an `href` is not text).
fn tag_end(s: &str) -> usize {
    let mut quote = None;
    let mut prev = ' ';
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '>' => return i + 1,
            None if (c == '"' || c == '\'') && prev == '=' => quote = Some(c),
            None => {}
        }
        if !c.is_whitespace() {
            prev = c;
        }
    }
    s.len()
}

fn extract(name: &str, bytes: &[u8]) -> String {
    match extract_document(bytes, &Options::default()) {
        Ok(doc) => normalise(
            &doc.pages
                .first()
                .map(|p| p.text.clone())
                .unwrap_or_default(),
        ),
        Err(e) => unreachable!("{name}: {e}"),
    }
}

#[test]
fn headings_and_visible_text_are_present() {
    for (name, bytes) in files() {
        let raw = String::from_utf8_lossy(&bytes);
        let text = extract(&name, &bytes);
        let body = without(
            &raw,
            &[
                "script", "style", "noscript", "template", "title", "select", "svg", "head",
                "textarea",
            ],
        );
        let mut headings = 0;
        for level in 1..=6 {
            for h in elements(&body, &format!("h{level}")) {
                headings += 1;
                // Runs with entities the scan cannot decode are left out of `runs`, so each
                // run is checked on its own; inline tags may or may not separate words.
                let text_squashed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
                for run in runs(h) {
                    let squashed: String = run.chars().filter(|c| !c.is_whitespace()).collect();
                    assert!(
                        text_squashed.contains(&squashed),
                        "{name}: heading h{level} text {run:?} missing"
                    );
                }
            }
        }
        let mut missing = Vec::new();
        let all = runs(&body);
        let hidden = hidden_runs(&body);
        for run in &all {
            if !text.contains(run.as_str()) && !hidden.contains(run) {
                missing.push(run.clone());
            }
        }
        assert!(
            missing.is_empty(),
            "{name}: {} of {} text runs missing: {missing:?}",
            missing.len(),
            all.len()
        );
        eprintln!(
            "{name}: {headings} headings, {} text runs, all present",
            all.len()
        );
    }
}

#[test]
fn no_script_text() {
    for (name, bytes) in files() {
        let raw = String::from_utf8_lossy(&bytes);
        let text = extract(&name, &bytes);
        let outside = without(&raw, &["script"]);
        let mut checked = 0;
        for script in elements(&raw, "script") {
            for word in script.split(|c: char| !c.is_alphanumeric() && c != '_') {
                if word.len() >= 6 && !outside.contains(word) {
                    checked += 1;
                    assert!(
                        !text.contains(word),
                        "{name}: script text {word:?} in the output"
                    );
                }
            }
        }
        eprintln!("{name}: {checked} script-only words absent");
    }
}

#[test]
fn declared_latin1_with_utf8_bytes_decodes() {
    for (name, bytes) in files() {
        if name.contains("cc_county_bos") {
            let text = extract(&name, &bytes);
            assert!(text.contains("únicamente"), "{name}");
            assert!(!text.contains("Ãº"), "{name}");
        }
        if name.contains("walnut_creek") {
            assert!(extract(&name, &bytes).contains('\u{2019}'), "{name}");
        }
    }
}
