//! Predefined CMaps (code -> CID, such as `90ms-RKSJ-H` or `GBK-EUC-H`) and the Adobe
//! character collections' CID -> Unicode tables (Adobe-Japan1, -GB1, -CNS1, -Korea1), for
//! composite fonts that name a predefined encoding and carry no ToUnicode map.
//!
//! Both come from Adobe's CMap resources (as Debian's `poppler-data` ships them), turned
//! into compact sections of `data/tables.bin` by `tables_gen.rs`: `usecmap` chains are
//! resolved there, so a vertical (`-V`) map is complete on its own. Vertical maps decode
//! codes like their horizontal twins (the few vertical-form CIDs they differ by map to
//! the same or the vertical-form characters); the layout does not lay text out vertically.

use std::cell::RefCell;
use std::rc::Rc;

use super::cmap::Codespace;
use super::tables::{Reader, Slots, memo, section};

/// The character collections with a CID -> Unicode table, in section order.
pub const ORDERINGS: [&str; 4] = ["Japan1", "GB1", "CNS1", "Korea1"];

/// `usecmap` levels followed; Adobe's maps use one.
const MAX_PARENTS: usize = 4;

/// A predefined encoding CMap.
#[derive(Debug)]
pub struct PredefinedCMap {
    pub codespaces: Vec<Codespace>,
    /// Disjoint `(first code, last code, first CID)` ranges sorted by code.
    ranges: Vec<(u32, u32, u32)>,
    /// The map this one adds to (`usecmap`): a `-V` map's `-H` twin.
    parent: Option<Box<PredefinedCMap>>,
    /// Index into [`ORDERINGS`] of the collection its CIDs belong to.
    pub ordering: usize,
    pub vertical: bool,
    /// Whether the codes are UTF-16 (`Uni*-UCS2-*`, `Uni*-UTF16-*`): their text is the
    /// code itself, and the map holds no code -> CID entries.
    pub unicode_codes: bool,
}

impl PredefinedCMap {
    /// The predefined CMap called `name`, or `None` when the engine does not know it.
    /// Decoded once per thread (per document in the component) and shared, so that a
    /// document naming the same CMap in a thousand fonts decodes it once.
    pub fn load(name: &[u8]) -> Option<Rc<PredefinedCMap>> {
        thread_local! {
            static LOADED: RefCell<foldhash::HashMap<Vec<u8>, Rc<PredefinedCMap>>> =
                RefCell::default();
        }
        LOADED.with(|loaded| {
            if let Some(map) = loaded.borrow().get(name) {
                return Some(Rc::clone(map));
            }
            // Only built-in names are kept, so the cache is bounded by the table.
            let map = Rc::new(Self::load_at(name, 0)?);
            loaded.borrow_mut().insert(name.to_vec(), Rc::clone(&map));
            Some(map)
        })
    }

    fn load_at(name: &[u8], depth: usize) -> Option<PredefinedCMap> {
        let name = std::str::from_utf8(name).ok()?;
        if name.contains('/') || depth > MAX_PARENTS {
            return None;
        }
        Self::decode(&section(&format!("cmap/{name}"))?, depth)
    }

    fn decode(data: &[u8], depth: usize) -> Option<PredefinedCMap> {
        let mut r = Reader::new(data);
        let ordering = usize::from(r.byte()?);
        let vertical = r.byte()? != 0;
        let unicode_codes = r.byte()? != 0;
        let parent_len = usize::from(r.byte()?);
        let parent = match r.bytes(parent_len)? {
            [] => None,
            name => Some(Box::new(Self::load_at(name, depth + 1)?)),
        };
        let mut codespaces = Vec::new();
        for _ in 0..r.byte()? {
            let len = usize::from(r.byte()?);
            if !(1..=4).contains(&len) {
                return None;
            }
            let mut space = Codespace {
                len,
                lo: [0; 4],
                hi: [0; 4],
            };
            space.lo[..len].copy_from_slice(r.bytes(len)?);
            space.hi[..len].copy_from_slice(r.bytes(len)?);
            codespaces.push(space);
        }
        let count = r.varint()?;
        let mut ranges = Vec::with_capacity(count.min(1 << 16) as usize);
        let (mut lo, mut next_cid) = (0u32, 0i64);
        for _ in 0..count {
            lo = lo.checked_add(r.varint()?)?;
            let hi = lo.checked_add(r.varint()?)?;
            let cid = u32::try_from(next_cid + r.signed()?).ok()?;
            ranges.push((lo, hi, cid));
            next_cid = i64::from(cid) + i64::from(hi - lo) + 1;
        }
        if codespaces.is_empty()
            && let Some(p) = &parent
        {
            codespaces.clone_from(&p.codespaces);
        }
        (ordering < ORDERINGS.len()).then_some(PredefinedCMap {
            codespaces,
            ranges,
            parent,
            ordering,
            vertical,
            unicode_codes,
        })
    }

