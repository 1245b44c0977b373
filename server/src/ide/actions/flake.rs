//! Fixes in `flake.nix`: deprecated outputs renamed to their replacements, and `inputs` and
//! the arguments of `outputs` brought to agree.
//!
//! Renaming an output adds bindings of the new name to the set the old one was in. Nix merges
//! bindings of one name only in some ways (`a.b = 1; a = { c = 2; };` merges, the other order
//! with `b` on both sides does not; names computed with `${ }` collide only when evaluated), so
//! the fix replays Nix's merging ([`Merge`]) over the bindings the new name would have and is
//! offered only when they merge without doubt. It is not offered either when another set of
//! outputs (joined with `//`, which does not merge) has the old or the new name.

use std::collections::HashMap;

use super::fix::{node_at, File, Fix};
use super::text::{entries, insert_after, insert_before, insert_into_set};
use crate::flake::schema::{self, DeprecatedOutput};
use crate::ide::edit::TextEdit;
use crate::syntax::scope::Resolution;
use crate::syntax::{
    attrpath_attrs, binding_parts, is_rec, static_attr_name, strip_parens, SyntaxKind, SyntaxNode, TextRange,
};
use SyntaxKind::*;

/// One attribute of a path: a name, or `${ … }` whose name is known only when evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Name(String),
    Computed,
}

/// What a binding's value is to Nix's merging: a non-`rec` set written out (with its own
/// bindings), or anything else.
#[derive(Debug, Clone)]
enum Shape {
    Set(Vec<(Vec<Part>, Shape)>),
    Other,
}

fn parts(path: &SyntaxNode) -> Vec<Part> {
    attrpath_attrs(path).map(|a| static_attr_name(&a).map_or(Part::Computed, Part::Name)).collect()
}

fn shape(value: Option<SyntaxNode>) -> Shape {
    let Some(value) = value.map(strip_parens) else { return Shape::Other };
    if value.kind() != NODE_ATTR_SET || is_rec(&value) {
        return Shape::Other;
    }
    Shape::Set(set_bindings(&value))
}

/// The bindings of a set written out, `inherit a;` as `a = <something>;`.
fn set_bindings(set: &SyntaxNode) -> Vec<(Vec<Part>, Shape)> {
    ranged_bindings(set).into_iter().map(|(_, path, shape)| (path, shape)).collect()
}

/// The same, with the range of the entry each comes from.
fn ranged_bindings(set: &SyntaxNode) -> Vec<(TextRange, Vec<Part>, Shape)> {
    let mut out = Vec::new();
    for entry in entries(set) {
        let range = entry.text_range();
        if entry.kind() == NODE_INHERIT {
            for attr in entry.children().filter(|c| c.kind() != NODE_INHERIT_FROM) {
                out.push((
                    range,
                    vec![static_attr_name(&attr).map_or(Part::Computed, Part::Name)],
                    Shape::Other,
                ));
            }
        } else if let (Some(path), value) = binding_parts(&entry) {
            out.push((range, parts(&path), shape(value)));
        }
    }
    out
}

/// Nix's merging of the bindings of one set, as its parser does it: a path goes into the
/// sets already there; a set written out merges into an existing set one level deep; any
/// other second definition is an error. Names computed with `${ }` are taken as colliding
/// with anything beside them, which is what they may do once evaluated.
#[derive(Default)]
struct Merge {
    names: HashMap<String, Option<Merge>>,
    computed: usize,
}

impl Merge {
    fn add(&mut self, path: &[Part], value: &Shape) -> Result<(), ()> {
        let (first, rest) = path.split_first().ok_or(())?;
        let name = match first {
            Part::Computed => {
                self.computed += 1;
                return if self.computed > 1 || !self.names.is_empty() { Err(()) } else { Ok(()) };
            }
            Part::Name(name) if self.computed == 0 => name,
            Part::Name(_) => return Err(()),
        };
        if !rest.is_empty() {
            let inner = self.names.entry(name.clone()).or_insert_with(|| Some(Merge::default()));
            return inner.as_mut().ok_or(())?.add(rest, value);
        }
        let new = Merge::of(value)?;
        match (self.names.get_mut(name), new) {
            (None, new) => {
                self.names.insert(name.clone(), new);
                Ok(())
            }
            (Some(Some(existing)), Some(new)) => {
                for (key, value) in new.names {
                    if existing.names.insert(key, value).is_some() {
                        return Err(());
                    }
                }
                existing.computed += new.computed;
                if existing.computed > 1 || (existing.computed > 0 && !existing.names.is_empty()) {
                    return Err(());
                }
                Ok(())
            }
            _ => Err(()),
        }
    }

