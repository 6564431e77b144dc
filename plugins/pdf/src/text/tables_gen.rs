//! Generates `data/tables.bin` from its published sources and checks that the file in the
//! repository is what they give (a test, so the check runs with `cargo test`):
//!
//! - CMaps and CID -> Unicode maps: Adobe's CMap resources (BSD-3-Clause) as Debian's
//!   `poppler-data` installs them, `/usr/share/poppler/cMap` (or `CONDUCTOR_CMAP_DIR`);
//! - standard-14 widths: Adobe's Core14 AFM files as Debian's `python-matplotlib-data`
//!   installs them, `/usr/share/matplotlib/mpl-data/fonts/pdfcorefonts` (or
//!   `CONDUCTOR_AFM_DIR`).
//!
//! The sources are read with the engine's own CMap parser and glyph list, so the tables
//! mean what the engine would have made of the files. Regenerate with
//! `CONDUCTOR_REGENERATE_TABLES=1 cargo test -p conductor-pdf --lib tables_gen`.
//! Sections are compared inflated: a different zlib may pack the same table differently.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use lopdf::Document;

use super::cid::ORDERINGS;
use super::cmap::CMap;
use super::encoding::Names;
use super::std14::FONTS;
use super::tables::{MAGIC, TABLES, index, section_of};

#[path = "../../../../tests/support/corpus_gate.rs"]
mod corpus_gate;

const CMAP_DIR: &str = "/usr/share/poppler/cMap";
const AFM_DIR: &str = "/usr/share/matplotlib/mpl-data/fonts/pdfcorefonts";

/// The encodings a PDF may name (ISO 32000-2, "Predefined CMaps") that the engine builds
/// in, plus the JIS2004 UTF-16 maps; UTF-8/UTF-32 maps and Adobe's internal ones are left
/// out (no PDF names them).
fn wanted(name: &str) -> bool {
    !(name.starts_with("Adobe-")
        || name.starts_with("UCS2-")
        || name.contains("UTF8")
        || name.contains("UTF32")
        || name.ends_with("UCS2")
        || name.ends_with("UCS2C"))
}

struct Writer(Vec<u8>);

impl Writer {
    fn varint(&mut self, mut v: u32) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    fn signed(&mut self, v: i64) {
        let z = (v << 1) ^ (v >> 63);
        self.varint(u32::try_from(z).expect("difference fits"));
    }
}

/// The section of CMap file `name`, or `None` for a file with no code -> CID entry (a
/// ToUnicode-style map, not an encoding). A file that uses another keeps only its own
/// entries and names the other as its parent (a `-V` map is a few vertical forms over its
/// `-H` twin). The `Uni*` maps' codes are UTF-16 text, which the engine reads as such:
/// they keep their codespaces and no entries.
fn cmap_section(dir: &Path, name: &str, ordering: usize) -> Option<Vec<u8>> {
    let data = std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let cmap = CMap::parse(&data);
    let parent = cmap.use_cmap.clone().unwrap_or_default();
    let mut entries = cmap.cid_entries();
    if entries.is_empty() && parent.is_empty() {
        return None;
    }
    let unicode_codes = name.starts_with("Uni");
    if unicode_codes {
        entries.clear();
    }
    // A code both in a wide range and in an entry of its own reads as the engine reads it:
    // the entry (listed first) wins.
    entries.sort_by_key(|e| e.0);
    entries.dedup_by_key(|e| e.0);
    let mut w = Writer(vec![
        ordering as u8,
        u8::from(cmap.vertical),
        u8::from(unicode_codes),
    ]);
    w.0.push(parent.len() as u8);
    w.0.extend_from_slice(&parent);
    w.0.push(cmap.codespaces.len() as u8);
    for s in &cmap.codespaces {
        w.0.push(s.len as u8);
        w.0.extend_from_slice(&s.lo[..s.len]);
        w.0.extend_from_slice(&s.hi[..s.len]);
    }
    // Maximal runs of consecutive codes with consecutive CIDs.
    let mut runs: Vec<(u32, u32, u32)> = Vec::new();
    for (code, cid) in entries {
        match runs.last_mut() {
            Some((lo, hi, first)) if code == *hi + 1 && cid == *first + (code - *lo) => *hi = code,
            _ => runs.push((code, code, cid)),
        }
    }
    w.varint(runs.len() as u32);
    let (mut prev_lo, mut next_cid) = (0u32, 0i64);
    for &(lo, hi, cid) in &runs {
        w.varint(lo - prev_lo);
        w.varint(hi - lo);
        w.signed(i64::from(cid) - next_cid);
        prev_lo = lo;
        next_cid = i64::from(cid) + i64::from(hi - lo) + 1;
    }
    Some(w.0)
}

