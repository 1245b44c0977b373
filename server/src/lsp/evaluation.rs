//! When to evaluate a flake, and what its errors become: `eval_error` diagnostics on the files
//! and lines Nix points at, with the names of nixpkgs it may have meant when an attribute is
//! missing. The evaluation itself is `crate::eval`'s, on a blocking thread.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use dashmap::DashMap;

use super::nixpkgs;
use super::publish::{Publisher, Source};
use crate::env::Engine;
use crate::eval::EvalError;
use crate::ide::{Code, DiagnosticData, ExternalDiagnostic};
use crate::pkgs::PackageNames;

/// How long after a save the evaluation starts: a burst of saves evaluates once.
const PAUSE: Duration = Duration::from_millis(300);
/// How long one evaluation may take.
const TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Clone)]
pub struct Evaluations {
    inner: Arc<Inner>,
}

struct Inner {
    publisher: Publisher,
    /// The evaluation under way per root: its generation and cancel flag.
    runs: DashMap<PathBuf, (u64, Arc<AtomicBool>)>,
}

impl Evaluations {
    pub fn new(publisher: Publisher) -> Evaluations {
        Evaluations { inner: Arc::new(Inner { publisher, runs: DashMap::new() }) }
    }

    /// Evaluates the flake at `root` in the background (after a short pause; a newer
    /// evaluation cancels an older one) and publishes what it finds as `eval_error`
    /// diagnostics.
    pub fn schedule(&self, engine: Arc<Engine>, root: PathBuf) {
        let cancel = Arc::new(AtomicBool::new(false));
        let generation = {
            let mut entry =
                self.inner.runs.entry(root.clone()).or_insert_with(|| (0, Arc::new(AtomicBool::new(false))));
            // The evaluation under way, if any, is no longer wanted.
            entry.1.store(true, Ordering::Release);
            entry.0 += 1;
            entry.1 = cancel.clone();
            entry.0
        };
        let this = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(PAUSE).await;
            if cancel.load(Ordering::Acquire) {
                return;
            }
            let options = engine.config.nix.clone();
            let (r, c) = (root.clone(), cancel.clone());
            let found = tokio::task::spawn_blocking(move || {
                let (nix, system) = engine.nix_and_system()?;
                let errors = crate::eval::evaluate(&nix, &r, &system, &options, TIMEOUT, &c)
                    .map_err(|e| e.to_string())?;
                let names = nixpkgs::names_for_suggestions(&nix, &r, &system, &options, &errors, &c);
                Ok::<_, String>((errors, names))
            })
            .await;
            let current = this.inner.runs.get(&root).map(|e| e.0);
            if current != Some(generation) || cancel.load(Ordering::Acquire) {
                return;
            }
            let (errors, names) = match found {
                Ok(Ok(found)) => found,
                Ok(Err(e)) => {
                    log::info!("evaluating {} did not run: {e}", root.display());
                    return;
                }
                Err(e) => {
                    log::error!("evaluating {} failed: {e}", root.display());
                    return;
                }
            };
            let publisher = &this.inner.publisher;
            let touched =
                publisher.replace(Source::Evaluation, &root, by_file(&root, errors, names.as_ref()));
            publisher.refresh(touched).await;
        });
    }

    /// An edit makes the evaluation under way for its flake pointless (its errors would point
    /// into old text): it is stopped; the next save evaluates again.
    /// Called on every keystroke, so it only compares paths with the evaluations under way.
    pub fn cancel_for(&self, path: &Path) {
        for entry in self.inner.runs.iter() {
            if path.starts_with(entry.key()) {
                entry.value().1.store(true, Ordering::Release);
            }
        }
    }
}

