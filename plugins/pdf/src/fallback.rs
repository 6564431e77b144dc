//! pdf-extract as a guarded second engine for single pages.
//!
//! Our own interpreter (`crate::text`) reads every page first. When it cannot read a page
//! or leaves many glyphs without Unicode, `extract.rs` asks this module for pdf-extract's
//! reading of the same page; pdf-extract knows a few font sources ours does not (glyph
//! names in embedded CFF charsets, for one), and its text is used only when it is more
//! plausible (`prefer_fallback`).
//!
//! pdf-extract is not written for hostile input, so it never runs unguarded:
//! - every call is inside [`conductor_plugin_sdk::catch_panic`] (it `unwrap`s document
//!   data in hundreds of places); a panic becomes [`Fallback::Panicked`];
//! - a preflight ([`preflight`]) first walks what pdf-extract will walk and refuses the page
//!   where pdf-extract would recurse without end (a `/Parent` loop, a form XObject that
//!   draws itself: stack overflows that no panic guard catches) or decode more than a budget
//!   (it decompresses, unbounded, every XObject a page draws, images included, and every
//!   embedded font program; it parses content into a whole list of operations up front);
//! - its output device stops it after [`MAX_GLYPHS`] glyphs.
//!
//! Its glyphs are laid out by our own `text::layout`, so word breaks and reading order are
//! the same as the first engine's; only the glyph-to-Unicode mapping differs.

use std::collections::{HashMap, HashSet};

use lopdf::{Dictionary, Document, Object, ObjectId, Stream};
use pdf_extract::{MediaBox, OutputDev, OutputError, Transform};

use crate::quality::{TextStats, assess};
use crate::text::evidence::is_bad;
use crate::text::layout::{RawGlyph, layout};
use crate::text::{page_box, xobject_names};

/// Glyphs collected before pdf-extract is stopped (the first engine's limit too).
const MAX_GLYPHS: usize = 1_000_000;
/// Bytes of decoded streams pdf-extract may decode and parse for one page, counting a form
/// or image once per time it is drawn. Content is parsed into a full operation list (tens
/// of bytes per operand), so this also bounds its memory.
const MAX_DECODED_BYTES: usize = 16 << 20;
/// `Do` operations pdf-extract may follow for one page, nested ones included.
const MAX_INVOCATIONS: usize = 4_096;
/// Form nesting pdf-extract may recurse into (each level is a native stack frame chain).
const MAX_FORM_DEPTH: usize = 8;
/// `/Parent` levels above a page (pdf-extract follows them recursively).
const MAX_PARENTS: usize = 64;
/// Pages visited by lopdf's page-tree walk, summed over a document's fallback calls:
/// pdf-extract walks the whole tree on every call, so many calls on a huge document
/// would be quadratic.
const MAX_TREE_WORK: usize = 5_000_000;

/// pdf-extract's reading of one page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FallbackText {
    /// Reading-order text, laid out like the first engine's.
    pub text: String,
    /// Glyphs pdf-extract drew.
    pub glyphs: u32,
    /// Glyphs it gave no usable Unicode (empty, replacement, private-use, control).
    pub unmapped: u32,
}

/// What became of a fallback attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fallback {
    Text(FallbackText),
    /// Not attempted: the preflight or a budget refused the page.
    Skipped(String),
    /// pdf-extract returned an error.
    Failed(String),
    /// pdf-extract panicked; the message and location of the panic.
    Panicked(String),
}

/// Per-document state: lopdf's page numbering (which pdf-extract addresses pages by) and
/// the work spent so far.
#[derive(Default)]
pub struct FallbackEngine {
    numbers: Option<HashMap<ObjectId, u32>>,
    tree_work: usize,
    /// Inflated sizes the preflight measured, kept for the document: pages share their
    /// fonts, and measuring a font program costs as much as inflating it (a glyph-chart
    /// document spent a tenth of its time re-measuring the same fonts page after page).
    sizes: Sizes,
}

/// Exact inflated sizes of Flate streams, by where their data lives (see
/// [`crate::streams`]: streams do not move while their document is alive).
type Sizes = HashMap<(usize, usize), usize>;

