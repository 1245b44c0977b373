//! Checks on the structure of `flake.nix`, as Nix reads it before evaluating anything.

use std::collections::HashSet;

use super::code::{Code, Diagnostic};
use crate::flake::schema::{self, ValueKind};
use crate::flake::{literal_string, FlakeModel, InputAttr};
use crate::syntax::scope::NameResolution;
use crate::syntax::{strip_parens, SyntaxKind, SyntaxNode};
use SyntaxKind::*;

pub(super) fn check(
    flake: &FlakeModel,
    root: &SyntaxNode,
    names: &NameResolution,
    out: &mut Vec<Diagnostic>,
) {
    if flake.root_set.is_none() {
        if let Some(expr) = root.children().next() {
            if expr.kind() != NODE_ERROR {
                out.push(Diagnostic::new(
                    Code::FlakeNotAttrset,
                    expr.text_range(),
                    "flake.nix must be an attribute set written out (`{ inputs = …; outputs = …; }`): Nix reads it without evaluating",
                ));
            }
        }
        return;
    }
    top_level(flake, root, out);
    inputs(flake, root, out);
    outputs(flake, root, names, out);
}

fn top_level(flake: &FlakeModel, root: &SyntaxNode, out: &mut Vec<Diagnostic>) {
    for binding in &flake.bindings {
        match binding.name.as_deref() {
            Some(name) if schema::TOP_LEVEL.contains(&name) => {}
            Some(name) => out.push(Diagnostic::new(
                Code::UnknownFlakeAttribute,
                binding.name_range,
                format!("unknown flake attribute `{name}`: a flake has only description, inputs, outputs and nixConfig"),
            )),
            None => out.push(Diagnostic::new(
                Code::UnknownFlakeAttribute,
                binding.name_range,
                "computed attribute names are not allowed at the top of flake.nix",
            )),
        }
    }
    for (name, range) in &flake.inherits {
        out.push(Diagnostic::new(
            Code::UnknownFlakeAttribute,
            *range,
            format!("`inherit {name}` at the top of flake.nix needs evaluation: write the attribute out"),
        ));
    }
    if let Some(description) = &flake.description {
        if literal_string(&description.to_node(root)).is_none() {
            out.push(Diagnostic::new(
                Code::DescriptionNotString,
                description.text_range(),
                "`description` must be a plain string: Nix reads it without evaluating",
            ));
        }
    }
}

fn inputs(flake: &FlakeModel, root: &SyntaxNode, out: &mut Vec<Diagnostic>) {
    for computed in &flake.computed_inputs {
        out.push(Diagnostic::new(
            Code::ComputedInputs,
            computed.text_range(),
            "`inputs` must be written out as attribute sets: Nix reads them without evaluating",
        ));
    }
    // Inputs named by `outputs` are inputs too (from the registry), so `follows` may use them.
    let mut known: HashSet<&str> = flake.inputs.iter().map(|i| i.name.as_str()).collect();
    let formals = outputs_formals(flake, root);
    known.extend(formals.iter().map(|f| f.name.as_str()));
    for input in &flake.inputs {
        for computed in &input.computed {
            out.push(Diagnostic::new(
                Code::ComputedInputs,
                computed.text_range(),
                format!("input `{}` must be an attribute set written out (`{{ url = \"…\"; }}`)", input.name),
            ));
        }
        for attr in &input.attrs {
            input_attr(&input.name, attr, root, &known, out);
        }
    }
}

