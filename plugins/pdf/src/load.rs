//! Loading: header search, lopdf's parser, a rebuilt cross-reference table when the
//! original is broken, and the empty-user-password case of encryption.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};

use lopdf::{Document, Object, ObjectId};

use crate::pages::page_tree;
use conductor_plugin_sdk::extractor::{ExtractError, Warning};

/// Readers accept a header this far into the file (Acrobat's historical tolerance).
const HEADER_WINDOW: usize = 1024;

/// A loaded, decrypted document and what had to be repaired on the way.
pub struct Loaded {
    pub doc: Document,
    pub warnings: Vec<Warning>,
}

/// Parses `bytes` into a document.
///
/// # Errors
/// `Corrupt` when no PDF structure can be read, `Encrypted` when a user password is
/// needed, `Unsupported` for security handlers other than the standard one.
pub fn load(bytes: &[u8]) -> Result<Loaded, ExtractError> {
    if bytes.is_empty() {
        return Err(ExtractError::Corrupt("the document is empty".into()));
    }
    let window = &bytes[..bytes.len().min(HEADER_WINDOW + 5)];
    let Some(start) = find(window, b"%PDF-") else {
        return Err(ExtractError::Corrupt(format!(
            "not a PDF: no %PDF- header in the first {HEADER_WINDOW} bytes"
        )));
    };
    let body = &bytes[start..];
    let mut warnings = Vec::new();
    if start > 0 {
        warnings.push(Warning::new(
            "leading-garbage",
            format!("{start} bytes before the %PDF- header were ignored"),
            None,
        ));
    }

    let first = guarded_load(body);
    if let Ok(doc) = &first {
        // A document lopdf could not decrypt keeps /Encrypt in its trailer and holds no
        // readable objects, so this is decided before any repair is attempted.
        check_encryption(doc)?;
    }
    let first = match first {
        Ok(doc) if !page_tree(&doc).pages.is_empty() => return Ok(Loaded { doc, warnings }),
        other => other,
    };

    let first_error = match &first {
        Ok(_) => "no pages reachable from the catalog".to_string(),
        Err(e) => e.clone(),
    };
    if mentions_encryption(body) && first.is_err() {
        return Err(ExtractError::Corrupt(format!(
            "encrypted document with a damaged structure ({first_error})"
        )));
    }
    match recover(body) {
        Some(doc) if !page_tree(&doc).pages.is_empty() => {
            warnings.push(Warning::new(
                "recovered",
                format!("cross-reference table rebuilt by scanning the file ({first_error})"),
                None,
            ));
            Ok(Loaded { doc, warnings })
        }
        _ => match first {
            // Structurally readable but without pages: let the caller report it.
            Ok(doc) => Ok(Loaded { doc, warnings }),
            Err(e) => Err(ExtractError::Corrupt(format!(
                "cannot parse the PDF structure: {e}"
            ))),
        },
    }
}

/// lopdf has `unwrap`s on document data; a panic there means "cannot parse", not a bug
/// of ours, and the repair path still deserves its chance.
fn guarded_load(body: &[u8]) -> Result<Document, String> {
    match catch_unwind(AssertUnwindSafe(|| Document::load_mem(body))) {
        Ok(Ok(doc)) => Ok(doc),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("the parser failed on malformed data".to_string()),
    }
}

fn check_encryption(doc: &Document) -> Result<(), ExtractError> {
    let Ok(encrypt) = doc.trailer.get(b"Encrypt") else {
        return Ok(());
    };
    let filter = match encrypt {
        Object::Reference(id) => doc.get_dictionary(*id).ok(),
        Object::Dictionary(d) => Some(d),
        _ => None,
    }
    .and_then(|d| d.get(b"Filter").ok())
    .and_then(|f| f.as_name().ok());
    match filter {
        Some(b"Standard") | None => Err(ExtractError::Encrypted(
            "the document is encrypted with a user password; a password is needed to open it"
                .into(),
        )),
        Some(other) => Err(ExtractError::Unsupported(format!(
            "encrypted with the /{} security handler; only the standard (password) handler is supported",
            String::from_utf8_lossy(other)
        ))),
    }
}

