//! Evaluation diagnostics: what only evaluating the flake finds, on the right line.
//!
//! The outputs an editor cares about are evaluated for the current system without building:
//! the derivation path of every `devShells.<system>.*` and `packages.<system>.*` (and the
//! deprecated `devShell.<system>`, `defaultPackage.<system>`). Import-from-derivation is off,
//! so nothing of the workspace runs. Nix's errors come from its JSON log with their position
//! and trace; positions in the copy of the flake in the store, real paths and
//! `«git+file://…»` forms are mapped back to workspace files. An error whose own position is
//! not in the workspace (inside nixpkgs, say) is placed at the first frame of its trace that
//! is.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use crate::env::realise::{self, NixOptions};
use crate::nix::internal_json::{self, Event, Message};
use crate::nix::{Nix, NixError};

/// A place in the workspace: the file relative to the root, 1-based line and column.
pub type Place = (PathBuf, u32, u32);

/// An evaluation error, placed in the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError {
    pub message: String,
    /// Relative to the flake root; `flake.nix` when Nix pointed nowhere in the workspace.
    pub file: PathBuf,
    /// 1-based; (1, 1) when Nix pointed nowhere in the workspace.
    pub line: u32,
    pub column: u32,
    /// The first useful frame of the trace: what was being evaluated, and where.
    pub context: Option<(String, Option<Place>)>,
    /// The output being evaluated (`packages.x86_64-linux`).
    pub output: String,
    /// The error is that an input could not be fetched: which, and why.
    pub fetch: Option<crate::nix::FetchFailure>,
}

/// The outputs evaluated, with how to reduce each to derivation paths.
fn targets(system: &str) -> Vec<(String, &'static str)> {
    let set = "s: builtins.mapAttrs (n: d: d.drvPath) s";
    let one = "d: d.drvPath";
    vec![
        (format!("devShells.{system}"), set),
        (format!("packages.{system}"), set),
        (format!("devShell.{system}"), one),
        (format!("defaultPackage.{system}"), one),
    ]
}

/// Evaluates the flake's shells and packages; the errors found (empty when it evaluates).
/// `Err` when the evaluation could not run at all (no Nix, cancelled, timed out).
pub fn evaluate(
    nix: &Nix,
    root: &Path,
    system: &str,
    options: &NixOptions,
    timeout: Duration,
    cancel: &AtomicBool,
) -> Result<Vec<EvalError>, NixError> {
    let mut errors: Vec<EvalError> = Vec::new();
    for (attr, apply) in targets(system) {
        let mut args: Vec<String> = vec![
            "eval".into(),
            "--json".into(),
            "--log-format".into(),
            "internal-json".into(),
            "--show-trace".into(),
            "--option".into(),
            "allow-import-from-derivation".into(),
            "false".into(),
        ];
        args.extend(options.args());
        args.extend([format!("{}#{attr}", root.display()), "--apply".into(), apply.into()]);
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut first: Option<Message> = None;
        let result = nix.run_streaming(&argv, Some(root), timeout, cancel, &mut |line| {
            if let Some(Event::Msg(m)) = internal_json::parse_line(line) {
                if m.level == 0 && first.is_none() {
                    first = Some(m);
                }
            }
        });
        match result {
            Ok(_) => {}
            Err(NixError::Failed { stderr, .. }) => {
                if let Some(fetch) = crate::nix::fetch_failure(&stderr) {
                    // Every output needs the inputs: the others would fail the same way (after
                    // Nix's retries each time).
                    let words = first.map_or_else(String::new, |m| m.text);
                    errors.push(EvalError { fetch: Some(fetch), ..at_top(root, words, &attr) });
                    break;
                }
                let Some(message) = first else {
                    // No structured error: keep Nix's words.
                    let text = internal_json::strip_ansi(&stderr);
                    let words: Vec<&str> = text.lines().filter(|l| !l.starts_with("@nix ")).collect();
                    errors.push(at_top(root, words.join("\n"), &attr));
                    continue;
                };
                let raw = message.raw.clone().unwrap_or_else(|| message.text.clone());
                if raw.contains("does not provide attribute") {
                    continue; // the flake does not have this output
                }
                let error = place(root, &message, &attr);
                if !errors
                    .iter()
                    .any(|e| e.message == error.message && e.line == error.line && e.file == error.file)
                {
                    errors.push(error);
                }
            }
            Err(other) => return Err(other),
        }
    }
    Ok(errors)
}

