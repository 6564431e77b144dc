//! Bounded stream decoding: every decompression the plugin does goes through here.
//!
//! lopdf's `decompressed_content` inflates without any bound, so a 2 MB stream of deflated
//! zeros becomes 2 GiB in the plugin's memory and the instance dies on its memory limit,
//! whose error then advises raising the limit. This module decodes the same filters with
//! the same results for ordinary streams (FlateDecode with lopdf's raw-deflate retry,
//! LZWDecode with `/EarlyChange`, ASCII85Decode, PNG predictors from `/DecodeParms`), but
//! stops any stream at [`MAX_STREAM_BYTES`] and all the streams of one document at a
//! budget that grows with the file ([`document_budget`]).
//!
//! The budget is per document and kept in a thread-local, reset by [`begin_document`]
//! (called from `load`): the call sites are deep in the text engine and the extraction is
//! single-threaded inside the sandbox, so passing a context through every function would
//! buy nothing. A stream is counted once however often it is decoded (a form drawn on
//! every page, page content decoded by the text engine and again by the quality check):
//! what is bounded is how much the document's data inflates to, which for a real document
//! is a small multiple of its size and for a bomb is a thousand times it.

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;
use std::io::{self, Write};

use flate2::{Decompress, FlushDecompress, Status};
use lopdf::{Dictionary, Object, Stream, dictionary};

use conductor_plugin_sdk::extractor::ExtractError;

/// Decoded bytes one stream may produce. The largest stream the text engine reads in the
/// corpus (page content, forms, fonts, CMaps) is 0.4 MB; a vector map's content can reach
/// tens of MB. 64 MiB leaves room for those and keeps one decode (the output, and the
/// buffer it grows from) well inside an instance's share of memory.
pub const MAX_STREAM_BYTES: usize = 64 << 20;

/// Decoded bytes all distinct streams of a document may produce, at least.
const DOCUMENT_FLOOR: usize = 256 << 20;

/// ... and at least this many times the file's size. The corpus's documents inflate to at
/// most 9.5 times their size (all non-image streams together); deflate's best ratio is
/// about 1000.
const DOCUMENT_RATIO: usize = 32;

/// The document's decoding budget for an input of `input_len` bytes.
pub fn document_budget(input_len: usize) -> usize {
    input_len.saturating_mul(DOCUMENT_RATIO).max(DOCUMENT_FLOOR)
}

/// Why a stream was not decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamError {
    /// The stream alone inflates past `limit` bytes from `raw` bytes.
    Bomb { limit: usize, raw: usize },
    /// The document's streams together inflate past its budget.
    Budget { budget: usize, input: usize },
    /// The decoded data did not fit in the memory left to the plugin.
    NoMemory { decoded: usize },
    /// A filter failed or is not supported (lopdf's own error text).
    Filter(String),
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bomb { limit, raw } => write!(
                f,
                "a stream inflates to more than {} MB from {} KB: it looks like a \
                 decompression bomb and was not decoded",
                mb(*limit),
                kb(*raw)
            ),
            Self::Budget { budget, input } => write!(
                f,
                "the document's streams inflate to more than {} MB from a {} KB file: it \
                 looks like a decompression bomb and the rest was not decoded",
                mb(*budget),
                kb(*input)
            ),
            Self::NoMemory { decoded } => write!(
                f,
                "a stream's decoded data ({} MB so far) did not fit in the memory left",
                mb(*decoded)
            ),
            Self::Filter(e) => f.write_str(e),
        }
    }
}

/// Megabytes, rounded, for messages.
pub fn mb(bytes: usize) -> usize {
    bytes.saturating_add(500_000) / 1_000_000
}

/// Kilobytes, rounded up (a 100-byte stream is 1 KB, not 0), for messages.
pub fn kb(bytes: usize) -> usize {
    bytes.div_ceil(1_000)
}

/// Where a stream's content lives; streams do not move while their document is alive, so
/// this identifies one stream for the budget without an object id.
type Key = (usize, usize);

fn key(content: &[u8]) -> Key {
    (content.as_ptr() as usize, content.len())
}

#[derive(Default)]
struct Budget {
    input: usize,
    budget: usize,
    spent: usize,
    decoded: HashSet<Key>,
    bombs: HashSet<Key>,
    exceeded: bool,
}

