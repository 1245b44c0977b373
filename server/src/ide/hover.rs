//! Hover: builtins, bindings, flake schema keys, inputs with what `flake.lock` says.
//!
//! What a name is comes from name resolution (a binding, a builtin, a `with`, nothing); in
//! `flake.nix` the flake schema comes first: top-level keys, input attributes, output names
//! in the sets `outputs` returns, and inputs, wherever they are named.

use super::analysis::{Analysis, FileContext};
use super::completion::{package_documentation, select_path, set_path, Bound};
use super::navigation::cursor::{ident_at, line_of, node_at};
use super::navigation::flake::{attr_path, input_named_by, is_outputs_formal};
use crate::flake::lock::{flake_ref_string, Attr, RefAttrs};
use crate::flake::schema::{self, OutputShape};
use crate::flake::{literal_string, FlakeModel};
use crate::pkgs::{Entry, Lookup, Package, PackageRef};
use crate::syntax::covering_node;
use crate::syntax::scope::{DefId, DefKind, Resolution, ScopeKind};
use crate::syntax::{
    attrpath_attrs, builtins, static_attr_name, strip_parens, SyntaxKind, SyntaxNode, TextRange, TextSize,
};
use SyntaxKind::*;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hover {
    /// What the hover is about (the name under the cursor).
    pub range: TextRange,
    /// Markdown.
    pub markdown: String,
    /// The package of nixpkgs the hover is about, when its details are not known yet: the
    /// caller may read it ([`crate::pkgs::PackageIndex::record`]) and ask again.
    pub wanted: Option<PackageRef>,
}

/// How much of a value a hover shows.
const PREVIEW_CHARS: usize = 60;

pub fn hover(analysis: &Analysis, ctx: &FileContext, offset: TextSize) -> Option<Hover> {
    let root = analysis.root();
    let ident = ident_at(&root, offset)?;
    if let Some((markdown, wanted)) = package_hover(analysis, ctx, &ident) {
        return Some(Hover { range: ident.text_range(), markdown, wanted });
    }
    let markdown = match analysis.flake() {
        Some(model) => flake_hover(analysis, ctx, model, &root, &ident),
        None => None,
    }
    .or_else(|| selected_builtin(analysis, ctx, &ident))
    .or_else(|| name_hover(analysis, ctx, &ident))?;
    Some(Hover { range: ident.text_range(), markdown, wanted: None })
}

/// A package of the flake's nixpkgs: `pkgs.hello` with the cursor on `hello`, or `hello`
/// under `with pkgs;`.
/// With the package whose details are not known yet, when so.
fn package_hover(
    analysis: &Analysis,
    ctx: &FileContext,
    ident: &SyntaxNode,
) -> Option<(String, Option<PackageRef>)> {
    let index = ctx.packages.as_deref()?;
    let name = static_attr_name(ident)?;
    let resolve = |i: &SyntaxNode| bound(analysis, i);
    let path = match ident.parent() {
        Some(attrpath) if attrpath.kind() == NODE_ATTRPATH => {
            let select = attrpath.parent().filter(|p| p.kind() == NODE_SELECT)?;
            let base = select.children().next()?;
            let before: Vec<SyntaxNode> =
                attrpath_attrs(&attrpath).take_while(|a| a.text_range() != ident.text_range()).collect();
            select_path(&base, &before, &resolve)?
        }
        _ => {
            let names = analysis.names();
            let reference = names.refs.iter().find(|r| r.range == ident.text_range())?;
            if reference.resolution != Resolution::With {
                return None;
            }
            // The innermost `with` whose set is nixpkgs' and has the name.
            let start = ident.text_range().start();
            let found = ident.ancestors().filter(|n| n.kind() == NODE_WITH).find_map(|with| {
                let semicolon = with.children_with_tokens().find(|e| e.kind() == TOKEN_SEMICOLON)?;
                if semicolon.text_range().end() > start {
                    return None;
                }
                let path = set_path(&with.children().next()?, &resolve)?;
                let has = matches!(index.set_if_known(&path), Lookup::Ready(set) if set.contains(&name));
                has.then_some(path)
            });
            found?
        }
    };
    match index.set_if_known(&path) {
        Lookup::Ready(set) if !set.contains(&name) => return None,
        Lookup::Missing => return None,
        // Names still being listed: the attribute is read by itself (`wanted`).
        Lookup::Ready(_) | Lookup::Loading => {}
    }
    let full = path.iter().chain([&name]).cloned().collect::<Vec<_>>().join(".");
    let wanted = PackageRef { path, name };
    let text = match index.details(&wanted) {
        Some(Some(Entry::Package(p))) => package_markdown(&full, &p),
        Some(Some(Entry::Set)) => format!("**`{full}`**: a set of packages in nixpkgs"),
        Some(Some(Entry::Other)) => format!("**`{full}`**: an attribute of nixpkgs (not a package)"),
        Some(None) => return None,
        None => {
            let text = format!("**`{full}`**: an attribute of nixpkgs (its details are still being read)");
            return Some((text, Some(wanted)));
        }
    };
    Some((text, None))
}

/// How `ident` is bound, for finding package sets.
fn bound(analysis: &Analysis, ident: &SyntaxNode) -> Bound {
    let names = analysis.names();
    match names.refs.iter().find(|r| r.range == ident.text_range()).map(|r| r.resolution) {
        Some(Resolution::Def(d)) => {
            let value = names.defs[d].value_range.and_then(|r| covering_node(ident, r));
            value.map_or(Bound::Unknown, Bound::Value)
        }
        _ => Bound::Unbound,
    }
}