    fn of(value: &Shape) -> Result<Option<Merge>, ()> {
        match value {
            Shape::Other => Ok(None),
            Shape::Set(bindings) => {
                let mut set = Merge::default();
                for (path, value) in bindings {
                    set.add(path, value)?;
                }
                Ok(Some(set))
            }
        }
    }
}

/// "Use `devShells.<system>.default`": renames every binding of the deprecated output in its
/// set, adding the `default` layer where the replacement has it.
pub(super) fn deprecated_output(file: &File, range: TextRange) -> Vec<Fix> {
    let Some(attr) = node_at(&file.root, range, &[NODE_IDENT, NODE_STRING, NODE_DYNAMIC]) else {
        return Vec::new();
    };
    let Some(set) = attr.parent().and_then(|p| p.parent()).and_then(|b| b.parent()) else {
        return Vec::new();
    };
    let Some(dep) = static_attr_name(&attr).and_then(|n| schema::deprecated_output(&n)) else {
        return Vec::new();
    };
    let Some(flake) = file.analysis.flake() else { return Vec::new() };
    let Some(per_system) = flake.output_set(&set).map(|s| s.per_system) else {
        return Vec::new();
    };
    let sets: Vec<SyntaxNode> = flake.output_sets().map(|s| s.node.to_node(&file.root)).collect();
    let new_name = dep.replacement.split('.').next().unwrap_or(dep.replacement);
    // Another set of outputs with either name: `//` would keep one and drop the other.
    let elsewhere = sets.iter().filter(|s| **s != set).any(|s| {
        set_bindings(s)
            .iter()
            .any(|(p, _)| matches!(p.first(), Some(Part::Name(n)) if n == dep.name || n == new_name))
    });
    if elsewhere || (per_system && !dep.per_system) {
        return Vec::new();
    }
    let Some(rename) = rename(file, &set, dep, new_name, per_system) else { return Vec::new() };
    // The bindings the new name has afterwards, in the order Nix reads them, must merge.
    let mut merged: Vec<(TextRange, Vec<Part>, Shape)> = rename.bindings;
    let new_part = Part::Name(new_name.to_string());
    merged.extend(ranged_bindings(&set).into_iter().filter(|(_, path, _)| path.first() == Some(&new_part)));
    merged.sort_by_key(|(r, _, _)| r.start());
    let mut merge = Merge::default();
    if merged.iter().any(|(_, path, value)| merge.add(path, value).is_err()) {
        return Vec::new();
    }
    let target = if per_system && dep.per_system {
        format!("{new_name}.default")
    } else {
        dep.replacement.to_string()
    };
    let title = format!("Use `{target}` instead of `{}`{}", dep.name, rename.note);
    vec![Fix { title, edits: rename.edits, preferred: rename.note.is_empty() }]
}

struct Rename {
    edits: Vec<TextEdit>,
    /// The new bindings, by the range of the old ones.
    bindings: Vec<(TextRange, Vec<Part>, Shape)>,
    /// Said in the title when the fix is not the plain rename.
    note: &'static str,
}

