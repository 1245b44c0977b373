//! What `outputs` returns, read without evaluation: the attribute sets its result is made of,
//! found through `let … in`, `with`, `assert`, both branches of `if`, both sides of `//`,
//! names bound to a value (`let shell = { … }; in shell`), and the function given to a
//! per-system function (`flake-utils.lib.eachDefaultSystem (system: { … })`,
//! `eachSystem [ … ] (system: …)`), which puts every attribute of its result under a system.
//!
//! Each expression is walked once, so a value bound to a name used twice is walked once and a
//! name bound to itself ends; nothing deeper than [`MAX_DEPTH`] steps is followed.

use std::collections::HashSet;
use std::fmt;

use super::schema;
use crate::syntax::scope::{NameResolution, Resolution};
use crate::syntax::{
    attrpath_attrs, binding_parts, covering_node, function_name, static_attr_name, strip_parens, NodePtr,
    SyntaxKind, SyntaxNode, TextRange,
};
use SyntaxKind::*;

/// How many steps (`let`, `//`, a name, a per-system call, …) are followed towards the sets.
const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartKind {
    /// A `let … in` on the way to the result: its bindings are the function's helpers.
    Let,
    /// An attribute set the result is made of (alone, or merged with `//`).
    Set,
    /// Some other expression giving (part of) the result, such as `mkFlake { … } { … }` or a
    /// name bound where its value is not known.
    Other,
}

/// A piece of what `outputs` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputPart {
    pub kind: PartKind,
    pub node: NodePtr,
    /// Inside the function given to a per-system function, which adds the `<system>` layer
    /// itself (`devShells.default` there is `devShells.<system>.default`).
    pub per_system: bool,
    /// Reached through a name bound to it (`let shell = { … }; in shell`), not written in the
    /// result itself; the outline lists such a value where it is bound instead.
    pub through_name: bool,
}

/// One binding `path = value;` of a set `outputs` returns: an output, or part of one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputDef {
    /// The attribute path as written (`packages.x86_64-linux.default` has three names);
    /// `None` for a name computed with `${ }`.
    pub path: Vec<Option<String>>,
    /// Where the first name, the output's, is written.
    pub name_range: TextRange,
    pub binding: NodePtr,
    /// The set the binding is in.
    pub set: NodePtr,
    /// Whether a per-system function adds the system layer (see [`OutputPart::per_system`]).
    pub per_system: bool,
}

impl OutputDef {
    /// The output's name, when it is written without `${ }`.
    pub fn name(&self) -> Option<&str> {
        self.path.first()?.as_deref()
    }
}

/// The path the output has once evaluated: `packages.<system>.foo` for `packages.foo` written
/// inside a per-system function, `${…}` for a computed name.
impl fmt::Display for OutputDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, name) in self.path.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            f.write_str(name.as_deref().unwrap_or("${…}"))?;
            if i == 0 && self.per_system {
                f.write_str(".<system>")?;
            }
        }
        Ok(())
    }
}

/// The parts of the value bound to `outputs`: for a function written out, of its body; for
/// anything else (not a flake Nix accepts, but written while typing), of the value itself.
pub(super) fn parts(outputs: &SyntaxNode, names: &NameResolution) -> Vec<OutputPart> {
    let value = strip_parens(outputs.clone());
    let body = if value.kind() == NODE_LAMBDA { value.children().nth(1) } else { Some(value) };
    let mut walk = Walk { names, visited: HashSet::new(), out: Vec::new() };
    if let Some(body) = body {
        walk.expr(&body, Along::default(), 0);
    }
    walk.out
}

/// The bindings of the sets among `parts`, in the order the sets were found.
pub(super) fn definitions(parts: &[OutputPart], root: &SyntaxNode) -> Vec<OutputDef> {
    let mut out = Vec::new();
    for part in parts.iter().filter(|p| p.kind == PartKind::Set) {
        let Some(set) = part.node.try_to_node(root) else { continue };
        for entry in set.children().filter(|c| c.kind() == NODE_ATTRPATH_VALUE) {
            let (Some(path), _) = binding_parts(&entry) else { continue };
            let attrs: Vec<SyntaxNode> = attrpath_attrs(&path).collect();
            let Some(first) = attrs.first() else { continue };
            out.push(OutputDef {
                path: attrs.iter().map(static_attr_name).collect(),
                name_range: first.text_range(),
                binding: NodePtr::new(&entry),
                set: part.node,
                per_system: part.per_system,
            });
        }
    }
    out
}

