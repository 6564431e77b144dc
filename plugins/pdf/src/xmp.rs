//! Fallback metadata from the catalog's XMP packet, for documents whose Info dictionary
//! lacks a field. Not an XML parser: it finds the handful of well-known properties in
//! either of their two XMP spellings (element or attribute).

use lopdf::Document;

use crate::strings::resolve;

/// Packets larger than this are not searched; real ones are a few kilobytes.
const MAX_PACKET: usize = 1 << 20;

/// The XMP packet of the document, decompressed, when there is a readable one.
pub fn packet(doc: &Document) -> Option<String> {
    let meta = doc.catalog().ok()?.get(b"Metadata").ok()?;
    let stream = resolve(doc, meta)?.as_stream().ok()?;
    let bytes = if stream.dict.has(b"Filter") {
        crate::streams::decode(stream).ok()?
    } else {
        stream.content.clone()
    };
    let bytes = &bytes[..bytes.len().min(MAX_PACKET)];
    Some(String::from_utf8_lossy(bytes).into_owned())
}

/// A simple property (`xmp:CreateDate`, `pdf:Producer`): `<p>v</p>` or `p="v"`.
pub fn simple(xmp: &str, prop: &str) -> Option<String> {
    let open = format!("<{prop}>");
    if let Some(at) = xmp.find(&open) {
        let rest = &xmp[at + open.len()..];
        let end = rest.find('<')?;
        return clean(&rest[..end]);
    }
    let attr = format!("{prop}=");
    let at = xmp.find(&attr)? + attr.len();
    let rest = &xmp[at..];
    let quote = rest.chars().next().filter(|q| *q == '"' || *q == '\'')?;
    let rest = &rest[1..];
    clean(&rest[..rest.find(quote)?])
}

/// A language alternative or sequence (`dc:title`, `dc:creator`): its first `rdf:li`.
pub fn first_item(xmp: &str, prop: &str) -> Option<String> {
    let open = format!("<{prop}");
    let at = xmp.find(&open)?;
    let close = format!("</{prop}>");
    let body = &xmp[at..];
    let body = &body[..body.find(&close).unwrap_or(body.len())];
    let li = body.find("<rdf:li")?;
    let rest = &body[li..];
    let start = rest.find('>')? + 1;
    let rest = &rest[start..];
    clean(&rest[..rest.find('<')?])
}

fn clean(raw: &str) -> Option<String> {
    let text = unescape(raw.trim());
    (!text.is_empty()).then_some(text)
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';').filter(|e| *e <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let c = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PACKET: &str = r#"<x:xmpmeta><rdf:RDF><rdf:Description rdf:about=""
        xmp:CreatorTool="Word &amp; Co" pdf:Producer='Acme PDF'>
      <xmp:CreateDate>2016-04-19T10:15:00-07:00</xmp:CreateDate>
      <dc:title><rdf:Alt><rdf:li xml:lang="x-default">Budget &#x141;&#243;d&#378;</rdf:li></rdf:Alt></dc:title>
      <dc:creator><rdf:Seq><rdf:li>Jane Clerk</rdf:li><rdf:li>Other</rdf:li></rdf:Seq></dc:creator>
      <dc:description><rdf:Alt><rdf:li xml:lang="x-default"></rdf:li></rdf:Alt></dc:description>
    </rdf:Description></rdf:RDF></x:xmpmeta>"#;

    #[test]
    fn properties_in_both_spellings() {
        assert_eq!(
            simple(PACKET, "xmp:CreatorTool").as_deref(),
            Some("Word & Co")
        );
        assert_eq!(simple(PACKET, "pdf:Producer").as_deref(), Some("Acme PDF"));
        assert_eq!(
            simple(PACKET, "xmp:CreateDate").as_deref(),
            Some("2016-04-19T10:15:00-07:00")
        );
        assert_eq!(
            first_item(PACKET, "dc:title").as_deref(),
            Some("Budget Łódź")
        );
        assert_eq!(
            first_item(PACKET, "dc:creator").as_deref(),
            Some("Jane Clerk")
        );
        assert_eq!(first_item(PACKET, "dc:description"), None);
        assert_eq!(simple(PACKET, "xmp:ModifyDate"), None);
    }

    #[test]
    fn broken_markup_is_harmless() {
        for junk in [
            "<dc:title><rdf:li",
            "xmp:CreatorTool=",
            "xmp:CreatorTool=\"open",
            "&#xFFFFFFFF; &bogus",
        ] {
            let _ = simple(junk, "xmp:CreatorTool");
            let _ = first_item(junk, "dc:title");
            let _ = unescape(junk);
        }
        assert_eq!(unescape("a &bogus; &#65; &"), "a &bogus; A &");
    }
}
