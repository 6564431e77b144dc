//! Document properties: `docProps/core.xml` (Dublin Core) and `docProps/app.xml`.

use crate::xml::{Ev, Xml};
use conductor_plugin_sdk::extractor::Metadata;

/// Longest property value kept, in bytes; longer values are cut at a char boundary.
const MAX_VALUE: usize = 4096;

/// Core properties: title, author, subject, dates, and who saved the document last.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Core {
    pub metadata: Metadata,
    pub last_modified_by: Option<String>,
}

/// Reads the core properties part. Malformed XML keeps what was read before the fault;
/// a DTD makes the whole part ignored (it is refused before any value is read).
pub(crate) fn read_core(bytes: &[u8]) -> Core {
    let mut core = Core::default();
    for_each_value(bytes, |name, value| {
        let slot = match name {
            "title" => &mut core.metadata.title,
            "creator" => &mut core.metadata.author,
            "subject" => &mut core.metadata.subject,
            "created" => &mut core.metadata.created,
            "modified" => &mut core.metadata.modified,
            "lastModifiedBy" => &mut core.last_modified_by,
            _ => return,
        };
        *slot = Some(value);
    });
    core
}

/// The authoring application named by the extended properties part.
pub(crate) fn read_application(bytes: &[u8]) -> Option<String> {
    let mut application = None;
    for_each_value(bytes, |name, value| {
        if name == "Application" {
            application = Some(value);
        }
    });
    application
}

/// Calls `f` with the local name and trimmed, non-empty text of each child of the root.
fn for_each_value(bytes: &[u8], mut f: impl FnMut(&str, String)) {
    let mut xml = Xml::new(bytes);
    let mut depth = 0usize;
    loop {
        match xml.next() {
            Ok(Ev::Start(el)) => {
                depth += 1;
                if depth == 2 {
                    let Ok(text) = xml.text() else { return };
                    depth -= 1;
                    let mut value = text.trim().to_string();
                    if value.len() > MAX_VALUE {
                        let mut cut = MAX_VALUE;
                        while !value.is_char_boundary(cut) {
                            cut -= 1;
                        }
                        value.truncate(cut);
                    }
                    if !value.is_empty() {
                        f(&el.local, value);
                    }
                }
            }
            Ok(Ev::End) => depth = depth.saturating_sub(1),
            Ok(Ev::Empty(_) | Ev::Text(_)) => {}
            Ok(Ev::Eof) | Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_core_properties() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<dc:title>Council &amp; Agenda</dc:title><dc:subject>Budget</dc:subject><dc:creator>City Clerk</dc:creator>
<cp:lastModifiedBy>Deputy</cp:lastModifiedBy><dc:description></dc:description>
<dcterms:created xsi:type="dcterms:W3CDTF">2024-03-01T10:00:00Z</dcterms:created>
<dcterms:modified xsi:type="dcterms:W3CDTF">2024-03-02T11:30:00Z</dcterms:modified>
</cp:coreProperties>"#;
        let core = read_core(xml.as_bytes());
        assert_eq!(core.metadata.title.as_deref(), Some("Council & Agenda"));
        assert_eq!(core.metadata.author.as_deref(), Some("City Clerk"));
        assert_eq!(core.metadata.subject.as_deref(), Some("Budget"));
        assert_eq!(
            core.metadata.created.as_deref(),
            Some("2024-03-01T10:00:00Z")
        );
        assert_eq!(
            core.metadata.modified.as_deref(),
            Some("2024-03-02T11:30:00Z")
        );
        assert_eq!(core.last_modified_by.as_deref(), Some("Deputy"));
    }

    #[test]
    fn reads_application() {
        let xml = r#"<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Template>Normal.dotm</Template><Application>Microsoft Office Word</Application></Properties>"#;
        assert_eq!(
            read_application(xml.as_bytes()).as_deref(),
            Some("Microsoft Office Word")
        );
    }

    #[test]
    fn dtd_yields_nothing() {
        let xml = r#"<!DOCTYPE x [<!ENTITY a "b">]><cp:coreProperties xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:cp="x"><dc:title>&a;</dc:title></cp:coreProperties>"#;
        assert_eq!(read_core(xml.as_bytes()), Core::default());
    }
}