/// Name, version, description, homepage, license, main program and where it is defined.
fn package_markdown(full: &str, p: &Package) -> String {
    let mut out = format!("**`{full}`**");
    if let Some(version) = p.version() {
        out.push_str(&format!(" `{version}`"));
    }
    let doc = package_documentation(p);
    if !doc.is_empty() {
        out.push_str(&format!("\n\n{doc}"));
    }
    let mut facts = Vec::new();
    if let Some(program) = p.main_program() {
        facts.push(format!("Main program: `{program}`"));
    }
    if let Some((file, line)) = p.definition() {
        let shown = file.rsplit_once("-source/").map_or(file, |(_, rest)| rest);
        facts.push(format!("Defined in [{shown}:{line}](file://{file}#L{line})"));
    }
    if !facts.is_empty() {
        out.push_str(&format!("\n\n{}", facts.join("  \n")));
    }
    out
}

/// Hover over a name as name resolution sees it.
fn name_hover(analysis: &Analysis, ctx: &FileContext, ident: &SyntaxNode) -> Option<String> {
    let names = analysis.names();
    let range = ident.text_range();
    if let Some(r) = names.refs.iter().find(|r| r.range == range) {
        return Some(match r.resolution {
            Resolution::Def(d) => definition(analysis, d),
            Resolution::Global => builtin(ctx, r.name.strip_prefix("__").unwrap_or(&r.name)),
            Resolution::With => with_name(analysis, &r.name, range),
            Resolution::Undefined => format!(
                "**`{}`**: undefined name\n\nNo `let`, `rec` set, argument or `with` provides it, and it is not a builtin.",
                r.name
            ),
        });
    }
    let d = names.defs.iter().position(|d| d.name_range == range)?;
    Some(definition(analysis, d))
}

/// What a definition is, where, and a glimpse of its value.
fn definition(analysis: &Analysis, def: DefId) -> String {
    let names = analysis.names();
    let text = analysis.text();
    let root = analysis.root();
    let d = &names.defs[def];
    let line = line_of(text, d.name_range.start());
    let scope_kind = names.scopes[d.scope].kind;
    let mut out = format!("**`{}`**: ", d.name);
    let mut code = None;
    match d.kind {
        _ if d.inherited => {
            let inherit =
                node_at(&root, d.name_range).and_then(|n| n.parent()).filter(|p| p.kind() == NODE_INHERIT);
            let from = inherit.as_ref().and_then(|i| i.children().find(|c| c.kind() == NODE_INHERIT_FROM));
            let what = if d.kind == DefKind::Let { "`let` binding" } else { "attribute of a `rec` set" };
            match from.and_then(|f| f.children().next()) {
                Some(source) => out.push_str(&format!(
                    "{what} on line {line}, taken from `{}` by `inherit`",
                    preview(&source.text().to_string())
                )),
                None => {
                    out.push_str(&format!("{what} on line {line}, inherited from the scope around"));
                    let outer = names.refs.iter().find(|r| r.range == d.name_range).map(|r| r.resolution);
                    match outer {
                        Some(Resolution::Def(o)) => out.push_str(&format!(
                            " (the `{}` defined on line {})",
                            d.name,
                            line_of(text, names.defs[o].name_range.start())
                        )),
                        Some(Resolution::Global) => out.push_str(" (the builtin)"),
                        Some(Resolution::With) => out.push_str(" (from a `with`)"),
                        _ => {}
                    }
                }
            }
        }
        DefKind::Let | DefKind::RecAttr => {
            let what = match scope_kind {
                ScopeKind::Let => "`let` binding",
                ScopeKind::LegacyLet => "binding of a `let { }`",
                _ => "attribute of a `rec` set",
            };
            out.push_str(&format!("{what}, defined on line {line}"));
            code = d
                .value_range
                .and_then(|v| text.get(std::ops::Range::<usize>::from(v)))
                .map(|value| format!("{} = {}", d.name, preview(value)));
        }
        DefKind::Formal => {
            out.push_str(&format!("argument of the function on line {line}"));
            let entry = node_at(&root, d.binding_range).filter(|n| n.kind() == NODE_PAT_ENTRY);
            let default = entry.and_then(|e| e.children().nth(1));
            code = Some(match default {
                Some(value) => format!("{{ {} ? {} }}", d.name, preview(&value.text().to_string())),
                None => format!("{{ {} }}", d.name),
            });
        }
        DefKind::LambdaParam => out.push_str(&format!("parameter of the function on line {line}")),
        DefKind::PatBind => out.push_str(&format!("the whole argument set of the function on line {line}")),
    }
    if let Some(code) = code {
        out.push_str(&format!("\n\n```nix\n{code}\n```"));
    }
    out
}

/// A name no lexical scope binds, under one or more `with`.
fn with_name(analysis: &Analysis, name: &str, range: TextRange) -> String {
    let text = analysis.text();
    let mut withs: Vec<_> = analysis.names().withs.iter().filter(|w| w.range.contains_range(range)).collect();
    withs.sort_by_key(|w| std::cmp::Reverse(w.range.start()));
    let header = |w: &crate::syntax::scope::With| {
        let code = text.get(std::ops::Range::<usize>::from(w.header)).unwrap_or("with");
        format!("`{}` on line {}", preview(code), line_of(text, w.header.start()))
    };
    let by = match withs.as_slice() {
        [one] => format!("Provided by {}, if it has such an attribute.", header(one)),
        many => format!(
            "Provided by the innermost of these that has such an attribute: {}.",
            many.iter().map(|w| header(w)).collect::<Vec<_>>().join(", ")
        ),
    };
    format!("**`{name}`**: not bound in this file\n\n{by}")
}

