//! Code actions: quick fixes for diagnostics, each an edit that keeps the file parsing and
//! meaning the same.
//!
//! A fix is computed from the diagnostic it fixes and the tree, never from the diagnostic's
//! message. When a fix cannot be sure to keep the meaning (a name it would add is already
//! there in a way Nix cannot merge, a `//` elsewhere would hide it), it is not offered.
//!
//! - [`cleanup`]: removing what is unused or empty (`let` bindings, `with`, `rec`, formals).
//! - [`flake`]: deprecated outputs and the agreement of `inputs` with `outputs`' arguments.
//! - [`suggestions`]: what Nix may have meant by a missing attribute, from the diagnostic's data.
//! - [`fix`]: what every fix looks at and returns.
//! - [`text`]: where an edit starts and ends so that lines, indentation and comments stay tidy.

mod cleanup;
mod fix;
mod flake;
mod suggestions;
mod text;

use fix::{File, Fix};

use super::analysis::{Analysis, FileContext, FileKind};
use super::diagnostics::code::{Code, Diagnostic, DiagnosticData, DiagnosticsConfig};
use super::diagnostics::collect::diagnostics_for;
use super::edit::TextEdit;
use crate::syntax::TextRange;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    QuickFix,
    Refactor,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub title: String,
    pub kind: ActionKind,
    pub edits: Vec<TextEdit>,
    /// The diagnostic this fixes: its code and range.
    pub fixes: Option<(Code, TextRange)>,
    /// The one to apply when the editor applies a fix without asking.
    pub preferred: bool,
}

/// Actions for the part of the file in `range`: the fixes of every diagnostic that touches it.
pub fn code_actions(
    analysis: &Analysis,
    _ctx: &FileContext,
    config: &DiagnosticsConfig,
    range: TextRange,
) -> Vec<Action> {
    let diagnostics = diagnostics_for(analysis, config);
    let file = File { analysis, root: analysis.root(), text: analysis.text() };
    let mut out = Vec::new();
    for diag in diagnostics.iter().filter(|d| touches(d.range, range)) {
        out.extend(fixes(&file, diag));
    }
    out
}

/// The fixes of a diagnostic found outside the text (by Nix), from the facts it carries: its
/// `code`, its `range` in the current text, and its `data`.
pub fn data_fixes(analysis: &Analysis, code: Code, range: TextRange, data: &DiagnosticData) -> Vec<Action> {
    let file = File { analysis, root: analysis.root(), text: analysis.text() };
    let fixes = match data {
        DiagnosticData::DidYouMean { missing, suggestions } => {
            suggestions::did_you_mean(&file, range, missing, suggestions)
        }
    };
    quick_fixes(fixes, code, range)
}

/// The fixes for one diagnostic.
fn fixes(file: &File, diag: &Diagnostic) -> Vec<Action> {
    let fixes = match diag.code {
        Code::UnusedBinding => cleanup::unused_binding(file, diag.range),
        Code::UnusedFormal => cleanup::unused_formal(file, diag.range),
        Code::UnusedWith => cleanup::unused_with(file, diag.range),
        Code::UnusedRec => cleanup::unused_rec(file, diag.range),
        Code::EmptyLet => cleanup::empty_let(file, diag.range),
        Code::EmptyInherit => cleanup::empty_inherit(file, diag.range),
        Code::DeprecatedUriLiteral => cleanup::uri_literal(file, diag.range),
        Code::UndeclaredInput => flake::declare_input(file, diag.range),
        Code::UnreceivedInput => flake::receive_input(file, diag.range, false),
        Code::OutputsMissingInput => flake::receive_input(file, diag.range, true),
        code if code.is_deprecated() => flake::deprecated_output(file, diag.range),
        _ => Vec::new(),
    };
    quick_fixes(fixes, diag.code, diag.range)
}

/// Fixes as quick-fix actions for the diagnostic `code` at `range`.
fn quick_fixes(fixes: Vec<Fix>, code: Code, range: TextRange) -> Vec<Action> {
    fixes
        .into_iter()
        .map(|fix| Action {
            title: fix.title,
            kind: ActionKind::QuickFix,
            edits: fix.edits,
            fixes: Some((code, range)),
            preferred: fix.preferred,
        })
        .collect()
}