impl FallbackEngine {
    /// Runs pdf-extract on the page `page_id`, guarded. Never panics.
    pub fn extract(&mut self, doc: &Document, page_id: ObjectId) -> Fallback {
        let numbers = self.numbers.get_or_insert_with(|| {
            conductor_plugin_sdk::catch_panic(|| {
                doc.page_iter().zip(1u32..).collect::<HashMap<_, _>>()
            })
            .unwrap_or_default()
        });
        let Some(&number) = numbers.get(&page_id) else {
            return Fallback::Skipped("the page is not in lopdf's page list".into());
        };
        let pages = numbers.len();
        if self.tree_work.saturating_add(pages) > MAX_TREE_WORK {
            return Fallback::Skipped("the document's fallback budget is spent".into());
        }
        self.tree_work += pages;
        if let Err(why) = preflight(doc, page_id, &mut self.sizes) {
            return Fallback::Skipped(why);
        }
        let box_ = match doc.get_dictionary(page_id) {
            Ok(page) => page_box(doc, page),
            Err(e) => return Fallback::Skipped(format!("page object: {e}")),
        };
        let mut out = Collector::default();
        match conductor_plugin_sdk::catch_panic(|| {
            pdf_extract::output_doc_page(doc, &mut out, number)
        }) {
            Err(panic) => Fallback::Panicked(short_location(&panic)),
            // Stopping at the glyph limit is our own doing; what was collected stands.
            Ok(Err(_)) if out.glyphs.len() >= MAX_GLYPHS => Fallback::Text(out.finish(box_)),
            Ok(Err(e)) => Fallback::Failed(e.to_string()),
            Ok(Ok(())) => Fallback::Text(out.finish(box_)),
        }
    }
}

/// Shortens a panic location inside a dependency's registry path (which names the
/// build machine's directories) to the crate and file: `pdf-extract-0.12.1/src/lib.rs:986`.
fn short_location(panic: &str) -> String {
    match (panic.rfind(" at "), panic.find("pdf-extract-")) {
        (Some(at), Some(krate)) if krate > at => format!("{} at {}", &panic[..at], &panic[krate..]),
        _ => panic.to_string(),
    }
}

/// Glyph counts and text of one reading of a page, for [`prefer_fallback`].
#[derive(Debug, Clone, Copy)]
pub struct Reading<'a> {
    pub text: &'a str,
    pub glyphs: u32,
    pub unmapped: u32,
}

impl Reading<'_> {
    /// Judged garbled by the same test the page verdict uses (painting is left out: this
    /// compares text layers, not whether the page is a scan), or by its shape.
    fn garbled(&self) -> bool {
        assess(self.text, self.glyphs, self.unmapped, Default::default).is_some()
            || (self.glyphs > 0 && TextStats::of(self.text).looks_garbled())
    }
}

/// Whether pdf-extract's reading `theirs` should replace ours (`None`: ours failed).
///
/// It must be plausible on its own (not garbled by the page-verdict test), leave fewer
/// glyphs unmapped than ours, carry more letters, and have no larger a share of bad
/// characters (replacement, private-use, control). Anything less keeps our text, so a
/// fallback can never hide a garbled page behind other garbage.
pub fn prefer_fallback(ours: Option<&Reading<'_>>, theirs: &Reading<'_>) -> bool {
    if theirs.glyphs == 0 || theirs.garbled() {
        return false;
    }
    let t = TextStats::of(theirs.text);
    let Some(ours) = ours else {
        return t.letters > 0;
    };
    let o = TextStats::of(ours.text);
    // bad/chars compared without division: t.bad / t.chars <= o.bad / o.chars.
    let bad_ok = u64::from(t.bad) * u64::from(o.chars.max(1))
        <= u64::from(o.bad) * u64::from(t.chars.max(1));
    theirs.unmapped < ours.unmapped && t.letters > o.letters && bad_ok
}

/// An `OutputDev` collecting glyphs in the first engine's form.
#[derive(Default)]
struct Collector {
    glyphs: Vec<RawGlyph>,
    count: u32,
    unmapped: u32,
}

impl Collector {
    fn finish(self, page_box: (f64, f64, f64, f64)) -> FallbackText {
        FallbackText {
            text: layout(&self.glyphs, page_box),
            glyphs: self.count,
            unmapped: self.unmapped,
        }
    }
}

