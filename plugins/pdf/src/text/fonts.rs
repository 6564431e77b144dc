//! Fonts as far as text extraction needs them: how a string splits into codes, each code's
//! advance width, and its Unicode text.

use std::rc::Rc;

use lopdf::{Dictionary, Document, Object};

use super::cid::{CidToUnicode, PredefinedCMap, ordering_index};
use super::cmap::{CMap, Codespace, split_codes};
use super::encoding::{CodeTable, Names};
use super::std14::StdWidths;

/// Widths entries kept for a CID font (`/W`), so a hostile array cannot allocate without bound.
const MAX_CID_WIDTHS: usize = 100_000;

/// Follows references (a bounded number of times: reference chains can loop).
pub fn resolve<'a>(doc: &'a Document, mut obj: &'a Object) -> &'a Object {
    for _ in 0..16 {
        match obj {
            Object::Reference(id) => match doc.get_object(*id) {
                Ok(o) => obj = o,
                Err(_) => return &Object::Null,
            },
            _ => return obj,
        }
    }
    &Object::Null
}

pub fn dict_get<'a>(doc: &'a Document, dict: &'a Dictionary, key: &[u8]) -> &'a Object {
    dict.get(key).map_or(&Object::Null, |o| resolve(doc, o))
}

pub fn as_f64(obj: &Object) -> Option<f64> {
    match *obj {
        Object::Integer(i) => {
            #[allow(clippy::cast_precision_loss)]
            let v = i as f64;
            Some(v)
        }
        Object::Real(r) => Some(f64::from(r)),
        _ => None,
    }
}

