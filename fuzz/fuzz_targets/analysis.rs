//! The parser and every static feature on arbitrary input (see server/src/fuzz.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    flake_lsp::fuzz::every_feature(&text);
});
