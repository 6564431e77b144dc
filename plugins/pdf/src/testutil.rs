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
    let (mut doc, page_id) = one_page(content, font);
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
