//! The streaming reader of the main document and the notes parts: paragraphs, tables,
//! text boxes and content controls, in reading order, as a flat list of [`Item`]s.
//!
//! Reading order and what is kept:
//! - paragraphs, with their list label (`1.`, `a)`, `-`) in front;
//! - tables row by row, a row's cells separated by a tab, a cell's paragraphs by a space;
//!   a cell continuing a vertical merge is skipped (its text is in the first cell), a
//!   horizontally merged cell is one `w:tc` and so appears once;
//! - text boxes and shapes (`w:txbxContent`) as paragraphs right after the paragraph
//!   anchoring them; of an `mc:AlternateContent` only the first `mc:Choice` is read (the
//!   fallback holds the same text in VML);
//! - hyperlink text, content controls (`w:sdt`), field results (not field codes);
//! - tracked changes accepted: `w:ins` and `w:moveTo` kept, `w:del` and `w:moveFrom`
//!   dropped, as are table rows marked deleted; comments are left out (only their
//!   anchors are in the body);
//! - footnote and endnote references as `[n]`, numbered in reading order; the notes
//!   themselves are appended after the body by the caller.

use std::collections::HashMap;

use crate::numbering::Numbering;
use crate::styles::Styles;
use crate::symbol::{map_symbol_text, symbol_char};
use crate::xml::{El, Ev, Ns, Xml, XmlError};

/// Containers (tables in cells, text boxes in text boxes...) nested deeper than this are
/// skipped with a warning, keeping the reader's recursion small.
const MAX_NESTING: usize = 48;

/// A page break.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BreakKind {
    /// `w:br w:type="page"`, `w:pageBreakBefore`.
    Explicit,
    /// `w:lastRenderedPageBreak`.
    Rendered,
}

/// One unit of output, in reading order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Item {
    Text {
        text: String,
        /// Heading level and title when the paragraph is a heading.
        heading: Option<(u32, String)>,
        /// A table row: rows of one table are separated by a single newline.
        row: bool,
        links: Vec<String>,
    },
    Break(BreakKind),
}

/// Which kind of note a reference points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum NoteKind {
    Footnote,
    Endnote,
}

/// A note reference found in the body, numbered in reading order from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NoteRef {
    pub kind: NoteKind,
    pub id: String,
    pub number: usize,
}

/// What the reader needs from the rest of the package.
pub(crate) struct Context<'a> {
    pub styles: &'a Styles,
    pub numbering: &'a mut Numbering,
    /// Relationship id -> external hyperlink target.
    pub hyperlinks: &'a HashMap<String, String>,
    /// Note references met so far (the body's; references inside notes are not counted).
    pub notes: Vec<NoteRef>,
}

/// The result of reading one part.
pub(crate) struct Read {
    pub items: Vec<Item>,
    /// Why reading stopped early, when it did; `items` holds what came before.
    pub error: Option<XmlError>,
    /// Containers skipped for being nested too deeply.
    pub skipped_nesting: usize,
}

#[derive(Debug, Default)]
struct Para {
    segs: Vec<Seg>,
    style: Option<String>,
    /// `w:numPr` written on the paragraph: `numId` (0 = no list) and level.
    num: Option<(usize, usize)>,
    outline: Option<u32>,
    break_before: bool,
    deferred: Vec<Item>,
    links: Vec<String>,
    /// The current run is set in the Symbol font.
    symbol_run: bool,
}

#[derive(Debug)]
enum Seg {
    Text(String),
    Break(BreakKind),
}

impl Para {
    fn push(&mut self, s: &str) {
        if let Some(Seg::Text(t)) = self.segs.last_mut() {
            t.push_str(s);
        } else {
            self.segs.push(Seg::Text(s.to_string()));
        }
    }
}

#[derive(Debug, Default)]
struct Row {
    cells: Vec<String>,
    breaks: Vec<BreakKind>,
    links: Vec<String>,
    deleted: bool,
}

struct Walker<'x, 'c, 'a> {
    xml: Xml<'x>,
    ctx: &'c mut Context<'a>,
    /// Reading a notes part: references emit nothing.
    in_notes: bool,
    skipped_nesting: usize,
}

