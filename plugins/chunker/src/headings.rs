//! Section starts: the headings the host knows (DOCX styles, PDF outline entries) placed in
//! the document text, plus agenda headings detected in the text itself.

use std::collections::HashMap;

use crate::document::{Document, is_space};
use crate::model::{Heading, SourcePage};

/// A section start: byte offset of the heading's first non-whitespace character.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Section {
    pub(crate) pos: usize,
    pub(crate) title: String,
}

/// Every section start, sorted by position, one per position (a known heading wins over a
/// detected one at the same place).
pub(crate) fn sections(doc: &Document, pages: &[SourcePage], headings: &[Heading]) -> Vec<Section> {
    let mut found = place_known(doc, pages, headings);
    found.extend(detect_agenda(&doc.text));
    // Stable: known headings come first, so they survive the dedup at equal positions.
    found.sort_by_key(|s| s.pos);
    found.dedup_by_key(|s| s.pos);
    found
}

/// Places known headings in the text. A heading whose page is not in the input is dropped.
fn place_known(doc: &Document, pages: &[SourcePage], headings: &[Heading]) -> Vec<Section> {
    let mut page_index: HashMap<u32, usize> = HashMap::new();
    for (i, p) in pages.iter().enumerate() {
        page_index.entry(p.number).or_insert(i);
    }
    // Headings with an offset, grouped by page and sorted, so that each page's characters
    // are walked once however many headings it has.
    let mut with_offset: Vec<(usize, u32, &Heading)> = Vec::new();
    let mut out = Vec::with_capacity(headings.len());
    let mut searchers: HashMap<usize, (PageSearch, usize)> = HashMap::new();
    for h in headings {
        let Some(&index) = page_index.get(&h.page) else {
            continue;
        };
        if let Some(offset) = h.offset {
            with_offset.push((index, offset, h));
            continue;
        }
        let (start, end) = doc.page_range(index);
        let (search, from) = searchers
            .entry(index)
            .or_insert_with(|| (PageSearch::new(&doc.text[start..end]), 0));
        let pos = match search.find(&h.title, *from) {
            Some((at, next)) => {
                *from = next;
                start + at
            }
            None => start,
        };
        push_section(&mut out, &doc.text, pos, &h.title);
    }
    with_offset.sort_by_key(|&(index, offset, _)| (index, offset));
    let mut walk: Option<(usize, std::str::CharIndices<'_>, u32, usize)> = None;
    for (index, offset, h) in with_offset {
        let (start, end) = doc.page_range(index);
        let page = &doc.text[start..end];
        if walk.as_ref().is_none_or(|w| w.0 != index) {
            walk = Some((index, page.char_indices(), 0, 0));
        }
        let Some((_, chars, seen, at)) = walk.as_mut() else {
            continue;
        };
        // Advance to character `offset` (clamped to the page end).
        while *seen < offset {
            match chars.next() {
                Some(_) => *seen += 1,
                None => break,
            }
            *at = chars.clone().next().map_or(page.len(), |(i, _)| i);
        }
        push_section(&mut out, &doc.text, start + *at, &h.title);
    }
    out
}

/// Records a section at the first non-whitespace character at or after `pos`; nothing
/// when only whitespace follows.
fn push_section(out: &mut Vec<Section>, text: &str, pos: usize, title: &str) {
    if let Some((i, _)) = text[pos..].char_indices().find(|&(_, c)| !is_space(c)) {
        out.push(Section {
            pos: pos + i,
            title: collapse(title),
        });
    }
}

/// `text` trimmed, with every whitespace run made one space.
fn collapse(text: &str) -> String {
    text.split(is_space)
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A page's text lowercased with its whitespace removed, and where each byte of that came
/// from, so a title can be found whatever its case and spacing.
struct PageSearch {
    folded: String,
    origin: Vec<usize>,
}

impl PageSearch {
    fn new(page: &str) -> Self {
        let mut folded = String::with_capacity(page.len());
        let mut origin = Vec::with_capacity(page.len());
        for (i, c) in page.char_indices().filter(|&(_, c)| !is_space(c)) {
            for l in c.to_lowercase() {
                folded.push(l);
                origin.resize(folded.len(), i);
            }
        }
        Self { folded, origin }
    }

    /// Byte offset (in the page) of the first match of `title` at or after folded offset
    /// `from`, else anywhere; with the folded offset just past the match.
    fn find(&self, title: &str, from: usize) -> Option<(usize, usize)> {
        let needle: String = title
            .chars()
            .filter(|&c| !is_space(c))
            .flat_map(char::to_lowercase)
            .collect();
        if needle.is_empty() {
            return None;
        }
        let at = self
            .folded
            .get(from..)
            .and_then(|rest| rest.find(&needle))
            .map(|i| i + from)
            .or_else(|| self.folded.find(&needle))?;
        Some((*self.origin.get(at)?, at + needle.len()))
    }
}

/// Agenda headings found line by line.
fn detect_agenda(text: &str) -> Vec<Section> {
    let mut out = Vec::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_matches(is_space);
        if !trimmed.is_empty() && is_agenda_heading(trimmed) {
            let lead = line.len() - line.trim_start_matches(is_space).len();
            out.push(Section {
                pos: line_start + lead,
                title: collapse(trimmed),
            });
        }
        line_start += line.len();
    }
    out
}

/// Words that mark an all-capitals line as an agenda or staff-report heading. Words that
/// also fill running page headers (`AGENDA`, `MINUTES`, `CITY`, `COUNCIL`) are left out.
const AGENDA_WORDS: &[&str] = &[
    "ADJOURN",
    "ADJOURNMENT",
    "ALLEGIANCE",
    "ALTERNATIVES",
    "ANALYSIS",
    "ANNOUNCEMENTS",
    "APPROVAL",
    "ATTACHMENT",
    "ATTACHMENTS",
    "BACKGROUND",
    "BUSINESS",
    "CALENDAR",
    "COMMENT",
    "COMMENTS",
    "COMMUNICATIONS",
    "CONSENT",
    "CORRESPONDENCE",
    "DISCUSSION",
    "HEARING",
    "HEARINGS",
    "IMPACT",
    "INVOCATION",
    "ORDER",
    "ORDINANCES",
    "PLEDGE",
    "PRESENTATION",
    "PRESENTATIONS",
    "PROCLAMATIONS",
    "RECESS",
    "RECOMMENDATION",
    "RECOMMENDATIONS",
    "REPORT",
    "REPORTS",
    "RESOLUTIONS",
    "ROLL",
    "SESSION",
];

/// Whether a trimmed line looks like an agenda heading. Conservative: only
/// - an enumerator then an all-capitals title: `1. CALL TO ORDER`, `A. CONSENT CALENDAR`,
///   `IV) PUBLIC HEARINGS`;
/// - a dotted item number alone or before a capitalised title: `5.A.`, `10.B.2 Budget`;
/// - `ITEM`/`Item` and an item number: `ITEM 5.A`, `Item No. 3: Budget`;
/// - an all-capitals line of at most 8 words holding an agenda word: `CONSENT CALENDAR`,
///   `PUBLIC HEARINGS`, `ADJOURNMENT`.
pub(crate) fn is_agenda_heading(line: &str) -> bool {
    let first = line.chars().next().unwrap_or(' ');
    if !(first.is_ascii_digit() || first.is_uppercase()) || line.chars().count() > 100 {
        return false;
    }
    let words: Vec<&str> = line.split(is_space).filter(|w| !w.is_empty()).collect();
    if words.len() > 14 {
        return false;
    }
    let (head, rest) = (words[0], &words[1..]);
    if is_enumerator(head) {
        return all_caps_title(rest);
    }
    if is_dotted_number(head) {
        return rest.is_empty()
            || rest[0]
                .chars()
                .next()
                .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit());
    }
    if head == "ITEM" || head == "Item" {
        let rest = match rest.first() {
            Some(&("NO." | "No." | "NO" | "No" | "#")) => &rest[1..],
            _ => rest,
        };
        return rest.first().is_some_and(|id| {
            let id = id.trim_end_matches([':', '.', ')', '-']);
            !id.is_empty()
                && id.len() <= 8
                && id.chars().any(|c| c.is_ascii_digit())
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        });
    }
    words.len() <= 8
        && all_caps_title(&words)
        && !line.ends_with(['.', ',', ';'])
        && !words.last().is_some_and(|w| CONTINUATIONS.contains(w))
        && has_agenda_word(line)
}