impl OutputDev for Collector {
    fn begin_page(
        &mut self,
        _: u32,
        _: &MediaBox,
        _: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        Ok(())
    }
    fn end_page(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        _spacing: f64,
        font_size: f64,
        text: &str,
    ) -> Result<(), OutputError> {
        if self.glyphs.len() >= MAX_GLYPHS {
            return Err(OutputError::FormatError(std::fmt::Error));
        }
        self.count = self.count.saturating_add(1);
        let mapped = text.chars().any(|c| !is_bad(c));
        if !mapped {
            self.unmapped = self.unmapped.saturating_add(1);
        }
        // pdf-extract's trm is Tsm x Tm x CTM (horizontal scaling and rise included, font
        // size not), row-major with the translation in m31/m32.
        let origin = (trm.m31, trm.m32);
        let advance = width * font_size;
        let end = (origin.0 + advance * trm.m11, origin.1 + advance * trm.m12);
        let up = (font_size * trm.m21, font_size * trm.m22);
        let all = [origin.0, origin.1, end.0, end.1, up.0, up.1];
        if all.iter().all(|v| v.is_finite()) {
            self.glyphs.push(RawGlyph {
                text: mapped.then(|| std::rc::Rc::from(text)),
                origin,
                end,
                up,
            });
        }
        Ok(())
    }
    fn begin_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}

/// pdf-extract dereferences one level only (its `maybe_deref`).
fn deref<'a>(doc: &'a Document, o: &'a Object) -> Option<&'a Object> {
    match o {
        Object::Reference(id) => doc.get_object(*id).ok(),
        _ => Some(o),
    }
}

fn dict_of<'a>(doc: &'a Document, d: &'a Dictionary, key: &[u8]) -> Option<&'a Dictionary> {
    d.get(key)
        .ok()
        .and_then(|o| deref(doc, o))
        .and_then(|o| o.as_dict().ok())
}

/// Checks that pdf-extract's walk of the page is finite and within budget, following the
/// same lookups it makes. Where pdf-extract would panic on a lookup (a missing resource),
/// the walk stops there: the panic is caught, and nothing after it runs.
///
/// # Errors
/// Why the page is refused.
fn preflight(doc: &Document, page_id: ObjectId, sizes: &mut Sizes) -> Result<(), String> {
    let page = doc
        .get_dictionary(page_id)
        .map_err(|e| format!("page object: {e}"))?;
    // Its `get_inherited` recurses up `/Parent` references until it finds the key.
    let mut chain = vec![page];
    let mut seen = HashSet::from([page_id]);
    let mut node = page;
    while let Ok(parent) = node.get(b"Parent").and_then(Object::as_reference) {
        if !seen.insert(parent) || seen.len() > MAX_PARENTS {
            return Err("the page's /Parent chain loops or is too deep".into());
        }
        match doc.get_dictionary(parent) {
            Ok(d) => {
                chain.push(d);
                node = d;
            }
            Err(_) => break,
        }
    }
    let empty = Dictionary::new();
    let resources = chain
        .iter()
        .find_map(|d| dict_of(doc, d, b"Resources"))
        .unwrap_or(&empty);
    let content =
        crate::streams::page_content(doc, page_id).map_err(|e| format!("page content: {e}"))?;
    let mut walk = Walk {
        doc,
        bytes: 0,
        invocations: 0,
        stack: Vec::new(),
        names: HashMap::new(),
        fonts_seen: HashSet::new(),
        sizes: std::mem::take(sizes),
    };
    let result = walk.account(content.len()).and_then(|()| {
        let names = xobject_names(&content);
        walk.content(&names, resources)
    });
    *sizes = walk.sizes;
    result
}

struct Walk<'a> {
    doc: &'a Document,
    bytes: usize,
    invocations: usize,
    /// Forms being drawn, innermost last.
    stack: Vec<ObjectId>,
    /// Decoded size and `Do` names of each stream met, decoded once.
    names: HashMap<ObjectId, (usize, Vec<Vec<u8>>)>,
    fonts_seen: HashSet<ObjectId>,
    /// The document's measured sizes, lent to this page's walk.
    sizes: Sizes,
}

