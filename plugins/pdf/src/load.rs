//! Loading: header search, lopdf's parser, a rebuilt cross-reference table when the
//! original is broken, and encryption: the empty user password always, a caller's
//! password when one is given (see [`load_pages`]).
//!
//! lopdf decodes two kinds of stream while it parses, without a bound: cross-reference
//! streams and object streams. Cross-reference streams are measured here first (a bomb
//! there sends the file to the repair path, which does not decode them); object streams
//! are decoded by the load filter through [`crate::streams`], and a bomb among them is
//! skipped with a warning, or refused when the document cannot be read without it. The
//! filter also drops the data of streams the text never reads (images, embedded files),
//! so an instance does not hold them beside the file.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};

use lopdf::xref::XrefEntry;
use lopdf::{Document, LoadOptions, Object, ObjectId, ObjectStream, Stream};

use crate::pages::page_tree;
use crate::streams::{self, MAX_STREAM_BYTES, StreamError};
use conductor_plugin_sdk::extractor::{ExtractError, Warning};

/// Readers accept a header this far into the file (Acrobat's historical tolerance).
const HEADER_WINDOW: usize = 1024;

/// A loaded, decrypted document and what had to be repaired on the way.
pub struct Loaded {
    pub doc: Document,
    pub warnings: Vec<Warning>,
}

/// Parses `bytes` into a document, opening it with the empty user password only.
///
/// # Errors
/// See [`load_pages`].
#[cfg(test)]
pub fn load(bytes: &[u8]) -> Result<Loaded, ExtractError> {
    load_pages(bytes, None, None)
}

/// Parses `bytes` into a document, opening an encrypted one with the empty user password
/// or else with `password`: its user password, or (AES-256, revisions 5 and 6 only) its
/// owner password. lopdf accepts an owner password of revisions 2-4 (RC4, AES-128) too,
/// but then derives the file key as if it were the user password and decrypts to
/// garbage; that is refused as `Encrypted`, asking for the user password. The password is
/// never part of an error or warning.
///
/// # Errors
/// `Corrupt` when no PDF structure can be read, `Encrypted` when a password is needed and
/// none (or a wrong one) was given, `Unsupported` for security handlers other than the
/// standard one.
///
/// `pages` (1-based, inclusive): only these pages are wanted. A range of an unencrypted
/// file with a sound cross-reference table then loads only the objects the range reaches
/// ([`crate::lazy`]); anything else loads the whole file. The range's pages, the outline,
/// metadata and links read the same either way.
pub fn load_pages(
    bytes: &[u8],
    password: Option<&str>,
    pages: Option<(u32, u32)>,
) -> Result<Loaded, ExtractError> {
    streams::begin_document(bytes.len());
    LOAD_BOMBS.with_borrow_mut(Vec::clear);
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
    if let Some((first, last)) = pages
        && password.is_none()
        && let Some(doc) = catch_unwind(AssertUnwindSafe(|| {
            crate::lazy::load_range(body, first, last)
        }))
        .ok()
        .flatten()
        .filter(|doc| !page_tree(doc).pages.is_empty())
    {
        return Ok(Loaded { doc, warnings });
    }
    // What the lazy attempt decoded counts again in the whole load.
    streams::begin_document(bytes.len());

    // A cross-reference stream that is a bomb is not handed to lopdf at all: the repair
    // path rebuilds the table by scanning, and reads such a stream as a plain object.
    let first = match xref_stream_bomb(body) {
        Some(bomb) => {
            warnings.push(bomb_warning(&bomb));
            Err(bomb)
        }
        None => guarded_load(body, None),
    };
    // A document lopdf could not decrypt keeps /Encrypt in its trailer and holds no
    // readable objects, so this is decided before any repair is attempted.
    let first = match first {
        Ok(doc) => Ok(unlock(doc, body, password)?),
        Err(e) => Err(e),
    };
    let first = match first {
        Ok(doc) if !page_tree(&doc).pages.is_empty() => {
            // A damaged cross-reference stream can still decode, into offsets that lead
            // elsewhere: lopdf then reads whatever object is there, and the objects the
            // table names go missing without an error (pages with no fonts or content).
            let lost = lost_entries(&doc);
            let rebuilt =
                (lost > 0 && LOAD_BOMBS.with_borrow(Vec::is_empty) && !mentions_encryption(body))
                    .then(|| recover(body))
                    .flatten()
                    .filter(|r| {
                        page_tree(r).pages.len() >= page_tree(&doc).pages.len()
                            && r.objects.len() > doc.objects.len()
                    });
            if let Some(rebuilt) = rebuilt {
                warnings.push(Warning::new(
                    "recovered",
                    format!(
                        "cross-reference table rebuilt by scanning the file ({lost} of its \
                         entries do not lead to their object)"
                    ),
                    None,
                ));
                warnings.extend(load_bomb_warnings());
                return Ok(Loaded {
                    doc: rebuilt,
                    warnings,
                });
            }
            warnings.extend(load_bomb_warnings());
            return Ok(Loaded { doc, warnings });
        }
        other => other,
    };
    // The objects the document needs were in a bomb: repairing would only decode it again.
    if let Some(bomb) = LOAD_BOMBS.with_borrow(|b| b.first().cloned()) {
        return Err(bomb_error(&bomb));
    }

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
            warnings.extend(load_bomb_warnings());
            Ok(Loaded { doc, warnings })
        }
        _ => match (first, LOAD_BOMBS.with_borrow(|b| b.first().cloned())) {
            (_, Some(bomb)) => Err(bomb_error(&bomb)),
            // Structurally readable but without pages: let the caller report it.
            (Ok(doc), None) => Ok(Loaded { doc, warnings }),
            (Err(e), None) => Err(ExtractError::Corrupt(format!(
                "cannot parse the PDF structure: {e}"
            ))),
        },
    }
}

