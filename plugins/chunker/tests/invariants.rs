//! The chunker's guarantees, checked on generated documents for many configurations, plus
//! targeted cases for each rule.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use conductor_chunker::{Chunk, ChunkError, Config, Encoding, Heading, Input, SourcePage, chunk};

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const WORDS: &[&str] = &[
    "the",
    "council",
    "approved",
    "budget",
    "motion",
    "public",
    "hearing",
    "résumé",
    "naïve",
    "日本語",
    "𝔸𝔹",
    "3.5",
    "2024",
    "staff",
    "report",
    "vote",
    "é",
    "Mr.",
    "No.",
    "e.g.",
    "$1,250.00",
    "(see",
    "attachment)",
    "—",
    "item",
    "carried",
    "unanimously",
    "zoning",
];
const STARTS: &[&str] = &[
    "The",
    "Council",
    "Staff",
    "A",
    "Public",
    "Item",
    "Motion",
    "Ünïcödé",
];
const HEADINGS: &[&str] = &[
    "1. CALL TO ORDER",
    "2. ROLL CALL",
    "CONSENT CALENDAR",
    "ITEM 5.A",
    "PUBLIC HEARINGS",
    "ADJOURNMENT",
];

/// A generated document with the character offsets where its sentences (and headings)
/// start, so that "ends at a sentence boundary" can be checked from the outside.
struct Generated {
    input: Input,
    text: String,
    /// Character offsets of sentence and heading starts, sorted.
    starts: Vec<usize>,
    /// Sentence spans `[start, end)` in characters (end = next start), for the exception.
    sentences: Vec<(usize, usize)>,
}

fn generate(seed: u64, pages: usize, long_sentences: bool) -> Generated {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut page_texts = Vec::new();
    let mut starts = Vec::new();
    let mut offset = 0; // characters of the joined text so far
    for p in 0..pages {
        if p > 0 {
            offset += 1; // the joining "\n"
        }
        let mut page = String::new();
        let mut push = |page: &mut String, s: &str, is_start: bool| {
            if is_start {
                starts.push(offset + page.chars().count());
            }
            page.push_str(s);
        };
        for _ in 0..1 + rng.below(4) {
            if rng.below(4) == 0 {
                let h = rng.pick(HEADINGS);
                push(&mut page, h, true);
                push(&mut page, "\n\n", false);
            }
            for _ in 0..1 + rng.below(5) {
                let mut sentence = String::from(rng.pick(STARTS));
                let words = if long_sentences && rng.below(5) == 0 {
                    200 + rng.below(200)
                } else {
                    2 + rng.below(18)
                };
                for _ in 0..words {
                    sentence.push(if rng.below(12) == 0 { '\n' } else { ' ' });
                    sentence.push_str(rng.pick(WORDS));
                }
                // Never end on an abbreviation: its period would not end the sentence.
                sentence.push_str(" end");
                sentence.push(['.', '.', '.', '?', '!'][rng.below(5)]);
                push(&mut page, &sentence, true);
                push(&mut page, if rng.below(3) == 0 { "\n" } else { " " }, false);
            }
            push(&mut page, ["\n\n", "\n \n", "\n\n\n"][rng.below(3)], false);
        }
        offset += page.chars().count();
        page_texts.push(page);
    }
    let text = page_texts.join("\n");
    let total = text.chars().count();
    let mut sentences: Vec<(usize, usize)> = starts.windows(2).map(|w| (w[0], w[1])).collect();
    if let Some(&last) = starts.last() {
        sentences.push((last, total));
    }
    let input = Input {
        pages: page_texts
            .into_iter()
            .enumerate()
            .map(|(i, text)| SourcePage {
                number: i as u32 + 1,
                text,
            })
            .collect(),
        headings: Vec::new(),
    };
    Generated {
        input,
        text,
        starts,
        sentences,
    }
}

/// Whitespace as Python's `str.isspace` sees it (the chunker's definition).
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

fn count(encoding: Encoding, text: &str) -> usize {
    let bpe = match encoding {
        Encoding::Cl100kBase => tiktoken_rs::cl100k_base_singleton(),
        Encoding::O200kBase => tiktoken_rs::o200k_base_singleton(),
    };
    bpe.encode_ordinary(text).len()
}

fn chars(text: &str, start: usize, end: usize) -> String {
    text.chars().skip(start).take(end - start).collect()
}