impl<'a> Walk<'a> {
    fn account(&mut self, n: usize) -> Result<(), String> {
        self.bytes = self.bytes.saturating_add(n);
        if self.bytes > MAX_DECODED_BYTES {
            return Err(format!(
                "pdf-extract would decode more than {MAX_DECODED_BYTES} bytes for this page"
            ));
        }
        Ok(())
    }

    fn remaining(&self) -> usize {
        MAX_DECODED_BYTES.saturating_sub(self.bytes)
    }

    /// One content stream (page or form) with its resources.
    fn content(&mut self, names: &[Vec<u8>], resources: &'a Dictionary) -> Result<(), String> {
        self.fonts(resources)?;
        if names.is_empty() {
            return Ok(());
        }
        let Some(xobjects) = dict_of(self.doc, resources, b"XObject") else {
            return Ok(());
        };
        for name in names {
            self.invocations += 1;
            if self.invocations > MAX_INVOCATIONS {
                return Err(format!(
                    "the page draws more than {MAX_INVOCATIONS} XObjects"
                ));
            }
            let Ok(entry) = xobjects.get(name) else {
                return Ok(());
            };
            let Some(Object::Stream(stream)) = deref(self.doc, entry) else {
                return Ok(());
            };
            // pdf-extract draws any stream as content, images included.
            let id = entry.as_reference().ok();
            if let Some(id) = id
                && self.stack.contains(&id)
            {
                return Err("a form XObject draws itself".into());
            }
            if self.stack.len() >= MAX_FORM_DEPTH {
                return Err(format!("form XObjects nest deeper than {MAX_FORM_DEPTH}"));
            }
            let (size, inner) = match id.and_then(|id| self.names.get(&id)) {
                Some((size, inner)) => (*size, inner.clone()),
                None => {
                    let size = decoded_size(stream, self.remaining(), &mut self.sizes)?;
                    let data =
                        crate::streams::decode(stream).unwrap_or_else(|_| stream.content.clone());
                    let inner = xobject_names(&data);
                    if let Some(id) = id {
                        self.names.insert(id, (size, inner.clone()));
                    }
                    (size, inner)
                }
            };
            self.account(size)?;
            let child = dict_of(self.doc, &stream.dict, b"Resources").unwrap_or(resources);
            self.stack.push(id.unwrap_or((0, 0)));
            let r = self.content(&inner, child);
            self.stack.pop();
            r?;
        }
        Ok(())
    }

    /// Streams pdf-extract decodes for the fonts of `resources`: ToUnicode, an encoding
    /// CMap, and the embedded font programs. Each is counted once.
    fn fonts(&mut self, resources: &'a Dictionary) -> Result<(), String> {
        let doc = self.doc;
        let Some(fonts) = dict_of(doc, resources, b"Font") else {
            return Ok(());
        };
        for (_, entry) in fonts.iter() {
            let Some(Object::Dictionary(font)) = deref(doc, entry) else {
                continue;
            };
            let mut streams: Vec<&Object> = Vec::new();
            for key in [b"ToUnicode".as_slice(), b"Encoding"] {
                if let Ok(o) = font.get(key) {
                    streams.push(o);
                }
            }
            if let Some(descriptor) = dict_of(doc, font, b"FontDescriptor") {
                for key in [b"FontFile".as_slice(), b"FontFile2", b"FontFile3"] {
                    if let Ok(o) = descriptor.get(key) {
                        streams.push(o);
                    }
                }
            }
            for o in streams {
                let Some(Object::Stream(stream)) = deref(doc, o) else {
                    continue;
                };
                if let Ok(id) = o.as_reference()
                    && !self.fonts_seen.insert(id)
                {
                    continue;
                }
                let size = decoded_size(stream, self.remaining(), &mut self.sizes)?;
                self.account(size)?;
            }
        }
        Ok(())
    }
}

