//! PDF text strings (metadata, bookmark titles): PDFDocEncoding, UTF-16 or UTF-8 by BOM.

use lopdf::{Document, Object};

/// PDFDocEncoding code points 0x18..=0x1F, where it departs from Latin-1.
const LOW: [char; 8] = [
    '\u{02D8}', '\u{02C7}', '\u{02C6}', '\u{02D9}', '\u{02DD}', '\u{02DB}', '\u{02DA}', '\u{02DC}',
];

/// PDFDocEncoding code points 0x80..=0xA0; 0x9F is undefined.
const HIGH: [char; 33] = [
    '\u{2022}', '\u{2020}', '\u{2021}', '\u{2026}', '\u{2014}', '\u{2013}', '\u{0192}', '\u{2044}',
    '\u{2039}', '\u{203A}', '\u{2212}', '\u{2030}', '\u{201E}', '\u{201C}', '\u{201D}', '\u{2018}',
    '\u{2019}', '\u{201A}', '\u{2122}', '\u{FB01}', '\u{FB02}', '\u{0141}', '\u{0152}', '\u{0160}',
    '\u{0178}', '\u{017D}', '\u{0131}', '\u{0142}', '\u{0153}', '\u{0161}', '\u{017E}', '\u{FFFD}',
    '\u{20AC}',
];

/// Decodes the bytes of a PDF text string; never fails, replacing what cannot be decoded.
pub fn decode_text_bytes(bytes: &[u8]) -> String {
    let text = if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        decode_utf16(rest, u16::from_be_bytes)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        // Not allowed by the spec, but some producers write little-endian UTF-16.
        decode_utf16(rest, u16::from_le_bytes)
    } else if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        String::from_utf8_lossy(rest).into_owned()
    } else if !bytes.is_ascii() && std::str::from_utf8(bytes).is_ok() {
        // UTF-8 without a BOM is common from non-conforming producers; valid multi-byte
        // UTF-8 is very unlikely to be intended PDFDocEncoding.
        String::from_utf8_lossy(bytes).into_owned()
    } else {
        bytes.iter().map(|&b| pdfdoc_char(b)).collect()
    };
    strip_language_escapes(&text)
}

/// Decodes a string object (or a name, as some producers write) as a text string.
pub fn decode_text_object(obj: &Object) -> Option<String> {
    match obj {
        Object::String(bytes, _) => Some(decode_text_bytes(bytes)),
        Object::Name(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
        _ => None,
    }
}

/// Follows references (bounded) and decodes a text string; empty values become `None`.
pub fn text_value(doc: &Document, obj: &Object) -> Option<String> {
    let obj = resolve(doc, obj)?;
    let text = decode_text_object(obj)?;
    let text = text.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    (!text.is_empty()).then(|| text.to_string())
}

/// Follows a chain of references, giving up after a few hops so that a reference loop
/// cannot hang the plugin.
pub fn resolve<'a>(doc: &'a Document, mut obj: &'a Object) -> Option<&'a Object> {
    for _ in 0..32 {
        match obj {
            Object::Reference(id) => obj = doc.objects.get(id)?,
            other => return Some(other),
        }
    }
    None
}

fn pdfdoc_char(b: u8) -> char {
    match b {
        0x18..=0x1F => LOW[usize::from(b - 0x18)],
        0x80..=0xA0 => HIGH[usize::from(b - 0x80)],
        0xAD => '\u{FFFD}',
        _ => char::from(b),
    }
}

fn decode_utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> String {
    let units = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    char::decode_utf16(units)
        .map(|r| r.unwrap_or('\u{FFFD}'))
        .collect()
}

/// UTF-16 text strings may embed a language tag between two U+001B characters.
fn strip_language_escapes(text: &str) -> String {
    if !text.contains('\u{1B}') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut inside = false;
    for c in text.chars() {
        if c == '\u{1B}' {
            inside = !inside;
        } else if !inside {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdfdoc_latin1_and_specials() {
        assert_eq!(
            decode_text_bytes(b"Caf\xe9 \x84 \x93le \xa0"),
            "Café — ﬁle €"
        );
    }

    #[test]
    fn utf16_with_bom() {
        let bytes = b"\xFE\xFF\x01\x41\x00\xF3\x00d\x01\x7A";
        assert_eq!(decode_text_bytes(bytes), "Łódź");
    }

    #[test]
    fn utf16_odd_length_and_bad_surrogate_do_not_fail() {
        assert_eq!(decode_text_bytes(b"\xFE\xFF\xD8\x00\x00A\x00"), "\u{FFFD}A");
    }

    #[test]
    fn utf8_with_and_without_bom() {
        assert_eq!(decode_text_bytes("\u{FEFF}Łódź".as_bytes()), "Łódź");
        assert_eq!(decode_text_bytes("Łódź".as_bytes()), "Łódź");
    }

    #[test]
    fn language_escape_removed() {
        let bytes = b"\xFE\xFF\x00\x1Ben\x00\x1B\x00H\x00i";
        assert_eq!(decode_text_bytes(bytes), "Hi");
    }

    #[test]
    fn resolve_reference_loop_gives_none() {
        let mut doc = Document::new();
        doc.objects.insert((1, 0), Object::Reference((2, 0)));
        doc.objects.insert((2, 0), Object::Reference((1, 0)));
        assert_eq!(resolve(&doc, &Object::Reference((1, 0))), None);
    }
}