fn mentions_encryption(body: &[u8]) -> bool {
    find(body, b"/Encrypt").is_some()
}

/// Rebuilds the document from `N G obj` headers found by scanning, as readers do for a
/// damaged cross-reference table: the original bytes with a fresh table appended.
fn recover(body: &[u8]) -> Option<Document> {
    let objects = scan_objects(body);
    if objects.is_empty() {
        return None;
    }
    let mut file = body.to_vec();
    blank_comments_after_headers(&mut file, &objects);
    fix_stream_lengths(&mut file, &objects);
    let max_id = objects.keys().next_back().copied().unwrap_or(0);
    file.push(b'\n');
    let xref_at = file.len();
    let mut table = String::from("xref\n0 1\n0000000000 65535 f \n");
    for (num, (offset, generation)) in &objects {
        let _ = write!(table, "{num} 1\n{offset:010} {generation:05} n \n");
    }
    let _ = write!(
        table,
        "trailer\n<< /Size {} >>\nstartxref\n{xref_at}\n%%EOF\n",
        max_id.saturating_add(1)
    );
    file.extend_from_slice(table.as_bytes());
    let mut doc = guarded_load(&file).ok()?;
    if let Some(root) = find_root(&doc, body) {
        doc.trailer.set("Root", root);
    }
    if let Some(info) = last_trailer_ref(body, b"/Info").or_else(|| xref_stream_ref(&doc, b"Info"))
    {
        doc.trailer.set("Info", info);
    }
    Some(doc)
}

/// lopdf's parser rejects a comment between `obj` and the object (`1 0 obj % catalog`),
/// which hand-written and some generated files have; blanking it keeps every offset.
fn blank_comments_after_headers(file: &mut [u8], objects: &BTreeMap<u32, (usize, u16)>) {
    for (start, _) in objects.values() {
        let Some(obj_at) = file.get(*start..).and_then(|rest| find(rest, b"obj")) else {
            continue;
        };
        let mut i = start + obj_at + 3;
        while file.get(i).is_some_and(|b| *b == b' ' || *b == b'\t') {
            i += 1;
        }
        if file.get(i) == Some(&b'%') {
            while let Some(b) = file.get_mut(i).filter(|b| **b != b'\n' && **b != b'\r') {
                *b = b' ';
                i += 1;
            }
        }
    }
}

/// Rewrites a direct `/Length` that disagrees with where `endstream` really is, as after
/// a line-ending conversion (FTP ASCII mode) or hand editing; lopdf trusts `/Length` and
/// drops the object otherwise. Done in place, so only when the true length fits in the
/// digits already there.
fn fix_stream_lengths(file: &mut [u8], objects: &BTreeMap<u32, (usize, u16)>) {
    let mut starts: Vec<usize> = objects.values().map(|(start, _)| *start).collect();
    starts.sort_unstable();
    for (i, &start) in starts.iter().enumerate() {
        let end = starts
            .get(i + 1)
            .copied()
            .unwrap_or(file.len())
            .min(file.len());
        let Some(object) = file.get(start..end) else {
            continue;
        };
        let Some(kw) = find(object, b"stream") else {
            continue;
        };
        let mut data = kw + 6;
        if object.get(data) == Some(&b'\r') {
            data += 1;
        }
        if object.get(data) == Some(&b'\n') {
            data += 1;
        }
        let Some(rel_end) = object.get(data..).and_then(|rest| find(rest, b"endstream")) else {
            continue;
        };
        let mut data_end = data + rel_end;
        if object.get(data_end.wrapping_sub(1)) == Some(&b'\n') {
            data_end -= 1;
        }
        if data_end > data && object.get(data_end - 1) == Some(&b'\r') {
            data_end -= 1;
        }
        // `/Length`, not `/Length1` (embedded font programs carry both).
        let dict = &object[..kw];
        let Some(key) = (0..dict.len())
            .filter(|&at| dict[at..].starts_with(b"/Length"))
            .find(|&at| dict.get(at + 7).is_none_or(|b| is_delimiter(*b)))
        else {
            continue;
        };
        let mut digits = key + 7;
        while object.get(digits).is_some_and(u8::is_ascii_whitespace) {
            digits += 1;
        }
        let width = object[digits..kw]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let after = &object[digits + width..kw];
        let indirect = after
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(u8::is_ascii_digit);
        let actual = (data_end - data).to_string();
        let current = std::str::from_utf8(&object[digits..digits + width]).ok();
        if width == 0 || indirect || actual.len() > width || current == Some(actual.as_str()) {
            continue;
        }
        let padded = format!("{actual:<width$}");
        file[start + digits..start + digits + width].copy_from_slice(padded.as_bytes());
    }
}

