//! Features over files, free of LSP types: the CLI and the LSP adapter both call these.

pub mod check;
pub mod diagnostics;

pub use diagnostics::{diagnostics, Code, Diagnostic, DiagnosticsConfig, FileKind, Severity};