/// Page number of every character of the joined text (0 for the joining newlines).
fn char_pages(input: &Input) -> Vec<u32> {
    let mut pages = Vec::new();
    for (i, p) in input.pages.iter().enumerate() {
        if i > 0 {
            pages.push(0);
        }
        pages.extend(std::iter::repeat_n(p.number, p.text.chars().count()));
    }
    pages
}

/// Every guarantee that holds for any input.
fn check_common(input: &Input, text: &str, config: &Config, chunks: &[Chunk]) {
    let total = text.chars().count();
    let page_of = char_pages(input);
    let chars_vec: Vec<char> = text.chars().collect();
    if text.chars().all(py_space) {
        assert!(chunks.is_empty());
        return;
    }
    assert!(!chunks.is_empty());
    assert_eq!(chunks[0].char_start, 0);
    assert_eq!(chunks.last().unwrap().char_end as usize, total);
    for (i, c) in chunks.iter().enumerate() {
        assert_eq!(c.index as usize, i);
        assert!(c.char_start < c.char_end, "empty chunk {i}");
        let expected: String = chars_vec[c.char_start as usize..c.char_end as usize]
            .iter()
            .collect();
        assert_eq!(c.text, expected);
        assert_eq!(
            c.tokens as usize,
            count(config.encoding, &c.text),
            "chunk {i}"
        );
        assert!(
            c.tokens <= config.max_tokens,
            "chunk {i}: {} tokens",
            c.tokens
        );
        let range = c.char_start as usize..c.char_end as usize;
        let content: Vec<usize> = range.filter(|&k| !py_space(chars_vec[k])).collect();
        if let (Some(&first), Some(&last)) = (content.first(), content.last()) {
            assert_eq!(c.page_start, page_of[first], "chunk {i} page_start");
            assert_eq!(c.page_end, page_of[last], "chunk {i} page_end");
        }
        if i > 0 {
            let prev = &chunks[i - 1];
            if config.overlap_tokens == 0 {
                assert_eq!(
                    prev.char_end, c.char_start,
                    "gap or overlap before chunk {i}"
                );
            } else {
                assert!(c.char_start > prev.char_start && c.char_start <= prev.char_end);
                assert!(c.char_end > prev.char_end);
                let repeated: String = chars_vec[c.char_start as usize..prev.char_end as usize]
                    .iter()
                    .collect();
                assert!(count(config.encoding, &repeated) <= config.overlap_tokens as usize);
                if c.char_start < prev.char_end {
                    let k = c.char_start as usize;
                    assert!(py_space(chars_vec[k - 1]) && !py_space(chars_vec[k]));
                }
            }
        }
    }
    if config.overlap_tokens == 0 {
        let joined: String = chunks.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(joined, text);
    }
}

/// Chunk ends fall on generated sentence (or heading) starts, unless the sentence the end
/// falls in is longer than `max_tokens` on its own.
fn check_sentence_ends(g: &Generated, config: &Config, chunks: &[Chunk]) {
    let all: Vec<char> = g.text.chars().collect();
    let total = all.len();
    for c in chunks {
        // The whitespace after a sentence may start the next chunk.
        let mut end = c.char_end as usize;
        while end < total && all[end].is_whitespace() {
            end += 1;
        }
        if end == total || g.starts.binary_search(&end).is_ok() {
            continue;
        }
        let &(s, e) = g
            .sentences
            .iter()
            .find(|&&(s, e)| s < end && end < e)
            .expect("every position lies in a sentence");
        let sentence = chars(&g.text, s, e);
        let tokens = count(config.encoding, sentence.trim_end());
        assert!(
            tokens > config.max_tokens as usize,
            "chunk {} ends mid-sentence ({tokens} tokens <= {}): {:?}",
            c.index,
            config.max_tokens,
            &c.text[c.text.len().saturating_sub(40)..]
        );
    }
}

fn configs() -> Vec<Config> {
    let mut out = Vec::new();
    for max in [16, 40, 100, 512] {
        for overlap in [0, max / 4] {
            for encoding in [Encoding::Cl100kBase, Encoding::O200kBase] {
                for respect_paragraphs in [true, false] {
                    out.push(Config {
                        max_tokens: max,
                        overlap_tokens: overlap,
                        encoding,
                        respect_paragraphs,
                    });
                }
            }
        }
    }
    out
}

