//! CMap parsing: codespace ranges (how a byte string splits into codes), `bfchar`/`bfrange`
//! (code -> Unicode, for ToUnicode maps) and `cidchar`/`cidrange` (code -> CID, for
//! embedded encoding CMaps).

use std::rc::Rc;

use super::lexer::{Lexer, Operand, Operation};

/// Ranges wider than this stay ranges instead of being expanded into the code table.
const EXPAND_LIMIT: u32 = 256;
/// Entries kept per CMap, so a hostile map cannot allocate without bound.
const MAX_ENTRIES: usize = 200_000;

/// One codespace range: codes of `len` bytes whose every byte lies in `lo[i]..=hi[i]`.
#[derive(Clone, Debug)]
pub struct Codespace {
    pub len: usize,
    pub lo: [u8; 4],
    pub hi: [u8; 4],
}

impl Codespace {
    fn matches(&self, bytes: &[u8]) -> bool {
        bytes.len() >= self.len
            && (0..self.len).all(|i| self.lo[i] <= bytes[i] && bytes[i] <= self.hi[i])
    }
}

/// Splits `bytes` into `(code, byte length)` pairs according to `spaces`. A byte sequence
/// that matches no range takes the shortest length any range has (as the PDF reference
/// recommends), so decoding always moves forward.
pub fn split_codes(spaces: &[Codespace], bytes: &[u8], out: &mut Vec<(u32, usize)>) {
    let fallback = spaces.iter().map(|s| s.len).min().unwrap_or(1).max(1);
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        let len = (1..=4)
            .find(|&n| spaces.iter().any(|s| s.len == n && s.matches(rest)))
            .unwrap_or(fallback)
            .min(rest.len());
        out.push((code_value(&rest[..len]), len));
        i += len;
    }
}

pub fn code_value(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .take(4)
        .fold(0u32, |acc, &b| (acc << 8) | u32::from(b))
}

/// What a code maps to in a range.
#[derive(Clone, Debug)]
enum RangeTarget {
    /// UTF-16 string whose last unit is incremented by `code - lo`.
    Utf16(Vec<u16>),
    /// One entry per code.
    Array(Vec<String>),
    /// CID `base + code - lo`.
    Cid(u32),
}

#[derive(Clone, Debug)]
struct Range {
    lo: u32,
    hi: u32,
    target: RangeTarget,
}

/// A parsed CMap (ToUnicode or encoding CMap).
#[derive(Clone, Debug, Default)]
pub struct CMap {
    pub codespaces: Vec<Codespace>,
    /// Shared with every glyph drawn from it, so a glyph's text costs no allocation.
    unicode: foldhash::HashMap<u32, Rc<str>>,
    cids: foldhash::HashMap<u32, u32>,
    ranges: Vec<Range>,
    /// Name given to `usecmap`, resolved by the caller (only predefined names matter).
    pub use_cmap: Option<Vec<u8>>,
    /// Whether the CMap says it writes vertically (`/WMode 1`).
    pub vertical: bool,
}

