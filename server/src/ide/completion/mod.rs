//! Completion: names in scope, keywords, builtins, the flake schema, `mkShell` arguments.
//!
//! [`place`] decides what goes at the cursor from the token before it (text being typed
//! rarely parses); [`names`] finds the names visible there by walking up from the cursor;
//! [`flake`] finds where a set sits in `flake.nix`. This file turns those into items, most
//! relevant first: the ones specific to the spot (schema keys, names in scope), then those
//! that fit anywhere (keywords, builtins).

mod evaluated;
mod flake;
mod items;
mod names;
mod packages;
mod place;

pub use items::{CompletionItem, CompletionKind, CompletionList};
pub use packages::resolve as resolve_package;
pub(crate) use packages::{documentation as package_documentation, select_path, set_path, Bound};

use std::collections::HashSet;

use super::analysis::{Analysis, FileContext, FileKind};
use crate::eval::attributes::Target;
use crate::flake::schema::{self, OutputShape, ValueKind};
use crate::flake::{literal_string, FlakeModel};
use crate::syntax::builtins::{BUILTINS, GLOBALS};
use crate::syntax::{
    attrpath_attrs, binding_parts, function_name, static_attr_name, strip_parens, SyntaxKind, SyntaxNode,
    TextRange, TextSize,
};
use flake::{Spot, Step};
use items::Items;
use names::{Visible, WithNames};
use place::{Cursor, Place, SetLike};
use SyntaxKind::*;

/// Completions at `offset`, most relevant first.
pub fn completion(analysis: &Analysis, ctx: &FileContext, offset: TextSize) -> Vec<CompletionItem> {
    completion_list(analysis, ctx, offset).items
}

/// [`completion`], saying whether the list is complete.
pub fn completion_list(analysis: &Analysis, ctx: &FileContext, offset: TextSize) -> CompletionList {
    let root = analysis.root();
    let cursor = Cursor::at(&root, offset);
    let mut acc = Items::new(&cursor, ctx.builtin_docs.as_deref());
    acc.packages = ctx.packages.as_deref();
    let repaired = repaired_flake(analysis, &cursor);
    let flake_analysis = repaired.as_ref().unwrap_or(analysis);
    let flake_root = flake_analysis.root();
    let flake = flake_analysis.flake().map(|model| Flake { model, root: &flake_root });
    let flake = flake.as_ref();
    match &cursor.place {
        Place::Nothing => {}
        Place::Expr { anchor, defining, after_operand } => {
            let defined = defining.as_ref().and_then(binding_name_range);
            expression(&mut acc, anchor.as_ref(), cursor.offset, defined, *after_operand);
        }
        Place::InheritName { anchor } => {
            // `inherit x;` reads `x` from around the set or `let` it is in.
            let outside = anchor.parent().and_then(|set| set.parent());
            let visible = Visible::at(outside.as_ref(), cursor.offset);
            scope_names(&mut acc, &visible, None);
            globals(&mut acc);
        }
        Place::InheritFrom { from } => {
            if is_builtins(from, &Visible::at(Some(from), cursor.offset)) {
                all_builtins(&mut acc);
            }
        }
        Place::Select { base, path } => select(&mut acc, base, path, cursor.offset, flake, ctx),
        Place::AttrName { set, prefix } => attr_name(&mut acc, set, prefix, flake),
        Place::Formal { lambda } => formal(&mut acc, lambda, flake),
        Place::StringText { string, typed } => {
            if let Some(flake) = flake {
                let typed_text =
                    analysis.text().get(usize::from(typed.start())..usize::from(typed.end())).unwrap_or("");
                string_text(&mut acc, string, typed_text, flake);
            }
        }
    }
    CompletionList { items: acc.items, incomplete: acc.incomplete }
}

/// The set at the cursor whose attributes only the flake's evaluator knows (`self.`,
/// `nixpkgs.lib.`, `inputs.<name>.packages.${system}.`), for the caller to ask it and pass
/// the answer back in [`FileContext::attributes`]. `None` where the text or the package index
/// says what comes.
pub fn evaluation_target(analysis: &Analysis, ctx: &FileContext, offset: TextSize) -> Option<Target> {
    let root = analysis.root();
    let cursor = Cursor::at(&root, offset);
    let Place::Select { base, path } = &cursor.place else { return None };
    if ctx.packages.is_some() {
        let resolve = |ident: &SyntaxNode| names::bound(ident, cursor.offset);
        if packages::select_path(base, path, &resolve).is_some() {
            return None;
        }
    }
    let flake = analysis.flake().map(|model| (model, &root));
    evaluated::target_at(base, path, cursor.offset, flake, ctx.lock.as_deref())
}

/// The flake's inputs and outputs as Nix would read them once the binding being typed is
/// finished: `{ de$0 }; outputs = …` does not parse (`{ de }` could still become a lambda's
/// pattern), and the parser's recovery loses what follows. So when an attribute name is being
/// typed, the model is read from the text with ` = null;` after it. `flake.nix` files are
/// small, so analysing one twice costs little. `None` when the file's own model is read.
fn repaired_flake(analysis: &Analysis, cursor: &Cursor) -> Option<Analysis> {
    let typing_name = matches!(cursor.place, Place::AttrName { .. });
    if analysis.kind() != FileKind::Flake || analysis.errors().is_empty() || !typing_name {
        return None;
    }
    let at = usize::from(cursor.replace().end());
    let text = analysis.text();
    let (before, after) = (text.get(..at)?, text.get(at..)?);
    Some(Analysis::of(&format!("{before} = null;{after}"), FileKind::Flake))
}

/// The flake model with the tree its nodes are in (the file's, or the repaired text's).
struct Flake<'a> {
    model: &'a FlakeModel,
    root: &'a SyntaxNode,
}

impl Flake<'_> {
    /// The `outputs` function of the flake, when it is written as one.
    fn outputs_lambda(&self) -> Option<SyntaxNode> {
        self.model.outputs_lambda.map(|l| l.to_node(self.root))
    }
}

/// Keywords that start an expression.
const EXPRESSION_KEYWORDS: &[&str] = &["let", "with", "rec", "if", "assert"];

/// Keywords that continue one after an operand (`if c then`, `a.b or`, `let … in`).
const CONTINUATION_KEYWORDS: &[&str] = &["then", "else", "in", "or"];

fn expression(
    acc: &mut Items,
    anchor: Option<&SyntaxNode>,
    offset: TextSize,
    defined: Option<TextRange>,
    after_operand: bool,
) {
    let visible = Visible::at(anchor, offset);
    scope_names(acc, &visible, defined);
    for with in &visible.withs {
        match with {
            WithNames::Keys(keys) => {
                for key in keys {
                    acc.add(key, CompletionKind::Variable, Some("from `with`".to_string()), None);
                }
            }
            WithNames::Builtins => all_builtins(acc),
            WithNames::Packages(path) => {
                if let Some(index) = acc.packages {
                    let typed = acc.typed.clone();
                    packages::complete(acc, index, path, &typed);
                }
            }
        }
    }
    if after_operand {
        CONTINUATION_KEYWORDS.iter().for_each(|k| acc.keyword(k));
    }
    EXPRESSION_KEYWORDS.iter().for_each(|k| acc.keyword(k));
    globals(acc);
}

