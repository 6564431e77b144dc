//! Loading for a page range: only the objects the range's pages reach, read through the
//! cross-reference table, instead of lopdf's parse of every object in the file.
//!
//! Page-parallel extraction gives each range a fresh instance, and each used to parse the
//! whole file; a range now costs about what its pages cost. What is loaded: the trailer's
//! catalog and Info with everything they reach (outline, names, forms, metadata), except
//! the page tree and the structure tree, which the text never reads, and except the
//! outline and names for a range that does not start at page 1 (it carries no outline); every node and page
//! object of the page tree (for the numbering), without what they reach; and for the pages
//! in range, their ancestors' inherited attributes and everything the page reaches
//! (resources, fonts, content, annotations).
//!
//! It is an optimisation only: anything unusual (a damaged or hybrid cross-reference
//! section, encryption, an object not where the table says, a reference to an object the
//! table does not have, an object stream over its bound) gives `None`, and the caller
//! loads the file eagerly, with its repair path. Objects are read the way the eager load
//! reads them (lopdf's parser at the table's offset, object streams decoded with our bound,
//! never-read stream data dropped by the same filter), so what the pages see is the same.

use std::collections::{BTreeMap, HashMap, HashSet};

use lopdf::xref::{Xref, XrefEntry, XrefType};
use lopdf::{Dictionary, Document, Object, ObjectId, ObjectStream, Reader, Stream};

use crate::pages::page_tree;

/// Cross-reference sections followed through `/Prev` before giving up.
const MAX_SECTIONS: usize = 64;
/// `/Parent` levels followed above a page for its inherited attributes.
const MAX_ANCESTORS: usize = 64;

/// The document as far as pages `first..=last` (1-based) need it, or `None` when the file
/// should be loaded whole (see the module documentation).
pub fn load_range(body: &[u8], first: u32, last: u32) -> Option<Document> {
    let (xref, trailer) = read_xref(body)?;
    let mut loader = Loader::new(body, xref, trailer);
    loader.load_tree()?;
    // The trailer's documents: catalog (minus the page and structure trees) and Info.
    let roots: Vec<Object> = [b"Root".as_slice(), b"Info"]
        .iter()
        .filter_map(|k| loader.doc.trailer.get(k).ok().cloned())
        .collect();
    let skip = if first > 1 {
        SKIP_AFTER_FIRST
    } else {
        SKIP_IN_CATALOG
    };
    for root in &roots {
        loader.reach(root, skip)?;
    }
    let pages = page_tree(&loader.doc).pages;
    let from = usize::try_from(first.saturating_sub(1)).ok()?;
    let to = usize::try_from(last).ok()?.min(pages.len());
    for &page in pages.get(from..to).unwrap_or_default() {
        loader.reach_page(page)?;
    }
    Some(loader.doc)
}

/// Catalog entries not followed: the page tree (walked on its own) and the structure
/// tree of tagged PDFs (often the largest part of the file, and never read for text).
const SKIP_IN_CATALOG: &[&[u8]] = &[b"Pages", b"StructTreeRoot"];
/// ... and for a range after the first page, the outline and the destinations it names:
/// such a range carries no outline (`extract_document`), and in a book with links they
/// are thousands of objects.
const SKIP_AFTER_FIRST: &[&[u8]] = &[b"Pages", b"StructTreeRoot", b"Outlines", b"Names", b"Dests"];
/// Page and page-tree node entries not followed: the tree's links, which would reach
/// every other page.
const SKIP_IN_PAGE: &[&[u8]] = &[b"Parent", b"Kids"];

struct Loader<'a> {
    reader: Reader<'a>,
    doc: Document,
    /// Objects of decoded object streams, by container.
    containers: HashMap<u32, BTreeMap<ObjectId, Object>>,
    /// Page-tree nodes and pages: loaded, but not followed from elsewhere.
    tree: HashSet<ObjectId>,
    /// Objects already followed.
    reached: HashSet<ObjectId>,
}

impl<'a> Loader<'a> {
    fn new(body: &'a [u8], xref: Xref, trailer: Dictionary) -> Self {
        let reader = reader(body, xref.clone());
        let mut doc = Document::new();
        doc.max_id = xref.max_id();
        doc.reference_table = xref;
        doc.trailer = trailer;
        Loader {
            reader,
            doc,
            containers: HashMap::new(),
            tree: HashSet::new(),
            reached: HashSet::new(),
        }
    }

