//! Diagnostics from outside the text: whether git tracks the file (Nix copies only tracked
//! files), and what realising the flake's dev shell and evaluating the flake found in it. The
//! adapter learns these in the background and hands them in as [`Outside`]; [`with_outside`]
//! adds them to the analysis's own.

use std::path::Path;

use super::code::{Code, Diagnostic, DiagnosticData, DiagnosticsConfig};
use crate::flake::lock::FlakeLock;
use crate::ide::analysis::{Analysis, FileContext, FileKind};
use crate::syntax::{LineCol, LineIndex, PositionEncoding, SyntaxKind, TextRange, TextSize};

/// A diagnostic found by running Nix over the files on disk (realising the dev shell,
/// evaluating the flake), or about the environment that made (a broken venv). It is placed by
/// line and column, 1-based as Nix gives them; [`ExternalDiagnostic::place`] turns that into a
/// range in whatever text the file has when it is published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalDiagnostic {
    pub code: Code,
    pub line: u32,
    pub column: u32,
    pub message: String,
    /// A related place in the same file (1-based line and column) and what happens there.
    pub related: Option<(u32, u32, String)>,
    pub data: Option<DiagnosticData>,
}

impl ExternalDiagnostic {
    pub fn new(code: Code, line: u32, column: u32, message: impl Into<String>) -> ExternalDiagnostic {
        ExternalDiagnostic { code, line, column, message: message.into(), related: None, data: None }
    }

    /// The diagnostic in `text`: on the word at its place, else on the rest of that line.
    pub fn place(&self, text: &str, index: &LineIndex) -> Diagnostic {
        let start = offset(text, index, self.line, self.column);
        let rest = &text[usize::from(start)..];
        let word = rest
            .find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '\'' | '.')))
            .unwrap_or(rest.len());
        let len = if word > 0 { word } else { rest.find('\n').unwrap_or(rest.len()) };
        let range = TextRange::at(start, TextSize::from(len as u32));
        let mut diagnostic =
            Diagnostic::new(self.code, range, self.message.clone()).with_data(self.data.clone());
        if let Some((line, column, message)) = &self.related {
            let at = offset(text, index, *line, *column);
            diagnostic = diagnostic.with_related(TextRange::empty(at), message.clone());
        }
        diagnostic
    }
}

/// The offset of a 1-based line and column (in bytes, as Nix counts), clamped to the text.
fn offset(text: &str, index: &LineIndex, line: u32, column: u32) -> TextSize {
    let at = LineCol { line: line.saturating_sub(1), col: column.saturating_sub(1) };
    index.offset(text, at, PositionEncoding::Utf8)
}

/// What is known about a file from outside its text.
#[derive(Debug, Clone, Default)]
pub struct Outside {
    /// The file's name, as messages call it.
    pub name: String,
    /// Git does not track the file, and Nix needs it: it is flake.nix, or a file flake.nix
    /// names.
    pub untracked: bool,
    /// What realising and evaluating the flake found in the file.
    pub found: Vec<ExternalDiagnostic>,
}

/// The analysis's diagnostics (with how flake.nix agrees with `lock`), then those from outside
/// the text; none of a disabled code.
pub fn with_outside(
    analysis: &Analysis,
    config: &DiagnosticsConfig,
    lock: Option<&FlakeLock>,
    outside: &Outside,
) -> Vec<Diagnostic> {
    let text = analysis.text();
    let mut found = super::collect::diagnostics_with_lock(analysis, config, lock);
    if outside.untracked {
        found.push(untracked_file(text, &outside.name, analysis.kind()));
    }
    if !outside.found.is_empty() {
        let index = LineIndex::new(text);
        found.extend(outside.found.iter().map(|d| d.place(text, &index)));
    }
    found.retain(|d| !config.disabled.contains(&d.code));
    found
}

/// `untracked_file` on the first line of `name`: Nix copies only the files git tracks.
pub fn untracked_file(text: &str, name: &str, kind: FileKind) -> Diagnostic {
    let first_line = TextRange::up_to(TextSize::of(text.lines().next().unwrap_or("")));
    let message = match kind {
        FileKind::Flake => format!(
            "{name} is not tracked by git: Nix copies only tracked files, so it cannot see this flake; add it with `git add --intent-to-add {name}`"
        ),
        FileKind::Nix => format!(
            "{name} is not tracked by git, and flake.nix refers to it: Nix copies only tracked files and will not find it; add it with `git add --intent-to-add {name}`"
        ),
    };
    Diagnostic::new(Code::UntrackedFile, first_line, message)
}