thread_local! {
    static BUDGET: RefCell<Budget> = RefCell::new(Budget {
        budget: DOCUMENT_FLOOR,
        ..Budget::default()
    });
}

/// Starts a document of `input_len` bytes: a fresh budget.
pub fn begin_document(input_len: usize) {
    BUDGET.with_borrow_mut(|b| {
        *b = Budget {
            input: input_len,
            budget: document_budget(input_len),
            ..Budget::default()
        };
    });
}

/// The document-level error once the document's budget has run out: one bomb stream costs
/// the page that draws it (a warning there), but a document made of them is refused.
pub fn document_error() -> Option<ExtractError> {
    BUDGET.with_borrow(|b| {
        b.exceeded.then(|| {
            ExtractError::Corrupt(format!(
                "the document looks like a decompression bomb: its streams inflate to more \
                 than {} MB from a {} KB file, so it was refused",
                mb(b.budget),
                kb(b.input)
            ))
        })
    })
}

/// [`Stream::decompressed_content`], bounded: the content through its filters, the raw
/// content when there is no readable `/Filter`.
///
/// # Errors
/// [`StreamError`]: a bomb, the document's budget spent, or a failing filter.
pub fn decode(stream: &Stream) -> Result<Vec<u8>, StreamError> {
    let Ok(filters) = stream.filters() else {
        return Ok(stream.content.clone());
    };
    let id = key(&stream.content);
    let limit = BUDGET.with_borrow(|b| {
        if b.bombs.contains(&id) {
            Err(StreamError::Bomb {
                limit: MAX_STREAM_BYTES,
                raw: stream.content.len(),
            })
        } else if b.decoded.contains(&id) {
            Ok(MAX_STREAM_BYTES)
        } else if b.exceeded {
            Err(StreamError::Budget {
                budget: b.budget,
                input: b.input,
            })
        } else {
            Ok(MAX_STREAM_BYTES.min(b.budget.saturating_sub(b.spent)))
        }
    })?;
    let result = decode_with(&stream.dict, &filters, &stream.content, limit);
    BUDGET.with_borrow_mut(|b| {
        let fresh = !b.decoded.contains(&id);
        match &result {
            Ok(data) if fresh => {
                b.spent = b.spent.saturating_add(data.len());
                b.decoded.insert(id);
            }
            Err(StreamError::Bomb { .. }) if limit < MAX_STREAM_BYTES => {
                // Stopped by what was left of the document's budget, not by the stream's.
                b.spent = b.budget;
                b.exceeded = true;
            }
            Err(StreamError::Bomb { .. }) => {
                b.spent = b.spent.saturating_add(limit);
                b.exceeded = b.spent >= b.budget;
                b.bombs.insert(id);
            }
            _ => {}
        }
    });
    match result {
        Err(StreamError::Bomb { .. }) if limit < MAX_STREAM_BYTES => Err(StreamError::Budget {
            budget: BUDGET.with_borrow(|b| b.budget),
            input: BUDGET.with_borrow(|b| b.input),
        }),
        other => other,
    }
}

/// [`Stream::get_plain_content`], bounded: as [`decode`], except that an empty filter
/// list gives the raw content.
///
/// # Errors
/// As [`decode`].
pub fn plain_content(stream: &Stream) -> Result<Vec<u8>, StreamError> {
    match stream.filters() {
        Ok(filters) if !filters.is_empty() => decode(stream),
        _ => Ok(stream.content.clone()),
    }
}

/// [`lopdf::Document::get_page_content`], bounded: the page's content streams decoded
/// and joined by newlines, a stream that fails to decode taken raw, as lopdf does;
/// except that a bomb, or the document's budget spent, is an error (pdf-extract, which
/// this guards, would decode the same streams again without a bound).
///
/// # Errors
/// [`StreamError::Bomb`], [`StreamError::Budget`], [`StreamError::NoMemory`].
pub fn page_content(doc: &lopdf::Document, page: lopdf::ObjectId) -> Result<Vec<u8>, StreamError> {
    let mut content = Vec::new();
    for id in doc.get_page_contents(page) {
        let Ok(stream) = doc.get_object(id).and_then(Object::as_stream) else {
            continue;
        };
        match decode(stream) {
            Ok(data) => content.extend_from_slice(&data),
            Err(StreamError::Filter(_)) => content.extend_from_slice(&stream.content),
            Err(e) => return Err(e),
        }
        content.push(b'\n');
    }
    Ok(content)
}