/// What lopdf's `decompressed_content` (as pdf-extract calls it) would allocate for
/// `stream`, measured without allocating more than `limit` bytes.
///
/// # Errors
/// When the size exceeds `limit` or cannot be bounded (LZW, or compression applied twice).
fn decoded_size(stream: &Stream, limit: usize, sizes: &mut Sizes) -> Result<usize, String> {
    let too_big = || format!("a stream would decode to more than {limit} bytes");
    let filters = stream.filters().unwrap_or_default();
    let compressing = |f: &&[u8]| matches!(*f, b"FlateDecode" | b"LZWDecode");
    let compressed_again = filters.iter().skip(1).any(compressing);
    let size = match filters.first().copied() {
        None => stream.content.len(),
        Some(b"FlateDecode") => {
            if compressed_again {
                return Err("a stream is compressed twice".into());
            }
            let key = (stream.content.as_ptr() as usize, stream.content.len());
            match sizes.get(&key) {
                // An exact size answers any limit as a fresh count would: itself, or
                // `limit + 1` where the count would have stopped.
                Some(&n) => n.min(limit.saturating_add(1)),
                None => {
                    let (n, exact) = inflated_count(&stream.content, limit);
                    if exact {
                        sizes.insert(key, n);
                    }
                    n
                }
            }
        }
        Some(b"ASCII85Decode") if !compressed_again => stream.content.len(),
        Some(b"LZWDecode" | b"ASCII85Decode") => {
            return Err("a stream uses LZW, whose output cannot be bounded cheaply".into());
        }
        // lopdf refuses any other first filter, and pdf-extract then uses the raw bytes.
        Some(_) => stream.content.len(),
    };
    if size > limit {
        return Err(too_big());
    }
    Ok(size)
}

/// Bytes that zlib (or, failing that, raw deflate after the 2-byte header, as lopdf
/// retries) inflates `input` to, counting at most `limit + 1`.
#[cfg(test)]
fn inflated_size(input: &[u8], limit: usize) -> usize {
    inflated_count(input, limit).0
}

