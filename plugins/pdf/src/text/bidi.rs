//! Right-to-left text: a PDF draws Arabic and Hebrew in visual order (left to right on the
//! page), so the layout's lines come out reversed; this turns a visual line into logical
//! order with the Unicode bidirectional algorithm (the `unicode-bidi` crate).
//!
//! The algorithm maps logical order to visual order; its reordering (rule L2, reversing
//! runs of odd level, innermost first) is its own inverse for the same levels, so applying
//! it to a visual line gives the logical one. PDFBox's `PDFTextStripper` does the same with
//! `java.text.Bidi`. Units are glyphs, not characters: a glyph whose ToUnicode text has
//! several characters (a lam-alef ligature, a whole word) is already in logical order
//! inside and moves as one piece.
//!
//! Pages without a right-to-left character never get here: [`Marks::rtl`] stays false and
//! the layout's output is unchanged, byte for byte.

use unicode_bidi::{BidiClass, BidiInfo, Level, bidi_class};

/// What the layout saw of right-to-left text while building a page's words.
#[derive(Debug, Default)]
pub struct Marks {
    /// Some glyph's text holds a strong right-to-left character.
    pub rtl: bool,
    /// Byte ranges in the page's text arena of glyphs with several characters that include
    /// a right-to-left one, in arena order: each stays one unit when reordered.
    pub clusters: Vec<(usize, usize)>,
}

/// Whether `c` is a strong right-to-left character (Hebrew, Arabic, Syriac, Thaana, ...).
pub fn is_rtl(c: char) -> bool {
    matches!(bidi_class(c), BidiClass::R | BidiClass::AL)
}

impl Marks {
    /// Notes the glyph text just appended to the arena at `start..end` (not plain ASCII).
    pub fn note(&mut self, arena: &str, start: usize, end: usize) {
        let Some(text) = arena.get(start..end) else {
            return;
        };
        if !text.chars().any(is_rtl) {
            return;
        }
        self.rtl = true;
        if text.chars().nth(1).is_some() {
            self.clusters.push((start, end));
        }
    }

    /// The clusters inside arena bytes `start..end`, shifted by `to - start` (where that
    /// text lands in a line being built), appended to `out`.
    pub fn clusters_in(&self, start: usize, end: usize, to: usize, out: &mut Vec<(usize, usize)>) {
        let first = self.clusters.partition_point(|&(s, _)| s < start);
        for &(s, e) in self.clusters[first..].iter().take_while(|&&(s, _)| s < end) {
            out.push((s - start + to, e.min(end) - start + to));
        }
    }
}

/// Brackets whose glyph a right-to-left run draws mirrored (rule L4): the visual text has
/// the mirror image of the logical character.
fn mirror(c: char) -> char {
    match c {
        '(' => ')',
        ')' => '(',
        '[' => ']',
        ']' => '[',
        '{' => '}',
        '}' => '{',
        '<' => '>',
        '>' => '<',
        '«' => '»',
        '»' => '«',
        '‹' => '›',
        '›' => '‹',
        c => c,
    }
}