/// `content` through `filters` (in decoding order), each output at most `limit` bytes.
fn decode_with(
    dict: &Dictionary,
    filters: &[&[u8]],
    content: &[u8],
    limit: usize,
) -> Result<Vec<u8>, StreamError> {
    // lopdf applies one `/DecodeParms` dictionary after every Flate or LZW filter, and
    // ignores an array of them; so does this, for identical results.
    let params = dict.get(b"DecodeParms").and_then(Object::as_dict).ok();
    let bomb = || StreamError::Bomb {
        limit,
        raw: content.len(),
    };
    let mut output: Vec<u8> = Vec::new();
    for (i, filter) in filters.iter().enumerate() {
        let input: &[u8] = if i == 0 { content } else { &output };
        let next = match *filter {
            b"FlateDecode" => predictor(inflate(input, limit).map_err(|e| e.or(bomb()))?, params)?,
            b"LZWDecode" => {
                predictor(lzw(input, params, limit).map_err(|e| e.or(bomb()))?, params)?
            }
            b"ASCII85Decode" => ascii85(input)?,
            _ => {
                return Err(StreamError::Filter(
                    lopdf::Error::Unimplemented("decompression algorithms").to_string(),
                ));
            }
        };
        if next.len() > limit {
            return Err(bomb());
        }
        output = next;
    }
    Ok(output)
}

/// A decode stopped early: past the limit (`Over`), or out of memory.
enum Stop {
    Over,
    NoMemory(usize),
}

impl Stop {
    fn or(self, bomb: StreamError) -> StreamError {
        match self {
            Self::Over => bomb,
            Self::NoMemory(decoded) => StreamError::NoMemory { decoded },
        }
    }
}

thread_local! {
    /// The zlib decoder, reused: a new one costs as much as inflating a small stream (its
    /// 43 KB state is built on the stack, copied to the heap and zeroed; a reset only
    /// zeroes it). Single-threaded, like the budget.
    static ZLIB: RefCell<Option<Decompress>> = const { RefCell::new(None) };
}

/// Inflates `input` with `decoder` onto `out`, at most `limit` bytes in all. Data that
/// fails to inflate (a corrupt block, a bad checksum) ends the output, keeping what came
/// before it; the `bool` says it failed.
///
/// The output grows in the vector's spare capacity, so each byte is zeroed once, as it is
/// reached (a stack buffer copied out, or an output zeroed ahead to a guess, cost small
/// documents more than their inflating); reservations use `try_reserve`, so past the
/// instance's memory this is an error for one stream, not a trap that loses the document.
fn inflate_into(
    decoder: &mut Decompress,
    input: &[u8],
    limit: usize,
    out: &mut Vec<u8>,
) -> Result<bool, Stop> {
    // One byte past the limit tells a stream of exactly `limit` bytes from a longer one.
    let cap = limit.saturating_add(1);
    let mut pos = 0;
    loop {
        if out.len() == out.capacity() {
            let more = out.len().max(8 * 1024).min(cap.saturating_sub(out.len()));
            if more == 0 {
                return Err(Stop::Over);
            }
            out.try_reserve_exact(more)
                .map_err(|_| Stop::NoMemory(out.len()))?;
        }
        let (in_before, out_before) = (decoder.total_in(), out.len());
        let status = decoder.decompress_vec(
            input.get(pos..).unwrap_or_default(),
            out,
            FlushDecompress::None,
        );
        let consumed = usize::try_from(decoder.total_in() - in_before).unwrap_or(usize::MAX);
        pos = pos.saturating_add(consumed);
        if out.len() > limit {
            return Err(Stop::Over);
        }
        match status {
            Ok(Status::StreamEnd) => return Ok(false),
            Err(_) => return Ok(true),
            // Room left and nothing moved: the input ended before the stream did (a
            // truncated stream). flate2's reader calls that an error after what inflated,
            // which `read_to_end` keeps, and an error before any output sends lopdf (and
            // so this) to the raw-deflate retry.
            Ok(_) if consumed == 0 && out.len() == out_before && out.len() < out.capacity() => {
                return Ok(true);
            }
            Ok(_) => {}
        }
    }
}