/// The edits that rename every binding of `dep` in `set`.
fn rename(
    file: &File,
    set: &SyntaxNode,
    dep: &DeprecatedOutput,
    new_name: &str,
    per_system: bool,
) -> Option<Rename> {
    let mut out = Rename { edits: Vec::new(), bindings: Vec::new(), note: "" };
    for entry in entries(set) {
        let (Some(path), value) = binding_parts(&entry) else { continue };
        let attrs: Vec<SyntaxNode> = attrpath_attrs(&path).collect();
        let Some(first) = attrs.first() else { continue };
        if static_attr_name(first).as_deref() != Some(dep.name) {
            continue;
        }
        let rest = parts(&path)[1..].to_vec();
        let name = |parts: &[Part]| [vec![Part::Name(new_name.to_string())], parts.to_vec()].concat();
        let default = Part::Name("default".to_string());
        if !dep.per_system || per_system {
            // `overlay = e;` → `overlays.default = e;`, and in a per-system function
            // `devShell = e;` → `devShells.default = e;`.
            out.edits.push(TextEdit::replace(first.text_range(), format!("{new_name}.default")));
            let path = name(&[vec![default], rest].concat());
            out.bindings.push((entry.text_range(), path, shape(value)));
        } else if let Some(system) = attrs.get(1) {
            // `devShell.x86_64-linux = e;` → `devShells.x86_64-linux.default = e;`
            out.edits.push(TextEdit::replace(first.text_range(), new_name));
            out.edits.push(TextEdit::insert(system.text_range().end(), ".default"));
            let path = name(&[vec![rest[0].clone(), default], rest[1..].to_vec()].concat());
            out.bindings.push((entry.text_range(), path, shape(value)));
        } else {
            let value = value?;
            let inner = strip_parens(value.clone());
            out.edits.push(TextEdit::replace(first.text_range(), new_name));
            if inner.kind() == NODE_ATTR_SET && !is_rec(&inner) {
                // `devShell = { x86_64-linux = e; };` → `devShells = { x86_64-linux.default = e; };`
                let mut systems = Vec::new();
                for system in entries(&inner) {
                    let (Some(system_path), system_value) = binding_parts(&system) else { return None };
                    let system_attr = attrpath_attrs(&system_path).next()?;
                    out.edits.push(TextEdit::insert(system_attr.text_range().end(), ".default"));
                    let p = parts(&system_path);
                    systems.push((
                        [vec![p[0].clone(), default.clone()], p[1..].to_vec()].concat(),
                        shape(system_value),
                    ));
                }
                out.bindings.push((entry.text_range(), name(&[]), Shape::Set(systems)));
            } else {
                // `devShell = f …;` → `devShells = builtins.mapAttrs (…) (f …);`
                if !builtins_is_global(file) {
                    return None;
                }
                let wrapped =
                    format!("builtins.mapAttrs (_system: value: {{ default = value; }}) ({})", value.text());
                out.edits.push(TextEdit::replace(value.text_range(), wrapped));
                out.bindings.push((entry.text_range(), name(&[]), Shape::Other));
                out.note = ", wrapping each system's value";
            }
        }
    }
    (!out.edits.is_empty()).then_some(out)
}

/// Whether `builtins` means Nix's builtins everywhere in the file (no binding shadows it).
fn builtins_is_global(file: &File) -> bool {
    !file.analysis.names().defs.iter().any(|d| d.name == "builtins")
}

/// "Declare input `x` as `flake:x`": what Nix does implicitly for an `outputs` argument
/// that is not an input, written out; placed as the other inputs are written.
pub(super) fn declare_input(file: &File, range: TextRange) -> Vec<Fix> {
    let Some(name) = file.text.get(usize::from(range.start())..usize::from(range.end())) else {
        return Vec::new();
    };
    let Some(flake) = file.analysis.flake() else { return Vec::new() };
    let Some(root_set) = flake.root_set.map(|s| s.to_node(&file.root)) else { return Vec::new() };
    let url = format!("url = \"flake:{name}\";");
    let inputs: Vec<_> = flake.bindings.iter().filter(|b| b.name.as_deref() == Some("inputs")).collect();
    let edit = if let Some(whole) = inputs.iter().find(|b| b.rest.is_empty()) {
        // `inputs = { … };`
        let set = whole
            .value
            .map(|v| strip_parens(v.to_node(&file.root)))
            .filter(|v| v.kind() == NODE_ATTR_SET && !is_rec(v));
        set.and_then(|set| insert_into_set(file.text, &set, &format!("{name}.{url}")))
    } else if let Some(last) = inputs.last() {
        // `inputs.a.url = …;` bindings.
        Some(insert_after(file.text, &last.binding.to_node(&file.root), &format!("inputs.{name}.{url}")))
    } else {
        let outputs = flake.bindings.iter().find(|b| b.name.as_deref() == Some("outputs"));
        match outputs {
            Some(outputs) => Some(insert_before(
                file.text,
                &outputs.binding.to_node(&file.root),
                &format!("inputs.{name}.{url}"),
            )),
            None => insert_into_set(file.text, &root_set, &format!("inputs.{name}.{url}")),
        }
    };
    let Some(edit) = edit else { return Vec::new() };
    let title = format!("Declare input `{name}` as `flake:{name}` (the registry entry Nix looks up now)");
    vec![Fix::preferred(title, vec![edit])]
}