/// [`inflated_size`], and whether it is the stream's exact size: zlib inflated it whole,
/// without an error and below the cap. Only such a size is the same for every limit (a
/// stream that fails part way counts 0 when the failure is reached and the cap when not).
fn inflated_count(input: &[u8], limit: usize) -> (usize, bool) {
    let cap = limit.saturating_add(1);
    let (mut n, ok) = match crate::streams::inflated_len(input, cap, true) {
        Some(n) => (n, true),
        None => (0, false),
    };
    if !ok && input.len() > 2 {
        n = crate::streams::inflated_len(&input[2..], cap, false).unwrap_or(0);
    }
    (n, ok && n < cap)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lopdf::dictionary;

    fn reading(text: &str, glyphs: u32, unmapped: u32) -> Reading<'_> {
        Reading {
            text,
            glyphs,
            unmapped,
        }
    }

    #[test]
    fn fallback_wins_only_when_measurably_better() {
        let good = "The council approved the budget for the fiscal year";
        let n = u32::try_from(good.chars().filter(|c| !c.is_whitespace()).count()).unwrap_or(0);
        // Ours mapped nothing; theirs reads as text: theirs wins.
        assert!(prefer_fallback(
            Some(&reading("", n, n)),
            &reading(good, n, 0)
        ));
        // Ours failed outright: any plausible text wins.
        assert!(prefer_fallback(None, &reading(good, n, 0)));
        // Theirs is no better mapped than ours: ours stays.
        assert!(!prefer_fallback(
            Some(&reading("The council", n, 3)),
            &reading(good, n, 3)
        ));
        // Theirs is garbage (shifted glyph ids, no vowels): ours stays, even when ours
        // mapped nothing at all, so the page is still flagged garbled.
        let shifted = "3HQČåQtSURVWĜHGN\\QD~þWHFK 7KH FRXQFLO DSSURYHG";
        assert!(!prefer_fallback(
            Some(&reading("", 40, 40)),
            &reading(shifted, 40, 0)
        ));
        // Theirs carries private-use characters: not plausible.
        let pua = "\u{E001}\u{E002}\u{E003} \u{E004}\u{E005}\u{E006} ok";
        assert!(!prefer_fallback(
            Some(&reading("", 8, 8)),
            &reading(pua, 8, 0)
        ));
        // Theirs left most glyphs unmapped too.
        assert!(!prefer_fallback(
            Some(&reading("", n, n)),
            &reading("The", n, n - 3)
        ));
        // No glyphs, no text: nothing to prefer.
        assert!(!prefer_fallback(None, &reading("", 0, 0)));
    }

    #[test]
    fn panic_location_is_shortened() {
        assert_eq!(
            short_location("boom at /root/.cargo/registry/src/x/pdf-extract-0.12.1/src/lib.rs:9"),
            "boom at pdf-extract-0.12.1/src/lib.rs:9"
        );
        assert_eq!(short_location("boom at src/x.rs:1"), "boom at src/x.rs:1");
    }

    #[test]
    fn inflated_size_is_bounded() {
        use std::io::Write;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 4 << 20];
        assert!(z.write_all(&zeros).is_ok());
        let bomb = z.finish().unwrap_or_default();
        assert!(bomb.len() < 64 << 10);
        assert_eq!(inflated_size(&bomb, 1000), 1001);
        assert_eq!(inflated_size(&bomb, usize::MAX - 1), 4 << 20);
        let stream = Stream::new(dictionary! { "Filter" => "FlateDecode" }, bomb);
        assert!(decoded_size(&stream, 1 << 20, &mut Sizes::new()).is_err());
        assert_eq!(
            decoded_size(&stream, 8 << 20, &mut Sizes::new()),
            Ok(4 << 20)
        );
        // Measured once for the document, it answers later pages' limits the same way.
        let mut sizes = Sizes::new();
        assert!(decoded_size(&stream, 1 << 20, &mut sizes).is_err());
        assert!(
            sizes.is_empty(),
            "a count stopped at the limit is not a size"
        );
        assert_eq!(decoded_size(&stream, 8 << 20, &mut sizes), Ok(4 << 20));
        assert_eq!(sizes.len(), 1);
        assert!(decoded_size(&stream, 1 << 20, &mut sizes).is_err());
        assert_eq!(decoded_size(&stream, 4 << 20, &mut sizes), Ok(4 << 20));
        assert!(decoded_size(&stream, (4 << 20) - 1, &mut sizes).is_err());
        // A stream that fails part way is measured afresh each time.
        let mut broken = stream.content.clone();
        let len = broken.len();
        broken[len - 2] ^= 0xff;
        assert!(!inflated_count(&broken, 8 << 20).1);
    }

    /// A page whose form XObject draws itself: pdf-extract would recurse until the stack
    /// overflows, which no panic guard catches. The preflight refuses it.
    #[test]
    fn self_drawing_form_is_refused() {
        let mut doc = Document::with_version("1.5");
        let form_id = doc.new_object_id();
        let resources = dictionary! { "XObject" => dictionary! { "X" => form_id } };
        doc.objects.insert(
            form_id,
            Object::Stream(Stream::new(
                dictionary! { "Type" => "XObject", "Subtype" => "Form", "Resources" => resources.clone() },
                b"/X Do".to_vec(),
            )),
        );
        let content = doc.add_object(Stream::new(dictionary! {}, b"/X Do".to_vec()));
        let pages_id = doc.new_object_id();
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content,
            "Resources" => resources,
        });
        doc.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! {
                "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1,
                "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
            }),
        );
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        doc.trailer.set("Root", catalog);
        assert!(
            preflight(&doc, page_id, &mut Sizes::new()).is_err_and(|e| e.contains("draws itself"))
        );
        assert!(matches!(
            FallbackEngine::default().extract(&doc, page_id),
            Fallback::Skipped(_)
        ));
    }

    /// A `/Parent` loop above the page: pdf-extract's inherited lookups would recurse
    /// forever (the page has no MediaBox of its own).
    #[test]
    fn parent_loop_is_refused() {
        let mut doc = Document::with_version("1.5");
        let a = doc.new_object_id();
        let b = doc.new_object_id();
        doc.objects.insert(
            a,
            Object::Dictionary(dictionary! { "Type" => "Pages", "Parent" => b }),
        );
        doc.objects.insert(
            b,
            Object::Dictionary(dictionary! { "Type" => "Pages", "Parent" => a }),
        );
        let page = doc.add_object(dictionary! { "Type" => "Page", "Parent" => a });
        assert!(preflight(&doc, page, &mut Sizes::new()).is_err_and(|e| e.contains("Parent")));
    }
}