/// Reads the body of the main document part.
pub(crate) fn read_document(bytes: &[u8], ctx: &mut Context<'_>) -> Read {
    let mut w = Walker {
        xml: Xml::new(bytes),
        ctx,
        in_notes: false,
        skipped_nesting: 0,
    };
    let mut items = Vec::new();
    let error = w.document(&mut items).err();
    Read {
        items,
        error,
        skipped_nesting: w.skipped_nesting,
    }
}

/// Reads a footnotes or endnotes part: note id -> its paragraphs (breaks dropped).
pub(crate) fn read_notes(
    bytes: &[u8],
    ctx: &mut Context<'_>,
) -> (HashMap<String, Vec<Item>>, Option<XmlError>) {
    let mut w = Walker {
        xml: Xml::new(bytes),
        ctx,
        in_notes: true,
        skipped_nesting: 0,
    };
    let mut notes = HashMap::new();
    let error = w.notes(&mut notes).err();
    (notes, error)
}

impl Walker<'_, '_, '_> {
    fn document(&mut self, out: &mut Vec<Item>) -> Result<(), XmlError> {
        loop {
            match self.xml.next()? {
                Ev::Start(el) if el.is_w("body") => return self.blocks(out, 0),
                Ev::Eof => return Ok(()),
                _ => {}
            }
        }
    }

    fn notes(&mut self, notes: &mut HashMap<String, Vec<Item>>) -> Result<(), XmlError> {
        loop {
            match self.xml.next()? {
                Ev::Start(el) if el.is_w("footnote") || el.is_w("endnote") => {
                    let separator = matches!(
                        el.attr("type"),
                        Some("separator" | "continuationSeparator" | "continuationNotice")
                    );
                    if separator {
                        self.xml.skip()?;
                        continue;
                    }
                    let mut items = Vec::new();
                    self.blocks(&mut items, 1)?;
                    items.retain(|i| matches!(i, Item::Text { .. }));
                    notes.insert(el.attr("id").unwrap_or_default().to_string(), items);
                }
                Ev::Eof => return Ok(()),
                _ => {}
            }
        }
    }

    /// Block-level content up to the end of the current element.
    fn blocks(&mut self, out: &mut Vec<Item>, depth: usize) -> Result<(), XmlError> {
        loop {
            match self.xml.next()? {
                Ev::Start(el) => {
                    if self.too_deep(depth)? {
                        continue;
                    }
                    match (el.ns, el.local.as_str()) {
                        (Ns::W, "p") => self.paragraph(out, depth + 1)?,
                        (Ns::W, "tbl") => self.table(out, depth + 1)?,
                        (Ns::Mc, "AlternateContent") => {
                            self.alternate(depth, |w, d| w.blocks(out, d))?;
                        }
                        (Ns::W, name) if skipped(name) => self.xml.skip()?,
                        (Ns::W, "sectPr" | "tblPr" | "tcPr" | "trPr" | "altChunk") => {
                            self.xml.skip()?;
                        }
                        // body, sdt, sdtContent, customXml, txbxContent, ... and
                        // unknown wrappers: their blocks are read in place.
                        _ => self.blocks(out, depth + 1)?,
                    }
                }
                Ev::End | Ev::Eof => return Ok(()),
                Ev::Empty(_) | Ev::Text(_) => {}
            }
        }
    }

    /// Reads the first `mc:Choice` of an `mc:AlternateContent` with `read`, skips the rest.
    fn alternate(
        &mut self,
        depth: usize,
        mut read: impl FnMut(&mut Self, usize) -> Result<(), XmlError>,
    ) -> Result<(), XmlError> {
        let mut taken = false;
        loop {
            match self.xml.next()? {
                Ev::Start(el) => {
                    if !taken && el.ns == Ns::Mc && el.local == "Choice" {
                        taken = true;
                        read(self, depth + 1)?;
                    } else if !taken && el.ns == Ns::Mc && el.local == "Fallback" {
                        // A Fallback before any Choice (not valid, but seen): use it.
                        taken = true;
                        read(self, depth + 1)?;
                    } else {
                        self.xml.skip()?;
                    }
                }
                Ev::End | Ev::Eof => return Ok(()),
                Ev::Empty(_) | Ev::Text(_) => {}
            }
        }
    }

    fn paragraph(&mut self, out: &mut Vec<Item>, depth: usize) -> Result<(), XmlError> {
        let mut p = Para::default();
        self.inline(&mut p, depth)?;
        self.finish_paragraph(p, out);
        Ok(())
    }

    fn paragraph_properties(&mut self, p: &mut Para) -> Result<(), XmlError> {
        let mut open = 1usize;
        loop {
            match self.xml.next()? {
                Ev::Start(el) if el.is_w("numPr") => open += 1,
                Ev::Start(_) => self.xml.skip()?, // rPr, sectPr, pPrChange, ...
                Ev::Empty(el) if el.ns == Ns::W => match el.local.as_str() {
                    "pStyle" => p.style = el.attr("val").map(str::to_string),
                    "numId" => {
                        let id = el.attr("val").and_then(|v| v.parse().ok()).unwrap_or(0);
                        p.num = Some((id, p.num.map_or(0, |n| n.1)));
                    }
                    "ilvl" => {
                        let lvl = el.attr("val").and_then(|v| v.parse().ok()).unwrap_or(0);
                        p.num = Some((p.num.map_or(usize::MAX, |n| n.0), lvl));
                    }
                    "outlineLvl" => p.outline = el.attr("val").and_then(|v| v.parse().ok()),
                    "pageBreakBefore" => p.break_before = el.on(),
                    _ => {}
                },
                Ev::End => {
                    open -= 1;
                    if open == 0 {
                        return Ok(());
                    }
                }
                Ev::Eof => return Ok(()),
                Ev::Empty(_) | Ev::Text(_) => {}
            }
        }
    }

    /// Skips the element just opened when it lies deeper than [`MAX_NESTING`], counting it
    /// for the `nesting` warning; tells the caller whether it did.
    fn too_deep(&mut self, depth: usize) -> Result<bool, XmlError> {
        if depth <= MAX_NESTING {
            return Ok(false);
        }
        self.skipped_nesting += 1;
        self.xml.skip()?;
        Ok(true)
    }

    /// Run-level content up to the end of the current element.
    fn inline(&mut self, p: &mut Para, depth: usize) -> Result<(), XmlError> {
        loop {
            match self.xml.next()? {
                Ev::Start(el) => {
                    if self.too_deep(depth)? {
                        continue;
                    }
                    self.inline_start(p, &el, depth)?;
                }
                Ev::Empty(el) => self.inline_empty(p, &el),
                Ev::End | Ev::Eof => return Ok(()),
                Ev::Text(_) => {}
            }
        }
    }

    fn inline_start(&mut self, p: &mut Para, el: &El, depth: usize) -> Result<(), XmlError> {
        match (el.ns, el.local.as_str()) {
            (Ns::W, "t") | (Ns::M, "t") => {
                let text = self.xml.text()?;
                if p.symbol_run {
                    p.push(&map_symbol_text(&text));
                } else {
                    p.push(&text);
                }
            }
            (Ns::W, "r") => {
                p.symbol_run = false;
                self.inline(p, depth + 1)?;
                p.symbol_run = false;
            }
            (Ns::W, "rPr") => p.symbol_run = self.run_in_symbol_font()?,
            (Ns::W, "pPr") => self.paragraph_properties(p)?,
            (Ns::W, "instrText") => {
                let code = self.xml.text()?;
                if let Some(url) = field_hyperlink(&code) {
                    p.links.push(url);
                }
            }
            (Ns::W, "txbxContent") => self.blocks(&mut p.deferred, depth + 1)?,
            (Ns::W, "p") => self.paragraph(&mut p.deferred, depth + 1)?,
            (Ns::W, "tbl") => self.table(&mut p.deferred, depth + 1)?,
            (Ns::W, "hyperlink") => {
                if let Some(url) = el.attr("id").and_then(|id| self.ctx.hyperlinks.get(id)) {
                    p.links.push(url.clone());
                }
                self.inline(p, depth + 1)?;
            }
            (Ns::W, name) if skipped(name) => self.xml.skip()?,
            (Ns::Mc, "AlternateContent") => self.alternate(depth, |w, d| w.inline(p, d))?,
            // Another element carrying no text of its own: w:br and w:tab are normally
            // empty, but may be written with an end tag.
            (Ns::W, "br" | "tab" | "ptab" | "cr" | "footnoteReference" | "endnoteReference") => {
                self.inline_empty(p, el);
                self.xml.skip()?;
            }
            // r, ins, moveTo, sdt, sdtContent, smartTag, fldSimple, drawing, pict, shapes,
            // math and unknown wrappers: read through.
            _ => self.inline(p, depth + 1)?,
        }
        Ok(())
    }

    fn inline_empty(&mut self, p: &mut Para, el: &El) {
        if el.ns != Ns::W {
            return;
        }
        match el.local.as_str() {
            "tab" | "ptab" => p.push("\t"),
            "br" => match el.attr("type") {
                Some("page") => p.segs.push(Seg::Break(BreakKind::Explicit)),
                _ => p.push("\n"),
            },
            "cr" => p.push("\n"),
            "noBreakHyphen" => p.push("-"),
            "sym"
                if el
                    .attr("font")
                    .is_some_and(|f| f.eq_ignore_ascii_case("Symbol")) =>
            {
                if let Some(c) = el
                    .attr("char")
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .and_then(symbol_char)
                {
                    p.push(c.encode_utf8(&mut [0; 4]));
                }
            }
            "lastRenderedPageBreak" => p.segs.push(Seg::Break(BreakKind::Rendered)),
            "footnoteReference" | "endnoteReference" if !self.in_notes => {
                let kind = if el.local == "footnoteReference" {
                    NoteKind::Footnote
                } else {
                    NoteKind::Endnote
                };
                let number = self.ctx.notes.len() + 1;
                self.ctx.notes.push(NoteRef {
                    kind,
                    id: el.attr("id").unwrap_or_default().to_string(),
                    number,
                });
                p.push(&format!("[{number}]"));
            }
            "pStyle" => p.style = el.attr("val").map(str::to_string),
            _ => {}
        }
    }

    fn finish_paragraph(&mut self, p: Para, out: &mut Vec<Item>) {
        let heading_level = match p.outline {
            Some(v @ 0..=8) => Some(v + 1),
            Some(_) => None,
            None => p
                .style
                .as_deref()
                .and_then(|s| self.ctx.styles.heading_level(s)),
        };
        let num = match p.num {
            Some((usize::MAX, lvl)) => p
                .style
                .as_deref()
                .and_then(|s| self.ctx.styles.numbering(s))
                .map(|(id, _)| (id, lvl)),
            Some(n) => Some(n),
            None => p
                .style
                .as_deref()
                .and_then(|s| self.ctx.styles.numbering(s)),
        };
        let label = num.and_then(|(id, lvl)| self.ctx.numbering.label(id, lvl));
        let title: String = p
            .segs
            .iter()
            .filter_map(|s| match s {
                Seg::Text(t) => Some(t.as_str()),
                Seg::Break(_) => None,
            })
            .collect::<Vec<_>>()
            .join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");

        if p.break_before {
            out.push(Item::Break(BreakKind::Explicit));
        }
        let mut first = true;
        let mut links = Some(p.links);
        let mut flush = |text: &str, out: &mut Vec<Item>| {
            let text = text.trim();
            if text.is_empty() {
                return;
            }
            let text = match (&label, first) {
                (Some(label), true) => format!("{label} {text}"),
                _ => text.to_string(),
            };
            let heading = if first {
                heading_level
                    .filter(|_| !title.is_empty())
                    .map(|l| (l, title.clone()))
            } else {
                None
            };
            first = false;
            out.push(Item::Text {
                text,
                heading,
                row: false,
                links: links.take().unwrap_or_default(),
            });
        };
        for seg in &p.segs {
            match seg {
                Seg::Text(t) => flush(t, out),
                Seg::Break(kind) => out.push(Item::Break(*kind)),
            }
        }
        out.extend(p.deferred);
    }

    fn table(&mut self, out: &mut Vec<Item>, depth: usize) -> Result<(), XmlError> {
        loop {
            match self.xml.next()? {
                Ev::Start(el) => {
                    if self.too_deep(depth)? {
                        continue;
                    }
                    match (el.ns, el.local.as_str()) {
                        (Ns::W, "tr") => {
                            let mut row = Row::default();
                            self.row(&mut row, depth + 1)?;
                            finish_row(row, out);
                        }
                        (Ns::W, "tblPr" | "tblGrid" | "tblPrEx" | "sdtPr" | "sdtEndPr") => {
                            self.xml.skip()?;
                        }
                        (Ns::W, name) if skipped(name) => self.xml.skip()?,
                        // sdt, sdtContent, customXml around rows.
                        _ => self.table(out, depth + 1)?,
                    }
                }
                Ev::End | Ev::Eof => return Ok(()),
                Ev::Empty(_) | Ev::Text(_) => {}
            }
        }
    }

    fn row(&mut self, row: &mut Row, depth: usize) -> Result<(), XmlError> {
        loop {
            match self.xml.next()? {
                Ev::Start(el) => {
                    if self.too_deep(depth)? {
                        continue;
                    }
                    match (el.ns, el.local.as_str()) {
                        (Ns::W, "tc") => self.cell(row, depth + 1)?,
                        (Ns::W, "trPr") => row.deleted |= self.row_deleted()?,
                        (Ns::W, "tblPrEx" | "sdtPr" | "sdtEndPr") => self.xml.skip()?,
                        (Ns::W, name) if skipped(name) => self.xml.skip()?,
                        _ => self.row(row, depth + 1)?,
                    }
                }
                Ev::End | Ev::Eof => return Ok(()),
                Ev::Empty(_) | Ev::Text(_) => {}
            }
        }
    }

    /// Reads a run's `w:rPr`; true when it sets the run in the Symbol font.
    fn run_in_symbol_font(&mut self) -> Result<bool, XmlError> {
        let mut symbol = false;
        let mut open = 1usize;
        while open > 0 {
            match self.xml.next()? {
                Ev::Start(_) => open += 1,
                Ev::Empty(el) if el.is_w("rFonts") => {
                    symbol |= el
                        .attr("ascii")
                        .or_else(|| el.attr("hAnsi"))
                        .is_some_and(|f| f.eq_ignore_ascii_case("Symbol"));
                }
                Ev::End => open -= 1,
                Ev::Eof => break,
                Ev::Empty(_) | Ev::Text(_) => {}
            }
        }
        Ok(symbol)
    }

    /// Reads a `w:trPr`; true when it marks the row as deleted (a tracked change).
    fn row_deleted(&mut self) -> Result<bool, XmlError> {
        let mut deleted = false;
        let mut open = 1usize;
        while open > 0 {
            match self.xml.next()? {
                Ev::Start(el) => {
                    deleted |= el.is_w("del");
                    open += 1;
                }
                Ev::Empty(el) => deleted |= el.is_w("del"),
                Ev::End => open -= 1,
                Ev::Eof => break,
                Ev::Text(_) => {}
            }
        }
        Ok(deleted)
    }

    fn cell(&mut self, row: &mut Row, depth: usize) -> Result<(), XmlError> {
        let mut items = Vec::new();
        let mut continued = false;
        loop {
            match self.xml.next()? {
                Ev::Start(el) if el.is_w("tcPr") => continued |= self.cell_continues()?,
                Ev::Start(el) => {
                    if self.too_deep(depth)? {
                        continue;
                    }
                    match (el.ns, el.local.as_str()) {
                        (Ns::W, "p") => self.paragraph(&mut items, depth + 1)?,
                        (Ns::W, "tbl") => self.table(&mut items, depth + 1)?,
                        (Ns::Mc, "AlternateContent") => {
                            self.alternate(depth, |w, d| w.blocks(&mut items, d))?;
                        }
                        (Ns::W, name) if skipped(name) => self.xml.skip()?,
                        _ => self.blocks(&mut items, depth + 1)?,
                    }
                }
                Ev::End | Ev::Eof => break,
                Ev::Empty(_) | Ev::Text(_) => {}
            }
        }
        let mut texts = Vec::new();
        for item in items {
            match item {
                Item::Text { text, links, .. } => {
                    texts.push(text.replace(['\n', '\t'], " "));
                    row.links.extend(links);
                }
                Item::Break(kind) => {
                    if !row.breaks.contains(&kind) {
                        row.breaks.push(kind);
                    }
                }
            }
        }
        if !continued {
            row.cells.push(texts.join(" "));
        }
        Ok(())
    }

    /// Reads a `w:tcPr`; true when the cell continues a vertical merge.
    fn cell_continues(&mut self) -> Result<bool, XmlError> {
        let mut continues = false;
        let mut open = 1usize;
        while open > 0 {
            match self.xml.next()? {
                Ev::Start(el) => {
                    if el.is_w("vMerge") {
                        continues |= el.attr("val").is_none_or(|v| v == "continue");
                    }
                    open += 1;
                }
                Ev::Empty(el) if el.is_w("vMerge") => {
                    continues |= el.attr("val").is_none_or(|v| v == "continue");
                }
                Ev::End => open -= 1,
                Ev::Eof => break,
                Ev::Empty(_) | Ev::Text(_) => {}
            }
        }
        Ok(continues)
    }
}

