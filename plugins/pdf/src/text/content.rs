//! The content-stream interpreter: tracks the graphics and text state and records every
//! glyph drawn by a text-showing operator, with its position in default user space.

use std::collections::HashSet;
use std::rc::Rc;

use lopdf::{Dictionary, Document, Object, ObjectId};

use super::encoding::Names;
use super::evidence::{Evidence, encoding_claims};
use super::fonts::{Font, as_f64, dict_get, resolve};
use super::layout::RawGlyph;
use super::lexer::{Lexer, Operand};

/// Operators interpreted per page, all nested forms included.
const MAX_OPERATIONS: usize = 5_000_000;
/// Glyphs kept per page for layout; the rest are counted but not placed.
const MAX_GLYPHS: usize = 1_000_000;
/// Nesting depth of Form XObjects.
const MAX_FORM_DEPTH: usize = 16;
/// Depth of the `q` stack; deeper saves are ignored (their `Q` then restores less).
const MAX_SAVE_DEPTH: usize = 256;
/// Warnings kept per page.
const MAX_WARNINGS: usize = 32;
/// Decoded form XObject content kept for the document, in bytes; forms beyond it are
/// decoded at each use, as before the cache existed.
const MAX_CACHED_FORM_BYTES: usize = 32 << 20;

pub type Matrix = [f64; 6];
pub const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

/// `a` then `b`: the matrix that applies `a` first.
pub fn mul(a: &Matrix, b: &Matrix) -> Matrix {
    [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]
}

pub fn apply(m: &Matrix, x: f64, y: f64) -> (f64, f64) {
    (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])
}

#[derive(Clone)]
struct GState {
    ctm: Matrix,
    font: Option<Rc<Font>>,
    font_size: f64,
    char_spacing: f64,
    word_spacing: f64,
    h_scale: f64,
    leading: f64,
    rise: f64,
}

impl GState {
    fn new(ctm: Matrix) -> Self {
        GState {
            ctm,
            font: None,
            font_size: 0.0,
            char_spacing: 0.0,
            word_spacing: 0.0,
            h_scale: 1.0,
            leading: 0.0,
            rise: 0.0,
        }
    }
}

#[derive(Clone, Copy, Hash, PartialEq, Eq)]
enum FontKey {
    Id(ObjectId),
    Direct(usize),
}

/// What holds for the whole document, kept from page to page: fonts by object (their
/// CMaps, encodings and widths are parsed once, not once per page), glyph-name lookups,
/// and the decoded content of form XObjects that many pages draw (letterheads, logos).
#[derive(Default)]
pub struct TextCache {
    fonts: foldhash::HashMap<FontKey, Rc<Font>>,
    /// Each font's [`encoding_claims`], for the OCR verdict's evidence.
    claims: foldhash::HashMap<FontKey, Claims>,
    names: Names,
    forms: foldhash::HashMap<ObjectId, Rc<[u8]>>,
    form_bytes: usize,
    /// The previous page's glyph buffer, emptied, so that each page does not grow its
    /// own from nothing.
    spare_glyphs: Vec<RawGlyph>,
}

/// Glyph buffers larger than this (in glyphs) are not kept for the next page.
const MAX_SPARE_GLYPHS: usize = 1 << 16;

impl TextCache {
    /// Takes back a page's glyph buffer for the next page.
    pub fn recycle(&mut self, mut glyphs: Vec<RawGlyph>) {
        if glyphs.capacity() <= MAX_SPARE_GLYPHS {
            glyphs.clear();
            self.spare_glyphs = glyphs;
        }
    }
}

/// The Latin letters a simple font's encoding names explicitly, by code.
type Claims = Option<Rc<[u8; 256]>>;

pub struct Interpreter<'a> {
    doc: &'a Document,
    pub cache: TextCache,
    /// Fonts met on this page, whose load warnings have been given for it.
    fonts: foldhash::HashMap<FontKey, Rc<Font>>,
    codes: Vec<(u32, usize)>,
    forms: Vec<ObjectId>,
    operations: usize,
    pub glyphs: Vec<RawGlyph>,
    pub glyph_count: u32,
    pub unmapped: u32,
    /// Font-map evidence on the glyphs drawn, per font.
    pub evidence: Evidence,
    /// The claims of the fonts met on this page, by the font's address.
    claims: foldhash::HashMap<usize, Claims>,
    /// The last font shown with and its claims, looked up once per change of font.
    last_claims: (usize, Claims),
    /// Of `unmapped`, glyphs whose font names them with a name no glyph list knows.
    pub unknown_names: u32,
    pub warnings: Vec<String>,
    warned: HashSet<String>,
}

