//! An input Nix could not fetch (no network, a rate limit, a private input): one diagnostic on
//! that input's `url` in flake.nix, naming the input, the cause and what to do. Realising and
//! evaluating both meet the failure; both ask here, so the editor and `flake-lsp env` say the
//! same sentence.

use super::code::Code;
use super::external::ExternalDiagnostic;
use crate::flake::lock::FlakeLock;
use crate::flake::{literal_string, InputDecl};
use crate::ide::analysis::{Analysis, FileKind};
use crate::nix::{FetchCause, FetchFailure};
use crate::syntax::{TextRange, TextSize};

/// The diagnostic for `failure` in flake.nix (`text`), with `lock` its flake.lock when there
/// is one: on the input's `url` value, else its name, else the top of the file.
pub fn unfetched_input(text: &str, lock: Option<&FlakeLock>, failure: &FetchFailure) -> ExternalDiagnostic {
    let analysis = Analysis::new(text.into(), FileKind::Flake);
    let root = analysis.root();
    let model = analysis.flake();
    let inputs: &[InputDecl] = model.map_or(&[], |m| &m.inputs);
    let url = |input: &InputDecl| -> Option<(String, TextRange)> {
        let attr = input.attrs.iter().find(|a| a.path == ["url"])?;
        let node = attr.value.as_ref()?.to_node(&root);
        Some((literal_string(&node)?, node.text_range()))
    };
    // The input Nix named (an input of an input is `a/b`: the user's own is `a`), else the one
    // whose url is what Nix fetched.
    let named = failure.input.as_deref().map(|n| n.split('/').next().unwrap_or(n));
    let input = named.and_then(|n| inputs.iter().find(|i| i.name == n)).or_else(|| {
        let location = failure.location.as_deref()?;
        inputs.iter().find(|i| url(i).is_some_and(|(u, _)| same_source(&u, location)))
    });
    let name = input.map(|i| i.name.clone()).or_else(|| failure.input.clone());
    let reference = input.and_then(url).map(|(u, _)| u).or_else(|| failure.location.clone());
    let at = input.map(|i| url(i).map_or(i.name_range, |(_, r)| r));
    let locked = name.as_deref().is_some_and(|n| lock.is_some_and(|l| l.root_input(n).is_some()));
    let message = sentence(name.as_deref(), reference.as_deref(), failure, locked);
    let (line, column) = at.map_or((1, 1), |r| line_column(text, r.start()));
    ExternalDiagnostic::new(Code::InputUnavailable, line, column, message)
}

/// [`unfetched_input`] for the flake at `root`, its flake.nix and flake.lock read from disk.
pub fn unfetched_input_in(root: &std::path::Path, failure: &FetchFailure) -> ExternalDiagnostic {
    let text = std::fs::read_to_string(root.join("flake.nix")).unwrap_or_default();
    let lock = std::fs::read_to_string(root.join("flake.lock")).ok().and_then(|t| FlakeLock::parse(&t).ok());
    unfetched_input(&text, lock.as_ref(), failure)
}