/// Words a heading does not end with: the line runs on into the next one.
const CONTINUATIONS: &[&str] = &[
    "A", "AN", "AND", "AT", "BY", "FOR", "IN", "OF", "ON", "OR", "THE", "TO", "WITH",
];

/// Whether an agenda word occurs outside parentheses (and the parentheses balance).
fn has_agenda_word(line: &str) -> bool {
    let mut depth = 0_i32;
    let mut outside = String::with_capacity(line.len());
    for c in line.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            _ if depth == 0 => outside.push(c),
            _ => {}
        }
        if depth < 0 {
            return false;
        }
    }
    depth == 0
        && outside
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| AGENDA_WORDS.binary_search(&w).is_ok())
}

/// `1.`, `12)`, `A.`, `B)`, `IV.`: a list enumerator with its punctuation.
fn is_enumerator(word: &str) -> bool {
    let Some(body) = word.strip_suffix(['.', ')']) else {
        return false;
    };
    let digits = !body.is_empty() && body.len() <= 3 && body.bytes().all(|b| b.is_ascii_digit());
    let letter = body.len() == 1 && body.bytes().all(|b| b.is_ascii_uppercase());
    digits || letter || is_roman(body)
}

fn is_roman(word: &str) -> bool {
    const ROMAN: &[&str] = &[
        "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV",
        "XV", "XVI", "XVII", "XVIII", "XIX", "XX",
    ];
    ROMAN.contains(&word)
}