pub fn utf16_to_string(units: &[u16]) -> String {
    char::decode_utf16(units.iter().copied())
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

fn utf16_units(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks(2)
        .map(|c| match c {
            [h, l] => u16::from(*h) << 8 | u16::from(*l),
            [l] => u16::from(*l),
            _ => 0,
        })
        .collect()
}

fn int_of(obj: &Operand) -> Option<u32> {
    match *obj {
        Operand::Integer(i) => u32::try_from(i).ok(),
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Operand::Real(r) if r >= 0.0 => Some(r as u32),
        _ => None,
    }
}

impl CMap {
    /// Parses CMap source text. Never fails: what cannot be understood is skipped.
    pub fn parse(data: &[u8]) -> CMap {
        let mut cmap = CMap::default();
        let mut lexer = Lexer::with_operand_limit(data, 3 * 10_000);
        let mut entries = 0usize;
        let mut last_name: Option<Vec<u8>> = None;
        while let Some(op) = lexer.next_operation() {
            let bytes_of = |o: &Operand| op.string(o);
            match op.operator {
                b"endcodespacerange" => {
                    for pair in op.operands.chunks(2) {
                        if let [lo, hi] = pair {
                            cmap.add_codespace(&op, lo, hi);
                        }
                    }
                }
                b"endbfchar" => {
                    for pair in op.operands.chunks(2) {
                        let [src, dst] = pair else { continue };
                        let Some(src) = bytes_of(src) else { continue };
                        if entries >= MAX_ENTRIES {
                            break;
                        }
                        let text = match (op.string(dst), op.name(dst)) {
                            (Some(d), _) => utf16_to_string(&utf16_units(d)),
                            (None, Some(n)) => String::from_utf8_lossy(n).into_owned(),
                            (None, None) => continue,
                        };
                        cmap.unicode.insert(code_value(src), Rc::from(text));
                        entries += 1;
                    }
                }
                b"endbfrange" => {
                    for triple in op.operands.chunks(3) {
                        let [lo, hi, dst] = triple else { continue };
                        let (Some(lo), Some(hi)) = (bytes_of(lo), bytes_of(hi)) else {
                            continue;
                        };
                        let (lo, hi) = (code_value(lo), code_value(hi));
                        if hi < lo {
                            continue;
                        }
                        let target = match (op.string(dst), op.array(dst)) {
                            (Some(d), _) => RangeTarget::Utf16(utf16_units(d)),
                            (None, Some(items)) => RangeTarget::Array(
                                items
                                    .iter()
                                    .map(|o| {
                                        bytes_of(o)
                                            .map(|b| utf16_to_string(&utf16_units(b)))
                                            .unwrap_or_default()
                                    })
                                    .collect(),
                            ),
                            (None, None) => continue,
                        };
                        cmap.add_range(lo, hi, target, &mut entries);
                    }
                }
                b"endcidchar" => {
                    for pair in op.operands.chunks(2) {
                        if let [src, cid] = pair
                            && let (Some(src), Some(cid)) = (bytes_of(src), int_of(cid))
                            && entries < MAX_ENTRIES
                        {
                            cmap.cids.insert(code_value(src), cid);
                            entries += 1;
                        }
                    }
                }
                b"endcidrange" => {
                    for triple in op.operands.chunks(3) {
                        if let [lo, hi, cid] = triple
                            && let (Some(lo), Some(hi), Some(cid)) =
                                (bytes_of(lo), bytes_of(hi), int_of(cid))
                        {
                            let (lo, hi) = (code_value(lo), code_value(hi));
                            if hi >= lo {
                                cmap.add_range(lo, hi, RangeTarget::Cid(cid), &mut entries);
                            }
                        }
                    }
                }
                b"usecmap" => {
                    if let Some(n) = op.operands.last().and_then(|o| op.name(o)) {
                        cmap.use_cmap = Some(n.to_vec());
                    } else if let Some(n) = last_name.take() {
                        cmap.use_cmap = Some(n);
                    }
                }
                b"def" => {
                    if let [k, Operand::Integer(1)] = op.operands
                        && op.name(k) == Some(b"WMode")
                    {
                        cmap.vertical = true;
                    }
                }
                _ => {}
            }
            if let Some(n) = op.operands.last().and_then(|o| op.name(o)) {
                last_name = Some(n.to_vec());
            }
        }
        cmap.ranges.sort_by_key(|r| r.lo);
        cmap
    }

    fn add_codespace(&mut self, op: &Operation<'_>, lo: &Operand, hi: &Operand) {
        let (Some(lo), Some(hi)) = (op.string(lo), op.string(hi)) else {
            return;
        };
        let len = lo.len().min(hi.len());
        if len == 0 || len > 4 || self.codespaces.len() >= 64 {
            return;
        }
        let mut space = Codespace {
            len,
            lo: [0; 4],
            hi: [0; 4],
        };
        space.lo[..len].copy_from_slice(&lo[..len]);
        space.hi[..len].copy_from_slice(&hi[..len]);
        self.codespaces.push(space);
    }

    fn add_range(&mut self, lo: u32, hi: u32, target: RangeTarget, entries: &mut usize) {
        if *entries >= MAX_ENTRIES {
            return;
        }
        if hi - lo < EXPAND_LIMIT {
            for code in lo..=hi {
                match &target {
                    RangeTarget::Cid(base) => {
                        self.cids.insert(code, base.saturating_add(code - lo));
                    }
                    _ => {
                        if let Some(text) = range_text(&target, code - lo) {
                            self.unicode.insert(code, Rc::from(text));
                        }
                    }
                }
            }
            *entries += (hi - lo + 1) as usize;
        } else {
            self.ranges.push(Range { lo, hi, target });
            *entries += 1;
        }
    }

    /// Unicode text for `code`, if the map has an entry for it.
    pub fn unicode(&self, code: u32) -> Option<Rc<str>> {
        if let Some(s) = self.unicode.get(&code) {
            return Some(Rc::clone(s));
        }
        self.find_range(code)
            .and_then(|r| range_text(&r.target, code - r.lo))
            .map(Rc::from)
    }

    /// CID for `code` (encoding CMaps).
    pub fn cid(&self, code: u32) -> Option<u32> {
        if let Some(c) = self.cids.get(&code) {
            return Some(*c);
        }
        self.find_range(code).and_then(|r| match r.target {
            RangeTarget::Cid(base) => Some(base.saturating_add(code - r.lo)),
            _ => None,
        })
    }

    fn find_range(&self, code: u32) -> Option<&Range> {
        // Ranges are sorted by `lo`; the wide ones kept here are few, so walk back from the
        // last range starting at or before `code`.
        let idx = self.ranges.partition_point(|r| r.lo <= code);
        self.ranges[..idx].iter().rev().find(|r| code <= r.hi)
    }

    /// Every code -> CID entry, for the table generator (`tables_gen.rs`).
    #[cfg(test)]
    pub fn cid_entries(&self) -> Vec<(u32, u32)> {
        let mut out: Vec<(u32, u32)> = self.cids.iter().map(|(&c, &cid)| (c, cid)).collect();
        for r in &self.ranges {
            if let RangeTarget::Cid(base) = r.target {
                out.extend((r.lo..=r.hi).map(|c| (c, base.saturating_add(c - r.lo))));
            }
        }
        out
    }

    /// True when the map holds no code -> Unicode entry at all.
    pub fn has_unicode(&self) -> bool {
        !self.unicode.is_empty()
            || self
                .ranges
                .iter()
                .any(|r| !matches!(r.target, RangeTarget::Cid(_)))
    }
}

fn range_text(target: &RangeTarget, offset: u32) -> Option<String> {
    match target {
        RangeTarget::Utf16(units) => {
            let mut units = units.clone();
            let last = units.last_mut()?;
            let bumped = u32::from(*last).checked_add(offset)?;
            if bumped > 0xffff {
                // Overflowing the last unit: the range crossed a UTF-16 boundary, which
                // producers write to mean "continue counting in code points".
                let base = utf16_to_string(&units);
                let cp = base.chars().last().map(u32::from)? + offset;
                return char::from_u32(cp).map(String::from);
            }
            #[allow(clippy::cast_possible_truncation)]
            {
                *last = bumped as u16;
            }
            Some(utf16_to_string(&units))
        }
        RangeTarget::Array(items) => items.get(offset as usize).cloned(),
        RangeTarget::Cid(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TO_UNICODE: &[u8] = b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap
/CMapName /Adobe-Identity-UCS def /CMapType 2 def
1 begincodespacerange <0000> <FFFF> endcodespacerange
2 beginbfchar <0003> <0020> <0011> <00660069> endbfchar
2 beginbfrange <0024> <0026> <0041> <0100> <0102> [<0061> <0062> <D83DDE00>]
endbfrange
1 beginbfrange <1000> <2000> <4E00> endbfrange
endcmap CMapName currentdict /CMap defineresource pop end end";

    #[test]
    fn maps_bfchar_and_bfrange() {
        let cmap = CMap::parse(TO_UNICODE);
        assert_eq!(cmap.unicode(3).as_deref(), Some(" "));
        assert_eq!(cmap.unicode(0x11).as_deref(), Some("fi"));
        assert_eq!(cmap.unicode(0x25).as_deref(), Some("B"));
        assert_eq!(cmap.unicode(0x101).as_deref(), Some("b"));
        assert_eq!(cmap.unicode(0x102).as_deref(), Some("\u{1F600}"));
        assert_eq!(cmap.unicode(0x1001).as_deref(), Some("\u{4E01}"));
        assert_eq!(cmap.unicode(0x2001), None);
        assert_eq!(cmap.codespaces.len(), 1);
        assert!(cmap.has_unicode());
    }

    #[test]
    fn splits_mixed_width_codes() {
        let cmap = CMap::parse(
            b"2 begincodespacerange <00> <80> <8140> <9FFC> endcodespacerange
1 begincidrange <8140> <817e> 633 endcidrange 1 begincidchar <41> 34 endcidchar",
        );
        let mut out = Vec::new();
        split_codes(&cmap.codespaces, b"A\x81\x41B", &mut out);
        assert_eq!(out, vec![(0x41, 1), (0x8141, 2), (0x42, 1)]);
        assert_eq!(cmap.cid(0x8141), Some(634));
        assert_eq!(cmap.cid(0x41), Some(34));
    }

    #[test]
    fn garbage_is_harmless() {
        let cmap = CMap::parse(
            b"begincodespacerange <> <FFFFFFFFFF> endcodespacerange \
            beginbfrange <0010> <0001> <0041> <00> <FFFFFFFF> <FFFF> endbfrange",
        );
        assert!(cmap.codespaces.is_empty());
        // The inverted range is dropped; the huge one is kept as a range, not expanded.
        assert!(cmap.unicode.is_empty() && cmap.ranges.len() == 1);
        let mut out = Vec::new();
        split_codes(&[], b"ab", &mut out);
        assert_eq!(out.len(), 2);
    }
}