    /// Makes object `id` present in the document; `None` when it cannot be read as the
    /// table says.
    fn fetch(&mut self, id: ObjectId) -> Option<()> {
        if self.doc.objects.contains_key(&id) {
            return Some(());
        }
        let mut object = match self.doc.reference_table.get(id.0)? {
            XrefEntry::Normal { generation, .. } if *generation == id.1 => {
                self.reader.get_object(id, &mut HashSet::new()).ok()?
            }
            XrefEntry::Compressed { container, .. } if id.1 == 0 => {
                let container = *container;
                self.container(container)?.get(&id)?.clone()
            }
            _ => return None,
        };
        if let Object::Stream(stream) = &mut object {
            // An object stream is no page's object; a stream whose length lopdf could not
            // resolve while parsing is completed by the whole load only.
            if stream.dict.has_type(b"ObjStm")
                || (stream.content.is_empty() && stream.start_position.is_some())
            {
                return None;
            }
            crate::load::drop_never_read(stream);
        }
        self.doc.objects.insert(id, object);
        Some(())
    }

    /// The objects of object stream `container`, decoded with the plugin's bound.
    fn container(&mut self, container: u32) -> Option<&BTreeMap<ObjectId, Object>> {
        if !self.containers.contains_key(&container) {
            let id = (container, 0);
            let XrefEntry::Normal { generation: 0, .. } =
                self.doc.reference_table.get(container)?
            else {
                return None;
            };
            let Object::Stream(mut stream) =
                self.reader.get_object(id, &mut HashSet::new()).ok()?
            else {
                return None;
            };
            let data = crate::streams::decode(&stream).ok()?;
            stream.set_plain_content(data);
            let objects = ObjectStream::new(&mut stream).ok()?.objects;
            self.containers.insert(container, objects);
        }
        self.containers.get(&container)
    }

    /// Loads every node and page of the page tree (without what they reach), so that
    /// pages are numbered as in the whole document.
    fn load_tree(&mut self) -> Option<()> {
        let root = self.doc.trailer.get(b"Root").ok()?.as_reference().ok()?;
        self.fetch(root)?;
        let Ok(Object::Reference(pages)) =
            self.doc.get_dictionary(root).and_then(|c| c.get(b"Pages"))
        else {
            return None;
        };
        let mut queue = vec![*pages];
        while let Some(id) = queue.pop() {
            if !self.tree.insert(id) {
                continue;
            }
            self.fetch(id)?;
            let kids = match self.doc.get_dictionary(id).ok()?.get(b"Kids") {
                Ok(Object::Array(kids)) => kids.clone(),
                Ok(Object::Reference(r)) => {
                    let r = *r;
                    self.fetch(r)?;
                    self.tree.insert(r);
                    self.doc.get_object(r).ok()?.as_array().ok()?.clone()
                }
                _ => continue,
            };
            queue.extend(kids.iter().filter_map(|k| k.as_reference().ok()));
        }
        Some(())
    }

    /// Everything `page` reaches, and the inherited attributes of its ancestors.
    fn reach_page(&mut self, page: ObjectId) -> Option<()> {
        let mut node = page;
        for _ in 0..MAX_ANCESTORS {
            let mut refs = Vec::new();
            let dict = self.doc.get_dictionary(node).ok()?;
            references(&Object::Dictionary(dict.clone()), SKIP_IN_PAGE, &mut refs);
            let parent = match dict.get(b"Parent") {
                Ok(Object::Reference(parent)) if self.tree.contains(parent) => Some(*parent),
                _ => None,
            };
            self.reach_all(refs)?;
            match parent {
                Some(parent) => node = parent,
                None => break,
            }
        }
        Some(())
    }

    /// Loads what `object` refers to, transitively; page-tree objects are not followed.
    /// `skip`: keys left out of `object` itself (or of the dictionary it refers to).
    fn reach(&mut self, object: &Object, skip: &[&[u8]]) -> Option<()> {
        let mut refs = Vec::new();
        match object {
            Object::Reference(id) => {
                if self.tree.contains(id) || !self.reached.insert(*id) {
                    return Some(());
                }
                self.fetch(*id)?;
                references(self.doc.objects.get(id)?, skip, &mut refs);
            }
            other => references(other, skip, &mut refs),
        }
        self.reach_all(refs)
    }

    /// Loads the objects `pending` names and everything they refer to.
    fn reach_all(&mut self, mut pending: Vec<ObjectId>) -> Option<()> {
        while let Some(id) = pending.pop() {
            if self.tree.contains(&id) || !self.reached.insert(id) {
                continue;
            }
            self.fetch(id)?;
            references(self.doc.objects.get(&id)?, &[], &mut pending);
        }
        Some(())
    }
}