thread_local! {
    /// Bombs the load filter met (it is a plain `fn`, so it cannot capture a list).
    static LOAD_BOMBS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

fn load_bomb_warnings() -> Vec<Warning> {
    LOAD_BOMBS.with_borrow(|b| b.iter().map(|m| bomb_warning(m)).collect())
}

fn bomb_warning(message: &str) -> Warning {
    Warning::new(
        "decompression-bomb",
        format!("{message}: it looks like a decompression bomb and was skipped"),
        None,
    )
}

fn bomb_error(message: &str) -> ExtractError {
    ExtractError::Corrupt(format!(
        "the document looks like a decompression bomb: {message}, and the pages are in it"
    ))
}

/// The load filter: object streams decoded with a bound; data the text never reads
/// dropped. Every object is kept.
///
/// lopdf keeps the object as the filter left it for objects of the file, and the returned
/// one for objects inside object streams (never streams themselves): so a stream is
/// changed in place and a placeholder returned, anything else returned as it is.
fn on_object(id: ObjectId, object: &mut Object) -> Option<(ObjectId, Object)> {
    let Object::Stream(stream) = object else {
        return Some((id, object.clone()));
    };
    if stream.dict.has_type(b"ObjStm") {
        decode_object_stream(id, stream);
    } else {
        drop_never_read(stream);
    }
    Some((id, Object::Null))
}

/// Drops the data of a stream the text never reads ([`never_read`]).
pub fn drop_never_read(stream: &mut Stream) {
    if never_read(stream) {
        stream.content = Vec::new();
        // Without a position lopdf cannot read the data again for an empty stream.
        stream.start_position = None;
    }
}

/// Images (and thumbnails, soft masks: images too) and embedded files: the text engine
/// reads their dictionaries at most, and they are most of a scanned document's bytes.
fn never_read(stream: &Stream) -> bool {
    let name = |k: &[u8]| stream.dict.get(k).and_then(Object::as_name).ok();
    name(b"Subtype") == Some(b"Image") || name(b"Type") == Some(b"EmbeddedFile")
}

/// Decodes an object stream in place, so that lopdf, which decodes it next without a
/// bound, finds it decoded already.
fn decode_object_stream(id: ObjectId, stream: &mut Stream) {
    match streams::decode(stream) {
        Ok(data) => stream.set_plain_content(data),
        Err(StreamError::Bomb { limit, raw }) => {
            let message = format!(
                "object stream {} {} inflates to more than {} MB from {} KB",
                id.0,
                id.1,
                streams::mb(limit),
                streams::kb(raw)
            );
            LOAD_BOMBS.with_borrow_mut(|b| b.push(message));
            stream.set_plain_content(Vec::new());
        }
        Err(StreamError::Budget { budget, input }) => {
            let message = format!(
                "object streams inflate to more than {} MB from a {} KB file",
                streams::mb(budget),
                streams::kb(input)
            );
            LOAD_BOMBS.with_borrow_mut(|b| b.push(message));
            stream.set_plain_content(Vec::new());
        }
        // lopdf would fail to decode it too and then read the raw bytes as objects.
        Err(_) => {
            stream.dict.remove(b"Filter");
            stream.dict.remove(b"DecodeParms");
        }
    }
}

/// A cross-reference stream (`/Type /XRef`) anywhere in the file that inflates past
/// [`MAX_STREAM_BYTES`], measured without keeping its output; lopdf would decode it
/// whole while reading the table.
fn xref_stream_bomb(body: &[u8]) -> Option<String> {
    let mut from = 0;
    while let Some(rel) = find(&body[from..], b"/XRef") {
        let at = from + rel;
        from = at + 5;
        if body.get(at + 5).is_some_and(|b| !is_delimiter(*b)) {
            continue; // `/XRefStm`
        }
        let Some(dict_start) = body[at.saturating_sub(4096)..at]
            .windows(2)
            .rposition(|w| w == b"<<")
            .map(|p| at.saturating_sub(4096) + p)
        else {
            continue;
        };
        let Some(kw) = find(&body[at..body.len().min(at + 4096)], b"stream") else {
            continue;
        };
        let dict = &body[dict_start..at + kw];
        let flates = dict.windows(12).filter(|w| *w == b"/FlateDecode").count();
        if flates == 0 {
            continue;
        }
        let mut data = at + kw + 6;
        if body.get(data) == Some(&b'\r') {
            data += 1;
        }
        if body.get(data) == Some(&b'\n') {
            data += 1;
        }
        let end = find(&body[data..], b"endstream").map_or(body.len(), |e| data + e);
        let raw = &body[data..end];
        if inflates_past(raw, flates, MAX_STREAM_BYTES) {
            return Some(format!(
                "a cross-reference stream inflates to more than {} MB from {} KB",
                streams::mb(MAX_STREAM_BYTES),
                streams::kb(raw.len())
            ));
        }
    }
    None
}

/// Whether `raw` through `layers` zlib decoders yields more than `limit` bytes; each
/// layer's output is kept (it is the next one's input) only up to `limit`.
fn inflates_past(raw: &[u8], layers: usize, limit: usize) -> bool {
    use std::io::Read;
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let mut input = raw.to_vec();
    for layer in 0..layers {
        let mut decoder = flate2::read::ZlibDecoder::new(input.as_slice()).take(cap);
        if layer + 1 == layers {
            let n = std::io::copy(&mut decoder, &mut std::io::sink()).unwrap_or(0);
            return n >= cap;
        }
        let mut out = Vec::new();
        let _ = decoder.read_to_end(&mut out);
        if out.len() > limit {
            return true;
        }
        input = out;
    }
    false
}

/// lopdf has `unwrap`s on document data; a panic there means "cannot parse", not a bug
/// of ours, and the repair path still deserves its chance.
///
/// lopdf tries the empty user password, then `password`; it applies no filter to an
/// encrypted document.
fn guarded_load(body: &[u8], password: Option<&str>) -> Result<Document, String> {
    let options = LoadOptions {
        password: password.map(str::to_owned),
        filter: Some(on_object),
        ..LoadOptions::default()
    };
    match catch_unwind(AssertUnwindSafe(|| {
        Document::load_mem_with_options(body, options)
    })) {
        Ok(Ok(doc)) => Ok(doc),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("the parser failed on malformed data".to_string()),
    }
}

/// `doc` as lopdf read it without a password. Still encrypted (it keeps /Encrypt in its
/// trailer) when the empty user password did not open it: then it is read again with
/// `password`, once the password is known to open it.
fn unlock(doc: Document, body: &[u8], password: Option<&str>) -> Result<Document, ExtractError> {
    let Ok(encrypt) = doc.trailer.get(b"Encrypt") else {
        return Ok(doc);
    };
    let dict = match encrypt {
        Object::Reference(id) => doc.get_dictionary(*id).ok(),
        Object::Dictionary(d) => Some(d),
        _ => None,
    };
    let filter = dict
        .and_then(|d| d.get(b"Filter").ok())
        .and_then(|f| f.as_name().ok());
    if let Some(other) = filter.filter(|f| *f != b"Standard") {
        return Err(ExtractError::Unsupported(format!(
            "encrypted with the /{} security handler; only the standard (password) handler is supported",
            String::from_utf8_lossy(other)
        )));
    }
    let Some(password) = password.filter(|p| !p.is_empty()) else {
        return Err(ExtractError::Encrypted(
            "the document is encrypted with a user password; a password is needed to open it"
                .into(),
        ));
    };
    if doc.authenticate_user_password(password).is_err() {
        if doc.authenticate_owner_password(password).is_err() {
            return Err(ExtractError::Encrypted(
                "the password given does not open the document (it is neither its user nor \
                 its owner password)"
                    .into(),
            ));
        }
        let revision = dict
            .and_then(|d| d.get(b"R").ok())
            .and_then(|r| r.as_i64().ok())
            .unwrap_or(0);
        if revision < 5 {
            return Err(ExtractError::Encrypted(format!(
                "the password given is the document's owner password; its encryption \
                 (revision {revision}, RC4 or AES-128) is opened with the user password only"
            )));
        }
    }
    match guarded_load(body, Some(password)) {
        Ok(doc) if doc.trailer.get(b"Encrypt").is_err() => Ok(doc),
        Ok(_) | Err(_) => Err(ExtractError::Corrupt(
            "the password opens the document, but its objects could not be decrypted".into(),
        )),
    }
}

/// The cross-reference entries in use whose object lopdf did not load: an offset that
/// leads to another object or to none, or an object stream that does not hold it.
fn lost_entries(doc: &Document) -> usize {
    doc.reference_table
        .entries
        .iter()
        .filter(|(num, entry)| match entry {
            XrefEntry::Normal { generation, .. } => {
                !doc.objects.contains_key(&(**num, *generation))
            }
            XrefEntry::Compressed { .. } => !doc.objects.contains_key(&(**num, 0)),
            XrefEntry::Free | XrefEntry::UnusableFree => false,
        })
        .count()
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
    let mut doc = guarded_load(&file, None).ok()?;
    prefer_newest(&mut doc, &objects);
    if let Some(root) = find_root(&doc, body) {
        doc.trailer.set("Root", root);
    }
    if let Some(info) = last_trailer_ref(body, b"/Info").or_else(|| xref_stream_ref(&doc, b"Info"))
    {
        doc.trailer.set("Info", info);
    }
    Some(doc)
}

/// Puts back the newest definition of each object found in an object stream. A rebuilt
/// table names no object stream, so lopdf reads them all and keeps, of an object defined
/// more than once, the copy in the lowest-numbered stream, and always a copy outside over
/// one inside; in an incremental update the newest definition is the one last in the file.
fn prefer_newest(doc: &mut Document, objects: &BTreeMap<u32, (usize, u16)>) {
    let mut containers: Vec<(usize, ObjectId)> = objects
        .iter()
        .map(|(num, (offset, generation))| (*offset, (*num, *generation)))
        .filter(|(_, id)| {
            doc.get_object(*id)
                .and_then(Object::as_stream)
                .is_ok_and(|s| s.dict.has_type(b"ObjStm"))
        })
        .collect();
    containers.sort_unstable();
    let mut newest: BTreeMap<ObjectId, Object> = BTreeMap::new();
    for (offset, container) in containers {
        // Decoded already by the load filter (bounded), so this parses without inflating.
        let Ok(mut stream) = doc
            .get_object(container)
            .and_then(Object::as_stream)
            .cloned()
        else {
            continue;
        };
        let Ok(parsed) = ObjectStream::new(&mut stream) else {
            continue;
        };
        for (id, object) in parsed.objects {
            let outside_is_newer = objects.get(&id.0).is_some_and(|(at, _)| *at > offset);
            if outside_is_newer {
                newest.remove(&id);
            } else {
                newest.insert(id, object);
            }
        }
    }
    doc.objects.extend(newest);
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

// memchr's substring search (SIMD first-byte scan): the load path searches whole files
// for markers (/XRef, obj, trailer), and a window-by-window compare cost ~14
// instructions per byte, most of a small file's extraction (callgrind on a 3-page agenda).
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::rfind(hay, needle)
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

    /// A file of `objects` (numbered from 1; an empty one is a free entry) with an exact
    /// xref table.
    fn pdf_of(objects: &[Vec<u8>]) -> Vec<u8> {
        let mut pdf = b"%PDF-1.5\n".to_vec();
        let mut offsets = Vec::new();
        for (n, body) in objects.iter().enumerate() {
            if body.is_empty() {
                offsets.push(None);
                continue;
            }
            offsets.push(Some(pdf.len()));
            pdf.extend_from_slice(format!("{} 0 obj\n", n + 1).as_bytes());
            pdf.extend_from_slice(body);
            pdf.extend_from_slice(b"\nendobj\n");
        }
        let xref = pdf.len();
        let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
        for at in offsets {
            match at {
                Some(at) => table.push_str(&format!("{at:010} 00000 n \n")),
                None => table.push_str("0000000000 65535 f \n"),
            }
        }
        let _ = write!(
            table,
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        );
        pdf.extend_from_slice(table.as_bytes());
        pdf
    }

    fn stream_obj(dict: &str, data: &[u8]) -> Vec<u8> {
        let mut out = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
        out.extend_from_slice(data);
        out.extend_from_slice(b"\nendstream");
        out
    }

    /// zlib of `prefix` then `mib` MiB of zeros.
    fn zeros_after(prefix: &[u8], mib: usize) -> Vec<u8> {
        use std::io::Write as _;
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        let _ = e.write_all(prefix);
        let block = vec![0u8; 1 << 20];
        for _ in 0..mib {
            let _ = e.write_all(&block);
        }
        e.finish().unwrap_or_default()
    }

    /// Catalog, and the page tree and page in an object stream of `mib` MiB of zeros after
    /// them; `outside` puts a copy of the tree and page outside it as well.
    fn objstm_pdf(mib: usize, outside: bool) -> Vec<u8> {
        let tree = b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>\n".as_slice();
        let page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>\n".as_slice();
        let mut data = format!("{:<16}", format!("2 0 4 {}", tree.len())).into_bytes();
        data.extend_from_slice(tree);
        data.extend_from_slice(page);
        let objstm = stream_obj(
            "/Type /ObjStm /N 2 /First 16 /Filter /FlateDecode",
            &zeros_after(&data, mib),
        );
        let (two, four) = if outside {
            (tree.to_vec(), page.to_vec())
        } else {
            (Vec::new(), Vec::new())
        };
        pdf_of(&[
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            two,
            objstm,
            four,
        ])
    }

    #[test]
    fn object_streams_are_read_through_the_bounded_decoder() {
        let loaded = load(&objstm_pdf(1, false));
        assert!(loaded.is_ok_and(|l| page_tree(&l.doc).pages == vec![(4, 0)]));
    }

    #[test]
    fn an_object_stream_bomb_holding_the_pages_is_refused() {
        let Err(ExtractError::Corrupt(message)) = load(&objstm_pdf(80, false)) else {
            unreachable!("the bomb was not refused");
        };
        assert!(
            message.contains("looks like a decompression bomb"),
            "{message}"
        );
        assert!(
            message.contains("object stream 3 0 inflates to more than 67 MB"),
            "{message}"
        );
    }

    #[test]
    fn an_object_stream_bomb_beside_the_pages_is_a_warning() {
        // lopdf keeps the objects of the file over those of object streams, so with both
        // the pages come from outside; the bomb is skipped.
        let loaded = load(&objstm_pdf(80, true));
        let Ok(loaded) = loaded else {
            unreachable!("refused: {:?}", loaded.err());
        };
        assert_eq!(page_tree(&loaded.doc).pages, vec![(4, 0)]);
        assert!(
            loaded
                .warnings
                .iter()
                .any(|w| w.code == "decompression-bomb" && w.message.contains("object stream 3 0"))
        );
    }

    #[test]
    fn image_data_is_not_kept() {
        let image = stream_obj(
            "/Type /XObject /Subtype /Image /Width 8 /Height 8 /BitsPerComponent 8",
            &[7u8; 64],
        );
        let form = stream_obj("/Type /XObject /Subtype /Form", b"BT ET");
        let pdf = pdf_of(&[
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>".to_vec(),
            image,
            form,
        ]);
        let Ok(loaded) = load(&pdf) else {
            unreachable!("not loaded");
        };
        let content = |id| {
            loaded
                .doc
                .get_object(id)
                .and_then(Object::as_stream)
                .map(|s| s.content.clone())
        };
        assert_eq!(content((4, 0)).ok(), Some(Vec::new()));
        assert_eq!(content((5, 0)).ok(), Some(b"BT ET".to_vec()));
        assert!(
            loaded
                .doc
                .get_object((4, 0))
                .and_then(Object::as_stream)
                .is_ok_and(|s| s.dict.has(b"Width"))
        );
    }

    #[test]
    fn an_xref_stream_bomb_is_not_handed_to_lopdf() {
        let mut pdf = broken_xref_pdf();
        let cut = rfind(&pdf, b"xref").unwrap_or(0);
        pdf.truncate(cut);
        let at = pdf.len();
        pdf.extend_from_slice(b"9 0 obj\n");
        pdf.extend_from_slice(&stream_obj(
            "/Type /XRef /Size 10 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode",
            &zeros_after(b"", 80),
        ));
        pdf.extend_from_slice(format!("\nendobj\nstartxref\n{at}\n%%EOF\n").as_bytes());
        let Ok(loaded) = load(&pdf) else {
            unreachable!("not recovered");
        };
        assert_eq!(page_tree(&loaded.doc).pages, vec![(3, 0)]);
        assert!(
            loaded
                .warnings
                .iter()
                .any(|w| w.code == "decompression-bomb")
        );
    }

    /// Appends one revision: the `plain` objects, the `packed` ones in object stream `stm`
    /// (none when empty), then an unfiltered cross-reference stream `xref` (`/W [1 4 2]`)
    /// naming them all, `/Prev` to the revision before. Returns where that stream starts.
    fn revision(
        pdf: &mut Vec<u8>,
        plain: &[(u32, &str)],
        (stm, packed): (u32, &[(u32, &str)]),
        (xref, size, prev): (u32, u32, Option<usize>),
    ) -> usize {
        let offset = |pdf: &Vec<u8>| u32::try_from(pdf.len()).unwrap_or(u32::MAX);
        let mut entries: Vec<(u32, u8, u32, u16)> = Vec::new();
        for (num, body) in plain {
            entries.push((*num, 1, offset(pdf), 0));
            pdf.extend_from_slice(format!("{num} 0 obj\n{body}\nendobj\n").as_bytes());
        }
        if !packed.is_empty() {
            let (mut index, mut objects) = (String::new(), String::new());
            for ((num, body), i) in packed.iter().zip(0u16..) {
                let _ = write!(index, "{num} {} ", objects.len());
                objects.push_str(body);
                objects.push('\n');
                entries.push((*num, 2, stm, i));
            }
            let dict = format!(
                "/Type /ObjStm /N {} /First {} /Filter /FlateDecode",
                packed.len(),
                index.len() + 1
            );
            entries.push((stm, 1, offset(pdf), 0));
            pdf.extend_from_slice(format!("{stm} 0 obj\n").as_bytes());
            let data = zeros_after(format!("{index}\n{objects}").as_bytes(), 0);
            pdf.extend_from_slice(&stream_obj(&dict, &data));
            pdf.extend_from_slice(b"\nendobj\n");
        }
        let at = pdf.len();
        entries.push((xref, 1, offset(pdf), 0));
        entries.sort_unstable();
        let (mut data, mut index) = (Vec::new(), String::new());
        for (num, kind, field2, field3) in &entries {
            data.push(*kind);
            data.extend_from_slice(&field2.to_be_bytes());
            data.extend_from_slice(&field3.to_be_bytes());
            let _ = write!(index, "{num} 1 ");
        }
        let prev = prev.map(|p| format!(" /Prev {p}")).unwrap_or_default();
        let dict =
            format!("/Type /XRef /Size {size} /Index [{index}] /W [1 4 2] /Root 1 0 R{prev}");
        pdf.extend_from_slice(format!("{xref} 0 obj\n").as_bytes());
        pdf.extend_from_slice(&stream_obj(&dict, &data));
        pdf.extend_from_slice(format!("\nendobj\nstartxref\n{at}\n%%EOF\n").as_bytes());
        at
    }

    const FONT: &str =
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>";

    fn page(contents: &str) -> String {
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {contents} \
             /Resources << /Font << /F1 5 0 R >> >> >>"
        )
    }

    fn show(text: &str, y: u32) -> String {
        let data = format!("BT /F1 12 Tf 72 {y} Td ({text}) Tj ET");
        format!("<< /Length {} >>\nstream\n{data}\nendstream", data.len())
    }

    /// Catalog, page tree, page and font in object stream 4, the page's content in object
    /// 6, cross-reference stream 7. Returns the file and where the data of 7 starts.
    fn packed_pdf(text: &str) -> (Vec<u8>, usize) {
        let mut pdf = b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n".to_vec();
        let page = page("6 0 R");
        let packed = [
            (1, "<< /Type /Catalog /Pages 2 0 R >>"),
            (2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
            (3, page.as_str()),
            (5, FONT),
        ];
        let at = revision(
            &mut pdf,
            &[(6, &show(text, 700))],
            (4, &packed),
            (7, 8, None),
        );
        let data = at + find(&pdf[at..], b"stream\n").unwrap_or(0) + 7;
        (pdf, data)
    }

    /// The text of every page, and whether a `recovered` warning came with it.
    fn text_of(pdf: &[u8]) -> (String, bool) {
        let options = conductor_plugin_sdk::extractor::Options::default();
        match crate::extract::extract_document(pdf, &options) {
            Ok(doc) => (
                doc.pages
                    .iter()
                    .map(|p| p.text.as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
                doc.warnings.iter().any(|w| w.code == "recovered"),
            ),
            Err(e) => (format!("error: {e}"), false),
        }
    }

    #[test]
    fn packed_pdf_reads_without_repair() {
        let (pdf, _) = packed_pdf("Hello from a packed page");
        let (text, recovered) = text_of(&pdf);
        assert!(text.contains("Hello from a packed page"), "{text}");
        assert!(!recovered);
    }

    #[test]
    fn a_truncated_xref_stream_is_rebuilt_with_object_streams() {
        // The file ends in the middle of the stream: no startxref, lopdf's "invalid start
        // value"; the page, its tree and its font are in the object stream.
        let (mut pdf, data) = packed_pdf("Hello from a packed page");
        pdf.truncate(data + 24);
        let (text, recovered) = text_of(&pdf);
        assert!(text.contains("Hello from a packed page"), "{text}");
        assert!(recovered);
    }

    #[test]
    fn a_garbled_xref_stream_is_rebuilt_though_it_decodes() {
        // The second half of the entries (the font's, the content's, its own) overwritten:
        // they still parse, into offsets past the end, so lopdf finds the page but neither
        // its font nor its content, and reports nothing.
        let (mut pdf, data) = packed_pdf("Hello from a packed page");
        for b in &mut pdf[data + 28..data + 49] {
            *b = 1;
        }
        let (text, recovered) = text_of(&pdf);
        assert!(text.contains("Hello from a packed page"), "{text}");
        assert!(recovered);
    }

    /// [`packed_pdf`] saying "Old text", then an update: the content redefined (plain) and
    /// the page redefined in a new object stream 8, with a second content 9. Returns the
    /// file and where the data of the update's cross-reference stream starts.
    fn updated_pdf() -> (Vec<u8>, usize) {
        let (mut pdf, first) = packed_pdf("Old text");
        // The first revision's cross-reference stream, object 7, is the last object before it.
        let prev = rfind(&pdf[..first], b"7 0 obj").unwrap_or(0);
        let page = page("[6 0 R 9 0 R]");
        let plain = [(6, show("Newer text", 700)), (9, show("Added text", 650))];
        let plain: Vec<(u32, &str)> = plain.iter().map(|(n, b)| (*n, b.as_str())).collect();
        let at = revision(&mut pdf, &plain, (8, &[(3, &page)]), (10, 11, Some(prev)));
        let data = at + find(&pdf[at..], b"stream\n").unwrap_or(0) + 7;
        (pdf, data)
    }

    #[test]
    fn an_incremental_update_wins_when_read_normally() {
        let (pdf, _) = updated_pdf();
        let (text, recovered) = text_of(&pdf);
        assert!(
            text.contains("Newer text") && text.contains("Added text"),
            "{text}"
        );
        assert!(!text.contains("Old text"), "{text}");
        assert!(!recovered);
    }

    #[test]
    fn an_incremental_update_wins_when_rebuilt() {
        // The update's cross-reference stream cut short: the scan finds both revisions,
        // the page in two object streams and the content twice; the later ones win.
        let (mut pdf, data) = updated_pdf();
        pdf.truncate(data + 10);
        let (text, recovered) = text_of(&pdf);
        assert!(
            text.contains("Newer text") && text.contains("Added text"),
            "{text}"
        );
        assert!(!text.contains("Old text"), "{text}");
        assert!(recovered);
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