fn finish_row(row: Row, out: &mut Vec<Item>) {
    if row.deleted {
        return;
    }
    out.extend(row.breaks.into_iter().map(Item::Break));
    let text = row.cells.join("\t");
    if !text.trim().is_empty() {
        out.push(Item::Text {
            text: text.trim_end().to_string(),
            heading: None,
            row: true,
            links: row.links,
        });
    }
}

/// Elements whose whole subtree is left out: deleted and moved-away text, properties,
/// field codes, comment anchors, content-control properties.
fn skipped(name: &str) -> bool {
    matches!(
        name,
        "del"
            | "moveFrom"
            | "rPr"
            | "sdtPr"
            | "sdtEndPr"
            | "delText"
            | "delInstrText"
            | "commentReference"
            | "fldData"
            | "pPrChange"
            | "rPrChange"
            | "tblGrid"
    )
}

/// The target of a `HYPERLINK "url"` field code (not `\l` bookmarks-only links).
fn field_hyperlink(code: &str) -> Option<String> {
    let rest = code.trim_start().strip_prefix("HYPERLINK")?.trim_start();
    let rest = rest.strip_prefix('"')?;
    let url = &rest[..rest.find('"')?];
    (!url.is_empty()).then(|| url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NS: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships""#;

    fn read(body: &str) -> Vec<Item> {
        let xml = format!("<w:document {NS}><w:body>{body}</w:body></w:document>");
        let styles = Styles::default();
        let mut numbering = Numbering::default();
        let links = HashMap::from([("rId9".to_string(), "https://example.org/".to_string())]);
        let mut ctx = Context {
            styles: &styles,
            numbering: &mut numbering,
            hyperlinks: &links,
            notes: Vec::new(),
        };
        let r = read_document(xml.as_bytes(), &mut ctx);
        assert_eq!(r.error, None);
        r.items
    }

    fn texts(items: &[Item]) -> Vec<&str> {
        items
            .iter()
            .filter_map(|i| match i {
                Item::Text { text, .. } => Some(text.as_str()),
                Item::Break(_) => None,
            })
            .collect()
    }

    #[test]
    fn tracked_changes_are_accepted() {
        let items = read(
            r#"<w:p><w:r><w:t xml:space="preserve">keep </w:t></w:r><w:ins><w:r><w:t>added</w:t></w:r></w:ins><w:del><w:r><w:delText>gone</w:delText></w:r></w:del><w:moveFrom><w:r><w:t>old</w:t></w:r></w:moveFrom><w:moveTo><w:r><w:t xml:space="preserve"> moved</w:t></w:r></w:moveTo></w:p>"#,
        );
        assert_eq!(texts(&items), ["keep added moved"]);
    }

    #[test]
    fn alternate_content_is_read_once() {
        let items = read(
            r#"<w:p><w:r><w:t>anchor</w:t></w:r><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><w:txbxContent><w:p><w:r><w:t>boxed</w:t></w:r></w:p></w:txbxContent></w:drawing></mc:Choice><mc:Fallback><w:pict><w:txbxContent><w:p><w:r><w:t>boxed</w:t></w:r></w:p></w:txbxContent></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>"#,
        );
        assert_eq!(texts(&items), ["anchor", "boxed"]);
    }

    #[test]
    fn tables_separate_cells_and_skip_merge_continuations() {
        let items = read(
            r#"<w:tbl><w:tblGrid><w:gridCol/></w:tblGrid>
            <w:tr><w:tc><w:tcPr><w:vMerge w:val="restart"/></w:tcPr><w:p><w:r><w:t>A</w:t></w:r></w:p></w:tc><w:tc><w:tcPr><w:gridSpan w:val="2"/></w:tcPr><w:p><w:r><w:t>B</w:t></w:r></w:p><w:p><w:r><w:t>B2</w:t></w:r></w:p></w:tc></w:tr>
            <w:tr><w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p/></w:tc><w:tc><w:p><w:r><w:t>C</w:t></w:r></w:p></w:tc></w:tr>
            <w:tr><w:trPr><w:del w:id="1"/></w:trPr><w:tc><w:p><w:r><w:t>deleted</w:t></w:r></w:p></w:tc></w:tr>
            </w:tbl>"#,
        );
        assert_eq!(texts(&items), ["A\tB B2", "C"]);
    }

    #[test]
    fn breaks_hyperlinks_and_notes() {
        let items = read(
            r#"<w:p><w:r><w:t>one</w:t><w:br w:type="page"/><w:t>two</w:t></w:r><w:hyperlink r:id="rId9"><w:r><w:t>link</w:t></w:r></w:hyperlink><w:r><w:footnoteReference w:id="3"/></w:r></w:p><w:p><w:pPr><w:pageBreakBefore/></w:pPr><w:r><w:lastRenderedPageBreak/><w:t>three</w:t></w:r></w:p>"#,
        );
        assert_eq!(
            items,
            vec![
                Item::Text {
                    text: "one".into(),
                    heading: None,
                    row: false,
                    links: vec!["https://example.org/".into()],
                },
                Item::Break(BreakKind::Explicit),
                Item::Text {
                    text: "twolink[1]".into(),
                    heading: None,
                    row: false,
                    links: vec![],
                },
                Item::Break(BreakKind::Explicit),
                Item::Break(BreakKind::Rendered),
                Item::Text {
                    text: "three".into(),
                    heading: None,
                    row: false,
                    links: vec![],
                },
            ]
        );
    }

    #[test]
    fn content_controls_and_field_results() {
        let items = read(
            r#"<w:sdt><w:sdtPr><w:alias w:val="x"/><w:placeholder><w:docPart w:val="y"/></w:placeholder></w:sdtPr><w:sdtContent><w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText>HYPERLINK "https://a.example/"</w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>shown</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p></w:sdtContent></w:sdt>"#,
        );
        assert_eq!(texts(&items), ["shown"]);
        assert!(matches!(&items[0], Item::Text { links, .. } if links == &["https://a.example/"]));
    }

    #[test]
    fn headings_from_outline_levels() {
        let items = read(
            r#"<w:p><w:pPr><w:outlineLvl w:val="1"/></w:pPr><w:r><w:t>Sub  head</w:t></w:r></w:p><w:p><w:pPr><w:pStyle w:val="Title"/></w:pPr><w:r><w:t>Top</w:t></w:r></w:p>"#,
        );
        assert!(matches!(&items[0], Item::Text { heading: Some((2, t)), .. } if t == "Sub head"));
        assert!(matches!(&items[1], Item::Text { heading: Some((1, t)), .. } if t == "Top"));
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let deep = "<w:tbl><w:tr><w:tc>".repeat(60) + &"</w:tc></w:tr></w:tbl>".repeat(60);
        let xml = format!("<w:document {NS}><w:body>{deep}</w:body></w:document>");
        let styles = Styles::default();
        let mut numbering = Numbering::default();
        let links = HashMap::new();
        let mut ctx = Context {
            styles: &styles,
            numbering: &mut numbering,
            hyperlinks: &links,
            notes: Vec::new(),
        };
        let r = read_document(xml.as_bytes(), &mut ctx);
        assert_eq!(r.error, None);
        assert!(r.skipped_nesting > 0);
    }
}
