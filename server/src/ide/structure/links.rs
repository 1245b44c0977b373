//! Document links: path literals to the files they name, and flake input URLs to the page of
//! what they fetch.
//!
//! A path links only when its target exists (a directory through its `default.nix`, as
//! `import` reads it), so that a link never leads nowhere; `~/…` and `<…>` paths, and paths
//! with interpolations, are not followed. Input URLs are rewritten to something a browser
//! opens: `github:o/r/ref` to `https://github.com/o/r/tree/ref`, `git+https://h/p?ref=x` to
//! `https://h/p`, and so on; `path:` URLs link like paths. Registry names (`nixpkgs`) and
//! `git+ssh:` are not linked.

use super::types::{Link, LinkTarget};
use crate::flake::{literal_string, FlakeModel};
use crate::ide::analysis::{Analysis, FileContext};
use crate::syntax::{strip_parens, SyntaxKind, SyntaxNode, TextRange};
use SyntaxKind::*;

pub fn document_links(analysis: &Analysis, ctx: &FileContext) -> Vec<Link> {
    let root = analysis.root();
    let mut out = Vec::new();
    for node in root.descendants() {
        match node.kind() {
            NODE_PATH_REL | NODE_PATH_ABS => {
                if let Some(link) = path_link(&node, ctx) {
                    out.push(link);
                }
            }
            NODE_LITERAL => {
                let text = node.text().to_string();
                if text.starts_with("https://") || text.starts_with("http://") {
                    out.push(Link { range: node.text_range(), target: LinkTarget::Url(text), tooltip: None });
                }
            }
            _ => {}
        }
    }
    if let Some(model) = analysis.flake() {
        out.extend(input_links(model, &root, ctx));
    }
    out.sort_by_key(|l| l.range.start());
    out
}

/// `./x.nix`, `../dir`, `/abs/file`: written without interpolation and existing.
fn path_link(node: &SyntaxNode, ctx: &FileContext) -> Option<Link> {
    let mut tokens = node.children_with_tokens();
    let token = tokens.next()?.into_token()?;
    if tokens.next().is_some() {
        return None;
    }
    let target = ctx.existing_file(token.text())?;
    Some(Link { range: node.text_range(), target: LinkTarget::File(target), tooltip: None })
}

/// Links for `url = "…"` of each input (and of the inputs it overrides).
fn input_links(model: &FlakeModel, root: &SyntaxNode, ctx: &FileContext) -> Vec<Link> {
    let mut out = Vec::new();
    for input in &model.inputs {
        for attr in &input.attrs {
            if attr.path.last().map(String::as_str) != Some("url") {
                continue;
            }
            let Some(value) = attr.value.map(|v| v.to_node(root)) else { continue };
            let Some(url) = literal_string(&value) else { continue };
            let Some(range) = string_content(&value) else { continue };
            let Some(target) = url_target(&url, ctx) else { continue };
            let tooltip = url.split_once(':').and_then(|(scheme, _)| tooltip(scheme)).map(str::to_string);
            out.push(Link { range, target, tooltip });
        }
    }
    out
}

/// The range between a string literal's quotes.
fn string_content(value: &SyntaxNode) -> Option<TextRange> {
    let string = strip_parens(value.clone());
    let start = string.first_token().filter(|t| t.kind() == TOKEN_STRING_START)?.text_range().end();
    let end = string.last_token().filter(|t| t.kind() == TOKEN_STRING_END)?.text_range().start();
    (start < end).then(|| TextRange::new(start, end))
}

/// Where a flake reference can be seen: a web page, or a local file.
fn url_target(url: &str, ctx: &FileContext) -> Option<LinkTarget> {
    let (scheme, rest) = url.split_once(':')?;
    let web = |s: String| Some(LinkTarget::Url(s));
    let without_query = rest.split(['?', '#']).next().unwrap_or(rest);
    match scheme {
        "github" => web(forge("https://github.com", "/tree/", without_query)?),
        "gitlab" => web(forge("https://gitlab.com", "/-/tree/", without_query)?),
        "sourcehut" => web(forge("https://git.sr.ht", "/tree/", without_query)?),
        "git+https" | "git+http" => web(format!("{}:{}", &scheme[4..], without_query)),
        "https" | "http" => web(url.to_string()),
        "tarball+https" | "tarball+http" | "file+https" | "file+http" => {
            let plain = url.split_once('+').map_or(url, |(_, u)| u);
            web(plain.to_string())
        }
        "path" => ctx.existing_file(without_query).map(LinkTarget::File),
        _ => None,
    }
}

/// What following an input's link opens, by its URL's scheme.
fn tooltip(scheme: &str) -> Option<&'static str> {
    Some(match scheme {
        "github" => "Open the repository on GitHub",
        "gitlab" => "Open the repository on GitLab",
        "sourcehut" => "Open the repository on sourcehut",
        "git+https" | "git+http" => "Open the git repository's address",
        "path" => return None,
        _ => "Open the address the input is downloaded from",
    })
}

