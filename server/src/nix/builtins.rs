//! Reading what `nix __dump-language` (newer Nix) or `nix __dump-builtins` (older Nix) print.
//!
//! Both print one JSON object, builtin name to description. `__dump-builtins` (Nix 2.8):
//! `{"args": [...], "arity": N, "doc": "markdown"}`, functions only. `__dump-language`
//! (Nix 2.34): `{"args": [...]?, "doc": "...", "type": "string"?, "impure-only": true?}`,
//! constants included. The Markdown links into Nix's manual (`@docroot@/…`, relative
//! `./operators.md`, `#builtins-x`) become links to the manual online.

use std::collections::BTreeMap;

use serde::Deserialize;

/// Where Nix's manual lives online.
pub const MANUAL: &str = "https://nix.dev/manual/nix/latest/";

/// One builtin as the installed Nix describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpedBuiltin {
    pub name: String,
    /// Argument names; empty for constants.
    pub args: Vec<String>,
    /// Markdown, with links that work outside Nix's manual.
    pub doc: String,
    /// For constants, their type when Nix says (`string`, `Boolean`, `set`).
    pub value_type: Option<String>,
    /// Only available in impure evaluation (`currentTime`, `currentSystem`, …).
    pub impure_only: bool,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    doc: String,
    #[serde(default, rename = "type")]
    value_type: Option<String>,
    #[serde(default, rename = "impure-only")]
    impure_only: bool,
}

/// The builtins in either format, by name.
pub fn parse_dump(json: &str) -> Result<Vec<DumpedBuiltin>, serde_json::Error> {
    let entries: BTreeMap<String, Entry> = serde_json::from_str(json)?;
    Ok(entries
        .into_iter()
        .map(|(name, e)| DumpedBuiltin {
            name,
            args: e.args,
            doc: rewrite_links(e.doc.trim()),
            value_type: e.value_type,
            impure_only: e.impure_only,
        })
        .collect())
}

/// Rewrites the targets of Markdown links `[text](target)` that point into Nix's manual.
pub fn rewrite_links(doc: &str) -> String {
    let mut out = String::with_capacity(doc.len());
    let mut rest = doc;
    while let Some(open) = rest.find("](") {
        let target_start = open + 2;
        let Some(len) = rest[target_start..].find(')') else { break };
        let target = &rest[target_start..target_start + len];
        out.push_str(&rest[..target_start]);
        out.push_str(&manual_url(target).unwrap_or_else(|| target.to_string()));
        out.push(')');
        rest = &rest[target_start + len + 1..];
    }
    out.push_str(rest);
    out
}

/// The online address of a link target in Nix's manual; `None` when it already is one.
/// Relative targets are relative to the page of builtins, `language/builtins.md`.
fn manual_url(target: &str) -> Option<String> {
    if target.contains("://") || target.starts_with("mailto:") {
        return None;
    }
    let (path, anchor) = match target.find('#') {
        Some(i) => (&target[..i], &target[i..]),
        None => (target, ""),
    };
    let page = if let Some(rest) = path.strip_prefix("@docroot@/") {
        rest.to_string()
    } else if path.is_empty() {
        "language/builtins.md".to_string()
    } else {
        resolve_relative("language", path)
    };
    let page = match page.strip_suffix(".md") {
        Some(stem) => format!("{stem}.html"),
        None => page,
    };
    Some(format!("{MANUAL}{page}{anchor}"))
}

/// `dir` joined with a relative `path` that may use `./` and `../`.
fn resolve_relative(dir: &str, path: &str) -> String {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn older_format() {
        let json = r#"{"abort":{"args":["s"],"arity":1,"doc":"Abort evaluation with *s*."},
            "add":{"args":["e1","e2"],"arity":2,"doc":"Return the sum of *e1* and *e2*.\n"}}"#;
        let dumped = parse_dump(json).unwrap();
        assert_eq!(dumped.len(), 2);
        assert_eq!(
            dumped[1],
            DumpedBuiltin {
                name: "add".into(),
                args: vec!["e1".into(), "e2".into()],
                doc: "Return the sum of *e1* and *e2*.".into(),
                value_type: None,
                impure_only: false,
            }
        );
    }

    #[test]
    fn newer_format_with_constants() {
        let json = r#"{
            "currentTime": {"doc": "Seconds since [the epoch](https://en.wikipedia.org/wiki/Unix_time).", "impure-only": true, "type": "integer"},
            "true": {"doc": "Primitive value, see [conditionals](@docroot@/language/syntax.md#conditionals).", "type": "Boolean"},
            "import": {"args": ["path"], "doc": "Like [`scopedImport`](#builtins-scopedImport)."}
        }"#;
        let dumped = parse_dump(json).unwrap();
        let names: Vec<&str> = dumped.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["currentTime", "import", "true"]);
        assert!(dumped[0].impure_only && dumped[0].args.is_empty());
        assert_eq!(dumped[0].doc, "Seconds since [the epoch](https://en.wikipedia.org/wiki/Unix_time).");
        assert_eq!(dumped[0].value_type.as_deref(), Some("integer"));
        assert_eq!(
            dumped[1].doc,
            "Like [`scopedImport`](https://nix.dev/manual/nix/latest/language/builtins.html#builtins-scopedImport)."
        );
        assert_eq!(
            dumped[2].doc,
            "Primitive value, see [conditionals](https://nix.dev/manual/nix/latest/language/syntax.html#conditionals)."
        );
    }

    #[test]
    fn links() {
        let r = rewrite_links;
        assert_eq!(
            r("[ops](./operators.md#has-attribute) and [up](../command-ref/nix-env/upgrade.md)"),
            "[ops](https://nix.dev/manual/nix/latest/language/operators.html#has-attribute) and \
             [up](https://nix.dev/manual/nix/latest/command-ref/nix-env/upgrade.html)"
        );
        assert_eq!(
            r("[store](@docroot@/store/types/index.md)"),
            "[store](https://nix.dev/manual/nix/latest/store/types/index.html)"
        );
        assert_eq!(r("no links, a ](broken"), "no links, a ](broken");
        assert_eq!(
            r("é [ü](#x) ö"),
            "é [ü](https://nix.dev/manual/nix/latest/language/builtins.md#x) ö".replace(".md", ".html")
        );
    }

    #[test]
    fn not_a_dump() {
        assert!(parse_dump("[]").is_err());
        assert!(parse_dump("").is_err());
        assert!(parse_dump(r#"{"x": 1}"#).is_err());
    }
}
