//! What only `flake.nix` knows: `outputs` receives each input under the input's own name, so
//! an argument of `outputs` (or `inputs.<name>` through its `@` name) stands for an input
//! declared in `inputs`. Shared with hover.

use super::cursor::node_at;
use crate::flake::FlakeModel;
use crate::ide::analysis::Analysis;
use crate::syntax::scope::{DefId, DefKind, Resolution, ScopeId, ScopeKind};
use crate::syntax::{attrpath_attrs, is_rec, static_attr_name, SyntaxKind, SyntaxNode, TextRange};
use SyntaxKind::*;

/// The scope of `outputs`' arguments.
pub(crate) fn outputs_scope(analysis: &Analysis, model: &FlakeModel) -> Option<ScopeId> {
    let range = model.outputs_lambda?.text_range();
    analysis.names().scopes.iter().position(|s| s.kind == ScopeKind::Lambda && s.range == range)
}

/// Whether `def` is a formal of `outputs` (`nixpkgs` in `{ self, nixpkgs }:`).
pub(crate) fn is_outputs_formal(analysis: &Analysis, model: &FlakeModel, def: DefId) -> bool {
    let d = &analysis.names().defs[def];
    d.kind == DefKind::Formal && outputs_scope(analysis, model) == Some(d.scope)
}

/// The input a name stands for: a formal of `outputs` or a use of one, `inputs.<name>` where
/// `inputs` is `outputs`' `@` name or parameter, or the input's own name in `inputs`.
pub(crate) fn input_named_by(analysis: &Analysis, model: &FlakeModel, ident: &SyntaxNode) -> Option<String> {
    let names = analysis.names();
    let range = ident.text_range();
    let scope = outputs_scope(analysis, model);
    let lexical = names
        .refs
        .iter()
        .find(|r| r.range == range)
        .and_then(|r| match r.resolution {
            Resolution::Def(d) => Some(d),
            _ => None,
        })
        .or_else(|| names.defs.iter().position(|d| d.name_range == range));
    if let Some(d) = lexical {
        let def = &names.defs[d];
        return (def.kind == DefKind::Formal && Some(def.scope) == scope && def.name != "self")
            .then(|| def.name.clone());
    }
    if let Some(name) = selected_input(analysis, scope, ident) {
        return Some(name);
    }
    match attr_path(ident)?.as_slice() {
        [inputs, name] if inputs == "inputs" => Some(name.clone()),
        _ => None,
    }
}

/// `inputs.<name>` in the body of `outputs`, with the cursor on `<name>`.
fn selected_input(analysis: &Analysis, scope: Option<ScopeId>, ident: &SyntaxNode) -> Option<String> {
    let attrpath = ident.parent().filter(|p| p.kind() == NODE_ATTRPATH)?;
    if attrpath_attrs(&attrpath).next()?.text_range() != ident.text_range() {
        return None;
    }
    let select = attrpath.parent().filter(|p| p.kind() == NODE_SELECT)?;
    let base = select.children().next().filter(|b| b.kind() == NODE_IDENT)?;
    let names = analysis.names();
    let base_ref = names.refs.iter().find(|r| r.range == base.text_range())?;
    let Resolution::Def(d) = base_ref.resolution else { return None };
    let def = &names.defs[d];
    let whole_argument = matches!(def.kind, DefKind::PatBind | DefKind::LambdaParam);
    (whole_argument && Some(def.scope) == scope).then(|| ident.text().to_string())
}

/// The binding that declares input `name` (the first, when it is split over several) and the
/// name in it.
pub(crate) fn input_declaration(
    root: &SyntaxNode,
    model: &FlakeModel,
    name: &str,
) -> Option<(TextRange, TextRange)> {
    let input = model.input(name)?;
    let binding = node_at(root, input.name_range)?.ancestors().find(|n| n.kind() == NODE_ATTRPATH_VALUE)?;
    Some((binding.text_range(), input.name_range))
}

/// The attribute path from the top of `flake.nix` to an attribute name written in nested
/// sets (`inputs.nixpkgs.url`, also as `inputs = { nixpkgs = { url = …; }; }`), ending at
/// the name under the cursor. `None` when the name is not an attribute of those sets.
pub(crate) fn attr_path(ident: &SyntaxNode) -> Option<Vec<String>> {
    let attrpath = ident.parent().filter(|p| p.kind() == NODE_ATTRPATH)?;
    let mut path = Vec::new();
    for attr in attrpath_attrs(&attrpath) {
        path.push(static_attr_name(&attr)?);
        if attr.text_range() == ident.text_range() {
            break;
        }
    }
    let mut binding = attrpath.parent().filter(|p| p.kind() == NODE_ATTRPATH_VALUE)?;
    loop {
        let set = binding.parent().filter(|s| s.kind() == NODE_ATTR_SET && !is_rec(s))?;
        let mut outer = set.parent()?;
        while outer.kind() == NODE_PAREN {
            outer = outer.parent()?;
        }
        match outer.kind() {
            NODE_ROOT => return Some(path),
            NODE_ATTRPATH_VALUE => {
                let prefix_path = outer.children().find(|c| c.kind() == NODE_ATTRPATH)?;
                let mut prefix = attrpath_attrs(&prefix_path)
                    .map(|a| static_attr_name(&a))
                    .collect::<Option<Vec<String>>>()?;
                prefix.append(&mut path);
                path = prefix;
                binding = outer;
            }
            _ => return None,
        }
    }
}