    /// The CID of `code`, if the map has one.
    pub fn cid(&self, code: u32) -> Option<u32> {
        let own = self
            .ranges
            .partition_point(|r| r.0 <= code)
            .checked_sub(1)
            .and_then(|i| self.ranges.get(i))
            .filter(|r| code <= r.1)
            .map(|&(lo, _, cid)| cid + (code - lo));
        own.or_else(|| self.parent.as_ref().and_then(|p| p.cid(code)))
    }
}

/// The ordering index of a `CIDSystemInfo` naming an Adobe collection we have a table for.
pub fn ordering_index(registry: &[u8], ordering: &[u8]) -> Option<usize> {
    if registry != b"Adobe" {
        return None;
    }
    ORDERINGS.iter().position(|o| o.as_bytes() == ordering)
}

/// CID -> Unicode for one character collection.
#[derive(Debug)]
pub struct CidToUnicode {
    /// `(first CID, count, first code point)`: runs of CIDs mapping to consecutive
    /// code points, sorted by CID.
    runs: Vec<(u32, u32, u32)>,
    /// CIDs whose text is more than one code point.
    multi: foldhash::HashMap<u32, Rc<str>>,
}

impl CidToUnicode {
    /// The table of [`ORDERINGS`]`[ordering]`, decoded once per thread (a fresh
    /// instance per document in the component) and shared by every font that needs it:
    /// a Japanese document's fonts all read Adobe-Japan1, which costs millions of
    /// instructions to decode.
    pub fn load(ordering: usize) -> Option<Rc<CidToUnicode>> {
        thread_local! {
            static LOADED: Slots<CidToUnicode, 4> = RefCell::default();
        }
        let name = ORDERINGS.get(ordering)?;
        memo(&LOADED, ordering, || {
            Self::decode(&section(&format!("cid2uni/{name}"))?)
        })
    }

    fn decode(data: &[u8]) -> Option<CidToUnicode> {
        let mut r = Reader::new(data);
        let count = r.varint()?;
        let mut runs = Vec::with_capacity(count.min(1 << 16) as usize);
        let (mut next_cid, mut next_cp) = (0u32, 0i64);
        for _ in 0..count {
            let cid = next_cid.checked_add(r.varint()?)?;
            let len = r.varint()?;
            let cp = u32::try_from(next_cp + r.signed()?).ok()?;
            runs.push((cid, len, cp));
            next_cid = cid.checked_add(len)?;
            next_cp = i64::from(cp) + i64::from(len);
        }
        let mut multi = foldhash::HashMap::default();
        for _ in 0..r.varint()? {
            let cid = r.varint()?;
            let n = r.varint()?;
            let text: String = (0..n)
                .filter_map(|_| r.varint().and_then(char::from_u32))
                .collect();
            multi.insert(cid, Rc::from(text));
        }
        Some(CidToUnicode { runs, multi })
    }

    /// Unicode -> CID, taking the lowest CID of a character drawn by several (the
    /// proportional form before the half-width, full-width and vertical ones), as the
    /// `Uni*` CMaps map them.
    pub fn inverse(&self) -> foldhash::HashMap<u32, u32> {
        let mut out = foldhash::HashMap::default();
        for &(cid, len, cp) in &self.runs {
            for k in 0..len {
                out.entry(cp + k).or_insert(cid + k);
            }
        }
        out
    }