/// The lexically bound names, innermost first; not the one being defined at the cursor.
fn scope_names(acc: &mut Items, visible: &Visible, defined: Option<TextRange>) {
    for name in &visible.names {
        if acc.is_word(name.range) || Some(name.range) == defined {
            continue;
        }
        let kind =
            if name.origin.is_parameter() { CompletionKind::Parameter } else { CompletionKind::Variable };
        acc.add(&name.name, kind, Some(name.origin.describe().to_string()), None);
    }
}

fn globals(acc: &mut Items) {
    GLOBALS.iter().for_each(|g| acc.builtin(g));
}

fn all_builtins(acc: &mut Items) {
    BUILTINS.iter().for_each(|b| acc.builtin(b));
}

/// Where the name of `binding` (`a` in `a.b = …`) is written.
fn binding_name_range(binding: &SyntaxNode) -> Option<TextRange> {
    let path = binding_parts(binding).0?;
    attrpath_attrs(&path).next().map(|a| a.text_range())
}

/// Whether `node` is the builtin `builtins`, not a name bound in the file.
fn is_builtins(node: &SyntaxNode, visible: &Visible) -> bool {
    let node = strip_parens(node.clone());
    node.kind() == NODE_IDENT && node.text() == "builtins" && !visible.binds("builtins")
}

/// After `base.`: the builtins after `builtins.`, a flake's inputs after `inputs.`, packages
/// after `pkgs.` (or anything else that is nixpkgs' package set), what the evaluator sees after
/// `self.` or `nixpkgs.lib.`.
fn select(
    acc: &mut Items,
    base: &SyntaxNode,
    path: &[SyntaxNode],
    offset: TextSize,
    flake: Option<&Flake>,
    ctx: &FileContext,
) {
    if let Some(index) = acc.packages {
        let resolve = |ident: &SyntaxNode| names::bound(ident, offset);
        if let Some(set) = packages::select_path(base, path, &resolve) {
            let typed = acc.typed.clone();
            packages::complete(acc, index, &set, &typed);
            return;
        }
    }
    let model = flake.map(|f| (f.model, f.root));
    if let Some(target) = evaluated::target_at(base, path, offset, model, ctx.lock.as_deref()) {
        evaluated::complete(acc, &target, ctx.attributes.as_ref());
        return;
    }
    if !path.is_empty() {
        return;
    }
    let visible = Visible::at(Some(base), offset);
    if is_builtins(base, &visible) {
        all_builtins(acc);
        return;
    }
    let Some(flake) = flake else { return };
    // `inputs.` where `outputs = inputs @ { … }:` or `outputs = inputs:`.
    let base = strip_parens(base.clone());
    let bound = visible.names.iter().find(|n| n.name == base.text().to_string());
    let Some(param) = flake.outputs_lambda().and_then(|l| whole_argument(&l)) else { return };
    if base.kind() == NODE_IDENT && bound.is_some_and(|b| b.range == param.text_range()) {
        self_and_inputs(acc, flake, &HashSet::new());
    }
}

/// The name a lambda gives its whole argument: `inputs` in `inputs @ { … }:` or `inputs:`.
fn whole_argument(lambda: &SyntaxNode) -> Option<SyntaxNode> {
    let param = lambda.children().next()?;
    match param.kind() {
        NODE_IDENT_PARAM => param.children().find(|c| c.kind() == NODE_IDENT),
        NODE_PATTERN => {
            let bind = param.children().find(|c| c.kind() == NODE_PAT_BIND)?;
            bind.children().find(|c| c.kind() == NODE_IDENT)
        }
        _ => None,
    }
}

/// `self` and the declared inputs, except those in `skip`.
fn self_and_inputs(acc: &mut Items, flake: &Flake, skip: &HashSet<String>) {
    if !skip.contains("self") {
        acc.add(
            "self",
            CompletionKind::Module,
            Some("this flake".to_string()),
            Some(
                "This flake itself: its outputs, and its source as `self.outPath` (or `\"${self}\"`)."
                    .to_string(),
            ),
        );
    }
    for input in flake.model.inputs.iter().filter(|i| !skip.contains(&i.name)) {
        let url = input
            .attrs
            .iter()
            .find(|a| a.path == ["url"])
            .and_then(|a| a.value)
            .and_then(|v| literal_string(&v.to_node(flake.root)));
        let detail = url.unwrap_or_else(|| "input".to_string());
        acc.add(&input.name, CompletionKind::Module, Some(detail), None);
    }
}

/// A binding's name in a set: the flake schema, `mkShell` arguments, `inherit`.
fn attr_name(acc: &mut Items, set: &SetLike, prefix: &[SyntaxNode], flake: Option<&Flake>) {
    let written = written_keys(acc, set, prefix);
    let spot = flake.and_then(|_| {
        let mut steps = flake::path_to(set.value())?;
        steps.extend(prefix.iter().map(|a| Step::Attr(static_attr_name(a))));
        Spot::of(&steps)
    });
    if let (Some(spot), Some(flake)) = (spot, flake) {
        flake_keys(acc, &spot, &written, flake);
        return;
    }
    if prefix.is_empty() && is_mk_shell_argument(set.value()) {
        for (name, doc) in schema::MK_SHELL_ARGUMENTS.iter().filter(|(n, _)| !written.contains(*n)) {
            acc.property(name, Some("mkShell argument"), Some(doc));
        }
    }
    if !prefix.is_empty() {
        return;
    }
    acc.keyword("inherit");
    let has_in = set.value().children_with_tokens().any(|e| e.kind() == TOKEN_IN);
    if set.is_let() && !has_in {
        acc.keyword("in");
    }
}

/// The names already given in `set` below `prefix`, but the one being typed.
fn written_keys(acc: &Items, set: &SetLike, prefix: &[SyntaxNode]) -> HashSet<String> {
    let prefix: Vec<Option<String>> = prefix.iter().map(static_attr_name).collect();
    let mut out = HashSet::new();
    match set {
        SetLike::Set(node) => {
            for entry in node.children() {
                match entry.kind() {
                    NODE_ATTRPATH_VALUE => {
                        let (path, value) = binding_parts(&entry);
                        let Some(path) = path else { continue };
                        let attrs: Vec<SyntaxNode> = attrpath_attrs(&path).collect();
                        let names: Vec<Option<String>> = attrs.iter().map(static_attr_name).collect();
                        if !names.starts_with(&prefix) {
                            continue;
                        }
                        match attrs.get(prefix.len()) {
                            Some(next) if !acc.is_word(next.text_range()) => {
                                out.extend(static_attr_name(next));
                            }
                            Some(_) => {}
                            None => {
                                let value = value.map(strip_parens).filter(|v| v.kind() == NODE_ATTR_SET);
                                out.extend(value.iter().flat_map(names::set_keys));
                            }
                        }
                    }
                    NODE_INHERIT if prefix.is_empty() => {
                        for attr in entry.children().filter(|c| c.kind() != NODE_INHERIT_FROM) {
                            out.extend(static_attr_name(&attr));
                        }
                    }
                    _ => {}
                }
            }
        }
        SetLike::Pattern(lambda) => {
            out.extend(pattern_names(acc, lambda));
        }
    }
    out
}

