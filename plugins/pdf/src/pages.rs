//! The page tree, walked with our own bounded traversal: lopdf's iterator stops at an
//! arbitrary node budget on a looping tree, and `/Count` is not to be trusted.

use std::collections::HashSet;

use lopdf::{Document, Object, ObjectId};

/// Nesting deeper than this is treated as damage; real trees are a handful of levels.
const MAX_DEPTH: usize = 64;

/// The document's pages in order, and whether the tree had to be repaired on the way.
#[derive(Debug, Default)]
pub struct PageTree {
    pub pages: Vec<ObjectId>,
    /// Nodes skipped because they were already visited (a loop or a shared kid).
    pub loops: u32,
    /// Subtrees skipped because they were nested too deeply.
    pub too_deep: u32,
}

/// Collects the page objects reachable from the catalog's `/Pages`, each node at most once.
pub fn page_tree(doc: &Document) -> PageTree {
    let mut tree = PageTree::default();
    let Some(root) = doc
        .catalog()
        .ok()
        .and_then(|c| c.get(b"Pages").ok())
        .and_then(|o| o.as_reference().ok())
    else {
        return tree;
    };
    let mut visited = HashSet::new();
    // Each frame is a node's kids still to visit, reversed so that pop() yields them in order.
    let mut stack: Vec<Vec<ObjectId>> = vec![vec![root]];
    while let Some(frame) = stack.last_mut() {
        let Some(id) = frame.pop() else {
            stack.pop();
            continue;
        };
        if !visited.insert(id) {
            tree.loops += 1;
            continue;
        }
        let Ok(dict) = doc.get_dictionary(id) else {
            continue;
        };
        let kids = dict.get(b"Kids").ok().and_then(|k| match k {
            Object::Reference(r) => doc.get_object(*r).ok().and_then(|o| o.as_array().ok()),
            Object::Array(a) => Some(a),
            _ => None,
        });
        let is_page = match dict.get_type() {
            Ok(b"Page") => true,
            Ok(b"Pages") => false,
            // Untyped nodes: a node with kids is an intermediate node, else a page.
            _ => kids.is_none(),
        };
        if is_page {
            tree.pages.push(id);
        } else if let Some(kids) = kids {
            if stack.len() > MAX_DEPTH {
                tree.too_deep += 1;
                continue;
            }
            let mut next: Vec<ObjectId> =
                kids.iter().filter_map(|k| k.as_reference().ok()).collect();
            next.reverse();
            stack.push(next);
        }
    }
    tree
}

#[cfg(test)]
mod tests {
    use super::*;
    use lopdf::{Dictionary, dictionary};

    fn doc_with_root(build: impl FnOnce(&mut Document) -> ObjectId) -> Document {
        let mut doc = Document::new();
        let pages = build(&mut doc);
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages });
        doc.trailer.set("Root", catalog);
        doc
    }

    fn page(doc: &mut Document) -> ObjectId {
        doc.add_object(dictionary! { "Type" => "Page" })
    }

    #[test]
    fn pages_in_order_through_nested_nodes() {
        let mut ids = Vec::new();
        let doc = doc_with_root(|doc| {
            let a = page(doc);
            let b = page(doc);
            let c = page(doc);
            ids = vec![a, b, c];
            let inner = doc
                .add_object(dictionary! { "Type" => "Pages", "Kids" => vec![b.into(), c.into()] });
            doc.add_object(dictionary! { "Type" => "Pages", "Kids" => vec![a.into(), inner.into()], "Count" => 999 })
        });
        assert_eq!(page_tree(&doc).pages, ids);
    }

    #[test]
    fn loop_in_tree_terminates() {
        let doc = doc_with_root(|doc| {
            let a = page(doc);
            let root_id = doc.new_object_id();
            let inner = doc.add_object(
                dictionary! { "Type" => "Pages", "Kids" => vec![a.into(), root_id.into()] },
            );
            doc.objects.insert(
                root_id,
                Object::Dictionary(
                    dictionary! { "Type" => "Pages", "Kids" => vec![inner.into(), inner.into()] },
                ),
            );
            root_id
        });
        let tree = page_tree(&doc);
        assert_eq!(tree.pages.len(), 1);
        assert!(tree.loops >= 1);
    }

    #[test]
    fn deep_chain_is_bounded() {
        let doc = doc_with_root(|doc| {
            let mut node = page(doc);
            for _ in 0..10_000 {
                node =
                    doc.add_object(dictionary! { "Type" => "Pages", "Kids" => vec![node.into()] });
            }
            node
        });
        let tree = page_tree(&doc);
        assert!(tree.pages.is_empty());
        assert_eq!(tree.too_deep, 1);
    }

    #[test]
    fn missing_catalog_gives_no_pages() {
        assert!(page_tree(&Document::new()).pages.is_empty());
        let mut doc = Document::new();
        let id = doc.add_object(Dictionary::new());
        doc.trailer.set("Root", id);
        assert!(page_tree(&doc).pages.is_empty());
    }
}
