//! An extractor whose `info()` traps, used only by the host's plugin discovery tests: a
//! plugin that cannot even describe itself must be skipped (and reported), not take the
//! host down with it.
//!
//! It implements the WIT world by hand, not through `Extractor`, because the SDK's glue
//! builds `info()` from a constant and could never trap; the bindings are still the SDK's.

use conductor_plugin_sdk::extractor::bindings::{
    Document, ExtractError, ExtractOptions, Guest, PluginInfo,
};

struct TrapInfo;

impl Guest for TrapInfo {
    /// Executes `unreachable` in wasm; natively (for `cargo test`) aborts, the nearest thing.
    fn info() -> PluginInfo {
        #[cfg(target_arch = "wasm32")]
        core::arch::wasm32::unreachable();
        #[cfg(not(target_arch = "wasm32"))]
        std::process::abort();
    }

    /// Never reached through a host that checks `info()` first; answers anyway, so that
    /// a host that skipped the check fails a test visibly rather than hanging.
    fn extract(_options: ExtractOptions) -> Result<Document, ExtractError> {
        Err(ExtractError::Internal(
            "trapinfo: extract called on a plugin whose info() traps".into(),
        ))
    }

    fn extract_json(_options: ExtractOptions) -> Result<String, ExtractError> {
        Err(ExtractError::Internal(
            "trapinfo: extract-json called on a plugin whose info() traps".into(),
        ))
    }
}

conductor_plugin_sdk::extractor::bindings::export!(TrapInfo);
