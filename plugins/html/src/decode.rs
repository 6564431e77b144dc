//! Bytes to text: BOM, then a declared charset (`<meta charset>`, `<meta http-equiv>`),
//! else UTF-8 with windows-1252 for bytes that are not UTF-8.
//!
//! One departure from a browser: a document declaring a legacy single-byte charset whose
//! bytes are valid UTF-8 with non-ASCII characters is read as UTF-8. Portal pages often
//! keep an `iso-8859-1` declaration from a template while their content is UTF-8 (the
//! Contra Costa AgendaQuick page in the corpus), and such bytes are almost never meant as
//! Latin-1 text (`Ãº` for `ú`).

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};

/// How far into the document `<meta>` declarations are looked for (the HTML standard's
/// prescan reads 1024 bytes; portals put long scripts before their meta tags).
const PRESCAN_BYTES: usize = 8192;

/// The decoded text, without BOM, and a note when the bytes disagreed with a declaration
/// or were not UTF-8.
pub(crate) struct Decoded {
    pub text: String,
    pub note: Option<String>,
}

pub(crate) fn decode(bytes: &[u8]) -> Decoded {
    if let Some((encoding, bom)) = Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom..]);
        return Decoded {
            text: text.into_owned(),
            note: None,
        };
    }
    let declared = declared_charset(&bytes[..bytes.len().min(PRESCAN_BYTES)]);
    let utf8 = std::str::from_utf8(bytes).ok();
    match (declared, utf8) {
        (Some(encoding), Some(text)) if encoding != UTF_8 && !text.is_ascii() => Decoded {
            text: text.to_owned(),
            note: Some(format!(
                "the document declares {} but its bytes are UTF-8; read as UTF-8",
                encoding.name()
            )),
        },
        (Some(encoding), _) if encoding != UTF_8 => Decoded {
            text: encoding.decode_without_bom_handling(bytes).0.into_owned(),
            note: None,
        },
        (_, Some(text)) => Decoded {
            text: text.to_owned(),
            note: None,
        },
        (declared, None) => {
            let note = if declared.is_some() {
                "the document declares UTF-8 but its bytes are not; read as windows-1252"
            } else {
                "no charset declared and the bytes are not UTF-8; read as windows-1252"
            };
            Decoded {
                text: WINDOWS_1252
                    .decode_without_bom_handling(bytes)
                    .0
                    .into_owned(),
                note: Some(note.into()),
            }
        }
    }
}

/// The charset of the first `<meta>` in `head` that declares one, as `charset=` either
/// in a `charset` attribute or inside an `http-equiv` `content`.
fn declared_charset(head: &[u8]) -> Option<&'static Encoding> {
    let lower = head.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = find(&lower[from..], b"<meta") {
        let start = from + at + 5;
        let end = find(&lower[start..], b">").map_or(lower.len(), |e| start + e);
        let tag = &lower[start..end];
        if let Some(c) = find(tag, b"charset") {
            let rest = &tag[c + 7..];
            let rest = trim_start(rest);
            if let Some(rest) = rest.strip_prefix(b"=") {
                let rest = trim_start(rest);
                let rest = rest
                    .strip_prefix(b"\"")
                    .or_else(|| rest.strip_prefix(b"'"))
                    .unwrap_or(rest);
                let len = rest
                    .iter()
                    .position(|b| {
                        matches!(b, b'"' | b'\'' | b';' | b' ' | b'/' | b'\t' | b'\n' | b'\r')
                    })
                    .unwrap_or(rest.len());
                if let Some(encoding) = Encoding::for_label(&rest[..len]) {
                    // The standard's rule: a page that got this far is not UTF-16.
                    return Some(if encoding.output_encoding() == UTF_8 {
                        UTF_8
                    } else if encoding.name() == "x-user-defined" {
                        WINDOWS_1252
                    } else {
                        encoding
                    });
                }
            }
        }
        from = end;
    }
    None
}

fn trim_start(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &b[n..]
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boms() {
        assert_eq!(decode(b"\xEF\xBB\xBFcaf\xC3\xA9").text, "café");
        assert_eq!(decode(b"\xFF\xFEh\x00\xE9\x00").text, "hé");
        assert_eq!(decode(b"\xFE\xFF\x00h\x00\xE9").text, "hé");
    }

    #[test]
    fn meta_charset_and_http_equiv() {
        let doc = b"<meta charset=\"windows-1252\"><p>\x93quoted\x94 caf\xE9";
        assert_eq!(
            decode(doc).text,
            "<meta charset=\"windows-1252\"><p>\u{201c}quoted\u{201d} café"
        );
        let doc =
            b"<META HTTP-EQUIV='Content-Type' CONTENT='text/html; charset=ISO-8859-1'>caf\xE9";
        assert!(decode(doc).text.ends_with("café"));
        let doc = b"<meta charset=koi8-r>\xF0\xD2\xC9";
        assert!(decode(doc).text.ends_with("При"));
    }

    #[test]
    fn utf8_bytes_under_a_latin1_declaration_stay_utf8() {
        let d = decode("<meta charset=iso-8859-1>únicamente".as_bytes());
        assert!(d.text.ends_with("únicamente"));
        assert!(d.note.is_some());
    }

    #[test]
    fn undeclared_invalid_utf8_falls_back_to_windows_1252() {
        let d = decode(b"<p>caf\xE9 \x80");
        assert_eq!(d.text, "<p>café €");
        assert!(d.note.is_some());
        assert_eq!(decode("<p>café".as_bytes()).text, "<p>café");
    }
}