/// The evaluation errors of the flake at `root` as diagnostics, by file. With `names` (the
/// flake's nixpkgs), a missing attribute gets the closest names: in the message, and as data
/// for the fix.
fn by_file(
    root: &Path,
    errors: Vec<EvalError>,
    names: Option<&PackageNames>,
) -> HashMap<PathBuf, Vec<ExternalDiagnostic>> {
    let mut out: HashMap<PathBuf, Vec<ExternalDiagnostic>> = HashMap::new();
    for e in errors {
        if let Some(fetch) = &e.fetch {
            // Said on the input's `url`, as realising says it.
            let diagnostic = crate::ide::diagnostics::unfetched_input_in(root, fetch);
            out.entry(root.join("flake.nix")).or_default().push(diagnostic);
            continue;
        }
        let suggestion = crate::pkgs::missing_attribute(&e.message).and_then(|missing| {
            let suggestions = names?.suggest(missing);
            let hint = crate::pkgs::did_you_mean(&suggestions)?;
            Some((hint, DiagnosticData::DidYouMean { missing: missing.to_string(), suggestions }))
        });
        let mut message = match &suggestion {
            Some((hint, _)) => format!("{}; {hint} (evaluating {})", e.message, e.output),
            None => format!("{} (evaluating {})", e.message, e.output),
        };
        let mut related = None;
        if let Some((text, at)) = e.context {
            match at {
                Some((f, line, column)) if f == e.file => related = Some((line, column, text)),
                Some((f, line, _)) => message.push_str(&format!("; {text} at {}:{line}", f.display())),
                None => {}
            }
        }
        out.entry(root.join(&e.file)).or_default().push(ExternalDiagnostic {
            related,
            data: suggestion.map(|(_, data)| data),
            ..ExternalDiagnostic::new(Code::EvalError, e.line, e.column, message)
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(message: &str, file: &str, context: Option<(String, Option<crate::eval::Place>)>) -> EvalError {
        EvalError {
            message: message.into(),
            file: file.into(),
            line: 3,
            column: 7,
            context,
            output: "devShells.x86_64-linux".into(),
            fetch: None,
        }
    }

    #[test]
    fn errors_by_file_with_their_context() {
        let root = Path::new("/p");
        let errors = vec![
            error(
                "cannot add a string",
                "flake.nix",
                Some(("while adding".into(), Some(("flake.nix".into(), 2, 5)))),
            ),
            error(
                "type error",
                "nix/extra.nix",
                Some(("imported here".into(), Some(("flake.nix".into(), 9, 1)))),
            ),
            error("no context", "flake.nix", None),
        ];
        let found = by_file(root, errors, None);
        let flake = &found[Path::new("/p/flake.nix")];
        assert_eq!(flake.len(), 2);
        assert_eq!(flake[0].message, "cannot add a string (evaluating devShells.x86_64-linux)");
        assert_eq!(flake[0].related, Some((2, 5, "while adding".into())), "a place in the same file");
        assert_eq!((flake[0].code, flake[0].line, flake[0].column), (Code::EvalError, 3, 7));
        assert_eq!(flake[1].message, "no context (evaluating devShells.x86_64-linux)");
        let extra = &found[Path::new("/p/nix/extra.nix")];
        assert_eq!(
            extra[0].message, "type error (evaluating devShells.x86_64-linux); imported here at flake.nix:9",
            "a place in another file goes into the message"
        );
        assert_eq!(extra[0].related, None);
    }

    #[test]
    fn a_missing_attribute_carries_its_suggestions() {
        let names = PackageNames { names: vec!["hello".into(), "python311".into(), "python312".into()] };
        let errors = vec![error("attribute 'pyhton311' missing", "flake.nix", None)];
        let found = by_file(Path::new("/p"), errors.clone(), Some(&names));
        let d = &found[Path::new("/p/flake.nix")][0];
        assert_eq!(
            d.message,
            "attribute 'pyhton311' missing; did you mean `python311` or `python312`? (evaluating devShells.x86_64-linux)"
        );
        assert_eq!(
            d.data,
            Some(DiagnosticData::DidYouMean {
                missing: "pyhton311".into(),
                suggestions: vec!["python311".into(), "python312".into()]
            })
        );
        // Without the names, or with none close: neither hint nor data.
        let plain = &by_file(Path::new("/p"), errors, None)[Path::new("/p/flake.nix")][0];
        assert_eq!(plain.message, "attribute 'pyhton311' missing (evaluating devShells.x86_64-linux)");
        assert_eq!(plain.data, None);
        let far = vec![error("attribute 'zzzzzzzz' missing", "flake.nix", None)];
        assert_eq!(by_file(Path::new("/p"), far, Some(&names))[Path::new("/p/flake.nix")][0].data, None);
    }
}
