//! The document outline (bookmarks), with destinations resolved to page numbers.

use std::cell::OnceCell;
use std::collections::{HashMap, HashSet};

use lopdf::{Dictionary, Document, Object, ObjectId};

use crate::strings::{resolve, text_value};
use conductor_plugin_sdk::extractor::OutlineEntry;

/// Outlines deeper than this are damage or hostile; real ones have a few levels.
const MAX_DEPTH: u32 = 32;
/// Entries kept at most, so a huge or looping outline cannot blow up the result.
const MAX_ENTRIES: usize = 10_000;
/// Name-tree nodes visited at most while indexing the named destinations.
const MAX_NAME_NODES: usize = 4_096;

/// Reads the outline. `page_numbers` maps page objects to 1-based page numbers.
pub fn read_outline(doc: &Document, page_numbers: &HashMap<ObjectId, u32>) -> Vec<OutlineEntry> {
    let mut out = Vec::new();
    let Some(first) = doc
        .catalog()
        .ok()
        .and_then(|c| c.get(b"Outlines").ok())
        .and_then(|o| resolve(doc, o))
        .and_then(|o| o.as_dict().ok())
        .and_then(|d| d.get(b"First").ok())
        .and_then(|o| o.as_reference().ok())
    else {
        return out;
    };
    let resolver = DestResolver {
        doc,
        page_numbers,
        name_tree: OnceCell::new(),
    };
    let mut visited = HashSet::new();
    // Depth-first in document order: (next sibling to visit, its level).
    let mut stack: Vec<(ObjectId, u32)> = vec![(first, 1)];
    while let Some((id, level)) = stack.pop() {
        if out.len() >= MAX_ENTRIES || !visited.insert(id) {
            continue;
        }
        let Ok(item) = doc.get_dictionary(id) else {
            continue;
        };
        if let Some(next) = item.get(b"Next").ok().and_then(|o| o.as_reference().ok()) {
            stack.push((next, level));
        }
        if level < MAX_DEPTH
            && let Some(child) = item.get(b"First").ok().and_then(|o| o.as_reference().ok())
        {
            stack.push((child, level + 1));
        }
        let title = item
            .get(b"Title")
            .ok()
            .and_then(|o| text_value(doc, o))
            .unwrap_or_default();
        out.push(OutlineEntry {
            title,
            level,
            page: resolver.item_page(item),
        });
    }
    out
}

struct DestResolver<'a> {
    doc: &'a Document,
    page_numbers: &'a HashMap<ObjectId, u32>,
    /// The `/Names /Dests` tree flattened, built on the first named destination: outlines
    /// of generated manuals name thousands of destinations, and walking the tree per entry
    /// cost as much as the rest of the extraction.
    name_tree: OnceCell<HashMap<&'a [u8], &'a Object>>,
}

impl<'a> DestResolver<'a> {
    fn item_page(&self, item: &Dictionary) -> Option<u32> {
        if let Ok(dest) = item.get(b"Dest") {
            return self.dest_page(dest, 0);
        }
        let action = resolve(self.doc, item.get(b"A").ok()?)?.as_dict().ok()?;
        match action.get(b"S").ok()?.as_name().ok()? {
            b"GoTo" => self.dest_page(action.get(b"D").ok()?, 0),
            _ => None,
        }
    }

    /// A destination is an explicit array `[page /XYZ ...]`, a name or string looked up
    /// among the named destinations, or a dictionary holding `/D`.
    fn dest_page(&self, dest: &Object, hops: u32) -> Option<u32> {
        if hops > 4 {
            return None;
        }
        match resolve(self.doc, dest)? {
            Object::Array(items) => match items.first()? {
                Object::Reference(id) => self.page_numbers.get(id).copied(),
                // Remote-style destinations give a 0-based page index.
                Object::Integer(i) => u32::try_from(*i).ok().and_then(|i| i.checked_add(1)),
                _ => None,
            },
            Object::Dictionary(d) => self.dest_page(d.get(b"D").ok()?, hops + 1),
            Object::Name(name) => self.named(name).and_then(|d| self.dest_page(d, hops + 1)),
            Object::String(name, _) => self.named(name).and_then(|d| self.dest_page(d, hops + 1)),
            _ => None,
        }
    }