fn at_top(root: &Path, message: String, output: &str) -> EvalError {
    let _ = root;
    EvalError {
        message,
        file: PathBuf::from("flake.nix"),
        line: 1,
        column: 1,
        context: None,
        output: output.to_string(),
        fetch: None,
    }
}

/// A workspace file for a file as Nix names it.
fn in_workspace(root: &Path, file: &str) -> Option<PathBuf> {
    realise::map_file(root, None, file).or_else(|| {
        let after = file.strip_prefix("/nix/store/")?;
        let (_, rel) = after.split_once("-source/")?;
        root.join(rel).is_file().then(|| PathBuf::from(rel))
    })
}

fn place(root: &Path, m: &Message, output: &str) -> EvalError {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let message = m.raw.clone().unwrap_or_else(|| m.text.clone());
    let own = m.file.as_deref().and_then(|f| in_workspace(&root, f)).zip(m.line.zip(m.column));
    let frames: Vec<(String, Option<Place>)> = m
        .trace
        .iter()
        .map(|f| {
            let at = f.file.as_deref().and_then(|file| in_workspace(&root, file)).zip(f.line.zip(f.column));
            (f.text.lines().next().unwrap_or("").to_string(), at.map(|(p, (l, c))| (p, l, c)))
        })
        .collect();
    let (file, line, column) = match own {
        Some((file, (line, column))) => (file, line, column),
        None => match frames.iter().find_map(|(_, at)| at.clone()) {
            Some(at) => at,
            None => (PathBuf::from("flake.nix"), 1, 1),
        },
    };
    // The first frame that says where, other than the error's own place.
    let context = frames.into_iter().find(|(text, at)| {
        !text.is_empty() && at.as_ref().is_some_and(|a| *a != (file.clone(), line, column))
    });
    EvalError { message, file, line, column, context, output: output.to_string(), fetch: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(line: &str) -> Message {
        match internal_json::parse_line(line) {
            Some(Event::Msg(m)) => m,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_are_placed_in_the_workspace() {
        let root = std::env::temp_dir().join(format!("flake-lsp-eval-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("flake.nix"), "{}").unwrap();
        // Nix 2.8: the copy in the store.
        let m = message(
            r#"@nix {"action":"msg","column":120,"file":"/nix/store/h32a2c1x01wpwyw831r9cgj0c0q4yxsr-source/flake.nix","level":0,"line":3,"msg":"e","raw_msg":"cannot add a string to an integer","trace":[{"column":36,"file":"/nix/store/h32a2c1x01wpwyw831r9cgj0c0q4yxsr-source/flake.nix","line":3,"raw_msg":"while evaluating the attribute 'x' of the derivation 'p'"}]}"#,
        );
        let e = place(&root, &m, "packages.x86_64-linux");
        assert_eq!((e.file.as_path(), e.line, e.column), (Path::new("flake.nix"), 3, 120));
        assert_eq!(e.message, "cannot add a string to an integer");
        assert_eq!(
            e.context,
            Some((
                "while evaluating the attribute 'x' of the derivation 'p'".into(),
                Some(("flake.nix".into(), 3, 36))
            ))
        );
        // An error inside nixpkgs: placed at the first frame in the workspace.
        let real = root.canonicalize().unwrap();
        let line = format!(
            r#"@nix {{"action":"msg","column":5,"file":"/nix/store/zzzz-source/pkgs/top-level.nix:10:5","level":0,"line":10,"msg":"e","raw_msg":"boom","trace":[{{"column":1,"file":"/nix/store/zzzz-source/lib.nix:1:1","line":1,"raw_msg":"inside"}},{{"column":9,"file":"{}/flake.nix:7:9","line":7,"raw_msg":"while evaluating 'shell'"}}]}}"#,
            real.display()
        );
        let e = place(&root, &message(&line), "devShells.x86_64-linux");
        assert_eq!((e.file.as_path(), e.line, e.column), (Path::new("flake.nix"), 7, 9));
        assert_eq!(e.context, None, "the only workspace frame is the place itself");
        let _ = std::fs::remove_dir_all(&root);
    }
}