/// `eachDefaultSystem`, `flake-utils.lib.eachSystem [ … ]`: a function that calls the
/// function given to it once per system and puts each attribute of its result under the
/// system. Known by the last name of its path.
pub fn is_per_system_function(function: &SyntaxNode) -> bool {
    function_name(function).is_some_and(|name| schema::PER_SYSTEM_FUNCTIONS.contains(&name.as_str()))
}

/// How a part was reached.
#[derive(Debug, Clone, Copy, Default)]
struct Along {
    per_system: bool,
    through_name: bool,
}

struct Walk<'a> {
    names: &'a NameResolution,
    visited: HashSet<TextRange>,
    out: Vec<OutputPart>,
}

impl Walk<'_> {
    fn expr(&mut self, expr: &SyntaxNode, along: Along, depth: usize) {
        let expr = strip_parens(expr.clone());
        if depth > MAX_DEPTH || !self.visited.insert(expr.text_range()) {
            return;
        }
        let part = |kind| OutputPart {
            kind,
            node: NodePtr::new(&expr),
            per_system: along.per_system,
            through_name: along.through_name,
        };
        match expr.kind() {
            NODE_ATTR_SET => self.out.push(part(PartKind::Set)),
            NODE_LET_IN => {
                self.out.push(part(PartKind::Let));
                let body = expr
                    .children()
                    .last()
                    .filter(|b| !matches!(b.kind(), NODE_ATTRPATH_VALUE | NODE_INHERIT));
                if let Some(body) = body {
                    self.expr(&body, along, depth + 1);
                }
            }
            NODE_WITH | NODE_ASSERT => {
                if let Some(body) = expr.children().nth(1) {
                    self.expr(&body, along, depth + 1);
                }
            }
            NODE_IF_ELSE => {
                for branch in expr.children().skip(1) {
                    self.expr(&branch, along, depth + 1);
                }
            }
            NODE_BIN_OP if expr.children_with_tokens().any(|e| e.kind() == TOKEN_UPDATE) => {
                for side in expr.children() {
                    self.expr(&side, along, depth + 1);
                }
            }
            NODE_APPLY if expr.children().next().is_some_and(|f| is_per_system_function(&f)) => {
                // The function given last: its body is the result for each system.
                let Some(function) = expr.children().nth(1).map(strip_parens) else { return };
                let body =
                    if function.kind() == NODE_LAMBDA { function.children().nth(1) } else { Some(function) };
                if let Some(body) = body {
                    self.expr(&body, Along { per_system: true, ..along }, depth + 1);
                }
            }
            NODE_IDENT => match self.bound_value(&expr) {
                Some(value) => self.expr(&value, Along { through_name: true, ..along }, depth + 1),
                None => self.out.push(part(PartKind::Other)),
            },
            _ => self.out.push(part(PartKind::Other)),
        }
    }

    /// The value a name is bound to, when it is bound to one (`let`, `rec`).
    fn bound_value(&self, ident: &SyntaxNode) -> Option<SyntaxNode> {
        let reference = self.names.refs.iter().find(|r| r.range == ident.text_range())?;
        let Resolution::Def(def) = reference.resolution else { return None };
        covering_node(ident, self.names.defs[def].value_range?)
    }
}

#[cfg(test)]
mod tests {
    use expect_test::{expect, Expect};

    use crate::ide::{Analysis, FileKind};
    use crate::syntax::TextRange;