/// `builtins.foo` with the cursor on `foo`.
fn selected_builtin(analysis: &Analysis, ctx: &FileContext, ident: &SyntaxNode) -> Option<String> {
    let attrpath = ident.parent().filter(|p| p.kind() == NODE_ATTRPATH)?;
    if attrpath_attrs(&attrpath).next()?.text_range() != ident.text_range() {
        return None;
    }
    let select = attrpath.parent().filter(|p| matches!(p.kind(), NODE_SELECT | NODE_HAS_ATTR))?;
    let base = select.children().next().filter(|b| b.kind() == NODE_IDENT)?;
    let names = analysis.names();
    let reference = names.refs.iter().find(|r| r.range == base.text_range())?;
    if reference.name != "builtins" || reference.resolution != Resolution::Global {
        return None;
    }
    let name = ident.text().to_string();
    if !builtins::BUILTINS.contains(&name.as_str()) {
        return Some(format!("**`builtins.{name}`**: not a builtin of Nix 2.8 to 2.34"));
    }
    Some(builtin(ctx, &name))
}

/// A builtin's signature, and its documentation when there is some.
fn builtin(ctx: &FileContext, name: &str) -> String {
    let doc = super::docs::lookup(ctx.builtin_docs.as_deref(), name);
    let signature = match name {
        "true" | "false" | "null" | "builtins" => name.to_string(),
        _ => {
            let mut s = format!("builtins.{name}");
            for arg in doc.iter().flat_map(|d| d.args.iter()) {
                s.push(' ');
                s.push_str(arg);
            }
            s
        }
    };
    let mut out = format!("```nix\n{signature}\n```");
    match (doc, name) {
        (Some(doc), _) => out.push_str(&format!("\n\n{}", doc.doc.trim())),
        (None, "true" | "false") => out.push_str("\n\nA boolean constant."),
        (None, "null") => out.push_str("\n\nThe null value."),
        (None, "builtins") => out.push_str("\n\nThe set of every builtin function and constant."),
        (None, _) => out.push_str("\n\nA Nix builtin."),
    }
    out
}

/// The flake schema in `flake.nix`: inputs, top-level keys, input attributes, outputs.
fn flake_hover(
    analysis: &Analysis,
    ctx: &FileContext,
    model: &FlakeModel,
    root: &SyntaxNode,
    ident: &SyntaxNode,
) -> Option<String> {
    if let Some(name) = input_named_by(analysis, model, ident) {
        return Some(input(model, root, ctx, &[name.as_str()]));
    }
    let names = analysis.names();
    let own = names
        .refs
        .iter()
        .find(|r| r.range == ident.text_range())
        .and_then(|r| match r.resolution {
            Resolution::Def(d) => Some(d),
            _ => None,
        })
        .or_else(|| names.defs.iter().position(|d| d.name_range == ident.text_range()));
    if let Some(d) = own {
        if names.defs[d].name == "self" && is_outputs_formal(analysis, model, d) {
            return Some(
                "**`self`**: this flake\n\nIts own outputs, and `self.outPath` (its source in the store), `self.inputs`, `self.rev` or `self.dirtyRev`, `self.lastModified`."
                    .to_string(),
            );
        }
    }
    if let Some(path) = attr_path(ident) {
        let path: Vec<&str> = path.iter().map(String::as_str).collect();
        match path.as_slice() {
            [key] => {
                return Some(match schema::top_level_doc(key) {
                    Some(doc) => format!("**`{key}`**: flake attribute\n\n{doc}"),
                    None => format!(
                        "**`{key}`**: not a flake attribute\n\nA flake has only `description`, `inputs`, `outputs` and `nixConfig`."
                    ),
                })
            }
            ["inputs", input_name, "inputs", nested] => {
                return Some(input(model, root, ctx, &[input_name, nested]))
            }
            ["inputs", _, attr] | ["inputs", _, "inputs", _, attr] => {
                return Some(match schema::input_attribute_doc(attr) {
                    Some(doc) => format!("**`{attr}`**: input attribute\n\n{doc}"),
                    None => format!("**`{attr}`**: not an attribute Nix knows for inputs"),
                })
            }
            _ => {}
        }
    }
    output(model, ident)
}

