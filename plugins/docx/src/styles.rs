//! Paragraph styles (`word/styles.xml`), read with docx-rs: which styles are headings, at
//! which level, and which carry list numbering.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use docx_rs::FromXML;
use serde::Deserialize;

use crate::xml::check_root;

/// `basedOn` chains longer than this are cut (they may also loop).
const MAX_CHAIN: usize = 16;

/// The part of docx-rs's style model this plugin uses (docx-rs's serde form, its public
/// data interface; the structs themselves keep some fields private).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Style {
    #[serde(default)]
    style_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    based_on: Option<String>,
    #[serde(default)]
    paragraph_property: ParagraphProperty,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ParagraphProperty {
    #[serde(default)]
    outline_lvl: Option<u32>,
    #[serde(default)]
    numbering_property: Option<NumberingProperty>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
struct NumberingProperty {
    #[serde(default)]
    id: Option<usize>,
    #[serde(default)]
    level: Option<usize>,
}

/// The document's paragraph styles by id.
#[derive(Debug, Default)]
pub(crate) struct Styles {
    by_id: HashMap<String, Style>,
    /// False when the document has no (readable) styles part: heading levels then come
    /// from the built-in style ids (`Heading1`, `Title`).
    loaded: bool,
}

impl Styles {
    /// Reads `word/styles.xml`.
    ///
    /// # Errors
    /// A message when the part declares a DTD or is not a `styles` part, or docx-rs fails
    /// or panics on it.
    pub(crate) fn load(bytes: &[u8]) -> Result<Self, String> {
        check_root(bytes, "styles").map_err(|why| format!("the styles part was ignored: {why}"))?;
        let parsed = catch_unwind(AssertUnwindSafe(|| docx_rs::Styles::from_xml(bytes)))
            .map_err(|_| "the styles reader failed on this part".to_string())?
            .map_err(|e| format!("the styles part is not readable: {e}"))?;
        let value = serde_json::to_value(&parsed.styles).map_err(|e| e.to_string())?;
        let styles: Vec<Style> = serde_json::from_value(value).map_err(|e| e.to_string())?;
        Ok(Self {
            by_id: styles
                .into_iter()
                .map(|s| (s.style_id.clone(), s))
                .collect(),
            loaded: true,
        })
    }

    /// The chain of styles from `id` through its `basedOn` ancestors.
    fn chain<'s>(&'s self, id: &str) -> impl Iterator<Item = &'s Style> + 's {
        let mut next = self.by_id.get(id);
        std::iter::from_fn(move || {
            let current = next?;
            next = current
                .based_on
                .as_deref()
                .filter(|b| *b != current.style_id)
                .and_then(|b| self.by_id.get(b));
            Some(current)
        })
        .take(MAX_CHAIN)
    }

    /// The heading level (1 = Title or Heading 1) of paragraphs in style `id`.
    pub(crate) fn heading_level(&self, id: &str) -> Option<u32> {
        if !self.loaded {
            return builtin_level(id);
        }
        for style in self.chain(id) {
            if let Some(level) = builtin_level(&style.name) {
                return Some(level);
            }
            match style.paragraph_property.outline_lvl {
                Some(v @ 0..=8) => return Some(v + 1),
                Some(_) => return None,
                None => {}
            }
        }
        None
    }

    /// The list numbering (`numId`, `ilvl`) that style `id` gives its paragraphs.
    pub(crate) fn numbering(&self, id: &str) -> Option<(usize, usize)> {
        self.chain(id).find_map(|s| {
            let np = s.paragraph_property.numbering_property?;
            Some((np.id?, np.level.unwrap_or(0)))
        })
    }
}

/// Level of a built-in heading style by name or id: `Title`, `heading 3`, `Heading3`.
fn builtin_level(name: &str) -> Option<u32> {
    let lower = name.to_ascii_lowercase();
    if lower == "title" {
        return Some(1);
    }
    let digits = lower.strip_prefix("heading")?.trim_start();
    match digits.parse::<u32>() {
        Ok(n @ 1..=9) => Some(n),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
  <w:style w:type="paragraph" w:styleId="Normal"><w:name w:val="Normal"/></w:style>
  <w:style w:type="paragraph" w:styleId="2"><w:name w:val="heading 2"/><w:basedOn w:val="Normal"/></w:style>
  <w:style w:type="paragraph" w:styleId="Agenda"><w:name w:val="Agenda Item"/><w:basedOn w:val="2"/></w:style>
  <w:style w:type="paragraph" w:styleId="Outline"><w:name w:val="Custom"/><w:pPr><w:outlineLvl w:val="3"/></w:pPr></w:style>
  <w:style w:type="paragraph" w:styleId="Body"><w:name w:val="Custom body"/><w:pPr><w:outlineLvl w:val="9"/></w:pPr></w:style>
  <w:style w:type="paragraph" w:styleId="Loop1"><w:name w:val="a"/><w:basedOn w:val="Loop2"/></w:style>
  <w:style w:type="paragraph" w:styleId="Loop2"><w:name w:val="b"/><w:basedOn w:val="Loop1"/></w:style>
  <w:style w:type="paragraph" w:styleId="ListNumber"><w:name w:val="List Number"/><w:pPr><w:numPr><w:ilvl w:val="1"/><w:numId w:val="5"/></w:numPr></w:pPr></w:style>
</w:styles>"#;

    #[test]
    fn heading_levels_from_names_chains_and_outline_levels() {
        let styles = Styles::load(STYLES.as_bytes()).unwrap_or_default();
        assert_eq!(styles.heading_level("2"), Some(2));
        assert_eq!(styles.heading_level("Agenda"), Some(2));
        assert_eq!(styles.heading_level("Outline"), Some(4));
        assert_eq!(styles.heading_level("Body"), None);
        assert_eq!(styles.heading_level("Normal"), None);
        assert_eq!(styles.heading_level("Loop1"), None);
        assert_eq!(styles.heading_level("Heading7"), None);
        assert_eq!(styles.numbering("ListNumber"), Some((5, 1)));
    }

    #[test]
    fn without_styles_part_builtin_ids_count() {
        let styles = Styles::default();
        assert_eq!(styles.heading_level("Heading3"), Some(3));
        assert_eq!(styles.heading_level("Title"), Some(1));
        assert_eq!(styles.heading_level("Heading10"), None);
    }

    #[test]
    fn dtd_is_refused() {
        let bomb = r#"<?xml version="1.0"?><!DOCTYPE w:styles [<!ENTITY a "aaaa">]><w:styles/>"#;
        assert!(Styles::load(bomb.as_bytes()).is_err());
    }
}
