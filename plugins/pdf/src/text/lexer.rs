//! A streaming lexer for content streams.
//!
//! lopdf's `Content::decode` builds the whole operation list up front and gives up on the
//! first syntax error; a page with millions of operators would then cost gigabytes, and a
//! single stray byte would cost the whole page. This lexer yields one operation at a time
//! and resynchronises on garbage, so memory stays bounded by the largest single operation.
//!
//! Operands do not own their bytes: strings and names are decoded into a buffer the lexer
//! reuses, and the elements of an array operand into another, so lexing an operation
//! allocates nothing once the buffers have grown to the size of the largest operation (a
//! page has hundreds of thousands of operands, and allocating each one was a quarter of
//! the engine's time).

/// Operands kept per operation; real operators take at most a handful (plus one array).
const MAX_OPERANDS: usize = 64;
/// Elements kept per array or dictionary operand (a `TJ` array of a long line is ~1000).
const MAX_ARRAY: usize = 100_000;
/// Nesting depth of arrays/dictionaries inside one operand.
const MAX_NESTING: usize = 32;

/// One operand. Strings, names and arrays are ranges into the buffers of the
/// [`Operation`] they belong to; read them through its accessors.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Operand {
    Integer(i64),
    /// Kept at `f32` precision, as lopdf's `Object::Real` (and so every consumer's
    /// arithmetic) has it.
    Real(f32),
    Boolean(bool),
    Null,
    Name(usize, usize),
    String(usize, usize),
    /// Elements of a top-level array. Arrays nested inside an operand come out empty: no
    /// operator or CMap entry reads them.
    Array(usize, usize),
    /// A dictionary operand (marked-content properties, CMap `CIDSystemInfo`); its entries
    /// are parsed past but not kept, as nothing reads them.
    Dictionary,
}

impl Operand {
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Operand::Integer(i) => {
                #[allow(clippy::cast_precision_loss)]
                let v = i as f64;
                Some(v)
            }
            Operand::Real(r) => Some(f64::from(r)),
            _ => None,
        }
    }
}

/// One content-stream operation: the operator and its operands, borrowed from the lexer
/// until the next call to [`Lexer::next_operation`].
pub struct Operation<'l> {
    pub operator: &'l [u8],
    pub operands: &'l [Operand],
    elements: &'l [Operand],
    bytes: &'l [u8],
}

impl<'l> Operation<'l> {
    /// The bytes of a string operand.
    pub fn string(&self, operand: &Operand) -> Option<&'l [u8]> {
        match *operand {
            Operand::String(a, b) => self.bytes.get(a..b),
            _ => None,
        }
    }

    /// The bytes of a name operand (without the slash, `#xx` escapes decoded).
    pub fn name(&self, operand: &Operand) -> Option<&'l [u8]> {
        match *operand {
            Operand::Name(a, b) => self.bytes.get(a..b),
            _ => None,
        }
    }

    /// The elements of an array operand.
    pub fn array(&self, operand: &Operand) -> Option<&'l [Operand]> {
        match *operand {
            Operand::Array(a, b) => self.elements.get(a..b),
            _ => None,
        }
    }

    /// The `i`-th operand as a name.
    pub fn name_at(&self, i: usize) -> Option<&'l [u8]> {
        self.operands.get(i).and_then(|o| self.name(o))
    }

    /// The `i`-th operand as a string.
    pub fn string_at(&self, i: usize) -> Option<&'l [u8]> {
        self.operands.get(i).and_then(|o| self.string(o))
    }
}

pub struct Lexer<'a> {
    data: &'a [u8],
    pos: usize,
    max_operands: usize,
    /// Decoded strings and names of the current operation.
    bytes: Vec<u8>,
    operands: Vec<Operand>,
    /// Elements of the current operation's array operands.
    elements: Vec<Operand>,
}

const WHITE: u8 = 1;
const DELIM: u8 = 2;

/// Each byte's class (PDF whitespace, delimiter, or neither), looked up once per byte of
/// every operand and keyword instead of compared with each of sixteen values.
const CLASS: [u8; 256] = {
    let mut class = [0u8; 256];
    let white = b" \t\r\n\x0c\0";
    let mut i = 0;
    while i < white.len() {
        class[white[i] as usize] = WHITE;
        i += 1;
    }
    let delim = b"()<>[]{}/%";
    let mut i = 0;
    while i < delim.len() {
        class[delim[i] as usize] = DELIM;
        i += 1;
    }
    class
};