#[test]
fn guarantees_hold_on_generated_documents() {
    for seed in 1..6 {
        let g = generate(seed, 1 + seed as usize % 4, seed % 2 == 0);
        for config in configs() {
            let chunks = chunk(&g.input, &config).unwrap();
            check_common(&g.input, &g.text, &config, &chunks);
            check_sentence_ends(&g, &config, &chunks);
            if config.overlap_tokens == 0 {
                for c in &chunks {
                    assert!(!c.text.trim().is_empty(), "{config:?}");
                }
            }
            assert_eq!(chunk(&g.input, &config).unwrap(), chunks, "deterministic");
        }
    }
}

#[test]
fn chunks_are_packed_greedily() {
    let mut rng = Rng(99);
    let sentences: Vec<String> = (0..300)
        .map(|_| {
            let words: Vec<&str> = (0..3 + rng.below(20)).map(|_| rng.pick(WORDS)).collect();
            format!("{} {} end.", rng.pick(STARTS), words.join(" "))
        })
        .collect();
    let text = sentences.join(" ");
    let config = config(100);
    let chunks = chunk(&single(&text), &config).unwrap();
    let mut starts = vec![0];
    for s in &sentences {
        starts.push(starts.last().unwrap() + s.len() + 1);
    }
    // Each chunk but the last is full: with the next sentence it would not fit.
    let mut at = 0;
    for c in &chunks[..chunks.len() - 1] {
        let end = at + c.text.len();
        let k = starts
            .binary_search(&end)
            .expect("chunks end at sentence starts");
        let grown = &text[at..starts[k + 1].min(text.len())];
        assert!(
            count(config.encoding, grown) > 100,
            "chunk {} is not full: {} then {:?} {}",
            c.index,
            c.tokens,
            &text[end..starts[k + 1]],
            count(config.encoding, grown)
        );
        at = end;
    }
}

fn single(text: &str) -> Input {
    Input {
        pages: vec![SourcePage {
            number: 1,
            text: text.into(),
        }],
        headings: Vec::new(),
    }
}

fn config(max: u32) -> Config {
    Config {
        max_tokens: max,
        ..Config::default()
    }
}

fn texts(chunks: &[Chunk]) -> Vec<&str> {
    chunks.iter().map(|c| c.text.as_str()).collect()
}

#[test]
fn empty_and_blank_documents_give_no_chunks() {
    assert!(
        chunk(&Input::default(), &Config::default())
            .unwrap()
            .is_empty()
    );
    assert!(chunk(&single(""), &Config::default()).unwrap().is_empty());
    let blank = Input {
        pages: vec![
            SourcePage {
                number: 1,
                text: " \n\t ".into(),
            },
            SourcePage {
                number: 2,
                text: "\u{a0}".into(),
            },
        ],
        headings: Vec::new(),
    };
    assert!(chunk(&blank, &Config::default()).unwrap().is_empty());
}

#[test]
fn invalid_configs_are_refused() {
    let input = single("Some text.");
    for (max, overlap) in [(0, 0), (10, 10), (10, 11)] {
        let c = Config {
            max_tokens: max,
            overlap_tokens: overlap,
            ..Config::default()
        };
        assert!(matches!(
            chunk(&input, &c),
            Err(ChunkError::InvalidConfig(_))
        ));
    }
    // One character that alone needs more tokens than allowed.
    let err = chunk(&single("𝔸"), &config(1)).unwrap_err();
    assert!(matches!(err, ChunkError::InvalidConfig(_)), "{err}");
}

#[test]
fn oversized_input_is_refused() {
    let input = single(&"a".repeat(conductor_chunker::MAX_CHARS + 1));
    assert!(matches!(
        chunk(&input, &Config::default()),
        Err(ChunkError::TooLarge(_))
    ));
}

