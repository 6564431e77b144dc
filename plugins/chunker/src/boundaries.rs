//! Split points of the document text, by level of preference.
//!
//! A split point is the byte offset of the first character of a unit. Apart from section
//! starts (which are wherever a heading starts) every split point is a non-whitespace
//! character preceded by whitespace, so the whitespace between two units always ends the
//! unit before it. Each point is filed under the highest level it belongs to; a point of a
//! level is a point of every lower level too.

use crate::document::is_space;

/// Heading starts.
pub(crate) const SECTION: usize = 0;
/// After a blank line (a gap holding two or more `\n`), when paragraphs are respected.
pub(crate) const PARAGRAPH: usize = 1;
/// After a sentence end (see [`ends_sentence`]) followed by a capital, a digit or an
/// opening quote; and after a blank line when paragraphs are not respected.
pub(crate) const SENTENCE: usize = 2;
/// After a line break. Below sentences: extracted text wraps lines mid-sentence, so a line
/// break only splits a sentence that is too long on its own.
pub(crate) const LINE: usize = 3;
/// After any whitespace.
pub(crate) const WORD: usize = 4;
/// Between any two characters (never inside one).
pub(crate) const CHAR: usize = 5;

/// Split points per level (exclusive: each point under its highest level), sorted.
pub(crate) struct Boundaries {
    levels: [Vec<u32>; CHAR],
    len: usize,
}

impl Boundaries {
    /// Finds every split point of `text`. `sections` are sorted heading starts. No point
    /// lies at or before the first non-whitespace character: the first unit of every level
    /// takes the leading whitespace.
    pub(crate) fn new(text: &str, sections: &[usize], respect_paragraphs: bool) -> Self {
        let mut levels: [Vec<u32>; CHAR] = Default::default();
        let first = text
            .char_indices()
            .find(|&(_, c)| !is_space(c))
            .map_or(text.len(), |(i, _)| i);
        levels[SECTION] = sections
            .iter()
            .filter(|&&p| p > first)
            .map(|&p| offset(p))
            .collect();
        levels[SECTION].dedup();

        let mut next_section = 0;
        let mut in_gap = false;
        let mut gap_start = 0;
        let mut newlines = 0;
        let mut word_start = first;
        let mut word_at_line_start = true;
        for (i, c) in text.char_indices() {
            if is_space(c) {
                if !in_gap {
                    in_gap = true;
                    gap_start = i;
                    newlines = 0;
                }
                if c == '\n' {
                    newlines += 1;
                }
                continue;
            }
            if !in_gap {
                continue;
            }
            in_gap = false;
            if i <= first {
                continue;
            }
            while levels[SECTION]
                .get(next_section)
                .is_some_and(|&p| (p as usize) < i)
            {
                next_section += 1;
            }
            let is_section = levels[SECTION]
                .get(next_section)
                .is_some_and(|&p| p as usize == i);
            let level = if is_section {
                None
            } else if newlines >= 2 {
                Some(if respect_paragraphs {
                    PARAGRAPH
                } else {
                    SENTENCE
                })
            } else if starts_sentence(c)
                && ends_sentence(&text[word_start..gap_start], word_at_line_start)
            {
                Some(SENTENCE)
            } else if newlines == 1 {
                Some(LINE)
            } else {
                Some(WORD)
            };
            if let Some(level) = level {
                levels[level].push(offset(i));
            }
            word_start = i;
            word_at_line_start = newlines > 0;
        }
        Self {
            levels,
            len: text.len(),
        }
    }

    /// The first split point after `pos` of level `level` or higher, or the text end.
    pub(crate) fn next(&self, text: &str, pos: usize, level: usize) -> usize {
        if level >= CHAR {
            return text[pos..]
                .chars()
                .next()
                .map_or(self.len, |c| pos + c.len_utf8());
        }
        self.levels[..=level]
            .iter()
            .filter_map(|points| {
                let i = points.partition_point(|&p| p as usize <= pos);
                points.get(i).map(|&p| p as usize)
            })
            .min()
            .unwrap_or(self.len)
            .min(self.len)
    }

    /// The highest level `pos` is a split point of; the text end counts as a section end.
    pub(crate) fn level_at(&self, pos: usize) -> usize {
        if pos >= self.len {
            return SECTION;
        }
        let Ok(p) = u32::try_from(pos) else {
            return CHAR;
        };
        self.levels
            .iter()
            .position(|points| points.binary_search(&p).is_ok())
            .unwrap_or(CHAR)
    }

    /// The points filed under `level`.
    #[cfg(test)]
    pub(crate) fn points(&self, level: usize) -> Vec<usize> {
        self.levels[level].iter().map(|&p| p as usize).collect()
    }
}

/// Offsets are stored as `u32`: the input limit keeps the text far below 4 GiB.
#[allow(clippy::cast_possible_truncation)]
fn offset(pos: usize) -> u32 {
    pos as u32
}

/// Whether a sentence may start with `c`: a capital, a digit or an opening quote/bracket.
fn starts_sentence(c: char) -> bool {
    c.is_uppercase() || c.is_ascii_digit() || matches!(c, '"' | '\'' | '“' | '‘' | '(' | '[')
}

