//! Turns positioned glyphs into reading-order text: glyphs -> words (in drawing order, split
//! at spaces and gaps) -> lines (by baseline) -> text, close to `pdftotext`'s default mode.
//!
//! Everything here is `O(n log n)` in the number of glyphs: words are built in one pass and
//! lines by sorting, so a page with 100k glyphs costs milliseconds.

use std::rc::Rc;

use super::bidi::{self, Marks};

/// A glyph as the interpreter saw it, in default user space.
pub struct RawGlyph {
    /// Unicode text; `None` (or empty) when it could not be determined. Shared with the
    /// font's table, as a page draws the same few hundred texts hundreds of thousands of
    /// times.
    pub text: Option<Rc<str>>,
    /// Start of the glyph on its baseline.
    pub origin: (f64, f64),
    /// End of its advance (origin + width along the baseline).
    pub end: (f64, f64),
    /// The font-size vector pointing "up" from the baseline.
    pub up: (f64, f64),
}

// The thresholds follow poppler's `TextOutputDev` (what `pdftotext` does), as fractions of
// the font size, so that words break where the reference extractor breaks them.

/// A gap wider than this ends the word being built in drawing order.
const WORD_BREAK_GAP: f64 = 0.1;
/// Going back further than this (overlap) also ends it.
const WORD_BREAK_OVERLAP: f64 = 0.2;
/// Baselines further apart than this (in points, not a fraction) end it too.
const WORD_BASELINE_DELTA: f64 = 0.5;
/// A glyph starting this close to the previous one on the same baseline is a duplicate
/// (fake bold): it gets a word of its own so that duplicate removal can drop it.
const DUP_PRIMARY: f64 = 0.1;
const DUP_SECONDARY: f64 = 0.2;
/// Words whose baselines differ by at most this share a line (super/subscripts).
const LINE_BASELINE_DELTA: f64 = 0.5;
/// Words whose font sizes differ by more than this fraction of the larger are not on one
/// line.
const LINE_SIZE_DELTA: f64 = 0.6;
/// Words further apart than this along a line are in different columns.
const MAX_WORD_SPACING: f64 = 1.5;
/// A narrower gap is a column gutter when the lines right above and below have no word
/// across it either (poppler builds column blocks; this is the cheap equivalent).
const MIN_GUTTER: f64 = 0.5;
/// Lines further apart than this (in font sizes) are not neighbours for gutter detection.
const GUTTER_LINE_SPACING: f64 = 2.0;
/// Within a line, a gap of at least this is a space...
const MIN_SPACE: f64 = 0.03;
/// ...unless every word is a single character (letter-spaced text such as "C I T Y"):
/// then the threshold is this multiple of the smallest gap, capped at `MAX_WIDE_SPACE`.
const WIDE_SPACE_MUL: f64 = 1.3;
const MAX_WIDE_SPACE: f64 = 0.4;
/// A line ending in a hyphen joins the first word of the next line of its paragraph when
/// that line starts within this many font sizes below it.
const HYPHEN_LINE_SPACING: f64 = 1.5;

/// A glyph in its reading frame: `u` runs along the baseline, `v` grows down the page.
struct Placed {
    rot: u8,
    u0: f64,
    u1: f64,
    v: f64,
    size: f64,
}

/// A word; its text is `start..end` of the page's text arena (one buffer for all words of
/// a page rather than a string each).
#[derive(Clone, Copy)]
struct Word {
    start: usize,
    end: usize,
    chars: usize,
    rot: u8,
    u0: f64,
    u1: f64,
    /// Start of the last glyph, for duplicate detection.
    last_u0: f64,
    v: f64,
    size: f64,
}

/// Maps a point into the reading frame of rotation `rot` (quarter turns counter-clockwise).
fn frame(rot: u8, (x, y): (f64, f64)) -> (f64, f64) {
    match rot {
        1 => (y, x),
        2 => (-x, y),
        3 => (-y, -x),
        _ => (x, -y),
    }
}

