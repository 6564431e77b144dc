//! Any text and configuration through `chunk`: chunks or a typed error, never a panic or
//! a hang, and the chunks keep the documented guarantees.
//!
//! Input layout (see `decode`): 4 bytes of configuration, then the document text (lossy
//! UTF-8), split into pages at form feeds (`pdftotext` output is a good seed); lines
//! starting with `#` become known headings.
#![no_main]

use conductor_chunker::{Config, Encoding, Heading, Input, SourcePage, chunk};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (input, config) = decode(data);
    let Ok(chunks) = chunk(&input, &config) else {
        return;
    };
    let text = input
        .pages
        .iter()
        .map(|p| p.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let mut next_start = 0;
    for (i, c) in chunks.iter().enumerate() {
        assert_eq!(c.index as usize, i);
        assert!(
            c.tokens <= config.max_tokens,
            "chunk {i} has {} tokens",
            c.tokens
        );
        assert!(c.char_start <= c.char_end);
        assert_eq!(c.text.chars().count(), (c.char_end - c.char_start) as usize);
        if config.overlap_tokens == 0 {
            assert_eq!(c.char_start, next_start, "chunk {i} is not contiguous");
            next_start = c.char_end;
        }
    }
    if config.overlap_tokens == 0 && !chunks.is_empty() {
        let joined: String = chunks.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(joined, text, "the chunks do not re-join to the text");
    }
});

fn decode(data: &[u8]) -> (Input, Config) {
    let mut head = [0u8; 4];
    let split = data.len().min(4);
    head[..split].copy_from_slice(&data[..split]);
    let flags = head[3];
    // 0 is kept reachable: it must be refused with `InvalidConfig`, not crash.
    let max_tokens = u32::from(u16::from_le_bytes([head[0], head[1]]) % 1025);
    let overlap_tokens = if flags & 4 != 0 {
        u32::from(head[2])
    } else {
        u32::from(head[2]) % max_tokens.max(1)
    };
    let config = Config {
        max_tokens,
        overlap_tokens,
        encoding: if flags & 1 != 0 {
            Encoding::O200kBase
        } else {
            Encoding::Cl100kBase
        },
        respect_paragraphs: flags & 2 != 0,
    };

    let text = String::from_utf8_lossy(&data[split..]);
    let mut pages = Vec::new();
    let mut headings = Vec::new();
    for (i, page_text) in text.split('\u{c}').enumerate() {
        let index = u32::try_from(i).unwrap_or(u32::MAX);
        // Page numbers as extractors give them, or irregular (gaps, repeats).
        let number = if flags & 8 != 0 {
            index / 2 * 3
        } else {
            index + 1
        };
        let mut offset = 0u32;
        for line in page_text.split_inclusive('\n') {
            if let Some(rest) = line.strip_prefix('#') {
                let level = 1 + rest.chars().take_while(|&c| c == '#').count();
                headings.push(Heading {
                    title: rest.trim_start_matches('#').trim().to_string(),
                    level: u32::try_from(level).unwrap_or(u32::MAX),
                    page: number,
                    offset: (flags & 16 != 0).then_some(offset),
                });
            }
            offset = offset.saturating_add(u32::try_from(line.chars().count()).unwrap_or(0));
        }
        pages.push(SourcePage {
            number,
            text: page_text.to_string(),
        });
    }
    if flags & 32 != 0 {
        // Headings that point nowhere: a missing page, an offset past the end, no title.
        headings.push(Heading {
            title: String::new(),
            level: 0,
            page: u32::MAX,
            offset: Some(u32::MAX),
        });
        headings.push(Heading {
            title: "CONSENT CALENDAR".into(),
            level: 7,
            page: 1,
            offset: Some(offset_past_end(&pages)),
        });
    }
    (Input { pages, headings }, config)
}

fn offset_past_end(pages: &[SourcePage]) -> u32 {
    pages.first().map_or(0, |p| {
        u32::try_from(p.text.chars().count())
            .unwrap_or(u32::MAX)
            .saturating_add(1)
    })
}
