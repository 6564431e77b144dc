//! Document metadata from the trailer's Info dictionary.

use lopdf::{Dictionary, Document, Object};

use crate::strings::{resolve, text_value};
use crate::xmp;
use conductor_plugin_sdk::extractor::Metadata;

/// Reads title, author, ... from the Info dictionary; `page_count` is left to the caller.
pub fn read_metadata(doc: &Document) -> Metadata {
    let info = info_dict(doc);
    let text = |key: &[u8]| info?.get(key).ok().and_then(|o| text_value(doc, o));
    let date = |key: &[u8]| text(key).map(|raw| pdf_date_to_iso(&raw).unwrap_or(raw));
    let mut meta = Metadata {
        title: text(b"Title"),
        author: text(b"Author"),
        subject: text(b"Subject"),
        creator: text(b"Creator"),
        producer: text(b"Producer"),
        created: date(b"CreationDate"),
        modified: date(b"ModDate"),
        page_count: 0,
    };
    let complete = [
        &meta.title,
        &meta.author,
        &meta.subject,
        &meta.creator,
        &meta.producer,
        &meta.created,
        &meta.modified,
    ]
    .iter()
    .all(|f| f.is_some());
    // The Info dictionary wins where both exist (it is what most readers show); the XMP
    // packet only fills gaps, and is not even decompressed when there are none.
    if !complete && let Some(packet) = xmp::packet(doc) {
        let fill = |field: &mut Option<String>, value: Option<String>| {
            if field.is_none() {
                *field = value;
            }
        };
        fill(&mut meta.title, xmp::first_item(&packet, "dc:title"));
        fill(&mut meta.author, xmp::first_item(&packet, "dc:creator"));
        fill(
            &mut meta.subject,
            xmp::first_item(&packet, "dc:description"),
        );
        fill(&mut meta.creator, xmp::simple(&packet, "xmp:CreatorTool"));
        fill(&mut meta.producer, xmp::simple(&packet, "pdf:Producer"));
        fill(&mut meta.created, xmp::simple(&packet, "xmp:CreateDate"));
        fill(&mut meta.modified, xmp::simple(&packet, "xmp:ModifyDate"));
    }
    meta
}

fn info_dict(doc: &Document) -> Option<&Dictionary> {
    let info = doc.trailer.get(b"Info").ok()?;
    match resolve(doc, info)? {
        Object::Dictionary(d) => Some(d),
        _ => None,
    }
}

/// Converts a PDF date (`D:YYYYMMDDHHmmSSOHH'mm'`, every part after the year optional)
/// to ISO 8601; `None` when it does not parse, so the caller can keep the raw value.
pub fn pdf_date_to_iso(raw: &str) -> Option<String> {
    let s = raw.trim();
    let s = s.strip_prefix("D:").unwrap_or(s);
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if !(4..=14).contains(&digits) || digits % 2 != 0 {
        return None;
    }
    let field = |start: usize, default: u32| -> Option<u32> {
        if start + 2 <= digits {
            s.get(start..start + 2)?.parse().ok()
        } else {
            Some(default)
        }
    };
    let year: u32 = s.get(0..4)?.parse().ok()?;
    let month = field(4, 1)?;
    let day = field(6, 1)?;
    let hour = field(8, 0)?;
    let minute = field(10, 0)?;
    let second = field(12, 0)?;
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let zone = parse_zone(s.get(digits..)?)?;
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{zone}"
    ))
}