fn place(g: &RawGlyph) -> Placed {
    // The rotation comes from the glyph's "up" direction, as poppler takes it from the font
    // matrix: the advance can be zero or point backwards.
    let (ux, uy) = g.up;
    let rot = if uy.abs() >= ux.abs() {
        if uy >= 0.0 { 0 } else { 2 }
    } else if ux <= 0.0 {
        1
    } else {
        3
    };
    let (u0, v) = frame(rot, g.origin);
    let (u1, _) = frame(rot, g.end);
    let size = ux.hypot(uy).max(0.01);
    Placed {
        rot,
        u0: u0.min(u1),
        u1: u0.max(u1),
        v,
        size,
    }
}

/// Whether a glyph's text only separates words.
fn is_space(text: &str) -> bool {
    !text.is_empty() && text.chars().all(char::is_whitespace)
}

/// Appends `text` minus control characters, with ligatures spelled out; returns the
/// number of characters appended. Right-to-left text is noted in `marks`.
fn push_clean(out: &mut String, text: &str, marks: &mut Marks) -> usize {
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        // Printable ASCII (nearly every glyph) passes through unchanged.
        out.push_str(text);
        return text.len();
    }
    let before = out.len();
    for c in text.chars() {
        match c {
            '\u{FB00}' => out.push_str("ff"),
            '\u{FB01}' => out.push_str("fi"),
            '\u{FB02}' => out.push_str("fl"),
            '\u{FB03}' => out.push_str("ffi"),
            '\u{FB04}' => out.push_str("ffl"),
            '\u{FB05}' | '\u{FB06}' => out.push_str("st"),
            c if c.is_control() => {}
            c if c.is_whitespace() => out.push(' '),
            c => out.push(c),
        }
    }
    marks.note(out, before, out.len());
    out[before..].chars().count()
}

/// Builds the page text from glyphs. `page_box` is `(x0, y0, x1, y1)` in default user
/// space; glyphs entirely outside it are dropped, as `pdftotext` drops them.
pub fn layout(glyphs: &[RawGlyph], page_box: (f64, f64, f64, f64)) -> String {
    let mut arena = String::new();
    let mut marks = Marks::default();
    let words = dedup(
        build_words(glyphs, page_box, &mut arena, &mut marks),
        &arena,
    );
    build_lines(words, &arena, &marks)
}

fn outside(g: &RawGlyph, (x0, y0, x1, y1): (f64, f64, f64, f64)) -> bool {
    let xs = [g.origin.0, g.end.0, g.origin.0 + g.up.0];
    let ys = [g.origin.1, g.end.1, g.origin.1 + g.up.1];
    let (gx0, gx1) = xs
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    let (gy0, gy1) = ys
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    gx1 < x0 || gx0 > x1 || gy1 < y0 || gy0 > y1
}

/// Groups glyphs into words in drawing order.
fn build_words(
    glyphs: &[RawGlyph],
    page_box: (f64, f64, f64, f64),
    arena: &mut String,
    marks: &mut Marks,
) -> Vec<Word> {
    let mut words: Vec<Word> = Vec::new();
    let mut current: Option<Word> = None;
    let mut last_overlap = false;
    for g in glyphs {
        if outside(g, page_box) {
            continue;
        }
        let text = g.text.as_deref().unwrap_or("");
        if is_space(text) {
            words.extend(current.take());
            continue;
        }
        let p = place(g);
        if let Some(w) = current.as_ref() {
            let gap = p.u0 - w.u1;
            let base = (p.v - w.v).abs();
            let overlap =
                (p.u0 - w.last_u0).abs() < DUP_PRIMARY * w.size && base < DUP_SECONDARY * w.size;
            let size_changed = (p.size - w.size).abs() > 1e-3 * w.size;
            if overlap
                || last_overlap
                || p.rot != w.rot
                || gap < -WORD_BREAK_OVERLAP * w.size
                || gap > WORD_BREAK_GAP * w.size
                || base > WORD_BASELINE_DELTA
                || size_changed
            {
                words.extend(current.take());
            }
            last_overlap = overlap;
        } else {
            last_overlap = false;
        }
        if text.is_empty() {
            // Unmapped: nothing to show, but it still occupies its place.
            if let Some(w) = current.as_mut() {
                w.u1 = w.u1.max(p.u1);
            }
            continue;
        }
        match current.as_mut() {
            Some(w) => {
                w.chars += push_clean(arena, text, marks);
                w.end = arena.len();
                w.u1 = w.u1.max(p.u1);
                w.last_u0 = p.u0;
            }
            None => {
                let start = arena.len();
                let chars = push_clean(arena, text, marks);
                current = Some(Word {
                    start,
                    end: arena.len(),
                    chars,
                    rot: p.rot,
                    u0: p.u0,
                    u1: p.u1,
                    last_u0: p.u0,
                    v: p.v,
                    size: p.size,
                });
            }
        }
    }
    words.extend(current);
    words.retain(|w| !arena[w.start..w.end].trim().is_empty());
    words
}

