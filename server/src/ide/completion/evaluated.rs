//! After `self.`, `inputs.<name>.`, `<input>.` and deeper (`nixpkgs.lib.strings.`,
//! `<input>.packages.${system}.`): the attributes the flake's evaluator sees.
//!
//! This file finds, from the text, which set is being completed: a name bound by the `outputs`
//! function's pattern (`{ self, nixpkgs, ... }`) or `inputs.<name>` where `inputs` is its whole
//! argument (`inputs @ { … }` or `inputs:`). In other files of a flake, a parameter named
//! `self` or `inputs`, or named as one of flake.lock's root inputs, stands for the same (as
//! flake-parts modules and `specialArgs` pass them). `${…}` is the current system right after
//! a per-system output (`packages`, `legacyPackages`, …). Below `legacyPackages.<system>` the
//! package index answers, not the evaluator. The answer itself comes from outside
//! (`FileContext::attributes`): this layer starts no process.

use super::items::{CompletionKind, Items};
use super::names::{Origin, Visible};
use super::packages::MAX_ITEMS;
use crate::eval::attributes::{Answer, Base, Step, Target, ValueKind};
use crate::flake::lock::FlakeLock;
use crate::flake::schema::{self, OutputShape};
use crate::flake::FlakeModel;
use crate::syntax::{static_attr_name, strip_parens, SyntaxKind, SyntaxNode, TextSize};
use SyntaxKind::*;

/// What the base name of a selection is bound to.
enum Binding {
    /// The whole argument of `outputs` (`inputs`): the input is the first step.
    Inputs,
    /// One input, or `self`.
    One(String),
}

/// The set after `base.path.` at `offset`, when the evaluator can list it. `flake` is the model
/// of flake.nix when this file is one; `lock` the flake's lock (for other files of a flake).
pub(super) fn target_at(
    base: &SyntaxNode,
    path: &[SyntaxNode],
    offset: TextSize,
    flake: Option<(&FlakeModel, &SyntaxNode)>,
    lock: Option<&FlakeLock>,
) -> Option<Target> {
    let ident = strip_parens(base.clone());
    if ident.kind() != NODE_IDENT {
        return None;
    }
    let name = ident.text().to_string();
    let visible = Visible::at(Some(&ident), offset);
    let bound = visible.names.iter().find(|n| n.name == name)?;
    let binding = match flake {
        Some((model, root)) => {
            let lambda = model.outputs_lambda?.to_node(root);
            let param = lambda.children().next()?;
            let whole = match param.kind() {
                NODE_IDENT_PARAM => param.children().find(|c| c.kind() == NODE_IDENT),
                NODE_PATTERN => param
                    .children()
                    .find(|c| c.kind() == NODE_PAT_BIND)
                    .and_then(|b| b.children().find(|c| c.kind() == NODE_IDENT)),
                _ => None,
            };
            if whole.is_some_and(|w| w.text_range() == bound.range) {
                Binding::Inputs
            } else if bound.origin == Origin::Formal
                && param.kind() == NODE_PATTERN
                && param.text_range().contains_range(bound.range)
            {
                Binding::One(name)
            } else {
                return None;
            }
        }
        None => {
            let lock = lock?;
            if !bound.origin.is_parameter() {
                return None;
            }
            match name.as_str() {
                "inputs" => Binding::Inputs,
                "self" => Binding::One(name),
                _ if lock.root_inputs().contains(&name) => Binding::One(name),
                _ => return None,
            }
        }
    };
    let mut steps = Vec::new();
    for attr in path {
        let step = match static_attr_name(attr) {
            Some(name) => Step::Name(name),
            None if attr.kind() == NODE_DYNAMIC && steps.last().is_some_and(per_system) => Step::System,
            None => return None,
        };
        steps.push(step);
    }
    let (base, steps) = match binding {
        Binding::One(name) if name == "self" => (Base::Flake, steps),
        Binding::One(name) => (Base::Input(name), steps),
        Binding::Inputs => match steps.split_first() {
            Some((Step::Name(first), rest)) if first == "self" => (Base::Flake, rest.to_vec()),
            Some((Step::Name(first), rest)) => (Base::Input(first.clone()), rest.to_vec()),
            // `inputs.` alone: the names in flake.nix say it without evaluation.
            _ => return None,
        },
    };
    // nixpkgs' package set is the package index's.
    let packages = steps.iter().position(|s| *s == Step::Name("legacyPackages".into()));
    if packages.is_some_and(|at| steps.len() > at + 1) {
        return None;
    }
    Some(Target { base, path: steps })
}

