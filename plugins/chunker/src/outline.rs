//! Headings known only by their page (PDF outline entries): whether a title looks like a
//! heading at all, and where on its page it starts.
//!
//! Outline entries are not always headings. Word turns bookmarks into entries, so a
//! table row (`AIDS Taskforce of Greater Cleveland $ 177,965.00`) can be one; tools that
//! merge PDFs add one per merged file, titled with its file name; long titles are cut and
//! end in `...`. An entry becomes a section only when its title looks like a heading and
//! is found on its page, whole or by a long enough prefix; otherwise it is dropped, since
//! a section placed where its heading is not would name chunks that come before it.

use crate::document::is_space;

/// Whether an outline title looks like a heading: it has a letter, and it is neither a
/// file name nor a table row.
pub(crate) fn looks_like_heading(title: &str) -> bool {
    let words: Vec<&str> = title.split(is_space).filter(|w| !w.is_empty()).collect();
    title.chars().any(char::is_alphabetic) && !is_file_name(&words) && !is_table_row(title, &words)
}

/// Extensions that end a file name used as a bookmark title.
const EXTENSIONS: &[&str] = &[
    "csv", "doc", "docm", "docx", "htm", "html", "jpeg", "jpg", "msg", "odt", "pdf", "png", "ppt",
    "pptx", "rtf", "tif", "tiff", "txt", "xls", "xlsm", "xlsx",
];

/// `Exhibit A.pdf`, `Notice 2020-December v5 clean_ (2)`: a file extension at the end, a
/// word ending in an underscore (where a file name had a character it could not keep), or
/// a version tag such as `v5` as a word of its own. Other underscores are left alone: a
/// manual's entries name identifiers (`adjacent_find`, `The class error_code`), and a
/// file name that is not in the page text is dropped anyway.
fn is_file_name(words: &[&str]) -> bool {
    let underscore = words.iter().any(|w| w.ends_with('_'));
    let extension = words.last().is_some_and(|w| {
        w.rsplit_once('.').is_some_and(|(stem, ext)| {
            !stem.is_empty() && EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str())
        })
    });
    let version = words.iter().any(|w| {
        w.strip_prefix('v')
            .is_some_and(|n| (1..=3).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()))
    });
    underscore || extension || version
}

/// Words after which an amount ends a title's sentence rather than a table row:
/// `Award contract in the amount of $125,000`.
const AMOUNT_LEADS: &[&str] = &[
    "about",
    "above",
    "amount",
    "at",
    "below",
    "by",
    "exceed",
    "exceeding",
    "for",
    "from",
    "of",
    "over",
    "than",
    "to",
    "totaling",
    "totalling",
    "under",
    "up",
    "with",
];

/// A table row made a bookmark: a tab between cells; a dollar sign standing apart from
/// its amount, as accounting-formatted cells print it (`$ 177,965.00`); two amounts or
/// more; or a title ending in an amount that follows a name rather than a word such as
/// `of` or `for`.
fn is_table_row(title: &str, words: &[&str]) -> bool {
    if title.contains('\t') {
        return true;
    }
    let detached_dollar = words
        .windows(2)
        .any(|w| w[0] == "$" && w[1].starts_with(|c: char| c.is_ascii_digit()));
    let amounts = words.iter().filter(|w| is_amount(w)).count();
    let trailing_amount = match words {
        [.., before, last] if is_amount(last) => {
            let lead = before.trim_end_matches(|c: char| !c.is_alphanumeric());
            let connector = lead.chars().all(char::is_lowercase)
                || AMOUNT_LEADS.contains(&lead.to_lowercase().as_str());
            !connector
        }
        _ => false,
    };
    detached_dollar || amounts >= 2 || trailing_amount
}

/// `$125`, `$1,250.00`, `177,965.00`: a dollar amount, or a number with thousands
/// separators (a year or an item number has none).
fn is_amount(word: &str) -> bool {
    let (dollar, body) = match word.strip_prefix('$') {
        Some(rest) => (true, rest),
        None => (false, word),
    };
    let body = body.trim_end_matches(['.', ',', ';']);
    let (whole, cents) = body.split_once('.').unwrap_or((body, ""));
    if !cents.bytes().all(|b| b.is_ascii_digit()) || cents.len() > 2 {
        return false;
    }
    let groups: Vec<&str> = whole.split(',').collect();
    let digits = |g: &str| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit());
    let grouped = groups.len() > 1
        && groups.first().is_some_and(|g| digits(g) && g.len() <= 3)
        && groups.iter().skip(1).all(|g| digits(g) && g.len() == 3);
    grouped || (dollar && groups.len() == 1 && groups.iter().all(|g| digits(g)))
}

/// Shortest prefix (in folded bytes) an entry not found whole may be placed by.
const MIN_PREFIX: usize = 12;

/// What is looked for on the page: a title folded (lowercased, whitespace removed) and cut
/// at its first ellipsis, since the text ends there.
pub(crate) struct SearchKey {
    folded: String,
    /// The title was cut (`...` or `…`): a match need not end at a word end.
    truncated: bool,
}

