//! The flake schema and a model of `flake.nix` read without evaluation: its top-level
//! bindings, its inputs, and what `outputs` returns ([`outputs`]).
//!
//! The model is made once per version of the file (`Analysis::flake`) and shared by every
//! feature, on any thread, so it keeps [`NodePtr`]s: a feature finds the nodes in its own
//! cursor over the tree with `ptr.to_node(&root)`.

pub mod lock;
pub mod outputs;
pub mod schema;

use crate::syntax::scope::NameResolution;
use crate::syntax::{
    attrpath_attrs, binding_parts, is_rec, plain_string, static_attr_name, strip_parens, NodePtr, SyntaxKind,
    SyntaxNode, TextRange,
};
use outputs::{OutputDef, OutputPart, PartKind};
use SyntaxKind::*;

/// One assignment inside an input, such as `url = "…"` or `inputs.nixpkgs.follows = "…"`.
#[derive(Debug, Clone)]
pub struct InputAttr {
    /// The attribute path below the input: `["url"]`, `["inputs", "nixpkgs", "follows"]`.
    pub path: Vec<String>,
    /// The attributes of that path as written (for ranges); `None` for a computed name.
    pub path_ranges: Vec<TextRange>,
    pub value: Option<NodePtr>,
}

#[derive(Debug, Clone)]
pub struct InputDecl {
    pub name: String,
    /// Where the name is written (the first time, when it is split over several bindings).
    pub name_range: TextRange,
    pub attrs: Vec<InputAttr>,
    /// Values given where an attribute set is needed (`inputs.x = someVariable;`).
    pub computed: Vec<NodePtr>,
}

/// A top-level binding of `flake.nix`.
#[derive(Debug, Clone)]
pub struct TopBinding {
    /// `None` when the name is computed.
    pub name: Option<String>,
    /// The first attribute of its path.
    pub name_range: TextRange,
    /// The rest of its path, when it has one (`inputs.nixpkgs.url` has two more).
    pub rest: Vec<NodePtr>,
    pub value: Option<NodePtr>,
    pub binding: NodePtr,
}

#[derive(Debug, Clone, Default)]
pub struct FlakeModel {
    /// The top-level attribute set, when the file is one.
    pub root_set: Option<NodePtr>,
    pub bindings: Vec<TopBinding>,
    /// `inherit` at the top: the names it brings in.
    pub inherits: Vec<(String, TextRange)>,
    pub inputs: Vec<InputDecl>,
    /// Values of `inputs` that are not attribute sets written out.
    pub computed_inputs: Vec<NodePtr>,
    /// The value bound to `outputs`.
    pub outputs: Option<NodePtr>,
    /// That value when it is a function written out (`{ self, ... }: …`), parentheses aside.
    pub outputs_lambda: Option<NodePtr>,
    /// What `outputs` returns, in the order it is found ([`outputs`]).
    pub output_parts: Vec<OutputPart>,
    /// The bindings of the sets among `output_parts`.
    output_definitions: Vec<OutputDef>,
    pub description: Option<NodePtr>,
}

impl FlakeModel {
    /// The model of the file `root` is the tree of; `names` is its name resolution (to follow
    /// names towards the sets `outputs` returns). Made once per analysis: `Analysis::flake`.
    pub fn new(root: &SyntaxNode, names: &NameResolution) -> FlakeModel {
        let mut model = FlakeModel::default();
        let Some(expr) = root.children().next().map(strip_parens) else { return model };
        if expr.kind() != NODE_ATTR_SET {
            return model;
        }
        for entry in expr.children() {
            match entry.kind() {
                NODE_ATTRPATH_VALUE => model.top_binding(&entry),
                NODE_INHERIT => {
                    for attr in entry.children().filter(|c| c.kind() != NODE_INHERIT_FROM) {
                        if let Some(name) = static_attr_name(&attr) {
                            model.inherits.push((name, attr.text_range()));
                        }
                    }
                }
                _ => {}
            }
        }
        model.root_set = Some(NodePtr::new(&expr));
        if let Some(outputs) = model.outputs.map(|o| o.to_node(root)) {
            let value = strip_parens(outputs.clone());
            model.outputs_lambda = (value.kind() == NODE_LAMBDA).then(|| NodePtr::new(&value));
            model.output_parts = outputs::parts(&outputs, names);
            model.output_definitions = outputs::definitions(&model.output_parts, root);
        }
        model
    }

    pub fn input(&self, name: &str) -> Option<&InputDecl> {
        self.inputs.iter().find(|i| i.name == name)
    }

    /// The attribute sets `outputs` returns (also those reached through a name).
    pub fn output_sets(&self) -> impl Iterator<Item = &OutputPart> {
        self.output_parts.iter().filter(|p| p.kind == PartKind::Set)
    }

    /// `set`, when it is one of the sets `outputs` returns.
    pub fn output_set(&self, set: &SyntaxNode) -> Option<&OutputPart> {
        let set = NodePtr::new(set);
        self.output_sets().find(|p| p.node == set)
    }

    /// Every binding of the sets `outputs` returns, set by set.
    pub fn output_definitions(&self) -> &[OutputDef] {
        &self.output_definitions
    }

    /// The binding of a set `outputs` returns whose first name is written at `range`.
    pub fn output_definition(&self, name_range: TextRange) -> Option<&OutputDef> {
        self.output_definitions.iter().find(|d| d.name_range == name_range)
    }