/// Parses the time-zone tail: empty, `Z`, or `+HH'mm'` / `-HH'mm` / `+HH` (apostrophes
/// optional, as producers disagree).
fn parse_zone(tail: &str) -> Option<String> {
    let tail = tail.trim();
    if tail.is_empty() {
        return Some(String::new());
    }
    let (sign, rest) = match tail.as_bytes().first()? {
        b'Z' | b'z' => {
            // "Z00'00'" is a frequent spelling of UTC.
            let rest = tail.get(1..)?.trim_matches(|c| c == '\'' || c == '0');
            return rest.is_empty().then(|| "Z".to_string());
        }
        b'+' => ('+', tail.get(1..)?),
        b'-' => ('-', tail.get(1..)?),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != '\'').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (hours, minutes) = match digits.len() {
        2 => (digits.parse::<u32>().ok()?, 0),
        4 => (
            digits.get(0..2)?.parse().ok()?,
            digits.get(2..4)?.parse().ok()?,
        ),
        _ => return None,
    };
    if hours > 23 || minutes > 59 {
        return None;
    }
    if hours == 0 && minutes == 0 {
        return Some("Z".to_string());
    }
    Some(format!("{sign}{hours:02}:{minutes:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_date_with_offset() {
        assert_eq!(
            pdf_date_to_iso("D:20160419101500-07'00'").as_deref(),
            Some("2016-04-19T10:15:00-07:00")
        );
        assert_eq!(
            pdf_date_to_iso("D:20160419101500+0530").as_deref(),
            Some("2016-04-19T10:15:00+05:30")
        );
    }

    #[test]
    fn utc_spellings() {
        assert_eq!(
            pdf_date_to_iso("D:20200101000000Z").as_deref(),
            Some("2020-01-01T00:00:00Z")
        );
        assert_eq!(
            pdf_date_to_iso("D:20200101000000Z00'00'").as_deref(),
            Some("2020-01-01T00:00:00Z")
        );
        assert_eq!(
            pdf_date_to_iso("D:20200101000000+00'00'").as_deref(),
            Some("2020-01-01T00:00:00Z")
        );
    }

    #[test]
    fn partial_dates_get_defaults() {
        assert_eq!(
            pdf_date_to_iso("D:2016").as_deref(),
            Some("2016-01-01T00:00:00")
        );
        assert_eq!(
            pdf_date_to_iso("20160419").as_deref(),
            Some("2016-04-19T00:00:00")
        );
    }

    #[test]
    fn garbage_is_none() {
        for raw in [
            "",
            "D:",
            "yesterday",
            "D:201",
            "D:20161319",
            "D:20160419101500X",
            "D:2016041910150",
        ] {
            assert_eq!(pdf_date_to_iso(raw), None, "{raw}");
        }
    }

    #[test]
    fn metadata_from_info() {
        let mut doc = Document::new();
        let mut info = Dictionary::new();
        info.set(
            "Title",
            Object::string_literal(b"\xFE\xFF\x00A\x00b".to_vec()),
        );
        info.set(
            "CreationDate",
            Object::string_literal("D:20160419101500-07'00'"),
        );
        info.set("ModDate", Object::string_literal("last tuesday"));
        info.set("Author", Object::string_literal("  "));
        let id = doc.add_object(info);
        doc.trailer.set("Info", Object::Reference(id));
        let meta = read_metadata(&doc);
        assert_eq!(meta.title.as_deref(), Some("Ab"));
        assert_eq!(meta.created.as_deref(), Some("2016-04-19T10:15:00-07:00"));
        assert_eq!(meta.modified.as_deref(), Some("last tuesday"));
        assert_eq!(meta.author, None);
    }

    #[test]
    fn xmp_fills_gaps_only() {
        let mut doc = Document::new();
        let xmp = br#"<x:xmpmeta><rdf:Description pdf:Producer="XMP producer">
            <dc:title><rdf:Alt><rdf:li xml:lang="x-default">XMP title</rdf:li></rdf:Alt></dc:title>
            <dc:creator><rdf:Seq><rdf:li>Jane Clerk</rdf:li></rdf:Seq></dc:creator>
            </rdf:Description></x:xmpmeta>"#;
        let stream = doc.add_object(lopdf::Stream::new(Dictionary::new(), xmp.to_vec()));
        let catalog =
            doc.add_object(lopdf::dictionary! { "Type" => "Catalog", "Metadata" => stream });
        doc.trailer.set("Root", catalog);
        let mut info = Dictionary::new();
        info.set("Title", Object::string_literal("Info title"));
        let info = doc.add_object(info);
        doc.trailer.set("Info", info);
        let meta = read_metadata(&doc);
        assert_eq!(meta.title.as_deref(), Some("Info title"));
        assert_eq!(meta.author.as_deref(), Some("Jane Clerk"));
        assert_eq!(meta.producer.as_deref(), Some("XMP producer"));
    }
}