/// Whether a diagnostic at `diag` concerns the requested `range`; an empty range (a cursor)
/// at either end of the diagnostic counts.
fn touches(diag: TextRange, range: TextRange) -> bool {
    diag.start() <= range.end() && range.start() <= diag.end()
}

/// Where a flake defines its dev shells: bindings whose path starts with `devShells` or
/// `devShell`, anywhere in `flake.nix` (also inside `eachDefaultSystem`). The editor offers
/// "Enter environment" there.
pub fn dev_shell_definitions(analysis: &Analysis) -> Vec<TextRange> {
    if analysis.kind() != FileKind::Flake {
        return Vec::new();
    }
    analysis
        .root()
        .descendants()
        .filter(|n| n.kind() == crate::syntax::SyntaxKind::NODE_ATTRPATH_VALUE)
        .filter(|binding| {
            let (path, _) = crate::syntax::binding_parts(binding);
            path.and_then(|p| crate::syntax::attrpath_attrs(&p).next())
                .and_then(|a| crate::syntax::static_attr_name(&a))
                .is_some_and(|name| name == "devShells" || name == "devShell")
        })
        .map(|n| n.text_range())
        .collect()
}

#[cfg(test)]
mod dev_shell_tests {
    use super::*;
    use crate::ide::FileKind;

    #[test]
    fn dev_shell_definitions_in_both_forms() {
        let text =
            "{ outputs = _: { devShells.x.default = 1; packages = {}; } // f (s: { devShell = 2; }); }";
        let analysis = Analysis::of(text, FileKind::Flake);
        let found: Vec<&str> = dev_shell_definitions(&analysis)
            .iter()
            .map(|r| &text[std::ops::Range::<usize>::from(*r)])
            .collect();
        assert_eq!(found, ["devShells.x.default = 1;", "devShell = 2;"]);
        assert!(dev_shell_definitions(&Analysis::of(text, FileKind::Nix)).is_empty());
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ide::{apply_edits, FileKind};
    use crate::syntax::LineIndex;
    use expect_test::{expect, Expect};

    /// All actions at the marked cursor or range, each rendered as its title and the whole
    /// file after its edits. Every result must parse and have one diagnostic of the fixed
    /// kind less.
    pub(crate) fn check_kind(marked: &str, kind: FileKind, expect: Expect) {
        let (text, range) = crate::ide::fixture::range(marked);
        expect.assert_eq(&render(&text, kind, range));
    }

    pub(crate) fn check(marked: &str, expect: Expect) {
        check_kind(marked, FileKind::Nix, expect)
    }

    pub(crate) fn render(text: &str, kind: FileKind, range: TextRange) -> String {
        let analysis = Analysis::of(text, kind);
        let actions = code_actions(&analysis, &FileContext::default(), &DiagnosticsConfig::default(), range);
        let mut out = String::new();
        for action in &actions {
            let fixed = apply_edits(text, &action.edits);
            assert_fixed(text, &fixed, kind, action);
            let star = if action.preferred { " (preferred)" } else { "" };
            out.push_str(&format!("--- {}{star}\n{}\n", action.title, fixed.replace('\r', "\\r")));
        }
        out
    }

    /// The checks every fix passes: the edits do not overlap, the result parses, and the
    /// diagnostic it fixes is gone.
    pub(crate) fn assert_fixed(before: &str, after: &str, kind: FileKind, action: &Action) {
        let mut ranges: Vec<TextRange> = action.edits.iter().map(|e| e.range).collect();
        ranges.sort_by_key(|r| (r.start(), r.end()));
        for pair in ranges.windows(2) {
            assert!(pair[0].end() <= pair[1].start(), "overlapping edits in {:?}", action);
        }
        let parsed = crate::syntax::parse(after);
        let errors_before = crate::syntax::parse(before).errors.len();
        assert!(
            parsed.errors.len() <= errors_before,
            "`{}` leaves syntax errors {:?} in\n{after}",
            action.title,
            parsed.errors
        );
        let Some((code, _)) = action.fixes else { return };
        let count = |t: &str| {
            crate::ide::diagnostics(t, kind, &DiagnosticsConfig::default())
                .iter()
                .filter(|d| d.code == code)
                .count()
        };
        assert!(
            count(after) < count(before),
            "`{}` does not remove a {} in\n{after}",
            action.title,
            code.as_str()
        );
    }

    /// Applies every fix of every diagnostic, one at a time; gives the fixed texts.
    pub(crate) fn every_fix(text: &str, kind: FileKind) -> Vec<(Action, String)> {
        let analysis = Analysis::of(text, kind);
        let full = TextRange::up_to(crate::syntax::TextSize::of(text));
        let actions = code_actions(&analysis, &FileContext::default(), &DiagnosticsConfig::default(), full);
        let mut out = Vec::new();
        for action in actions {
            let fixed = apply_edits(text, &action.edits);
            assert_fixed(text, &fixed, kind, &action);
            out.push((action, fixed));
        }
        out
    }

    /// Applies fixes until none is left, the preferred one of each diagnostic first.
    pub(crate) fn fix_all(text: &str, kind: FileKind, codes: &[Code]) -> String {
        let mut text = text.to_string();
        for _ in 0..50 {
            let analysis = Analysis::of(&text, kind);
            let full = TextRange::up_to(crate::syntax::TextSize::of(&text));
            let actions =
                code_actions(&analysis, &FileContext::default(), &DiagnosticsConfig::default(), full);
            let Some(action) =
                actions.iter().find(|a| a.preferred && a.fixes.is_some_and(|(c, _)| codes.contains(&c)))
            else {
                break;
            };
            let fixed = apply_edits(&text, &action.edits);
            assert_fixed(&text, &fixed, kind, action);
            text = fixed;
        }
        text
    }

    /// The seed flakes, with CRLF copies. None (SKIPPED printed) only when `../shared` is
    /// missing and `FLAKE_LSP_NO_SHARED` is set; missing otherwise, the test fails.
    fn seed_flakes() -> Option<Vec<(String, String)>> {
        let dir = crate::testing::seeds()?;
        let mut out = Vec::new();
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .expect("the seeds directory")
            .flatten()
            .map(|d| d.path().join("flake.nix"))
            .filter(|p| p.exists())
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let name = path.parent().and_then(|p| p.file_name()).map(|n| n.to_string_lossy().to_string());
            let name = name.unwrap_or_default();
            out.push((format!("{name} (CRLF)"), text.replace("\r\n", "\n").replace('\n', "\r\n")));
            out.push((name, text));
        }
        Some(out)
    }