fn cid2uni_section(dir: &Path, ordering: &str) -> Vec<u8> {
    let path = dir.join(format!("Adobe-{ordering}/Adobe-{ordering}-UCS2"));
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let cmap = CMap::parse(&data);
    let mut runs: Vec<(u32, u32, u32)> = Vec::new();
    let mut multi: Vec<(u32, Vec<u32>)> = Vec::new();
    // CID 0 is .notdef, which the files map to U+FFFD: left unmapped, so it counts as such.
    for cid in 1..=0xffffu32 {
        let Some(text) = cmap.unicode(cid) else {
            continue;
        };
        let chars: Vec<u32> = text.chars().map(u32::from).collect();
        match chars.as_slice() {
            [cp] => match runs.last_mut() {
                Some((first, len, start)) if cid == *first + *len && *cp == *start + *len => {
                    *len += 1;
                }
                _ => runs.push((cid, 1, *cp)),
            },
            _ => multi.push((cid, chars)),
        }
    }
    let mut w = Writer(Vec::new());
    w.varint(runs.len() as u32);
    let (mut next_cid, mut next_cp) = (0u32, 0i64);
    for &(cid, len, cp) in &runs {
        w.varint(cid - next_cid);
        w.varint(len);
        w.signed(i64::from(cp) - next_cp);
        next_cid = cid + len;
        next_cp = i64::from(cp) + i64::from(len);
    }
    w.varint(multi.len() as u32);
    for (cid, chars) in &multi {
        w.varint(*cid);
        w.varint(chars.len() as u32);
        for &c in chars {
            w.varint(c);
        }
    }
    w.0
}

fn afm_section(dir: &Path, font: &str, names: &mut Names) -> Vec<u8> {
    let path = dir.join(format!("{font}.afm"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let by_code = font == "Symbol" || font == "ZapfDingbats";
    let doc = Document::new();
    let mut widths: BTreeMap<u32, u32> = BTreeMap::new();
    for line in text.lines().filter(|l| l.starts_with("C ")) {
        let field = |key: &str| {
            line.split(';')
                .map(str::trim)
                .find_map(|f| f.strip_prefix(key).map(str::trim))
        };
        let (Some(code), Some(wx), Some(name)) = (field("C "), field("WX "), field("N ")) else {
            continue;
        };
        let width: u32 = wx.parse().expect("AFM width");
        let key = if by_code {
            code.parse::<u32>().ok()
        } else {
            names
                .glyph(&doc, name.as_bytes())
                .and_then(|t| {
                    let mut cs = t.chars();
                    cs.next().filter(|_| cs.next().is_none())
                })
                .map(u32::from)
        };
        if let Some(key) = key {
            // The first glyph for a character wins (AFMs list encoded glyphs first).
            widths.entry(key).or_insert(width);
        }
    }
    let mut w = Writer(vec![u8::from(by_code)]);
    w.varint(widths.len() as u32);
    let mut prev = 0;
    for (&key, &width) in &widths {
        w.varint(key - prev);
        w.varint(width);
        prev = key;
    }
    w.0
}

fn source_dir(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from)
}

/// Every section, by name, generated from the sources.
fn generate(cmap_dir: &Path, afm_dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for (i, ordering) in ORDERINGS.iter().enumerate() {
        let dir = cmap_dir.join(format!("Adobe-{ordering}"));
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| wanted(n))
            .collect();
        files.sort();
        for name in files {
            if let Some(data) = cmap_section(&dir, &name, i) {
                out.insert(format!("cmap/{name}"), data);
            }
        }
        out.insert(
            format!("cid2uni/{ordering}"),
            cid2uni_section(cmap_dir, ordering),
        );
    }
    for (name, data) in &out {
        if let Some(parent) = name
            .strip_prefix("cmap/")
            .and(data.get(4..4 + usize::from(data[3])))
        {
            let parent = format!("cmap/{}", String::from_utf8_lossy(parent));
            assert!(
                parent == "cmap/" || out.contains_key(&parent),
                "{name} uses missing {parent}"
            );
        }
    }
    let mut names = Names::default();
    for font in FONTS {
        out.insert(
            format!("afm/{font}"),
            afm_section(afm_dir, font, &mut names),
        );
    }
    out
}