/// Whether `flake` (flake.nix's analysis; `ctx` says where it is) names `file` with a path
/// literal (`./nix/shell.nix`, or `./nix` for its default.nix): then Nix needs `file` too.
pub fn flake_names_file(flake: &Analysis, ctx: &FileContext, file: &Path) -> bool {
    flake
        .root()
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| t.kind() == SyntaxKind::TOKEN_PATH_REL)
        .filter_map(|t| ctx.existing_file(t.text()))
        .any(|target| target == file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::diagnostics::tests::render;
    use expect_test::expect;

    fn eval_error(line: u32, column: u32) -> ExternalDiagnostic {
        ExternalDiagnostic::new(Code::EvalError, line, column, "attribute 'pyhton311' missing")
    }

    fn placed(text: &str, d: &ExternalDiagnostic) -> String {
        let p = d.place(text, &LineIndex::new(text));
        format!("{:?} {}", &text[std::ops::Range::<usize>::from(p.range)], render(text, &[p]).trim())
    }

    #[test]
    fn placed_on_the_word_nix_points_at() {
        let text = "{\n  packages = [ pkgs.pyhton311 ];\n}\n";
        expect![[r#""pkgs.pyhton311" 2:16 error eval_error: attribute 'pyhton311' missing"#]]
            .assert_eq(&placed(text, &eval_error(2, 16)));
        // No word there: the rest of the line.
        expect![[r#""[ pkgs.pyhton311 ];" 2:14 error eval_error: attribute 'pyhton311' missing"#]]
            .assert_eq(&placed(text, &eval_error(2, 14)));
        // Nix counts columns in bytes.
        let text = "\"é\" + x-y";
        expect![[r#""x-y" 1:8 error eval_error: attribute 'pyhton311' missing"#]]
            .assert_eq(&placed(text, &eval_error(1, 8)));
        // Past the end (the file changed since): clamped, never a panic.
        expect![[r#""" 1:11 error eval_error: attribute 'pyhton311' missing"#]]
            .assert_eq(&placed(text, &eval_error(7, 3)));
    }

    #[test]
    fn related_place_and_data_are_kept() {
        let text = "let\n  f = x: x + 1;\nin f \"a\"\n";
        let data = DiagnosticData::DidYouMean { missing: "a".into(), suggestions: vec!["b".into()] };
        let d = ExternalDiagnostic {
            related: Some((3, 4, "while calling f".into())),
            data: Some(data.clone()),
            ..ExternalDiagnostic::new(Code::EvalError, 2, 12, "cannot add")
        };
        let p = d.place(text, &LineIndex::new(text));
        assert_eq!(&text[std::ops::Range::<usize>::from(p.range)], "+ 1;");
        assert_eq!(p.related[0].range, TextRange::empty(TextSize::from(23)));
        assert_eq!(p.related[0].message, "while calling f");
        assert_eq!(p.data, Some(data));
    }

    #[test]
    fn outside_facts_join_the_analysis() {
        let text = "{ inputs = { }; outputs = _: { }; }\n";
        let analysis = Analysis::of(text, FileKind::Flake);
        let outside = Outside {
            name: "flake.nix".into(),
            untracked: true,
            found: vec![ExternalDiagnostic::new(Code::EnvironmentFailed, 1, 3, "the dev shell failed")],
        };
        let all = with_outside(&analysis, &DiagnosticsConfig::default(), None, &outside);
        expect![[r#"
            1:1 error untracked_file: flake.nix is not tracked by git: Nix copies only tracked files, so it cannot see this flake; add it with `git add --intent-to-add flake.nix`
            1:3 error environment_failed: the dev shell failed
        "#]]
        .assert_eq(&render(text, &all));
        let (config, _) = DiagnosticsConfig::from_names(["untracked_file", "environment_failed"]);
        assert!(with_outside(&analysis, &config, None, &outside).is_empty());

        let other = Analysis::of("{ }", FileKind::Nix);
        let d = untracked_file(other.text(), "shell.nix", FileKind::Nix);
        assert!(
            d.message.starts_with("shell.nix is not tracked by git, and flake.nix refers to it"),
            "{d:?}"
        );
    }

    #[test]
    fn files_flake_nix_names() {
        let dir = std::env::temp_dir().join(format!("flake-lsp-names-file-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("nix/dev")).unwrap();
        std::fs::write(dir.join("nix/shell.nix"), "{ }").unwrap();
        std::fs::write(dir.join("nix/dev/default.nix"), "{ }").unwrap();
        std::fs::write(dir.join("other.nix"), "{ }").unwrap();
        let flake =
            Analysis::of("{ outputs = _: import ./nix/shell.nix // import ./nix/dev; }", FileKind::Flake);
        let ctx = FileContext::for_path(&dir.join("flake.nix"));
        assert!(flake_names_file(&flake, &ctx, &dir.join("nix/shell.nix")));
        assert!(flake_names_file(&flake, &ctx, &dir.join("nix/dev/default.nix")));
        assert!(!flake_names_file(&flake, &ctx, &dir.join("other.nix")));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