fn input_attr(
    input: &str,
    attr: &InputAttr,
    root: &SyntaxNode,
    known: &HashSet<&str>,
    out: &mut Vec<Diagnostic>,
) {
    // `inputs.<name>.<attr>` overrides an input of the input: its attribute is the third.
    let (name, name_range, nested) = match attr.path.as_slice() {
        [first, ..] if first == "inputs" => match (attr.path.get(2), attr.path_ranges.get(2)) {
            (Some(n), Some(r)) => (n.as_str(), *r, true),
            _ => {
                if let Some(value) = &attr.value {
                    out.push(Diagnostic::new(
                        Code::ComputedInputs,
                        value.text_range(),
                        format!("`inputs` of input `{input}` must be written out as attribute sets"),
                    ));
                }
                return;
            }
        },
        [first, ..] => (first.as_str(), attr.path_ranges[0], false),
        [] => return,
    };
    let kind = match schema::input_attribute(name) {
        Some(ValueKind::Inputs) if nested => None,
        other => other,
    };
    let Some(kind) = kind else {
        let message = if name.is_empty() {
            "computed attribute names are not allowed in inputs".to_string()
        } else {
            format!("unknown input attribute `{name}`")
        };
        out.push(Diagnostic::new(Code::UnknownInputAttribute, name_range, message));
        return;
    };
    let Some(value) = &attr.value else { return };
    // A deeper path (`url.x = …`) makes the value a set.
    let deeper = attr.path.len() > if nested { 3 } else { 1 };
    let value_node = strip_parens(value.to_node(root));
    let ok = !deeper
        && match kind {
            ValueKind::String => literal_string(&value_node).is_some(),
            ValueKind::Bool => {
                value_node.kind() == NODE_IDENT
                    && matches!(value_node.text().to_string().as_str(), "true" | "false")
            }
            ValueKind::Int => value_node.kind() == NODE_LITERAL,
            ValueKind::Inputs => true,
        };
    if !ok {
        let what = match kind {
            ValueKind::String => "a plain string",
            ValueKind::Bool => "`true` or `false`",
            ValueKind::Int => "an integer",
            ValueKind::Inputs => "an attribute set",
        };
        out.push(Diagnostic::new(
            Code::ComputedInputs,
            value.text_range(),
            format!("`{name}` must be {what}: Nix reads inputs without evaluating"),
        ));
        return;
    }
    if name == "follows" {
        if let Some(target) = literal_string(&value_node) {
            let first = target.split('/').next().unwrap_or("");
            if !first.is_empty() && !known.contains(first) {
                out.push(Diagnostic::new(
                    Code::UnknownFollows,
                    value.text_range(),
                    format!("`follows` points at `{first}`, which is not an input of this flake"),
                ));
            }
        }
    }
}

pub(crate) struct Formal {
    pub name: String,
    pub range: rowan::TextRange,
    pub has_default: bool,
}

/// The formals of `outputs = { self, nixpkgs, ... }: …`.
fn outputs_formals(flake: &FlakeModel, root: &SyntaxNode) -> Vec<Formal> {
    let Some(lambda) = flake.outputs_lambda.map(|l| l.to_node(root)) else { return Vec::new() };
    let Some(pattern) = lambda.children().find(|c| c.kind() == NODE_PATTERN) else { return Vec::new() };
    pattern
        .children()
        .filter(|c| c.kind() == NODE_PAT_ENTRY)
        .filter_map(|entry| {
            let ident = entry.children().next().filter(|c| c.kind() == NODE_IDENT)?;
            Some(Formal {
                name: ident.text().to_string(),
                range: ident.text_range(),
                has_default: entry.children().count() > 1,
            })
        })
        .collect()
}

