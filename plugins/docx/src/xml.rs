//! A small pull parser over quick-xml with the guards every part goes through: no
//! DTDs (so no entity expansion), bounded nesting, and the Strict OOXML namespaces
//! folded into the transitional ones.

use std::fmt;

use quick_xml::encoding::Decoder;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::{NsReader, XmlVersion};

/// Elements nested deeper than this end the parse. Real documents stay under 40.
pub(crate) const MAX_DEPTH: usize = 256;

const W_TRANSITIONAL: &[u8] = b"http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const W_STRICT: &[u8] = b"http://purl.oclc.org/ooxml/wordprocessingml/main";
const MC: &[u8] = b"http://schemas.openxmlformats.org/markup-compatibility/2006";
const M_TRANSITIONAL: &[u8] = b"http://schemas.openxmlformats.org/officeDocument/2006/math";
const M_STRICT: &[u8] = b"http://purl.oclc.org/ooxml/officeDocument/math";

/// The namespaces the readers care about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ns {
    /// WordprocessingML main, transitional or Strict.
    W,
    /// Markup compatibility (`mc:AlternateContent`).
    Mc,
    /// Office Math.
    M,
    /// Anything else, or no namespace.
    Other,
}

/// A start or empty element: namespace, local name and attributes (by local name).
#[derive(Debug, Clone)]
pub(crate) struct El {
    pub ns: Ns,
    pub local: String,
    attrs: Vec<(String, String)>,
}

impl El {
    /// The value of the attribute with this local name, whatever its prefix.
    pub(crate) fn attr(&self, local: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == local)
            .map(|(_, v)| v.as_str())
    }

    /// True for a WordprocessingML element of this local name.
    pub(crate) fn is_w(&self, local: &str) -> bool {
        self.ns == Ns::W && self.local == local
    }

    /// An OOXML on/off property (`<w:b/>`, `w:val="false"`, `"0"`, `"off"`).
    pub(crate) fn on(&self) -> bool {
        !matches!(self.attr("val"), Some("0" | "false" | "off"))
    }
}

/// One parse event.
#[derive(Debug)]
pub(crate) enum Ev {
    Start(El),
    Empty(El),
    End,
    /// Character data, decoded, with character and predefined entity references resolved.
    Text(String),
    Eof,
}

/// Why a part could not be parsed (to its end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum XmlError {
    /// Not well-formed XML.
    Syntax(String),
    /// The part declares a DTD; entities are never expanded, the part is refused.
    DocType,
    /// Elements nest deeper than [`MAX_DEPTH`].
    TooDeep,
}

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Syntax(m) => write!(f, "malformed XML: {m}"),
            Self::DocType => f.write_str("the part declares a DTD (refused: no entity expansion)"),
            Self::TooDeep => write!(f, "elements nest deeper than {MAX_DEPTH} levels"),
        }
    }
}

/// The pull parser.
pub(crate) struct Xml<'a> {
    reader: NsReader<&'a [u8]>,
    depth: usize,
}

impl<'a> Xml<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        let mut reader = NsReader::from_reader(bytes);
        reader.config_mut().check_end_names = true;
        Self { reader, depth: 0 }
    }

    /// The next event.
    ///
    /// # Errors
    /// [`XmlError`] on malformed XML, a DTD, or too deep nesting; the parser must not be
    /// used after an error.
    pub(crate) fn next(&mut self) -> Result<Ev, XmlError> {
        loop {
            let (ns, event) = self
                .reader
                .read_resolved_event()
                .map_err(|e| XmlError::Syntax(e.to_string()))?;
            let ns = classify(&ns);
            return Ok(match event {
                Event::Start(start) => {
                    self.depth += 1;
                    if self.depth > MAX_DEPTH {
                        return Err(XmlError::TooDeep);
                    }
                    Ev::Start(element(ns, &start, self.reader.decoder()))
                }
                Event::Empty(start) => Ev::Empty(element(ns, &start, self.reader.decoder())),
                Event::End(_) => {
                    self.depth = self.depth.saturating_sub(1);
                    Ev::End
                }
                Event::Text(text) => Ev::Text(
                    text.xml10_content()
                        .map_err(|e| XmlError::Syntax(e.to_string()))?
                        .into_owned(),
                ),
                Event::CData(data) => Ev::Text(
                    data.decode()
                        .map_err(|e| XmlError::Syntax(e.to_string()))?
                        .into_owned(),
                ),
                Event::GeneralRef(reference) => {
                    if let Ok(Some(c)) = reference.resolve_char_ref() {
                        Ev::Text(c.to_string())
                    } else {
                        let name = reference.decode().unwrap_or_default();
                        match predefined(&name) {
                            Some(c) => Ev::Text(c.to_string()),
                            // An undeclared entity: dropped, never expanded.
                            None => continue,
                        }
                    }
                }
                Event::DocType(_) => return Err(XmlError::DocType),
                Event::Eof => Ev::Eof,
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) => continue,
            });
        }
    }

    /// Skips the rest of the element whose start was just read.
    ///
    /// # Errors
    /// As [`Xml::next`]; reaching the end of input inside the element is a syntax error.
    pub(crate) fn skip(&mut self) -> Result<(), XmlError> {
        let mut open = 1usize;
        while open > 0 {
            match self.next()? {
                Ev::Start(_) => open += 1,
                Ev::End => open -= 1,
                Ev::Eof => return Err(XmlError::Syntax("unexpected end of the part".into())),
                Ev::Empty(_) | Ev::Text(_) => {}
            }
        }
        Ok(())
    }

    /// The text inside the element whose start was just read, up to its end.
    ///
    /// # Errors
    /// As [`Xml::skip`].
    pub(crate) fn text(&mut self) -> Result<String, XmlError> {
        let mut out = String::new();
        let mut open = 1usize;
        while open > 0 {
            match self.next()? {
                Ev::Start(_) => open += 1,
                Ev::End => open -= 1,
                Ev::Text(t) => out.push_str(&t),
                Ev::Eof => return Err(XmlError::Syntax("unexpected end of the part".into())),
                Ev::Empty(_) => {}
            }
        }
        Ok(out)
    }
}