/// Runs `f` with the reused zlib decoder, reset.
fn with_zlib<R>(f: impl FnOnce(&mut Decompress) -> R) -> R {
    let mut decoder = match ZLIB.with_borrow_mut(Option::take) {
        Some(mut d) => {
            d.reset(true);
            d
        }
        None => Decompress::new(true),
    };
    let result = f(&mut decoder);
    ZLIB.with_borrow_mut(|slot| *slot = Some(decoder));
    result
}

/// How many bytes `input` inflates to (zlib, or raw deflate when `zlib` is false),
/// counting at most `cap`, without keeping them: as `io::copy` of a `take(cap)` of
/// flate2's reader would count, `None` where that read fails (the fallback's preflight
/// measures streams this way, and a new reader per stream cost more than small ones
/// take to inflate).
pub fn inflated_len(input: &[u8], cap: usize, zlib: bool) -> Option<usize> {
    let count = |decoder: &mut Decompress| {
        let mut scratch = [0u8; 8 * 1024];
        let (mut count, mut pos) = (0usize, 0usize);
        while count < cap {
            let room = scratch.len().min(cap - count);
            let (in_before, out_before) = (decoder.total_in(), decoder.total_out());
            let status = decoder.decompress(
                input.get(pos..).unwrap_or_default(),
                &mut scratch[..room],
                FlushDecompress::None,
            );
            let consumed = usize::try_from(decoder.total_in() - in_before).unwrap_or(usize::MAX);
            let produced = usize::try_from(decoder.total_out() - out_before).unwrap_or(usize::MAX);
            pos = pos.saturating_add(consumed);
            count = count.saturating_add(produced);
            match status {
                Err(_) => return None,
                Ok(Status::StreamEnd) => return Some(count),
                // Nothing moved: the input ended before the stream did, which the reader
                // reports as an error ("incomplete deflate stream").
                Ok(_) if consumed == 0 && produced == 0 => return None,
                Ok(_) => {}
            }
        }
        Some(count)
    };
    if zlib {
        with_zlib(count)
    } else {
        count(&mut Decompress::new(false))
    }
}

/// Room for a stream's output before it is decoded: content inflates to a few times its
/// size, so most streams then need no regrowth (whose copies cost as much as the
/// inflating for small ones). Only reserved here; a failed reservation is left to the
/// decoder, which reserves as it goes.
fn output_for(input: &[u8], limit: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = out.try_reserve(input.len().saturating_mul(4).min(limit.saturating_add(1)));
    out
}

/// lopdf's `decompress_zlib` without the predictor: zlib, and when that fails before any
/// output, raw deflate after the 2-byte header (encrypted files with a bad checksum).
fn inflate(input: &[u8], limit: usize) -> Result<Vec<u8>, Stop> {
    if input.is_empty() {
        return Ok(Vec::new());
    }
    let mut output = output_for(input, limit);
    let failed = with_zlib(|decoder| inflate_into(decoder, input, limit, &mut output));
    if failed? && output.is_empty() && input.len() > 2 {
        inflate_into(&mut Decompress::new(false), &input[2..], limit, &mut output)?;
    }
    Ok(output)
}

/// A writer that takes at most `limit` bytes and remembers why it stopped.
struct Bounded<'a> {
    out: &'a mut Vec<u8>,
    limit: usize,
    stop: Option<Stop>,
}

impl Write for Bounded<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.out.len().saturating_add(data.len()) > self.limit {
            self.stop = Some(Stop::Over);
            return Err(io::Error::other("limit reached"));
        }
        if self.out.try_reserve(data.len()).is_err() {
            self.stop = Some(Stop::NoMemory(self.out.len()));
            return Err(io::Error::other("out of memory"));
        }
        self.out.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// lopdf's `decompress_lzw` without the predictor: 8-bit symbols, MSB first, the early
/// change of `/EarlyChange` (default 1); a decoding error ends the data.
fn lzw(input: &[u8], params: Option<&Dictionary>, limit: usize) -> Result<Vec<u8>, Stop> {
    use weezl::{BitOrder, decode::Decoder};
    let early_change = params
        .and_then(|p| p.get(b"EarlyChange").ok())
        .and_then(|p| p.as_i64().ok())
        .is_none_or(|v| v != 0);
    let mut decoder = if early_change {
        Decoder::with_tiff_size_switch(BitOrder::Msb, 8)
    } else {
        Decoder::new(BitOrder::Msb, 8)
    };
    let mut output = output_for(input, limit);
    let mut sink = Bounded {
        out: &mut output,
        limit,
        stop: None,
    };
    let _ = decoder.into_stream(&mut sink).decode_all(input);
    match sink.stop {
        Some(stop) => Err(stop),
        None => Ok(output),
    }
}

