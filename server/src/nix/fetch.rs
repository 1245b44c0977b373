//! Nix could not fetch a flake input: read from what Nix printed (its human form or
//! `--log-format internal-json`, of Nix 2.8 and 2.34, with git's own `fatal:` lines), so that
//! the user is told which input, why (no network, a rate limit, missing credentials) and what
//! to do, instead of Nix's retries. The fixtures in `fetch_errors/` are real output.

use serde::{Deserialize, Serialize};

use super::internal_json::{self, Event};

/// Why an input could not be fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FetchCause {
    /// The host could not be resolved or reached.
    NoNetwork,
    /// The server refused for too many requests (GitHub's API limit for anonymous users).
    RateLimit,
    /// The server or git wanted credentials Nix does not have (a private input).
    Authentication,
}

/// An input Nix could not fetch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FetchFailure {
    pub cause: FetchCause,
    /// The input's name, when Nix gave it (`… while updating the flake input 'x'`: 2.34, and
    /// 2.8 with `--show-trace`).
    pub input: Option<String>,
    /// What Nix fetched: the input's reference (`github:o/r`), else the URL it downloaded
    /// (`https://api.github.com/repos/o/r/commits/HEAD`, `https://host/path`).
    pub location: Option<String>,
}

/// Signs that the failure is about fetching at all.
const FETCHING: &[&str] = &[
    "unable to download '",
    "unable to access '",
    "failed to fetch git repository",
    "program 'git' failed",
    "while fetching the input '",
    "could not read username",
];

const RATE_LIMIT: &[&str] = &["rate limit", "http error 429"];

const AUTHENTICATION: &[&str] = &[
    "http error 401",
    "http error 403",
    "bad credentials",
    "could not read username",
    "could not read password",
    "authentication failed",
    "terminal prompts disabled",
    "permission denied (publickey)",
    "host key verification failed",
    "repository not found",
];

const NO_NETWORK: &[&str] = &[
    "could not resolve host",
    "couldn't resolve host",
    "temporary failure in name resolution",
    "couldn't connect to server",
    "could not connect to server",
    "failed to connect to",
    "network is unreachable",
    "connection refused",
    "connection timed out",
    "timeout was reached",
];

/// The fetch failure in Nix's stderr, when that is what failed.
pub fn fetch_failure(stderr: &str) -> Option<FetchFailure> {
    let text = plain(stderr);
    let lower = text.to_lowercase();
    if !FETCHING.iter().any(|s| lower.contains(s)) {
        return None;
    }
    let any = |signs: &[&str]| signs.iter().any(|s| lower.contains(s));
    // A rate limit answers 403 too: it goes first.
    let cause = if any(RATE_LIMIT) {
        FetchCause::RateLimit
    } else if any(AUTHENTICATION) {
        FetchCause::Authentication
    } else if any(NO_NETWORK) {
        FetchCause::NoNetwork
    } else {
        return None;
    };
    let input = quoted_after(&text, "while updating the flake input '");
    let location = ["while fetching the input '", "unable to download '", "unable to access '"]
        .iter()
        .find_map(|before| quoted_after(&text, before))
        .or_else(|| quoted_after(&text, "Failed to fetch git repository '"));
    Some(FetchFailure { cause, input, location })
}

/// Nix's output as text: internal-json messages by their text, other lines as they are,
/// colour codes removed.
fn plain(stderr: &str) -> String {
    let mut out = String::new();
    for line in stderr.lines() {
        match internal_json::parse_line(line) {
            Some(Event::Msg(m)) => out.push_str(&m.text),
            Some(_) => continue,
            None => out.push_str(&internal_json::strip_ansi(line)),
        }
        out.push('\n');
    }
    out
}

/// The text between `before` and the next `'`.
fn quoted_after(text: &str, before: &str) -> Option<String> {
    let rest = &text[text.find(before)? + before.len()..];
    Some(rest[..rest.find('\'')?].to_string()).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(file: &str, cause: FetchCause, input: Option<&str>, location: &str) {
        let text = match file {
            "offline-github-2.8" => include_str!("fetch_errors/offline-github-2.8.txt"),
            "offline-github-2.34" => include_str!("fetch_errors/offline-github-2.34.txt"),
            "offline-git-2.8" => include_str!("fetch_errors/offline-git-2.8.txt"),
            "offline-git-2.34" => include_str!("fetch_errors/offline-git-2.34.txt"),
            "rate-limit-2.8" => include_str!("fetch_errors/rate-limit-2.8.txt"),
            "rate-limit-2.34" => include_str!("fetch_errors/rate-limit-2.34.txt"),
            "auth-http-2.8" => include_str!("fetch_errors/auth-http-2.8.txt"),
            "auth-http-2.34" => include_str!("fetch_errors/auth-http-2.34.txt"),
            "auth-git-2.8" => include_str!("fetch_errors/auth-git-2.8.txt"),
            "auth-git-2.34" => include_str!("fetch_errors/auth-git-2.34.txt"),
            _ => unreachable!(),
        };
        let expected =
            FetchFailure { cause, input: input.map(str::to_string), location: Some(location.to_string()) };
        assert_eq!(fetch_failure(text), Some(expected), "{file}");
    }

    #[test]
    fn real_messages_of_both_nix_versions() {
        use FetchCause::*;
        for v in ["2.8", "2.34"] {
            check(&format!("offline-github-{v}"), NoNetwork, Some("utils"), "github:numtide/flake-utils");
            check(
                &format!("offline-git-{v}"),
                NoNetwork,
                Some("secret"),
                "git+https://git.example.com/acme/private-tools",
            );
            let tarball = "http://127.0.0.1:18431/ratelimit/x.tar.gz";
            check(&format!("rate-limit-{v}"), RateLimit, Some("dep"), tarball);
            check(
                &format!("auth-http-{v}"),
                Authentication,
                Some("dep"),
                "http://127.0.0.1:18431/private/x.tar.gz",
            );
            check(
                &format!("auth-git-{v}"),
                Authentication,
                Some("dep"),
                "git+http://127.0.0.1:18431/acme/private-tools",
            );
        }
    }

    #[test]
    fn the_human_form_without_a_trace() {
        // Nix 2.8's `nix print-dev-env` without --show-trace: no input name, the URL only.
        let text = "warning: error: unable to download 'https://api.github.com/repos/numtide/flake-utils/commits/HEAD': \
            Couldn't resolve host name (6); retrying in 342 ms\n\
            error: unable to download 'https://api.github.com/repos/numtide/flake-utils/commits/HEAD': Couldn't resolve host name (6)\n\
            (use '--show-trace' to show detailed location information)\n";
        let failure = fetch_failure(text).unwrap();
        assert_eq!(failure.cause, FetchCause::NoNetwork);
        assert_eq!(failure.input, None);
        assert_eq!(
            failure.location.as_deref(),
            Some("https://api.github.com/repos/numtide/flake-utils/commits/HEAD")
        );
        // GitHub's answer past its limit.
        let limited = "error: unable to download 'https://api.github.com/repos/NixOS/nixpkgs/commits/nixos-unstable': \
            HTTP error 403 ('Forbidden')\n       response body:\n       {\"message\":\"API rate limit exceeded for 192.0.2.1.\"}";
        assert_eq!(fetch_failure(limited).unwrap().cause, FetchCause::RateLimit);
        // Not about fetching.
        assert_eq!(fetch_failure("error: undefined variable 'x'\n       at /p/flake.nix:3:5:"), None);
        assert_eq!(fetch_failure("error: attribute 'connection refused' missing"), None);
    }
}