/// Drops words drawn twice at (almost) the same place: fake bold, drop shadows.
fn dedup(mut words: Vec<Word>, arena: &str) -> Vec<Word> {
    // Cells of the duplicate tolerance, so that each word is compared with a handful of
    // neighbours only (dot leaders put thousands of equal words on one line). The text is
    // compared, not hashed: a cell rarely holds more than one word.
    #[allow(clippy::cast_possible_truncation)]
    let cell = |w: &Word| -> (i64, i64) {
        (
            (w.u0 / (DUP_PRIMARY * w.size)).floor() as i64,
            (w.v / (DUP_SECONDARY * w.size)).floor() as i64,
        )
    };
    // Each cell holds the last word put in it, and each word the one put in its cell
    // before it: a list per cell without an allocation per cell (nearly one per word).
    let mut seen: foldhash::HashMap<(u8, i64, i64), usize> = foldhash::HashMap::default();
    seen.reserve(words.len());
    let mut before: Vec<usize> = vec![usize::MAX; words.len()];
    let mut keep = vec![true; words.len()];
    for (i, w) in words.iter().enumerate() {
        let (cu, cv) = cell(w);
        let mut duplicate = false;
        'search: for du in -1..=1 {
            for dv in -1..=1 {
                let Some(&head) = seen.get(&(w.rot, cu + du, cv + dv)) else {
                    continue;
                };
                let mut j = head;
                while let Some(o) = words.get(j) {
                    let next = before[j];
                    j = next;
                    if arena[o.start..o.end] == arena[w.start..w.end]
                        && (o.u0 - w.u0).abs() < DUP_PRIMARY * o.size
                        && (o.u1 - w.u1).abs() < DUP_PRIMARY * o.size
                        && (o.v - w.v).abs() < DUP_SECONDARY * o.size
                    {
                        duplicate = true;
                        break 'search;
                    }
                }
            }
        }
        if duplicate {
            keep[i] = false;
        } else if let Some(previous) = seen.insert((w.rot, cu, cv), i) {
            before[i] = previous;
        }
    }
    drop(seen);
    let mut kept = keep.into_iter();
    words.retain(|_| kept.next().unwrap_or(true));
    words
}

/// A run of words on one baseline with no column-sized gap inside.
struct Fragment {
    text: String,
    rot: u8,
    u0: f64,
    u1: f64,
    v: f64,
    size: f64,
}