/// The names in a lambda's pattern, in order, but the word being typed.
fn pattern_names(acc: &Items, lambda: &SyntaxNode) -> Vec<String> {
    let Some(pattern) = lambda.children().find(|c| c.kind() == NODE_PATTERN) else { return Vec::new() };
    pattern
        .children()
        .filter(|c| c.kind() == NODE_PAT_ENTRY)
        .filter_map(|entry| entry.children().next().filter(|i| i.kind() == NODE_IDENT))
        .filter(|ident| !acc.is_word(ident.text_range()))
        .map(|ident| ident.text().to_string())
        .collect()
}

/// Whether `value` is the argument set of `mkShell` (or `pkgs.mkShell`, …).
fn is_mk_shell_argument(value: &SyntaxNode) -> bool {
    let mut node = value.clone();
    while let Some(parent) = node.parent().filter(|p| p.kind() == NODE_PAREN) {
        node = parent;
    }
    let Some(apply) = node.parent().filter(|p| p.kind() == NODE_APPLY) else { return false };
    let mut parts = apply.children();
    let function = parts.next();
    parts.next().as_ref() == Some(&node)
        && function.as_ref().and_then(function_name).is_some_and(|name| name == "mkShell")
}

fn flake_keys(acc: &mut Items, spot: &Spot, written: &HashSet<String>, flake: &Flake) {
    let fresh = |name: &&&str| !written.contains(**name);
    match spot {
        Spot::Top => {
            for name in schema::TOP_LEVEL.iter().filter(fresh) {
                let detail = match *name {
                    "description" => "string",
                    "outputs" => "function",
                    _ => "attribute set",
                };
                acc.property(name, Some(detail), schema::top_level_doc(name));
            }
        }
        Spot::Inputs => {
            // Inputs that `outputs` asks for but are not declared yet.
            let declared: HashSet<&str> = flake.model.inputs.iter().map(|i| i.name.as_str()).collect();
            let Some(lambda) = flake.outputs_lambda() else { return };
            for formal in pattern_names(acc, &lambda) {
                if formal != "self" && !declared.contains(formal.as_str()) && !written.contains(&formal) {
                    acc.add(&formal, CompletionKind::Module, Some("used by outputs".to_string()), None);
                }
            }
        }
        Spot::Input { .. } => {
            for (name, kind) in schema::INPUT_ATTRIBUTES.iter().filter(|(n, _)| !written.contains(*n)) {
                let detail = match kind {
                    ValueKind::String => "string",
                    ValueKind::Bool => "bool",
                    ValueKind::Int => "integer",
                    ValueKind::Inputs => "attribute set",
                };
                acc.property(name, Some(detail), schema::input_attribute_doc(name));
            }
        }
        Spot::Outputs { .. } => {
            for output in schema::OUTPUTS.iter().filter(|o| !written.contains(o.name)) {
                acc.property(output.name, Some(output.value), Some(output.doc));
            }
        }
        Spot::Output { output, per_system } => match (output.shape, per_system) {
            (OutputShape::PerSystemSet | OutputShape::PerSystem, false) => {
                for system in schema::SYSTEMS.iter().filter(fresh) {
                    acc.property(system, Some("system"), None);
                }
            }
            (OutputShape::PerSystemSet | OutputShape::Set, _) => {
                default_output(acc, written, Some(output.doc))
            }
            _ => {}
        },
        Spot::OutputSystem => default_output(acc, written, None),
    }
}

fn default_output(acc: &mut Items, written: &HashSet<String>, doc: Option<&str>) {
    if !written.contains("default") {
        acc.property("default", Some("used when no name is given"), doc);
    }
}

/// Formals of a lambda: for the flake's `outputs`, `self` and the inputs not listed yet.
fn formal(acc: &mut Items, lambda: &SyntaxNode, flake: Option<&Flake>) {
    let Some(flake) = flake else { return };
    if flake.outputs_lambda().as_ref() != Some(lambda) {
        return;
    }
    let listed = pattern_names(acc, lambda).into_iter().collect();
    self_and_inputs(acc, flake, &listed);
}

