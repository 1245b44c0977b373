//! Diagnostics: one enum of stable codes (documented in docs/diagnostics.md), and the checks
//! that produce them over one parsed file.
//!
//! The types are in [`code`] and the entry points in [`collect`]; the checks import those
//! files, never this one.

pub mod code;
pub mod collect;
mod duplicates;
mod external;
mod flake;
mod inputs;
mod names;

pub use code::{Code, Diagnostic, DiagnosticData, DiagnosticsConfig, Related, Severity};
pub use collect::{diagnostics, diagnostics_for, diagnostics_with_lock};
pub use external::{flake_names_file, untracked_file, with_outside, ExternalDiagnostic, Outside};
pub use inputs::{unfetched_input, unfetched_input_in};

pub use crate::ide::analysis::FileKind;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::syntax::LineIndex;
    use expect_test::Expect;

    /// Renders diagnostics one per line: `line:col code: message`, 1-based as editors show.
    pub(crate) fn render(text: &str, diags: &[Diagnostic]) -> String {
        let index = LineIndex::new(text);
        let mut out = String::new();
        for d in diags {
            let pos = index.line_col(text, d.range.start(), crate::syntax::PositionEncoding::Utf8);
            out.push_str(&format!(
                "{}:{} {} {}: {}\n",
                pos.line + 1,
                pos.col + 1,
                d.severity.as_str(),
                d.code.as_str(),
                d.message
            ));
        }
        out
    }

    pub(crate) fn check_kind(text: &str, kind: FileKind, expect: Expect) {
        let diags = diagnostics(text, kind, &DiagnosticsConfig::default());
        expect.assert_eq(&render(text, &diags));
    }

    pub(crate) fn check(text: &str, expect: Expect) {
        check_kind(text, FileKind::Nix, expect)
    }

    #[test]
    fn every_code_is_documented() {
        let docs = include_str!("../../../../docs/diagnostics.md");
        for code in Code::ALL {
            assert!(
                docs.contains(&format!("`{}`", code.as_str())),
                "{} is not in docs/diagnostics.md",
                code.as_str()
            );
        }
    }

    #[test]
    fn codes_can_be_silenced() {
        let text = "let a = 1; in b";
        let (config, unknown) = DiagnosticsConfig::from_names(["unused_binding", "nonsense"]);
        assert_eq!(unknown, vec!["nonsense".to_string()]);
        let diags = diagnostics(text, FileKind::Nix, &config);
        assert_eq!(render(text, &diags), "1:15 error undefined_name: undefined name `b`\n");
    }
}
