//! The document text (pages joined with `\n`) and the maps from byte offsets to pages and
//! to character offsets.
//!
//! Internally every offset is a byte offset into the joined text, always on a character
//! boundary; character offsets (Unicode scalar values, as Python counts) are computed once,
//! at the end, by counting forward.

use crate::model::SourcePage;

/// Whitespace as Python's `str.isspace` sees it: Unicode `White_Space` plus the four
/// information separators U+001C..U+001F, which Python also treats as whitespace.
pub(crate) fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// The joined text and where each page lies in it.
pub(crate) struct Document {
    pub(crate) text: String,
    /// Byte offset of each page's first character, in page order.
    starts: Vec<usize>,
    numbers: Vec<u32>,
}

impl Document {
    pub(crate) fn new(pages: &[SourcePage]) -> Self {
        let len = pages.iter().map(|p| p.text.len() + 1).sum::<usize>();
        let mut text = String::with_capacity(len);
        let mut starts = Vec::with_capacity(pages.len());
        for (i, page) in pages.iter().enumerate() {
            if i > 0 {
                text.push('\n');
            }
            starts.push(text.len());
            text.push_str(&page.text);
        }
        Self {
            text,
            starts,
            numbers: pages.iter().map(|p| p.number).collect(),
        }
    }

    /// Index (into the page list) of the page holding the byte at `pos`. The `\n` joining
    /// page `i` and page `i + 1` is reported as page `i`; callers only ask about it for a
    /// chunk made of whitespace alone.
    fn page_index(&self, pos: usize) -> usize {
        self.starts.partition_point(|&s| s <= pos).saturating_sub(1)
    }

    /// Page number of the byte at `pos`.
    pub(crate) fn page_number(&self, pos: usize) -> u32 {
        self.numbers.get(self.page_index(pos)).copied().unwrap_or(0)
    }

    /// Byte range of page `index` (into the page list).
    pub(crate) fn page_range(&self, index: usize) -> (usize, usize) {
        let start = self.starts.get(index).copied().unwrap_or(self.text.len());
        let end = self
            .starts
            .get(index + 1)
            .map_or(self.text.len(), |&next| next - 1);
        (start, end)
    }

    /// Pages of the first and last non-whitespace characters of `[start, end)`, or of its
    /// first character when it is all whitespace.
    pub(crate) fn pages_of(&self, start: usize, end: usize) -> (u32, u32) {
        let slice = &self.text[start..end];
        let first = slice.char_indices().find(|&(_, c)| !is_space(c));
        let last = slice.char_indices().rev().find(|&(_, c)| !is_space(c));
        match (first, last) {
            (Some((f, _)), Some((l, _))) => {
                (self.page_number(start + f), self.page_number(start + l))
            }
            _ => {
                let p = self.page_number(start);
                (p, p)
            }
        }
    }
}

/// Converts increasing byte offsets into character offsets by counting forward, so a
/// sequence of calls costs one pass over the text.
pub(crate) struct CharCounter<'a> {
    bytes: &'a [u8],
    byte: usize,
    chars: usize,
}

impl<'a> CharCounter<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Self {
            bytes: text.as_bytes(),
            byte: 0,
            chars: 0,
        }
    }

    /// Character offset of byte offset `pos`, which must not be below the previous one
    /// (a smaller one restarts the count from 0).
    pub(crate) fn at(&mut self, pos: usize) -> usize {
        if pos < self.byte {
            self.byte = 0;
            self.chars = 0;
        }
        let end = pos.min(self.bytes.len());
        // Every byte that is not a UTF-8 continuation byte starts a character.
        self.chars += self.bytes[self.byte..end]
            .iter()
            .filter(|&&b| (b & 0xC0) != 0x80)
            .count();
        self.byte = end;
        self.chars
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pages(texts: &[&str]) -> Vec<SourcePage> {
        texts
            .iter()
            .enumerate()
            .map(|(i, t)| SourcePage {
                number: u32::try_from(i).unwrap_or(0) + 1,
                text: (*t).to_string(),
            })
            .collect()
    }

    #[test]
    fn joins_pages_with_newline() {
        let doc = Document::new(&pages(&["ab", "", "cd"]));
        assert_eq!(doc.text, "ab\n\ncd");
        assert_eq!(doc.page_range(0), (0, 2));
        assert_eq!(doc.page_range(1), (3, 3));
        assert_eq!(doc.page_range(2), (4, 6));
        assert_eq!(doc.page_number(0), 1);
        assert_eq!(doc.page_number(4), 3);
    }

    #[test]
    fn page_range_ignores_joining_newline_and_whitespace() {
        let doc = Document::new(&pages(&["one  ", "  two"]));
        // "one  \n  two": the chunk "  \n  two" starts on page 1 in bytes but its first
        // non-whitespace character is on page 2.
        assert_eq!(doc.pages_of(3, doc.text.len()), (2, 2));
        assert_eq!(doc.pages_of(0, 6), (1, 1));
        assert_eq!(doc.pages_of(0, doc.text.len()), (1, 2));
    }

    #[test]
    fn char_counter_counts_scalar_values() {
        let text = "aé𝔸b";
        let mut c = CharCounter::new(text);
        assert_eq!(c.at(0), 0);
        assert_eq!(c.at(1), 1);
        assert_eq!(c.at(3), 2);
        assert_eq!(c.at(7), 3);
        assert_eq!(c.at(8), 4);
        assert_eq!(c.at(1), 1);
    }

    #[test]
    fn python_whitespace() {
        assert!(is_space('\u{1f}'));
        assert!(is_space('\u{a0}'));
        assert!(is_space('\u{2028}'));
        assert!(!is_space('\u{200b}'));
        assert!(!is_space('x'));
    }
}
