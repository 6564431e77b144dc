//! Plain Rust types of the chunker: what goes in, what comes out, what can go wrong.
//! They mirror `wit/chunker.wit`; `lib.rs` converts between the two.

use std::fmt;

/// A tokenizer whose ranks are built into the plugin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// `cl100k_base` (GPT-3.5, GPT-4, `text-embedding-3-*`).
    Cl100kBase,
    /// `o200k_base` (GPT-4o and later).
    O200kBase,
}

/// How to chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Upper bound on every chunk's exact token count; at least 1.
    pub max_tokens: u32,
    /// Tokens of the previous chunk's end repeated at the start of the next; below
    /// `max_tokens`.
    pub overlap_tokens: u32,
    /// The tokenizer `max_tokens` and every chunk's `tokens` are counted in.
    pub encoding: Encoding,
    /// Paragraphs (text between blank lines) are a split level of their own, preferred
    /// over sentences. When false, a blank line is only a sentence boundary.
    pub respect_paragraphs: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_tokens: 512,
            overlap_tokens: 0,
            encoding: Encoding::Cl100kBase,
            respect_paragraphs: true,
        }
    }
}

/// One page of the document's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourcePage {
    /// The page's number as the extractor reported it (1-based).
    pub number: u32,
    /// The page's text.
    pub text: String,
}

/// A known heading: a DOCX heading, an HTML `h1`..`h6`, a PDF outline entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heading {
    /// The heading's text; it becomes the `section` of the chunks under it.
    pub title: String,
    /// 1 for the top level. Kept for the record; every heading starts a section.
    pub level: u32,
    /// The number of the page the heading is on (matched against [`SourcePage::number`]).
    pub page: u32,
    /// Offset of the heading's first character in that page's text, in Unicode scalar
    /// values. `None` when only the page is known (a PDF outline entry): the title is then
    /// looked for on the page (ignoring case and whitespace; a title cut with `...`, or
    /// one whose end differs from the text, by a prefix of at least half of it), and the
    /// heading is dropped when it is not found or does not look like a heading (a file
    /// name, a table row).
    pub offset: Option<u32>,
}

/// What to chunk.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Input {
    /// The pages, in document order. The document text is their text joined with `\n`.
    pub pages: Vec<SourcePage>,
    /// Known headings, in any order. Agenda headings are also detected in the text.
    pub headings: Vec<Heading>,
}

/// One chunk of the document text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// 0-based position in the document.
    pub index: u32,
    /// The chunk's text: exactly `document_text[char_start..char_end]`.
    pub text: String,
    /// Exact token count of `text` in the configured encoding (ordinary encoding: special
    /// token strings such as `<|endoftext|>` count as plain text).
    pub tokens: u32,
    /// Page of the chunk's first non-whitespace character. The `\n` that joins two pages
    /// belongs to neither; it is whitespace, so it never decides a page.
    pub page_start: u32,
    /// Page of the chunk's last non-whitespace character.
    pub page_end: u32,
    /// Title of the nearest heading starting at or before the chunk's first
    /// non-whitespace character; `None` before the first heading.
    pub section: Option<String>,
    /// Start of the chunk in the document text, in Unicode scalar values.
    pub char_start: u32,
    /// End (exclusive) of the chunk in the document text, in Unicode scalar values.
    pub char_end: u32,
}

/// Why chunking failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChunkError {
    /// The configuration cannot be satisfied: `max_tokens` 0, `overlap_tokens >=
    /// max_tokens`, or a single character needing more tokens than `max_tokens` (possible
    /// only below 4, the most tokens one character can take).
    InvalidConfig(String),
    /// The input exceeds a limit of the plugin.
    TooLarge(String),
    /// The plugin failed on its own account.
    Internal(String),
}

impl fmt::Display for ChunkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidConfig(m) => write!(f, "invalid config: {m}"),
            Self::TooLarge(m) => write!(f, "too large: {m}"),
            Self::Internal(m) => write!(f, "internal error: {m}"),
        }
    }
}

impl std::error::Error for ChunkError {}
