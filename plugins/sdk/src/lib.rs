//! Runtime support shared by every engagic-conductor plugin.
//!
//! For every plugin: reading the document from standard input, and turning panics into
//! error values so the instance survives them. With the `extractor` feature, also the
//! whole `extractor` world ([`extractor`]): its plain-Rust model, its WIT bindings, the
//! glue between them and [`export_extractor!`], so that an extractor plugin is only its
//! [`extractor::Extractor`] implementation. Plugins of other worlds (the chunker)
//! generate their own bindings from `wit/`.
#![cfg_attr(target_arch = "wasm32", feature(asm_experimental_arch))]

use std::any::Any;
use std::cell::RefCell;
use std::io::Read;
use std::panic::{self, AssertUnwindSafe};

#[cfg(feature = "extractor")]
pub mod extractor;

/// The `engagic:conductor` WIT version this SDK (and every plugin built with it) targets.
pub const API_VERSION: &str = "0.3.0";

// Rust's wasm unwinding throws with the `__cpp_exception` tag, which a C++ runtime would
// normally define; there is none in a Rust-only component, so define it here, once.
#[cfg(target_arch = "wasm32")]
core::arch::global_asm!(
    ".globl __cpp_exception",
    ".tagtype __cpp_exception i32",
    "__cpp_exception:"
);

// The allocator every plugin runs on in wasm: talc with a small-block cache in front
// (see `alloc.rs` for why and what it costs). Single-threaded wasm only: the plugins are
// built without the `atomics` feature.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: alloc::Allocator = alloc::Allocator::new();

#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
mod alloc;

/// Reads the whole document from standard input, refusing more than `limit` bytes.
///
/// `size_hint` (the host's `extract-options.size-hint`) sizes the buffer up front; it is
/// capped by `limit` and never trusted beyond that.
///
/// # Errors
/// Returns a message when stdin cannot be read or holds more than `limit` bytes.
pub fn read_document(limit: u64, size_hint: u64) -> Result<Vec<u8>, String> {
    // One byte more than the hint, so reaching the end of stdin does not force a regrowth.
    let capacity = usize::try_from(size_hint.min(limit).saturating_add(1)).unwrap_or(0);
    let mut bytes = Vec::with_capacity(capacity);
    std::io::stdin()
        .lock()
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read the document from stdin: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(format!("document is larger than {limit} bytes"));
    }
    Ok(bytes)
}

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `f`, turning a panic into `Err(message)` with the panic's message and location.
///
/// The default panic hook would print to stderr; this one records the message instead so
/// that it can travel back to the host inside a typed error.
///
/// # Errors
/// Returns the panic message when `f` panics.
pub fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    // The hook in force is put back afterwards, so guards can nest (a plugin's outer guard
    // around a dependency's inner one) without the inner one resetting the outer's hook.
    let previous = panic::take_hook();
    panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let message = payload_message(info.payload());
        LAST_PANIC.with(|p| *p.borrow_mut() = Some(format!("{message}{location}")));
    }));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    panic::set_hook(previous);
    result.map_err(|payload| {
        LAST_PANIC
            .with(|p| p.borrow_mut().take())
            .unwrap_or_else(|| payload_message(payload.as_ref()))
    })
}

fn payload_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catch_panic_returns_value() {
        assert_eq!(catch_panic(|| 7), Ok(7));
    }

    #[test]
    #[allow(clippy::panic)]
    fn catch_panic_returns_message() {
        match catch_panic(|| -> u32 { panic!("boom {}", 42) }) {
            Err(err) => assert!(err.starts_with("boom 42 at "), "{err}"),
            Ok(v) => panic!("expected the panic to be caught, got {v}"),
        }
    }

    #[test]
    fn catch_panic_survives_repeated_panics() {
        for i in 0..3 {
            #[allow(clippy::panic)]
            let r = catch_panic(|| -> u32 { panic!("again {i}") });
            assert_eq!(
                r.map_err(|e| e.starts_with(&format!("again {i}"))),
                Err(true)
            );
        }
        assert_eq!(catch_panic(|| 1), Ok(1));
    }

    #[test]
    #[allow(clippy::panic)]
    fn nested_guards_keep_the_outer_hook() {
        let outer = catch_panic(|| {
            let inner = catch_panic(|| -> u32 { panic!("inner") });
            assert!(
                matches!(&inner, Err(m) if m.starts_with("inner")),
                "{inner:?}"
            );
            panic!("outer after inner")
        });
        match outer {
            Err(m) => assert!(m.starts_with("outer after inner at "), "{m}"),
            Ok(()) => panic!("outer panic was not caught"),
        }
    }
}
