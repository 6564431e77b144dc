//! The global allocator of every plugin in wasm: talc, with a cache of small blocks in
//! front of it.
//!
//! Why: extraction allocates and frees small objects by the million (a `String` per text
//! run, a `Vec` per operand list). With wasi-libc's dlmalloc (std's default on
//! wasm32-wasip1) that cost showed; talc alone took 3-12% off a PDF's sandboxed time, and
//! still spent 10% of a 1,151-page PDF's extraction in allocate/free (perf, cpu-clock).
//! Small blocks (up to 256 bytes, alignment up to 16) are kept on one free list per
//! 16-byte size class and reused in a few instructions; everything else goes to talc.
//! The cache took another 7-18% off (interleaved A/B on the same engine source), with the
//! same smallest workable memory cap on the documents tried.
//!
//! The cost is that freed small blocks stay in their class instead of returning to talc:
//! at most the document's own peak of small blocks per class, and each document runs in a
//! fresh instance, so nothing accumulates across documents.
//!
//! Out of memory: when the store's cap refuses `memory.grow`, talc returns null, as
//! dlmalloc did, and Rust's allocation-error handler reports "memory allocation of N bytes
//! failed" and aborts: the host's `memory_limit`.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr;

const CLASS: usize = 16;
const CLASSES: usize = 16;
const MAX_SMALL: usize = CLASS * CLASSES;

/// talc behind a per-size-class cache of freed small blocks.
pub struct Allocator {
    talc: talc::wasm::WasmDynamicTalc,
    free: UnsafeCell<[*mut u8; CLASSES]>,
}

// SAFETY: plugins run single-threaded (wasm32 without the `atomics` feature, enforced by
// the cfg on the static below), so there is never concurrent access to `free`.
unsafe impl Sync for Allocator {}

impl Default for Allocator {
    fn default() -> Self {
        Self::new()
    }
}

impl Allocator {
    /// The allocator, empty: memory is taken with `memory.grow` as it is needed.
    pub const fn new() -> Self {
        Self {
            talc: talc::wasm::new_wasm_dynamic_allocator(),
            free: UnsafeCell::new([ptr::null_mut(); CLASSES]),
        }
    }
}

/// The size class of `layout`, when it is a small block.
#[inline]
fn class(layout: Layout) -> Option<usize> {
    let size = layout.size();
    if size == 0 || size > MAX_SMALL || layout.align() > CLASS {
        return None;
    }
    Some((size - 1) / CLASS)
}

/// The layout every block of class `c` is allocated from talc with.
#[inline]
fn class_layout(c: usize) -> Layout {
    // SAFETY: (c + 1) * 16 <= 256 is non-zero and a multiple of the power-of-two align 16.
    unsafe { Layout::from_size_align_unchecked((c + 1) * CLASS, CLASS) }
}

unsafe impl GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if let Some(c) = class(layout) {
            // SAFETY: single-threaded (see `Sync`); `c < CLASSES`. A listed block is a
            // freed block of class `c` whose first word links to the next one.
            unsafe {
                let free = &mut *self.free.get();
                let head = free[c];
                if !head.is_null() {
                    free[c] = head.cast::<*mut u8>().read();
                    return head;
                }
                return self.talc.alloc(class_layout(c));
            }
        }
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { self.talc.alloc(layout) }
    }

    #[inline]
    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        if let Some(c) = class(layout) {
            // SAFETY: `block` was allocated with `layout`, so it is a class `c` block of at
            // least 16 bytes, 16-aligned: room for the link word.
            unsafe {
                let free = &mut *self.free.get();
                block.cast::<*mut u8>().write(free[c]);
                free[c] = block;
            }
            return;
        }
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { self.talc.dealloc(block, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees `new_size` is valid for `layout.align()`.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (class(layout), class(new_layout)) {
            // Same class: the block already fits.
            (Some(a), Some(b)) if a == b => block,
            // Both large: talc may grow or shrink in place.
            // SAFETY: forwarded with the caller's guarantees.
            (None, None) => unsafe { self.talc.realloc(block, layout, new_size) },
            _ => {
                // SAFETY: a fresh block, then the caller's contents, then the old block back.
                unsafe {
                    let new = self.alloc(new_layout);
                    if !new.is_null() {
                        ptr::copy_nonoverlapping(block, new, layout.size().min(new_size));
                        self.dealloc(block, layout);
                    }
                    new
                }
            }
        }
    }
}