/// The page text: words grouped into lines, lines split into fragments at column gaps,
/// hyphenated words joined, all spelled into one string.
fn build_lines(mut words: Vec<Word>, arena: &str, marks: &Marks) -> String {
    // Rotations in order of how much text they hold, the page's main direction first.
    let mut per_rot = [0usize; 4];
    for w in &words {
        per_rot[usize::from(w.rot & 3)] += w.end - w.start;
    }
    let mut rot_order: [u8; 4] = [0, 1, 2, 3];
    rot_order.sort_by_key(|&r| std::cmp::Reverse(per_rot[usize::from(r)]));
    // Each rotation's place in that order, looked up per comparison below.
    let mut rank = [0usize; 4];
    for (place, &r) in rot_order.iter().enumerate() {
        rank[usize::from(r)] = place;
    }
    let rank = |rot: u8| rank[usize::from(rot & 3)];
    words.sort_by(|a, b| {
        rank(a.rot)
            .cmp(&rank(b.rot))
            .then(a.v.total_cmp(&b.v))
            .then(a.u0.total_cmp(&b.u0))
    });

    // Lines: a word joins an open line whose baseline is within reach and whose font size
    // is compatible (a superscript joins its line; a big heading beside small text does
    // not swallow the small lines next to it).
    let mut line_of: Vec<usize> = Vec::with_capacity(words.len());
    let mut anchors: Vec<(u8, f64, f64)> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    for w in &words {
        open.retain(|&l| {
            let (rot, v, size) = anchors[l];
            rot == w.rot && w.v - v <= LINE_BASELINE_DELTA * size / (1.0 - LINE_SIZE_DELTA)
        });
        let found = open.iter().copied().find(|&l| {
            let (_, v, size) = anchors[l];
            let big = size.max(w.size);
            (size - w.size).abs() < LINE_SIZE_DELTA * big
                && (w.v - v).abs() <= LINE_BASELINE_DELTA * big
        });
        if let Some(l) = found {
            line_of.push(l);
        } else {
            open.push(anchors.len());
            line_of.push(anchors.len());
            anchors.push((w.rot, w.v, w.size));
        }
    }
    // The words line after line (a counting sort, which keeps their order above within a
    // line), then each line sorted left to right: a vector per line cost more than this.
    let mut bounds: Vec<usize> = vec![0; anchors.len() + 1];
    for &l in &line_of {
        bounds[l + 1] += 1;
    }
    for l in 0..anchors.len() {
        bounds[l + 1] += bounds[l];
    }
    let mut next = bounds.clone();
    let mut slots: Vec<Option<Word>> = vec![None; words.len()];
    for (w, &l) in words.iter().zip(&line_of) {
        slots[next[l]] = Some(*w);
        next[l] += 1;
    }
    let mut sorted_words: Vec<Word> = slots.into_iter().flatten().collect();
    for pair in bounds.windows(2) {
        sorted_words[pair[0]..pair[1]].sort_by(|a, b| a.u0.total_cmp(&b.u0));
    }
    let sorted: Vec<&[Word]> = bounds
        .windows(2)
        .map(|pair| &sorted_words[pair[0]..pair[1]])
        .filter(|line| !line.is_empty())
        .collect();
    // Every line's fragments in one vector, `spans[i]` the range of line `i`.
    let mut frags: Vec<Fragment> = Vec::with_capacity(sorted.len());
    let mut spans: Vec<(usize, usize)> = Vec::with_capacity(sorted.len());
    for (i, line) in sorted.iter().enumerate() {
        let near = |j: usize| {
            sorted.get(j).copied().filter(|other| {
                other[0].rot == line[0].rot
                    && (other[0].v - line[0].v).abs() <= GUTTER_LINE_SPACING * line[0].size
            })
        };
        let above = i.checked_sub(1).and_then(near);
        let below = near(i + 1);
        let start = frags.len();
        fragments(line, above, below, arena, marks, &mut frags);
        spans.push((start, frags.len()));
    }
    dehyphenate(&mut frags, &spans);
    // Fragments joined by spaces, lines by newlines; empty ones left out.
    let mut out = String::with_capacity(arena.len() + arena.len() / 4);
    for &(start, end) in &spans {
        let mut first = true;
        for f in &frags[start..end] {
            if f.text.is_empty() {
                continue;
            }
            if first {
                if !out.is_empty() {
                    out.push('\n');
                }
                first = false;
            } else {
                out.push(' ');
            }
            out.push_str(&f.text);
        }
    }
    out
}