/// An input: what `flake.nix` says, then what `flake.lock` says. `path` is the input, or an
/// input of an input (`["home-manager", "nixpkgs"]`).
fn input(model: &FlakeModel, root: &SyntaxNode, ctx: &FileContext, path: &[&str]) -> String {
    let mut out = match path {
        [name] => format!("**input `{name}`**"),
        [parent, name, ..] => format!("**input `{name}` of input `{parent}`**"),
        [] => String::new(),
    };
    let written = written_input(model, root, path);
    match &written {
        Some(lines) if !lines.is_empty() => {
            out.push_str("\n\n");
            out.push_str(&lines.join("  \n"));
        }
        Some(_) => {}
        None if path.len() == 1 => out.push_str(&format!(
            "\n\nNot declared in `inputs`: Nix looks it up in the flake registry as `flake:{}`.",
            path[0]
        )),
        None => {}
    }
    let Some(lock) = &ctx.lock else { return out };
    match lock.input_at(path) {
        Some(locked) => {
            out.push_str("\n\n**flake.lock**");
            let mut items = Vec::new();
            if let Some(follows) = &locked.follows {
                items.push(format!("follows `{}` (node `{}`)", follows.join("/"), locked.node));
            }
            if let Some(url) = &locked.locked {
                items.push(format!("locked: `{url}`"));
            }
            if let Some(rev) = &locked.rev {
                let short: String = rev.chars().take(7).collect();
                items.push(format!("revision: `{short}`"));
            }
            if let Some(time) = locked.last_modified {
                items.push(format!("last modified: {}", utc_date(time)));
            }
            if let Some(hash) = &locked.nar_hash {
                items.push(format!("narHash: `{hash}`"));
            }
            if locked.locked.is_none() && locked.follows.is_none() {
                items.push("nothing locked".to_string());
            }
            for item in items {
                out.push_str(&format!("\n- {item}"));
            }
        }
        None => out.push_str("\n\nNot in `flake.lock` yet: `nix flake lock` adds it."),
    }
    out
}

/// The input as `flake.nix` writes it: its reference, what it follows, whether it is a flake.
/// `None` when it is not declared.
fn written_input(model: &FlakeModel, root: &SyntaxNode, path: &[&str]) -> Option<Vec<String>> {
    let (first, rest) = path.split_first()?;
    let decl = model.input(first)?;
    // The attributes of the input itself, or of `inputs.<nested>` below it.
    let prefix: Vec<String> = rest.iter().flat_map(|n| ["inputs".to_string(), n.to_string()]).collect();
    let mut attrs = RefAttrs::new();
    let mut lines = Vec::new();
    let mut found = rest.is_empty();
    for attr in &decl.attrs {
        let Some(key) =
            attr.path.strip_prefix(prefix.as_slice()).and_then(|k| k.first().filter(|_| k.len() == 1))
        else {
            continue;
        };
        found = true;
        let Some(value) = attr.value.map(|v| strip_parens(v.to_node(root))) else { continue };
        match key.as_str() {
            "url" => {
                if let Some(url) = literal_string(&value) {
                    lines.push(format!("url: `{url}`"));
                }
            }
            "follows" => {
                if let Some(target) = literal_string(&value) {
                    lines.push(format!("follows: `{target}`"));
                }
            }
            "flake" if value.text() == "false" => lines.push("not a flake (`flake = false`)".to_string()),
            _ => {
                if let Some(s) = literal_string(&value) {
                    attrs.insert(key.clone(), Attr::String(s));
                } else if let Ok(i) = value.text().to_string().parse::<i64>() {
                    attrs.insert(key.clone(), Attr::Int(i));
                }
            }
        }
    }
    if attrs.contains_key("type") {
        lines.insert(0, format!("reference: `{}`", flake_ref_string(&attrs)));
    }
    found.then_some(lines)
}

/// An output name in a set that `outputs` returns.
fn output(model: &FlakeModel, ident: &SyntaxNode) -> Option<String> {
    let definition = model.output_definition(ident.text_range())?;
    let per_system = definition.per_system;
    let name = definition.name()?.to_string();
    if let Some(dep) = schema::deprecated_output(&name) {
        let replacement = if per_system && dep.per_system {
            dep.replacement.replace("<system>.", "")
        } else {
            dep.replacement.to_string()
        };
        return Some(format!("**`{name}`**: deprecated flake output\n\nWrite `{replacement}` instead."));
    }
    let Some(out) = schema::output(&name) else {
        return Some(format!(
            "**`{name}`**: flake output\n\nNot an output Nix knows: `nix flake check` warns about it, and other tools ignore it."
        ));
    };
    let shape = match out.shape {
        OutputShape::PerSystemSet => format!("{name}.<system>.<name>"),
        OutputShape::PerSystem => format!("{name}.<system>"),
        OutputShape::Set => format!("{name}.<name>"),
        OutputShape::Any => name.clone(),
    };
    let mut text = format!("**`{name}`**: flake output\n\n`{shape}`: {}", out.value);
    if per_system && matches!(out.shape, OutputShape::PerSystemSet | OutputShape::PerSystem) {
        text.push_str(" (here the per-system function adds `<system>`)");
    }
    text.push_str(&format!("\n\n{}", out.doc));
    Some(text)
}

/// The first line of some code, cut to a glance.
fn preview(code: &str) -> String {
    let code = code.trim();
    let line = code.lines().next().unwrap_or("");
    let cut: String = line.chars().take(PREVIEW_CHARS).collect();
    if cut.len() < code.len() {
        format!("{} …", cut.trim_end())
    } else {
        cut
    }
}

