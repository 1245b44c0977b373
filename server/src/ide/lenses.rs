//! Code lenses: "Evaluate" above each output too costly to evaluate on every save (a NixOS
//! configuration, a home-manager one), found in the flake model's output definitions. Running
//! one evaluates that output on request (`flake/evaluate`).

use crate::syntax::{attrpath_attrs, binding_parts, static_attr_name, strip_parens, SyntaxKind, TextRange};

use super::Analysis;

/// The outputs evaluated only on request.
pub const COSTLY: &[&str] = &["nixosConfigurations", "homeConfigurations"];

/// A lens: where it goes (the definition's name) and the attribute it evaluates
/// (`nixosConfigurations.machine`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lens {
    pub range: TextRange,
    pub attribute: String,
}

pub fn lenses(analysis: &Analysis) -> Vec<Lens> {
    let Some(model) = analysis.flake() else { return Vec::new() };
    let root = analysis.root();
    let mut out = Vec::new();
    for def in model.output_definitions() {
        let Some(output) = def.name().filter(|n| COSTLY.contains(n)) else { continue };
        match def.path.as_slice() {
            // nixosConfigurations.machine = …;
            [_, Some(name), ..] => out.push(lens(output, name, def.name_range)),
            // nixosConfigurations = { machine = …; };
            [_] => {
                let Some(binding) = def.binding.try_to_node(&root) else { continue };
                let Some(set) = binding_parts(&binding).1.map(strip_parens) else { continue };
                if set.kind() != SyntaxKind::NODE_ATTR_SET {
                    continue;
                }
                for inner in set.children().filter(|c| c.kind() == SyntaxKind::NODE_ATTRPATH_VALUE) {
                    let Some(path) = binding_parts(&inner).0 else { continue };
                    let Some(first) = attrpath_attrs(&path).next() else { continue };
                    if let Some(name) = static_attr_name(&first) {
                        out.push(lens(output, &name, first.text_range()));
                    }
                }
            }
            _ => {}
        }
    }
    out.dedup_by(|a, b| a.attribute == b.attribute);
    out
}

/// `output.name`, the name quoted when it is not a plain identifier (`"me@host"`).
fn lens(output: &str, name: &str, range: TextRange) -> Lens {
    let plain = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || "_-'".contains(c));
    let name = if plain { name.to_string() } else { format!("{name:?}") };
    Lens { range, attribute: format!("{output}.{name}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::FileKind;

    fn check(text: &str) -> Vec<String> {
        let analysis = Analysis::of(text, FileKind::Flake);
        lenses(&analysis).into_iter().map(|l| format!("{} @ {}", l.attribute, &text[l.range])).collect()
    }

    #[test]
    fn above_each_configuration() {
        let text = r#"{
  outputs = { self, nixpkgs }: {
    nixosConfigurations.web = nixpkgs.lib.nixosSystem { modules = [ ]; };
    nixosConfigurations = { db = 1; "cache" = 2; };
    homeConfigurations."me@host" = 3;
    packages.x86_64-linux.default = 4;
  };
}"#;
        assert_eq!(
            check(text),
            [
                "nixosConfigurations.web @ nixosConfigurations",
                "nixosConfigurations.db @ db",
                "nixosConfigurations.cache @ \"cache\"",
                "homeConfigurations.\"me@host\" @ homeConfigurations",
            ]
        );
        assert!(check("{ outputs = _: { packages = { }; }; }").is_empty());
    }
}