/// `visual`, a line in the order its glyphs stand on the page (left to right), in logical
/// order. `clusters` are byte ranges of `visual` that move as one unit (sorted, disjoint).
/// The paragraph direction is the direction of most of the line's strong characters, so
/// a Latin word inside an Arabic sentence stays inside it.
pub fn logical(visual: &str, clusters: &[(usize, usize)]) -> String {
    let (mut rtl, mut ltr) = (0usize, 0usize);
    for c in visual.chars() {
        match bidi_class(c) {
            BidiClass::R | BidiClass::AL => rtl += 1,
            BidiClass::L => ltr += 1,
            _ => {}
        }
    }
    // A glyph whose text mixes directions carries a whole run in logical order (WeasyPrint
    // maps a run's text onto its first glyph, as `pysample__habibi-rotated.pdf` does):
    // such a line is not in visual order, and reordering it would scramble it.
    let mixed = clusters.iter().any(|&(s, e)| {
        visual
            .get(s..e)
            .is_some_and(|t| t.chars().any(|c| bidi_class(c) == BidiClass::L))
    });
    if rtl == 0 || mixed {
        return visual.to_string();
    }
    let base = if rtl > ltr {
        Level::rtl()
    } else {
        Level::ltr()
    };
    let info = BidiInfo::new(visual, Some(base));
    let Some(para) = info.paragraphs.first() else {
        return visual.to_string();
    };
    let levels = info.reordered_levels(para, para.range.clone());
    // Units: each cluster, and each character outside clusters, with the level of its
    // first byte (a cluster is a glyph: one level for all of it).
    let mut units: Vec<(usize, usize)> = Vec::with_capacity(visual.len());
    let mut pending = clusters.iter().peekable();
    let mut chars = visual.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if let Some(&&(s, e)) = pending.peek()
            && s == i
            && e > s
        {
            pending.next();
            units.push((s, e));
            while chars.peek().is_some_and(|&(j, _)| j < e) {
                chars.next();
            }
            continue;
        }
        units.push((i, i + c.len_utf8()));
    }
    let unit_levels: Vec<Level> = units
        .iter()
        .map(|&(s, _)| levels.get(s).copied().unwrap_or(base))
        .collect();
    let order = BidiInfo::reorder_visual(&unit_levels);
    let mut out = String::with_capacity(visual.len());
    for i in order {
        let (Some(&(s, e)), Some(level)) = (units.get(i), unit_levels.get(i)) else {
            continue;
        };
        let text = visual.get(s..e).unwrap_or_default();
        let mut single = text.chars();
        match (single.next(), single.next()) {
            (Some(c), None) if level.is_rtl() => out.push(mirror(c)),
            _ => out.push_str(text),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn left_to_right_text_is_untouched() {
        assert_eq!(logical("Agenda item 4 (b)", &[]), "Agenda item 4 (b)");
    }

    #[test]
    fn hebrew_words_and_their_order_are_restored() {
        // "שלום עולם" ("hello world") as it stands on the page: the last word leftmost,
        // each word's letters reversed.
        assert_eq!(logical("םלוע םולש", &[]), "שלום עולם");
    }

    #[test]
    fn numbers_and_latin_keep_their_direction_inside_arabic() {
        // Logical: "العدد 42 في Python" (the number 42 in Python).
        assert_eq!(logical("Python يف 42 ددعلا", &[]), "العدد 42 في Python");
    }

    #[test]
    fn arabic_inside_an_english_line() {
        // Logical: "the word سلام means peace".
        assert_eq!(
            logical("the word مالس means peace", &[]),
            "the word سلام means peace"
        );
    }

    #[test]
    fn mirrored_brackets_are_turned_back() {
        // Logical "(مرحبا)": the right-to-left run draws the opening bracket at its right
        // end as the ")" glyph, and the closing one at its left end as "(": the glyphs,
        // mapped to the shapes they show, read "(ابحرم)" left to right.
        assert_eq!(logical("(ابحرم)", &[]), "(مرحبا)");
    }

    #[test]
    fn a_glyph_holding_both_directions_leaves_the_line_as_drawn() {
        let line = "حَبيبي habibiحَبيبي ";
        let h = line.find('h').unwrap_or(0) + 1;
        assert_eq!(logical(line, &[(0, h)]), line);
    }

    #[test]
    fn a_many_character_glyph_moves_as_one() {
        // A lam-alef ligature glyph mapped to "لا" (logical inside), then "ب": on the page
        // "ب" stands left of the ligature.
        let visual = "بلا";
        let cluster = [(2, visual.len())];
        assert_eq!(logical(visual, &cluster), "لاب");
        // Taken apart, the ligature's letters would be swapped.
        assert_eq!(logical(visual, &[]), "الب");
    }
}