/// lopdf's ASCII85 decoder (at most 4 bytes out per byte in, so not a bomb by itself; the
/// caller checks the output against the limit).
fn ascii85(input: &[u8]) -> Result<Vec<u8>, StreamError> {
    Stream::new(dictionary! { "Filter" => "ASCII85Decode" }, input.to_vec())
        .decompressed_content()
        .map_err(|e| StreamError::Filter(e.to_string()))
}

/// lopdf's `decompress_predictor`: PNG predictors (10-15) undone, others left as they are.
/// Its row buffers are sized from `/Columns` before any data is read, so a row longer than
/// the data (which lopdf fails on anyway) is refused here before that allocation.
fn predictor(data: Vec<u8>, params: Option<&Dictionary>) -> Result<Vec<u8>, StreamError> {
    let Some(params) = params else {
        return Ok(data);
    };
    let int = |k: &[u8], default: i64| params.get(k).and_then(Object::as_i64).unwrap_or(default);
    if !(10..=15).contains(&int(b"Predictor", 1)) {
        return Ok(data);
    }
    let size = |v: i64| usize::try_from(v).ok();
    let columns = size(int(b"Columns", 1).max(1));
    let colors = size(int(b"Colors", 1).max(1));
    let bits = size(int(b"BitsPerComponent", 8).max(8));
    let (Some(columns), Some(colors), Some(bits)) = (columns, colors, bits) else {
        return Err(row_error());
    };
    let bytes_per_pixel = colors.checked_mul(bits).map(|b| b / 8);
    let row = bytes_per_pixel.and_then(|b| b.checked_mul(columns));
    let (Some(bytes_per_pixel), Some(row)) = (bytes_per_pixel, row) else {
        return Err(row_error());
    };
    if data.is_empty() {
        return Ok(data);
    }
    if row >= data.len() {
        return Err(row_error());
    }
    lopdf::filters::png::decode_frame(&data, bytes_per_pixel, columns)
        .map_err(|e| StreamError::Filter(e.to_string()))
}