    /// Every fix of every fixture, for the check against Nix's own parser.
    fn all_fixed_outputs() -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (name, text) in seed_flakes().unwrap_or_default() {
            for (action, fixed) in every_fix(&text, FileKind::Flake) {
                out.push((format!("{name}: {}", action.title), fixed));
            }
        }
        for (i, text) in flake::tests::FIXTURES.iter().enumerate() {
            for (action, fixed) in every_fix(text, FileKind::Flake) {
                out.push((format!("flake fixture {i}: {}", action.title), fixed));
            }
        }
        for (i, text) in cleanup::tests::FIXTURES.iter().enumerate() {
            for (action, fixed) in every_fix(text, FileKind::Nix) {
                out.push((format!("nix fixture {i}: {}", action.title), fixed));
            }
        }
        out
    }

    #[test]
    fn seed_flakes_lose_their_deprecated_outputs() {
        let Some(seeds) = seed_flakes() else { return };
        // The four seeds with a deprecated `devShell`, each also with CRLF line endings.
        assert!(seeds.len() >= 8, "only {} seed flakes", seeds.len());
        for (name, text) in &seeds {
            let deprecated: Vec<Code> = Code::ALL.iter().copied().filter(|c| c.is_deprecated()).collect();
            let fixed = fix_all(text, FileKind::Flake, &deprecated);
            let left = crate::ide::diagnostics(&fixed, FileKind::Flake, &DiagnosticsConfig::default());
            assert!(
                !left.iter().any(|d| d.code.is_deprecated()),
                "{name}: deprecated outputs left after fixing:\n{fixed}"
            );
            assert!(fixed.contains("devShells.default = "), "{name}:\n{fixed}");
            assert_eq!(fixed.contains('\r'), text.contains('\r'), "{name}: line endings changed");
            // Only the name changed: the rest of the file is as it was.
            assert_eq!(fixed.len(), text.len() + "devShells.default".len() - "devShell".len(), "{name}");
        }
    }

    #[test]
    fn seed_fix_in_context() {
        let Some(seeds) = seed_flakes() else { return };
        let (_, text) = seeds
            .into_iter()
            .find(|(n, _)| n == "000-devops-renaissance")
            .expect("the seed 000-devops-renaissance");
        let fixed = fix_all(&text, FileKind::Flake, &[Code::DeprecatedDevShell]);
        let index = LineIndex::new(&fixed);
        let at = fixed.find("devShells").unwrap_or(0);
        let line = index.line_col(&fixed, (at as u32).into(), crate::syntax::PositionEncoding::Utf8).line;
        let around: Vec<&str> = fixed.lines().skip(line as usize - 1).take(3).collect();
        expect![[r#"
            [
                "    in {",
                "      devShells.default = if isLinux then linuxDevShell else darwinDevShell;",
                "    });",
            ]
        "#]]
        .assert_debug_eq(&around);
    }

    /// Nix's own parser, 2.8's and 2.34's, accepts every fixed file. Without both
    /// (`../shared/tools/install-nix.sh`) the test fails, unless `FLAKE_LSP_NO_NIX` is set.
    #[test]
    fn nix_parses_every_fixed_file() {
        let parsers = crate::testing::nix_instantiates();
        if parsers.is_empty() {
            return;
        }
        let outputs = all_fixed_outputs();
        assert!(outputs.len() > 20, "only {} fixed files", outputs.len());
        let dir = std::env::temp_dir().join(format!("flake-lsp-actions-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let mut failures = Vec::new();
        for (i, (name, text)) in outputs.iter().enumerate() {
            let path = dir.join(format!("fixed-{i}.nix"));
            std::fs::write(&path, text).expect("a temporary file");
            for parser in &parsers {
                match parser.command().arg("--parse").arg(&path).output() {
                    Ok(o) if o.status.success() => {}
                    Ok(o) => failures.push(format!(
                        "{name} ({}): {}\n{text}",
                        parser.name,
                        String::from_utf8_lossy(&o.stderr)
                    )),
                    Err(e) => failures.push(format!("{name} ({}): {e}", parser.name)),
                }
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
        assert!(failures.is_empty(), "Nix refuses fixed files:\n{}", failures.join("\n\n"));
    }

    /// Removing what is unused does not change what a file evaluates to, in Nix 2.8 and 2.34.
    /// Without both the test fails, unless `FLAKE_LSP_NO_NIX` is set.
    #[test]
    fn nix_evaluates_cleaned_files_the_same() {
        for parser in crate::testing::nix_instantiates() {
            let eval = |text: &str| {
                let out = parser
                    .command()
                    .args(["--eval", "--strict", "-E"])
                    .arg(text)
                    .output()
                    .unwrap_or_else(|e| panic!("{} does not start: {e}", parser.name));
                out.status.success().then(|| String::from_utf8_lossy(&out.stdout).to_string())
            };
            assert_eq!(eval("1").as_deref(), Some("1\n"), "{} evaluates `1`", parser.name);
            let mut compared = 0;
            for text in cleanup::tests::FIXTURES {
                let Some(before) = eval(text) else { continue };
                for (action, fixed) in every_fix(text, FileKind::Nix) {
                    assert_eq!(
                        eval(&fixed).as_ref(),
                        Some(&before),
                        "{}: `{}` changes the value of\n{text}",
                        parser.name,
                        action.title
                    );
                    compared += 1;
                }
            }
            assert!(compared > 10, "{}: only {compared} fixes compared", parser.name);
        }
    }

    #[test]
    fn only_diagnostics_in_range() {
        let text = "let a = 1; b = 2; in 3";
        let at = |offset: u32| render(text, FileKind::Nix, TextRange::empty(offset.into()));
        assert!(at(4).contains("`a`") && !at(4).contains("`b`"));
        assert!(at(11).contains("`b`") && !at(11).contains("`a`"));
        assert_eq!(at(21), "");
    }

    #[test]
    fn nothing_on_empty_or_broken_files() {
        check("$0", expect![""]);
        check("let a = $0", expect![""]);
        check("{ a = 1; b = $0", expect![""]);
        check_kind("{ outputs = { self, ... }: { devShell$0 = ", FileKind::Flake, expect![""]);
        // While the user types, a fix elsewhere still works and breaks nothing more.
        check(
            "let $0a = 1; b = 2; in [ b",
            expect![[r#"
            --- Remove unused binding `a` (preferred)
            let b = 2; in [ b
        "#]],
        );
    }
}
