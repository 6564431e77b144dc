//! Chunker plugin: splits a document's text into chunks of at most `max-tokens` tokens
//! (exact, in `cl100k_base` or `o200k_base`), preferring section, then paragraph, then
//! sentence boundaries, with page ranges, section titles and character offsets.
//!
//! [`chunk`] does all the work as a pure function of its input; this file only adapts it to
//! the `chunker` WIT world, the one place where WIT types appear.

mod boundaries;
mod chunker;
mod document;
mod headings;
mod model;
mod outline;
mod split;
mod tokenizer;

pub use chunker::{MAX_CHARS, MAX_PAGES, chunk};
pub use model::{Chunk, ChunkError, Config, Encoding, Heading, Input, SourcePage};

/// WIT bindings, kept in a module of their own: the world's `chunk` and `chunk-error`
/// would otherwise collide with this crate's [`Chunk`] and [`ChunkError`].
#[allow(clippy::too_many_arguments)] // generated constructors of 8-field records
mod bindings {
    wit_bindgen::generate!({ world: "chunker", path: "../../wit" });
}

use bindings::engagic::conductor::chunking as wit;
use bindings::{ChunkConfig, ChunkInput, PluginInfo};

struct Chunker;

impl bindings::Guest for Chunker {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "chunker".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            api_version: conductor_plugin_sdk::API_VERSION.into(),
            formats: Vec::new(),
        }
    }

    fn chunk(input: ChunkInput, config: ChunkConfig) -> Result<Vec<wit::Chunk>, wit::ChunkError> {
        let input = Input {
            pages: input
                .pages
                .into_iter()
                .map(|p| SourcePage {
                    number: p.number,
                    text: p.text,
                })
                .collect(),
            headings: input
                .headings
                .into_iter()
                .map(|h| Heading {
                    title: h.title,
                    level: h.level,
                    page: h.page,
                    offset: h.offset,
                })
                .collect(),
        };
        let config = Config {
            max_tokens: config.max_tokens,
            overlap_tokens: config.overlap_tokens,
            encoding: match config.encoding {
                wit::Encoding::Cl100kBase => Encoding::Cl100kBase,
                wit::Encoding::O200kBase => Encoding::O200kBase,
            },
            respect_paragraphs: config.respect_paragraphs,
        };
        match conductor_plugin_sdk::catch_panic(|| chunk(&input, &config)) {
            Ok(Ok(chunks)) => Ok(chunks.into_iter().map(to_wit).collect()),
            Ok(Err(e)) => Err(error_to_wit(e)),
            Err(panic) => Err(wit::ChunkError::Internal(format!("panic: {panic}"))),
        }
    }
}

fn to_wit(c: Chunk) -> wit::Chunk {
    wit::Chunk {
        index: c.index,
        text: c.text,
        tokens: c.tokens,
        page_start: c.page_start,
        page_end: c.page_end,
        section: c.section,
        char_start: c.char_start,
        char_end: c.char_end,
    }
}

fn error_to_wit(e: ChunkError) -> wit::ChunkError {
    match e {
        ChunkError::InvalidConfig(m) => wit::ChunkError::InvalidConfig(m),
        ChunkError::TooLarge(m) => wit::ChunkError::TooLarge(m),
        ChunkError::Internal(m) => wit::ChunkError::Internal(m),
    }
}

bindings::export!(Chunker with_types_in bindings);