fn stream_bytes(doc: &Document, obj: &Object) -> Option<Vec<u8>> {
    match resolve(doc, obj) {
        Object::Stream(s) => crate::streams::plain_content(s)
            .ok()
            .or_else(|| Some(s.content.clone())),
        _ => None,
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Simple,
    Type3,
    Composite,
}

/// How a composite font's codes become CIDs and text.
enum CidEncoding {
    /// Identity-H/V: two-byte codes, CID = code.
    Identity,
    /// Predefined `Uni*-UCS2-*` / `Uni*-UTF16-*`: the code is UTF-16.
    Ucs2,
    /// Any other predefined CMap (`90ms-RKSJ-H`, `GBK-EUC-H`, ...).
    Predefined(Rc<PredefinedCMap>),
    /// An embedded CMap, over the predefined one it names with `usecmap` (if the engine
    /// knows it), or an empty map for a predefined name the engine does not know.
    Map(CMap, Option<Rc<PredefinedCMap>>),
}

pub struct Font {
    pub name: String,
    kind: Kind,
    codespaces: Vec<Codespace>,
    cid_encoding: CidEncoding,
    to_unicode: Option<CMap>,
    /// Index into `cid::ORDERINGS` of the Adobe collection the CIDs belong to.
    ordering: Option<usize>,
    /// The collection's CID -> Unicode table, for a composite font without ToUnicode.
    cid_text: Option<Rc<CidToUnicode>>,
    /// Unicode -> CID of the collection, for the widths of a `Uni*` encoded font.
    unicode_cids: foldhash::HashMap<u32, u32>,
    /// Unicode of one-byte codes from the font's encoding (simple fonts), shared with
    /// every glyph drawn from it.
    simple_text: Vec<Option<Rc<str>>>,
    /// One-byte codes that the font's encoding names with a glyph name no list resolves
    /// (`born`, `intersectmultidisplay`): the names are all there is, so no other engine
    /// that reads names can map them either.
    unknown_names: [u64; 4],
    /// Advance widths of one-byte codes in text space per unit of font size.
    simple_widths: Vec<f64>,
    cid_widths: foldhash::HashMap<u32, f64>,
    default_width: f64,
    pub vertical: bool,
    /// Height of the em square in text space per unit of font size (1 except in odd Type3 fonts).
    pub em: f64,
    /// Problems found while loading, reported once per page.
    pub warnings: Vec<String>,
}

impl Font {
    /// Loads a font dictionary. Never fails: missing parts degrade to defaults and warnings.
    pub fn load(doc: &Document, dict: &Dictionary, names: &mut Names) -> Font {
        let subtype = dict_get(doc, dict, b"Subtype").as_name().unwrap_or(b"");
        let base_font = dict_get(doc, dict, b"BaseFont")
            .as_name()
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .unwrap_or_default();
        let kind = match subtype {
            b"Type0" => Kind::Composite,
            b"Type3" => Kind::Type3,
            _ => Kind::Simple,
        };
        let mut font = Font {
            name: base_font,
            kind,
            codespaces: Vec::new(),
            cid_encoding: CidEncoding::Identity,
            to_unicode: None,
            ordering: None,
            cid_text: None,
            unicode_cids: foldhash::HashMap::default(),
            simple_text: Vec::new(),
            unknown_names: [0; 4],
            simple_widths: Vec::new(),
            cid_widths: foldhash::HashMap::default(),
            default_width: 1.0,
            vertical: false,
            em: 1.0,
            warnings: Vec::new(),
        };
        font.load_to_unicode(doc, dict);
        match kind {
            Kind::Composite => font.load_composite(doc, dict),
            Kind::Simple | Kind::Type3 => font.load_simple(doc, dict, names),
        }
        if kind != Kind::Composite
            && let Some(map) = font.to_unicode.take()
        {
            // A simple font's codes are single bytes: fold the ToUnicode map into the
            // 256-entry table once, instead of a map lookup (or, for a range, a fresh
            // string) per glyph. `text` then reads the table alone.
            for (code, slot) in (0u32..).zip(font.simple_text.iter_mut()) {
                if let Some(t) = map.unicode(code) {
                    *slot = Some(t);
                }
            }
        }
        font
    }

    fn load_to_unicode(&mut self, doc: &Document, dict: &Dictionary) {
        let Some(obj) = dict.get(b"ToUnicode").ok() else {
            return;
        };
        match resolve(doc, obj) {
            Object::Stream(_) => {
                if let Some(data) = stream_bytes(doc, obj) {
                    let cmap = CMap::parse(&data);
                    if cmap.has_unicode() {
                        self.to_unicode = Some(cmap);
                    } else {
                        self.warnings
                            .push(format!("font {}: ToUnicode CMap maps nothing", self.name));
                    }
                }
            }
            Object::Name(n) if n.starts_with(b"Identity") => {
                self.to_unicode = Some(CMap::parse(
                    b"1 beginbfrange <0000> <FFFF> <0000> endbfrange",
                ));
            }
            _ => {}
        }
    }

    fn load_composite(&mut self, doc: &Document, dict: &Dictionary) {
        self.default_width = 1.0;
        match dict_get(doc, dict, b"Encoding") {
            Object::Name(n) => self.predefined_cmap(n),
            Object::Stream(_) => {
                let cmap = dict
                    .get(b"Encoding")
                    .ok()
                    .and_then(|o| stream_bytes(doc, o))
                    .map(|d| CMap::parse(&d))
                    .unwrap_or_default();
                if let Some(used) = cmap.use_cmap.clone() {
                    self.predefined_cmap(&used);
                }
                // Vertical when either says so (a `-V` map used without `/WMode 1`).
                self.vertical |= cmap.vertical;
                if !cmap.codespaces.is_empty() {
                    self.codespaces.clone_from(&cmap.codespaces);
                }
                let used = match std::mem::replace(&mut self.cid_encoding, CidEncoding::Identity) {
                    CidEncoding::Predefined(map) => Some(map),
                    _ => None,
                };
                self.cid_encoding = CidEncoding::Map(cmap, used);
            }
            _ => {
                self.warnings.push(format!(
                    "font {}: composite font without encoding",
                    self.name
                ));
                self.predefined_cmap(b"Identity-H");
            }
        }
        let descendant = match dict_get(doc, dict, b"DescendantFonts") {
            Object::Array(a) => a.first().map(|o| resolve(doc, o)),
            d @ Object::Dictionary(_) => Some(d),
            _ => None,
        };
        let Some(Object::Dictionary(cid_font)) = descendant else {
            self.warnings
                .push(format!("font {}: no descendant font", self.name));
            return;
        };
        if let Some(dw) = as_f64(dict_get(doc, cid_font, b"DW")) {
            self.default_width = dw / 1000.0;
        }
        if let Object::Array(w) = dict_get(doc, cid_font, b"W") {
            self.load_cid_widths(doc, w);
        }
        self.load_cid_text(doc, cid_font);
    }

    /// Without a ToUnicode map, a CID of an Adobe collection (named by the descendant's
    /// `CIDSystemInfo`, or else by the predefined CMap) reads through the collection's
    /// CID -> Unicode table, as in pdf.js and poppler. A `Uni*` encoding needs no table
    /// for its text, only for its widths.
    fn load_cid_text(&mut self, doc: &Document, cid_font: &Dictionary) {
        if let Object::Dictionary(info) = dict_get(doc, cid_font, b"CIDSystemInfo") {
            let field = |key: &[u8]| match dict_get(doc, info, key) {
                Object::String(s, _) => s.clone(),
                Object::Name(n) => n.clone(),
                _ => Vec::new(),
            };
            if let Some(i) = ordering_index(&field(b"Registry"), &field(b"Ordering")) {
                self.ordering = Some(i);
            }
        }
        let Some(ordering) = self.ordering else {
            return;
        };
        if matches!(self.cid_encoding, CidEncoding::Ucs2) {
            if !self.cid_widths.is_empty()
                && let Some(table) = CidToUnicode::load(ordering)
            {
                self.unicode_cids = table.inverse();
            }
        } else if self.to_unicode.is_none() {
            self.cid_text = CidToUnicode::load(ordering);
        }
    }

    fn load_cid_widths(&mut self, doc: &Document, w: &[Object]) {
        let mut i = 0;
        while i < w.len() && self.cid_widths.len() < MAX_CID_WIDTHS {
            let first = as_f64(resolve(doc, &w[i]));
            match (first, w.get(i + 1).map(|o| resolve(doc, o))) {
                (Some(first), Some(Object::Array(ws))) => {
                    for (k, width) in ws.iter().enumerate() {
                        if let Some(width) = as_f64(resolve(doc, width)) {
                            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                            let cid = first as u32 + k as u32;
                            self.cid_widths.insert(cid, width / 1000.0);
                        }
                    }
                    i += 2;
                }
                (Some(lo), Some(hi)) => {
                    let (Some(hi), Some(width)) = (
                        as_f64(hi),
                        w.get(i + 2).and_then(|o| as_f64(resolve(doc, o))),
                    ) else {
                        break;
                    };
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    let (lo, hi) = (lo as u32, hi as u32);
                    let room = MAX_CID_WIDTHS - self.cid_widths.len();
                    for cid in (lo..=hi).take(room) {
                        self.cid_widths.insert(cid, width / 1000.0);
                    }
                    i += 3;
                }
                _ => break,
            }
        }
    }

    fn predefined_cmap(&mut self, name: &[u8]) {
        let space = |len: usize, lo: &[u8], hi: &[u8]| {
            let mut s = Codespace {
                len,
                lo: [0; 4],
                hi: [0; 4],
            };
            s.lo[..len].copy_from_slice(lo);
            s.hi[..len].copy_from_slice(hi);
            s
        };
        self.vertical = name.ends_with(b"-V");
        if name.starts_with(b"Identity") {
            self.codespaces = vec![space(2, &[0, 0], &[0xff, 0xff])];
            self.cid_encoding = CidEncoding::Identity;
        } else if let Some(map) = PredefinedCMap::load(name) {
            self.codespaces.clone_from(&map.codespaces);
            self.vertical = map.vertical;
            self.ordering = Some(map.ordering);
            self.cid_encoding = if map.unicode_codes {
                CidEncoding::Ucs2
            } else {
                CidEncoding::Predefined(map)
            };
        } else {
            self.warnings.push(format!(
                "font {}: unsupported predefined CMap {}",
                self.name,
                String::from_utf8_lossy(name)
            ));
            self.codespaces = vec![space(2, &[0, 0], &[0xff, 0xff])];
            self.cid_encoding = CidEncoding::Map(CMap::default(), None);
        }
    }

    fn load_simple(&mut self, doc: &Document, dict: &Dictionary, names: &mut Names) {
        let descriptor = match dict_get(doc, dict, b"FontDescriptor") {
            Object::Dictionary(d) => Some(d),
            _ => None,
        };
        let flags = descriptor
            .and_then(|d| as_f64(dict_get(doc, d, b"Flags")))
            .unwrap_or(0.0);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let symbolic = (flags as u32) & 4 != 0;
        let truetype = matches!(
            dict_get(doc, dict, b"Subtype").as_name().unwrap_or(b""),
            b"TrueType"
        );

        // Encoding: a base table, then /Differences on top.
        let encoding = dict_get(doc, dict, b"Encoding");
        let (base_name, differences): (Option<&[u8]>, Option<&Vec<Object>>) = match encoding {
            Object::Name(n) => (Some(n.as_slice()), None),
            Object::Dictionary(e) => (
                dict_get(doc, e, b"BaseEncoding").as_name().ok(),
                dict_get(doc, e, b"Differences").as_array().ok(),
            ),
            _ => (None, None),
        };
        let std_name = self.name.rsplit('+').next().unwrap_or("").to_string();
        let is_symbol_font = std_name.starts_with("Symbol") || std_name.starts_with("ZapfDingbats");
        let table: CodeTable = base_name
            .and_then(|n| names.base_table(doc, n))
            .or_else(|| {
                if self.kind == Kind::Type3 || (truetype && symbolic) || is_symbol_font {
                    // No usable standard encoding: codes are most often ASCII-compatible.
                    None
                } else {
                    names.base_table(doc, b"StandardEncoding")
                }
            })
            .unwrap_or_else(|| {
                (0..=255u8)
                    .map(|b| {
                        if (0x20..0x7f).contains(&b) && !is_symbol_font {
                            Some(char::from(b))
                        } else {
                            None
                        }
                    })
                    .collect()
            });
        let mut text: Vec<Option<String>> =
            table.iter().map(|c| c.map(|c| c.to_string())).collect();
        let mut unknown = [false; 256];
        if base_name.is_none()
            && let Some(builtin) = descriptor.and_then(|d| type1_builtin_encoding(doc, d))
        {
            // The font program's own encoding stands in for the missing base encoding
            // (TeX fonts put ligatures and dotless letters at codes below 32 this way).
            for (code, name) in builtin {
                match names.glyph(doc, &name) {
                    Some(t) => text[usize::from(code)] = Some(t),
                    None if text[usize::from(code)].is_none() => unknown[usize::from(code)] = true,
                    None => {}
                }
            }
        }
        if let Some(diffs) = differences {
            let mut code: usize = 0;
            for item in diffs {
                match resolve(doc, item) {
                    Object::Integer(c) => code = usize::try_from(*c).unwrap_or(256),
                    Object::Name(n) => {
                        if code < 256 {
                            let mut t = names.glyph(doc, n);
                            if self.kind == Kind::Type3
                                && !t
                                    .as_deref()
                                    .is_some_and(|t| t.chars().all(|c| c < '\u{2000}'))
                            {
                                // Symbol names in a Type3 font ("square") name the drawing,
                                // not the character; poppler falls back to the code.
                                t = type3_fallback(n, code);
                            }
                            unknown[code] = t.is_none();
                            text[code] = t;
                        }
                        code = code.saturating_add(1);
                    }
                    _ => {}
                }
            }
        }
        for (code, _) in unknown.iter().enumerate().filter(|(_, u)| **u) {
            // A name no list knows reads as the code itself where that is a printable
            // Latin-1 character: poppler's pass-through for unknown names (what pdftotext
            // prints, and pdf-extract too). The rest are counted apart (`unknown_name`).
            match u8::try_from(code).ok().map(char::from) {
                Some(c) if !c.is_control() => text[code] = Some(c.to_string()),
                _ => self.unknown_names[code / 64] |= 1 << (code % 64),
            }
        }
        self.simple_text = text.into_iter().map(|t| t.map(Rc::from)).collect();

        // Widths.
        let mut scale = 0.001;
        if self.kind == Kind::Type3
            && let Object::Array(m) = dict_get(doc, dict, b"FontMatrix")
        {
            let m: Vec<f64> = m.iter().filter_map(|o| as_f64(resolve(doc, o))).collect();
            if m.len() == 6 {
                scale = m[0];
                let em = (m[3] * 1000.0).abs();
                if (0.01..=100.0).contains(&em) {
                    self.em = em;
                }
            }
        }
        let missing = descriptor
            .and_then(|d| as_f64(dict_get(doc, d, b"MissingWidth")))
            .map(|w| w * scale);
        let first = as_f64(dict_get(doc, dict, b"FirstChar")).unwrap_or(0.0);
        let mut widths: Vec<Option<f64>> = vec![None; 256];
        if let Object::Array(ws) = dict_get(doc, dict, b"Widths") {
            for (k, w) in ws.iter().enumerate() {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let code = first as usize + k;
                if code < 256
                    && let Some(w) = as_f64(resolve(doc, w))
                {
                    widths[code] = Some(w * scale);
                }
            }
        }
        let have_widths = widths.iter().any(Option::is_some);
        // A font without /Widths (the standard 14 may leave them out) is measured with the
        // AFM widths of the standard font it is or resembles, looked up once for the font.
        let standard = if have_widths {
            None
        } else {
            StdWidths::for_font(&self.name)
        };
        self.simple_widths = (0..256usize)
            .map(|code| {
                widths[code]
                    .or(missing)
                    .filter(|_| have_widths)
                    .unwrap_or_else(|| {
                        #[allow(clippy::cast_possible_truncation)]
                        let code = code as u8;
                        let ch = self.simple_text[usize::from(code)]
                            .as_deref()
                            .and_then(|s| s.chars().next())
                            .unwrap_or(char::from(code));
                        standard.as_ref().map_or(0.5, |s| s.width(code, Some(ch)))
                    })
            })
            .collect();
    }

    /// Splits a shown string into `(code, byte length)` pairs.
    pub fn codes(&self, bytes: &[u8], out: &mut Vec<(u32, usize)>) {
        out.clear();
        if self.kind == Kind::Composite {
            split_codes(&self.codespaces, bytes, out);
        } else {
            out.extend(bytes.iter().map(|&b| (u32::from(b), 1)));
        }
    }

    fn cid(&self, code: u32) -> u32 {
        match &self.cid_encoding {
            CidEncoding::Identity => code,
            CidEncoding::Ucs2 => utf16_code_char(code)
                .and_then(|c| self.unicode_cids.get(&u32::from(c)).copied())
                .unwrap_or(0),
            CidEncoding::Predefined(m) => m.cid(code).unwrap_or(0),
            CidEncoding::Map(m, used) => m
                .cid(code)
                .or_else(|| used.as_ref().and_then(|u| u.cid(code)))
                .unwrap_or(0),
        }
    }

    /// Advance width of `code` in text space per unit of font size.
    pub fn width(&self, code: u32) -> f64 {
        match self.kind {
            Kind::Composite => {
                if matches!(self.cid_encoding, CidEncoding::Ucs2) && self.unicode_cids.is_empty() {
                    return self.default_width;
                }
                let cid = self.cid(code);
                self.cid_widths
                    .get(&cid)
                    .copied()
                    .unwrap_or(self.default_width)
            }
            Kind::Simple | Kind::Type3 => self
                .simple_widths
                .get(code as usize)
                .copied()
                .unwrap_or(0.5),
        }
    }

    /// Whether the encoding names `code`'s glyph with a name that no glyph list knows
    /// (see `unknown_names`); meaningful where [`Font::text`] gives `None`.
    pub fn unknown_name(&self, code: u32) -> bool {
        self.kind != Kind::Composite
            && code < 256
            && self.unknown_names[(code / 64) as usize] & (1 << (code % 64)) != 0
    }

    /// Unicode text of `code`, or `None` when it cannot be determined.
    pub fn text(&self, code: u32) -> Option<Rc<str>> {
        if let Some(s) = self.to_unicode.as_ref().and_then(|m| m.unicode(code)) {
            return Some(s);
        }
        match self.kind {
            Kind::Composite => match self.cid_encoding {
                CidEncoding::Ucs2 => utf16_code_char(code).map(|c| Rc::from(c.to_string())),
                _ => self.cid_text.as_ref().and_then(|t| t.text(self.cid(code))),
            },
            Kind::Simple | Kind::Type3 => self.simple_text.get(code as usize).cloned().flatten(),
        }
    }
}

/// Type3 glyph names are often private (`a192`, `square`); like poppler, read a number
/// after a one- or two-letter prefix as the character code, and otherwise take the code
/// itself as Latin-1.
fn type3_fallback(name: &[u8], code: usize) -> Option<String> {
    if name == b".notdef" {
        return None;
    }
    let digits_at = name.iter().position(u8::is_ascii_digit);
    if let Some(at) = digits_at
        && (1..=2).contains(&at)
        && name[..at].iter().all(u8::is_ascii_alphabetic)
        && name[at..].iter().all(u8::is_ascii_digit)
        && let Some(value) = std::str::from_utf8(&name[at..])
            .ok()
            .and_then(|d| d.parse::<u32>().ok())
        && (32..=255).contains(&value)
    {
        return char::from_u32(value).map(String::from);
    }
    u32::try_from(code)
        .ok()
        .filter(|c| (32..=255).contains(c) && *c != 127)
        .and_then(char::from_u32)
        .map(String::from)
}

/// Reads `dup CODE /NAME put` entries from the clear-text part of an embedded Type 1
/// font program: the font's built-in encoding.
fn type1_builtin_encoding(doc: &Document, descriptor: &Dictionary) -> Option<Vec<(u8, Vec<u8>)>> {
    let Object::Stream(stream) = dict_get(doc, descriptor, b"FontFile") else {
        return None;
    };
    let data = crate::streams::plain_content(stream).ok()?;
    let clear_len = as_f64(dict_get(doc, &stream.dict, b"Length1")).map_or(data.len(), |l| {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let l = l as usize;
        l.min(data.len())
    });
    let clear = &data[..clear_len];
    let end = clear
        .windows(5)
        .position(|w| w == b"eexec")
        .unwrap_or(clear.len());
    let clear = &clear[..end];
    if clear.windows(16).any(|w| w == b"StandardEncoding") {
        return None;
    }
    let mut out = Vec::new();
    let mut tokens = clear
        .split(|b| b.is_ascii_whitespace())
        .filter(|t| !t.is_empty())
        .peekable();
    while let Some(tok) = tokens.next() {
        if tok != b"dup" {
            continue;
        }
        let (Some(code), Some(name)) = (tokens.next(), tokens.next()) else {
            break;
        };
        let code = std::str::from_utf8(code)
            .ok()
            .and_then(|c| c.parse::<u8>().ok());
        if let (Some(code), Some(name)) = (code, name.strip_prefix(b"/")) {
            out.push((code, name.to_vec()));
        }
    }
    (!out.is_empty()).then_some(out)
}

/// The character a `Uni*-UCS2`/`Uni*-UTF16` code spells: one UTF-16 unit, or a surrogate
/// pair as a four-byte code.
fn utf16_code_char(code: u32) -> Option<char> {
    if code > 0xffff {
        #[allow(clippy::cast_possible_truncation)]
        let units = [(code >> 16) as u16, code as u16];
        return char::decode_utf16(units).next()?.ok();
    }
    char::from_u32(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lopdf::Stream;

    fn name(n: &str) -> Object {
        Object::Name(n.as_bytes().to_vec())
    }

    #[test]
    fn simple_font_with_differences_and_widths() {
        let doc = Document::new();
        let mut enc = Dictionary::new();
        enc.set("BaseEncoding", name("WinAnsiEncoding"));
        enc.set(
            "Differences",
            Object::Array(vec![Object::Integer(65), name("uni00E9"), name("fi")]),
        );
        let mut font = Dictionary::new();
        font.set("Type", name("Font"));
        font.set("Subtype", name("TrueType"));
        font.set("BaseFont", name("ABCDEF+Arial"));
        font.set("Encoding", Object::Dictionary(enc));
        font.set("FirstChar", Object::Integer(65));
        font.set(
            "Widths",
            Object::Array(vec![Object::Integer(600), Object::Integer(500)]),
        );
        let f = Font::load(&doc, &font, &mut Names::default());
        assert_eq!(f.text(65).as_deref(), Some("é"));
        assert_eq!(f.text(66).as_deref(), Some("\u{FB01}"));
        assert_eq!(f.text(67).as_deref(), Some("C"));
        assert_eq!(f.text(0x93).as_deref(), Some("\u{201C}"));
        assert!((f.width(65) - 0.6).abs() < 1e-9);
    }

    /// TeX fonts name their glyphs with names outside the Adobe Glyph List: the extra
    /// list resolves the known ones; an unknown name reads as its code where that is
    /// printable (as pdftotext reads it) and is counted apart where it is not.
    #[test]
    fn tex_glyph_names_and_unknown_names() {
        let doc = Document::new();
        let mut enc = Dictionary::new();
        enc.set(
            "Differences",
            Object::Array(vec![
                Object::Integer(1),
                name("parenleftbig"),
                name("born"),
                Object::Integer(65),
                name("intersectmultidisplay"),
                name("summationdisplay"),
                name("B"),
            ]),
        );
        let mut font = Dictionary::new();
        font.set("Subtype", name("Type1"));
        font.set("BaseFont", name("ABCDEF+txexa"));
        font.set("Encoding", Object::Dictionary(enc));
        let f = Font::load(&doc, &font, &mut Names::default());
        assert_eq!(f.text(1).as_deref(), Some("("));
        assert_eq!(f.text(2), None);
        assert!(f.unknown_name(2));
        assert_eq!(f.text(65).as_deref(), Some("A"));
        assert!(!f.unknown_name(65));
        assert_eq!(f.text(66).as_deref(), Some("\u{2211}"));
        assert_eq!(f.text(67).as_deref(), Some("B"));
        // A code the encoding does not name is no unknown name.
        assert!(!f.unknown_name(3));
    }

    #[test]
    fn composite_identity_font() {
        let doc = Document::new();
        let cmap = b"1 begincodespacerange <0000> <FFFF> endcodespacerange \
            1 beginbfchar <0003> <0020> endbfchar 1 beginbfrange <0024> <0025> <0041> endbfrange";
        let mut cid = Dictionary::new();
        cid.set("DW", Object::Integer(500));
        cid.set(
            "W",
            Object::Array(vec![
                Object::Integer(3),
                Object::Array(vec![Object::Integer(250)]),
                Object::Integer(36),
                Object::Integer(37),
                Object::Integer(700),
            ]),
        );
        let mut font = Dictionary::new();
        font.set("Subtype", name("Type0"));
        font.set("Encoding", name("Identity-H"));
        font.set(
            "DescendantFonts",
            Object::Array(vec![Object::Dictionary(cid)]),
        );
        font.set(
            "ToUnicode",
            Object::Stream(Stream::new(Dictionary::new(), cmap.to_vec())),
        );
        let f = Font::load(&doc, &font, &mut Names::default());
        let mut codes = Vec::new();
        f.codes(b"\x00\x24\x00\x03\x00\x25", &mut codes);
        assert_eq!(codes, vec![(0x24, 2), (3, 2), (0x25, 2)]);
        assert_eq!(f.text(0x25).as_deref(), Some("B"));
        assert!((f.width(3) - 0.25).abs() < 1e-9);
        assert!((f.width(0x24) - 0.7).abs() < 1e-9);
        assert!((f.width(0x99) - 0.5).abs() < 1e-9);
        assert_eq!(f.text(0x99), None);
    }
}