/// Object headers by number, the last definition winning as in an incremental update.
fn scan_objects(body: &[u8]) -> BTreeMap<u32, (usize, u16)> {
    let mut found = BTreeMap::new();
    let mut from = 0;
    while let Some(rel) = find(&body[from..], b"obj") {
        let at = from + rel;
        from = at + 3;
        let after_ok = body.get(at + 3).is_none_or(|b| is_delimiter(*b));
        if !after_ok {
            continue;
        }
        if let Some((start, num, generation)) = header_before(body, at) {
            found.insert(num, (start, generation));
        }
    }
    found
}

/// Parses `<num> <gen> ` backwards from the `obj` keyword at `at`.
fn header_before(body: &[u8], at: usize) -> Option<(usize, u32, u16)> {
    let mut i = at;
    let skip_space = |i: &mut usize| -> usize {
        let end = *i;
        while *i > 0 && body[*i - 1].is_ascii_whitespace() {
            *i -= 1;
        }
        end - *i
    };
    let take_digits = |i: &mut usize| -> Option<u64> {
        let end = *i;
        while *i > 0 && body[*i - 1].is_ascii_digit() && end - *i < 10 {
            *i -= 1;
        }
        std::str::from_utf8(body.get(*i..end)?).ok()?.parse().ok()
    };
    if skip_space(&mut i) == 0 {
        return None;
    }
    let generation = u16::try_from(take_digits(&mut i)?).ok()?;
    if skip_space(&mut i) == 0 {
        return None;
    }
    let num = u32::try_from(take_digits(&mut i)?).ok()?;
    if num == 0 || (i > 0 && !is_delimiter(body[i - 1])) {
        return None;
    }
    Some((i, num, generation))
}

fn is_delimiter(b: u8) -> bool {
    b.is_ascii_whitespace() || b"()<>[]{}/%".contains(&b)
}

fn find_root(doc: &Document, body: &[u8]) -> Option<ObjectId> {
    let is_catalog = |id: &ObjectId| {
        doc.get_dictionary(*id)
            .is_ok_and(|d| d.has_type(b"Catalog"))
    };
    if let Some(root) = last_trailer_ref(body, b"/Root")
        .or_else(|| xref_stream_ref(doc, b"Root"))
        .filter(is_catalog)
    {
        return Some(root);
    }
    // The highest-numbered catalog is the most likely to be the latest revision.
    doc.objects
        .iter()
        .rev()
        .find(|(_, o)| {
            o.as_dict()
                .is_ok_and(|d| d.has_type(b"Catalog") && d.has(b"Pages"))
        })
        .map(|(id, _)| *id)
}

/// `/Key N G R` in the last `trailer` dictionary of the file.
fn last_trailer_ref(body: &[u8], key: &[u8]) -> Option<ObjectId> {
    let at = rfind(body, b"trailer")?;
    let tail = &body[at..body.len().min(at + 4096)];
    let key_at = find(tail, key)? + key.len();
    parse_ref(&tail[key_at..])
}

fn xref_stream_ref(doc: &Document, key: &[u8]) -> Option<ObjectId> {
    doc.objects.values().rev().find_map(|o| {
        let stream = o.as_stream().ok()?;
        if !stream.dict.has_type(b"XRef") {
            return None;
        }
        stream.dict.get(key).ok()?.as_reference().ok()
    })
}