/// The references inside `object` (its nested arrays and dictionaries, not what they
/// refer to), leaving out the entries `skip` of `object` itself.
fn references(object: &Object, skip: &[&[u8]], out: &mut Vec<ObjectId>) {
    let mut stack: Vec<(&Object, bool)> = vec![(object, true)];
    while let Some((object, top)) = stack.pop() {
        match object {
            Object::Reference(id) => out.push(*id),
            Object::Array(items) => stack.extend(items.iter().map(|o| (o, false))),
            Object::Dictionary(dict) | Object::Stream(Stream { dict, .. }) => {
                stack.extend(
                    dict.iter()
                        .filter(|(k, _)| !(top && skip.contains(&k.as_slice())))
                        .map(|(_, v)| (v, false)),
                );
            }
            _ => {}
        }
    }
}

/// The merged cross-reference table (newest entries win, as in lopdf) and the newest
/// trailer without `/Prev`; `None` for anything but plain tables and streams.
fn read_xref(body: &[u8]) -> Option<(Xref, Dictionary)> {
    let mut offset = startxref(body)?;
    let mut xref = Xref::new(0, XrefType::CrossReferenceTable);
    let mut newest: Option<Dictionary> = None;
    let mut seen = HashSet::new();
    for _ in 0..MAX_SECTIONS {
        if !seen.insert(offset) {
            return None;
        }
        let (entries, trailer) = read_section(body, offset)?;
        if trailer.has(b"Encrypt") || trailer.has(b"XRefStm") {
            return None;
        }
        for (id, entry) in entries {
            xref.entries.entry(id).or_insert(entry);
        }
        let prev = trailer.get(b"Prev").ok().map(Object::as_i64);
        if newest.is_none() {
            let mut t = trailer;
            t.remove(b"Prev");
            newest = Some(t);
        }
        match prev {
            None => {
                xref.size = xref.max_id().checked_add(1)?;
                return Some((xref, newest?));
            }
            Some(Ok(p)) => offset = usize::try_from(p).ok().filter(|p| *p < body.len())?,
            Some(Err(_)) => return None,
        }
    }
    None
}

/// The offset `startxref` names at the end of the file.
fn startxref(body: &[u8]) -> Option<usize> {
    let tail = &body[body.len().saturating_sub(1024)..];
    let at = tail.windows(9).rposition(|w| w == b"startxref")?;
    let digits: Vec<u8> = tail[at + 9..]
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take_while(|b| b.is_ascii_digit())
        .copied()
        .collect();
    std::str::from_utf8(&digits)
        .ok()?
        .parse()
        .ok()
        .filter(|o| *o < body.len())
}

type Entries = Vec<(u32, XrefEntry)>;

fn read_section(body: &[u8], offset: usize) -> Option<(Entries, Dictionary)> {
    let rest = body.get(offset..)?;
    if rest.starts_with(b"xref") {
        read_table(body, offset + 4)
    } else {
        read_stream_section(body, offset)
    }
}

/// A classic table: `first count` subsections of `offset generation n|f` lines, then
/// `trailer << ... >>`.
fn read_table(body: &[u8], mut at: usize) -> Option<(Entries, Dictionary)> {
    let mut entries = Vec::new();
    let mut words = Words { body, at: &mut at };
    loop {
        let word = words.next()?;
        if word == b"trailer" {
            break;
        }
        let first: u32 = parse_num(word)?;
        let count: u32 = parse_num(words.next()?)?;
        for id in first..first.checked_add(count)? {
            let offset: u32 = parse_num(words.next()?)?;
            let generation: u16 = parse_num(words.next()?)?;
            let entry = match words.next()? {
                b"n" => XrefEntry::Normal { offset, generation },
                b"f" => XrefEntry::Free,
                _ => return None,
            };
            entries.push((id, entry));
        }
    }
    // Within a section the last line for a number stands; across sections the newest.
    entries.reverse();
    let mut seen = HashSet::new();
    entries.retain(|(id, _)| seen.insert(*id));
    let trailer = parse_dictionary(body.get(at..)?)?;
    Some((entries, trailer))
}