/// Splits a sorted line at column-sized gaps and spells each piece out, placing spaces
/// the way poppler's line coalescing does.
fn fragments(
    line: &[Word],
    above: Option<&[Word]>,
    below: Option<&[Word]>,
    arena: &str,
    marks: &Marks,
    out: &mut Vec<Fragment>,
) {
    let mut start = 0;
    while start < line.len() {
        let size = line[start].size;
        let mut end = start + 1;
        let mut right = line[start].u1;
        while end < line.len() {
            let gap = line[end].u0 - right;
            // Justified columns end at the same place give or take rounding: a neighbour's
            // word must reach well into the gap to bridge it.
            let (a, b) = (right + 0.1 * size, line[end].u0 - 0.1 * size);
            let gutter = gap > MIN_GUTTER * size
                && (above.is_some() || below.is_some())
                && !above.is_some_and(|l| spans(l, a, b))
                && !below.is_some_and(|l| spans(l, a, b));
            if gap > MAX_WORD_SPACING * size || gutter {
                break;
            }
            right = right.max(line[end].u1);
            end += 1;
        }
        out.push(fragment_text(&line[start..end], arena, marks));
        start = end;
    }
}

/// Whether some word of `line` (sorted by `u0`) covers part of the open interval `(a, b)`.
fn spans(line: &[Word], a: f64, b: f64) -> bool {
    // Words starting before `b`; only the ones reaching past `a` cover the gap. Words are
    // short, so looking back a few from the last one starting before `b` suffices.
    let idx = line.partition_point(|w| w.u0 < b);
    line[..idx].iter().rev().take(8).any(|w| w.u1 > a)
}

fn fragment_text(words: &[Word], arena: &str, marks: &Marks) -> Fragment {
    let first = &words[0];
    let single_chars = words.len() > 1 && words.iter().all(|w| w.chars == 1);
    let mut threshold = MIN_SPACE * first.size;
    if single_chars {
        let min_gap = words
            .windows(2)
            .map(|p| p[1].u0 - p[0].u1)
            .fold(f64::MAX, f64::min);
        if min_gap > 0.0 {
            threshold = (WIDE_SPACE_MUL * min_gap).min(MAX_WIDE_SPACE * first.size);
        }
    }
    // Sized for the words and a space between each: built without regrowing.
    let len = words.iter().map(|w| w.end - w.start + 1).sum();
    let mut text = String::with_capacity(len);
    let mut right = first.u1;
    // Glyphs of several characters with right-to-left text, as ranges of `text`.
    let mut clusters = Vec::new();
    for (i, w) in words.iter().enumerate() {
        if i > 0 && w.u0 - right >= threshold {
            text.push(' ');
        }
        if marks.rtl {
            marks.clusters_in(w.start, w.end, text.len(), &mut clusters);
        }
        text.push_str(&arena[w.start..w.end]);
        right = right.max(w.u1);
    }
    if marks.rtl {
        // Words are in the order they stand on the page: right-to-left runs read backwards.
        text = bidi::logical(&text, &clusters);
    }
    let u1 = words.iter().map(|w| w.u1).fold(f64::MIN, f64::max);
    Fragment {
        text,
        rot: first.rot,
        u0: first.u0,
        u1,
        v: first.v,
        size: first.size,
    }
}