impl SearchKey {
    /// `None` when nothing searchable is left (a title that starts with an ellipsis).
    pub(crate) fn new(title: &str) -> Option<Self> {
        let folded = fold(title);
        let cut = [folded.find("..."), folded.find('…')]
            .into_iter()
            .flatten()
            .min();
        let (folded, truncated) = match cut {
            Some(at) => (folded[..at].to_string(), true),
            None => (folded, false),
        };
        (!folded.is_empty()).then_some(Self { folded, truncated })
    }
}

/// `text` lowercased, without whitespace, with quotes and dashes made plain.
fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().filter(|&c| !is_space(c)) {
        out.extend(c.to_lowercase().map(plain));
    }
    out
}

/// Quotes and dashes in one spelling: a title typed with `` `main' `` or `"` names the
/// text's `‘main’` or `“`, and a hyphen its en dash.
fn plain(c: char) -> char {
    match c {
        '`' | '´' | '‘' | '’' | '‚' | '‛' | '′' => '\'',
        '“' | '”' | '„' | '‟' | '″' => '"',
        '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' => '-',
        _ => c,
    }
}

/// A page's text folded like a [`SearchKey`], and where each byte of that came from.
pub(crate) struct PageSearch<'a> {
    page: &'a str,
    folded: String,
    origin: Vec<usize>,
    /// Folded offsets of the first character of each line, ascending.
    line_starts: Vec<usize>,
}

impl<'a> PageSearch<'a> {
    pub(crate) fn new(page: &'a str) -> Self {
        let mut folded = String::with_capacity(page.len());
        let mut origin = Vec::with_capacity(page.len());
        let mut line_starts = Vec::new();
        let mut new_line = true;
        for (i, c) in page.char_indices() {
            if is_space(c) {
                new_line |= c == '\n';
                continue;
            }
            if std::mem::take(&mut new_line) {
                line_starts.push(folded.len());
            }
            for l in c.to_lowercase() {
                folded.push(plain(l));
                origin.resize(folded.len(), i);
            }
        }
        Self {
            page,
            folded,
            origin,
            line_starts,
        }
    }

    /// Where `key` starts on the page (a byte offset into it), and the folded offset just
    /// past the match, for the next search to start from.
    ///
    /// A match starts at a word start, and ends at a word end unless the title was cut.
    /// The whole key is preferred, else the longest prefix of at least half the key and
    /// [`MIN_PREFIX`] bytes; among equals, one at or after folded offset `from` (outline
    /// entries come in page order), then one that starts a line, then the first.
    pub(crate) fn find(&self, key: &SearchKey, from: usize) -> Option<(usize, usize)> {
        let whole = key.folded.len();
        let mut min = whole.div_ceil(2).max(MIN_PREFIX).min(whole);
        while !key.folded.is_char_boundary(min) {
            min += 1;
        }
        let probe = key.folded.get(..min)?;
        // Longer first, then at or after `from`, then at a line start; ties keep the first.
        type Rank = (std::cmp::Reverse<usize>, bool, bool);
        let mut best: Option<(Rank, usize, usize)> = None;
        for (at, _) in self.folded.match_indices(probe) {
            if !self.word_start(at) {
                continue;
            }
            let mut len = common_prefix(&self.folded[at..], &key.folded);
            if len == whole && !key.truncated && !self.word_end(at + len) {
                // `Art` inside `Article`: a prefix at best.
                len = self.folded[..at + len]
                    .char_indices()
                    .next_back()
                    .map_or(0, |(i, _)| i - at);
            }
            if len < min {
                continue;
            }
            let line_start = self.line_start(at);
            let rank = (std::cmp::Reverse(len), at < from, !line_start);
            if best.as_ref().is_none_or(|b| rank < b.0) {
                best = Some((rank, at, len));
            }
            if len == whole && at >= from && line_start {
                break; // nothing later ranks higher
            }
        }
        let (_, at, len) = best?;
        Some((*self.origin.get(at)?, at + len))
    }

    /// Whether folded offset `at` starts a word: its character does not continue a word
    /// of letters or digits right before it in the page.
    fn word_start(&self, at: usize) -> bool {
        let Some(&i) = self.origin.get(at) else {
            return false;
        };
        let before = self.page[..i].chars().next_back();
        let this = self.page[i..].chars().next();
        !(before.is_some_and(char::is_alphanumeric) && this.is_some_and(char::is_alphanumeric))
    }

    /// Whether folded offset `end` (just past a match) ends a word in the page.
    fn word_end(&self, end: usize) -> bool {
        let last = end.checked_sub(1).and_then(|i| self.origin.get(i));
        let (Some(&last), Some(&next)) = (last, self.origin.get(end)) else {
            return true; // the page ends
        };
        if next == last {
            return false; // inside one character's lowercase expansion
        }
        let last_char = self.page[last..].chars().next();
        let following = self.page[last..].chars().nth(1);
        !(last_char.is_some_and(char::is_alphanumeric)
            && following.is_some_and(char::is_alphanumeric))
    }