/// A cross-reference stream (`N G obj << /Type /XRef /W [...] ... >> stream`).
fn read_stream_section(body: &[u8], offset: usize) -> Option<(Entries, Dictionary)> {
    let mut at = offset;
    let mut words = Words { body, at: &mut at };
    let number: u32 = parse_num(words.next()?)?;
    let generation: u16 = parse_num(words.next()?)?;
    let reader = reader(body, one_entry(number, offset, generation)?);
    let Object::Stream(stream) = reader
        .get_object((number, generation), &mut HashSet::new())
        .ok()?
    else {
        return None;
    };
    if !stream.dict.has_type(b"XRef") {
        return None;
    }
    let data = crate::streams::decode(&stream).ok()?;
    let widths: Vec<usize> = stream
        .dict
        .get(b"W")
        .ok()?
        .as_array()
        .ok()?
        .iter()
        .map(|w| w.as_i64().ok().and_then(|w| usize::try_from(w).ok()))
        .collect::<Option<_>>()?;
    let [w0, w1, w2] = widths[..] else {
        return None;
    };
    if w0 > 4 || w1 > 8 || w2 > 8 || w0 + w1 + w2 == 0 {
        return None;
    }
    let size = stream.dict.get(b"Size").ok()?.as_i64().ok()?;
    let index: Vec<i64> = match stream.dict.get(b"Index") {
        Ok(Object::Array(a)) => a.iter().map(|o| o.as_i64().ok()).collect::<Option<_>>()?,
        Ok(_) => return None,
        Err(_) => vec![0, size],
    };
    let field = |bytes: &[u8]| bytes.iter().fold(0u64, |v, b| (v << 8) | u64::from(*b));
    let mut rows = data.chunks_exact(w0 + w1 + w2);
    let mut entries = Vec::new();
    for pair in index.chunks(2) {
        let [start, count] = *pair else {
            return None;
        };
        let start = u32::try_from(start).ok()?;
        for id in start..start.checked_add(u32::try_from(count).ok()?)? {
            let row = rows.next()?;
            let kind = if w0 == 0 { 1 } else { field(&row[..w0]) };
            let a = field(&row[w0..w0 + w1]);
            let b = field(&row[w0 + w1..]);
            let entry = match kind {
                0 => XrefEntry::Free,
                1 => XrefEntry::Normal {
                    offset: u32::try_from(a).ok()?,
                    generation: u16::try_from(b).ok()?,
                },
                2 => XrefEntry::Compressed {
                    container: u32::try_from(a).ok()?,
                    index: u16::try_from(b).ok()?,
                },
                _ => return None,
            };
            entries.push((id, entry));
        }
    }
    let mut seen = HashSet::new();
    entries.retain(|(id, _)| seen.insert(*id));
    Some((entries, stream.dict))
}

/// Parses the dictionary at the start of `bytes` with lopdf's object parser (wrapped as
/// an indirect object of a small buffer: the parser's only public entry).
fn parse_dictionary(bytes: &[u8]) -> Option<Dictionary> {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace())?;
    let end = bytes
        .windows(9)
        .position(|w| w == b"startxref")
        .unwrap_or(bytes.len());
    let mut buffer = b"1 0 obj\n".to_vec();
    buffer.extend_from_slice(bytes.get(start..end)?);
    buffer.extend_from_slice(b"\nendobj\n");
    let reader = reader(&buffer, one_entry(1, 0, 0)?);
    match reader.get_object((1, 0), &mut HashSet::new()).ok()? {
        Object::Dictionary(d) => Some(d),
        _ => None,
    }
}

/// lopdf's reader over `buffer` with the table `xref`: its object parser is reachable
/// only through `Reader::get_object`.
fn reader(buffer: &[u8], xref: Xref) -> Reader<'_> {
    let mut document = Document::new();
    document.reference_table = xref;
    Reader {
        buffer,
        document,
        encryption_state: None,
        raw_objects: BTreeMap::new(),
        password: None,
        strict: false,
    }
}

/// A table of one object, `number generation` at `offset`.
fn one_entry(number: u32, offset: usize, generation: u16) -> Option<Xref> {
    let mut xref = Xref::new(number.checked_add(1)?, XrefType::CrossReferenceTable);
    let offset = u32::try_from(offset).ok()?;
    xref.insert(number, XrefEntry::Normal { offset, generation });
    Some(xref)
}

fn parse_num<T: std::str::FromStr>(word: &[u8]) -> Option<T> {
    std::str::from_utf8(word).ok()?.parse().ok()
}

/// Whitespace-separated words of `body` from `at` on (which it advances).
struct Words<'b, 'c> {
    body: &'b [u8],
    at: &'c mut usize,
}