/// Joins a word broken by a hyphen at the end of a line with its rest on the next line, as
/// `pdftotext` does: "Medium-" + "Density" -> "MediumDensity" ... and "R7-" + "Medium"
/// -> "R7Medium". The rest is moved up onto the hyphenated line.
fn dehyphenate(frags: &mut [Fragment], lines: &[(usize, usize)]) {
    for (i, &(line_start, line_end)) in lines.iter().enumerate() {
        for f in line_start..line_end {
            let frag = &frags[f];
            if !frag.text.ends_with('-') || frag.text.len() < 2 {
                continue;
            }
            let (rot, v, u0, u1, size) = (frag.rot, frag.v, frag.u0, frag.u1, frag.size);
            // The next fragment below, overlapping this one along the baseline.
            let mut target = None;
            'below: for &(start, end) in lines.iter().skip(i + 1) {
                let line = &frags[start..end];
                let Some(first) = line.first() else { continue };
                let top = line.iter().map(|g| g.v).fold(f64::MAX, f64::min);
                if first.rot != rot || top - v > HYPHEN_LINE_SPACING * size {
                    break;
                }
                for (k, g) in line.iter().enumerate() {
                    if g.u0 < u1
                        && g.u1 > u0
                        && g.v > v
                        && g.v - v <= HYPHEN_LINE_SPACING * size
                        && (g.size - size).abs() <= 0.05 * size
                    {
                        target = Some(start + k);
                        break 'below;
                    }
                }
            }
            let Some(t) = target else { continue };
            let next = &mut frags[t];
            let (head, rest) = match next.text.split_once(' ') {
                Some((h, r)) => (h.to_string(), r.to_string()),
                None => (next.text.clone(), String::new()),
            };
            next.text = rest;
            let frag = &mut frags[f];
            frag.text.pop();
            frag.text.push_str(&head);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Glyphs of `text` at `x`, baseline `y`, size 10, each 5 wide.
    fn run(text: &str, x: f64, y: f64) -> Vec<RawGlyph> {
        text.chars()
            .enumerate()
            .map(|(i, c)| {
                #[allow(clippy::cast_precision_loss)]
                let x = x + 5.0 * i as f64;
                RawGlyph {
                    text: Some(Rc::from(c.to_string())),
                    origin: (x, y),
                    end: (x + 5.0, y),
                    up: (0.0, 10.0),
                }
            })
            .collect()
    }

    const PAGE: (f64, f64, f64, f64) = (0.0, 0.0, 612.0, 792.0);

    #[test]
    fn spaces_from_gaps_and_space_glyphs() {
        let mut g = run("ab", 10.0, 700.0);
        g.extend(run("cd", 22.0, 700.0)); // gap of 2 = 0.2 em
        g.extend(run(" ef", 42.0, 700.0));
        g.extend(run("gh", 57.5, 700.0)); // gap of 0.5 = 0.05 em: same word
        assert_eq!(layout(&g, PAGE), "ab cd efgh");
    }

    #[test]
    fn lines_top_to_bottom_and_out_of_order_drawing() {
        let mut g = run("world", 45.0, 680.0);
        g.extend(run("hello", 10.0, 700.0));
        g.extend(run("second", 10.0, 680.0));
        assert_eq!(layout(&g, PAGE), "hello\nsecond world");
    }

    #[test]
    fn duplicates_and_offpage_text_dropped() {
        let mut g = run("Bold", 10.0, 700.0);
        g.extend(run("Bold", 10.5, 700.0));
        g.extend(run("hidden", 10.0, -100.0));
        assert_eq!(layout(&g, PAGE), "Bold");
    }

    #[test]
    fn rotated_text_reads_along_its_baseline() {
        // Baseline pointing up the page (rotated 90 degrees counter-clockwise).
        let g: Vec<RawGlyph> = "up"
            .chars()
            .enumerate()
            .map(|(i, c)| {
                #[allow(clippy::cast_precision_loss)]
                let y = 100.0 + 5.0 * i as f64;
                RawGlyph {
                    text: Some(Rc::from(c.to_string())),
                    origin: (50.0, y),
                    end: (50.0, y + 5.0),
                    up: (-10.0, 0.0),
                }
            })
            .collect();
        assert_eq!(layout(&g, PAGE), "up");
    }

    /// Hebrew drawn in logical order, each glyph left of the one before (as producers that
    /// position glyphs one by one do), words apart by a gap without a space glyph.
    #[test]
    fn right_to_left_drawn_glyph_by_glyph() {
        let mut g = Vec::new();
        let mut x = 300.0_f64;
        for c in "שלום עולם".chars() {
            if c == ' ' {
                x -= 3.0;
                continue;
            }
            let w = 5.5613;
            // Rounding leaves hairline gaps between the glyphs: no spaces from them.
            x -= w + 1e-9;
            g.push(RawGlyph {
                text: Some(Rc::from(c.to_string())),
                origin: (x, 700.0),
                end: (x + w, 700.0),
                up: (0.0, 10.0),
            });
        }
        assert_eq!(layout(&g, PAGE), "שלום עולם");
    }

    #[test]
    fn ligatures_expand_and_controls_vanish() {
        let mut s = String::new();
        push_clean(&mut s, "\u{FB01}x\u{0}\u{A0}y", &mut Marks::default());
        assert_eq!(s, "fix y");
    }
}
