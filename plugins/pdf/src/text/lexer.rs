//! A streaming lexer for content streams.
//!
//! lopdf's `Content::decode` builds the whole operation list up front and gives up on the
//! first syntax error; a page with millions of operators would then cost gigabytes, and a
//! single stray byte would cost the whole page. This lexer yields one operation at a time
//! and resynchronises on garbage, so memory stays bounded by the largest single operation.

use lopdf::{Dictionary, Object, StringFormat};

/// Operands kept per operation; real operators take at most a handful (plus one array).
const MAX_OPERANDS: usize = 64;
/// Elements kept per array or dictionary operand (a `TJ` array of a long line is ~1000).
const MAX_ARRAY: usize = 100_000;
/// Nesting depth of arrays/dictionaries inside one operand.
const MAX_NESTING: usize = 32;

/// One content-stream operation: the operator and its operands.
pub struct Operation {
    pub operator: Vec<u8>,
    pub operands: Vec<Object>,
}

pub struct Lexer<'a> {
    data: &'a [u8],
    pos: usize,
    max_operands: usize,
}

fn is_white(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | b'\0')
}

fn is_delim(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn is_regular(b: u8) -> bool {
    !is_white(b) && !is_delim(b)
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

enum Token {
    Obj(Object),
    Keyword(Vec<u8>),
    ArrayStart,
    ArrayEnd,
    DictStart,
    DictEnd,
    /// Something unusable (a stray `)` or `}`): skipped.
    Junk,
}

impl<'a> Lexer<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Self::with_operand_limit(data, MAX_OPERANDS)
    }

    /// A lexer keeping up to `max_operands` operands per operation (CMaps list hundreds
    /// of entries before one `end...` keyword).
    pub fn with_operand_limit(data: &'a [u8], max_operands: usize) -> Self {
        Lexer {
            data,
            pos: 0,
            max_operands,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    fn skip_white(&mut self) {
        while let Some(b) = self.peek() {
            if is_white(b) {
                self.pos += 1;
            } else if b == b'%' {
                while let Some(c) = self.peek() {
                    if c == b'\n' || c == b'\r' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    fn token(&mut self) -> Option<Token> {
        self.skip_white();
        let b = self.peek()?;
        match b {
            b'(' => {
                self.pos += 1;
                Some(Token::Obj(Object::String(
                    self.literal_string(),
                    StringFormat::Literal,
                )))
            }
            b'<' => {
                if self.data.get(self.pos + 1) == Some(&b'<') {
                    self.pos += 2;
                    Some(Token::DictStart)
                } else {
                    self.pos += 1;
                    Some(Token::Obj(Object::String(
                        self.hex_string(),
                        StringFormat::Hexadecimal,
                    )))
                }
            }
            b'>' => {
                self.pos += 1;
                if self.peek() == Some(b'>') {
                    self.pos += 1;
                    Some(Token::DictEnd)
                } else {
                    Some(Token::Junk)
                }
            }
            b'[' => {
                self.pos += 1;
                Some(Token::ArrayStart)
            }
            b']' => {
                self.pos += 1;
                Some(Token::ArrayEnd)
            }
            b'/' => {
                self.pos += 1;
                Some(Token::Obj(Object::Name(self.name())))
            }
            b')' | b'{' | b'}' => {
                self.pos += 1;
                Some(Token::Junk)
            }
            _ => {
                let start = self.pos;
                while let Some(c) = self.peek() {
                    if !is_regular(c) {
                        break;
                    }
                    self.pos += 1;
                }
                let word = &self.data[start..self.pos];
                Some(number(word).map_or_else(
                    || match word {
                        b"true" => Token::Obj(Object::Boolean(true)),
                        b"false" => Token::Obj(Object::Boolean(false)),
                        b"null" => Token::Obj(Object::Null),
                        _ => Token::Keyword(word.to_vec()),
                    },
                    Token::Obj,
                ))
            }
        }
    }

    fn literal_string(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut depth = 1usize;
        while let Some(b) = self.peek() {
            self.pos += 1;
            match b {
                b'(' => {
                    depth += 1;
                    out.push(b);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return out;
                    }
                    out.push(b);
                }
                b'\\' => {
                    let Some(e) = self.peek() else { break };
                    self.pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'\r' => {
                            if self.peek() == Some(b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push((v & 0xff) as u8);
                        }
                        other => out.push(other),
                    }
                }
                _ => out.push(b),
            }
        }
        out
    }

    fn hex_string(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut high: Option<u8> = None;
        while let Some(b) = self.peek() {
            self.pos += 1;
            if b == b'>' {
                break;
            }
            if let Some(v) = hex_val(b) {
                match high.take() {
                    Some(h) => out.push(h << 4 | v),
                    None => high = Some(v),
                }
            }
        }
        if let Some(h) = high {
            out.push(h << 4);
        }
        out
    }

    fn name(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some(b) = self.peek() {
            if !is_regular(b) {
                break;
            }
            self.pos += 1;
            if b == b'#' {
                let h = self.data.get(self.pos).copied().and_then(hex_val);
                let l = self.data.get(self.pos + 1).copied().and_then(hex_val);
                if let (Some(h), Some(l)) = (h, l) {
                    out.push(h << 4 | l);
                    self.pos += 2;
                    continue;
                }
            }
            out.push(b);
        }
        out
    }

    /// Reads the rest of an array (after `[`) or dictionary (after `<<`).
    fn compound(&mut self, dict: bool, depth: usize) -> Object {
        let mut items: Vec<Object> = Vec::new();
        loop {
            let Some(tok) = self.token() else { break };
            let obj = match tok {
                Token::Obj(o) => o,
                Token::ArrayStart if depth < MAX_NESTING => self.compound(false, depth + 1),
                Token::DictStart if depth < MAX_NESTING => self.compound(true, depth + 1),
                Token::ArrayEnd if !dict => break,
                Token::DictEnd if dict => break,
                // A keyword inside an array means the array was never closed: stop here so
                // the operator after it is not swallowed.
                Token::Keyword(k) => {
                    self.pos = self.pos.saturating_sub(k.len());
                    break;
                }
                _ => continue,
            };
            if items.len() < MAX_ARRAY {
                items.push(obj);
            }
        }
        if dict {
            let mut d = Dictionary::new();
            let mut it = items.into_iter();
            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                if let Object::Name(k) = k {
                    d.set(k, v);
                }
            }
            Object::Dictionary(d)
        } else {
            Object::Array(items)
        }
    }

    /// Skips inline image data after `ID`, up to and including `EI`.
    fn skip_inline_image(&mut self) {
        // One whitespace byte follows `ID`; the data is binary, so look for `EI` standing
        // alone (whitespace before, whitespace/end after), as most readers do.
        self.pos += 1;
        let d = self.data;
        let mut i = self.pos;
        while i + 1 < d.len() {
            if d[i] == b'E'
                && d[i + 1] == b'I'
                && (i == 0 || is_white(d[i - 1]))
                && d.get(i + 2).is_none_or(|&c| is_white(c) || is_delim(c))
            {
                self.pos = i + 2;
                return;
            }
            i += 1;
        }
        self.pos = d.len();
    }

    /// The next operation, or `None` at the end of the stream.
    pub fn next_operation(&mut self) -> Option<Operation> {
        let mut operands: Vec<Object> = Vec::new();
        loop {
            let tok = self.token()?;
            let obj = match tok {
                Token::Obj(o) => o,
                Token::ArrayStart => self.compound(false, 0),
                Token::DictStart => self.compound(true, 0),
                Token::Keyword(k) => {
                    if k == b"ID" {
                        self.skip_inline_image();
                    }
                    return Some(Operation {
                        operator: k,
                        operands,
                    });
                }
                Token::ArrayEnd | Token::DictEnd | Token::Junk => continue,
            };
            if operands.len() < self.max_operands {
                operands.push(obj);
            }
        }
    }
}

fn number(word: &[u8]) -> Option<Object> {
    let first = *word.first()?;
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        return None;
    }
    let s = std::str::from_utf8(word).ok()?;
    if !s.contains('.')
        && let Ok(i) = s.parse::<i64>()
    {
        return Some(Object::Integer(i));
    }
    // Tolerate producer quirks such as "--5" or "5.-": keep the leading sign and digits.
    let cleaned: String = {
        let mut out = String::new();
        let mut seen_dot = false;
        for (i, c) in s.chars().enumerate() {
            match c {
                '-' | '+' if i == 0 => out.push(c),
                '.' if !seen_dot => {
                    seen_dot = true;
                    out.push(c);
                }
                '0'..='9' => out.push(c),
                _ => {}
            }
        }
        out
    };
    let v = cleaned.parse::<f64>().ok().or_else(|| {
        if cleaned.chars().any(|c| c.is_ascii_digit()) {
            None
        } else {
            Some(0.0)
        }
    })?;
    #[allow(clippy::cast_possible_truncation)]
    Some(Object::Real(v as f32))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(src: &[u8]) -> Vec<(String, Vec<Object>)> {
        let mut lx = Lexer::new(src);
        let mut out = Vec::new();
        while let Some(op) = lx.next_operation() {
            out.push((
                String::from_utf8_lossy(&op.operator).into_owned(),
                op.operands,
            ));
        }
        out
    }

    #[test]
    fn parses_text_operators() {
        let v = ops(b"BT /F1 12 Tf 1 0 0 1 72.5 -3 Tm (a\\(b\\)\\101) Tj [<0041> -250 (x)] TJ ET");
        let names: Vec<&str> = v.iter().map(|(o, _)| o.as_str()).collect();
        assert_eq!(names, ["BT", "Tf", "Tm", "Tj", "TJ", "ET"]);
        assert_eq!(
            v[3].1[0],
            Object::String(b"a(b)A".to_vec(), StringFormat::Literal)
        );
        let Object::Array(arr) = &v[4].1[0] else {
            unreachable!("TJ operand is an array")
        };
        assert_eq!(arr.len(), 3);
        assert_eq!(arr[0].as_str().ok(), Some(&b"\0A"[..]));
    }

    #[test]
    fn skips_inline_images_and_comments() {
        let v = ops(b"BI /W 1 /H 1 ID \x00EI\xff EI\nQ % comment\n(x) Tj");
        let names: Vec<&str> = v.iter().map(|(o, _)| o.as_str()).collect();
        assert_eq!(names, ["BI", "ID", "Q", "Tj"]);
    }

    #[test]
    fn survives_garbage() {
        let v = ops(b") } >> [ (unterminated Tj");
        assert!(v.len() <= 2);
        let v = ops(b"[(a) 12 Tj");
        assert_eq!(v.last().map(|(o, _)| o.as_str()), Some("Tj"));
    }

    #[test]
    fn parses_odd_numbers() {
        assert_eq!(number(b"--5"), Some(Object::Real(-5.0)));
        assert_eq!(number(b"5."), Some(Object::Real(5.0)));
        assert_eq!(number(b"-.5"), Some(Object::Real(-0.5)));
        assert_eq!(number(b"abc"), None);
    }
}