fn num(operands: &[Operand], i: usize) -> f64 {
    operands
        .get(i)
        .and_then(Operand::as_f64)
        .filter(|v| v.is_finite())
        .unwrap_or(0.0)
}

fn matrix_of(operands: &[Operand]) -> Matrix {
    [
        num(operands, 0),
        num(operands, 1),
        num(operands, 2),
        num(operands, 3),
        num(operands, 4),
        num(operands, 5),
    ]
}

impl<'a> Interpreter<'a> {
    pub fn new(doc: &'a Document, mut cache: TextCache) -> Self {
        let glyphs = std::mem::take(&mut cache.spare_glyphs);
        Interpreter {
            doc,
            cache,
            fonts: foldhash::HashMap::default(),
            codes: Vec::new(),
            forms: Vec::new(),
            operations: 0,
            glyphs,
            glyph_count: 0,
            unmapped: 0,
            evidence: Evidence::default(),
            claims: foldhash::HashMap::default(),
            last_claims: (0, None),
            unknown_names: 0,
            warnings: Vec::new(),
            warned: HashSet::new(),
        }
    }

    pub fn warn(&mut self, message: String) {
        if self.warnings.len() < MAX_WARNINGS && self.warned.insert(message.clone()) {
            self.warnings.push(message);
        }
    }