fn classify(ns: &ResolveResult<'_>) -> Ns {
    match ns {
        ResolveResult::Bound(ns) => match ns.as_ref() {
            W_TRANSITIONAL | W_STRICT => Ns::W,
            MC => Ns::Mc,
            M_TRANSITIONAL | M_STRICT => Ns::M,
            _ => Ns::Other,
        },
        _ => Ns::Other,
    }
}

fn element(ns: Ns, start: &BytesStart<'_>, decoder: Decoder) -> El {
    let local = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
    let mut attrs = Vec::new();
    for attr in start.attributes().with_checks(false).flatten() {
        let key = attr.key.local_name();
        let key = key.as_ref();
        // Revision ids are on nearly every element and never needed.
        if key.starts_with(b"rsid") || key == b"paraId" || key == b"textId" {
            continue;
        }
        let value = attr
            .decoded_and_normalized_value(XmlVersion::Implicit1_0, decoder)
            .map_or_else(
                |_| String::from_utf8_lossy(&attr.value).into_owned(),
                std::borrow::Cow::into_owned,
            );
        attrs.push((String::from_utf8_lossy(key).into_owned(), value));
    }
    El { ns, local, attrs }
}

fn predefined(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => return None,
    })
}

/// Checks a part before it goes to docx-rs, whose parser is not ours to guard: it must
/// declare no DTD and have the root element docx-rs expects (a styles relationship that
/// points at the document part made docx-rs's styles reader loop until the deadline).
///
/// # Errors
/// A message saying what is wrong with the part.
pub(crate) fn check_root(bytes: &[u8], root: &str) -> Result<(), String> {
    let mut xml = Xml::new(bytes);
    loop {
        match xml.next() {
            Err(XmlError::DocType) => return Err("it declares a DTD".into()),
            Err(e) => return Err(format!("it is not well-formed XML ({e:?})")),
            Ok(Ev::Text(_)) => {}
            Ok(Ev::Start(el) | Ev::Empty(el)) if el.local == root => return Ok(()),
            Ok(Ev::Start(el) | Ev::Empty(el)) => {
                return Err(format!("its root element is <{}>, not <{root}>", el.local));
            }
            Ok(Ev::End | Ev::Eof) => return Err(format!("it has no <{root}> element")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(xml: &str) -> Result<String, XmlError> {
        let mut p = Xml::new(xml.as_bytes());
        let mut out = String::new();
        loop {
            match p.next()? {
                Ev::Text(t) => out.push_str(&t),
                Ev::Eof => return Ok(out),
                _ => {}
            }
        }
    }

    #[test]
    fn resolves_references() {
        assert_eq!(
            texts("<a>x &amp; &#65;&#x42; &lt;y&gt;</a>").as_deref(),
            Ok("x & AB <y>")
        );
    }

    #[test]
    fn refuses_dtd() {
        let bomb = r#"<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xxxxxxxx"><!ENTITY y "&x;&x;&x;&x;">]><a>&y;</a>"#;
        assert_eq!(texts(bomb), Err(XmlError::DocType));
        assert_eq!(
            check_root(bomb.as_bytes(), "a"),
            Err("it declares a DTD".into())
        );
        assert_eq!(check_root(b"<?xml version=\"1.0\"?><a/>", "a"), Ok(()));
        assert_eq!(
            check_root(b"<w:document xmlns:w='x'><w:body/></w:document>", "styles"),
            Err("its root element is <document>, not <styles>".into())
        );
    }

    #[test]
    fn undeclared_entities_are_dropped() {
        assert_eq!(texts("<a>x&ent;y</a>").as_deref(), Ok("xy"));
    }

    #[test]
    fn bounds_depth() {
        let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        assert_eq!(texts(&deep), Err(XmlError::TooDeep));
    }

    #[test]
    fn strict_namespace_is_w() {
        let mut p = Xml::new(
            br#"<w:p xmlns:w="http://purl.oclc.org/ooxml/wordprocessingml/main" w:val="1"/>"#,
        );
        match p.next() {
            Ok(Ev::Empty(el)) => {
                assert!(el.is_w("p"));
                assert_eq!(el.attr("val"), Some("1"));
            }
            other => unreachable!("{other:?}"),
        }
    }
}