/// `owner/repo[/ref]` on a forge: the repository's page, or the ref's tree.
fn forge(host: &str, tree: &str, path: &str) -> Option<String> {
    let mut parts = path.splitn(3, '/');
    let owner = parts.next().filter(|s| !s.is_empty())?;
    let repo = parts.next().filter(|s| !s.is_empty())?;
    Some(match parts.next().filter(|s| !s.is_empty()) {
        Some(reference) => format!("{host}/{owner}/{repo}{tree}{reference}"),
        None => format!("{host}/{owner}/{repo}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::FileKind;
    use expect_test::{expect, Expect};
    use std::path::PathBuf;

    /// A temporary directory with a few files, removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> TempDir {
            let dir = std::env::temp_dir().join(format!("flake-lsp-links-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            for file in
                ["project/flake.nix", "project/pkgs/hello.nix", "project/lib/default.nix", "shared.nix"]
            {
                let path = dir.join(file);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, "{ }").unwrap();
            }
            std::fs::create_dir_all(dir.join("project/empty")).unwrap();
            TempDir(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn check(name: &str, text: &str, kind: FileKind, expect: Expect) {
        let dir = TempDir::new(name);
        let ctx = FileContext::for_path(&dir.0.join("project/flake.nix"));
        let analysis = Analysis::of(text, kind);
        let root = dir.0.to_string_lossy().to_string();
        let out: String = document_links(&analysis, &ctx)
            .iter()
            .map(|l| {
                let target = match &l.target {
                    LinkTarget::File(p) => format!("file {}", p.to_string_lossy().replace(&root, "$TMP")),
                    LinkTarget::Url(u) => format!("url {u}"),
                };
                let tooltip = l.tooltip.as_deref().map(|t| format!(" ({t})")).unwrap_or_default();
                format!(
                    "{:?} `{}` -> {target}{tooltip}\n",
                    l.range,
                    &text[std::ops::Range::<usize>::from(l.range)]
                )
            })
            .collect();
        expect.assert_eq(&out);
    }

    #[test]
    fn paths_to_existing_files() {
        check(
            "paths",
            r#"[ ./pkgs/hello.nix ./lib ../shared.nix ./missing.nix ./empty ./pkgs/${x}.nix ~/x.nix <nixpkgs> https://example.org/a.tar.gz ]"#,
            FileKind::Nix,
            expect![[r#"
                2..18 `./pkgs/hello.nix` -> file $TMP/project/pkgs/hello.nix
                19..24 `./lib` -> file $TMP/project/lib/default.nix
                25..38 `../shared.nix` -> file $TMP/shared.nix
                95..123 `https://example.org/a.tar.gz` -> url https://example.org/a.tar.gz
            "#]],
        );
    }

    #[test]
    fn flake_input_urls() {
        check(
            "inputs",
            r#"{
  inputs = {
    a.url = "github:NixOS/nixpkgs/nixos-24.05";
    b.url = "github:numtide/flake-utils?dir=sub";
    c = { url = "gitlab:o/r"; inputs.a.follows = "a"; };
    d.url = "sourcehut:~sircmpwn/hare";
    e.url = "git+https://example.org/repo.git?ref=main&rev=abc";
    f.url = "https://example.org/x.tar.gz";
    g.url = "tarball+https://example.org/y.tar.gz";
    h.url = "path:./lib";
    i.url = "nixpkgs";
    j.url = "git+ssh://git@example.org/r";
    k.url = "github:";
    l.url = "${x}";
  };
  inputs.m.url = "github:o/m";
  inputs.n = { inputs.o.url = "github:o/o"; };
  outputs = { self, ... }: { path = ./pkgs/hello.nix; };
}"#,
            FileKind::Flake,
            expect![[r#"
                28..60 `github:NixOS/nixpkgs/nixos-24.05` -> url https://github.com/NixOS/nixpkgs/tree/nixos-24.05 (Open the repository on GitHub)
                76..110 `github:numtide/flake-utils?dir=sub` -> url https://github.com/numtide/flake-utils (Open the repository on GitHub)
                130..140 `gitlab:o/r` -> url https://gitlab.com/o/r (Open the repository on GitLab)
                183..207 `sourcehut:~sircmpwn/hare` -> url https://git.sr.ht/~sircmpwn/hare (Open the repository on sourcehut)
                223..272 `git+https://example.org/repo.git?ref=main&rev=abc` -> url https://example.org/repo.git (Open the git repository's address)
                288..316 `https://example.org/x.tar.gz` -> url https://example.org/x.tar.gz (Open the address the input is downloaded from)
                332..368 `tarball+https://example.org/y.tar.gz` -> url https://example.org/y.tar.gz (Open the address the input is downloaded from)
                384..394 `path:./lib` -> file $TMP/project/lib/default.nix
                529..539 `github:o/m` -> url https://github.com/o/m (Open the repository on GitHub)
                573..583 `github:o/o` -> url https://github.com/o/o (Open the repository on GitHub)
                625..641 `./pkgs/hello.nix` -> file $TMP/project/pkgs/hello.nix
            "#]],
        );
    }

    #[test]
    fn without_a_file_only_absolute_paths_and_urls() {
        let analysis = Analysis::of("[ ./x.nix / https://a.org ]", FileKind::Nix);
        let links = document_links(&analysis, &FileContext::default());
        assert_eq!(links.len(), 1, "{links:?}");
        assert!(document_links(&Analysis::of("", FileKind::Flake), &FileContext::default()).is_empty());
    }
}
