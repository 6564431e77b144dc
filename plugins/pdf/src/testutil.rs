//! Small PDFs built in memory for unit tests.

use lopdf::{Dictionary, Document, Object, ObjectId, Stream, dictionary};

/// A one-page document drawing `content`, with `font` as `/F1` in the page's resources.
pub fn one_page(content: &[u8], font: Dictionary) -> (Document, ObjectId) {
    let mut doc = Document::with_version("1.5");
    let font_id = doc.add_object(font);
    let content_id = doc.add_object(Stream::new(dictionary! {}, content.to_vec()));
    let pages_id = doc.new_object_id();
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "Contents" => content_id,
        "Resources" => dictionary! { "Font" => dictionary! { "F1" => font_id } },
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => vec![page_id.into()],
            "Count" => 1,
            "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
        }),
    );
    (doc, page_id)
}

/// [`one_page`] with a catalog, saved to bytes.
pub fn one_page_pdf(content: &[u8], font: Dictionary) -> Vec<u8> {
    let (doc, page_id) = one_page(content, font);
    save(doc, page_id)
}

/// A document of [`one_page`], given a catalog and saved to bytes.
pub fn save(mut doc: Document, page_id: ObjectId) -> Vec<u8> {
    let pages_id = match doc.get_dictionary(page_id).and_then(|p| p.get(b"Parent")) {
        Ok(Object::Reference(id)) => *id,
        _ => return Vec::new(),
    };
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut bytes = Vec::new();
    if doc.save_to(&mut bytes).is_err() {
        bytes.clear();
    }
    bytes
}

/// Gives `/F1` of [`one_page`]'s page a ToUnicode CMap mapping each one-byte code of
/// `pairs` to its text.
pub fn set_to_unicode(doc: &mut Document, pairs: &[(u8, &str)]) {
    use std::fmt::Write as _;
    let mut cmap = format!(
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n\
         1 begincodespacerange <00> <FF> endcodespacerange\n{} beginbfchar\n",
        pairs.len()
    );
    for (code, text) in pairs {
        let hex: String = text.encode_utf16().fold(String::new(), |mut s, u| {
            let _ = write!(s, "{u:04X}");
            s
        });
        let _ = writeln!(cmap, "<{code:02X}> <{hex}>");
    }
    cmap.push_str("endbfchar\nendcmap CMapName currentdict /CMap defineresource pop end end\n");
    let stream = doc.add_object(Stream::new(dictionary! {}, cmap.into_bytes()));
    let fonts: Vec<ObjectId> = doc
        .objects
        .iter()
        .filter(|(_, o)| {
            o.as_dict()
                .is_ok_and(|d| d.get(b"Type").and_then(Object::as_name).ok() == Some(b"Font"))
        })
        .map(|(id, _)| *id)
        .collect();
    for id in fonts {
        if let Ok(font) = doc.get_dictionary_mut(id) {
            font.set("ToUnicode", stream);
        }
    }
}