/// Abbreviations after which a period does not end a sentence (compared lowercased).
const ABBREVIATIONS: &[&str] = &[
    "approx", "ave", "blvd", "capt", "cf", "col", "dept", "dr", "gen", "gov", "hon", "jr", "lt",
    "mr", "mrs", "ms", "mt", "no", "nos", "ord", "p", "pp", "prof", "rep", "res", "sec", "sen",
    "sgt", "sq", "sr", "st", "vs",
];

/// Whether the word `word` (a run of non-whitespace) ends a sentence: it ends in `.`, `?`
/// or `!`, possibly followed by closing quotes or brackets, and a final period is not that
/// of an abbreviation (`No.`, `Mr.`, `Dr.`, `St.`, `vs.`, ...), an initial (`J.`), an
/// initialism (`e.g.`, `i.e.`, `U.S.`, `p.m.`) or a list enumerator opening a line
/// (`1.`, `A.`, `IV.`, `5.A.`). Decimals (`3.5`) never qualify: no whitespace follows
/// their period.
pub(crate) fn ends_sentence(word: &str, at_line_start: bool) -> bool {
    let word = word.trim_end_matches(['"', '\'', ')', ']', '”', '’']);
    if word.ends_with(['?', '!']) {
        return true;
    }
    let Some(body) = word.strip_suffix('.') else {
        return false;
    };
    let body = body.trim_start_matches(['"', '\'', '(', '[', '“', '‘']);
    if body.is_empty() || body.ends_with('.') {
        return true;
    }
    let mut chars = body.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        // A single capital is an initial; a single digit or letter opening a line is an
        // enumerator.
        return !(c.is_uppercase() || at_line_start);
    }
    let lower = body.to_lowercase();
    if ABBREVIATIONS.binary_search(&lower.as_str()).is_ok() {
        return false;
    }
    let initialism = body.contains('.')
        && body
            .split('.')
            .all(|p| (1..=2).contains(&p.chars().count()) && p.chars().all(char::is_alphabetic));
    if initialism {
        return false;
    }
    let enumerator = body.len() <= 6
        && (body
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric()))
            && body.bytes().next().is_some_and(|b| b.is_ascii_digit())
            || body.bytes().all(|b| matches!(b, b'I' | b'V' | b'X')));
    !(at_line_start && enumerator)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviations_are_sorted() {
        assert!(ABBREVIATIONS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn sentence_ends() {
        for (word, line_start) in [
            ("done.", false),
            ("done?", false),
            ("done!", false),
            ("done.\"", false),
            ("(done.)", false),
            ("etc...", false),
            ("2.", false),
            ("2023.", false),
            ("Now.", true),
        ] {
            assert!(ends_sentence(word, line_start), "{word:?}");
        }
        for (word, line_start) in [
            ("No.", false),
            ("Mr.", false),
            ("Dr.", false),
            ("St.", false),
            ("e.g.", false),
            ("i.e.", false),
            ("vs.", false),
            ("J.", false),
            ("U.S.", false),
            ("p.m.", false),
            ("3.5", false),
            ("done", false),
            ("1.", true),
            ("12.", true),
            ("A.", true),
            ("IV.", true),
            ("5.A.", true),
        ] {
            assert!(!ends_sentence(word, line_start), "{word:?}");
        }
    }

    fn at(text: &str, points: &[usize]) -> Vec<String> {
        points
            .iter()
            .map(|&p| {
                text[p..]
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn levels_of_split_points() {
        let text =
            "  Intro one. Two\nthree Mr. Smith.\n\nPara two? Yes 3.5 x.\n1. CALL TO ORDER\nEnd";
        let heading = text.find("1. CALL").unwrap_or(0);
        let b = Boundaries::new(text, &[0, heading], true);
        assert_eq!(at(text, &b.points(SECTION)), ["1."]);
        assert_eq!(at(text, &b.points(PARAGRAPH)), ["Para"]);
        assert_eq!(at(text, &b.points(SENTENCE)), ["Two", "Yes"]);
        assert_eq!(at(text, &b.points(LINE)), ["three", "End"]);
        assert_eq!(
            at(text, &b.points(WORD)),
            [
                "one.", "Mr.", "Smith.", "two?", "3.5", "x.", "CALL", "TO", "ORDER"
            ]
        );
        assert_eq!(b.level_at(text.find("Para").unwrap_or(0)), PARAGRAPH);
        assert_eq!(b.level_at(1), CHAR);
        assert_eq!(b.level_at(text.len()), SECTION);
        // Without paragraphs, a blank line is a sentence boundary.
        let b = Boundaries::new(text, &[], false);
        assert_eq!(at(text, &b.points(SENTENCE)), ["Two", "Para", "Yes", "1."]);
        assert!(b.points(PARAGRAPH).is_empty());
    }

    #[test]
    fn next_respects_levels_and_char_boundaries() {
        let text = "A b. C d\n\nE 𝔸";
        let b = Boundaries::new(text, &[], true);
        let e = text.find('E').unwrap_or(0);
        assert_eq!(b.next(text, 0, PARAGRAPH), e);
        assert_eq!(b.next(text, 0, SENTENCE), text.find('C').unwrap_or(0));
        assert_eq!(b.next(text, e, PARAGRAPH), text.len());
        let astral = text.find('𝔸').unwrap_or(0);
        assert_eq!(b.next(text, astral, CHAR), text.len());
    }
}
