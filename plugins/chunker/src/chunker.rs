//! The whole job: validate, join the pages, find sections and split points, pack, and
//! describe each chunk (offsets in characters, pages, section).

use crate::boundaries::Boundaries;
use crate::document::{CharCounter, Document, is_space};
use crate::headings::{Section, sections};
use crate::model::{Chunk, ChunkError, Config, Input};
use crate::split::Splitter;
use crate::tokenizer::Tokenizer;

/// Most characters the plugin chunks in one call (about 40,000 dense pages).
pub const MAX_CHARS: usize = 100_000_000;
/// Most pages, and most headings, in one call.
pub const MAX_PAGES: usize = 1_000_000;

/// Splits the document text (the pages' text joined with `\n`) into chunks of at most
/// `config.max_tokens` tokens.
///
/// Guarantees, for any input:
/// - every chunk's `tokens` is the exact count of its `text`, and at most `max_tokens`;
/// - without overlap the chunks are contiguous: the first starts at 0, each ends where the
///   next starts, the last ends at the end of the text; the whitespace between two units
///   ends the chunk before it;
/// - with overlap, each chunk after the first starts at a word start inside the previous
///   chunk, repeating at most `overlap_tokens` tokens (none when no word start fits);
///   chunk ends are those of the non-overlapping split packed to `max - overlap`;
/// - a chunk ends at a section, paragraph or sentence boundary unless one sentence alone is
///   longer than `max_tokens`, in which case it is cut at line, then word, then character
///   boundaries;
/// - a text without a non-whitespace character gives no chunks; a whitespace-only chunk
///   appears only when `max_tokens` is too small for the whitespace to join a neighbour;
/// - the output depends on the input alone.
///
/// # Errors
/// `InvalidConfig` when `max_tokens` is 0, `overlap_tokens >= max_tokens`, or a single
/// character needs more tokens than `max_tokens`; `TooLarge` beyond [`MAX_CHARS`]
/// characters or [`MAX_PAGES`] pages or headings; `Internal` when the embedded ranks
/// cannot be loaded.
pub fn chunk(input: &Input, config: &Config) -> Result<Vec<Chunk>, ChunkError> {
    validate(input, config)?;
    let doc = Document::new(&input.pages);
    let text = doc.text.as_str();
    if text.chars().all(is_space) {
        return Ok(Vec::new());
    }
    let tok = Tokenizer::get(config.encoding)?;
    let sections = sections(&doc, &input.pages, &input.headings);
    let starts: Vec<usize> = sections.iter().map(|s| s.pos).collect();
    let bounds = Boundaries::new(text, &starts, config.respect_paragraphs);
    let max = config.max_tokens as usize;
    let overlap = config.overlap_tokens as usize;
    let splitter = Splitter::new(text, tok, &bounds, max);
    let mut spans = splitter.spans(overlap)?;
    if overlap > 0 {
        splitter.overlap(&mut spans, overlap);
    }

    let mut starts_in_chars = CharCounter::new(text);
    let mut ends_in_chars = CharCounter::new(text);
    let mut chunks = Vec::with_capacity(spans.len());
    for (index, span) in spans.iter().enumerate() {
        let slice = &text[span.start..span.end];
        let (page_start, page_end) = doc.pages_of(span.start, span.end);
        let lead = slice
            .char_indices()
            .find(|&(_, c)| !is_space(c))
            .map_or(0, |(i, _)| i);
        chunks.push(Chunk {
            index: to_u32(index),
            text: slice.to_string(),
            tokens: to_u32(span.tokens),
            page_start,
            page_end,
            section: section_at(&sections, span.start + lead),
            char_start: to_u32(starts_in_chars.at(span.start)),
            char_end: to_u32(ends_in_chars.at(span.end)),
        });
    }
    Ok(chunks)
}

fn validate(input: &Input, config: &Config) -> Result<(), ChunkError> {
    if config.max_tokens == 0 {
        return Err(ChunkError::InvalidConfig(
            "max-tokens must be at least 1".into(),
        ));
    }
    if config.overlap_tokens >= config.max_tokens {
        return Err(ChunkError::InvalidConfig(format!(
            "overlap-tokens ({}) must be below max-tokens ({})",
            config.overlap_tokens, config.max_tokens
        )));
    }
    if input.pages.len() > MAX_PAGES || input.headings.len() > MAX_PAGES {
        return Err(ChunkError::TooLarge(format!(
            "{} pages and {} headings; at most {MAX_PAGES} of each",
            input.pages.len(),
            input.headings.len()
        )));
    }
    let bytes: usize = input.pages.iter().map(|p| p.text.len()).sum();
    // Bytes bound characters from above, so most inputs skip the count.
    if bytes > MAX_CHARS {
        let chars: usize = input.pages.iter().map(|p| p.text.chars().count()).sum();
        if chars > MAX_CHARS {
            return Err(ChunkError::TooLarge(format!(
                "{chars} characters; at most {MAX_CHARS}"
            )));
        }
    }
    Ok(())
}

/// Title of the last section starting at or before `pos`.
fn section_at(sections: &[Section], pos: usize) -> Option<String> {
    let i = sections.partition_point(|s| s.pos <= pos);
    i.checked_sub(1)
        .and_then(|i| sections.get(i))
        .map(|s| s.title.clone())
}

/// Every count here is bounded by the input limits, far below `u32::MAX`.
fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
