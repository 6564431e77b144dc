//! URI link annotations of a page.

use lopdf::{Document, Object, ObjectId};

use crate::strings::resolve;

/// Annotations looked at per page at most; more is damage or hostile.
const MAX_ANNOTS: usize = 10_000;

/// URIs of the page's `/Link` annotations with a `/URI` action, in document order.
pub fn page_links(doc: &Document, page: ObjectId) -> Vec<String> {
    let Some(annots) = doc
        .get_dictionary(page)
        .ok()
        .and_then(|p| p.get(b"Annots").ok())
        .and_then(|a| resolve(doc, a))
        .and_then(|a| a.as_array().ok())
    else {
        return Vec::new();
    };
    annots
        .iter()
        .take(MAX_ANNOTS)
        .filter_map(|annot| link_uri(doc, annot))
        .collect()
}

fn link_uri(doc: &Document, annot: &Object) -> Option<String> {
    let annot = resolve(doc, annot)?.as_dict().ok()?;
    if annot.get(b"Subtype").ok()?.as_name().ok()? != b"Link" {
        return None;
    }
    let action = resolve(doc, annot.get(b"A").ok()?)?.as_dict().ok()?;
    if action.get(b"S").ok()?.as_name().ok()? != b"URI" {
        return None;
    }
    let uri = resolve(doc, action.get(b"URI").ok()?)?.as_str().ok()?;
    // URIs are 7-bit ASCII by the spec; producers that put UTF-8 there get it back intact.
    let uri = String::from_utf8_lossy(uri);
    let uri = uri.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    (!uri.is_empty()).then(|| uri.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use lopdf::dictionary;

    #[test]
    fn uri_links_in_order_others_skipped() {
        let mut doc = Document::new();
        let uri = |u: &str| -> Object {
            dictionary! { "Subtype" => "Link", "A" => dictionary! { "S" => "URI", "URI" => Object::string_literal(u) } }
                .into()
        };
        let goto = dictionary! { "Subtype" => "Link", "A" => dictionary! { "S" => "GoTo", "D" => vec![] } };
        let text = dictionary! { "Subtype" => "Text" };
        let second = doc.add_object(uri("https://b.example/"));
        let annots = vec![
            uri("https://a.example/"),
            goto.into(),
            text.into(),
            second.into(),
            uri("  "),
        ];
        let page = doc.add_object(dictionary! { "Type" => "Page", "Annots" => annots });
        assert_eq!(
            page_links(&doc, page),
            vec!["https://a.example/", "https://b.example/"]
        );
    }

    #[test]
    fn page_without_annots() {
        let mut doc = Document::new();
        let page = doc.add_object(dictionary! { "Type" => "Page", "Annots" => 3 });
        assert!(page_links(&doc, page).is_empty());
    }
}