fn row_error() -> StreamError {
    StreamError::Filter("the predictor's rows are longer than the stream's data".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::ZlibEncoder;
    use lopdf::Stream;

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
        let _ = e.write_all(data);
        e.finish().unwrap_or_default()
    }

    fn stream(dict: Dictionary, content: Vec<u8>) -> Stream {
        Stream::new(dict, content).with_compression(false)
    }

    /// A zlib stream of `mib` MiB of zeros, built without holding them.
    fn zeros(mib: usize) -> Vec<u8> {
        let mut e = ZlibEncoder::new(Vec::new(), Compression::best());
        let block = vec![0u8; 1 << 20];
        for _ in 0..mib {
            let _ = e.write_all(&block);
        }
        e.finish().unwrap_or_default()
    }

    fn same_as_lopdf(s: &Stream) {
        let ours = decode(s).map_err(|e| e.to_string());
        let theirs = s.decompressed_content().map_err(|e| e.to_string());
        assert_eq!(ours.is_ok(), theirs.is_ok(), "{ours:?} / {theirs:?}");
        if let (Ok(a), Ok(b)) = (ours, theirs) {
            assert_eq!(a, b);
        }
        assert_eq!(
            plain_content(s).ok(),
            s.get_plain_content().ok(),
            "get_plain_content"
        );
    }

    #[test]
    fn normal_streams_decode_as_lopdf_does() {
        begin_document(1000);
        let text = b"BT /F1 12 Tf (Hello, world) Tj ET\n".repeat(500);
        let flate = zlib(&text);
        let cases = vec![
            stream(dictionary! {}, text.clone()),
            stream(dictionary! { "Filter" => "FlateDecode" }, flate.clone()),
            stream(
                dictionary! { "Filter" => vec![Object::from("FlateDecode")] },
                flate.clone(),
            ),
            stream(
                dictionary! { "Filter" => vec![Object::from("FlateDecode"), Object::from("FlateDecode")] },
                zlib(&flate),
            ),
            // Raw deflate behind a bad zlib header, as lopdf retries it.
            stream(dictionary! { "Filter" => "FlateDecode" }, {
                let mut bad = flate.clone();
                bad[0] = 0;
                bad
            }),
            // Truncated: what inflated before the end is kept.
            stream(
                dictionary! { "Filter" => "FlateDecode" },
                flate[..flate.len() / 2].to_vec(),
            ),
            stream(dictionary! { "Filter" => "FlateDecode" }, Vec::new()),
            // Cut before any output: the header alone, and a byte more (raw retry).
            stream(
                dictionary! { "Filter" => "FlateDecode" },
                flate[..2].to_vec(),
            ),
            stream(
                dictionary! { "Filter" => "FlateDecode" },
                flate[..3].to_vec(),
            ),
            stream(
                dictionary! { "Filter" => "ASCII85Decode" },
                b"87cURD]i,\"Ebo80~>".to_vec(),
            ),
            stream(
                dictionary! { "Filter" => vec![Object::from("ASCII85Decode"), Object::from("FlateDecode")] },
                ascii85_encode(&flate),
            ),
            stream(
                dictionary! { "Filter" => "RunLengthDecode" },
                b"\x00a\x80".to_vec(),
            ),
            stream(
                dictionary! { "Filter" => Vec::<Object>::new() },
                flate.clone(),
            ),
            stream(dictionary! { "Filter" => 3i64 }, flate),
        ];
        for s in &cases {
            same_as_lopdf(s);
        }
    }

    fn ascii85_encode(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for chunk in data.chunks(4) {
            let mut buf = [0u8; 4];
            buf[..chunk.len()].copy_from_slice(chunk);
            let mut v = u32::from_be_bytes(buf);
            let mut digits = [0u8; 5];
            for d in digits.iter_mut().rev() {
                *d = u8::try_from(v % 85).unwrap_or(0) + b'!';
                v /= 85;
            }
            out.extend_from_slice(&digits[..chunk.len() + 1]);
        }
        out.extend_from_slice(b"~>");
        out
    }

    #[test]
    fn lzw_decodes_as_lopdf_does() {
        begin_document(1000);
        let text = b"the quick brown fox jumps over the lazy dog ".repeat(200);
        for early in [true, false] {
            let mut enc = if early {
                weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
            } else {
                weezl::encode::Encoder::new(weezl::BitOrder::Msb, 8)
            };
            let data = enc.encode(&text).unwrap_or_default();
            let s = stream(
                dictionary! { "Filter" => "LZWDecode", "DecodeParms" => dictionary! { "EarlyChange" => i64::from(early) } },
                data,
            );
            same_as_lopdf(&s);
            assert_eq!(decode(&s).ok().as_deref(), Some(&text[..]));
        }
    }

    #[test]
    fn png_predictors_are_undone_as_lopdf_does() {
        begin_document(1000);
        // Rows of 4 bytes, each with a PNG filter byte: None, Sub, Up, Average, Paeth.
        let mut raw = Vec::new();
        for (i, filter) in [0u8, 1, 2, 3, 4, 2].iter().enumerate() {
            raw.push(*filter);
            raw.extend((0..4u8).map(|b| {
                b.wrapping_mul(17)
                    .wrapping_add(u8::try_from(i).unwrap_or(0))
            }));
        }
        let params =
            |columns: i64| dictionary! { "Predictor" => 12, "Columns" => columns, "Colors" => 1 };
        let good = stream(
            dictionary! { "Filter" => "FlateDecode", "DecodeParms" => params(4) },
            zlib(&raw),
        );
        same_as_lopdf(&good);
        assert_eq!(decode(&good).map(|d| d.len()), Ok(24));
        // Predictor 2 (TIFF) is left alone by lopdf, and here.
        let tiff = stream(
            dictionary! { "Filter" => "FlateDecode", "DecodeParms" => dictionary! { "Predictor" => 2, "Columns" => 4 } },
            zlib(&raw),
        );
        same_as_lopdf(&tiff);
        // Rows longer than the data: lopdf fails after allocating them; this fails first.
        let huge = stream(
            dictionary! { "Filter" => "FlateDecode", "DecodeParms" => params(1_000_000_000) },
            zlib(&raw),
        );
        assert!(matches!(decode(&huge), Err(StreamError::Filter(_))));
        assert!(huge.decompressed_content().is_err());
    }

    #[test]
    fn a_bomb_is_refused_with_its_sizes() {
        begin_document(10_000);
        let bomb = stream(dictionary! { "Filter" => "FlateDecode" }, zeros(80));
        let err = decode(&bomb);
        let Err(StreamError::Bomb { limit, raw }) = err else {
            unreachable!("not a bomb error: {err:?}");
        };
        assert_eq!((limit, raw), (MAX_STREAM_BYTES, bomb.content.len()));
        let message = StreamError::Bomb { limit, raw }.to_string();
        assert!(message.contains("decompression bomb"), "{message}");
        assert!(message.contains("67 MB from 82 KB"), "{message}");
        assert!(!message.contains("limit"), "{message}");
        // Known now: a second decode fails at once, and one bomb is not the document's end.
        assert!(matches!(decode(&bomb), Err(StreamError::Bomb { .. })));
        assert!(document_error().is_none());
    }

    #[test]
    fn a_bomb_behind_a_second_filter_is_refused() {
        begin_document(10_000);
        let inner = zeros(80);
        let bomb = stream(
            dictionary! { "Filter" => vec![Object::from("FlateDecode"), Object::from("FlateDecode")] },
            zlib(&inner),
        );
        assert!(matches!(decode(&bomb), Err(StreamError::Bomb { .. })));
    }

    #[test]
    fn many_bombs_spend_the_document_budget() {
        begin_document(10_000);
        let bombs: Vec<Stream> = (0..5)
            .map(|_| stream(dictionary! { "Filter" => "FlateDecode" }, zeros(65)))
            .collect();
        let errors: Vec<StreamError> = bombs.iter().filter_map(|b| decode(b).err()).collect();
        assert_eq!(errors.len(), 5);
        assert!(matches!(errors.last(), Some(StreamError::Budget { .. })));
        let Some(ExtractError::Corrupt(message)) = document_error() else {
            unreachable!("the budget did not run out");
        };
        assert!(
            message.contains("looks like a decompression bomb"),
            "{message}"
        );
        assert!(message.contains("268 MB from a 10 KB file"), "{message}");
        // Everything after is refused without decoding.
        let small = stream(dictionary! { "Filter" => "FlateDecode" }, zlib(b"BT ET"));
        assert!(matches!(decode(&small), Err(StreamError::Budget { .. })));
        begin_document(10_000);
        assert_eq!(decode(&small).ok().as_deref(), Some(&b"BT ET"[..]));
    }

    #[test]
    fn a_stream_decoded_again_is_counted_once() {
        begin_document(10_000);
        let big = stream(dictionary! { "Filter" => "FlateDecode" }, zeros(40));
        for _ in 0..20 {
            assert_eq!(decode(&big).map(|d| d.len()), Ok(40 << 20));
        }
        assert!(document_error().is_none());
    }

    #[test]
    fn inflated_len_counts_as_the_reader_does() {
        use std::io::Read;
        let text = b"BT /F1 12 Tf (Hello, world) Tj ET\n".repeat(3000);
        let good = zlib(&text);
        let reader_count = |input: &[u8], cap: usize| -> Option<usize> {
            let cap = u64::try_from(cap).unwrap_or(u64::MAX);
            let mut r = flate2::read::ZlibDecoder::new(input).take(cap);
            io::copy(&mut r, &mut io::sink())
                .ok()
                .and_then(|n| usize::try_from(n).ok())
        };
        let mut bad_checksum = good.clone();
        let len = bad_checksum.len();
        bad_checksum[len - 2] ^= 0xff;
        let inputs: [&[u8]; 5] = [
            &good,
            &good[..good.len() / 2],
            &bad_checksum,
            &good[..1],
            b"garbage",
        ];
        for input in inputs {
            for cap in [1, 100, 8192, 8193, text.len(), text.len() + 1, usize::MAX] {
                assert_eq!(
                    inflated_len(input, cap, true),
                    reader_count(input, cap),
                    "cap {cap}"
                );
            }
        }
    }

    #[test]
    fn lzw_bomb_is_refused() {
        begin_document(10_000);
        let data = weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
            .encode(&vec![0u8; 80 << 20])
            .unwrap_or_default();
        let bomb = stream(dictionary! { "Filter" => "LZWDecode" }, data);
        assert!(matches!(decode(&bomb), Err(StreamError::Bomb { .. })));
    }
}
