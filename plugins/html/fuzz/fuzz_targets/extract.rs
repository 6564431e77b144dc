//! Any bytes through `extract_document`: a document or a typed error, never a panic, a
//! hang or an allocation past the fuzzer's limits. Options are bounded so that the time
//! goes into parsing, not into building huge outputs.
#![no_main]

use conductor_html::{Options, extract_document};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let options = Options {
        pages: None,
        max_chars_per_page: 50_000,
        max_pages: 500,
        password: None,
    };
    let _ = extract_document(data, &options);
});
