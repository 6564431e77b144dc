//! Section starts: the headings the host knows (DOCX styles, PDF outline entries) placed in
//! the document text, plus agenda headings detected in the text itself.

use std::collections::HashMap;

use crate::document::{Document, is_space};
use crate::model::{Heading, SourcePage};
use crate::outline::{PageSearch, SearchKey, looks_like_heading};

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

/// Places known headings in the text. A heading whose page is not in the input is dropped,
/// and so is one known only by its page (an outline entry) whose title does not look like
/// a heading or is not found on the page (see [`crate::outline`]).
fn place_known(doc: &Document, pages: &[SourcePage], headings: &[Heading]) -> Vec<Section> {
    let mut page_index: HashMap<u32, usize> = HashMap::new();
    for (i, p) in pages.iter().enumerate() {
        page_index.entry(p.number).or_insert(i);
    }
    // Headings with an offset, grouped by page and sorted, so that each page's characters
    // are walked once however many headings it has.
    let mut with_offset: Vec<(usize, u32, &Heading)> = Vec::new();
    let mut out = Vec::with_capacity(headings.len());
    let mut searchers: HashMap<usize, (PageSearch<'_>, usize)> = HashMap::new();
    for h in headings {
        let Some(&index) = page_index.get(&h.page) else {
            continue;
        };
        if let Some(offset) = h.offset {
            with_offset.push((index, offset, h));
            continue;
        }
        if !looks_like_heading(&h.title) {
            continue;
        }
        let Some(key) = SearchKey::new(&h.title) else {
            continue;
        };
        let (start, end) = doc.page_range(index);
        let (search, from) = searchers
            .entry(index)
            .or_insert_with(|| (PageSearch::new(&doc.text[start..end]), 0));
        if let Some((at, next)) = search.find(&key, *from) {
            *from = next;
            push_section(&mut out, &doc.text, start + at, &h.title);
        }
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

/// Agenda headings found line by line. A line right after one that stops mid-sentence
/// continues that sentence, so it is not a heading whatever it looks like: `...as
/// recommended. MOTION` / `CARRIED BY THE FOLLOWING ROLL CALL VOTE:`.
fn detect_agenda(text: &str) -> Vec<Section> {
    let mut out = Vec::new();
    let mut line_start = 0;
    let mut previous = "";
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_matches(is_space);
        if !trimmed.is_empty() && is_agenda_heading(trimmed) && !runs_on(previous) {
            let lead = line.len() - line.trim_start_matches(is_space).len();
            out.push(Section {
                pos: line_start + lead,
                title: collapse(trimmed),
            });
        }
        // A blank line ends any sentence.
        previous = trimmed;
        line_start += line.len();
    }
    out
}

/// Whether a trimmed line stops inside a sentence that the next line continues: it ends
/// with a comma or a word such as `AND` or `THE`, or a sentence ends inside it and the
/// words after that end unpunctuated (`... as recommended. MOTION`). A line that is all
/// one unpunctuated sentence (`Approve the minutes of the April 5 meeting`) does not
/// count: agenda item titles look like that and headings follow them.
fn runs_on(line: &str) -> bool {
    let words: Vec<&str> = line.split(is_space).filter(|w| !w.is_empty()).collect();
    let Some(last) = words.last() else {
        return false;
    };
    // A capital `A` at the end is a label (`EXHIBIT A`), not the article.
    let continues = *last != "A" && CONTINUATIONS.contains(&last.to_uppercase().as_str());
    if last.ends_with(',') || continues {
        return true;
    }
    let open_end = last.ends_with(char::is_alphanumeric);
    // Past the first word, which may be an enumerator (`XII. ITEMS REMOVED`).
    let sentence_inside = words.windows(2).skip(1).any(|w| {
        let ended = w[0].strip_suffix(['.', '!', '?']).is_some_and(|word| {
            word.chars().filter(|c| c.is_alphabetic()).count() >= 3
                && word.chars().all(char::is_alphabetic)
        });
        ended && w[1].starts_with(char::is_uppercase)
    });
    open_end && sentence_inside
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
        let Some((raw, title)) = rest.split_first() else {
            return false;
        };
        let id = raw.trim_end_matches([':', '.', ')', '-']);
        // `Item 4 was continued`: an item number running on into lowercase prose.
        let prose = id.len() == raw.len()
            && title
                .first()
                .is_some_and(|w| w.starts_with(char::is_lowercase));
        return !id.is_empty()
            && id.len() <= 8
            && id.chars().any(|c| c.is_ascii_digit())
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            && !prose;
    }
    words.len() <= 8
        && all_caps_title(&words)
        && !line.ends_with(['.', ',', ';'])
        && !words.last().is_some_and(|w| CONTINUATIONS.contains(w))
        && has_agenda_word(line)
}

/// Words a heading does not end with: the line runs on into the next one.
const CONTINUATIONS: &[&str] = &[
    "A", "AN", "AND", "AT", "BY", "FOR", "IN", "OF", "ON", "OR", "THAT", "THE", "TO", "WITH",
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
            "Item 4 was continued to May 5.",
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
                heading("Missing page", 9, None),
            ],
        );
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].pos, d.text.find("PUBLIC").unwrap_or(0));
        assert_eq!(s[0].title, "Public works report");
    }

    /// Positions and titles of the sections of `pages` with `outline` (title, page) as
    /// headings known only by their page.
    fn placed(pages: &[&str], outline: &[(&str, u32)]) -> Vec<(usize, String)> {
        let (d, pages) = doc(pages);
        let known: Vec<Heading> = outline.iter().map(|&(t, p)| heading(t, p, None)).collect();
        place_known(&d, &pages, &known)
            .into_iter()
            .map(|s| (s.pos, s.title))
            .collect()
    }

    #[test]
    fn outline_title_not_in_the_text_is_dropped_not_put_at_the_page_start() {
        // Before: "Budget Amendments" went to offset 0, so the preamble got its name.
        let page = "Welcome and introductions by the chair.\nThe board met at noon.";
        assert_eq!(placed(&[page], &[("Budget Amendments", 1)]), vec![]);
    }

    #[test]
    fn cut_outline_title_is_placed_by_its_prefix() {
        let page = "Preamble text of the notice.\n\n1. PUBLIC HEARING: SECOND READING AND \
                    ADOPTION BY REFERENCE OF THE\n2022 LOS ANGELES COUNTY BUILDING CODES; \
                    TOGETHER WITH LOCAL AMENDMENTS\nStaff recommends adoption.";
        let title = "1. PUBLIC HEARING: SECOND READING AND ADOPTION BY REFERENCE OF THE 2022 \
                     LOS ANGELES COUNTY BUILDING CODES; TOGETHER WITH...";
        let s = placed(&[page], &[(title, 1)]);
        assert_eq!(
            s,
            vec![(page.find("1. PUBLIC").unwrap_or(0), title.to_string())]
        );
        // Cut in the middle of a word.
        let s = placed(
            &[page],
            &[(
                "1. Public Hearing: Second Reading and Adoption by Ref...",
                1,
            )],
        );
        assert_eq!(s.first().map(|s| s.0), page.find("1. PUBLIC"));
        // Nothing but an ellipsis and a letter: nothing to find.
        assert_eq!(placed(&[page], &[("...f...", 1)]), vec![]);
    }

    #[test]
    fn file_names_and_table_rows_are_not_sections() {
        let page = "Conduit Meeting Notice 2020-December v5 clean_ (2)\nAIDS Taskforce of \
                    Greater Cleveland $ 177,965.00\nFood Bank 52,000.00\nTotal 229,965.00";
        let outline = [
            ("Conduit Meeting Notice 2020-December v5 clean_ (2)", 1),
            ("AIDS Taskforce of Greater Cleveland $ 177,965.00", 1),
            ("Food Bank 52,000.00", 1),
        ];
        assert_eq!(placed(&[page], &outline), vec![]);
    }

    #[test]
    fn real_outline_titles_stay_sections() {
        let pages = [
            "C I T Y   O F   G A R D E N A\nPLANNING COMMISSION\nA G E N D A\nTUESDAY, \
             November 1, 2022",
            "The item on Warrants is below.\nWarrants\nList of warrants.\nITEM 5.A\n\
             Award contract in the amount of $125,000",
        ];
        let outline = [
            ("CITY OF GARDENA", 1),
            ("A G E N D A", 1),
            ("TUESDAY, November 1, 2022", 1),
            ("Warrants", 2),
            ("ITEM 5.A", 2),
            ("Award contract in the amount of $125,000", 2),
        ];
        let (d, _) = doc(&pages);
        let s = placed(&pages, &outline);
        let at = |needle: &str| d.text.find(needle).unwrap_or(usize::MAX);
        let positions: Vec<usize> = s.iter().map(|s| s.0).collect();
        assert_eq!(
            positions,
            vec![
                0,
                at("A G E N D A"),
                at("TUESDAY"),
                // The line that starts with the title, not the mention before it.
                at("Warrants\nList"),
                at("ITEM 5.A"),
                at("Award contract"),
            ]
        );
    }

    #[test]
    fn all_caps_continuation_of_a_sentence_is_not_a_heading() {
        let text = "Commissioner Perez moved and Chair Ramirez seconded to approve the consent \
                    calendar as recommended. MOTION\nCARRIED BY THE FOLLOWING ROLL CALL VOTE:\n\
                    AYES: Commissioners Davis and Perez\n\
                    The motion was made by Councilmember Lee, seconded by Councilmember Kim,\n\
                    AND CARRIED BY ROLL CALL VOTE\n";
        let titles: Vec<String> = detect_agenda(text).into_iter().map(|s| s.title).collect();
        assert_eq!(titles, Vec::<String>::new());
        // On its own line, or after a finished sentence, the same words are a heading.
        let text = "The consent calendar was approved.\nROLL CALL VOTE:\n";
        let titles: Vec<String> = detect_agenda(text).into_iter().map(|s| s.title).collect();
        assert_eq!(titles, vec!["ROLL CALL VOTE:"]);
    }

    #[test]
    fn headings_after_titles_labels_and_headings_are_kept() {
        let text = "CITY COUNCIL AGENDA\n1. CALL TO ORDER\n2. ROLL CALL\n\
                    3. Approve the minutes of the April 5 meeting\nCONSENT CALENDAR\n\
                    EXHIBIT A\nPUBLIC HEARINGS\nItem 4 was continued to May 5.\nITEM 5.A\n\
                    VII. NEW BUSINESS\nSTAFF REPORTS\n\
                    5.B. Approve the contract\nADJOURNMENT\n";
        let titles: Vec<String> = detect_agenda(text).into_iter().map(|s| s.title).collect();
        assert_eq!(
            titles,
            vec![
                "1. CALL TO ORDER",
                "2. ROLL CALL",
                "CONSENT CALENDAR",
                "PUBLIC HEARINGS",
                "ITEM 5.A",
                "VII. NEW BUSINESS",
                "STAFF REPORTS",
                "5.B. Approve the contract",
                "ADJOURNMENT",
            ]
        );
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