    fn top_binding(&mut self, entry: &SyntaxNode) {
        let (path, value) = binding_parts(entry);
        let Some(path) = path else { return };
        let mut attrs = attrpath_attrs(&path);
        let Some(first) = attrs.next() else { return };
        let rest: Vec<SyntaxNode> = attrs.collect();
        let name = static_attr_name(&first);
        match (name.as_deref(), rest.is_empty()) {
            (Some("inputs"), true) => match value.as_ref().map(|v| strip_parens(v.clone())) {
                Some(set) if set.kind() == NODE_ATTR_SET && !is_rec(&set) => {
                    for inner in set.children() {
                        if inner.kind() == NODE_ATTRPATH_VALUE {
                            let (p, v) = binding_parts(&inner);
                            if let Some(p) = p {
                                let attrs: Vec<SyntaxNode> = attrpath_attrs(&p).collect();
                                self.input_binding(&attrs, v);
                            }
                        } else if inner.kind() == NODE_INHERIT {
                            self.computed_inputs.push(NodePtr::new(&inner));
                        }
                    }
                }
                Some(other) => self.computed_inputs.push(NodePtr::new(&other)),
                None => {}
            },
            (Some("inputs"), false) => self.input_binding(&rest, value.clone()),
            (Some("outputs"), true) => self.outputs = value.as_ref().map(NodePtr::new),
            (Some("description"), true) => self.description = value.as_ref().map(NodePtr::new),
            _ => {}
        }
        self.bindings.push(TopBinding {
            name,
            name_range: first.text_range(),
            rest: rest.iter().map(NodePtr::new).collect(),
            value: value.as_ref().map(NodePtr::new),
            binding: NodePtr::new(entry),
        });
    }

    /// `name.attr… = value` inside `inputs`.
    fn input_binding(&mut self, path: &[SyntaxNode], value: Option<SyntaxNode>) {
        let Some((first, rest)) = path.split_first() else { return };
        let Some(name) = static_attr_name(first) else {
            self.computed_inputs.push(NodePtr::new(first));
            return;
        };
        let index = match self.inputs.iter().position(|i| i.name == name) {
            Some(i) => i,
            None => {
                self.inputs.push(InputDecl {
                    name,
                    name_range: first.text_range(),
                    attrs: Vec::new(),
                    computed: Vec::new(),
                });
                self.inputs.len() - 1
            }
        };
        let prefix: Vec<SyntaxNode> = rest.to_vec();
        collect_input_attrs(&mut self.inputs[index], prefix, value);
    }
}

/// Flattens `{ url = …; inputs.x.follows = …; }` into paths below the input.
fn collect_input_attrs(input: &mut InputDecl, prefix: Vec<SyntaxNode>, value: Option<SyntaxNode>) {
    let set = value.clone().map(strip_parens).filter(|v| v.kind() == NODE_ATTR_SET && !is_rec(v));
    match set {
        // A set below the input itself or below `inputs.<x>`: look inside.
        Some(set) if prefix.is_empty() || opens_nested_inputs(&prefix) => {
            for inner in set.children() {
                match inner.kind() {
                    NODE_ATTRPATH_VALUE => {
                        let (p, v) = binding_parts(&inner);
                        let Some(p) = p else { continue };
                        let mut path = prefix.clone();
                        path.extend(attrpath_attrs(&p));
                        collect_input_attrs(input, path, v);
                    }
                    NODE_INHERIT => input.computed.push(NodePtr::new(&inner)),
                    _ => {}
                }
            }
        }
        _ if prefix.is_empty() => {
            if let Some(v) = value {
                input.computed.push(NodePtr::new(&v));
            }
        }
        _ => {
            let path = prefix.iter().map(|a| static_attr_name(a).unwrap_or_default()).collect();
            let path_ranges = prefix.iter().map(|a| a.text_range()).collect();
            input.attrs.push(InputAttr { path, path_ranges, value: value.as_ref().map(NodePtr::new) });
        }
    }
}

/// `inputs` or `inputs.<name>`: a place where a set holds more overrides, not a value.
fn opens_nested_inputs(prefix: &[SyntaxNode]) -> bool {
    let names: Vec<Option<String>> = prefix.iter().map(static_attr_name).collect();
    match names.as_slice() {
        [Some(a)] | [Some(a), _] => a == "inputs",
        [Some(a), _, Some(b)] | [Some(a), _, Some(b), _] => a == "inputs" && b == "inputs",
        _ => false,
    }
}

/// The value of a string that needs no evaluation, as Nix requires in `inputs`. A URL literal
/// (`github:owner/repo`, deprecated and warned about on its own) is one: Nix reads it as the
/// string.
pub fn literal_string(value: &SyntaxNode) -> Option<String> {
    let v = strip_parens(value.clone());
    match v.kind() {
        NODE_STRING => plain_string(&v),
        NODE_LITERAL => v.first_token().filter(|t| t.kind() == TOKEN_URI).map(|t| t.text().to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn inputs_in_both_forms() {
        let text = r#"{
  inputs = { nixpkgs.url = "github:NixOS/nixpkgs"; utils = { url = "x"; inputs.nixpkgs.follows = "nixpkgs"; }; };
  inputs.extra.url = "path:./extra";
  inputs.extra.flake = false;
  outputs = { self, ... }: { };
}"#;
        let analysis = crate::ide::Analysis::of(text, crate::ide::FileKind::Flake);
        let model = analysis.flake().expect("a flake.nix has a model");
        let summary: Vec<String> = model
            .inputs
            .iter()
            .map(|i| {
                let attrs: Vec<String> = i.attrs.iter().map(|a| a.path.join(".")).collect();
                format!("{}: {}", i.name, attrs.join(", "))
            })
            .collect();
        assert_eq!(summary, vec!["nixpkgs: url", "utils: url, inputs.nixpkgs.follows", "extra: url, flake"]);
        assert!(model.outputs.is_some());
        assert!(model.computed_inputs.is_empty());
    }
}