fn outputs(flake: &FlakeModel, root: &SyntaxNode, names: &NameResolution, out: &mut Vec<Diagnostic>) {
    let Some(outputs) = &flake.outputs else { return };
    let Some(lambda) = flake.outputs_lambda.map(|l| l.to_node(root)) else {
        out.push(Diagnostic::new(
            Code::OutputsNotFunction,
            outputs.text_range(),
            "`outputs` must be a function written out (`{ self, ... }: { … }`): Nix reads it without evaluating",
        ));
        return;
    };
    let pattern = lambda.children().find(|c| c.kind() == NODE_PATTERN);
    if let Some(pattern) = &pattern {
        let formals = outputs_formals(flake, root);
        let has_ellipsis = pattern.children_with_tokens().any(|e| e.kind() == TOKEN_ELLIPSIS);
        for formal in &formals {
            if formal.name != "self" && !formal.has_default && flake.input(&formal.name).is_none() {
                out.push(Diagnostic::new(
                    Code::UndeclaredInput,
                    formal.range,
                    format!(
                        "`{}` is not declared in `inputs`: Nix looks it up in the flake registry as `flake:{}`, which fails offline",
                        formal.name, formal.name
                    ),
                ));
            }
        }
        let bind_used = pattern.children().filter(|c| c.kind() == NODE_PAT_BIND).any(|bind| {
            bind.children().next().is_some_and(|ident| {
                names
                    .def_at(ident.text_range().start())
                    .is_some_and(|d| names.references_to(d).next().is_some())
            })
        });
        for input in &flake.inputs {
            if formals.iter().any(|f| f.name == input.name) {
                continue;
            }
            if !has_ellipsis {
                out.push(Diagnostic::new(
                    Code::OutputsMissingInput,
                    input.name_range,
                    format!(
                        "`outputs` does not take `{}`: Nix passes every input, so the call fails with \"unexpected argument\"; add `{}` or `...` to its arguments",
                        input.name, input.name
                    ),
                ));
            } else if !bind_used {
                out.push(Diagnostic::new(
                    Code::UnreceivedInput,
                    input.name_range,
                    format!("input `{}` is never received by `outputs`", input.name),
                ));
            }
        }
    }
    for definition in flake.output_definitions() {
        let Some(dep) = definition.name().and_then(schema::deprecated_output) else { continue };
        out.push(Diagnostic::new(
            deprecated_code(dep.name),
            definition.name_range,
            format!("`{}` is deprecated: use `{}`", dep.name, dep.replacement),
        ));
    }
}

fn deprecated_code(name: &str) -> Code {
    match name {
        "devShell" => Code::DeprecatedDevShell,
        "defaultPackage" => Code::DeprecatedDefaultPackage,
        "defaultApp" => Code::DeprecatedDefaultApp,
        "overlay" => Code::DeprecatedOverlay,
        "nixosModule" => Code::DeprecatedNixosModule,
        "defaultTemplate" => Code::DeprecatedDefaultTemplate,
        _ => Code::DeprecatedDefaultBundler,
    }
}