/// Parses `N G R` after optional whitespace.
fn parse_ref(s: &[u8]) -> Option<ObjectId> {
    let text = std::str::from_utf8(&s[..s.len().min(40)])
        .ok()
        .or_else(|| {
            let valid = s.iter().take(40).take_while(|b| b.is_ascii()).count();
            std::str::from_utf8(&s[..valid]).ok()
        })?;
    let mut parts = text.split_ascii_whitespace();
    let num = parts.next()?.parse().ok()?;
    let generation = parts.next()?.parse().ok()?;
    parts.next()?.starts_with('R').then_some((num, generation))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-page PDF whose xref offsets are all wrong.
    fn broken_xref_pdf() -> Vec<u8> {
        let mut pdf = b"%PDF-1.4\n".to_vec();
        pdf.extend_from_slice(b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
        pdf.extend_from_slice(b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n");
        pdf.extend_from_slice(
            b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>\nendobj\n",
        );
        pdf.extend_from_slice(b"xref\n0 4\n0000000000 65535 f \n0000000999 00000 n \n0000000999 00000 n \n0000000999 00000 n \n");
        pdf.extend_from_slice(b"trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n77777\n%%EOF\n");
        pdf
    }

    #[test]
    fn empty_and_non_pdf_are_corrupt() {
        assert!(matches!(load(b""), Err(ExtractError::Corrupt(_))));
        assert!(matches!(
            load(b"hello world"),
            Err(ExtractError::Corrupt(_))
        ));
        assert!(matches!(load(b"%PDF-"), Err(ExtractError::Corrupt(_))));
        assert!(matches!(
            load(b"%PDF-1.7\n%%EOF"),
            Err(ExtractError::Corrupt(_))
        ));
    }

    #[test]
    fn header_beyond_window_is_rejected() {
        let mut bytes = vec![b' '; 2000];
        bytes.extend_from_slice(&broken_xref_pdf());
        assert!(matches!(load(&bytes), Err(ExtractError::Corrupt(_))));
    }

    #[test]
    fn broken_xref_is_rebuilt() {
        let loaded = load(&broken_xref_pdf()).map_err(|e| e.to_string());
        let Ok(loaded) = loaded else {
            unreachable!("{loaded:?}", loaded = loaded.err());
        };
        assert_eq!(page_tree(&loaded.doc).pages, vec![(3, 0)]);
        assert!(loaded.warnings.iter().any(|w| w.code == "recovered"));
    }

    #[test]
    fn leading_garbage_is_skipped_with_warning() {
        let mut bytes = b"garbage from a mail gateway\r\n".to_vec();
        bytes.extend_from_slice(&broken_xref_pdf());
        let loaded = load(&bytes);
        assert!(
            loaded
                .as_ref()
                .is_ok_and(|l| l.warnings.iter().any(|w| w.code == "leading-garbage"))
        );
    }

    #[test]
    fn comment_after_obj_keyword_is_tolerated() {
        let pdf = String::from_utf8_lossy(&broken_xref_pdf())
            .replace("1 0 obj\n", "1 0 obj  % entry point\n");
        let loaded = load(pdf.as_bytes());
        assert!(loaded.is_ok_and(|l| page_tree(&l.doc).pages == vec![(3, 0)]));
    }

    #[test]
    fn crlf_converted_file_gets_stream_lengths_fixed() {
        let mut pdf = String::from_utf8_lossy(&broken_xref_pdf()).into_owned();
        let stream =
            "4 0 obj\n<< /Length1 3 /Length 10 >>\nstream\nBT (Hi) Tj ET\nendstream\nendobj\n";
        pdf = pdf
            .replace("xref\n", &format!("{stream}xref\n"))
            .replace('\n', "\r\n");
        let loaded = load(pdf.as_bytes());
        let content = loaded.ok().and_then(|l| {
            l.doc
                .get_object((4, 0))
                .ok()?
                .as_stream()
                .ok()
                .map(|s| s.content.clone())
        });
        assert_eq!(content.as_deref(), Some(&b"BT (Hi) Tj ET"[..]));
    }

    #[test]
    fn header_scan_ignores_non_headers() {
        assert_eq!(header_before(b"12 0 obj", 5), Some((0, 12, 0)));
        assert_eq!(header_before(b"x12 0 obj", 6), None);
        assert_eq!(header_before(b"0 0 obj", 4), None);
        assert_eq!(header_before(b"obj", 0), None);
        assert_eq!(parse_ref(b" 5 0 R >>"), Some((5, 0)));
    }
}