    fn named(&self, name: &[u8]) -> Option<&'a Object> {
        let catalog = self.doc.catalog().ok()?;
        // PDF 1.1 style: a dictionary in the catalog.
        if let Some(found) = catalog
            .get(b"Dests")
            .ok()
            .and_then(|o| resolve(self.doc, o))
            .and_then(|o| o.as_dict().ok())
            .and_then(|d| d.get(name).ok())
        {
            return Some(found);
        }
        self.name_tree
            .get_or_init(|| self.index_name_tree(catalog))
            .get(name)
            .copied()
    }

    /// Every key of the `/Names /Dests` tree with its value, the first occurrence winning,
    /// in the order a depth-first search meets them and within the same node budget as a
    /// search for one key would have.
    fn index_name_tree(&self, catalog: &'a Dictionary) -> HashMap<&'a [u8], &'a Object> {
        let mut map = HashMap::new();
        let Some(root) = catalog
            .get(b"Names")
            .ok()
            .and_then(|o| resolve(self.doc, o))
            .and_then(|o| o.as_dict().ok())
            .and_then(|d| d.get(b"Dests").ok())
        else {
            return map;
        };
        let mut stack = vec![root];
        let mut seen = HashSet::new();
        let mut visited = 0;
        while let Some(node) = stack.pop() {
            visited += 1;
            if visited > MAX_NAME_NODES {
                break;
            }
            if let Object::Reference(id) = node
                && !seen.insert(*id)
            {
                continue;
            }
            let Some(dict) = resolve(self.doc, node).and_then(|o| o.as_dict().ok()) else {
                continue;
            };
            if let Some(names) = dict
                .get(b"Names")
                .ok()
                .and_then(|o| resolve(self.doc, o))
                .and_then(|o| o.as_array().ok())
            {
                for pair in names.chunks_exact(2) {
                    if let Some(k) = resolve(self.doc, &pair[0]).and_then(|k| k.as_str().ok()) {
                        map.entry(k).or_insert(&pair[1]);
                    }
                }
            }
            if let Some(kids) = dict
                .get(b"Kids")
                .ok()
                .and_then(|o| resolve(self.doc, o))
                .and_then(|o| o.as_array().ok())
            {
                stack.extend(kids.iter().rev());
            }
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lopdf::dictionary;

    /// Builds: catalog with pages p1, p2 and an outline
    /// A -> p2 (explicit), A.1 -> "chap" (named via name tree), B -> GoTo p1, B loops to A.
    #[test]
    fn outline_levels_pages_and_loop() {
        let mut doc = Document::new();
        let p1 = doc.add_object(dictionary! { "Type" => "Page" });
        let p2 = doc.add_object(dictionary! { "Type" => "Page" });
        let a = doc.new_object_id();
        let a1 = doc.new_object_id();
        let b = doc.new_object_id();
        doc.objects.insert(
            a,
            Object::Dictionary(dictionary! {
                "Title" => Object::string_literal("A"),
                "Dest" => vec![p2.into(), "Fit".into()],
                "First" => a1, "Next" => b,
            }),
        );
        doc.objects.insert(
            a1,
            Object::Dictionary(dictionary! { "Title" => Object::string_literal("A.1"), "Dest" => Object::string_literal("chap") }),
        );
        let action = dictionary! { "S" => "GoTo", "D" => vec![p1.into(), "XYZ".into()] };
        doc.objects.insert(
            b,
            Object::Dictionary(
                dictionary! { "Title" => Object::string_literal("B"), "A" => action, "Next" => a },
            ),
        );
        let outlines = doc.add_object(dictionary! { "Type" => "Outlines", "First" => a });
        let leaf = doc.add_object(dictionary! {
            "Names" => vec![Object::string_literal("chap"), dictionary! { "D" => vec![p1.into()] }.into()],
        });
        let names = dictionary! { "Dests" => dictionary! { "Kids" => vec![leaf.into()] } };
        let catalog = doc.add_object(
            dictionary! { "Type" => "Catalog", "Outlines" => outlines, "Names" => names },
        );
        doc.trailer.set("Root", catalog);
        let numbers = HashMap::from([(p1, 1), (p2, 2)]);
        let got: Vec<(String, u32, Option<u32>)> = read_outline(&doc, &numbers)
            .into_iter()
            .map(|e| (e.title, e.level, e.page))
            .collect();
        assert_eq!(
            got,
            vec![
                ("A".into(), 1, Some(2)),
                ("A.1".into(), 2, Some(1)),
                ("B".into(), 1, Some(1))
            ]
        );
    }

    #[test]
    fn no_outline_is_empty() {
        assert!(read_outline(&Document::new(), &HashMap::new()).is_empty());
    }
}