/// `YYYY-MM-DD` in UTC for seconds since the epoch (the civil calendar from a day count, as
/// in Howard Hinnant's `civil_from_days`).
fn utc_date(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::flake::lock::FlakeLock;
    use crate::ide::fixture::cursor;
    use crate::ide::navigation::test_util::show;
    use crate::ide::FileKind;
    use expect_test::{expect, Expect};

    fn check_in(kind: FileKind, ctx: &FileContext, fixture: &str, expect: Expect) {
        let (text, offset) = cursor(fixture);
        let analysis = Analysis::of(&text, kind);
        let out = match hover(&analysis, ctx, offset) {
            Some(h) => format!("{}\n{}", show(&text, h.range), h.markdown),
            None => "no hover".to_string(),
        };
        expect.assert_eq(&out);
    }

    fn check(fixture: &str, expect: Expect) {
        check_in(FileKind::Nix, &FileContext::default(), fixture, expect)
    }

    fn check_flake(fixture: &str, expect: Expect) {
        check_in(FileKind::Flake, &FileContext::default(), fixture, expect)
    }

    fn check_flake_locked(fixture: &str, expect: Expect) {
        let lock = FlakeLock::parse(LOCK).expect("the test lock parses");
        let ctx = FileContext { lock: Some(Arc::new(lock)), ..FileContext::default() };
        check_in(FileKind::Flake, &ctx, fixture, expect)
    }

    const LOCK: &str = r#"{
  "nodes": {
    "nixpkgs": {
      "locked": { "lastModified": 1714906307, "narHash": "sha256-AAA=", "owner": "NixOS", "repo": "nixpkgs",
                  "rev": "25865a40d14b3f9cf19f19b924e2ab4069b09588", "type": "github" },
      "original": { "owner": "NixOS", "ref": "nixos-unstable", "repo": "nixpkgs", "type": "github" }
    },
    "utils": {
      "inputs": { "nixpkgs": ["nixpkgs"] },
      "locked": { "lastModified": 0, "narHash": "sha256-BBB=", "owner": "numtide", "repo": "flake-utils",
                  "rev": "b1d9ab70662946ef0850d488da1c9019f3a9752a", "type": "github" },
      "original": { "owner": "numtide", "repo": "flake-utils", "type": "github" }
    },
    "root": { "inputs": { "nixpkgs": "nixpkgs", "utils": "utils", "np": ["nixpkgs"] } }
  },
  "root": "root",
  "version": 7
}"#;

    const FLAKE: &str = r#"{
  description = "demo";
  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
    utils = { url = "github:numtide/flake-utils"; inputs.nixpkgs.follows = "nixpkgs"; };
    np.follows = "nixpkgs";
    src = { type = "github"; owner = "o"; repo = "r"; flake = false; };
  };
  outputs = { self, nixpkgs, utils, np, src }@inputs:
    let pkgs = nixpkgs.legacyPackages.x86_64-linux; in
    {
      packages.x86_64-linux.default = pkgs.hello;
      overlay = final: prev: { };
      lib = inputs.utils.lib;
      extra = 1;
    } // utils.lib.eachDefaultSystem (system: {
      devShells.default = pkgs.mkShell { };
      devShell = pkgs.mkShell { };
    });
}"#;

    /// The flake above with the cursor on the `n`th occurrence of `needle`, after its start.
    fn at(needle: &str, n: usize) -> String {
        let (start, _) = FLAKE.match_indices(needle).nth(n).expect("the needle is in the flake");
        format!("{}$0{}", &FLAKE[..start + 1], &FLAKE[start + 1..])
    }

    /// Builtins' documentation depends on what is loaded: only the structure is checked (the
    /// range, the signature's name, and that some text follows it).
    fn check_builtin(fixture: &str, expect: Expect) {
        let (text, offset) = cursor(fixture);
        let analysis = Analysis::of(&text, FileKind::Nix);
        let out = match hover(&analysis, &FileContext::default(), offset) {
            Some(h) => {
                let mut parts = h.markdown.splitn(3, "```");
                let (before, code, after) = (parts.next(), parts.next(), parts.next());
                let signature =
                    code.and_then(|c| c.strip_prefix("nix\n")).and_then(|c| c.split_whitespace().next());
                format!(
                    "{} before={:?} signature={:?} text_after={}",
                    show(&text, h.range),
                    before.unwrap_or(""),
                    signature,
                    after.is_some_and(|a| !a.trim().is_empty())
                )
            }
            None => "no hover".to_string(),
        };
        expect.assert_eq(&out);
    }

    #[test]
    fn builtins() {
        check_builtin(
            "ma$0p f [ ]",
            expect![[r#"1:1 "map" before="" signature=Some("builtins.map") text_after=true"#]],
        );
        check_builtin(
            "builtins.attrNa$0mes { }",
            expect![[r#"1:10 "attrNames" before="" signature=Some("builtins.attrNames") text_after=true"#]],
        );
        check_builtin(
            "builti$0ns.attrNames { }",
            expect![[r#"1:1 "builtins" before="" signature=Some("builtins") text_after=true"#]],
        );
        check_builtin(
            "__attrNa$0mes { }",
            expect![[r#"1:1 "__attrNames" before="" signature=Some("builtins.attrNames") text_after=true"#]],
        );
        check_builtin("t$0rue", expect![[r#"1:1 "true" before="" signature=Some("true") text_after=true"#]]);
        check_builtin("null$0", expect![[r#"1:1 "null" before="" signature=Some("null") text_after=true"#]]);
        check(
            "builtins.nope$0",
            expect![[r#"
                1:10 "nope"
                **`builtins.nope`**: not a builtin of Nix 2.8 to 2.34"#]],
        );
        // A shadowed `builtins` is just a name.
        check("let builtins = { }; in builtins.map$0", expect!["no hover"]);
    }

    #[test]
    fn builtin_documentation_when_there_is_none() {
        assert_eq!(
            builtin(&FileContext::default(), "true").lines().take(3).collect::<Vec<_>>(),
            ["```nix", "true", "```"]
        );
        if crate::ide::docs::lookup(None, "map").is_none() {
            assert_eq!(
                builtin(&FileContext::default(), "map"),
                "```nix\nbuiltins.map\n```\n\nA Nix builtin."
            );
        }
    }

    #[test]
    fn bindings() {
        check(
            "let\n  a = 1 + 2;\nin a$0",
            expect![[r#"
                3:4 "a"
                **`a`**: `let` binding, defined on line 2

                ```nix
                a = 1 + 2
                ```"#]],
        );
        check(
            "let a$0 = {\n  x = 1;\n}; in a",
            expect![[r#"
                1:5 "a"
                **`a`**: `let` binding, defined on line 1

                ```nix
                a = { …
                ```"#]],
        );
        check(
            "rec { a = \"ééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé\"; b = a$0; }",
            expect![[r#"
                1:84 "a"
                **`a`**: attribute of a `rec` set, defined on line 1

                ```nix
                a = "ééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé …
                ```"#]],
        );
        check(
            "let { body = x$0; x = 1; }",
            expect![[r#"
                1:14 "x"
                **`x`**: binding of a `let { }`, defined on line 1

                ```nix
                x = 1
                ```"#]],
        );
        check(
            "{ a, b ? a + 1 }:\n  b$0",
            expect![[r#"
                2:3 "b"
                **`b`**: argument of the function on line 1

                ```nix
                { b ? a + 1 }
                ```"#]],
        );
        check(
            "{ a$0 }: a",
            expect![[r#"
                1:3 "a"
                **`a`**: argument of the function on line 1

                ```nix
                { a }
                ```"#]],
        );
        check(
            "x: x$0",
            expect![[r#"
            1:4 "x"
            **`x`**: parameter of the function on line 1"#]],
        );
        check(
            "args@{ ... }: args$0",
            expect![[r#"
            1:15 "args"
            **`args`**: the whole argument set of the function on line 1"#]],
        );
    }

    #[test]
    fn inherited_bindings() {
        check(
            "x:\nlet inherit x; in x$0",
            expect![[r#"
                2:19 "x"
                **`x`**: `let` binding on line 2, inherited from the scope around (the `x` defined on line 1)"#]],
        );
        check(
            "let inherit map; in map$0",
            expect![[r#"
                1:21 "map"
                **`map`**: `let` binding on line 1, inherited from the scope around (the builtin)"#]],
        );
        check(
            "p: rec { inherit (p.set) a; b = a$0; }",
            expect![[r#"
                1:33 "a"
                **`a`**: attribute of a `rec` set on line 1, taken from `p.set` by `inherit`"#]],
        );
        // On the `inherit` itself: the outer name it reads.
        check(
            "x: let inherit x$0; in x",
            expect![[r#"
            1:16 "x"
            **`x`**: parameter of the function on line 1"#]],
        );
    }

    #[test]
    fn with_and_undefined_names() {
        check(
            "pkgs: with pkgs;\n  hel$0lo",
            expect![[r#"
                2:3 "hello"
                **`hello`**: not bound in this file

                Provided by `with pkgs;` on line 1, if it has such an attribute."#]],
        );
        check(
            "p: l: with p; with l; [ a$0 ]",
            expect![[r#"
                1:25 "a"
                **`a`**: not bound in this file

                Provided by the innermost of these that has such an attribute: `with l;` on line 1, `with p;` on line 1."#]],
        );
        check(
            "nope$0",
            expect![[r#"
                1:1 "nope"
                **`nope`**: undefined name

                No `let`, `rec` set, argument or `with` provides it, and it is not a builtin."#]],
        );
    }

    #[test]
    fn nothing_to_say() {
        check("$0", expect!["no hover"]);
        check("{ a$0 = 1; }", expect!["no hover"]);
        check("p: p.a$0", expect!["no hover"]);
        check("\"é$0\"", expect!["no hover"]);
        check("1 $0+ 2", expect!["no hover"]);
        // Incomplete code still gives what it can.
        check(
            "let a = 1; in { b = a$0",
            expect![[r#"
            1:21 "a"
            **`a`**: `let` binding, defined on line 1

            ```nix
            a = 1
            ```"#]],
        );
    }

    #[test]
    fn flake_top_level_and_input_attributes() {
        check_flake(
            &at("description", 0),
            expect![[r#"
                2:3 "description"
                **`description`**: flake attribute

                A one-line summary of the flake, shown by `nix flake metadata` and `nix flake show`. Must be a plain string."#]],
        );
        check_flake(
            &at("url", 1),
            expect![[r#"
                5:15 "url"
                **`url`**: input attribute

                Where the input comes from, as a flake reference: `github:owner/repo/ref`, `git+https://…`, `path:./dir`, `tarball+https://…`, or a registry name like `nixpkgs`."#]],
        );
        check_flake(
            &at("follows", 0),
            expect![[r#"
                5:66 "follows"
                **`follows`**: input attribute

                Use another input instead of fetching this one: `follows = "nixpkgs";`, or a path into another input's inputs, `"other/nixpkgs"`."#]],
        );
        check_flake(
            "{ inputs.x.wrong$0 = 1; nonsense = 2; }",
            expect![[r#"
                1:12 "wrong"
                **`wrong`**: not an attribute Nix knows for inputs"#]],
        );
        check_flake(
            "{ nonsense$0 = 2; }",
            expect![[r#"
                1:3 "nonsense"
                **`nonsense`**: not a flake attribute

                A flake has only `description`, `inputs`, `outputs` and `nixConfig`."#]],
        );
    }

    #[test]
    fn flake_inputs_without_a_lock() {
        check_flake(
            &at("nixpkgs.url", 0),
            expect![[r#"
                4:5 "nixpkgs"
                **input `nixpkgs`**

                url: `github:NixOS/nixpkgs/nixos-unstable`"#]],
        );
        check_flake(
            &at("src", 0),
            expect![[r#"
                7:5 "src"
                **input `src`**

                reference: `github:o/r`  
                not a flake (`flake = false`)"#]],
        );
        check_flake(
            "{ outputs = { self, other$0 }: { }; }",
            expect![[r#"
                1:21 "other"
                **input `other`**

                Not declared in `inputs`: Nix looks it up in the flake registry as `flake:other`."#]],
        );
        check_flake(
            &at("self", 0),
            expect![[r#"
                9:15 "self"
                **`self`**: this flake

                Its own outputs, and `self.outPath` (its source in the store), `self.inputs`, `self.rev` or `self.dirtyRev`, `self.lastModified`."#]],
        );
    }

    #[test]
    fn flake_inputs_with_the_lock() {
        // The declaration, the argument of `outputs`, a use, and `inputs.<name>`.
        check_flake_locked(
            &at("nixpkgs.url", 0),
            expect![[r#"
                4:5 "nixpkgs"
                **input `nixpkgs`**

                url: `github:NixOS/nixpkgs/nixos-unstable`

                **flake.lock**
                - locked: `github:NixOS/nixpkgs/25865a40d14b3f9cf19f19b924e2ab4069b09588`
                - revision: `25865a4`
                - last modified: 2024-05-05
                - narHash: `sha256-AAA=`"#]],
        );
        check_flake_locked(
            &at("nixpkgs.legacy", 0),
            expect![[r#"
                10:16 "nixpkgs"
                **input `nixpkgs`**

                url: `github:NixOS/nixpkgs/nixos-unstable`

                **flake.lock**
                - locked: `github:NixOS/nixpkgs/25865a40d14b3f9cf19f19b924e2ab4069b09588`
                - revision: `25865a4`
                - last modified: 2024-05-05
                - narHash: `sha256-AAA=`"#]],
        );
        check_flake_locked(
            &at("utils.lib;", 0),
            expect![[r#"
                14:20 "utils"
                **input `utils`**

                url: `github:numtide/flake-utils`

                **flake.lock**
                - locked: `github:numtide/flake-utils/b1d9ab70662946ef0850d488da1c9019f3a9752a`
                - revision: `b1d9ab7`
                - last modified: 1970-01-01
                - narHash: `sha256-BBB=`"#]],
        );
        check_flake_locked(
            &at("np,", 0),
            expect![[r#"
                9:37 "np"
                **input `np`**

                follows: `nixpkgs`

                **flake.lock**
                - follows `nixpkgs` (node `nixpkgs`)
                - locked: `github:NixOS/nixpkgs/25865a40d14b3f9cf19f19b924e2ab4069b09588`
                - revision: `25865a4`
                - last modified: 2024-05-05
                - narHash: `sha256-AAA=`"#]],
        );
        // An input of an input.
        check_flake_locked(
            &at("nixpkgs.follows", 0),
            expect![[r#"
                5:58 "nixpkgs"
                **input `nixpkgs` of input `utils`**

                follows: `nixpkgs`

                **flake.lock**
                - follows `nixpkgs` (node `nixpkgs`)
                - locked: `github:NixOS/nixpkgs/25865a40d14b3f9cf19f19b924e2ab4069b09588`
                - revision: `25865a4`
                - last modified: 2024-05-05
                - narHash: `sha256-AAA=`"#]],
        );
        check_flake_locked(
            &at("src", 0),
            expect![[r#"
                7:5 "src"
                **input `src`**

                reference: `github:o/r`  
                not a flake (`flake = false`)

                Not in `flake.lock` yet: `nix flake lock` adds it."#]],
        );
    }

    #[test]
    fn flake_outputs() {
        check_flake(
            &at("packages", 0),
            expect![[r#"
                12:7 "packages"
                **`packages`**: flake output

                `packages.<system>.<name>`: derivation

                Packages built by `nix build .#<name>`; `packages.<system>.default` is what `nix build` builds."#]],
        );
        check_flake(
            &at("overlay", 0),
            expect![[r#"
                13:7 "overlay"
                **`overlay`**: deprecated flake output

                Write `overlays.default` instead."#]],
        );
        check_flake(
            &at("extra", 0),
            expect![[r#"
                15:7 "extra"
                **`extra`**: flake output

                Not an output Nix knows: `nix flake check` warns about it, and other tools ignore it."#]],
        );
        check_flake(
            &at("devShells", 0),
            expect![[r#"
                17:7 "devShells"
                **`devShells`**: flake output

                `devShells.<system>.<name>`: derivation (usually `mkShell`) (here the per-system function adds `<system>`)

                Development environments entered with `nix develop .#<name>`; `devShells.<system>.default` is the one `nix develop` and flake-lsp use."#]],
        );
        check_flake(
            &at("devShell ", 0),
            expect![[r#"
                18:7 "devShell"
                **`devShell`**: deprecated flake output

                Write `devShells.default` instead."#]],
        );
        // Attributes further down are not outputs.
        check_flake(&at("default =", 0), expect!["no hover"]);
        // Through a name bound to the output set.
        check_flake(
            "{ outputs = { self }: let out = { apps$0 = { }; }; in out; }",
            expect![[r#"
                1:35 "apps"
                **`apps`**: flake output

                `apps.<system>.<name>`: `{ type = "app"; program = "/nix/store/…/bin/x"; }`

                Programs run by `nix run .#<name>`; `apps.<system>.default` is what `nix run` runs."#]],
        );
        // `outputs` not (yet) a function: its set is read as the outline and highlighting read
        // it (the diagnostic says it must be a function).
        check_flake(
            "{ outputs = { dev$0Shell = 1; }; }",
            expect![[r#"
                1:15 "devShell"
                **`devShell`**: deprecated flake output

                Write `devShells.<system>.default` instead."#]],
        );
    }

    #[test]
    fn dates() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(utc_date(1_714_906_307), "2024-05-05");
        assert_eq!(utc_date(-86_400), "1969-12-31");
        assert_eq!(utc_date(4_102_444_800), "2100-01-01");
    }

    fn check_pkgs(fixture: &str, expect: Expect) {
        let ctx =
            FileContext { packages: Some(Arc::new(crate::pkgs::index::sample())), ..FileContext::default() };
        check_in(FileKind::Nix, &ctx, fixture, expect)
    }

    /// A package the index has no details of yet: the hover says so and names the package to
    /// read by itself; once read (`record`), the hover has its version. Also before the names.
    #[test]
    fn a_package_without_details_is_wanted() {
        use crate::pkgs::{Package, PackageIndex, PackageRef, PackageSet};
        let index = Arc::new(PackageIndex::new("memory", "any"));
        let ctx = FileContext { packages: Some(index.clone()), ..FileContext::default() };
        let fixture =
            "{ nixpkgs }: let pkgs = import nixpkgs { }; in [ pkgs.hel$0lo pkgs.python3Packages.pip ]";
        let (text, offset) = cursor(fixture);
        let analysis = Analysis::of(&text, FileKind::Nix);
        let ask = |offset| hover(&analysis, &ctx, offset).map(|h| (h.markdown, h.wanted));
        let hello = PackageRef { path: vec![], name: "hello".into() };
        let still = "**`hello`**: an attribute of nixpkgs (its details are still being read)".to_string();
        assert_eq!(ask(offset), Some((still.clone(), Some(hello.clone()))), "no names yet");
        index.set_top(Arc::new(PackageSet::from_names(vec!["hello".into(), "python3Packages".into()])));
        assert_eq!(ask(offset), Some((still, Some(hello.clone()))), "names, no details");
        let version = Package::new([None, Some("2.12.1"), None, None, None, None, None]);
        index.record(hello, Some(crate::pkgs::Entry::Package(version)));
        assert_eq!(ask(offset), Some(("**`hello`** `2.12.1`".to_string(), None)));
        // A nested set not listed: its package is wanted by itself, the set is not requested.
        let pip = TextSize::from(text.find("pip").unwrap() as u32 + 1);
        let wanted = ask(pip).and_then(|(_, w)| w);
        assert_eq!(wanted, Some(PackageRef { path: vec!["python3Packages".into()], name: "pip".into() }));
    }

    #[test]
    fn packages_of_nixpkgs() {
        check_pkgs(
            "{ nixpkgs }: let pkgs = import nixpkgs { }; in pkgs.hel$0lo",
            expect![[r#"
                1:53 "hello"
                **`hello`** `2.12.1`

                A program that produces a familiar, friendly greeting

                Homepage: <https://www.gnu.org/software/hello/>  
                License: GPL-3.0-or-later

                Main program: `hello`  
                Defined in [pkgs/top-level.nix:40](file:///nix/store/abc-source/pkgs/top-level.nix#L40)"#]],
        );
        // Under `with pkgs;`, and in a nested set.
        check_pkgs(
            "{ pkgs }: with pkgs; [ ripgrep$0 ]",
            expect![[r#"
                1:24 "ripgrep"
                **`ripgrep`** `14.1.0`

                A utility that combines the usability of The Silver Searcher with the raw speed of grep

                Homepage: <https://github.com/BurntSushi/ripgrep>  
                License: Unlicense, MIT

                Defined in [pkgs/top-level.nix:90](file:///nix/store/abc-source/pkgs/top-level.nix#L90)"#]],
        );
        check_pkgs(
            "{ nixpkgs, system }: nixpkgs.legacyPackages.${system}.python311.pkgs.p$0ip",
            expect![[r#"
                1:70 "pip"
                **`python311.pkgs.pip`** `24.0`

                The PyPA recommended tool for installing Python packages

                Homepage: <https://pip.pypa.io/>  
                License: MIT

                Defined in [pkgs/top-level.nix:12](file:///nix/store/abc-source/pkgs/top-level.nix#L12)"#]],
        );
        check_pkgs(
            "{ pkgs }: pkgs.python311Packages$0",
            expect![[r#"
                1:16 "python311Packages"
                **`python311Packages`**: a set of packages in nixpkgs"#]],
        );
        // A name the index does not have, and a lexical name under `with`: the usual hover.
        check_pkgs(
            "{ pkgs }: pkgs.nosuch$0",
            expect![[r#"
                no hover"#]],
        );
        check_pkgs(
            "{ pkgs }: let hello = 1; in with pkgs; hello$0",
            expect![[r#"
                1:40 "hello"
                **`hello`**: `let` binding, defined on line 1

                ```nix
                hello = 1
                ```"#]],
        );
    }
}