fn is_white(b: u8) -> bool {
    CLASS[usize::from(b)] == WHITE
}

fn is_regular(b: u8) -> bool {
    CLASS[usize::from(b)] == 0
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
    Operand(Operand),
    /// A keyword (operator), as a range of the stream.
    Keyword(usize, usize),
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
            bytes: Vec::new(),
            operands: Vec::new(),
            elements: Vec::new(),
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
                let start = self.bytes.len();
                self.literal_string();
                Some(Token::Operand(Operand::String(start, self.bytes.len())))
            }
            b'<' => {
                if self.data.get(self.pos + 1) == Some(&b'<') {
                    self.pos += 2;
                    Some(Token::DictStart)
                } else {
                    self.pos += 1;
                    let start = self.bytes.len();
                    self.hex_string();
                    Some(Token::Operand(Operand::String(start, self.bytes.len())))
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
                let start = self.bytes.len();
                self.name();
                Some(Token::Operand(Operand::Name(start, self.bytes.len())))
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
                        b"true" => Token::Operand(Operand::Boolean(true)),
                        b"false" => Token::Operand(Operand::Boolean(false)),
                        b"null" => Token::Operand(Operand::Null),
                        _ => Token::Keyword(start, self.pos),
                    },
                    Token::Operand,
                ))
            }
        }
    }

    /// Decodes a literal string (after its `(`) onto `self.bytes`.
    fn literal_string(&mut self) {
        let out = &mut self.bytes;
        let data = self.data;
        let mut pos = self.pos;
        let mut depth = 1usize;
        while let Some(&b) = data.get(pos) {
            pos += 1;
            match b {
                b'(' => {
                    depth += 1;
                    out.push(b);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                    out.push(b);
                }
                b'\\' => {
                    let Some(&e) = data.get(pos) else { break };
                    pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'\r' => {
                            if data.get(pos) == Some(&b'\n') {
                                pos += 1;
                            }
                        }
                        b'\n' => {}
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match data.get(pos) {
                                    Some(&d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        pos += 1;
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
        self.pos = pos;
    }

    /// Decodes a hex string (after its `<`) onto `self.bytes`.
    fn hex_string(&mut self) {
        let mut high: Option<u8> = None;
        while let Some(b) = self.peek() {
            self.pos += 1;
            if b == b'>' {
                break;
            }
            if let Some(v) = hex_val(b) {
                match high.take() {
                    Some(h) => self.bytes.push(h << 4 | v),
                    None => high = Some(v),
                }
            }
        }
        if let Some(h) = high {
            self.bytes.push(h << 4);
        }
    }

    /// Decodes a name (after its `/`) onto `self.bytes`.
    fn name(&mut self) {
        while let Some(b) = self.peek() {
            if !is_regular(b) {
                break;
            }
            self.pos += 1;
            if b == b'#' {
                let h = self.data.get(self.pos).copied().and_then(hex_val);
                let l = self.data.get(self.pos + 1).copied().and_then(hex_val);
                if let (Some(h), Some(l)) = (h, l) {
                    self.bytes.push(h << 4 | l);
                    self.pos += 2;
                    continue;
                }
            }
            self.bytes.push(b);
        }
    }

    /// Reads the rest of an array (after `[`) or dictionary (after `<<`). The elements of
    /// a top-level array (`keep`) go onto `self.elements`; what is nested deeper is parsed
    /// past and left out.
    fn compound(&mut self, dict: bool, depth: usize, keep: bool) -> Operand {
        let keep = keep && !dict;
        let start = self.elements.len();
        let mut count = 0usize;
        while let Some(tok) = self.token() {
            let obj = match tok {
                Token::Operand(o) => o,
                Token::ArrayStart if depth < MAX_NESTING => self.compound(false, depth + 1, false),
                Token::DictStart if depth < MAX_NESTING => self.compound(true, depth + 1, false),
                Token::ArrayEnd if !dict => break,
                Token::DictEnd if dict => break,
                // A keyword inside an array means the array was never closed: stop here so
                // the operator after it is not swallowed.
                Token::Keyword(a, b) => {
                    self.pos = self.pos.saturating_sub(b - a);
                    break;
                }
                _ => continue,
            };
            if count < MAX_ARRAY {
                count += 1;
                if keep {
                    self.elements.push(obj);
                }
            }
        }
        if dict {
            Operand::Dictionary
        } else if keep {
            Operand::Array(start, self.elements.len())
        } else {
            Operand::Array(0, 0)
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
                && d.get(i + 2).is_none_or(|&c| !is_regular(c))
            {
                self.pos = i + 2;
                return;
            }
            i += 1;
        }
        self.pos = d.len();
    }

    /// The next operation, or `None` at the end of the stream.
    pub fn next_operation(&mut self) -> Option<Operation<'_>> {
        self.bytes.clear();
        self.operands.clear();
        self.elements.clear();
        let (start, end) = loop {
            let tok = self.token()?;
            let obj = match tok {
                Token::Operand(o) => o,
                Token::ArrayStart => self.compound(false, 0, true),
                Token::DictStart => self.compound(true, 0, false),
                Token::Keyword(a, b) => {
                    if &self.data[a..b] == b"ID" {
                        self.skip_inline_image();
                    }
                    break (a, b);
                }
                Token::ArrayEnd | Token::DictEnd | Token::Junk => continue,
            };
            if self.operands.len() < self.max_operands {
                self.operands.push(obj);
            }
        };
        Some(Operation {
            operator: &self.data[start..end],
            operands: &self.operands,
            elements: &self.elements,
            bytes: &self.bytes,
        })
    }
}

/// Powers of ten exactly representable as `f64`.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Plain decimal numbers (`12`, `-3.5`, `.25`, `7.`), the overwhelming majority, without
/// going through `str` parsing. `None` hands the word to [`number_slow`], which gives the
/// same value for these: an integer is exact, and a real whose digits fit in 2^53 divided
/// by an exact power of ten is one correctly rounded division, which is exactly what a
/// correctly rounded decimal parser returns (Clinger's fast path).
fn number_fast(word: &[u8]) -> Option<Operand> {
    let (negative, digits) = match word.first()? {
        b'-' => (true, &word[1..]),
        b'+' => (false, &word[1..]),
        _ => (false, word),
    };
    let mut mantissa: u64 = 0;
    let mut count = 0usize;
    let mut frac: Option<usize> = None;
    for &c in digits {
        match c {
            b'0'..=b'9' => {
                if count >= 18 {
                    return None;
                }
                mantissa = mantissa * 10 + u64::from(c - b'0');
                count += 1;
                if let Some(f) = frac.as_mut() {
                    *f += 1;
                }
            }
            b'.' if frac.is_none() => frac = Some(0),
            _ => return None,
        }
    }
    if count == 0 {
        return None;
    }
    match frac {
        None => {
            let v = i64::try_from(mantissa).ok()?;
            Some(Operand::Integer(if negative { -v } else { v }))
        }
        Some(f) => {
            if mantissa >= 1 << 53 {
                return None;
            }
            #[allow(clippy::cast_precision_loss)]
            let v = mantissa as f64 / *POW10.get(f)?;
            let v = if negative { -v } else { v };
            #[allow(clippy::cast_possible_truncation)]
            Some(Operand::Real(v as f32))
        }
    }
}

fn number(word: &[u8]) -> Option<Operand> {
    let first = *word.first()?;
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        return None;
    }
    number_fast(word).or_else(|| number_slow(word))
}

fn number_slow(word: &[u8]) -> Option<Operand> {
    let s = std::str::from_utf8(word).ok()?;
    if !s.contains('.')
        && let Ok(i) = s.parse::<i64>()
    {
        return Some(Operand::Integer(i));
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
    Some(Operand::Real(v as f32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lopdf::{Object, StringFormat};

    /// An operand as an owned lopdf object, for comparisons.
    fn owned(op: &Operation<'_>, o: &Operand) -> Object {
        match *o {
            Operand::Integer(i) => Object::Integer(i),
            Operand::Real(r) => Object::Real(r),
            Operand::Boolean(b) => Object::Boolean(b),
            Operand::Null => Object::Null,
            Operand::Name(..) => Object::Name(op.name(o).unwrap_or_default().to_vec()),
            Operand::String(..) => Object::String(
                op.string(o).unwrap_or_default().to_vec(),
                StringFormat::Literal,
            ),
            Operand::Array(..) => Object::Array(
                op.array(o)
                    .unwrap_or_default()
                    .iter()
                    .map(|e| owned(op, e))
                    .collect(),
            ),
            Operand::Dictionary => Object::Dictionary(lopdf::Dictionary::new()),
        }
    }

    fn ops(src: &[u8]) -> Vec<(String, Vec<Object>)> {
        let mut lx = Lexer::new(src);
        let mut out = Vec::new();
        while let Some(op) = lx.next_operation() {
            out.push((
                String::from_utf8_lossy(op.operator).into_owned(),
                op.operands.iter().map(|o| owned(&op, o)).collect(),
            ));
        }
        out
    }

    #[test]
    fn parses_text_operators() {
        let v = ops(b"BT /F1 12 Tf 1 0 0 1 72.5 -3 Tm (a\\(b\\)\\101) Tj [<0041> -250 (x)] TJ ET");
        let names: Vec<&str> = v.iter().map(|(o, _)| o.as_str()).collect();
        assert_eq!(names, ["BT", "Tf", "Tm", "Tj", "TJ", "ET"]);
        assert_eq!(v[1].1, [Object::Name(b"F1".to_vec()), Object::Integer(12)]);
        assert_eq!(v[2].1[4], Object::Real(72.5));
        assert_eq!(
            v[3].1[0],
            Object::String(b"a(b)A".to_vec(), StringFormat::Literal)
        );
        let Object::Array(arr) = &v[4].1[0] else {
            unreachable!("TJ operand is an array")
        };
        assert_eq!(arr.len(), 3);
        assert_eq!(arr[0].as_str().ok(), Some(&b"\0A"[..]));
        assert_eq!(arr[1], Object::Integer(-250));
    }

    #[test]
    fn nested_compounds_and_names() {
        let v = ops(b"/P <</MCID 3 /A [1 2]>> BDC [(a) [(b)] <</K 1>> (c)] TJ /A#20B Do");
        assert_eq!(v[0].0, "BDC");
        assert_eq!(v[0].1.len(), 2);
        let Object::Array(arr) = &v[1].1[0] else {
            unreachable!("TJ operand is an array")
        };
        assert_eq!(arr.len(), 4);
        assert_eq!(arr[1], Object::Array(Vec::new()));
        assert_eq!(arr[3].as_str().ok(), Some(&b"c"[..]));
        assert_eq!(v[2].1[0], Object::Name(b"A B".to_vec()));
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
        assert_eq!(number(b"--5"), Some(Operand::Real(-5.0)));
        assert_eq!(number(b"5."), Some(Operand::Real(5.0)));
        assert_eq!(number(b"-.5"), Some(Operand::Real(-0.5)));
        assert_eq!(number(b"+7"), Some(Operand::Integer(7)));
        assert_eq!(number(b"abc"), None);
    }

    /// The fast path agrees with the general one wherever it answers.
    #[test]
    fn fast_numbers_match_slow_ones() {
        let mut words: Vec<String> = [
            "0",
            "-0",
            "+0",
            "0.0",
            "-0.0",
            ".5",
            "5.",
            "-.5",
            "+.5",
            "1.1",
            "0.1",
            "72.5",
            "-3",
            "612",
            "0.000001",
            "123456789012345678",
            "1234567.891",
            "999999999999999.9",
            "9007199254740993.0",
            "0.30000000000000004",
            "1e5",
            "1.2.3",
            ".",
            "-",
            "+",
        ]
        .iter()
        .map(|s| (*s).to_string())
        .collect();
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let digits = format!("{state}");
            let cut = usize::try_from(state % 20).unwrap_or(0).min(digits.len());
            let len = usize::try_from((state >> 8) % 19).unwrap_or(1).max(1);
            let body = &digits[..len.min(digits.len())];
            let at = cut.min(body.len());
            let sign = ["", "-", "+"][usize::try_from(state % 3).unwrap_or(0)];
            words.push(format!("{sign}{}.{}", &body[..at], &body[at..]));
            words.push(format!("{sign}{body}"));
        }
        for w in &words {
            if let Some(fast) = number_fast(w.as_bytes()) {
                assert_eq!(Some(fast), number_slow(w.as_bytes()), "{w}");
            }
        }
    }
}