impl<'b> Words<'b, '_> {
    fn next(&mut self) -> Option<&'b [u8]> {
        let body = self.body;
        let start = *self.at
            + body
                .get(*self.at..)?
                .iter()
                .position(|b| !b.is_ascii_whitespace())?;
        let len = body[start..]
            .iter()
            .position(|b| b.is_ascii_whitespace() || *b == b'<')
            .unwrap_or(body.len() - start);
        *self.at = start + len;
        Some(&body[start..start + len]).filter(|w| !w.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Options, extract_document};
    use lopdf::dictionary;

    /// Three pages, each drawing its own content with its own font, and an outline; saved
    /// with a classic table, or (`modern`) with object streams and a cross-reference stream.
    fn three_pages(modern: bool) -> Vec<u8> {
        let mut doc = Document::with_version("1.5");
        let pages_id = doc.new_object_id();
        let mut kids = Vec::new();
        for i in 1..=3 {
            let font = doc.add_object(dictionary! {
                "Type" => "Font",
                "Subtype" => "Type1",
                "BaseFont" => "Helvetica",
                "Encoding" => "WinAnsiEncoding",
            });
            let text = format!("BT /F1 12 Tf 72 700 Td (page {i}) Tj ET");
            let content = doc.add_object(Stream::new(dictionary! {}, text.into_bytes()));
            let page = doc.add_object(dictionary! {
                "Type" => "Page",
                "Parent" => pages_id,
                "Contents" => content,
                "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
            });
            kids.push(Object::Reference(page));
        }
        doc.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! {
                "Type" => "Pages",
                "Kids" => kids,
                "Count" => 3,
                "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
            }),
        );
        let outline = doc.add_object(dictionary! { "Type" => "Outlines", "Count" => 0 });
        let catalog = doc.add_object(dictionary! {
            "Type" => "Catalog",
            "Pages" => pages_id,
            "Outlines" => outline,
        });
        doc.trailer.set("Root", catalog);
        let mut bytes = Vec::new();
        let saved = if modern {
            doc.save_modern(&mut bytes)
        } else {
            doc.save_to(&mut bytes)
        };
        assert!(saved.is_ok(), "{saved:?}");
        bytes
    }

    fn contents(doc: &Document, page: ObjectId) -> ObjectId {
        match doc.get_dictionary(page).and_then(|p| p.get(b"Contents")) {
            Ok(Object::Reference(id)) => *id,
            other => unreachable!("{other:?}"),
        }
    }

    #[test]
    fn a_range_loads_only_what_its_pages_reach() {
        for modern in [false, true] {
            let bytes = three_pages(modern);
            let Some(doc) = load_range(&bytes, 2, 2) else {
                unreachable!("modern={modern}: the lazy load gave up");
            };
            let pages = page_tree(&doc).pages;
            assert_eq!(pages.len(), 3, "every page is numbered");
            assert!(doc.objects.contains_key(&contents(&doc, pages[1])));
            assert!(!doc.objects.contains_key(&contents(&doc, pages[0])));
            assert!(!doc.objects.contains_key(&contents(&doc, pages[2])));
            // A range after page 1 leaves the outline alone; page 1's range loads it.
            let outline = |doc: &Document| {
                doc.catalog()
                    .and_then(|c| c.get(b"Outlines"))
                    .and_then(Object::as_reference)
                    .is_ok_and(|id| doc.objects.contains_key(&id))
            };
            assert!(!outline(&doc));
            let head = load_range(&bytes, 1, 1);
            assert!(head.as_ref().is_some_and(outline), "modern={modern}");
            // The text of the range is the page's own.
            let options = Options {
                pages: Some((2, 2)),
                ..Options::default()
            };
            let Ok(extracted) = extract_document(&bytes, &options) else {
                unreachable!("modern={modern}");
            };
            assert_eq!(extracted.pages.len(), 1);
            assert_eq!(extracted.pages[0].text, "page 2");
            assert_eq!(extracted.metadata.page_count, 3);
        }
    }

    /// A `startxref` that leads nowhere: no lazy load, and the range still reads through
    /// the whole load's repair.
    #[test]
    fn a_damaged_table_falls_back_to_the_whole_load() {
        let mut bytes = three_pages(false);
        let Some(at) = bytes.windows(9).rposition(|w| w == b"startxref") else {
            unreachable!("no startxref");
        };
        for b in bytes[at + 9..]
            .iter_mut()
            .skip_while(|b| b.is_ascii_whitespace())
        {
            if !b.is_ascii_digit() {
                break;
            }
            *b = b'0';
        }
        assert!(load_range(&bytes, 2, 2).is_none());
        let options = Options {
            pages: Some((3, 3)),
            ..Options::default()
        };
        let Ok(extracted) = extract_document(&bytes, &options) else {
            unreachable!("the repair path should read it");
        };
        assert_eq!(extracted.pages[0].text, "page 3");
        assert!(extracted.warnings.iter().any(|w| w.code == "recovered"));
    }
}