/// What the user reads: which input, why, and what to do.
fn sentence(name: Option<&str>, reference: Option<&str>, failure: &FetchFailure, locked: bool) -> String {
    let what = match (name, reference) {
        (Some(n), Some(r)) => format!("the input `{n}` ({r})"),
        (Some(n), None) => format!("the input `{n}`"),
        (None, Some(r)) => format!("an input ({r})"),
        (None, None) => "an input".to_string(),
    };
    let host = reference.or(failure.location.as_deref()).map(host).unwrap_or_default();
    let why = match failure.cause {
        FetchCause::NoNetwork if host.is_empty() => "there is no network".to_string(),
        FetchCause::NoNetwork => format!("there is no network (Nix could not reach {host})"),
        FetchCause::RateLimit if host.contains("github") => "GitHub's API rate limit is exceeded".to_string(),
        FetchCause::RateLimit => format!("{host} refuses: its rate limit is exceeded"),
        FetchCause::Authentication => {
            "it needs credentials Nix does not have (a private repository, or an expired token)".to_string()
        }
    };
    let state = if locked {
        "it is locked in flake.lock, but Nix does not have that revision yet"
    } else {
        "it is not locked in flake.lock, so Nix must fetch it"
    };
    let first = if locked { "fetch it once online" } else { "lock it once online (`nix flake lock`)" };
    let n = name.unwrap_or("<name>");
    let mut todo = format!(
        "{first}, or use a local copy: `--override-input {n} <path>` on the command line, \
         `flakeLsp.environment.overrideInputs` in the editor"
    );
    match failure.cause {
        FetchCause::RateLimit => {
            todo.push_str(", or give Nix a token (`access-tokens = github.com=<token>` in nix.conf)")
        }
        FetchCause::Authentication => {
            todo.push_str(", or give Nix access (git's credential helper, or `access-tokens` in nix.conf)")
        }
        FetchCause::NoNetwork => {}
    }
    format!("{what} cannot be fetched: {why}. {}: {todo}.", capitalised(state))
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// The host of a URL or a flake reference (`github:o/r` is github.com).
fn host(location: &str) -> String {
    if let Some((scheme, _)) = location.split_once(':') {
        if matches!(scheme, "github" | "gitlab" | "sourcehut") {
            return format!("{scheme}.com").replace("sourcehut.com", "git.sr.ht");
        }
    }
    let Some((_, rest)) = location.split_once("://") else { return String::new() };
    rest.split(['/', '?']).next().unwrap_or("").rsplit('@').next().unwrap_or("").to_string()
}

/// Whether an input's `url` and what Nix fetched name the same source: the same reference, the
/// GitHub/GitLab API URL of `github:o/r`/`gitlab:o/r`, or the same URL without `git+`, query,
/// `.git` and trailing slash.
fn same_source(url: &str, fetched: &str) -> bool {
    if url == fetched {
        return true;
    }
    let lower = fetched.to_lowercase();
    for (scheme, forms) in [
        ("github:", &["github.com/repos/{}/", "github.com/{}"][..]),
        ("gitlab:", &["gitlab.com/api/v4/projects/{%}", "gitlab.com/{}"][..]),
    ] {
        if let Some(rest) = url.strip_prefix(scheme) {
            let owner_repo: Vec<&str> = rest.split(['?', '/']).take(2).collect();
            let [owner, repo] = owner_repo.as_slice() else { return false };
            let path = format!("{owner}/{repo}").to_lowercase();
            return forms.iter().any(|f| {
                let form = f.replace("{}", &path).replace("{%}", &path.replace('/', "%2f"));
                lower.contains(&form)
            });
        }
    }
    let normal = |s: &str| {
        let s = s.split('?').next().unwrap_or(s);
        let s = ["git+", "tarball+", "file+"].iter().fold(s, |s, p| s.strip_prefix(p).unwrap_or(s));
        s.trim_end_matches('/').trim_end_matches(".git").to_lowercase()
    };
    let (u, f) = (normal(url), normal(fetched));
    !u.is_empty() && (f == u || f.starts_with(&format!("{u}/")))
}

/// 1-based line and byte column of `offset`.
fn line_column(text: &str, offset: TextSize) -> (u32, u32) {
    let before = &text[..usize::from(offset).min(text.len())];
    let line = before.matches('\n').count() as u32 + 1;
    let column = (before.len() - before.rfind('\n').map_or(0, |i| i + 1)) as u32 + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    const FLAKE: &str = r#"{
  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.05";
    utils.url = "github:numtide/flake-utils";
    secret = { url = "git+https://git.example.com/acme/private-tools?ref=main"; flake = false; };
  };
  outputs = { self, nixpkgs, utils, secret }: { };
}
"#;

    fn check(failure: FetchFailure, lock: Option<&FlakeLock>, expect: expect_test::Expect) {
        let d = unfetched_input(FLAKE, lock, &failure);
        expect.assert_eq(&format!("{}:{} {}: {}", d.line, d.column, d.code.as_str(), d.message));
    }

    fn failure(cause: FetchCause, input: Option<&str>, location: &str) -> FetchFailure {
        FetchFailure { cause, input: input.map(str::to_string), location: Some(location.to_string()) }
    }

    #[test]
    fn on_the_url_of_the_input_with_what_to_do() {
        check(
            failure(FetchCause::NoNetwork, Some("utils"), "github:numtide/flake-utils"),
            None,
            expect![[
                r#"4:17 input_unavailable: the input `utils` (github:numtide/flake-utils) cannot be fetched: there is no network (Nix could not reach github.com). It is not locked in flake.lock, so Nix must fetch it: lock it once online (`nix flake lock`), or use a local copy: `--override-input utils <path>` on the command line, `flakeLsp.environment.overrideInputs` in the editor."#
            ]],
        );
        // Nix 2.8 without a trace: found by the URL it downloaded.
        check(
            failure(
                FetchCause::RateLimit,
                None,
                "https://api.github.com/repos/numtide/flake-utils/commits/HEAD",
            ),
            None,
            expect![[
                r#"4:17 input_unavailable: the input `utils` (github:numtide/flake-utils) cannot be fetched: GitHub's API rate limit is exceeded. It is not locked in flake.lock, so Nix must fetch it: lock it once online (`nix flake lock`), or use a local copy: `--override-input utils <path>` on the command line, `flakeLsp.environment.overrideInputs` in the editor, or give Nix a token (`access-tokens = github.com=<token>` in nix.conf)."#
            ]],
        );
        check(
            failure(FetchCause::Authentication, None, "https://git.example.com/acme/private-tools/"),
            None,
            expect!["5:22 input_unavailable: the input `secret` (git+https://git.example.com/acme/private-tools?ref=main) cannot be fetched: it needs credentials Nix does not have (a private repository, or an expired token). It is not locked in flake.lock, so Nix must fetch it: lock it once online (`nix flake lock`), or use a local copy: `--override-input secret <path>` on the command line, `flakeLsp.environment.overrideInputs` in the editor, or give Nix access (git's credential helper, or `access-tokens` in nix.conf)."],
        );
    }

    #[test]
    fn locked_inputs_and_unknown_ones() {
        let lock = FlakeLock::parse(
            r#"{ "version": 7, "root": "root", "nodes": { "root": { "inputs": { "utils": "utils" } },
                 "utils": { "locked": { "type": "github", "owner": "numtide", "repo": "flake-utils", "rev": "abc" },
                            "original": { "type": "github", "owner": "numtide", "repo": "flake-utils" } } } }"#,
        )
        .unwrap();
        check(
            failure(FetchCause::NoNetwork, Some("utils"), "github:numtide/flake-utils/abc"),
            Some(&lock),
            expect![[
                r#"4:17 input_unavailable: the input `utils` (github:numtide/flake-utils) cannot be fetched: there is no network (Nix could not reach github.com). It is locked in flake.lock, but Nix does not have that revision yet: fetch it once online, or use a local copy: `--override-input utils <path>` on the command line, `flakeLsp.environment.overrideInputs` in the editor."#
            ]],
        );
        // An input of an input: at the top, named as Nix named it.
        check(
            failure(FetchCause::NoNetwork, Some("other/systems"), "github:nix-systems/default"),
            None,
            expect![[
                r#"1:1 input_unavailable: the input `other/systems` (github:nix-systems/default) cannot be fetched: there is no network (Nix could not reach github.com). It is not locked in flake.lock, so Nix must fetch it: lock it once online (`nix flake lock`), or use a local copy: `--override-input other/systems <path>` on the command line, `flakeLsp.environment.overrideInputs` in the editor."#
            ]],
        );
    }

    #[test]
    fn sources_compare_across_forms() {
        assert!(same_source(
            "github:NixOS/nixpkgs/nixos-24.05",
            "https://api.github.com/repos/NixOS/nixpkgs/commits/nixos-24.05"
        ));
        assert!(same_source("gitlab:a/b", "https://gitlab.com/api/v4/projects/a%2Fb/repository/commits"));
        assert!(same_source("git+https://h.org/x/y.git?ref=main", "https://h.org/x/y"));
        assert!(same_source("https://h.org/x.tar.gz", "https://h.org/x.tar.gz"));
        assert!(!same_source("github:a/b", "https://api.github.com/repos/a/bc/commits/HEAD"));
        assert!(!same_source("git+https://h.org/x", "https://h.org/xy"));
        assert_eq!(host("https://user@h.org:8080/x"), "h.org:8080");
        assert_eq!(host("github:a/b"), "github.com");
    }
}