/// `5.A`, `5.A.`, `10.B.2`, `3.1.`: digits, then one or more dot-separated parts of at most
/// three letters or digits, at least one of them a letter or the whole ending in a dot.
fn is_dotted_number(word: &str) -> bool {
    let body = word.strip_suffix('.').unwrap_or(word);
    let mut parts = body.split('.');
    let Some(lead) = parts.next() else {
        return false;
    };
    if lead.is_empty() || lead.len() > 3 || !lead.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let rest: Vec<&str> = parts.collect();
    let valid = !rest.is_empty()
        && rest
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    // "3.5" alone is a decimal number; "3.5." or "3.B" is an item number.
    valid
        && (word.ends_with('.')
            || rest
                .iter()
                .any(|p| p.bytes().any(|b| b.is_ascii_alphabetic())))
}

/// At least three letters and none of them lowercase.
fn all_caps_title(words: &[&str]) -> bool {
    let mut letters = 0;
    for c in words.iter().flat_map(|w| w.chars()) {
        if c.is_lowercase() {
            return false;
        }
        if c.is_alphabetic() {
            letters += 1;
        }
    }
    letters >= 3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agenda_words_are_sorted() {
        assert!(AGENDA_WORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn detects_agenda_headings() {
        for line in [
            "1. CALL TO ORDER",
            "2. ROLL CALL",
            "12) PUBLIC HEARINGS",
            "ITEM 5.A",
            "ITEM 5.A: Budget amendment",
            "Item No. 3",
            "5.A.",
            "5.A",
            "10.B.2 Approve the contract",
            "A. CONSENT CALENDAR",
            "IV. PUBLIC HEARINGS",
            "CONSENT CALENDAR",
            "PUBLIC HEARINGS",
            "ADJOURNMENT",
            "4. APPROVAL OF MINUTES – NONE",
            "FISCAL IMPACT",
            "PUBLIC COMMENT (3 MINUTES EACH)",
            "ADJOURNMENT:",
        ] {
            assert!(is_agenda_heading(line), "{line:?} should be a heading");
        }
    }

    #[test]
    fn ignores_prose_and_page_furniture() {
        for line in [
            "1. Begin an environmental analysis of a new right-lane street configuration",
            "3. PHONE - Toll Free: (833) 548-0276; Meeting ID: 899 6820 7828",
            "J. Manuel Herrera, Board Member",
            "A. Smith moved to approve.",
            "3.5 million dollars were spent.",
            "3.5",
            "CITY COUNCIL AGENDA",
            "CITY OF PALO ALTO",
            "MAYOR",
            "Item five was continued.",
            "The item was continued to May 5.",
            "ADJOURNMENT OF THE MEETING WAS MOVED BY THE MAYOR AND SECONDED BY COUNCILMEMBER SMITH",
            "PUBLIC HEARING,",
            "SEE ITEM 2 ON AGENDA (CLOSED SESSION)",
            "DURING NORMAL BUSINESS HOURS.",
            "HEARING TODAY))",
            "ADJOURNMENT TO",
            "consent calendar",
            "Consent Calendar",
        ] {
            assert!(!is_agenda_heading(line), "{line:?} should not be a heading");
        }
    }

    fn doc(texts: &[&str]) -> (Document, Vec<SourcePage>) {
        let pages: Vec<SourcePage> = texts
            .iter()
            .zip(1..)
            .map(|(t, number)| SourcePage {
                number,
                text: (*t).to_string(),
            })
            .collect();
        (Document::new(&pages), pages)
    }

    fn heading(title: &str, page: u32, offset: Option<u32>) -> Heading {
        Heading {
            title: title.into(),
            level: 1,
            page,
            offset,
        }
    }

    #[test]
    fn places_headings_with_offsets_in_characters() {
        let (d, pages) = doc(&["intro", "é𝔸 Budget  text"]);
        let s = sections(&d, &pages, &[heading("Budget", 2, Some(3))]);
        assert_eq!(s.len(), 1);
        assert_eq!(&d.text[s[0].pos..s[0].pos + 6], "Budget");
        // An offset on whitespace moves to the next character; past the end, it is clamped.
        let s = sections(
            &d,
            &pages,
            &[heading("x", 2, Some(2)), heading("y", 1, Some(99))],
        );
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].pos, d.text.find('é').unwrap_or(0));
        assert_eq!(s[1].pos, d.text.find("Budget").unwrap_or(0));
    }

    #[test]
    fn locates_outline_titles_ignoring_case_and_spacing() {
        let (d, pages) = doc(&["cover", "Some text.\nPUBLIC   Works\nReport", "more"]);
        let s = sections(
            &d,
            &pages,
            &[
                heading("Public works report", 2, None),
                heading("Not there", 3, None),
                heading("Missing page", 9, None),
            ],
        );
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].pos, d.text.find("PUBLIC").unwrap_or(0));
        assert_eq!(s[0].title, "Public works report");
        assert_eq!(s[1].pos, d.text.find("more").unwrap_or(0));
    }

    #[test]
    fn known_heading_wins_at_same_position() {
        let (d, pages) = doc(&["1. CALL TO ORDER\nText."]);
        let s = sections(&d, &pages, &[heading("Call to order", 1, Some(0))]);
        assert_eq!(
            s,
            vec![Section {
                pos: 0,
                title: "Call to order".into()
            }]
        );
        let s = sections(&d, &pages, &[]);
        assert_eq!(s[0].title, "1. CALL TO ORDER");
    }
}