fn per_system(step: &Step) -> bool {
    let Step::Name(name) = step else { return false };
    schema::output(name)
        .is_some_and(|o| matches!(o.shape, OutputShape::PerSystemSet | OutputShape::PerSystem))
}

/// The items of the evaluator's answer for `target` (`known`: the answer the caller got, for
/// the target it found): every attribute, with the kind of its value; at most [`MAX_ITEMS`]
/// starting with the word typed when there are more.
pub(super) fn complete(acc: &mut Items, target: &Target, known: Option<&(Target, Answer)>) {
    let answer = known.filter(|(t, _)| t == target).map(|(_, a)| a);
    let attrs = match answer {
        Some(Answer::Ready(attrs)) => attrs.clone(),
        Some(Answer::Pending) => {
            acc.incomplete = true;
            return;
        }
        Some(Answer::Unavailable) | None => return,
    };
    let typed = acc.typed.clone();
    let many = attrs.len() > MAX_ITEMS;
    for (shown, attr) in attrs.iter().filter(|a| !many || a.name.starts_with(&typed)).enumerate() {
        if shown == MAX_ITEMS {
            acc.incomplete = true;
            break;
        }
        let kind = match attr.kind {
            ValueKind::Function => CompletionKind::Function,
            ValueKind::Set => CompletionKind::Module,
            ValueKind::Derivation => CompletionKind::Package,
            _ => CompletionKind::Property,
        };
        acc.add(&attr.name, kind, Some(attr.kind.describe().to_string()), None);
    }
    if many {
        acc.incomplete = true;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use expect_test::{expect, Expect};

    use super::*;
    use crate::eval::attributes::Attr;
    use crate::ide::analysis::{Analysis, FileContext, FileKind};
    use crate::ide::completion::{completion_list, evaluation_target};
    use crate::ide::fixture;

    const LOCK: &str = r#"{"version":7,"root":"root","nodes":{"root":{"inputs":{"nixpkgs":"nixpkgs"}},"nixpkgs":{"locked":{"type":"github","owner":"NixOS","repo":"nixpkgs","rev":"abc","narHash":"sha256-x"},"original":{"type":"github","owner":"NixOS","repo":"nixpkgs"}}}}"#;

    fn target(kind: FileKind, marked: &str, lock: bool) -> String {
        let (text, offset) = fixture::cursor(marked);
        let analysis = Analysis::of(&text, kind);
        let lock = lock.then(|| Arc::new(FlakeLock::parse(LOCK).unwrap()));
        let ctx = FileContext { lock, ..FileContext::default() };
        match evaluation_target(&analysis, &ctx, offset) {
            None => "none".to_string(),
            Some(t) => {
                let path: Vec<String> = t
                    .path
                    .iter()
                    .map(|s| match s {
                        Step::Name(n) => n.clone(),
                        Step::System => "<system>".to_string(),
                    })
                    .collect();
                format!("{:?} {}", t.base, path.join("."))
            }
        }
    }

    /// Each fixture on a line of its own, then what it completes.
    fn check(kind: FileKind, lock: bool, fixtures: &[&str], expect: Expect) {
        let out: Vec<String> =
            fixtures.iter().map(|f| format!("{f}\n  => {}", target(kind, f, lock))).collect();
        expect.assert_eq(&(out.join("\n") + "\n"));
    }

    #[test]
    fn in_flake_nix() {
        let flake = |body: &str| {
            format!("{{\n  outputs = {{ self, nixpkgs, ... }}@inputs: let system = \"x\"; in {{ x = {body}; }};\n}}")
        };
        let cases: Vec<String> = [
            "nixpkgs.$0",
            "nixpkgs.lib.$0",
            "nixpkgs.lib.strings.con$0",
            "self.$0",
            "self.packages.${system}.$0",
            "inputs.$0",
            "inputs.nixpkgs.$0",
            "inputs.self.devShells.$0",
            "inputs.nixpkgs.packages.${system}.$0",
            "nixpkgs.lib.${system}.$0",
            "nixpkgs.legacyPackages.$0",
            "nixpkgs.legacyPackages.${system}.$0",
            "nixpkgs.legacyPackages.${system}.python3Packages.$0",
            "(let nixpkgs = { }; in nixpkgs.lib.$0)",
            "(other: other.lib.$0)",
        ]
        .iter()
        .map(|b| flake(b))
        .collect();
        let cases: Vec<&str> = cases.iter().map(String::as_str).collect();
        let shown: Vec<String> = cases
            .iter()
            .map(|c| {
                let body = c.split("x = ").nth(1).unwrap().split("; }").next().unwrap();
                format!("{body} => {}", target(FileKind::Flake, c, false))
            })
            .collect();
        expect![[r#"
            nixpkgs.$0 => Input("nixpkgs") 
            nixpkgs.lib.$0 => Input("nixpkgs") lib
            nixpkgs.lib.strings.con$0 => Input("nixpkgs") lib.strings
            self.$0 => Flake 
            self.packages.${system}.$0 => Flake packages.<system>
            inputs.$0 => none
            inputs.nixpkgs.$0 => Input("nixpkgs") 
            inputs.self.devShells.$0 => Flake devShells
            inputs.nixpkgs.packages.${system}.$0 => Input("nixpkgs") packages.<system>
            nixpkgs.lib.${system}.$0 => none
            nixpkgs.legacyPackages.$0 => Input("nixpkgs") legacyPackages
            nixpkgs.legacyPackages.${system}.$0 => none
            nixpkgs.legacyPackages.${system}.python3Packages.$0 => none
            (let nixpkgs = { }; in nixpkgs.lib.$0) => none
            (other: other.lib.$0) => none
        "#]]
        .assert_eq(&(shown.join("\n") + "\n"));
    }

    #[test]
    fn in_other_files_of_the_flake() {
        check(
            FileKind::Nix,
            true,
            &[
                "{ inputs, ... }: inputs.nixpkgs.lib.$0",
                "{ self, ... }: self.nixosModules.$0",
                "{ nixpkgs }: nixpkgs.lib.$0",
                "{ unknown }: unknown.lib.$0",
                "let self = { }; in self.$0",
            ],
            expect![[r#"
                { inputs, ... }: inputs.nixpkgs.lib.$0
                  => Input("nixpkgs") lib
                { self, ... }: self.nixosModules.$0
                  => Flake nixosModules
                { nixpkgs }: nixpkgs.lib.$0
                  => Input("nixpkgs") lib
                { unknown }: unknown.lib.$0
                  => none
                let self = { }; in self.$0
                  => none
            "#]],
        );
        // Outside a flake (no lock), nothing says what `self` is.
        check(
            FileKind::Nix,
            false,
            &["{ self, ... }: self.$0"],
            expect![[r#"
            { self, ... }: self.$0
              => none
        "#]],
        );
    }

    #[test]
    fn items_with_the_kind_of_each_value() {
        let (text, offset) = fixture::cursor("{\n  outputs = { self, nixpkgs }: { x = nixpkgs.lib.$0 };\n}");
        let analysis = Analysis::of(&text, FileKind::Flake);
        let target = evaluation_target(&analysis, &FileContext::default(), offset).unwrap();
        let attrs = vec![
            Attr { name: "optional".into(), kind: ValueKind::Function },
            Attr { name: "strings".into(), kind: ValueKind::Set },
            Attr { name: "version".into(), kind: ValueKind::String },
        ];
        let items = |answer: Answer| {
            let ctx = FileContext { attributes: Some((target.clone(), answer)), ..FileContext::default() };
            let list = completion_list(&analysis, &ctx, offset);
            let mut out: Vec<String> = list
                .items
                .iter()
                .map(|i| format!("{} {:?} {}", i.label, i.kind, i.detail.clone().unwrap_or_default()))
                .collect();
            out.push(format!("incomplete: {}", list.incomplete));
            out.join("\n")
        };
        expect![[r#"
            optional Function function
            strings Module attribute set
            version Property string
            incomplete: false"#]]
        .assert_eq(&items(Answer::Ready(Arc::new(attrs))));
        expect!["incomplete: true"].assert_eq(&items(Answer::Pending));
        expect!["incomplete: false"].assert_eq(&items(Answer::Unavailable));
        // An answer for another target is not used.
        let other = Target { base: Base::Flake, path: Vec::new() };
        let ctx = FileContext { attributes: Some((other, Answer::Pending)), ..FileContext::default() };
        assert!(!completion_list(&analysis, &ctx, offset).incomplete);
    }
}
