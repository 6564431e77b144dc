//! The OPC package: a zip archive read with limits, and its relationship parts.
//!
//! Every part is inflated through [`Package::read`], which refuses parts whose declared
//! size or compression ratio is out of bounds and stops inflating at the per-part and
//! whole-document caps whatever the headers claim, so a zip bomb costs at most the cap.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use zip::ZipArchive;
use zip::result::ZipError;

use crate::xml::{Ev, Xml};
use conductor_plugin_sdk::extractor::ExtractError;

/// Bytes one part may inflate to.
pub(crate) const MAX_PART_BYTES: u64 = 128 << 20;
/// Bytes all parts read from one document may inflate to together.
pub(crate) const MAX_TOTAL_BYTES: u64 = 256 << 20;
/// Parts larger than this must not compress better than [`MAX_RATIO`] to one.
const RATIO_FLOOR_BYTES: u64 = 1 << 20;
/// Deflate reaches about 1000:1 at best on real data; more is a bomb.
const MAX_RATIO: u64 = 1000;

const OLE_MAGIC: &[u8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1";

/// An opened DOCX package.
pub(crate) struct Package<'a> {
    zip: ZipArchive<Cursor<&'a [u8]>>,
    /// Lower-cased part name (no leading `/`) -> index in the archive.
    names: HashMap<String, usize>,
    inflated: u64,
}

impl<'a> Package<'a> {
    /// Opens the archive and indexes its part names.
    ///
    /// # Errors
    /// [`ExtractError::Encrypted`] for a password-protected document (an OLE container
    /// holding `EncryptionInfo`), [`ExtractError::Unsupported`] for another OLE file (a Word
    /// 97-2003 `.doc`), [`ExtractError::Corrupt`] when the bytes are not a zip archive.
    pub(crate) fn open(bytes: &'a [u8]) -> Result<Self, ExtractError> {
        if bytes.starts_with(OLE_MAGIC) {
            let marker: Vec<u8> = "EncryptionInfo"
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect();
            if bytes.windows(marker.len()).any(|w| w == marker.as_slice()) {
                return Err(ExtractError::Encrypted(
                    "the document is password-protected (an encrypted OLE container)".into(),
                ));
            }
            return Err(ExtractError::Unsupported(
                "an OLE compound file (a Word 97-2003 .doc?), not a DOCX".into(),
            ));
        }
        let zip = ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| ExtractError::Corrupt(format!("not a readable zip archive: {e}")))?;
        let mut names = HashMap::new();
        for index in 0..zip.len() {
            if let Some(name) = zip.name_for_index(index) {
                names
                    .entry(name.trim_start_matches('/').to_ascii_lowercase())
                    .or_insert(index);
            }
        }
        Ok(Self {
            zip,
            names,
            inflated: 0,
        })
    }

    /// Whether the archive has a part of this name (case-insensitive).
    pub(crate) fn has(&self, name: &str) -> bool {
        self.names.contains_key(&name.to_ascii_lowercase())
    }

    /// Inflates one part; `Ok(None)` when the archive has no such part.
    ///
    /// # Errors
    /// [`ExtractError::TooLarge`] when the part breaks a size or ratio limit,
    /// [`ExtractError::Encrypted`] for an encrypted entry, [`ExtractError::Corrupt`] when it
    /// cannot be inflated.
    pub(crate) fn read(&mut self, name: &str) -> Result<Option<Vec<u8>>, ExtractError> {
        let Some(&index) = self.names.get(&name.to_ascii_lowercase()) else {
            return Ok(None);
        };
        let entry = self.zip.by_index(index).map_err(|e| match e {
            ZipError::UnsupportedArchive(m) if m == ZipError::PASSWORD_REQUIRED => {
                ExtractError::Encrypted(format!("part {name} is encrypted"))
            }
            e => ExtractError::Corrupt(format!("cannot open part {name}: {e}")),
        })?;
        let declared = entry.size();
        let compressed = entry.compressed_size().max(1);
        let budget = MAX_PART_BYTES.min(MAX_TOTAL_BYTES.saturating_sub(self.inflated));
        if declared > budget {
            return Err(ExtractError::TooLarge(format!(
                "part {name} declares {declared} bytes uncompressed, over the limit of {budget}"
            )));
        }
        if declared > RATIO_FLOOR_BYTES && declared / compressed > MAX_RATIO {
            return Err(ExtractError::TooLarge(format!(
                "part {name} compresses {}:1, more than {MAX_RATIO}:1 (a zip bomb?)",
                declared / compressed
            )));
        }
        // The declared size may lie: inflate one byte past it at most, and refuse a part
        // that has more data than it declares.
        let mut out = Vec::with_capacity(usize::try_from(declared).unwrap_or(0));
        let mut limited = entry.take(declared.saturating_add(1));
        limited
            .read_to_end(&mut out)
            .map_err(|e| ExtractError::Corrupt(format!("cannot inflate part {name}: {e}")))?;
        let got = out.len() as u64;
        if got > declared {
            return Err(ExtractError::Corrupt(format!(
                "part {name} inflates to more than the {declared} bytes it declares"
            )));
        }
        self.inflated += got;
        Ok(Some(out))
    }

    /// The relationships of `part` (from `dir/_rels/name.rels`), or of the package when
    /// `part` is empty. Missing or unreadable relationship parts give an empty list.
    pub(crate) fn relationships(&mut self, part: &str) -> Result<Vec<Relationship>, ExtractError> {
        let (dir, file) = part.rsplit_once('/').unwrap_or(("", part));
        let rels_name = if dir.is_empty() {
            format!("_rels/{file}.rels")
        } else {
            format!("{dir}/_rels/{file}.rels")
        };
        let Some(bytes) = self.read(&rels_name)? else {
            return Ok(Vec::new());
        };
        Ok(parse_relationships(&bytes, dir))
    }
}

