//! List numbering (`word/numbering.xml`, read with docx-rs): the number or bullet each
//! list paragraph shows, computed the way Word counts.
//!
//! Counters belong to an abstract numbering definition, so that several `w:num`s sharing
//! one continue each other's count; a `w:num` with a start override counts on its own.
//! Bullets of every kind are written `-`: Word's bullet glyphs are mostly private-use
//! code points of the Symbol and Wingdings fonts, which mean nothing as text.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use docx_rs::FromXML;
use serde::Deserialize;

use crate::xml::check_root;

const LEVELS: usize = 9;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Level {
    #[serde(default)]
    level: usize,
    #[serde(default)]
    start: i64,
    #[serde(default)]
    format: String,
    #[serde(default)]
    text: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AbstractNum {
    #[serde(default)]
    id: usize,
    #[serde(default)]
    levels: Vec<Level>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Override {
    #[serde(default)]
    level: usize,
    #[serde(default)]
    override_start: Option<i64>,
    #[serde(default)]
    override_level: Option<Level>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Num {
    #[serde(default)]
    id: usize,
    #[serde(default)]
    abstract_num_id: usize,
    #[serde(default)]
    level_overrides: Vec<Override>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Definitions {
    #[serde(default)]
    abstract_nums: Vec<AbstractNum>,
    #[serde(default)]
    numberings: Vec<Num>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum CounterKey {
    Abstract(usize),
    Num(usize),
}

/// Numbering definitions plus the running counters.
#[derive(Debug, Default)]
pub(crate) struct Numbering {
    abstracts: HashMap<usize, AbstractNum>,
    nums: HashMap<usize, Num>,
    counters: HashMap<CounterKey, [Option<i64>; LEVELS]>,
}

impl Numbering {
    /// Reads `word/numbering.xml`.
    ///
    /// # Errors
    /// A message when the part declares a DTD or is not a `numbering` part, or docx-rs fails
    /// or panics on it.
    pub(crate) fn load(bytes: &[u8]) -> Result<Self, String> {
        check_root(bytes, "numbering")
            .map_err(|why| format!("the numbering part was ignored: {why}"))?;
        let parsed = catch_unwind(AssertUnwindSafe(|| docx_rs::Numberings::from_xml(bytes)))
            .map_err(|_| "the numbering reader failed on this part".to_string())?
            .map_err(|e| format!("the numbering part is not readable: {e}"))?;
        let value = serde_json::to_value(&parsed).map_err(|e| e.to_string())?;
        let defs: Definitions = serde_json::from_value(value).map_err(|e| e.to_string())?;
        Ok(Self {
            abstracts: defs.abstract_nums.into_iter().map(|a| (a.id, a)).collect(),
            nums: defs.numberings.into_iter().map(|n| (n.id, n)).collect(),
            counters: HashMap::new(),
        })
    }

    fn level(&self, num: &Num, ilvl: usize) -> Option<Level> {
        if let Some(level) = num
            .level_overrides
            .iter()
            .find(|o| o.level == ilvl)
            .and_then(|o| o.override_level.clone())
        {
            return Some(level);
        }
        let abs = self.abstracts.get(&num.abstract_num_id)?;
        abs.levels.iter().find(|l| l.level == ilvl).cloned()
    }

    /// Counts one paragraph of list `num_id` at level `ilvl` and returns the label it
    /// shows (`3.`, `b)`, `2.1.4`, `-`), or `None` for no visible label.
    pub(crate) fn label(&mut self, num_id: usize, ilvl: usize) -> Option<String> {
        if num_id == 0 || ilvl >= LEVELS {
            return None;
        }
        let num = self.nums.get(&num_id)?.clone();
        let level = self.level(&num, ilvl)?;
        let has_override = num
            .level_overrides
            .iter()
            .any(|o| o.override_start.is_some());
        let key = if has_override {
            CounterKey::Num(num_id)
        } else {
            CounterKey::Abstract(num.abstract_num_id)
        };
        let start_of = |lvl: usize, level: Option<&Level>| -> i64 {
            num.level_overrides
                .iter()
                .find(|o| o.level == lvl)
                .and_then(|o| o.override_start)
                .or_else(|| level.map(|l| l.start))
                .unwrap_or(1)
        };
        let levels: Vec<Option<Level>> = (0..LEVELS).map(|l| self.level(&num, l)).collect();
        let counters = self.counters.entry(key).or_insert([None; LEVELS]);
        counters[ilvl] = Some(match counters[ilvl] {
            Some(n) => n.saturating_add(1),
            None => start_of(ilvl, Some(&level)),
        });
        for deeper in counters.iter_mut().skip(ilvl + 1) {
            *deeper = None;
        }
        let values: Vec<i64> = (0..LEVELS)
            .map(|l| counters[l].unwrap_or_else(|| start_of(l, levels[l].as_ref())))
            .collect();

        match level.format.as_str() {
            "bullet" => return Some("-".into()),
            "none" => return None,
            _ => {}
        }
        let mut out = String::new();
        let mut chars = level.text.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '%'
                && let Some(d) = chars.peek().and_then(|d| d.to_digit(10))
                && (1..=9).contains(&d)
            {
                chars.next();
                let l = d as usize - 1;
                let format = levels[l].as_ref().map_or("decimal", |x| x.format.as_str());
                out.push_str(&format_number(values[l], format));
            } else {
                out.push(c);
            }
        }
        let out = out.trim().to_string();
        (!out.is_empty()).then_some(out)
    }
}

/// One counter value in a `w:numFmt` format; unknown formats fall back to decimal.
fn format_number(n: i64, format: &str) -> String {
    match format {
        "lowerLetter" if n > 0 => letters(n, b'a'),
        "upperLetter" if n > 0 => letters(n, b'A'),
        "lowerRoman" if (1..4000).contains(&n) => roman(n).to_ascii_lowercase(),
        "upperRoman" if (1..4000).contains(&n) => roman(n),
        "decimalZero" if (0..10).contains(&n) => format!("0{n}"),
        "ordinal" => {
            let suffix = match (n % 10, n % 100) {
                (_, 11..=13) => "th",
                (1, _) => "st",
                (2, _) => "nd",
                (3, _) => "rd",
                _ => "th",
            };
            format!("{n}{suffix}")
        }
        _ => n.to_string(),
    }
}

/// Word's letter numbering: a..z, then aa..zz, aaa..
fn letters(n: i64, base: u8) -> String {
    let index = (n - 1) % 26;
    let repeat = usize::try_from((n - 1) / 26 + 1).unwrap_or(1).min(64);
    let c = char::from(base + u8::try_from(index).unwrap_or(0));
    std::iter::repeat_n(c, repeat).collect()
}

fn roman(mut n: i64) -> String {
    const TABLE: [(i64, &str); 13] = [
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut out = String::new();
    for (value, digits) in TABLE {
        while n >= value {
            out.push_str(digits);
            n -= value;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NUMBERING: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<w:numbering xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
  <w:abstractNum w:abstractNumId="0">
    <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl>
    <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="%1.%2)"/></w:lvl>
    <w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="upperRoman"/><w:lvlText w:val="%3"/></w:lvl>
  </w:abstractNum>
  <w:abstractNum w:abstractNumId="1">
    <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="&#61623;"/></w:lvl>
  </w:abstractNum>
  <w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>
  <w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num>
  <w:num w:numId="3"><w:abstractNumId w:val="0"/><w:lvlOverride w:ilvl="0"><w:startOverride w:val="5"/></w:lvlOverride></w:num>
</w:numbering>"#;

    #[test]
    fn counts_levels_and_patterns() {
        let mut n = Numbering::load(NUMBERING.as_bytes()).unwrap_or_default();
        assert_eq!(n.label(1, 0).as_deref(), Some("1."));
        assert_eq!(n.label(1, 1).as_deref(), Some("1.a)"));
        assert_eq!(n.label(1, 1).as_deref(), Some("1.b)"));
        assert_eq!(n.label(1, 2).as_deref(), Some("I"));
        assert_eq!(n.label(1, 2).as_deref(), Some("II"));
        assert_eq!(n.label(1, 0).as_deref(), Some("2."));
        assert_eq!(n.label(1, 1).as_deref(), Some("2.a)"));
        assert_eq!(n.label(2, 0).as_deref(), Some("-"));
        assert_eq!(n.label(3, 0).as_deref(), Some("5."));
        assert_eq!(n.label(0, 0), None);
        assert_eq!(n.label(9, 0), None);
    }

    #[test]
    fn formats() {
        assert_eq!(format_number(28, "lowerLetter"), "bb");
        assert_eq!(format_number(14, "lowerRoman"), "xiv");
        assert_eq!(format_number(3, "decimalZero"), "03");
        assert_eq!(format_number(22, "ordinal"), "22nd");
        assert_eq!(format_number(7, "chineseCounting"), "7");
    }
}