/// flake.nix against its flake.lock: inputs the lock lacks (Nix would lock them on the next
/// run, fetching), and inputs the lock holds that flake.nix no longer has.
pub(super) fn check_lock(
    flake: &FlakeModel,
    root: &SyntaxNode,
    lock: &crate::flake::lock::FlakeLock,
    out: &mut Vec<Diagnostic>,
) {
    if flake.root_set.is_none() || !flake.computed_inputs.is_empty() {
        return; // what is declared is not known without evaluating
    }
    let locked: HashSet<String> = lock.root_inputs().into_iter().collect();
    // What Nix locks: the declared inputs, and `outputs` arguments it looks up in the registry.
    let mut declared: Vec<(String, rowan::TextRange)> =
        flake.inputs.iter().map(|i| (i.name.clone(), i.name_range)).collect();
    for formal in outputs_formals(flake, root) {
        if formal.name != "self" && !formal.has_default && !declared.iter().any(|(n, _)| *n == formal.name) {
            declared.push((formal.name, formal.range));
        }
    }
    for (name, range) in &declared {
        if !locked.contains(name) {
            out.push(Diagnostic::new(
                Code::LockMissingInput,
                *range,
                format!("`{name}` is not in flake.lock: Nix will fetch and lock it on the next run; update flake.lock to pin it now"),
            ));
        }
    }
    let anchor = flake
        .bindings
        .iter()
        .find(|b| b.name.as_deref() == Some("inputs"))
        .map(|b| b.name_range)
        .or_else(|| flake.root_set.as_ref().map(|s| rowan::TextRange::empty(s.text_range().start())));
    let Some(anchor) = anchor else { return };
    let mut gone: Vec<&String> = locked.iter().filter(|l| !declared.iter().any(|(n, _)| n == *l)).collect();
    gone.sort();
    for name in gone {
        out.push(Diagnostic::new(
            Code::LockUnusedInput,
            anchor,
            format!("flake.lock still holds `{name}`, which flake.nix no longer declares; update flake.lock to drop it"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::check_kind;
    use super::super::FileKind;
    use expect_test::{expect, Expect};

    fn check_with_lock(text: &str, lock: &str, expect: Expect) {
        let lock = crate::flake::lock::FlakeLock::parse(lock).unwrap();
        let analysis = crate::ide::Analysis::of(text, FileKind::Flake);
        let diags = super::super::diagnostics_with_lock(
            &analysis,
            &crate::ide::DiagnosticsConfig::default(),
            Some(&lock),
        );
        let diags: Vec<_> = diags.into_iter().filter(|d| d.code.as_str().starts_with("lock_")).collect();
        expect.assert_eq(&super::super::tests::render(text, &diags));
    }

    #[test]
    fn flake_nix_against_its_lock() {
        let lock = r#"{ "version": 7, "root": "root", "nodes": {
            "root": { "inputs": { "nixpkgs": "nixpkgs", "old": "old" } },
            "nixpkgs": { "locked": { "type": "github", "owner": "NixOS", "repo": "nixpkgs", "rev": "abc", "narHash": "sha256-x", "lastModified": 1 }, "original": { "type": "github", "owner": "NixOS", "repo": "nixpkgs" } },
            "old": { "locked": { "type": "github", "owner": "a", "repo": "b", "rev": "def", "narHash": "sha256-y", "lastModified": 1 }, "original": { "type": "github", "owner": "a", "repo": "b" } }
        } }"#;
        check_with_lock(
            "{\n  inputs.nixpkgs.url = \"github:NixOS/nixpkgs\";\n  inputs.utils.url = \"github:numtide/flake-utils\";\n  outputs = { self, nixpkgs, utils, registry }: { };\n}\n",
            lock,
            expect![[r#"
                2:3 warning lock_unused_input: flake.lock still holds `old`, which flake.nix no longer declares; update flake.lock to drop it
                3:10 warning lock_missing_input: `utils` is not in flake.lock: Nix will fetch and lock it on the next run; update flake.lock to pin it now
                4:37 warning lock_missing_input: `registry` is not in flake.lock: Nix will fetch and lock it on the next run; update flake.lock to pin it now
            "#]],
        );
        // In step: nothing to say.
        check_with_lock(
            "{ inputs.nixpkgs.url = \"x\"; inputs.old.url = \"y\"; outputs = { self, ... }: { }; }",
            lock,
            expect![[""]],
        );
    }

    fn check(text: &str, expect: Expect) {
        check_kind(text, FileKind::Flake, expect)
    }

    #[test]
    fn valid_flake_has_no_diagnostics() {
        check(
            r#"{
  description = "ok";
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.05";
  inputs.utils = { url = "github:numtide/flake-utils"; inputs.nixpkgs.follows = "nixpkgs"; };
  nixConfig.bash-prompt = "> ";
  outputs = { self, nixpkgs, utils }: {
    devShells.x86_64-linux.default = nixpkgs.legacyPackages.x86_64-linux.mkShell { };
    packages = utils.lib.eachDefaultSystemMap (system: { });
  };
}"#,
            expect![""],
        );
    }

    #[test]
    fn not_an_attribute_set() {
        check(
            "let a = 1; in { outputs = _: { }; }",
            expect![[r#"
                1:1 error flake_not_attrset: flake.nix must be an attribute set written out (`{ inputs = …; outputs = …; }`): Nix reads it without evaluating
                1:5 warning unused_binding: `a` is defined but never used
            "#]],
        );
    }

    #[test]
    fn top_level_and_description() {
        check(
            r#"{ description = "a ${"b"}"; version = 1; outputs = { self }: { }; }"#,
            expect![[r#"
                1:17 error description_not_string: `description` must be a plain string: Nix reads it without evaluating
                1:29 error unknown_flake_attribute: unknown flake attribute `version`: a flake has only description, inputs, outputs and nixConfig
            "#]],
        );
    }

    #[test]
    fn inputs_must_be_static_and_known() {
        check(
            r#"let x = "u"; in x"#,
            expect![[r#"
                1:1 error flake_not_attrset: flake.nix must be an attribute set written out (`{ inputs = …; outputs = …; }`): Nix reads it without evaluating
            "#]],
        );
        check(
            r#"{
  inputs.a.url = "github:o/r" + "";
  inputs.b = { url = "path:./b"; branch = "main"; flake = "no"; };
  inputs.c.inputs.nixpkgs.follows = "nixpkgs";
  inputs.d = import ./d.nix;
  outputs = { self, a, b, c, d }: { };
}"#,
            expect![[r#"
                2:18 error computed_inputs: `url` must be a plain string: Nix reads inputs without evaluating
                3:34 error unknown_input_attribute: unknown input attribute `branch`
                3:59 error computed_inputs: `flake` must be `true` or `false`: Nix reads inputs without evaluating
                4:37 error unknown_follows: `follows` points at `nixpkgs`, which is not an input of this flake
                5:14 error computed_inputs: input `d` must be an attribute set written out (`{ url = "…"; }`)
            "#]],
        );
    }

    /// `inputs.x.url = github:owner/repo;`: a deprecated URL literal, which Nix still reads as
    /// the string. Only the deprecation is said.
    #[test]
    fn a_url_literal_is_a_plain_string_with_a_warning() {
        check(
            r#"{
  inputs.x.url = github:owner/repo;
  inputs.y = { url = (github:o/r); flake = false; };
  outputs = { self, x, y }: { };
}"#,
            expect![[r#"
                2:18 warning deprecated_uri_literal: URL literals are deprecated: write "github:owner/repo"
                3:23 warning deprecated_uri_literal: URL literals are deprecated: write "github:o/r"
            "#]],
        );
    }

    #[test]
    fn outputs_and_inputs_agree() {
        check(
            r#"{
  inputs.a.url = "path:./a";
  inputs.b.url = "path:./b";
  outputs = { self, a, registry, opt ? null }: { };
}"#,
            expect![[r#"
                3:10 error outputs_missing_input: `outputs` does not take `b`: Nix passes every input, so the call fails with "unexpected argument"; add `b` or `...` to its arguments
                4:24 warning undeclared_input: `registry` is not declared in `inputs`: Nix looks it up in the flake registry as `flake:registry`, which fails offline
            "#]],
        );
        check(
            r#"{
  inputs.a.url = "path:./a";
  inputs.b.url = "path:./b";
  outputs = { self, a, ... }: { };
}"#,
            expect![[r#"
                3:10 hint unreceived_input: input `b` is never received by `outputs`
            "#]],
        );
        check(
            r#"{
  inputs.a.url = "path:./a";
  outputs = inputs @ { self, ... }: inputs.a;
}"#,
            expect![""],
        );
        check(
            r#"{ outputs = import ./outputs.nix; }"#,
            expect![[r#"
                1:13 error outputs_not_function: `outputs` must be a function written out (`{ self, ... }: { … }`): Nix reads it without evaluating
            "#]],
        );
    }

    #[test]
    fn deprecated_outputs_literal_and_per_system() {
        check(
            r#"{
  outputs = { self, utils }:
    let
      top = { overlay = final: prev: { }; nixosModule = { }; };
    in
    top // utils.lib.eachDefaultSystem (system: let shell = 1; in {
      devShell = shell;
      defaultPackage = shell;
      defaultApp = shell;
    }) // {
      defaultPackage.x86_64-linux = 1;
      defaultTemplate = { };
      defaultBundler.x86_64-linux = 1;
    };
}"#,
            expect![[r#"
                2:21 warning undeclared_input: `utils` is not declared in `inputs`: Nix looks it up in the flake registry as `flake:utils`, which fails offline
                4:15 warning deprecated_overlay: `overlay` is deprecated: use `overlays.default`
                4:43 warning deprecated_nixos_module: `nixosModule` is deprecated: use `nixosModules.default`
                7:7 warning deprecated_dev_shell: `devShell` is deprecated: use `devShells.<system>.default`
                8:7 warning deprecated_default_package: `defaultPackage` is deprecated: use `packages.<system>.default`
                9:7 warning deprecated_default_app: `defaultApp` is deprecated: use `apps.<system>.default`
                11:7 warning deprecated_default_package: `defaultPackage` is deprecated: use `packages.<system>.default`
                12:7 warning deprecated_default_template: `defaultTemplate` is deprecated: use `templates.default`
                13:7 warning deprecated_default_bundler: `defaultBundler` is deprecated: use `bundlers.<system>.default`
            "#]],
        );
    }
}
