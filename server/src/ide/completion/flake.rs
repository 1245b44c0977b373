//! Where a set sits in the structure of `flake.nix`, read upwards from the set: through the
//! bindings that hold it, `let … in` bodies, lambda bodies, `//`, and the function given to
//! `eachDefaultSystem`/`eachSystem` (which adds the per-system layer itself).

use crate::flake::outputs::is_per_system_function;
use crate::flake::schema::{self, OutputShape};
use crate::syntax::{attrpath_attrs, binding_parts, static_attr_name, SyntaxKind, SyntaxNode};
use SyntaxKind::*;

/// One step on the way from the top of the file down to a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
    /// An attribute; `None` when its name is computed.
    Attr(Option<String>),
    /// The body of a lambda.
    Body,
    /// The argument of a per-system function (`eachDefaultSystem (system: …)`).
    PerSystem,
}

impl Step {
    /// The attribute's name, when this step is one with a static name.
    pub(super) fn name(&self) -> Option<&str> {
        match self {
            Step::Attr(Some(name)) => Some(name),
            _ => None,
        }
    }
}

/// The steps from the top of the file to `value`, when they can be read without evaluation.
pub(super) fn path_to(value: &SyntaxNode) -> Option<Vec<Step>> {
    let mut steps = Vec::new();
    let mut node = value.clone();
    loop {
        let parent = node.parent()?;
        match parent.kind() {
            NODE_ROOT => break,
            NODE_PAREN => {}
            NODE_ATTRPATH_VALUE => {
                let (path, bound) = binding_parts(&parent);
                if bound.as_ref() != Some(&node) {
                    return None;
                }
                let names: Vec<Step> =
                    attrpath_attrs(&path?).map(|a| Step::Attr(static_attr_name(&a))).collect();
                steps.splice(0..0, names);
                // Bindings of a set are structure; bindings of a `let` are not.
                let container = parent.parent()?;
                if container.kind() != NODE_ATTR_SET {
                    return None;
                }
                node = container;
                continue;
            }
            NODE_LET_IN => {
                // Only the body: what the `let` evaluates to.
                if parent.children().last().as_ref() != Some(&node) || node.kind() == NODE_ATTRPATH_VALUE {
                    return None;
                }
            }
            NODE_LAMBDA => {
                if parent.children().next().as_ref() == Some(&node) {
                    return None;
                }
                steps.insert(0, Step::Body);
            }
            NODE_BIN_OP if is_update(&parent) => {}
            NODE_APPLY => {
                let mut parts = parent.children();
                let function = parts.next()?;
                if parts.next().as_ref() != Some(&node) || !is_per_system_function(&function) {
                    return None;
                }
                steps.insert(0, Step::PerSystem);
            }
            _ => return None,
        }
        node = parent;
    }
    Some(steps)
}

/// `a // b`.
fn is_update(bin_op: &SyntaxNode) -> bool {
    bin_op.children_with_tokens().any(|e| e.kind() == TOKEN_UPDATE)
}

/// A spot of the flake schema where attribute names are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Spot {
    /// The top of `flake.nix`.
    Top,
    /// `inputs = { $0 }`: input names.
    Inputs,
    /// `inputs.<name> = { $0 }` (or an override `inputs.<name>.inputs.<other> = { $0 }`).
    Input { name: String },
    /// The set `outputs` returns; `per_system` when a per-system function adds the layer.
    Outputs { per_system: bool },
    /// `<output> = { $0 }` in what `outputs` returns.
    Output { output: &'static schema::Output, per_system: bool },
    /// `<output>.<system> = { $0 }`.
    OutputSystem,
}

impl Spot {
    pub(super) fn of(steps: &[Step]) -> Option<Spot> {
        let names: Vec<Option<&str>> = steps.iter().map(Step::name).collect();
        match names.as_slice() {
            [] => return Some(Spot::Top),
            [Some("inputs")] => return Some(Spot::Inputs),
            [Some("inputs"), Some(name)] | [Some("inputs"), Some(name), Some("inputs"), Some(_)] => {
                return Some(Spot::Input { name: name.to_string() })
            }
            _ => {}
        }
        let (first, rest) = steps.split_first()?;
        if first.name() != Some("outputs") {
            return None;
        }
        // `outputs = inputs: …`, possibly `eachDefaultSystem (system: …)` inside.
        let mut rest = rest.strip_prefix(&[Step::Body])?;
        let mut per_system = false;
        while let Some(inner) = rest.strip_prefix(&[Step::PerSystem, Step::Body]) {
            per_system = true;
            rest = inner;
        }
        let keys: Vec<&str> = rest.iter().map(Step::name).collect::<Option<_>>()?;
        match keys.as_slice() {
            [] => Some(Spot::Outputs { per_system }),
            [output] => Some(Spot::Output { output: schema::output(output)?, per_system }),
            [output, _system] if !per_system => {
                let shape = schema::output(output)?.shape;
                (shape == OutputShape::PerSystemSet).then_some(Spot::OutputSystem)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spot(text: &str) -> Option<Spot> {
        let root = crate::syntax::parse(text).root;
        let set = root.descendants().filter(|n| n.kind() == NODE_ATTR_SET).last()?;
        Spot::of(&path_to(&set)?)
    }

    #[test]
    fn spots() {
        assert_eq!(spot("{ }"), Some(Spot::Top));
        assert_eq!(spot("{ inputs = { }; }"), Some(Spot::Inputs));
        assert_eq!(spot("{ inputs.a = { }; }"), Some(Spot::Input { name: "a".into() }));
        assert_eq!(spot("{ inputs = { a.inputs.b = { }; }; }"), Some(Spot::Input { name: "a".into() }));
        assert_eq!(spot("{ outputs = x: { }; }"), Some(Spot::Outputs { per_system: false }));
        assert_eq!(spot("{ outputs = x: let a = 1; in ({ }); }"), Some(Spot::Outputs { per_system: false }));
        assert_eq!(
            spot("{ outputs = { u, ... }: u.lib.eachSystem [ ] (s: { }); }"),
            Some(Spot::Outputs { per_system: true })
        );
        assert_eq!(spot("{ outputs = x: y // { }; }"), Some(Spot::Outputs { per_system: false }));
        assert_eq!(spot("{ outputs = x: { packages.x86_64-linux = { }; }; }"), Some(Spot::OutputSystem));
        assert_eq!(spot("{ outputs = x: { lib.x = { }; }; }"), None);
        assert_eq!(spot("{ outputs = x: let a = { }; in a; }"), None);
        assert_eq!(spot("{ outputs = x: f { }; }"), None);
        assert_eq!(spot("let a = { }; in a"), None);
    }
}