    /// The parts and definitions the model finds in a flake, one per line: the kind and the
    /// text of each part (`per system`, `through a name` when so), then each definition's
    /// path.
    fn check(text: &str, expect: Expect) {
        let analysis = Analysis::of(text, FileKind::Flake);
        let model = analysis.flake().expect("a flake.nix has a model");
        let excerpt = |range: TextRange| {
            let covered = &text[std::ops::Range::<usize>::from(range)];
            let flat = covered.split_whitespace().collect::<Vec<_>>().join(" ");
            if flat.chars().count() > 40 {
                format!("{}…", flat.chars().take(39).collect::<String>())
            } else {
                flat
            }
        };
        let mut out = String::new();
        for part in &model.output_parts {
            let mut notes = Vec::new();
            if part.per_system {
                notes.push("per system");
            }
            if part.through_name {
                notes.push("through a name");
            }
            let notes = if notes.is_empty() { String::new() } else { format!(" ({})", notes.join(", ")) };
            out.push_str(&format!("{:?} `{}`{notes}\n", part.kind, excerpt(part.node.text_range())));
        }
        for def in model.output_definitions() {
            out.push_str(&format!("def {def}\n"));
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn a_set_written_out() {
        check(
            "{ outputs = { self }: { packages.x86_64-linux.default = 1; overlays.default = f: p: { }; }; }",
            expect![[r#"
                Set `{ packages.x86_64-linux.default = 1; ov…`
                def packages.x86_64-linux.default
                def overlays.default
            "#]],
        );
    }

    #[test]
    fn through_let_and_names() {
        check(
            "{ outputs = { self }: let shell = { devShells.x.default = 1; }; all = shell // { lib = 2; }; in all; }",
            expect![[r#"
                Let `let shell = { devShells.x.default = 1; …`
                Set `{ devShells.x.default = 1; }` (through a name)
                Set `{ lib = 2; }` (through a name)
                def devShells.x.default
                def lib
            "#]],
        );
    }

    #[test]
    fn both_sides_of_update_and_if() {
        check(
            "{ outputs = { self }: { a = 1; } // (if true then { b = 2; } else { c = 3; }) // other; }",
            expect![[r#"
                Set `{ a = 1; }`
                Set `{ b = 2; }`
                Set `{ c = 3; }`
                Other `other`
                def a
                def b
                def c
            "#]],
        );
    }

    #[test]
    fn with_and_assert() {
        check(
            "{ outputs = { self, nixpkgs }: with nixpkgs.lib; assert true; { lib = 1; }; }",
            expect![[r#"
                Set `{ lib = 1; }`
                def lib
            "#]],
        );
    }

    #[test]
    fn each_default_system() {
        check(
            r#"{
  outputs = { self, flake-utils }: { overlays.default = 1; } // flake-utils.lib.eachDefaultSystem (system: {
    packages.hello = 1;
    devShell = 2;
  });
}"#,
            expect![[r#"
                Set `{ overlays.default = 1; }`
                Set `{ packages.hello = 1; devShell = 2; }` (per system)
                def overlays.default
                def packages.<system>.hello
                def devShell.<system>
            "#]],
        );
    }

    #[test]
    fn each_system_with_a_list_and_a_named_function() {
        check(
            r#"{
  outputs = { self, u }:
    let perSystem = { packages.${"x"} = 1; }; in
    (u.lib.eachSystem [ "x86_64-linux" ]) (system: perSystem) // eachSystem [ ] (s: let p = 1; in { apps.a = p; });
}"#,
            expect![[r#"
                Let `let perSystem = { packages.${"x"} = 1; …`
                Set `{ packages.${"x"} = 1; }` (per system, through a name)
                Let `let p = 1; in { apps.a = p; }` (per system)
                Set `{ apps.a = p; }` (per system)
                def packages.<system>.x
                def apps.<system>.a
            "#]],
        );
    }

    #[test]
    fn a_shared_value_is_walked_once() {
        // `common` is used three times; its set is found once, the first way it is reached.
        check(
            r#"{
  outputs = { self, u }:
    let common = { formatter = 1; } // { checks = 2; }; in
    common // u.lib.eachDefaultSystem (system: common) // common;
}"#,
            expect![[r#"
                Let `let common = { formatter = 1; } // { ch…`
                Set `{ formatter = 1; }` (through a name)
                Set `{ checks = 2; }` (through a name)
                def formatter
                def checks
            "#]],
        );
    }

    #[test]
    fn names_bound_to_themselves_end() {
        check(
            "{ outputs = { self }: let a = b // { x = 1; }; b = a // { y = 2; }; c = c; in a // c; }",
            expect![[r#"
                Let `let a = b // { x = 1; }; b = a // { y =…`
                Set `{ y = 2; }` (through a name)
                Set `{ x = 1; }` (through a name)
                def y
                def x
            "#]],
        );
    }

    #[test]
    fn depth_is_bounded() {
        // Forty names, each bound to the next: the sets past the limit are not reached.
        let bindings: String = (0..40).map(|i| format!("n{i} = n{};", i + 1)).collect();
        let text = format!("{{ outputs = {{ self }}: let {bindings} n40 = {{ far = 1; }}; in n0; }}");
        let analysis = Analysis::of(&text, FileKind::Flake);
        let model = analysis.flake().expect("a flake.nix has a model");
        assert!(model.output_definitions().is_empty());
        assert_eq!(model.output_parts.len(), 1, "only the `let`");
    }

    #[test]
    fn other_results() {
        check(
            "{ outputs = inputs: inputs.flake-parts.lib.mkFlake { inherit inputs; } { systems = [ ]; }; }",
            expect![[r#"
                Other `inputs.flake-parts.lib.mkFlake { inheri…`
            "#]],
        );
        // Not a function: its value is read the same way (the outline shows it).
        check(
            "{ outputs = { devShell = 1; }; }",
            expect![[r#"
                Set `{ devShell = 1; }`
                def devShell
            "#]],
        );
    }
}
