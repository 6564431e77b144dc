//! Packing units into chunks of at most `max_tokens` tokens.
//!
//! The text is tokenized once, up front; the token count of any span is then *estimated* as
//! the number of those tokens overlapping it (two binary searches). Packing works on
//! estimates, and every chunk it settles on is counted exactly; when the exact count is
//! over the limit (BPE is not additive across a cut), the chunk is packed again with a
//! smaller budget. Each byte is encoded about twice in all, whatever the number of levels.
//!
//! Packing is greedy, as in text-splitter: from the chunk start, add the next unit of the
//! current level while the chunk fits; a unit that does not fit starts the next chunk; a
//! unit that does not fit *alone* is entered, one level down. Leaving a unit's end
//! returns to the level of that split point, so the tail of a long paragraph shares a chunk
//! with whole paragraphs after it, but a paragraph is never cut unless it alone is too long.

use crate::boundaries::{Boundaries, CHAR, SECTION};
use crate::document::is_space;
use crate::model::ChunkError;
use crate::tokenizer::Tokenizer;

/// A chunk in bytes: `[start, end)` of the text, with its exact token count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) tokens: usize,
}

/// How far over budget a chunk's estimate may be for it to be counted exactly instead.
const SLACK: usize = 4;

pub(crate) struct Splitter<'a> {
    text: &'a str,
    tok: &'a Tokenizer,
    /// End offset of every token of the whole text.
    ends: Vec<u32>,
    bounds: &'a Boundaries,
    max: usize,
    /// How far above `max` an estimate may be for the unit to be counted exactly before it
    /// is given up as too long (estimates are off by a few tokens at most).
    margin: usize,
}

impl<'a> Splitter<'a> {
    pub(crate) fn new(
        text: &'a str,
        tok: &'a Tokenizer,
        bounds: &'a Boundaries,
        max: usize,
    ) -> Self {
        Self {
            text,
            tok,
            ends: tok.token_ends(text),
            bounds,
            max,
            margin: 16 + max / 32,
        }
    }

    /// Tokens of the whole-text tokenization overlapping `[a, b)`.
    fn estimate(&self, a: usize, b: usize) -> usize {
        if b <= a || self.ends.is_empty() {
            return 0;
        }
        let first = self.ends.partition_point(|&e| (e as usize) <= a);
        let last = (self.ends.partition_point(|&e| (e as usize) < b) + 1).min(self.ends.len());
        last.saturating_sub(first)
    }

    fn exact(&self, a: usize, b: usize) -> usize {
        self.tok.count(&self.text[a..b])
    }

    /// Splits the whole text into contiguous spans. The first span takes up to `max`
    /// tokens, later ones are packed to `max - reserve` so that `reserve` tokens of overlap
    /// can be put in front of them; a unit longer than that but within `max` still makes a
    /// span of its own rather than being cut.
    ///
    /// # Errors
    /// `InvalidConfig` when a single character needs more than `max` tokens.
    pub(crate) fn spans(&self, reserve: usize) -> Result<Vec<Span>, ChunkError> {
        let n = self.text.len();
        let mut spans = Vec::new();
        let mut start = 0;
        let mut level = SECTION;
        while start < n {
            let mut budget = if spans.is_empty() {
                self.max
            } else {
                self.max - reserve
            };
            loop {
                let (end, next_level, known) = self.pack(start, level, budget)?;
                let tokens = match known {
                    Some(t) => t,
                    None => self.exact(start, end),
                };
                if tokens <= self.max {
                    spans.push(Span { start, end, tokens });
                    start = end;
                    level = next_level;
                    break;
                }
                // Rare: the estimate was short. Pack again with less room.
                budget = budget.saturating_sub((tokens - self.max).max(1));
            }
        }
        Ok(self.merge_blank(spans))
    }