/// In a flake's strings: URL schemes in an input's `url`, input names in `follows`.
fn string_text(acc: &mut Items, string: &SyntaxNode, typed: &str, flake: &Flake) {
    let Some(steps) = flake::path_to(string) else { return };
    let names: Vec<Option<&str>> = steps.iter().map(Step::name).collect();
    let (input, attr) = match names.as_slice() {
        [Some("inputs"), Some(input), Some(attr)] => (*input, *attr),
        [Some("inputs"), Some(input), Some("inputs"), Some(_), Some(attr)] => (*input, *attr),
        _ => return,
    };
    match attr {
        "url" if !typed.contains([':', '/']) => {
            for (scheme, doc) in schema::URL_SCHEMES {
                acc.add(scheme, CompletionKind::Scheme, None, Some(doc.to_string()));
            }
        }
        "follows" => {
            for other in flake.model.inputs.iter().filter(|i| i.name != input) {
                acc.add(&other.name, CompletionKind::Module, Some("input".to_string()), None);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use expect_test::{expect, Expect};

    use super::*;
    use crate::ide::docs::BuiltinDocs;
    use crate::ide::fixture;

    fn check(marked: &str, expect: Expect) {
        check_in(FileKind::Nix, marked, expect);
    }

    fn check_flake(marked: &str, expect: Expect) {
        check_in(FileKind::Flake, marked, expect);
    }

    /// One line per item, `label (kind) detail`; the text replaced first when there is any.
    /// The builtins in scope everywhere and the whole of `builtins` are shown as one line
    /// each when they come in full and in order, as they always do.
    fn check_in(kind: FileKind, marked: &str, expect: Expect) {
        let (text, offset) = fixture::cursor(marked);
        let analysis = Analysis::of(&text, kind);
        let items = completion(&analysis, &FileContext::default(), offset);
        expect.assert_eq(&render(&text, &items));
    }

    fn render(text: &str, items: &[CompletionItem]) -> String {
        let mut out = String::new();
        if let Some(first) = items.first() {
            if !first.replace.is_empty() {
                out.push_str(&format!(
                    "replace {:?}\n",
                    &text[first.replace.start().into()..first.replace.end().into()]
                ));
            }
            assert!(items.iter().all(|i| i.replace == first.replace));
        }
        let labels: Vec<&str> = items.iter().map(|i| i.label.as_str()).collect();
        let mut i = 0;
        while i < items.len() {
            if let Some(n) = run_of(&labels[i..], BUILTINS, "<all builtins>", &mut out)
                .or_else(|| run_of(&labels[i..], GLOBALS, "<globals>", &mut out))
            {
                i += n;
                continue;
            }
            let item = &items[i];
            let detail = item.detail.as_deref().map(|d| format!(" {d}")).unwrap_or_default();
            let deprecated = if item.deprecated { " [deprecated]" } else { "" };
            out.push_str(&format!("{} ({:?}){detail}{deprecated}\n", item.label, item.kind));
            i += 1;
        }
        out
    }

    fn run_of(labels: &[&str], run: &[&str], name: &str, out: &mut String) -> Option<usize> {
        labels.starts_with(run).then(|| {
            out.push_str(name);
            out.push('\n');
            run.len()
        })
    }

    #[test]
    fn empty_file_and_edges() {
        check(
            "$0",
            expect![[r#"
                let (Keyword)
                with (Keyword)
                rec (Keyword)
                if (Keyword)
                assert (Keyword)
                <globals>
            "#]],
        );
        // Past the end is the end.
        let analysis = Analysis::of("le", FileKind::Nix);
        let items = completion(&analysis, &FileContext::default(), 100.into());
        assert_eq!(items[0].replace, TextRange::new(0.into(), 2.into()));
    }

    #[test]
    fn builtins_in_scope_everywhere() {
        let analysis = Analysis::of("", FileKind::Nix);
        let items = completion(&analysis, &FileContext::default(), 0.into());
        let globals: Vec<String> = items
            .iter()
            .filter(|i| GLOBALS.contains(&i.label.as_str()))
            .map(|i| format!("{} ({:?}) {}", i.label, i.kind, i.detail.as_deref().unwrap_or("")))
            .collect();
        expect![[r#"
            abort (Function) abort message
            baseNameOf (Function) baseNameOf path
            break (Function) break value
            builtins (Constant) 
            derivation (Function) derivation attrs
            derivationStrict (Function) derivationStrict attrs
            dirOf (Function) dirOf path
            false (Constant) 
            fetchGit (Function) fetchGit args
            fetchMercurial (Function) fetchMercurial args
            fetchTarball (Function) fetchTarball args
            fetchTree (Function) fetchTree input
            fromTOML (Function) fromTOML s
            import (Function) import path
            isNull (Function) isNull e
            map (Function) map f list
            null (Constant) 
            placeholder (Function) placeholder output
            removeAttrs (Function) removeAttrs set names
            scopedImport (Function) scopedImport scope path
            throw (Function) throw message
            toString (Function) toString e
            true (Constant) 
        "#]]
        .assert_eq(&(globals.join("\n") + "\n"));
        let map = items.iter().find(|i| i.label == "map").unwrap();
        assert!(map.documentation.as_deref().unwrap().contains("*f* applied"));
        assert!(items.iter().find(|i| i.label == "isNull").unwrap().deprecated);
    }

    #[test]
    fn documentation_from_the_installed_nix_when_loaded() {
        let json = r#"{"map":{"args":["fn","xs"],"arity":2,"doc":"Nix's own words."}}"#;
        let docs = std::sync::Arc::new(BuiltinDocs::from_dump(json).unwrap());
        let ctx = FileContext { builtin_docs: Some(docs), ..FileContext::default() };
        let items = completion(&Analysis::of("builtins.", FileKind::Nix), &ctx, 9.into());
        let map = items.iter().find(|i| i.label == "map").unwrap();
        assert_eq!(
            (map.detail.as_deref(), map.documentation.as_deref()),
            (Some("map fn xs"), Some("Nix's own words."))
        );
        let head = items.iter().find(|i| i.label == "head").unwrap();
        assert_eq!(head.detail.as_deref(), Some("head list"));
    }

    #[test]
    fn names_in_scope_innermost_first() {
        check(
            r#"let a = 1; inherit (x) b; f = x: { y ? 1, ... }@args: $0; in f"#,
            expect![[r#"
                y (Parameter) formal
                args (Parameter) formals set
                x (Parameter) parameter
                a (Variable) let binding
                b (Variable) inherited
                f (Variable) let binding
                let (Keyword)
                with (Keyword)
                rec (Keyword)
                if (Keyword)
                assert (Keyword)
                <globals>
            "#]],
        );
        // A `rec` set's attributes; a plain set's are not names.
        check(
            "rec { a = 1; b = { c = 2; d = $0 }; }",
            expect![[r#"
                a (Variable) rec attribute
                b (Variable) rec attribute
                let (Keyword)
                with (Keyword)
                rec (Keyword)
                if (Keyword)
                assert (Keyword)
                <globals>
            "#]],
        );
        // Shadowing: the innermost `map` wins, once.
        check(
            "let map = 1; in x: ma$0",
            expect![[r#"
                replace "ma"
                x (Parameter) parameter
                map (Variable) let binding
                let (Keyword)
                with (Keyword)
                rec (Keyword)
                if (Keyword)
                assert (Keyword)
                abort (Function) abort message
                baseNameOf (Function) baseNameOf path
                break (Function) break value
                builtins (Constant)
                derivation (Function) derivation attrs
                derivationStrict (Function) derivationStrict attrs
                dirOf (Function) dirOf path
                false (Constant)
                fetchGit (Function) fetchGit args
                fetchMercurial (Function) fetchMercurial args
                fetchTarball (Function) fetchTarball args
                fetchTree (Function) fetchTree input
                fromTOML (Function) fromTOML s
                import (Function) import path
                isNull (Function) isNull e [deprecated]
                null (Constant)
                placeholder (Function) placeholder output
                removeAttrs (Function) removeAttrs set names
                scopedImport (Function) scopedImport scope path
                throw (Function) throw message
                toString (Function) toString e
                true (Constant)
            "#]],
        );
    }

    #[test]
    fn unfinished_bindings() {
        // `{ a = ` at the end of the file: the set is not `rec`, so `a` is no name.
        check(
            "x: { a = $0",
            expect![[r#"
                x (Parameter) parameter
                let (Keyword)
                with (Keyword)
                rec (Keyword)
                if (Keyword)
                assert (Keyword)
                <globals>
            "#]],
        );
        check(
            "let p = 1; in { a = ; b = p$0; }",
            expect![[r#"
                replace "p"
                p (Variable) let binding
                let (Keyword)
                with (Keyword)
                rec (Keyword)
                if (Keyword)
                assert (Keyword)
                <globals>
            "#]],
        );
    }

    #[test]
    fn not_the_name_being_defined() {
        check(
            "let a = 1; b = $0",
            expect![[r#"
                a (Variable) let binding
                let (Keyword)
                with (Keyword)
                rec (Keyword)
                if (Keyword)
                assert (Keyword)
                <globals>
            "#]],
        );
        check(
            "let a = 1; bc = b$0; in a",
            expect![[r#"
                replace "b"
                a (Variable) let binding
                let (Keyword)
                with (Keyword)
                rec (Keyword)
                if (Keyword)
                assert (Keyword)
                <globals>
            "#]],
        );
        // But a function may call itself.
        check(
            "let f = n: f$0 n; in f",
            expect![[r#"
                replace "f"
                n (Parameter) parameter
                f (Variable) let binding
                let (Keyword)
                with (Keyword)
                rec (Keyword)
                if (Keyword)
                assert (Keyword)
                <globals>
            "#]],
        );
    }

    #[test]
    fn keywords_that_continue_an_expression() {
        check(
            "x: if x $0",
            expect![[r#"
                x (Parameter) parameter
                then (Keyword)
                else (Keyword)
                in (Keyword)
                or (Keyword)
                let (Keyword)
                with (Keyword)
                rec (Keyword)
                if (Keyword)
                assert (Keyword)
                <globals>
            "#]],
        );
        // In a `let`, before `in`: a name, `inherit`, or `in` itself.
        check(
            "let a = 1; i$0",
            expect![[r#"
                replace "i"
                inherit (Keyword)
                in (Keyword)
            "#]],
        );
        check(
            "{ a = 1; $0 }",
            expect![[r#"
            inherit (Keyword)
        "#]],
        );
    }

    #[test]
    fn with_of_known_sets() {
        check(
            "with { a = 1; inherit b; }; [ $0 ]",
            expect![[r#"
                a (Variable) from `with`
                b (Variable) from `with`
                let (Keyword)
                with (Keyword)
                rec (Keyword)
                if (Keyword)
                assert (Keyword)
                <globals>
            "#]],
        );
        check(
            "let s = { x = 1; }; in with s; with import ./y.nix; $0",
            expect![[r#"
                s (Variable) let binding
                x (Variable) from `with`
                let (Keyword)
                with (Keyword)
                rec (Keyword)
                if (Keyword)
                assert (Keyword)
                <globals>
            "#]],
        );
        // Every builtin; the lexical `s` first, before any `with`.
        check(
            "s: with builtins; conc$0",
            expect![[r#"
                replace "conc"
                s (Parameter) parameter
                <all builtins>
                let (Keyword)
                with (Keyword)
                rec (Keyword)
                if (Keyword)
                assert (Keyword)
            "#]],
        );
        // In the namespace itself, the `with` brings nothing yet.
        check(
            "with { a = 1; }; with $0; 1",
            expect![[r#"
                a (Variable) from `with`
                let (Keyword)
                with (Keyword)
                rec (Keyword)
                if (Keyword)
                assert (Keyword)
                <globals>
            "#]],
        );
    }

    #[test]
    fn attributes_after_a_dot() {
        check(
            "builtins.$0",
            expect![[r#"
                <all builtins>
            "#]],
        );
        check(
            "{ a = builtins.has$0; }",
            expect![[r#"
                replace "has"
                <all builtins>
            "#]],
        );
        check("pkgs.$0", expect![[""]]);
        check("builtins.a.$0", expect![[""]]);
        check("let builtins = { }; in builtins.$0", expect![[""]]);
        check(
            "{ inherit (builtins) $0; }",
            expect![[r#"
            <all builtins>
        "#]],
        );
    }

    #[test]
    fn inherit_takes_names_from_around() {
        check(
            "x: let a = 1; in { b = 2; inherit $0; }",
            expect![[r#"
                a (Variable) let binding
                x (Parameter) parameter
                <globals>
            "#]],
        );
    }

    #[test]
    fn nothing_in_comments_strings_and_numbers() {
        check("# a comment $0", expect![[""]]);
        check("/* a $0 */ 1", expect![[""]]);
        check("\"text $0\"", expect![[""]]);
        check("''\n  text $0\n''", expect![[""]]);
        check("12$0", expect![[""]]);
        check("./path$0", expect![[""]]);
        check(
            "/* done */ $0",
            expect![[r#"
                let (Keyword)
                with (Keyword)
                rec (Keyword)
                if (Keyword)
                assert (Keyword)
                <globals>
            "#]],
        );
        // Inside an interpolation it is an expression again.
        check(
            "x: \"a ${$0}\"",
            expect![[r#"
                x (Parameter) parameter
                let (Keyword)
                with (Keyword)
                rec (Keyword)
                if (Keyword)
                assert (Keyword)
                <globals>
            "#]],
        );
        check("x: \"a ${x} b$0\"", expect![[""]]);
    }

    #[test]
    fn non_ascii() {
        check(
            "let cafe = \"é\"; in /* ü */ \"日本\" + caf$0",
            expect![[r#"
                replace "caf"
                cafe (Variable) let binding
                let (Keyword)
                with (Keyword)
                rec (Keyword)
                if (Keyword)
                assert (Keyword)
                <globals>
            "#]],
        );
        check("\"日本$0語\"", expect![[""]]);
    }

    #[test]
    fn mk_shell_arguments() {
        check(
            "pkgs.mkShell { packages = [ ]; $0 }",
            expect![[r#"
                buildInputs (Property) mkShell argument
                nativeBuildInputs (Property) mkShell argument
                inputsFrom (Property) mkShell argument
                shellHook (Property) mkShell argument
                env (Property) mkShell argument
                name (Property) mkShell argument
                inherit (Keyword)
            "#]],
        );
        // `{ pa }` is not a set yet for the parser (it could become `{ pa }: …`).
        check(
            "mkShell { shellHook = \"\"; } // (mkShell { pa$0 })",
            expect![[r#"
                replace "pa"
                packages (Property) mkShell argument
                buildInputs (Property) mkShell argument
                nativeBuildInputs (Property) mkShell argument
                inputsFrom (Property) mkShell argument
                shellHook (Property) mkShell argument
                env (Property) mkShell argument
                name (Property) mkShell argument
                inherit (Keyword)
            "#]],
        );
        check(
            "notShell { $0 }",
            expect![[r#"
            inherit (Keyword)
        "#]],
        );
    }

    #[test]
    fn flake_top_level() {
        check_flake(
            "{ $0 }",
            expect![[r#"
                description (Property) string
                inputs (Property) attribute set
                outputs (Property) function
                nixConfig (Property) attribute set
            "#]],
        );
        check_flake(
            "{\n  description = \"x\";\n  outputs = _: { };\n  inp$0\n}",
            expect![[r#"
                replace "inp"
                inputs (Property) attribute set
                nixConfig (Property) attribute set
            "#]],
        );
        // Typing breaks the parse of what follows: `{ de }` reads as the start of a lambda.
        for text in [
            "{ inputs = { de$0 }; outputs = { self, nixpkgs, devenv }: { }; }",
            "{ inputs = { flake-utils.url = \"x\"; de$0 }; outputs = { self, nixpkgs, devenv, flake-utils }: { }; }",
        ] {
            check_flake(
                text,
                expect![[r#"
                    replace "de"
                    nixpkgs (Module) used by outputs
                    devenv (Module) used by outputs
                "#]],
            );
        }
        // Not in a file that is not `flake.nix`.
        check(
            "{ $0 }",
            expect![[r#"
            inherit (Keyword)
        "#]],
        );
    }

    #[test]
    fn flake_inputs() {
        // The names `outputs` asks for that are not declared.
        check_flake(
            "{ inputs = { nixpkgs.url = \"x\"; $0 }; outputs = { self, nixpkgs, flake-utils }: { }; }",
            expect![[r#"
                flake-utils (Module) used by outputs
            "#]],
        );
        for text in [
            "{ inputs.nixpkgs.u$0 }",
            "{ inputs = { nixpkgs.u$0 }; }",
            "{ inputs = { nixpkgs = { u$0 }; }; }",
        ] {
            check_flake(
                text,
                expect![[r#"
            replace "u"
            url (Property) string
            flake (Property) bool
            follows (Property) string
            inputs (Property) attribute set
            type (Property) string
            owner (Property) string
            repo (Property) string
            ref (Property) string
            rev (Property) string
            dir (Property) string
            narHash (Property) string
            host (Property) string
            submodules (Property) bool
            path (Property) string
            id (Property) string
            shallow (Property) bool
            allRefs (Property) bool
            lfs (Property) bool
            exportIgnore (Property) bool
            lastModified (Property) integer
            revCount (Property) integer
            treeHash (Property) string
            verifyCommit (Property) bool
            keytype (Property) string
            publicKey (Property) string
            publicKeys (Property) string
            unpack (Property) bool
            name (Property) string
        "#]],
            );
        }
        // What is written already is not offered again.
        check_flake(
            "{ inputs.a = { url = \"x\"; flake = false; $0 }; }",
            expect![[r#"
                follows (Property) string
                inputs (Property) attribute set
                type (Property) string
                owner (Property) string
                repo (Property) string
                ref (Property) string
                rev (Property) string
                dir (Property) string
                narHash (Property) string
                host (Property) string
                submodules (Property) bool
                path (Property) string
                id (Property) string
                shallow (Property) bool
                allRefs (Property) bool
                lfs (Property) bool
                exportIgnore (Property) bool
                lastModified (Property) integer
                revCount (Property) integer
                treeHash (Property) string
                verifyCommit (Property) bool
                keytype (Property) string
                publicKey (Property) string
                publicKeys (Property) string
                unpack (Property) bool
                name (Property) string
            "#]],
        );
    }

    #[test]
    fn flake_input_strings() {
        for text in ["{ inputs.nixpkgs.url = \"$0\"; }", "{ inputs = { nixpkgs = { url = \"$0"] {
            check_flake(
                text,
                expect![[r#"
            github: (Scheme)
            gitlab: (Scheme)
            sourcehut: (Scheme)
            git+https: (Scheme)
            git+ssh: (Scheme)
            git+file: (Scheme)
            path: (Scheme)
            tarball+https: (Scheme)
            file+https: (Scheme)
            flake: (Scheme)
        "#]],
            );
        }
        check_flake(
            "{ inputs.nixpkgs.url = \"gi$0\"; }",
            expect![[r#"
                replace "gi"
                github: (Scheme)
                gitlab: (Scheme)
                sourcehut: (Scheme)
                git+https: (Scheme)
                git+ssh: (Scheme)
                git+file: (Scheme)
                path: (Scheme)
                tarball+https: (Scheme)
                file+https: (Scheme)
                flake: (Scheme)
            "#]],
        );
        check_flake("{ inputs.nixpkgs.url = \"github:$0\"; }", expect![[""]]);
        check_flake("{ inputs.nixpkgs.rev = \"$0\"; }", expect![[""]]);
        check_flake("{ description = \"$0\"; }", expect![[""]]);
        check_flake(
            r#"{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs";
  inputs.utils.url = "github:numtide/flake-utils";
  inputs.utils.inputs.nixpkgs.follows = "n$0";
  inputs.other = { url = "x"; inputs.systems.follows = ""; };
}"#,
            expect![[r#"
                replace "n"
                nixpkgs (Module) input
                other (Module) input
            "#]],
        );
    }

    #[test]
    fn flake_outputs_formals() {
        let text = r#"{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs";
  inputs.utils.url = "github:numtide/flake-utils";
  outputs = { self, $0 }: { };
}"#;
        check_flake(
            text,
            expect![[r#"
                nixpkgs (Module) github:NixOS/nixpkgs
                utils (Module) github:numtide/flake-utils
            "#]],
        );
        check_flake(
            "{ inputs.nixpkgs.url = \"x\"; outputs = { s$0 }: { }; }",
            expect![[r#"
                replace "s"
                self (Module) this flake
                nixpkgs (Module) x
            "#]],
        );
        // Any other lambda: its formals are the user's to name.
        check_flake("{ outputs = _: { f = { a, $0 }: a; }; }", expect![[""]]);
    }

    #[test]
    fn flake_outputs() {
        for text in [
            "{ outputs = { self, nixpkgs }: { $0 }; }",
            "{ outputs = { self, nixpkgs }: let x = 1; in rec { $0 }; }",
            "{ outputs = { self, utils }: utils.lib.eachDefaultSystem (system: let p = 1; in { $0 }); }",
        ] {
            check_flake(
                text,
                expect![[r#"
            packages (Property) derivation
            devShells (Property) derivation (usually `mkShell`)
            apps (Property) `{ type = "app"; program = "/nix/store/…/bin/x"; }`
            checks (Property) derivation
            formatter (Property) derivation with a program
            legacyPackages (Property) attribute set of packages (nested)
            overlays (Property) `final: prev: { … }`
            nixosModules (Property) NixOS module
            nixosConfigurations (Property) `nixpkgs.lib.nixosSystem { … }`
            darwinConfigurations (Property) `darwin.lib.darwinSystem { … }`
            homeConfigurations (Property) `home-manager.lib.homeManagerConfiguration { … }`
            templates (Property) `{ path = ./dir; description = "…"; }`
            lib (Property) attribute set of functions
            hydraJobs (Property) nested set of derivations
            bundlers (Property) function from a derivation to a derivation
            dockerImages (Property) derivation
        "#]],
            );
        }
        check_flake(
            "{ outputs = { self }: { packages = { }; overlays.default = x; devS$0 }; }",
            expect![[r#"
                replace "devS"
                devShells (Property) derivation (usually `mkShell`)
                apps (Property) `{ type = "app"; program = "/nix/store/…/bin/x"; }`
                checks (Property) derivation
                formatter (Property) derivation with a program
                legacyPackages (Property) attribute set of packages (nested)
                nixosModules (Property) NixOS module
                nixosConfigurations (Property) `nixpkgs.lib.nixosSystem { … }`
                darwinConfigurations (Property) `darwin.lib.darwinSystem { … }`
                homeConfigurations (Property) `home-manager.lib.homeManagerConfiguration { … }`
                templates (Property) `{ path = ./dir; description = "…"; }`
                lib (Property) attribute set of functions
                hydraJobs (Property) nested set of derivations
                bundlers (Property) function from a derivation to a derivation
                dockerImages (Property) derivation
            "#]],
        );
    }

    #[test]
    fn flake_systems_and_default() {
        for text in
            ["{ outputs = { self }: { packages = { $0 }; }; }", "{ outputs = { self }: { devShells.$0 }; }"]
        {
            check_flake(
                text,
                expect![[r#"
            x86_64-linux (Property) system
            aarch64-linux (Property) system
            x86_64-darwin (Property) system
            aarch64-darwin (Property) system
        "#]],
            );
        }
        check_flake(
            "{ outputs = { self }: { packages.x86_64-linux = { $0 }; }; }",
            expect![[r#"
                default (Property) used when no name is given
            "#]],
        );
        check_flake(
            "{ outputs = { self }: { devShells.x86_64-linux.$0 }; }",
            expect![[r#"
                default (Property) used when no name is given
            "#]],
        );
        check_flake(
            "{ outputs = { self }: { devShells.x86_64-linux.default = 1; devShells.x86_64-linux.$0 }; }",
            expect![[""]],
        );
        // Under eachDefaultSystem the system layer is added for us.
        check_flake(
            "{ outputs = { self, u }: u.lib.eachDefaultSystem (system: { packages = { $0 }; }); }",
            expect![[r#"
                default (Property) used when no name is given
            "#]],
        );
        check_flake(
            "{ outputs = { self }: { overlays = { $0 }; }; }",
            expect![[r#"
                default (Property) used when no name is given
            "#]],
        );
    }

    #[test]
    fn flake_inputs_through_the_whole_argument() {
        check_flake(
            "{ inputs.nixpkgs.url = \"x\"; outputs = inputs @ { self, ... }: { lib = inputs.$0; }; }",
            expect![[r#"
                self (Module) this flake
                nixpkgs (Module) x
            "#]],
        );
        check_flake("{ outputs = inputs @ { self, ... }: { lib = inputs.nixpkgs.$0; }; }", expect![[""]]);
    }

    /// The seed flakes' shape: a per-system function, a `let` with `mkShell`s, `in { … }`.
    #[test]
    fn seed_shaped_flake() {
        let seed = r#"{
  inputs = {
    nixpkgs.url = "github:nixos/nixpkgs/nixos-24.05";
    flake-utils.url = "github:numtide/flake-utils";
  };
  outputs = inputs @ { self, nixpkgs, flake-utils, ... }:
    flake-utils.lib.eachDefaultSystem (system: let
      pkgs = import nixpkgs { inherit system; };
      isLinux = pkgs.stdenv.isLinux;
      commonPackages = with pkgs; [ python311 git ];
      linuxDevShell = pkgs.mkShell {
        buildInputs = commonPackages ++ MARK1;
        MARK2
        shellHook = "echo";
      };
    in {
      devShell = linuxDevShell;
      MARK3
    });
}"#;
        let at = |mark: &str, word: &str| seed.replace(mark, &format!("{word}$0"));
        check_flake(
            &at("MARK1", "is"),
            expect![[r#"
                replace "is"
                pkgs (Variable) let binding
                isLinux (Variable) let binding
                commonPackages (Variable) let binding
                linuxDevShell (Variable) let binding
                system (Parameter) parameter
                inputs (Parameter) formals set
                self (Parameter) formal
                nixpkgs (Parameter) formal
                flake-utils (Parameter) formal
                let (Keyword)
                with (Keyword)
                rec (Keyword)
                if (Keyword)
                assert (Keyword)
                <globals>
            "#]],
        );
        check_flake(
            &at("MARK2", "na"),
            expect![[r#"
                replace "na"
                packages (Property) mkShell argument
                nativeBuildInputs (Property) mkShell argument
                inputsFrom (Property) mkShell argument
                shellHook (Property) mkShell argument
                env (Property) mkShell argument
                name (Property) mkShell argument
                inherit (Keyword)
            "#]],
        );
        check_flake(
            &at("MARK3", "dev"),
            expect![[r#"
                replace "dev"
                packages (Property) derivation
                devShells (Property) derivation (usually `mkShell`)
                apps (Property) `{ type = "app"; program = "/nix/store/…/bin/x"; }`
                checks (Property) derivation
                formatter (Property) derivation with a program
                legacyPackages (Property) attribute set of packages (nested)
                overlays (Property) `final: prev: { … }`
                nixosModules (Property) NixOS module
                nixosConfigurations (Property) `nixpkgs.lib.nixosSystem { … }`
                darwinConfigurations (Property) `darwin.lib.darwinSystem { … }`
                homeConfigurations (Property) `home-manager.lib.homeManagerConfiguration { … }`
                templates (Property) `{ path = ./dir; description = "…"; }`
                lib (Property) attribute set of functions
                hydraJobs (Property) nested set of derivations
                bundlers (Property) function from a derivation to a derivation
                dockerImages (Property) derivation
            "#]],
        );
    }

    /// Completion with the sample package index; "(incomplete)" first when the list is.
    fn check_pkgs(marked: &str, expect: Expect) {
        let (text, offset) = fixture::cursor(marked);
        let analysis = Analysis::of(&text, FileKind::Flake);
        let ctx = FileContext {
            packages: Some(std::sync::Arc::new(crate::pkgs::index::sample())),
            ..FileContext::default()
        };
        let list = completion_list(&analysis, &ctx, offset);
        let head = if list.incomplete { "(incomplete)\n" } else { "" };
        expect.assert_eq(&format!("{head}{}", render(&text, &list.items)));
    }

    #[test]
    fn packages_after_pkgs_dot() {
        for text in [
            "{ outputs = { self, nixpkgs }: let pkgs = import nixpkgs { system = \"x\"; }; in pkgs.$0; }",
            "{ outputs = { self, nixpkgs }: let pkgs = nixpkgs.legacyPackages.x86_64-linux; in pkgs.$0 }",
            "{ outputs = { self, nixpkgs }: let p = nixpkgs.legacyPackages.${system}; q = p; in q.$0 }",
            "{ pkgs, ... }: { packages = [ pkgs.$0 ]; }",
            "{ outputs = { self, nixpkgs }: { x = nixpkgs.legacyPackages.${system}.$0; }; }",
            "{ outputs = inputs: { x = inputs.nixpkgs.legacyPackages.aarch64-darwin.$0; }; }",
        ] {
            check_pkgs(
                text,
                expect![[r#"
                    hello (Package) 2.12.1
                    mkShell (Package)
                    python3 (Package) 3.11.2
                    python311 (Package) 3.11.2
                    python311Packages (Module) package set
                    ripgrep (Package) 14.1.0
                "#]],
            );
        }
        check_pkgs(
            "let pkgs = import <nixpkgs> { }; in pkgs.pyth$0",
            expect![[r#"
                replace "pyth"
                python3 (Package) 3.11.2
                python311 (Package) 3.11.2
                python311Packages (Module) package set
            "#]],
        );
        // A set that is not nixpkgs: no packages.
        check_pkgs("let pkgs = { a = 1; }; in pkgs.$0", expect![[""]]);
        check_pkgs("let p = import ./other.nix { }; in p.$0", expect![[""]]);
        check_pkgs("x: x.$0", expect![[""]]);
    }

    #[test]
    fn package_documentation() {
        let (text, offset) = fixture::cursor("{ pkgs }: pkgs.hel$0");
        let ctx = FileContext {
            packages: Some(std::sync::Arc::new(crate::pkgs::index::sample())),
            ..FileContext::default()
        };
        let items = completion(&Analysis::of(&text, FileKind::Nix), &ctx, offset);
        expect![[r#"
            A program that produces a familiar, friendly greeting

            Homepage: <https://www.gnu.org/software/hello/>  
            License: GPL-3.0-or-later"#]]
        .assert_eq(items[0].documentation.as_deref().unwrap());
    }

    #[test]
    fn packages_inside_with_pkgs() {
        check_pkgs(
            "{ outputs = { nixpkgs, ... }: let pkgs = import nixpkgs { }; in { x = with pkgs; [ git rip$0 ]; }; }",
            expect![[r#"
                replace "rip"
                pkgs (Variable) let binding
                nixpkgs (Parameter) formal
                ripgrep (Package) 14.1.0
                then (Keyword)
                else (Keyword)
                in (Keyword)
                or (Keyword)
                let (Keyword)
                with (Keyword)
                rec (Keyword)
                if (Keyword)
                assert (Keyword)
                <globals>
            "#]],
        );
        // Names containing the word come after those starting with it.
        check_pkgs(
            "{ pkgs }: with pkgs.python311Packages; [ env$0 ]",
            expect![[r#"
                replace "env"
                pkgs (Parameter) formal
                virtualenv (Package) 20.25.1
                let (Keyword)
                with (Keyword)
                rec (Keyword)
                if (Keyword)
                assert (Keyword)
                <globals>
            "#]],
        );
    }

    #[test]
    fn nested_package_sets() {
        for text in ["{ pkgs }: pkgs.python311Packages.$0", "{ pkgs }: pkgs.python311.pkgs.$0"] {
            check_pkgs(
                text,
                expect![[r#"
                    pip (Package) 24.0
                    virtualenv (Package) 20.25.1
                "#]],
            );
        }
        // Not loaded yet: nothing now, and the client is told to ask again.
        check_pkgs(
            "{ pkgs }: pkgs.cudaPackages.$0",
            expect![[r#"
                (incomplete)
            "#]],
        );
        // A package is not a set of packages.
        check_pkgs("{ pkgs }: pkgs.hello.$0", expect![[""]]);
    }

    /// Items of packages without details name the package, so that resolving them reads it;
    /// what was read by itself fills the item, and resolving gives it.
    #[test]
    fn packages_without_details_are_resolved() {
        use crate::pkgs::{Entry, Package, PackageIndex, PackageRef, PackageSet};
        let index = std::sync::Arc::new(PackageIndex::with_top(PackageSet::from_names(vec![
            "hello".into(),
            "help2man".into(),
        ])));
        let ctx = FileContext { packages: Some(index.clone()), ..FileContext::default() };
        let (text, offset) = fixture::cursor("{ pkgs }: pkgs.hel$0");
        let items = || completion_list(&Analysis::of(&text, FileKind::Nix), &ctx, offset).items;
        let hello = PackageRef { path: vec![], name: "hello".into() };
        let before = items();
        assert_eq!(before[0].package.as_ref(), Some(&hello));
        assert_eq!(resolve_package(&index, &hello), None, "not read yet");
        let p = Package::new([None, Some("2.12.1"), Some("Says hello"), None, None, None, None]);
        index.record(hello.clone(), Some(Entry::Package(p)));
        let after = items();
        assert_eq!((after[0].detail.as_deref(), after[0].package.as_ref()), (Some("2.12.1"), None));
        assert_eq!(after[1].package.as_ref().map(|p| p.name.as_str()), Some("help2man"));
        assert_eq!(
            resolve_package(&index, &hello),
            Some((Some("2.12.1".to_string()), Some("Says hello".to_string())))
        );
    }

    #[test]
    fn a_hundred_thousand_packages_are_capped() {
        let names: Vec<String> = (0..100_000).map(|i| format!("pkg{i:05}")).collect();
        let index = crate::pkgs::PackageIndex::with_top(crate::pkgs::PackageSet::from_names(names));
        let ctx = FileContext { packages: Some(std::sync::Arc::new(index)), ..FileContext::default() };
        let (text, offset) = fixture::cursor("{ pkgs }: pkgs.pkg1$0");
        let list = completion_list(&Analysis::of(&text, FileKind::Nix), &ctx, offset);
        assert_eq!(list.items.len(), packages::MAX_ITEMS);
        assert!(list.incomplete);
        assert_eq!(list.items[0].label, "pkg10000");
        let (text, offset) = fixture::cursor("{ pkgs }: pkgs.pkg9999$0");
        let list = completion_list(&Analysis::of(&text, FileKind::Nix), &ctx, offset);
        assert_eq!(list.items.len(), 10);
    }

    #[test]
    fn never_panics_on_any_offset() {
        let texts = [
            "{ inputs.a.url = \"gi\"; outputs = { self, a }: a.lib.eachSystem [ ] (s: { packages.${s} = { }; }); }",
            "let x = { a = 1; }; in with x; \"é ${x.a} ü\" # ç",
            "{ a = ; b = builtins.; c = { d e }; inherit (x) ; ''\n ${ } '' ",
        ];
        for text in texts {
            for kind in [FileKind::Flake, FileKind::Nix] {
                let analysis = Analysis::of(text, kind);
                for offset in 0..=text.len() + 1 {
                    let items = completion(&analysis, &FileContext::default(), (offset as u32).into());
                    for item in items {
                        assert!(item.replace.end() <= TextSize::of(text));
                    }
                }
            }
        }
    }
}