/// "Receive input `x` in `outputs`" (and, when it is missing, "accept any input with `...`").
pub(super) fn receive_input(file: &File, range: TextRange, missing: bool) -> Vec<Fix> {
    let Some(attr) = node_at(&file.root, range, &[NODE_IDENT, NODE_STRING, NODE_DYNAMIC]) else {
        return Vec::new();
    };
    let Some(name) = static_attr_name(&attr) else { return Vec::new() };
    let Some(lambda) = file.analysis.flake().and_then(|f| f.outputs_lambda).map(|l| l.to_node(&file.root))
    else {
        return Vec::new();
    };
    let Some(pattern) = lambda.children().find(|c| c.kind() == NODE_PATTERN) else { return Vec::new() };
    let mut fixes = Vec::new();
    // The formal must be a name (`nixpkgs`, not `"my input"`), and must not take the place
    // of a name the body already means otherwise.
    let names = file.analysis.names();
    let shadows = names.refs.iter().any(|r| {
        r.name == name
            && lambda.text_range().contains_range(r.range)
            && !matches!(r.resolution, Resolution::Def(_))
    });
    if is_identifier(&name) && !shadows {
        if let Some(edit) = add_formal(file.text, &pattern, &name) {
            let title = if missing {
                format!("Add `{name}` to the arguments of `outputs`")
            } else {
                format!("Receive input `{name}` in `outputs`")
            };
            fixes.push(Fix::preferred(title, vec![edit]));
        }
    }
    if missing {
        if let Some(edit) = add_formal(file.text, &pattern, "...") {
            fixes.push(Fix::other(
                "Add `...` to the arguments of `outputs`, to accept every input",
                vec![edit],
            ));
        }
    }
    fixes
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    let keyword =
        matches!(name, "if" | "then" | "else" | "assert" | "with" | "let" | "in" | "rec" | "inherit" | "or");
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '\'' | '-'))
        && !keyword
}