    /// One chunk from `start`: its end, the level to continue at, and its exact token
    /// count when it was computed on the way.
    fn pack(
        &self,
        start: usize,
        mut level: usize,
        budget: usize,
    ) -> Result<(usize, usize, Option<usize>), ChunkError> {
        let n = self.text.len();
        let mut end = start;
        // Estimates count the tokens crossing a span's ends, so they run a little high;
        // once an exact count near the limit has shown by how much, later estimates of
        // this chunk are lowered by as much.
        let mut correction = 0;
        let mut checked = false;
        loop {
            if end >= n {
                return Ok((n, level, None));
            }
            let next = self.bounds.next(self.text, end, level);
            let estimate = self.estimate(start, next);
            if estimate.saturating_sub(correction) <= budget {
                end = next;
                level = level.min(self.bounds.level_at(end));
                continue;
            }
            if end > start {
                if !checked && estimate <= budget + SLACK {
                    checked = true;
                    let tokens = self.exact(start, next);
                    correction = estimate.saturating_sub(tokens);
                    if tokens <= budget {
                        end = next;
                        level = level.min(self.bounds.level_at(end));
                        continue;
                    }
                }
                return Ok((end, level, None));
            }
            // The unit alone is over budget: keep it whole if it fits `max` exactly.
            if estimate <= self.max + self.margin {
                let tokens = self.exact(start, next);
                if tokens <= self.max {
                    return Ok((next, level.min(self.bounds.level_at(next)), Some(tokens)));
                }
                // Its trailing whitespace may be what tips it over: then the whitespace
                // starts the next chunk rather than the unit being cut.
                let content = self.text[start..next].trim_end_matches(is_space).len();
                if content > 0 && start + content < next {
                    let tokens = self.exact(start, start + content);
                    if tokens <= self.max {
                        return Ok((start + content, level, Some(tokens)));
                    }
                }
            }
            if level == CHAR {
                let c = self.text[start..next].escape_debug();
                return Err(ChunkError::InvalidConfig(format!(
                    "max-tokens {} is below the token count of the single character '{c}'",
                    self.max
                )));
            }
            level += 1;
        }
    }

    /// Joins each whitespace-only span to the span before it, or else after it, when the
    /// result fits; one is left only when it fits neither (tiny `max_tokens`).
    fn merge_blank(&self, spans: Vec<Span>) -> Vec<Span> {
        if !spans.iter().any(|s| self.is_blank(s)) {
            return spans;
        }
        let mut out: Vec<Span> = Vec::with_capacity(spans.len());
        let mut i = 0;
        while let Some(&span) = spans.get(i) {
            i += 1;
            if self.is_blank(&span) {
                if let Some(prev) = out.last_mut() {
                    let tokens = self.exact(prev.start, span.end);
                    if tokens <= self.max {
                        prev.end = span.end;
                        prev.tokens = tokens;
                        continue;
                    }
                }
                if let Some(next) = spans.get(i) {
                    let tokens = self.exact(span.start, next.end);
                    if tokens <= self.max {
                        out.push(Span {
                            start: span.start,
                            end: next.end,
                            tokens,
                        });
                        i += 1;
                        continue;
                    }
                }
            }
            out.push(span);
        }
        out
    }

    fn is_blank(&self, span: &Span) -> bool {
        self.text[span.start..span.end].chars().all(is_space)
    }

    /// Moves the start of each span after the first back into the one before it, to a word
    /// start, repeating at most `overlap` tokens and keeping the span within `max`. The
    /// earliest such word start wins; a span stays as it is when there is none (the span
    /// before has no word start, or the span is already full).
    pub(crate) fn overlap(&self, spans: &mut [Span], overlap: usize) {
        let mut prev_start = None;
        for span in spans.iter_mut() {
            if let Some(prev_start) = prev_start {
                self.extend_back(span, prev_start, overlap);
            }
            prev_start = Some(span.start);
        }
    }

    fn extend_back(&self, span: &mut Span, prev_start: usize, overlap: usize) {
        let room = overlap.min(self.max.saturating_sub(span.tokens));
        if room == 0 {
            return;
        }
        let from = span.start;
        // Word starts strictly inside the previous span, latest first, while the estimate
        // of the repeated part stays within `room`.
        let mut candidates = Vec::new();
        let mut after_is_word = false;
        for (i, c) in self.text[prev_start..from].char_indices().rev() {
            let space = is_space(c);
            if space && after_is_word {
                let q = prev_start + i + c.len_utf8();
                // A little slack: the estimate counts the token crossing `from`.
                if self.estimate(q, from) > room + 2 {
                    break;
                }
                candidates.push(q);
            }
            after_is_word = !space;
        }
        let mut checks = 0;
        for &q in candidates.iter().rev() {
            if self.exact(q, from) > room {
                continue;
            }
            let tokens = self.exact(q, span.end);
            if tokens <= self.max {
                span.start = q;
                span.tokens = tokens;
                return;
            }
            checks += 1;
            if checks == 8 {
                return;
            }
        }
    }
}
