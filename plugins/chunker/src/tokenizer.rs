//! The tiktoken encoders, built once per process (per wasm instance) and kept.
//!
//! Building a `CoreBPE` parses the embedded rank file (1.7 MB for `cl100k_base`, 3.6 MB for
//! `o200k_base`) into a hash map: the one expensive step of the first call. The host keeps
//! a chunker instance alive across documents, so later calls find it ready.

use std::sync::OnceLock;

use tiktoken_rs::CoreBPE;

use crate::model::{ChunkError, Encoding};

/// An encoder plus the byte length of every rank, so that the token boundaries of a text
/// can be found from its token ids without decoding them.
pub(crate) struct Tokenizer {
    bpe: CoreBPE,
    token_len: Vec<u16>,
}

static CL100K: OnceLock<Result<Tokenizer, String>> = OnceLock::new();
static O200K: OnceLock<Result<Tokenizer, String>> = OnceLock::new();

impl Tokenizer {
    /// The tokenizer of `encoding`, built on first use.
    ///
    /// # Errors
    /// `Internal` when the embedded ranks cannot be loaded (a build defect).
    pub(crate) fn get(encoding: Encoding) -> Result<&'static Self, ChunkError> {
        let cell = match encoding {
            Encoding::Cl100kBase => &CL100K,
            Encoding::O200kBase => &O200K,
        };
        cell.get_or_init(|| {
            let bpe = match encoding {
                Encoding::Cl100kBase => tiktoken_rs::cl100k_base(),
                Encoding::O200kBase => tiktoken_rs::o200k_base(),
            }
            .map_err(|e| format!("cannot load the {encoding:?} ranks: {e}"))?;
            Ok(Self::new(bpe))
        })
        .as_ref()
        .map_err(|e| ChunkError::Internal(e.clone()))
    }

    fn new(bpe: CoreBPE) -> Self {
        // Ordinary ranks lie below 2^18 in both encodings; a rank that does not decode
        // (none should) gets length 0. Special tokens never occur in ordinary encodings.
        let mut token_len: Vec<u16> = (0..MAX_RANK)
            .map(|r| {
                bpe.decode_bytes(&[r])
                    .map_or(0, |b| u16::try_from(b.len()).unwrap_or(u16::MAX))
            })
            .collect();
        while token_len.last() == Some(&0) {
            token_len.pop();
        }
        Self { bpe, token_len }
    }

    /// Exact token count of `text` (ordinary encoding, no special tokens).
    pub(crate) fn count(&self, text: &str) -> usize {
        self.bpe.encode_ordinary(text).len()
    }

    /// The end offset (in bytes, relative to `text`) of every token of `text`, in order.
    ///
    /// The text is encoded in windows of about [`WINDOW`] bytes cut after whitespace, so
    /// that a huge run without whitespace (which tiktoken would merge as one piece, in
    /// more than linear time) costs linear time. The result is then the tokenization of the
    /// windows, which may differ from the whole text's at the cuts: callers use it for
    /// estimates only.
    pub(crate) fn token_ends(&self, text: &str) -> Vec<u32> {
        let mut ends = Vec::with_capacity(text.len() / 3);
        let mut start = 0;
        while start < text.len() {
            let end = window_end(text, start);
            self.push_token_ends(&text[start..end], start, &mut ends);
            start = end;
        }
        ends
    }

    fn push_token_ends(&self, text: &str, offset: usize, ends: &mut Vec<u32>) {
        let tokens = self.bpe.encode_ordinary(text);
        let mut end = u32::try_from(offset).unwrap_or(u32::MAX);
        for t in tokens {
            let len = usize::try_from(t)
                .ok()
                .and_then(|i| self.token_len.get(i))
                .copied()
                .unwrap_or(0);
            end = end.saturating_add(u32::from(len));
            ends.push(end);
        }
    }
}

/// Bytes encoded at a time by [`Tokenizer::token_ends`].
const WINDOW: usize = 1 << 16;

/// End of the window starting at `start`: just after the last line break, else the last
/// whitespace, in the second half of the window; else a character boundary.
fn window_end(text: &str, start: usize) -> usize {
    if text.len() - start <= WINDOW {
        return text.len();
    }
    let mut limit = start + WINDOW;
    while !text.is_char_boundary(limit) {
        limit -= 1;
    }
    let half = &text[start + WINDOW / 2..limit];
    let cut = half
        .rfind('\n')
        .or_else(|| half.rfind(|c: char| c.is_whitespace()))
        .map(|i| i + 1);
    cut.map_or(limit, |i| start + WINDOW / 2 + i)
}

/// Above every ordinary rank of `cl100k_base` (100,256) and `o200k_base` (199,998).
const MAX_RANK: tiktoken_rs::Rank = 1 << 18;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_ends_cover_the_text() {
        for enc in [Encoding::Cl100kBase, Encoding::O200kBase] {
            let Ok(tok) = Tokenizer::get(enc) else {
                unreachable!("embedded ranks load")
            };
            let text = "Hello, world! 1. CALL TO ORDER\n\n  Ünïcödé 𝔸𝔹 日本語 \t\r\n end.";
            let ends = tok.token_ends(text);
            assert_eq!(ends.len(), tok.count(text));
            assert_eq!(
                ends.last().copied(),
                Some(u32::try_from(text.len()).unwrap_or(0))
            );
            assert!(ends.windows(2).all(|w| w[0] < w[1]));
        }
    }

    #[test]
    fn windows_cover_long_texts() {
        let Ok(tok) = Tokenizer::get(Encoding::Cl100kBase) else {
            unreachable!("embedded ranks load")
        };
        for text in [
            "word ".repeat(40_000),
            "𝔸".repeat(70_000),
            format!("{}\n{}", "x".repeat(50_000), "y z".repeat(30_000)),
        ] {
            let ends = tok.token_ends(&text);
            assert_eq!(ends.last().map(|&e| e as usize), Some(text.len()));
            assert!(ends.windows(2).all(|w| w[0] < w[1]));
            let exact = tok.count(&text);
            assert!(ends.len().abs_diff(exact) <= exact / 100 + 8);
        }
    }

    #[test]
    fn counts_match_known_values() {
        let Ok(tok) = Tokenizer::get(Encoding::Cl100kBase) else {
            unreachable!("embedded ranks load")
        };
        // tiktoken: len(cl100k_base.encode_ordinary("hello world")) == 2
        assert_eq!(tok.count("hello world"), 2);
        assert_eq!(tok.count(""), 0);
        // Special token text is plain text in the ordinary encoding.
        assert!(tok.count("<|endoftext|>") > 1);
    }
}