/// Adds `formal` (a name, or `...`) to a pattern, after its last entry and laid out like the
/// entries before it: `{ a, b }` → `{ a, b, x }`, one per line with commas first or last.
fn add_formal(text: &str, pattern: &SyntaxNode, formal: &str) -> Option<TextEdit> {
    let items: Vec<rowan::SyntaxElement<rnix::NixLanguage>> = pattern
        .children_with_tokens()
        .filter(|e| matches!(e.kind(), NODE_PAT_ENTRY | TOKEN_ELLIPSIS))
        .collect();
    let entries: Vec<_> = items.iter().filter(|e| e.kind() == NODE_PAT_ENTRY).collect();
    let ellipsis = items.iter().find(|e| e.kind() == TOKEN_ELLIPSIS);
    let slice = |r: TextRange| &text[usize::from(r.start())..usize::from(r.end())];
    // The separator: one comma and whitespace.
    let separator = |a: TextRange, b: TextRange| {
        let gap = slice(TextRange::new(a.end(), b.start()));
        (gap.matches(',').count() == 1 && gap.replace(',', "").trim().is_empty()).then(|| gap.to_string())
    };
    let Some(last) = entries.last().map(|e| e.text_range()) else {
        // No entries: `{ ... }` or `{ }`.
        return match ellipsis {
            Some(_) if formal == "..." => None,
            Some(e) => Some(TextEdit::insert(e.text_range().start(), format!("{formal}, "))),
            None => {
                let open = pattern.children_with_tokens().find(|e| e.kind() == TOKEN_L_BRACE)?;
                Some(TextEdit::insert(open.text_range().end(), format!(" {formal}")))
            }
        };
    };
    let next = match ellipsis {
        Some(e) if formal != "..." => Some(e.text_range()),
        _ => None,
    };
    let gap = match next {
        Some(next) => separator(last, next),
        None => entries.len().checked_sub(2).and_then(|i| separator(entries[i].text_range(), last)),
    };
    let gap = gap.unwrap_or_else(|| ", ".to_string());
    // A comma after the last entry (`{ a, b, }`): the new one goes after it.
    let trailing = pattern
        .children_with_tokens()
        .skip_while(|e| e.text_range() != last)
        .skip(1)
        .find(|e| !matches!(e.kind(), TOKEN_WHITESPACE | TOKEN_COMMENT))
        .filter(|e| e.kind() == TOKEN_COMMA && next.is_none());
    match trailing {
        Some(comma) => {
            let spacing = gap.replacen(',', "", 1);
            let formal = if formal == "..." { formal.to_string() } else { format!("{formal},") };
            Some(TextEdit::insert(comma.text_range().end(), format!("{spacing}{formal}")))
        }
        None => Some(TextEdit::insert(last.end(), format!("{gap}{formal}"))),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::tests::check_kind;
    use crate::ide::FileKind;
    use expect_test::{expect, Expect};

    fn check(marked: &str, expect: Expect) {
        check_kind(marked, FileKind::Flake, expect)
    }

    /// Flakes with something to fix, for the check with Nix's parser.
    pub(crate) const FIXTURES: &[&str] = &[
        "{ outputs = { self }: { devShell.x86_64-linux = 1; }; }",
        "{ outputs = { self }: { devShell = { x86_64-linux = 1; aarch64-linux = 2; }; }; }",
        "{ outputs = { self }: { devShell = import ./shells.nix; }; }",
        "{ outputs = { self }: { devShell = rec { x = 1; y = x; }; }; }",
        "{ outputs = { self, u }: u.lib.eachDefaultSystem (system: { devShell = 1; defaultPackage = 2; }); }",
        "{ outputs = { self }: { overlay = final: prev: { }; nixosModule = { }; defaultTemplate = { path = ./t; }; }; }",
        "{ outputs = { self }: let system = \"x86_64-linux\"; in { defaultPackage.${system} = 1; packages.${system}.x = 2; }; }",
        "{ outputs = { self }: { defaultApp.x86_64-linux = 1; apps.x86_64-linux.other = 2; }; }",
        "{\r\n  outputs = { self }: {\r\n    defaultBundler.x86_64-linux = 1;\r\n  };\r\n}\r\n",
        "{\n  inputs = {\n    nixpkgs.url = \"github:NixOS/nixpkgs\";\n  };\n  outputs = { self, nixpkgs, utils }: { };\n}\n",
        "{\n  inputs.nixpkgs.url = \"github:NixOS/nixpkgs\";\n  outputs = { self, nixpkgs, utils }: { };\n}\n",
        "{\n  description = \"x\";\n  outputs = { self, utils }: { };\n}\n",
        "{ inputs = { }; outputs = { self, utils }: { }; }",
        "{\n  inputs.a.url = \"path:./a\";\n  inputs.b.url = \"path:./b\";\n  outputs = { self, a }: { };\n}\n",
        "{\n  inputs.a.url = \"path:./a\";\n  inputs.b.url = \"path:./b\";\n  outputs =\n    { self\n    , a\n    , ...\n    }: { };\n}\n",
        "{\n  inputs.a.url = \"path:./a\";\n  inputs.b.url = \"path:./b\";\n  outputs = {\n    self,\n    a,\n  }: { };\n}\n",
    ];

    #[test]
    fn deprecated_per_system_outputs_at_the_top() {
        check(
            "{ outputs = { self }: { $0devShell.x86_64-linux = 1; }; }",
            expect![[r#"
                --- Use `devShells.<system>.default` instead of `devShell` (preferred)
                { outputs = { self }: { devShells.x86_64-linux.default = 1; }; }
            "#]],
        );
        check(
            "{ outputs = { self }: {\n  $0devShell = {\n    x86_64-linux = 1;\n    \"aarch64-linux\" = 2;\n  };\n}; }",
            expect![[r#"
                --- Use `devShells.<system>.default` instead of `devShell` (preferred)
                { outputs = { self }: {
                  devShells = {
                    x86_64-linux.default = 1;
                    "aarch64-linux".default = 2;
                  };
                }; }
            "#]],
        );
        check(
            "{ outputs = { self }: { $0devShell = import ./shells.nix; }; }",
            expect![[r#"
                --- Use `devShells.<system>.default` instead of `devShell`, wrapping each system's value
                { outputs = { self }: { devShells = builtins.mapAttrs (_system: value: { default = value; }) (import ./shells.nix); }; }
            "#]],
        );
        check(
            "{ outputs = { self }: let system = \"x86_64-linux\"; in { $0defaultPackage.${system} = 1; }; }",
            expect![[r#"
                --- Use `packages.<system>.default` instead of `defaultPackage` (preferred)
                { outputs = { self }: let system = "x86_64-linux"; in { packages.${system}.default = 1; }; }
            "#]],
        );
    }

    #[test]
    fn deprecated_outputs_in_each_default_system() {
        check(
            "{ outputs = { self, u }: u.lib.eachDefaultSystem (system: {\r\n  $0devShell = 1;\r\n  defaultPackage = 2;\r\n}); }",
            expect![[r#"
                --- Use `devShells.default` instead of `devShell` (preferred)
                { outputs = { self, u }: u.lib.eachDefaultSystem (system: {\r
                  devShells.default = 1;\r
                  defaultPackage = 2;\r
                }); }
            "#]],
        );
        // Not offered: `overlay` has no system layer, so it does not belong there at all.
        check(
            "{ outputs = { self, u }: u.lib.eachDefaultSystem (system: { $0overlay = 1; }); }",
            expect![""],
        );
    }

    #[test]
    fn deprecated_outputs_without_a_system_layer() {
        check(
            "{ outputs = { self }: { $0overlay = final: prev: { };$0 nixosModule = { }; defaultTemplate = { path = ./t; }; }; }",
            expect![[r#"
                --- Use `overlays.default` instead of `overlay` (preferred)
                { outputs = { self }: { overlays.default = final: prev: { }; nixosModule = { }; defaultTemplate = { path = ./t; }; }; }
            "#]],
        );
        check(
            "{ outputs = { self }: { $0nixosModule.imports = [ ]; }; }",
            expect![[r#"
                --- Use `nixosModules.default` instead of `nixosModule` (preferred)
                { outputs = { self }: { nixosModules.default.imports = [ ]; }; }
            "#]],
        );
    }

    #[test]
    fn deprecated_outputs_merge_with_their_replacement() {
        // The new binding merges with the existing ones.
        check(
            "{ outputs = { self }: { $0defaultApp.x86_64-linux = 1; apps.x86_64-linux.other = 2; }; }",
            expect![[r#"
                --- Use `apps.<system>.default` instead of `defaultApp` (preferred)
                { outputs = { self }: { apps.x86_64-linux.default = 1; apps.x86_64-linux.other = 2; }; }
            "#]],
        );
        check(
            "{ outputs = { self }: { $0overlay = 1; overlays = { other = 2; }; }; }",
            expect![[r#"
                --- Use `overlays.default` instead of `overlay` (preferred)
                { outputs = { self }: { overlays.default = 1; overlays = { other = 2; }; }; }
            "#]],
        );
        check(
            "{ outputs = { self }: { $0devShell.x = 1; devShell.y = 2; }; }",
            expect![[r#"
                --- Use `devShells.<system>.default` instead of `devShell` (preferred)
                { outputs = { self }: { devShells.x.default = 1; devShells.y.default = 2; }; }
            "#]],
        );
        // Not offered: both define `default` (a duplicate), a later set written out cannot
        // merge into a path's `x86_64-linux`, or the other set is not written out.
        for text in [
            "{ outputs = { self }: { $0devShell.x86_64-linux = 1; devShells.x86_64-linux.default = 2; }; }",
            "{ outputs = { self }: { $0devShell.x86_64-linux = 1; devShells = { x86_64-linux.b = 2; }; }; }",
            "{ outputs = { self }: { $0devShell.x86_64-linux = 1; devShells = import ./s.nix; }; }",
            "{ outputs = { self }: { $0overlay = 1; inherit (self) overlays; }; }",
            "{ outputs = { self }: let s = \"x\"; in { $0devShell.${s} = 1; devShells.${s}.b = 2; }; }",
            "{ outputs = { self }: { $0devShell = import ./s.nix; devShells.x.b = 2; }; }",
            // `//` does not merge: the right side would drop the left side's `devShells`.
            "{ outputs = { self, u }: { devShells.x.a = 1; } // u.lib.eachDefaultSystem (s: { $0devShell = 1; }); }",
            "{ outputs = { self }: let builtins = 1; in { $0devShell = import ./s.nix; }; }",
        ] {
            check(text, expect![""]);
        }
    }

    #[test]
    fn declare_input() {
        check(
            "{\n  inputs = {\n    nixpkgs.url = \"github:NixOS/nixpkgs\"; # stable\n  };\n  outputs = { self, nixpkgs, $0utils }: { };\n}\n",
            expect![[r#"
                --- Declare input `utils` as `flake:utils` (the registry entry Nix looks up now) (preferred)
                {
                  inputs = {
                    nixpkgs.url = "github:NixOS/nixpkgs"; # stable
                    utils.url = "flake:utils";
                  };
                  outputs = { self, nixpkgs, utils }: { };
                }

            "#]],
        );
        check(
            "{\r\n  inputs.nixpkgs.url = \"github:NixOS/nixpkgs\";\r\n  outputs = { self, nixpkgs, $0utils }: { };\r\n}\r\n",
            expect![[r#"
                --- Declare input `utils` as `flake:utils` (the registry entry Nix looks up now) (preferred)
                {\r
                  inputs.nixpkgs.url = "github:NixOS/nixpkgs";\r
                  inputs.utils.url = "flake:utils";\r
                  outputs = { self, nixpkgs, utils }: { };\r
                }\r

            "#]],
        );
        check(
            "{\n  description = \"x\";\n  outputs = { self, $0utils }: { };\n}\n",
            expect![[r#"
                --- Declare input `utils` as `flake:utils` (the registry entry Nix looks up now) (preferred)
                {
                  description = "x";
                  inputs.utils.url = "flake:utils";
                  outputs = { self, utils }: { };
                }

            "#]],
        );
        check(
            "{ inputs = { }; outputs = { self, $0utils }: { }; }",
            expect![[r#"
                --- Declare input `utils` as `flake:utils` (the registry entry Nix looks up now) (preferred)
                { inputs = { utils.url = "flake:utils"; }; outputs = { self, utils }: { }; }
            "#]],
        );
    }

    #[test]
    fn receive_input() {
        check(
            "{\n  inputs.a.url = \"path:./a\";\n  inputs.$0b.url = \"path:./b\";\n  outputs = { self, a }: { };\n}\n",
            expect![[r#"
                --- Add `b` to the arguments of `outputs` (preferred)
                {
                  inputs.a.url = "path:./a";
                  inputs.b.url = "path:./b";
                  outputs = { self, a, b }: { };
                }

                --- Add `...` to the arguments of `outputs`, to accept every input
                {
                  inputs.a.url = "path:./a";
                  inputs.b.url = "path:./b";
                  outputs = { self, a, ... }: { };
                }

            "#]],
        );
        check(
            "{\n  inputs.a.url = \"path:./a\";\n  inputs.$0b.url = \"path:./b\";\n  outputs =\n    { self\n    , a\n    , ...\n    }: { };\n}\n",
            expect![[r#"
                --- Receive input `b` in `outputs` (preferred)
                {
                  inputs.a.url = "path:./a";
                  inputs.b.url = "path:./b";
                  outputs =
                    { self
                    , a
                    , b
                    , ...
                    }: { };
                }

            "#]],
        );
        check(
            "{\n  inputs.a.url = \"path:./a\";\n  inputs.$0b.url = \"path:./b\";\n  outputs = {\n    self,\n    a,\n  }: { };\n}\n",
            expect![[r#"
                --- Add `b` to the arguments of `outputs` (preferred)
                {
                  inputs.a.url = "path:./a";
                  inputs.b.url = "path:./b";
                  outputs = {
                    self,
                    a,
                    b,
                  }: { };
                }

                --- Add `...` to the arguments of `outputs`, to accept every input
                {
                  inputs.a.url = "path:./a";
                  inputs.b.url = "path:./b";
                  outputs = {
                    self,
                    a,
                    ...
                  }: { };
                }

            "#]],
        );
        // Not a name a formal can have; `...` still works.
        check(
            "{ inputs.\"$0my input\".url = \"path:./a\"; outputs = { self }: { }; }",
            expect![[r#"
                --- Add `...` to the arguments of `outputs`, to accept every input
                { inputs."my input".url = "path:./a"; outputs = { self, ... }: { }; }
            "#]],
        );
    }
}
