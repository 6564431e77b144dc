//! The engine's built-in data: the predefined CJK CMaps, the Adobe CID -> Unicode tables
//! and the standard-14 font widths, generated from their published sources by
//! `tables_gen.rs` into `data/tables.bin` (see `data/README.md` for sources and licenses).
//!
//! The file is an index followed by zlib-compressed sections, each inflated only when a
//! document needs it, so a component that never meets a CJK font pays for the bytes in its
//! image only. Layout: `b"CTB1"`, a `u16` section count, then per section a `u8` name
//! length, the name, a `u32` offset (from the start of the file) and a `u32` length, all
//! big-endian.

use std::cell::RefCell;
use std::io::Read;
use std::rc::Rc;
use std::thread::LocalKey;

pub const TABLES: &[u8] = include_bytes!("../../data/tables.bin");
pub const MAGIC: &[u8; 4] = b"CTB1";
/// No section inflates to more than this, whatever the file says.
const MAX_SECTION: u64 = 4 << 20;

/// The index entries of `file`: name, offset and length of each section.
pub fn index(file: &[u8]) -> Vec<(&[u8], usize, usize)> {
    let mut r = Reader::new(file);
    let mut out = Vec::new();
    if r.bytes(4) != Some(MAGIC.as_slice()) {
        return out;
    }
    let count = r
        .bytes(2)
        .map_or(0, |b| usize::from(b[0]) << 8 | usize::from(b[1]));
    for _ in 0..count {
        let Some(len) = r.byte() else { break };
        let (Some(name), Some(off), Some(size)) = (r.bytes(usize::from(len)), r.u32(), r.u32())
        else {
            break;
        };
        out.push((name, off as usize, size as usize));
    }
    out
}

/// The inflated section `name` of `file`, if it has one.
pub fn section_of(file: &[u8], name: &str) -> Option<Vec<u8>> {
    let (_, off, len) = index(file)
        .into_iter()
        .find(|(n, _, _)| *n == name.as_bytes())?;
    let packed = file.get(off..off.checked_add(len)?)?;
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(packed)
        .take(MAX_SECTION)
        .read_to_end(&mut out)
        .ok()?;
    Some(out)
}

/// The inflated built-in section `name`.
pub fn section(name: &str) -> Option<Vec<u8>> {
    section_of(TABLES, name)
}

/// Decoded tables, one slot each, kept per thread: a fresh component instance per
/// document means per document, and every font of the document shares them.
pub type Slots<T, const N: usize> = RefCell<[Option<Rc<T>>; N]>;

/// The value in slot `index` of `slots`, made by `make` the first time it is asked for.
pub fn memo<T, const N: usize>(
    slots: &'static LocalKey<Slots<T, N>>,
    index: usize,
    make: impl FnOnce() -> Option<T>,
) -> Option<Rc<T>> {
    slots.with(|slots| {
        let mut slots = slots.borrow_mut();
        let slot = slots.get_mut(index)?;
        if slot.is_none() {
            *slot = make().map(Rc::new);
        }
        slot.clone()
    })
}

/// Reads the sections' fields: bytes and LEB128 variable-length unsigned integers.
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    pub fn byte(&mut self) -> Option<u8> {
        let b = *self.data.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    pub fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let out = self.data.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(out)
    }

    fn u32(&mut self) -> Option<u32> {
        let b = self.bytes(4)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn varint(&mut self) -> Option<u32> {
        let mut value = 0u32;
        for shift in (0..35).step_by(7) {
            let b = self.byte()?;
            value |= u32::from(b & 0x7f).checked_shl(shift)?;
            if b & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    /// A varint holding a zigzag-encoded signed difference.
    pub fn signed(&mut self) -> Option<i64> {
        let v = i64::from(self.varint()?);
        Some((v >> 1) ^ -(v & 1))
    }
}