/// One `Relationship` of a `.rels` part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Relationship {
    pub id: String,
    /// The last path segment of the relationship type (`officeDocument`, `styles`, ...).
    pub kind: String,
    /// Part name for internal targets (resolved against the source's folder), the URI as
    /// written for external ones.
    pub target: String,
    pub external: bool,
}

/// Parses a `.rels` part whose source part lives in folder `dir`. Malformed XML ends the
/// list early: relationships are a best effort.
fn parse_relationships(bytes: &[u8], dir: &str) -> Vec<Relationship> {
    let mut xml = Xml::new(bytes);
    let mut out = Vec::new();
    while let Ok(ev) = xml.next() {
        match ev {
            Ev::Start(el) | Ev::Empty(el) if el.local == "Relationship" => {
                let external = el
                    .attr("TargetMode")
                    .is_some_and(|m| m.eq_ignore_ascii_case("External"));
                let raw = el.attr("Target").unwrap_or_default();
                let target = if external {
                    raw.to_string()
                } else {
                    resolve(dir, raw)
                };
                out.push(Relationship {
                    id: el.attr("Id").unwrap_or_default().to_string(),
                    kind: el
                        .attr("Type")
                        .unwrap_or_default()
                        .rsplit('/')
                        .next()
                        .unwrap_or_default()
                        .to_string(),
                    target,
                    external,
                });
            }
            Ev::Eof => break,
            _ => {}
        }
    }
    out
}

/// Resolves a relative part reference against a folder (`word` + `../customXml/a.xml`).
fn resolve(dir: &str, target: &str) -> String {
    if let Some(absolute) = target.strip_prefix('/') {
        return absolute.to_string();
    }
    let mut parts: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
    for segment in target.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_relative_targets() {
        assert_eq!(resolve("word", "styles.xml"), "word/styles.xml");
        assert_eq!(resolve("word", "../docProps/a.xml"), "docProps/a.xml");
        assert_eq!(resolve("", "word/document.xml"), "word/document.xml");
        assert_eq!(resolve("word", "/word/x.xml"), "word/x.xml");
    }

    #[test]
    fn parses_relationships() {
        let rels = br#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
            <Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
            <Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="https://example.org/?a=1&amp;b=2" TargetMode="External"/>
        </Relationships>"#;
        let r = parse_relationships(rels, "word");
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].kind, "styles");
        assert_eq!(r[0].target, "word/styles.xml");
        assert!(r[1].external);
        assert_eq!(r[1].target, "https://example.org/?a=1&b=2");
    }
}