fn pack(sections: &BTreeMap<String, Vec<u8>>) -> Vec<u8> {
    let packed: Vec<(&String, Vec<u8>)> = sections
        .iter()
        .map(|(name, raw)| {
            let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
            z.write_all(raw).unwrap();
            (name, z.finish().unwrap())
        })
        .collect();
    let header: usize = 6 + packed.iter().map(|(n, _)| 1 + n.len() + 8).sum::<usize>();
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&(packed.len() as u16).to_be_bytes());
    let mut offset = header;
    for (name, z) in &packed {
        out.push(name.len() as u8);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&(offset as u32).to_be_bytes());
        out.extend_from_slice(&(z.len() as u32).to_be_bytes());
        offset += z.len();
    }
    for (_, z) in packed {
        out.extend_from_slice(&z);
    }
    out
}

#[test]
fn tables_match_their_sources() {
    let cmap_dir = source_dir("CONDUCTOR_CMAP_DIR", CMAP_DIR);
    let afm_dir = source_dir("CONDUCTOR_AFM_DIR", AFM_DIR);
    for (dir, package) in [
        (&cmap_dir, "poppler-data"),
        (&afm_dir, "python-matplotlib-data"),
    ] {
        if !dir.is_dir() {
            corpus_gate::missing(&format!(
                "{} not found (apt-get install {package}; scripts/setup.sh does)",
                dir.display()
            ));
            return;
        }
    }
    let sections = generate(&cmap_dir, &afm_dir);
    if std::env::var_os("CONDUCTOR_REGENERATE_TABLES").is_some() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/tables.bin");
        std::fs::write(&path, pack(&sections)).unwrap();
        eprintln!("wrote {} ({} sections)", path.display(), sections.len());
        return;
    }
    let stored: Vec<String> = index(TABLES)
        .iter()
        .map(|(n, _, _)| String::from_utf8_lossy(n).into_owned())
        .collect();
    let expected: Vec<&String> = sections.keys().collect();
    assert_eq!(
        stored.iter().collect::<Vec<_>>(),
        expected,
        "data/tables.bin holds other sections than its sources give: regenerate it"
    );
    for (name, raw) in &sections {
        assert!(
            section_of(TABLES, name).as_ref() == Some(raw),
            "section {name} of data/tables.bin differs from its source: regenerate it"
        );
    }
}

#[test]
fn packing_round_trips() {
    let mut sections = BTreeMap::new();
    sections.insert("a".to_string(), vec![1, 2, 3]);
    sections.insert("b/c".to_string(), Vec::new());
    let file = pack(&sections);
    assert_eq!(section_of(&file, "a"), Some(vec![1, 2, 3]));
    assert_eq!(section_of(&file, "b/c"), Some(Vec::new()));
    assert_eq!(section_of(&file, "d"), None);
    assert_eq!(section_of(&file[..10], "a"), None);
}