#[test]
fn prefers_sections_then_paragraphs_then_sentences() {
    let para = "One two three four five six. Seven eight nine ten eleven twelve.";
    let text = format!("1. CALL TO ORDER\n{para}\n\n{para}\n2. ROLL CALL\n{para}");
    let input = single(&text);
    let n = count(Encoding::Cl100kBase, &text);
    // Everything fits: one chunk.
    assert_eq!(chunk(&input, &config(n as u32)).unwrap().len(), 1);
    // Sections fit but not together: split exactly at the second heading.
    let s1 = &text[..text.find("2. ROLL").unwrap()];
    let c = chunk(&input, &config(count(Encoding::Cl100kBase, s1) as u32)).unwrap();
    assert_eq!(texts(&c), [s1, &text[s1.len()..]]);
    assert_eq!(c[0].section.as_deref(), Some("1. CALL TO ORDER"));
    assert_eq!(c[1].section.as_deref(), Some("2. ROLL CALL"));
    // The first section does not fit: its paragraphs are the units.
    let p1 = &text[..text.find("\n\n").unwrap() + 2];
    let c = chunk(&input, &config(count(Encoding::Cl100kBase, p1) as u32)).unwrap();
    assert_eq!(c[0].text, p1);
    // A paragraph does not fit: sentences (the heading line is part of the first one).
    let first = "1. CALL TO ORDER\nOne two three four five six. ";
    let c = chunk(&input, &config(count(Encoding::Cl100kBase, first) as u32)).unwrap();
    assert_eq!(c[0].text, "1. CALL TO ORDER\nOne two three four five six. ");
    assert_eq!(c[1].text, "Seven eight nine ten eleven twelve.\n\n");
}

#[test]
fn without_paragraphs_sentences_pack_across_blank_lines() {
    let text = "Alpha beta gamma.\n\nDelta epsilon zeta. Eta theta iota.";
    let input = single(text);
    let max = count(
        Encoding::Cl100kBase,
        "Alpha beta gamma.\n\nDelta epsilon zeta. ",
    ) as u32;
    let on = chunk(&input, &config(max)).unwrap();
    assert_eq!(
        texts(&on),
        [
            "Alpha beta gamma.\n\n",
            "Delta epsilon zeta. Eta theta iota."
        ]
    );
    let off = Config {
        respect_paragraphs: false,
        ..config(max)
    };
    let off = chunk(&input, &off).unwrap();
    assert_eq!(
        texts(&off),
        [
            "Alpha beta gamma.\n\nDelta epsilon zeta. ",
            "Eta theta iota."
        ]
    );
}

#[test]
fn long_sentences_split_at_lines_then_words_then_characters() {
    let text = "alpha beta gamma\ndelta epsilon zeta eta theta iota kappa lambda.";
    let c = chunk(&single(text), &config(4)).unwrap();
    assert_eq!(c[0].text, "alpha beta gamma\n");
    assert!(c.iter().all(|c| c.tokens <= 4));
    let word = "x".repeat(30) + "日本語𝔸𝔹éé" + &"y".repeat(40);
    let c = chunk(&single(&word), &config(4)).unwrap();
    assert!(c.len() > 1);
    assert_eq!(texts(&c).concat(), word);
    assert!(c.iter().all(|c| c.tokens <= 4));
}

#[test]
fn abbreviations_do_not_end_sentences() {
    let text =
        "Mr. Smith met Dr. Jones on St. Mary. Item No. 5 is e.g. fine. J. Doe voted 3.5 times.";
    let units: Vec<String> = chunk(&single(text), &config(1))
        .map_or_else(|_| Vec::new(), |c| c.into_iter().map(|c| c.text).collect());
    assert!(units.is_empty() || units.len() > 3);
    // With room for one sentence at a time, chunks are exactly the sentences.
    let longest = [
        "Mr. Smith met Dr. Jones on St. Mary. ",
        "Item No. 5 is e.g. fine. ",
    ]
    .iter()
    .map(|s| count(Encoding::Cl100kBase, s))
    .max()
    .unwrap();
    let c = chunk(&single(text), &config(longest as u32)).unwrap();
    assert_eq!(
        texts(&c),
        [
            "Mr. Smith met Dr. Jones on St. Mary. ",
            "Item No. 5 is e.g. fine. ",
            "J. Doe voted 3.5 times."
        ]
    );
}

#[test]
fn pages_and_offsets_count_characters() {
    let input = Input {
        pages: vec![
            SourcePage {
                number: 3,
                text: "Éé first page text.  ".into(),
            },
            SourcePage {
                number: 4,
                text: "  𝔸 second page.".into(),
            },
            SourcePage {
                number: 5,
                text: String::new(),
            },
            SourcePage {
                number: 6,
                text: "Third.".into(),
            },
        ],
        headings: Vec::new(),
    };
    let text = "Éé first page text.  \n  𝔸 second page.\n\nThird.";
    let c = chunk(&input, &config(6)).unwrap();
    check_common(&input, text, &config(6), &c);
    assert_eq!((c[0].page_start, c[0].page_end), (3, 3));
    assert_eq!(
        (c.last().unwrap().page_start, c.last().unwrap().page_end),
        (6, 6)
    );
    let all = chunk(&input, &config(100)).unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!((all[0].page_start, all[0].page_end), (3, 6));
    assert_eq!(all[0].char_end as usize, text.chars().count());
}