    /// Whether only whitespace precedes folded offset `at` on its line.
    fn line_start(&self, at: usize) -> bool {
        self.line_starts.binary_search(&at).is_ok()
    }
}

/// Length of the common prefix of `a` and `b`, on a character boundary of both.
fn common_prefix(a: &str, b: &str) -> usize {
    let mut n = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    while !(a.is_char_boundary(n) && b.is_char_boundary(n)) {
        n -= 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_pass() {
        for title in [
            "1. CALL TO ORDER",
            "ITEM 5.A",
            "CONSENT CALENDAR",
            "Public works report",
            "Warrants",
            "C I T Y   O F   G A R D E N A",
            "TUESDAY, November 1, 2022",
            "Minutes 10/18/22",
            "Resolution No. 2022-45",
            "Section 3.10 Definitions",
            "Award contract to ABC Construction in the amount of $125,000",
            "Budget transfer not to exceed $1,250,000.00",
            "Award contract to ABC Construction ($125,000)",
            "1. PUBLIC HEARING: SECOND READING AND ADOPTION BY REFERENCE OF THE 2022 LOS \
             ANGELES COUNTY BUILDING CODES; TOGETHER WITH...",
            "Appendix V",
            "The class 'error_code'",
            "The data type `wchar_t'",
            "adjacent_find",
            "std::string_view",
            "The `#define __cplusplus'",
        ] {
            assert!(looks_like_heading(title), "{title:?} should pass");
        }
    }

    #[test]
    fn file_names_and_table_rows_do_not() {
        for title in [
            "Conduit Meeting Notice 2020-December v5 clean_ (2)",
            "Staff_Report_Final.docx",
            "Exhibit A - Site Plan.pdf",
            "Attachment 3 Budget v2",
            "AIDS Taskforce of Greater Cleveland $ 177,965.00",
            "Cleveland Clinic Foundation 177,965.00",
            "Greater Cleveland Food Bank $52,000",
            "Rent\t$1,200",
            "Salaries $1,200 Benefits $300",
            "12,345",
            "...",
            "",
        ] {
            assert!(!looks_like_heading(title), "{title:?} should not pass");
        }
    }

    #[test]
    fn amounts() {
        for w in ["$125", "$1,250.00", "177,965.00", "1,000,000", "$5."] {
            assert!(is_amount(w), "{w}");
        }
        for w in [
            "2020", "3.10", "5.A", "$", "1,25", "12,3456", "$1.234", "10/18/22",
        ] {
            assert!(!is_amount(w), "{w}");
        }
    }

    fn find(page: &str, title: &str, from: usize) -> Option<usize> {
        let key = SearchKey::new(title)?;
        PageSearch::new(page).find(&key, from).map(|(at, _)| at)
    }

    #[test]
    fn finds_whole_titles_at_word_and_line_starts() {
        let page = "Refer to the Budget below.\nBUDGET\nArticle 1\nArt";
        assert_eq!(find(page, "Budget", 0), page.find("BUDGET"));
        assert_eq!(find(page, "Art", 0), page.rfind("Art"));
        assert_eq!(find("Article 1", "Art", 0), None);
        assert_eq!(find("Subtotal", "total", 0), None);
        // Mid-line when that is the only place.
        assert_eq!(find("See Budget here.", "budget", 0), Some(4));
        // Typed quotes and hyphens name typeset ones.
        assert_eq!(
            find("x\nThe function ‘main’ – a\n", "The function `main' - a", 0),
            Some(2)
        );
    }

    #[test]
    fn cut_titles_match_by_prefix() {
        let page = "Agenda\n1. PUBLIC HEARING: SECOND READING AND ADOPTION OF THE\n2022 \
                    BUILDING CODES; TOGETHER WITH AMENDMENTS\nText.";
        let at = page.find("1. PUBLIC");
        assert_eq!(
            find(
                page,
                "1. PUBLIC HEARING: SECOND READING AND ADOPTION OF THE 2022 BUILDING CODES; TOGETHER WITH...",
                0
            ),
            at
        );
        // Cut mid-word, with a Unicode ellipsis.
        assert_eq!(find(page, "1. Public hearing: second read…", 0), at);
        // Not cut, but its end differs from the text: the longest prefix over half.
        assert_eq!(
            find(
                page,
                "1. PUBLIC HEARING: SECOND READING AND ADOPTION (CONTINUED)",
                0
            ),
            at
        );
        // A short prefix is not enough.
        assert_eq!(
            find(
                page,
                "1. PUBLIC HEARING ON THE ANNUAL ASSESSMENT DISTRICT",
                0
            ),
            None
        );
        assert_eq!(find(page, "...f...", 0), None);
        assert_eq!(find(page, "Agen...", 0), Some(0));
    }
}