    /// The text of `cid`, if the collection maps it.
    pub fn text(&self, cid: u32) -> Option<Rc<str>> {
        if let Some(t) = self.multi.get(&cid) {
            return Some(Rc::clone(t));
        }
        let idx = self.runs.partition_point(|r| r.0 <= cid);
        let &(first, len, cp) = self.runs.get(idx.checked_sub(1)?)?;
        if cid - first >= len {
            return None;
        }
        let mut buf = [0u8; 4];
        char::from_u32(cp + (cid - first)).map(|c| Rc::from(&*c.encode_utf8(&mut buf)))
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use lopdf::{Dictionary, Object, Stream, dictionary};

    use super::*;
    use crate::testutil::one_page;
    use crate::text::cmap::split_codes;
    use crate::text::extract_page_text;

    /// A non-embedded composite font encoded with `encoding` (a predefined CMap's name or
    /// an embedded CMap), CIDs of Adobe-`ordering`, and no ToUnicode map.
    fn cjk_font(encoding: Object, ordering: &str) -> Dictionary {
        dictionary! {
            "Type" => "Font",
            "Subtype" => "Type0",
            "BaseFont" => "KozMinPro-Regular",
            "Encoding" => encoding,
            "DescendantFonts" => vec![Object::Dictionary(dictionary! {
                "Type" => "Font",
                "Subtype" => "CIDFontType0",
                "BaseFont" => "KozMinPro-Regular",
                "CIDSystemInfo" => dictionary! {
                    "Registry" => Object::string_literal("Adobe"),
                    "Ordering" => Object::string_literal(ordering),
                    "Supplement" => 2,
                },
                "DW" => 1000,
                "W" => vec![1.into(), vec![Object::Integer(500)].into(), 231.into(), 632.into(), 500.into()],
            })],
        }
    }

    /// The text of a one-page document drawing `strings` (hex, one line each) in `font`.
    fn page_text(font: Dictionary, lines: &[&str]) -> String {
        let mut content = String::from("BT /F1 12 Tf 72 700 Td ");
        for line in lines {
            content.push_str(&format!("<{line}> Tj 0 -20 Td "));
        }
        content.push_str("ET");
        let (doc, page) = one_page(content.as_bytes(), font);
        let text = extract_page_text(&doc, page).expect("page");
        assert_eq!(text.unmapped, 0, "{:?}", text.text);
        text.text
    }

    #[test]
    fn predefined_cmaps_without_to_unicode_give_text() {
        let name = |n: &str| Object::Name(n.as_bytes().to_vec());
        // Shift-JIS: "Hello ASCII" in one-byte codes, then "日本語テスト" in two-byte ones.
        let sjis = cjk_font(name("90ms-RKSJ-H"), "Japan1");
        assert_eq!(
            page_text(
                sjis,
                &["48656c6c6f204153434949", "93fa967b8cea836583588367"]
            ),
            "Hello ASCII\n日本語テスト"
        );
        // The vertical map reads the same codes the same way (laid out horizontally).
        let vertical = cjk_font(name("90ms-RKSJ-V"), "Japan1");
        assert_eq!(page_text(vertical, &["93fa967b8cea"]), "日本語");
        // GBK: "中文测试" (simplified Chinese).
        let gbk = cjk_font(name("GBK-EUC-H"), "GB1");
        assert_eq!(page_text(gbk, &["d6d0cec4b2e2cad4"]), "中文测试");
        // Big Five: "臺北" (traditional Chinese).
        let big5 = cjk_font(name("ETenms-B5-H"), "CNS1");
        assert_eq!(page_text(big5, &["bb4fa55f"]), "臺北");
        // EUC-KR: "한국어".
        let korean = cjk_font(name("KSCms-UHC-H"), "Korea1");
        assert_eq!(page_text(korean, &["c7d1b1b9beee"]), "한국어");
        // UTF-16 codes, with a surrogate pair: "𠮷野家".
        let utf16 = cjk_font(name("UniJIS-UTF16-H"), "Japan1");
        assert_eq!(page_text(utf16, &["d842dfb791ce5bb6"]), "\u{20BB7}野家");
    }

    #[test]
    fn identity_encoding_reads_through_the_collection() {
        // Identity-H: the codes are Adobe-Japan1 CIDs. Adobe-Japan1-UCS2 has the ranges
        // <034a> <039c> <3041> and <039d> <03f2> <30a1>: CID 0x34b is "あ", 0x39e is "ア".
        let font = cjk_font(Object::Name(b"Identity-H".to_vec()), "Japan1");
        assert_eq!(page_text(font, &["034b039e"]), "あア");
    }

    #[test]
    fn embedded_cmap_over_a_predefined_one() {
        // An embedded CMap that uses 90ms-RKSJ-H and maps one more code (0xA0) to the CID
        // of "〒" (Shift-JIS 0x81A7); the other codes go through 90ms-RKSJ-H.
        let sjis = PredefinedCMap::load(b"90ms-RKSJ-H").expect("90ms-RKSJ-H");
        let postal = sjis.cid(0x81a7).expect("〒");
        let cmap = format!(
            "/CIDInit /ProcSet findresource begin 12 dict begin begincmap \
             /90ms-RKSJ-H usecmap 1 begincidchar <a0> {postal} endcidchar \
             endcmap CMapName currentdict /CMap defineresource pop end end"
        );
        let font = cjk_font(
            Object::Stream(Stream::new(dictionary! {}, cmap.into_bytes())),
            "Japan1",
        );
        assert_eq!(page_text(font, &["a093fa"]), "〒日");
    }

    #[test]
    fn shift_jis_codes_become_japanese_text() {
        let map = PredefinedCMap::load(b"90ms-RKSJ-H").expect("90ms-RKSJ-H is built in");
        assert_eq!(ORDERINGS[map.ordering], "Japan1");
        assert!(!map.vertical);
        let table = CidToUnicode::load(map.ordering).expect("Adobe-Japan1 table");
        // "日本語テスト" in Shift-JIS, then ASCII "A" (one byte) and half-width katakana "ｱ".
        let bytes = b"\x93\xfa\x96\x7b\x8c\xea\x83\x65\x83\x58\x83\x67A\xb1";
        let mut codes = Vec::new();
        split_codes(&map.codespaces, bytes, &mut codes);
        let text: String = codes
            .iter()
            .map(|&(code, _)| {
                let cid = map.cid(code).expect("mapped code");
                table.text(cid).expect("mapped CID").to_string()
            })
            .collect();
        assert_eq!(text, "日本語テストAｱ");
    }

    #[test]
    fn vertical_and_chinese_maps() {
        let v = PredefinedCMap::load(b"90ms-RKSJ-V").expect("90ms-RKSJ-V");
        let h = PredefinedCMap::load(b"90ms-RKSJ-H").expect("90ms-RKSJ-H");
        assert!(v.vertical);
        // The vertical map differs only in vertical-form CIDs; a kanji is the same CID.
        assert_eq!(v.cid(0x93fa), h.cid(0x93fa));
        // "、" has a vertical form of its own.
        assert_ne!(v.cid(0x8141), h.cid(0x8141));
        let gbk = PredefinedCMap::load(b"GBK-EUC-H").expect("GBK-EUC-H");
        let gb1 = CidToUnicode::load(gbk.ordering).expect("Adobe-GB1");
        // "中文" in GBK.
        let text: String = [0xd6d0, 0xcec4]
            .iter()
            .filter_map(|&c| gbk.cid(c).and_then(|cid| gb1.text(cid)))
            .map(|t| t.to_string())
            .collect();
        assert_eq!(text, "中文");
        assert!(PredefinedCMap::load(b"No-Such-CMap").is_none());
        assert!(PredefinedCMap::load(b"../../etc").is_none());
    }

    #[test]
    fn collections_from_cid_system_info() {
        assert_eq!(ordering_index(b"Adobe", b"Korea1"), Some(3));
        assert_eq!(ordering_index(b"Adobe", b"Identity"), None);
        assert_eq!(ordering_index(b"Other", b"Japan1"), None);
        let korea = CidToUnicode::load(3).expect("Adobe-Korea1");
        // CID 1 is the space in every Adobe collection.
        assert_eq!(korea.text(1).as_deref(), Some(" "));
    }

    #[test]
    fn truncated_sections_decode_to_nothing() {
        let data = section("cmap/90ms-RKSJ-H").expect("section");
        for cut in [0, 1, 3, data.len() / 2] {
            assert!(
                PredefinedCMap::decode(&data[..cut], 0).is_none(),
                "cut at {cut}"
            );
        }
        let data = section("cid2uni/GB1").expect("section");
        assert!(CidToUnicode::decode(&data[..data.len() / 3]).is_none());
    }
}