#[test]
fn sections_from_known_and_outline_headings() {
    let input = Input {
        pages: vec![
            SourcePage {
                number: 1,
                text: "Preface text here.".into(),
            },
            SourcePage {
                number: 2,
                text: "Some intro. Budget Overview\nThe budget is fine.".into(),
            },
            SourcePage {
                number: 3,
                text: "Closing words.".into(),
            },
        ],
        headings: vec![
            Heading {
                title: "budget   overview".into(),
                level: 1,
                page: 2,
                offset: None,
            },
            Heading {
                title: "Closing".into(),
                level: 1,
                page: 3,
                offset: Some(0),
            },
        ],
    };
    let c = chunk(&input, &config(6)).unwrap();
    let sections: Vec<(&str, Option<&str>)> = c
        .iter()
        .map(|c| (c.text.as_str(), c.section.as_deref()))
        .collect();
    assert_eq!(sections[0], ("Preface text here.\n", None));
    assert!(sections.contains(&("Budget Overview\n", Some("budget overview"))));
    assert_eq!(
        *sections.last().unwrap(),
        ("Closing words.", Some("Closing"))
    );
    let intro = sections
        .iter()
        .find(|s| s.0.starts_with("Some intro"))
        .unwrap();
    assert_eq!(intro.1, None);
}

#[test]
fn overlap_repeats_the_previous_end() {
    let g = generate(7, 2, false);
    let config = Config {
        max_tokens: 64,
        overlap_tokens: 16,
        ..Config::default()
    };
    let chunks = chunk(&g.input, &config).unwrap();
    check_common(&g.input, &g.text, &config, &chunks);
    let overlapping = chunks
        .windows(2)
        .filter(|w| w[1].char_start < w[0].char_end)
        .count();
    assert!(
        overlapping * 10 >= (chunks.len() - 1) * 9,
        "{overlapping} of {}",
        chunks.len()
    );
}

#[test]
fn whitespace_runs_never_break_the_limit() {
    let text = format!("a{}b\n\n{}c", " ".repeat(3000), "\n \t".repeat(500));
    let input = single(&text);
    for max in [1, 2, 5, 50] {
        let config = config(max);
        let chunks = chunk(&input, &config).unwrap();
        check_common(&input, &text, &config, &chunks);
    }
}

#[test]
fn random_text_with_tiny_limits() {
    const ALPHABET: &[&str] = &[
        "a",
        "B",
        " ",
        "  ",
        "\n",
        "\n\n",
        "\t",
        ".",
        "?",
        "1",
        "é",
        "𝔸",
        "日",
        "\u{a0}",
        "Mr.",
        "1. CALL TO ORDER\n",
        "\u{1f}",
        "\r\n",
        "'",
        "\"",
    ];
    let mut rng = Rng(2024);
    for round in 0..300 {
        let pages: Vec<SourcePage> = (0..1 + rng.below(3))
            .map(|i| SourcePage {
                number: i as u32 + 1,
                text: (0..rng.below(60)).map(|_| rng.pick(ALPHABET)).collect(),
            })
            .collect();
        let input = Input {
            pages,
            headings: Vec::new(),
        };
        let text: String = input
            .pages
            .iter()
            .map(|p| p.text.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        let max = 1 + rng.below(12) as u32;
        let config = Config {
            max_tokens: max,
            overlap_tokens: if round % 3 == 0 {
                rng.below(max as usize) as u32
            } else {
                0
            },
            encoding: if round % 2 == 0 {
                Encoding::Cl100kBase
            } else {
                Encoding::O200kBase
            },
            respect_paragraphs: round % 5 != 0,
        };
        match chunk(&input, &config) {
            Ok(chunks) => check_common(&input, &text, &config, &chunks),
            Err(ChunkError::InvalidConfig(m)) => {
                assert!(max < 4 && m.contains("single character"), "{m}");
            }
            Err(e) => panic!("{e}"),
        }
    }
}
