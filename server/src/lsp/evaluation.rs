//! When to evaluate a flake, and what its errors become: `eval_error` diagnostics on the files
//! and lines Nix points at, each naming its output, with the names of nixpkgs it may have meant
//! when an attribute is missing. The evaluation itself is `crate::eval`'s (in the flake's
//! long-lived evaluator), on a blocking thread; costly outputs are evaluated on request
//! (`flake/evaluate`, the "Evaluate" code lens), their errors kept beside the others until the
//! next save.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use dashmap::DashMap;

use super::nixpkgs;
use super::publish::{Publisher, Source};
use super::settings::EvalSettings;
use crate::env::Engine;
use crate::eval::{EvalError, Evaluated};
use crate::ide::{Code, DiagnosticData, ExternalDiagnostic};
use crate::nix::Limits;
use crate::pkgs::PackageNames;

/// How long after a save the evaluation starts: a burst of saves evaluates once.
const PAUSE: Duration = Duration::from_millis(300);
/// How long one output may take, unless `flakeLsp.eval.timeout` says otherwise.
const TIMEOUT: Duration = Duration::from_secs(300);
/// The evaluator's resident memory above which it is stopped, unless
/// `flakeLsp.eval.maxMemoryMB` says otherwise (docs/performance.md: the evaluator of a
/// project on the heavy nixpkgs fixture stays far below it; real nixpkgs needs hundreds of MB
/// for a few packages, gigabytes for NixOS configurations).
pub const MAX_MEMORY_MB: u64 = 4096;

#[derive(Clone)]
pub struct Evaluations {
    inner: Arc<Inner>,
}

struct Inner {
    publisher: Publisher,
    /// The evaluation under way per root: its generation and cancel flag.
    runs: DashMap<PathBuf, (u64, Arc<AtomicBool>)>,
    limits: RwLock<Limits>,
    /// Per root: the errors of the last evaluation (with the names for suggestions), and those
    /// of outputs evaluated on request, by attribute.
    last: DashMap<PathBuf, (Vec<EvalError>, Option<PackageNames>)>,
    requested: DashMap<PathBuf, HashMap<String, EvalError>>,
}

impl Evaluations {
    pub fn new(publisher: Publisher) -> Evaluations {
        Evaluations {
            inner: Arc::new(Inner {
                publisher,
                runs: DashMap::new(),
                limits: RwLock::new(Limits { timeout: TIMEOUT, max_memory_mb: MAX_MEMORY_MB }),
                last: DashMap::new(),
                requested: DashMap::new(),
            }),
        }
    }

    /// Applies `flakeLsp.eval.*`.
    pub fn configure(&self, settings: EvalSettings) {
        if let Ok(mut limits) = self.inner.limits.write() {
            limits.max_memory_mb = settings.max_memory_mb.unwrap_or(MAX_MEMORY_MB);
            limits.timeout = settings.timeout.map_or(TIMEOUT, Duration::from_secs_f64);
        }
    }

    pub fn limits(&self) -> Limits {
        *self.inner.limits.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Evaluates one output on request (`nixosConfigurations.x`…), and shows its error beside
    /// the others (or clears the one it had).
    pub async fn evaluate_now(
        &self,
        engine: Arc<Engine>,
        root: PathBuf,
        attribute: String,
    ) -> Result<Evaluated, String> {
        let options = engine.config.nix.clone();
        let limits = self.limits();
        let (r, a) = (root.clone(), attribute.clone());
        let found = tokio::task::spawn_blocking(move || {
            let (nix, _) = engine.nix_and_system()?;
            crate::eval::evaluate_attribute(&nix, &r, &a, &options, limits, &AtomicBool::new(false))
                .map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| e.to_string())??;
        {
            let mut requested = self.inner.requested.entry(root.clone()).or_default();
            match &found {
                Evaluated::Error(e) => requested.insert(attribute, e.clone()),
                _ => requested.remove(&attribute),
            };
        }
        self.publish(&root).await;
        Ok(found)
    }

    /// Publishes the root's evaluation errors: the last evaluation's and those found on request.
    async fn publish(&self, root: &Path) {
        let (mut errors, names) = self.inner.last.get(root).map(|e| e.value().clone()).unwrap_or_default();
        if let Some(requested) = self.inner.requested.get(root) {
            errors.extend(requested.values().cloned());
        }
        let publisher = &self.inner.publisher;
        let touched = publisher.replace(Source::Evaluation, root, by_file(root, errors, names.as_ref()));
        publisher.refresh(touched).await;
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
            let limits = this.limits();
            let (r, c) = (root.clone(), cancel.clone());
            let found = tokio::task::spawn_blocking(move || {
                let (nix, system) = engine.nix_and_system()?;
                let (errors, names) =
                    crate::eval::evaluate_with_names(&nix, &r, &system, &options, limits, &c)
                        .map_err(|e| e.to_string())?;
                // Read in the evaluator, where nixpkgs is evaluated already; else listed apart.
                let names = match names {
                    Some(names) => Some(PackageNames { names }),
                    None => nixpkgs::names_for_suggestions(&nix, &r, &system, &options, &errors, &c),
                };
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
            // What was evaluated on request may have changed with the flake: asked again.
            this.inner.requested.remove(&root);
            this.inner.last.insert(root.clone(), (errors, names));
            this.publish(&root).await;
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
    let mut unfetched = Vec::new();
    for e in errors {
        if let Some(fetch) = &e.fetch {
            // Said on the input's `url`, as realising says it; once, however many outputs
            // needed the input.
            if !unfetched.contains(fetch) {
                unfetched.push(fetch.clone());
                let diagnostic = crate::ide::diagnostics::unfetched_input_in(root, fetch);
                out.entry(root.join("flake.nix")).or_default().push(diagnostic);
            }
            continue;
        }
        let suggestion = crate::pkgs::missing_attribute(&e.message).and_then(|missing| {
            let suggestions = names?.suggest(missing);
            let hint = crate::pkgs::did_you_mean(&suggestions)?;
            Some((hint, DiagnosticData::DidYouMean { missing: missing.to_string(), suggestions }))
        });
        let mut message = match &suggestion {
            Some((hint, _)) => format!("{}: {}; {hint}", e.output, e.message),
            None => format!("{}: {}", e.output, e.message),
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
        assert_eq!(flake[0].message, "devShells.x86_64-linux: cannot add a string");
        assert_eq!(flake[0].related, Some((2, 5, "while adding".into())), "a place in the same file");
        assert_eq!((flake[0].code, flake[0].line, flake[0].column), (Code::EvalError, 3, 7));
        assert_eq!(flake[1].message, "devShells.x86_64-linux: no context");
        let extra = &found[Path::new("/p/nix/extra.nix")];
        assert_eq!(
            extra[0].message, "devShells.x86_64-linux: type error; imported here at flake.nix:9",
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
            "devShells.x86_64-linux: attribute 'pyhton311' missing; did you mean `python311` or `python312`?"
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
        assert_eq!(plain.message, "devShells.x86_64-linux: attribute 'pyhton311' missing");
        assert_eq!(plain.data, None);
        let far = vec![error("attribute 'zzzzzzzz' missing", "flake.nix", None)];
        assert_eq!(by_file(Path::new("/p"), far, Some(&names))[Path::new("/p/flake.nix")][0].data, None);
    }
}