    /// Runs one content stream (a page's, or a form's) with `resources`.
    pub fn run(&mut self, content: &[u8], resources: Option<&'a Dictionary>, ctm: Matrix) {
        let mut lexer = Lexer::new(content);
        let mut gs = GState::new(ctm);
        let mut stack: Vec<GState> = Vec::new();
        let mut tm = IDENTITY;
        let mut tlm = IDENTITY;
        while let Some(op) = lexer.next_operation() {
            self.operations += 1;
            if self.operations > MAX_OPERATIONS {
                self.warn(format!(
                    "content stream exceeds {MAX_OPERATIONS} operations; the rest is skipped"
                ));
                return;
            }
            let o = op.operands;
            match op.operator {
                b"q" if stack.len() < MAX_SAVE_DEPTH => stack.push(gs.clone()),
                b"Q" => {
                    if let Some(saved) = stack.pop() {
                        gs = saved;
                    }
                }
                b"cm" => gs.ctm = mul(&matrix_of(o), &gs.ctm),
                b"BT" => {
                    tm = IDENTITY;
                    tlm = IDENTITY;
                }
                b"Tf" => {
                    gs.font_size = num(o, 1);
                    gs.font = match op.name_at(0) {
                        Some(name) => self.font(resources, name),
                        None => None,
                    };
                }
                b"Tc" => gs.char_spacing = num(o, 0),
                b"Tw" => gs.word_spacing = num(o, 0),
                b"Tz" => gs.h_scale = num(o, 0) / 100.0,
                b"TL" => gs.leading = num(o, 0),
                b"Ts" => gs.rise = num(o, 0),
                b"Td" => {
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, num(o, 0), num(o, 1)], &tlm);
                    tm = tlm;
                }
                b"TD" => {
                    gs.leading = -num(o, 1);
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, num(o, 0), num(o, 1)], &tlm);
                    tm = tlm;
                }
                b"Tm" => {
                    tlm = matrix_of(o);
                    tm = tlm;
                }
                b"T*" => {
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -gs.leading], &tlm);
                    tm = tlm;
                }
                b"Tj" => {
                    if let Some(s) = op.string_at(0) {
                        self.show(s, &gs, &mut tm);
                    }
                }
                b"'" => {
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -gs.leading], &tlm);
                    tm = tlm;
                    if let Some(s) = op.string_at(0) {
                        self.show(s, &gs, &mut tm);
                    }
                }
                b"\"" => {
                    gs.word_spacing = num(o, 0);
                    gs.char_spacing = num(o, 1);
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -gs.leading], &tlm);
                    tm = tlm;
                    if let Some(s) = op.string_at(2) {
                        self.show(s, &gs, &mut tm);
                    }
                }
                b"TJ" => {
                    if let Some(items) = o.first().and_then(|a| op.array(a)) {
                        for item in items {
                            match op.string(item) {
                                Some(s) => self.show(s, &gs, &mut tm),
                                None => {
                                    if let Some(adj) = item.as_f64().filter(|v| v.is_finite()) {
                                        let shift = -adj / 1000.0 * gs.font_size;
                                        let vertical = gs.font.as_ref().is_some_and(|f| f.vertical);
                                        let t = if vertical {
                                            [1.0, 0.0, 0.0, 1.0, 0.0, shift]
                                        } else {
                                            [1.0, 0.0, 0.0, 1.0, shift * gs.h_scale, 0.0]
                                        };
                                        tm = mul(&t, &tm);
                                    }
                                }
                            }
                        }
                    }
                }
                b"gs" => {
                    if let Some(name) = op.name_at(0) {
                        self.ext_gstate(resources, name, &mut gs);
                    }
                }
                b"Do" => {
                    if let Some(name) = op.name_at(0) {
                        self.do_xobject(resources, name, &gs);
                    }
                }
                _ => {}
            }
        }
    }

    fn resource(
        &self,
        resources: Option<&'a Dictionary>,
        kind: &[u8],
        name: &[u8],
    ) -> Option<&'a Object> {
        let doc = self.doc;
        let category = match dict_get(doc, resources?, kind) {
            Object::Dictionary(d) => d,
            _ => return None,
        };
        category.get(name).ok()
    }

    fn font(&mut self, resources: Option<&'a Dictionary>, name: &[u8]) -> Option<Rc<Font>> {
        let doc = self.doc;
        let Some(entry) = self.resource(resources, b"Font", name) else {
            self.warn(format!(
                "font resource /{} not found",
                String::from_utf8_lossy(name)
            ));
            return None;
        };
        self.font_object(entry, doc)
    }

    fn font_object(&mut self, entry: &'a Object, doc: &'a Document) -> Option<Rc<Font>> {
        let key = match entry {
            Object::Reference(id) => FontKey::Id(*id),
            other => FontKey::Direct(std::ptr::from_ref(other) as usize),
        };
        if let Some(f) = self.fonts.get(&key) {
            return Some(Rc::clone(f));
        }
        let font = if let Some(f) = self.cache.fonts.get(&key) {
            Rc::clone(f)
        } else {
            let Object::Dictionary(dict) = resolve(doc, entry) else {
                self.warn("font resource is not a dictionary".to_string());
                return None;
            };
            let font = Rc::new(Font::load(doc, dict, &mut self.cache.names));
            self.cache.fonts.insert(key, Rc::clone(&font));
            self.cache.claims.insert(key, encoding_claims(doc, dict));
            font
        };
        let claims = self.cache.claims.get(&key).cloned().flatten();
        self.claims.insert(Rc::as_ptr(&font) as usize, claims);
        for w in &font.warnings {
            self.warn(w.clone());
        }
        self.fonts.insert(key, Rc::clone(&font));
        Some(font)
    }

    fn ext_gstate(&mut self, resources: Option<&'a Dictionary>, name: &[u8], gs: &mut GState) {
        let doc = self.doc;
        let Some(entry) = self.resource(resources, b"ExtGState", name) else {
            return;
        };
        let Object::Dictionary(d) = resolve(doc, entry) else {
            return;
        };
        if let Ok(Object::Array(font)) = d.get(b"Font")
            && let (Some(f), Some(size)) = (font.first(), font.get(1).and_then(as_f64))
        {
            gs.font = self.font_object(f, doc);
            gs.font_size = size;
        }
    }

    fn do_xobject(&mut self, resources: Option<&'a Dictionary>, name: &[u8], gs: &GState) {
        let doc = self.doc;
        let Some(entry) = self.resource(resources, b"XObject", name) else {
            return;
        };
        let Object::Stream(stream) = resolve(doc, entry) else {
            return;
        };
        if dict_get(doc, &stream.dict, b"Subtype").as_name().ok() != Some(b"Form") {
            return;
        }
        let id = match entry {
            Object::Reference(id) => Some(*id),
            _ => None,
        };
        if let Some(id) = id
            && self.forms.contains(&id)
        {
            self.warn("form XObject draws itself; the cycle is cut".to_string());
            return;
        }
        if self.forms.len() >= MAX_FORM_DEPTH {
            self.warn(format!(
                "form XObjects nest deeper than {MAX_FORM_DEPTH}; the rest is skipped"
            ));
            return;
        }
        let cached = id.and_then(|id| self.cache.forms.get(&id)).map(Rc::clone);
        let content = match cached {
            Some(c) => c,
            None => {
                let content: Rc<[u8]> = match crate::streams::decode(stream) {
                    Ok(c) => Rc::from(c),
                    Err(e) => {
                        self.warn(format!("form XObject content unreadable: {e}"));
                        return;
                    }
                };
                if let Some(id) = id
                    && self.cache.form_bytes + content.len() <= MAX_CACHED_FORM_BYTES
                {
                    self.cache.form_bytes += content.len();
                    self.cache.forms.insert(id, Rc::clone(&content));
                }
                content
            }
        };
        let matrix = match dict_get(doc, &stream.dict, b"Matrix") {
            Object::Array(m) if m.len() == 6 => {
                let v: Vec<f64> = m
                    .iter()
                    .map(|o| as_f64(resolve(doc, o)).unwrap_or(0.0))
                    .collect();
                [v[0], v[1], v[2], v[3], v[4], v[5]]
            }
            _ => IDENTITY,
        };
        let form_resources = match dict_get(doc, &stream.dict, b"Resources") {
            Object::Dictionary(d) => Some(d),
            _ => resources,
        };
        self.forms.push(id.unwrap_or((0, 0)));
        // Text state does not carry into a form, but the font does not either: run it fresh
        // with the current transformation.
        self.run(&content, form_resources, mul(&matrix, &gs.ctm));
        self.forms.pop();
    }

    /// Records the glyphs of one shown string and advances the text matrix past them.
    fn show(&mut self, bytes: &[u8], gs: &GState, tm: &mut Matrix) {
        let Some(font) = gs.font.clone() else {
            self.warn("text shown without a font".to_string());
            return;
        };
        let mut codes = std::mem::take(&mut self.codes);
        font.codes(bytes, &mut codes);
        let fs = gs.font_size;
        let th = gs.h_scale;
        let address = Rc::as_ptr(&font) as usize;
        if self.last_claims.0 != address {
            self.last_claims = (address, self.claims.get(&address).cloned().flatten());
        }
        let claims = self.last_claims.1.clone();
        let mut tally = self.evidence.take(address);
        tally.shown(codes.len());
        for &(code, len) in &codes {
            let w = font.width(code);
            let text = font.text(code);
            tally.glyph(claims.as_deref(), code, text.as_deref());
            self.glyph_count = self.glyph_count.saturating_add(1);
            if text.is_none() {
                self.unmapped = self.unmapped.saturating_add(1);
                if font.unknown_name(code) {
                    self.unknown_names = self.unknown_names.saturating_add(1);
                }
            }
            let word_space = if len == 1 && code == 32 {
                gs.word_spacing
            } else {
                0.0
            };
            let trm = mul(tm, &gs.ctm);
            if font.vertical {
                let (ox, oy) = apply(&trm, 0.0, gs.rise);
                let (ex, ey) = apply(&trm, 0.0, gs.rise - fs);
                let (ux, uy) = (trm[0] * fs, trm[1] * fs);
                self.push(text, [ox, oy, ex, ey, ux, uy]);
                let ty = -(fs + gs.char_spacing + word_space);
                *tm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, ty], tm);
            } else {
                let (ox, oy) = apply(&trm, 0.0, gs.rise);
                let (ex, ey) = apply(&trm, w * fs * th, gs.rise);
                let h = fs * font.em;
                let (ux, uy) = (trm[2] * h, trm[3] * h);
                self.push(text, [ox, oy, ex, ey, ux, uy]);
                let tx = (w * fs + gs.char_spacing + word_space) * th;
                *tm = mul(&[1.0, 0.0, 0.0, 1.0, tx, 0.0], tm);
            }
        }
        self.evidence.put(address, tally);
        self.codes = codes;
    }

    fn push(&mut self, text: Option<Rc<str>>, geometry: [f64; 6]) {
        if self.glyphs.len() >= MAX_GLYPHS {
            if self.glyphs.len() == MAX_GLYPHS {
                self.warn(format!(
                    "more than {MAX_GLYPHS} glyphs on the page; the rest are not laid out"
                ));
            }
            return;
        }
        if geometry.iter().any(|v| !v.is_finite()) {
            return;
        }
        self.glyphs.push(RawGlyph {
            text,
            origin: (geometry[0], geometry[1]),
            end: (geometry[2], geometry[3]),
            up: (geometry[4], geometry[5]),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrices_compose_in_pdf_order() {
        let scale = [2.0, 0.0, 0.0, 2.0, 0.0, 0.0];
        let shift = [1.0, 0.0, 0.0, 1.0, 10.0, 0.0];
        // Scale first, then shift.
        assert_eq!(apply(&mul(&scale, &shift), 1.0, 1.0), (12.0, 2.0));
        assert_eq!(apply(&mul(&shift, &scale), 1.0, 1.0), (22.0, 2.0));
    }
}
