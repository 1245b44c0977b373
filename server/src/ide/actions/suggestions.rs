//! Fixes whose facts come with the diagnostic ([`crate::ide::DiagnosticData`]) rather than from
//! the text: the names Nix's "attribute 'x' missing" may have meant, found in the flake's
//! nixpkgs when the flake was evaluated.

use super::fix::{File, Fix};
use crate::ide::edit::TextEdit;
use crate::syntax::{TextRange, TextSize};

/// "Replace `pyhton311` with `python311`", one per suggestion, the best preferred. What is
/// replaced is the last `missing` inside the diagnostic's `range` (Nix points at the start of
/// `pkgs.pyhton311`); nothing is offered when the text there no longer says it.
pub(super) fn did_you_mean(file: &File, range: TextRange, missing: &str, suggestions: &[String]) -> Vec<Fix> {
    let Some(covered) = file.text.get(std::ops::Range::<usize>::from(range)) else { return Vec::new() };
    let Some(at) = covered.rfind(missing).filter(|_| !missing.is_empty()) else { return Vec::new() };
    let wrong = TextRange::at(range.start() + TextSize::from(at as u32), TextSize::of(missing));
    suggestions
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let title = format!("Replace `{missing}` with `{name}`");
            let edits = vec![TextEdit::replace(wrong, name.clone())];
            if i == 0 {
                Fix::preferred(title, edits)
            } else {
                Fix::other(title, edits)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::ide::actions::{data_fixes, Action};
    use crate::ide::{apply_edits, Analysis, Code, DiagnosticData, FileKind};
    use expect_test::{expect, Expect};

    fn check(marked: &str, missing: &str, suggestions: &[&str], expect: Expect) {
        let (text, range) = crate::ide::fixture::range(marked);
        let analysis = Analysis::of(&text, FileKind::Flake);
        let data = DiagnosticData::DidYouMean {
            missing: missing.to_string(),
            suggestions: suggestions.iter().map(|s| s.to_string()).collect(),
        };
        let actions = data_fixes(&analysis, Code::EvalError, range, &data);
        let mut out = String::new();
        for Action { title, edits, preferred, fixes, .. } in &actions {
            assert_eq!(*fixes, Some((Code::EvalError, range)));
            let star = if *preferred { " (preferred)" } else { "" };
            out.push_str(&format!("--- {title}{star}\n{}\n", apply_edits(&text, edits)));
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn replaces_the_missing_name_with_each_suggestion() {
        check(
            "{ outputs = _: { packages = [ $0pkgs.pyhton311$0 ]; }; }",
            "pyhton311",
            &["python311", "python312"],
            expect![[r#"
                --- Replace `pyhton311` with `python311` (preferred)
                { outputs = _: { packages = [ pkgs.python311 ]; }; }
                --- Replace `pyhton311` with `python312`
                { outputs = _: { packages = [ pkgs.python312 ]; }; }
            "#]],
        );
    }

    #[test]
    fn nothing_when_the_text_moved_on() {
        // Edited since Nix said it: the name is no longer in the diagnostic's range.
        check("{ packages = [ $0pkgs.python3$0 ]; }", "pyhton311", &["python311"], expect![""]);
        check("{ packages = [ pkgs.pyhton311 ]; }$0", "pyhton311", &["python311"], expect![""]);
        check("$0{ }$0", "", &["python311"], expect![""]);
    }
}
