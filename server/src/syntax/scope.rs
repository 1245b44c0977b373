//! Name resolution: which definition each name in a file refers to.
//!
//! Nix scoping in short: `let` and `rec { }` bind all their names at once (recursively);
//! `inherit x;` there takes `x` from the scope *around* them; a lambda binds its parameter or
//! its formals and `@` name, visible in the body and in the formals' defaults; `with e;` makes
//! the attributes of `e` visible, but only for names that no lexical scope binds, whatever the
//! nesting, and the base environment (builtins) is lexical. So a name resolves to a lexical
//! definition, else a global, else "some `with`" (unknowable without evaluation), else it is
//! undefined.

use std::collections::HashMap;

use super::{attrpath_attrs, builtins, is_rec, static_attr_name, SyntaxKind, SyntaxNode, TextRange};
use SyntaxKind::*;

pub type DefId = usize;
pub type ScopeId = usize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefKind {
    /// A `let … in` binding.
    Let,
    /// An attribute of a `rec { }` set, or of a legacy `let { }`.
    RecAttr,
    /// `x` in `x: body`.
    LambdaParam,
    /// `a` in `{ a, b ? 1 }: body`.
    Formal,
    /// `args` in `args @ { … }: body`.
    PatBind,
}

#[derive(Debug, Clone)]
pub struct Definition {
    pub name: String,
    pub kind: DefKind,
    /// The name where it is defined.
    pub name_range: TextRange,
    /// The whole binding (`a = 1;`, the formal with its default, the `inherit`).
    pub binding_range: TextRange,
    /// The value bound, when it is written at the definition (not for `inherit`, formals).
    pub value_range: Option<TextRange>,
    /// Where a formal's default or a binding's value refers to the name itself.
    pub scope: ScopeId,
    pub inherited: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    Let,
    Rec,
    LegacyLet,
    Lambda,
}

#[derive(Debug, Clone)]
pub struct Scope {
    pub kind: ScopeKind,
    /// The `let … in`, `rec { }` or lambda node.
    pub range: TextRange,
    /// For a lambda with a pattern: whether it ends in `...` (so formals can be dropped).
    pub has_ellipsis: bool,
    /// For `rec`: the keyword's range.
    pub keyword: Option<TextRange>,
    pub defs: Vec<DefId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    Def(DefId),
    /// Bound in Nix's base environment.
    Global,
    /// Not bound lexically, under at least one `with`: one of them may provide it.
    With,
    Undefined,
}

#[derive(Debug, Clone)]
pub struct Reference {
    pub name: String,
    pub range: TextRange,
    pub resolution: Resolution,
    /// Inside a part of the file that did not parse.
    pub in_error: bool,
}

#[derive(Debug, Clone)]
pub struct With {
    /// The whole `with e; body` node.
    pub range: TextRange,
    /// `with e;`, the part a quick fix removes.
    pub header: TextRange,
    /// Whether some name in the body is left to a `with`.
    pub used: bool,
}

#[derive(Debug, Clone, Default)]
pub struct NameResolution {
    pub defs: Vec<Definition>,
    pub scopes: Vec<Scope>,
    pub refs: Vec<Reference>,
    pub withs: Vec<With>,
}

impl NameResolution {
    pub fn new(root: &SyntaxNode) -> NameResolution {
        NameResolution::on_threads(root, crate::cores())
    }

    /// The resolution of `root`, the bindings of a large list resolved on up to `threads`
    /// threads; the same as on one.
    pub fn on_threads(root: &SyntaxNode, threads: usize) -> NameResolution {
        let mut r = Resolver {
            out: NameResolution::default(),
            frames: Vec::new(),
            error_depth: 0,
            merged: HashMap::new(),
            extra_keys: HashMap::new(),
            owner_frames: HashMap::new(),
            base: 0,
            outer_withs_used: Vec::new(),
            threads,
        };
        r.expr(root);
        r.out
    }

    /// References that resolve to `def`.
    pub fn references_to(&self, def: DefId) -> impl Iterator<Item = &Reference> + '_ {
        self.refs.iter().filter(move |r| r.resolution == Resolution::Def(def))
    }

    /// Whether `def` is used anywhere but inside its own value.
    pub fn is_used(&self, def: DefId) -> bool {
        let own = self.defs[def].value_range;
        self.references_to(def).any(|r| !own.is_some_and(|v| v.contains_range(r.range)))
    }

    /// For every definition: (referenced at all, used outside its own value). One pass.
    pub fn usage(&self) -> Vec<(bool, bool)> {
        let mut out = vec![(false, false); self.defs.len()];
        for r in &self.refs {
            if let Resolution::Def(d) = r.resolution {
                let own = self.defs[d].value_range;
                out[d].0 = true;
                if !own.is_some_and(|v| v.contains_range(r.range)) {
                    out[d].1 = true;
                }
            }
        }
        out
    }

    /// The definition a name at `offset` refers to or defines.
    pub fn def_at(&self, offset: super::TextSize) -> Option<DefId> {
        if let Some(r) = self.refs.iter().find(|r| r.range.contains_inclusive(offset)) {
            if let Resolution::Def(d) = r.resolution {
                return Some(d);
            }
        }
        self.defs.iter().position(|d| d.name_range.contains_inclusive(offset))
    }
}

#[derive(Clone)]
enum Frame {
    Names(HashMap<String, DefId>),
    With(usize),
}

/// Where the ids a worker gives (to definitions, scopes, `with`s) start: far above any of the
/// resolver that started it, which moves them when it takes the worker's results in.
const WORKER: usize = 1 << (usize::BITS - 2);

/// From this size on, the bindings of a list are resolved on several threads.
const PARALLEL_FROM: u32 = 256 * 1024;

struct Resolver {
    out: NameResolution,
    frames: Vec<Frame>,
    error_depth: usize,
    /// Bindings merged into an earlier definition of the same attribute, with the `rec` set
    /// that owns the result, if the owner is one (see [`Resolver::plan_merges`]).
    merged: HashMap<TextRange, Option<TextRange>>,
    /// Names that merged bindings add to an owning `rec` set's scope.
    extra_keys: HashMap<TextRange, Vec<(String, TextRange)>>,
    /// The scope of each owning `rec` set, for the bindings merged into it.
    owner_frames: HashMap<TextRange, HashMap<String, DefId>>,
    /// 0, or [`WORKER`] for a worker: where the ids this resolver gives start.
    base: usize,
    /// For a worker: the `with`s of the resolver that started it that names here fell to.
    outer_withs_used: Vec<usize>,
    /// How many threads a large list of bindings may be resolved on (1 in a worker).
    threads: usize,
}

impl Resolver {
    fn expr(&mut self, node: &SyntaxNode) {
        match node.kind() {
            NODE_IDENT => self.reference(node),
            NODE_LAMBDA => self.lambda(node),
            NODE_LET_IN => self.recursive(node, ScopeKind::Let),
            NODE_LEGACY_LET => self.recursive(node, ScopeKind::LegacyLet),
            NODE_ATTR_SET => {
                if is_rec(node) {
                    self.recursive(node, ScopeKind::Rec)
                } else {
                    self.plain_set(node)
                }
            }
            NODE_WITH => self.with(node),
            NODE_SELECT | NODE_HAS_ATTR => {
                for child in node.children() {
                    if child.kind() == NODE_ATTRPATH {
                        self.attrpath(&child);
                    } else {
                        self.expr(&child);
                    }
                }
            }
            NODE_ATTRPATH => self.attrpath(node),
            NODE_ERROR => {
                self.error_depth += 1;
                self.children(node);
                self.error_depth -= 1;
            }
            _ => self.children(node),
        }
    }

    fn children(&mut self, node: &SyntaxNode) {
        for child in node.children() {
            self.expr(&child);
        }
    }

    /// Only the computed parts of an attrpath refer to names.
    fn attrpath(&mut self, node: &SyntaxNode) {
        for attr in attrpath_attrs(node) {
            if attr.kind() != NODE_IDENT {
                self.children(&attr);
            }
        }
    }

    fn lookup(&mut self, name: &str) -> Resolution {
        let mut under_with = false;
        for frame in self.frames.iter().rev() {
            match frame {
                Frame::Names(names) => {
                    if let Some(&def) = names.get(name) {
                        return Resolution::Def(def);
                    }
                }
                Frame::With(_) => under_with = true,
            }
        }
        if builtins::is_global(name) {
            return Resolution::Global;
        }
        if under_with {
            for frame in &self.frames {
                if let Frame::With(w) = *frame {
                    match w.checked_sub(self.base) {
                        Some(here) => self.out.withs[here].used = true,
                        None => self.outer_withs_used.push(w),
                    }
                }
            }
            return Resolution::With;
        }
        Resolution::Undefined
    }

    fn reference(&mut self, ident: &SyntaxNode) {
        self.reference_named(super::ident_text(ident), ident.text_range());
    }

    fn reference_named(&mut self, name: String, range: TextRange) {
        let resolution = self.lookup(&name);
        self.out.refs.push(Reference { name, range, resolution, in_error: self.error_depth > 0 });
    }

    fn new_scope(&mut self, kind: ScopeKind, node: &SyntaxNode) -> ScopeId {
        let keyword = node.children_with_tokens().find(|e| e.kind() == TOKEN_REC).map(|e| e.text_range());
        self.out.scopes.push(Scope {
            kind,
            range: node.text_range(),
            has_ellipsis: false,
            keyword,
            defs: Vec::new(),
        });
        self.base + self.out.scopes.len() - 1
    }

    fn scope_mut(&mut self, scope: ScopeId) -> &mut Scope {
        &mut self.out.scopes[scope - self.base]
    }

    fn define(&mut self, names: &mut HashMap<String, DefId>, scope: ScopeId, def: Definition) -> DefId {
        let id = self.base + self.out.defs.len();
        names.entry(def.name.clone()).or_insert(id);
        self.scope_mut(scope).defs.push(id);
        self.out.defs.push(Definition { scope, ..def });
        id
    }

    fn lambda(&mut self, node: &SyntaxNode) {
        let scope = self.new_scope(ScopeKind::Lambda, node);
        let mut names = HashMap::new();
        let mut defaults = Vec::new();
        let mut children = node.children().peekable();
        let param = children.next_if(|p| matches!(p.kind(), NODE_IDENT_PARAM | NODE_PATTERN));
        match param.as_ref().map(|p| (p.kind(), p)) {
            Some((NODE_IDENT_PARAM, param)) => {
                if let Some(ident) = param.children().find(|c| c.kind() == NODE_IDENT) {
                    self.define(&mut names, scope, plain_def(&ident, DefKind::LambdaParam, param));
                }
            }
            Some((_, pattern)) => {
                let ellipsis = pattern.children_with_tokens().any(|e| e.kind() == TOKEN_ELLIPSIS);
                self.scope_mut(scope).has_ellipsis = ellipsis;
                for part in pattern.children() {
                    let kind = match part.kind() {
                        NODE_PAT_ENTRY => DefKind::Formal,
                        NODE_PAT_BIND => DefKind::PatBind,
                        _ => continue,
                    };
                    let mut parts = part.children();
                    // The formal's name comes first, then its default if any.
                    if let Some(ident) = parts.next().filter(|c| c.kind() == NODE_IDENT) {
                        self.define(&mut names, scope, plain_def(&ident, kind, &part));
                    }
                    defaults.extend(parts);
                }
            }
            None => {}
        }
        self.frames.push(Frame::Names(names));
        for default in &defaults {
            self.expr(default);
        }
        for body in children {
            self.expr(&body);
        }
        self.frames.pop();
    }

    /// `let`, `rec { }` and legacy `let { }`: all names bound at once.
    fn recursive(&mut self, node: &SyntaxNode, kind: ScopeKind) {
        let scope = self.new_scope(kind, node);
        let mut names = HashMap::new();
        let def_kind = if kind == ScopeKind::Let { DefKind::Let } else { DefKind::RecAttr };
        let mut inherited_refs = Vec::new();
        for entry in node.children() {
            match entry.kind() {
                NODE_ATTRPATH_VALUE => {
                    let (path, value) = super::binding_parts(&entry);
                    let Some(first) = path.as_ref().and_then(|p| attrpath_attrs(p).next()) else {
                        continue;
                    };
                    let Some(name) = static_attr_name(&first) else { continue };
                    let single = path.as_ref().is_some_and(|p| attrpath_attrs(p).count() == 1);
                    self.define(
                        &mut names,
                        scope,
                        Definition {
                            name,
                            kind: def_kind,
                            name_range: first.text_range(),
                            binding_range: entry.text_range(),
                            value_range: value.filter(|_| single).map(|v| v.text_range()),
                            scope,
                            inherited: false,
                        },
                    );
                }
                NODE_INHERIT => {
                    let from = entry.children().any(|c| c.kind() == NODE_INHERIT_FROM);
                    for attr in entry.children().filter(|c| c.kind() != NODE_INHERIT_FROM) {
                        let Some(name) = static_attr_name(&attr) else { continue };
                        if !from {
                            inherited_refs.push((name.clone(), attr.text_range()));
                        }
                        self.define(
                            &mut names,
                            scope,
                            Definition {
                                name,
                                kind: def_kind,
                                name_range: attr.text_range(),
                                binding_range: entry.text_range(),
                                value_range: None,
                                scope,
                                inherited: true,
                            },
                        );
                    }
                }
                _ => {}
            }
        }
        // Names that later bindings merge into this set (it is the first definition).
        for (name, range) in self.extra_keys.remove(&node.text_range()).unwrap_or_default() {
            self.define(
                &mut names,
                scope,
                Definition {
                    name,
                    kind: def_kind,
                    name_range: range,
                    binding_range: range,
                    value_range: None,
                    scope,
                    inherited: false,
                },
            );
        }
        // `inherit x;` reads `x` from outside.
        for (name, range) in inherited_refs {
            self.reference_named(name, range);
        }
        if kind == ScopeKind::Rec {
            self.owner_frames.insert(node.text_range(), names.clone());
        }
        self.plan_merges(node);
        self.frames.push(Frame::Names(names));
        self.entries(node, Resolver::recursive_entry);
        self.frames.pop();
    }

    fn recursive_entry(&mut self, child: &SyntaxNode) {
        match child.kind() {
            NODE_ATTRPATH_VALUE => self.binding(child),
            NODE_INHERIT => {
                for from in child.children().filter(|c| c.kind() == NODE_INHERIT_FROM) {
                    self.children(&from);
                }
                for attr in child.children().filter(|c| c.kind() != NODE_INHERIT_FROM) {
                    if static_attr_name(&attr).is_none() {
                        self.children(&attr);
                    }
                }
            }
            _ => self.expr(child),
        }
    }

    fn plain_set(&mut self, node: &SyntaxNode) {
        self.plan_merges(node);
        self.entries(node, Resolver::plain_entry);
    }

    fn plain_entry(&mut self, child: &SyntaxNode) {
        match child.kind() {
            NODE_ATTRPATH_VALUE => self.binding(child),
            NODE_INHERIT => {
                let from = child.children().any(|c| c.kind() == NODE_INHERIT_FROM);
                for part in child.children() {
                    match part.kind() {
                        NODE_INHERIT_FROM => self.children(&part),
                        _ if !from => match static_attr_name(&part) {
                            Some(name) => self.reference_named(name, part.text_range()),
                            None => self.children(&part),
                        },
                        NODE_IDENT => {}
                        _ => self.children(&part),
                    }
                }
            }
            _ => self.expr(child),
        }
    }

    /// Visits the children of a list of bindings with `visit`; those of a large list on
    /// several threads, each from the scopes around the list (an entry adds no name that
    /// another entry sees: a `rec` or `let` bound them all before), taken in in order, so
    /// that ids and order are what one thread gives.
    fn entries(&mut self, list: &SyntaxNode, visit: fn(&mut Resolver, &SyntaxNode)) {
        let children: Vec<SyntaxNode> = list.children().collect();
        if self.threads < 2 || children.len() < 2 || list.text_range().len() < PARALLEL_FROM.into() {
            for child in &children {
                visit(self, child);
            }
            return;
        }
        // Contiguous shares of about the same size; this thread takes the first.
        let sizes: Vec<usize> = children.iter().map(|c| usize::from(c.text_range().len())).collect();
        let shares = super::pieces::shares(&sizes, self.threads);
        let root_green = list.ancestors().last().unwrap_or_else(|| list.clone()).green().to_owned();
        let list_ptr = super::NodePtr::new(list);
        let workers: Vec<(Resolver, std::ops::Range<usize>)> =
            shares[1..].iter().map(|range| (self.worker(), range.clone())).collect();
        std::thread::scope(|scope| {
            let spawned: Vec<_> = workers
                .into_iter()
                .map(|(mut worker, range)| {
                    let green = root_green.clone();
                    let share = range.clone();
                    let thread = std::thread::Builder::new().stack_size(crate::STACK_SIZE).spawn_scoped(
                        scope,
                        move || {
                            let root = SyntaxNode::new_root(green);
                            let list = list_ptr.to_node(&root);
                            for child in list.children().skip(share.start).take(share.len()) {
                                visit(&mut worker, &child);
                            }
                            worker
                        },
                    );
                    (thread, range)
                })
                .collect();
            for child in &children[shares[0].clone()] {
                visit(self, child);
            }
            for (thread, range) in spawned {
                match thread.map(|t| t.join()) {
                    Ok(Ok(done)) => self.take_in(done),
                    Ok(Err(panic)) => std::panic::resume_unwind(panic),
                    // No thread to be had: here, then.
                    Err(_) => {
                        for child in &children[range] {
                            visit(self, child);
                        }
                    }
                }
            }
        });
    }

    /// A resolver for a share of a list's entries, in the scopes around the list.
    fn worker(&self) -> Resolver {
        Resolver {
            out: NameResolution::default(),
            frames: self.frames.clone(),
            error_depth: self.error_depth,
            merged: self.merged.clone(),
            extra_keys: self.extra_keys.clone(),
            owner_frames: self.owner_frames.clone(),
            base: WORKER,
            outer_withs_used: Vec::new(),
            threads: 1,
        }
    }

    /// A worker's results, with its ids moved after this resolver's.
    fn take_in(&mut self, worker: Resolver) {
        let def_at = self.base + self.out.defs.len();
        let scope_at = self.base + self.out.scopes.len();
        let moved = |id: usize, at: usize| if id >= WORKER { id - WORKER + at } else { id };
        for mut def in worker.out.defs {
            def.scope = moved(def.scope, scope_at);
            self.out.defs.push(def);
        }
        for mut scope in worker.out.scopes {
            for def in &mut scope.defs {
                *def = moved(*def, def_at);
            }
            self.out.scopes.push(scope);
        }
        for mut reference in worker.out.refs {
            if let Resolution::Def(def) = reference.resolution {
                reference.resolution = Resolution::Def(moved(def, def_at));
            }
            self.out.refs.push(reference);
        }
        self.out.withs.extend(worker.out.withs);
        for w in worker.outer_withs_used {
            match w.checked_sub(self.base) {
                Some(here) => self.out.withs[here].used = true,
                None => self.outer_withs_used.push(w),
            }
        }
    }

    /// Nix merges later bindings of an attribute into its first definition when both are
    /// sets, and the first definition owns the result (NixOS/nix#9020): if it is a `rec` set
    /// written out, the later values see its scope, extended with the merged names; a later
    /// `rec` set loses its own scope. Records, for the bindings of one set, which are merged
    /// and into what.
    fn plan_merges(&mut self, container: &SyntaxNode) {
        if !may_merge(container) {
            return;
        }
        let mut first: HashMap<String, Option<SyntaxNode>> = HashMap::new();
        for entry in container.children().filter(|c| c.kind() == NODE_ATTRPATH_VALUE) {
            let (path, value) = super::binding_parts(&entry);
            let Some(path) = path else { continue };
            let attrs: Vec<SyntaxNode> = attrpath_attrs(&path).collect();
            let Some(key) = attrs.first().and_then(static_attr_name) else { continue };
            let literal = value.map(super::strip_parens).filter(|v| v.kind() == NODE_ATTR_SET);
            match first.get(&key) {
                None => {
                    // The owner: a set written out, or an implicit set made by a path.
                    let owner = if attrs.len() == 1 { literal.filter(is_rec) } else { None };
                    first.insert(key, owner);
                }
                Some(owner) => {
                    let owner = owner.clone();
                    if let Some(owner) = &owner {
                        let keys = self.extra_keys.entry(owner.text_range()).or_default();
                        if attrs.len() > 1 {
                            if let Some(name) = static_attr_name(&attrs[1]) {
                                keys.push((name, attrs[1].text_range()));
                            }
                        } else if let Some(set) = &literal {
                            keys.extend(set_keys(set));
                        }
                    }
                    self.merged.insert(entry.text_range(), owner.map(|o| o.text_range()));
                }
            }
        }
    }

    /// A binding of a set or `let`, walked in the scope Nix gives it after merging.
    fn binding(&mut self, entry: &SyntaxNode) {
        let Some(owner) = self.merged.remove(&entry.text_range()) else {
            self.children(entry);
            return;
        };
        let frame = owner.and_then(|o| self.owner_frames.get(&o).cloned());
        let pushed = frame.is_some();
        if let Some(frame) = frame {
            self.frames.push(Frame::Names(frame));
        }
        for child in entry.children() {
            let inner = super::strip_parens(child.clone());
            if child.kind() != NODE_ATTRPATH && inner.kind() == NODE_ATTR_SET {
                // A set merged into the owner: its own `rec` is lost.
                self.plain_set(&inner);
            } else {
                self.expr(&child);
            }
        }
        if pushed {
            self.frames.pop();
        }
    }

    fn with(&mut self, node: &SyntaxNode) {
        let mut parts = node.children();
        let namespace = parts.next();
        let body = parts.next();
        if let Some(ns) = &namespace {
            self.expr(ns);
        }
        let header_end = node
            .children_with_tokens()
            .find(|e| e.kind() == TOKEN_SEMICOLON)
            .map(|e| e.text_range().end())
            .unwrap_or_else(|| node.text_range().end());
        self.out.withs.push(With {
            range: node.text_range(),
            header: TextRange::new(node.text_range().start(), header_end),
            used: false,
        });
        self.frames.push(Frame::With(self.base + self.out.withs.len() - 1));
        if let Some(body) = &body {
            self.expr(body);
        }
        self.frames.pop();
    }
}

/// Whether two bindings of a set or `let` may start with the same name (and so merge), read
/// from the green tree: false is sure, true asks [`Resolver::plan_merges`] to look closer.
fn may_merge(container: &SyntaxNode) -> bool {
    use rowan::{Language, NodeOrToken};
    let raw = rnix::NixLanguage::kind_to_raw;
    let green = container.green();
    let mut names: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for child in green.children() {
        let NodeOrToken::Node(binding) = child else { continue };
        if binding.kind() != raw(NODE_ATTRPATH_VALUE) {
            continue;
        }
        let path =
            binding.children().filter_map(NodeOrToken::into_node).find(|n| n.kind() == raw(NODE_ATTRPATH));
        let Some(path) = path else { continue };
        let first = path
            .children()
            .filter_map(NodeOrToken::into_node)
            .find(|n| [NODE_IDENT, NODE_STRING, NODE_DYNAMIC].into_iter().any(|k| n.kind() == raw(k)));
        let Some(first) = first else { continue };
        let name = (first.kind() == raw(NODE_IDENT)).then(|| super::green_ident_text(first)).flatten();
        match name {
            Some(name) => {
                if !names.insert(name) {
                    return true;
                }
            }
            // A string or a computed name: not told here.
            None => return true,
        }
    }
    false
}

/// The static names a set written out defines.
fn set_keys(set: &SyntaxNode) -> Vec<(String, TextRange)> {
    let mut out = Vec::new();
    for entry in set.children() {
        match entry.kind() {
            NODE_ATTRPATH_VALUE => {
                let first = super::binding_parts(&entry).0.and_then(|p| attrpath_attrs(&p).next());
                if let Some((first, name)) = first.and_then(|f| static_attr_name(&f).map(|n| (f, n))) {
                    out.push((name, first.text_range()));
                }
            }
            NODE_INHERIT => {
                for attr in entry.children().filter(|c| c.kind() != NODE_INHERIT_FROM) {
                    if let Some(name) = static_attr_name(&attr) {
                        out.push((name, attr.text_range()));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn plain_def(ident: &SyntaxNode, kind: DefKind, binding: &SyntaxNode) -> Definition {
    Definition {
        name: super::ident_text(ident),
        kind,
        name_range: ident.text_range(),
        binding_range: binding.text_range(),
        value_range: None,
        scope: 0,
        inherited: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{expect, Expect};

    fn check(text: &str, expect: Expect) {
        let parsed = crate::syntax::parse(text);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let res = NameResolution::new(&parsed.root);
        let mut out = String::new();
        for r in &res.refs {
            let what = match r.resolution {
                Resolution::Def(d) => {
                    let def = &res.defs[d];
                    format!("{:?}@{:?}", def.kind, def.name_range)
                }
                other => format!("{other:?}"),
            };
            out.push_str(&format!("{} {:?} -> {what}\n", r.name, r.range));
        }
        for (i, d) in res.defs.iter().enumerate() {
            out.push_str(&format!("def {} used={}\n", d.name, res.is_used(i)));
        }
        for w in &res.withs {
            out.push_str(&format!("with {:?} used={}\n", w.header, w.used));
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn let_is_recursive_and_inherit_reads_outside() {
        check(
            "x: let inherit x; y = x; z = y; in z",
            expect![[r#"
                x 15..16 -> LambdaParam@0..1
                x 22..23 -> Let@15..16
                y 29..30 -> Let@18..19
                z 35..36 -> Let@25..26
                def x used=true
                def x used=true
                def y used=true
                def z used=true
            "#]],
        );
    }

    #[test]
    fn lexical_names_beat_with_and_globals_are_lexical() {
        check(
            "let a = 1; in with { }; [ a map b ]",
            expect![[r#"
                a 26..27 -> Let@4..5
                map 28..31 -> Global
                b 32..33 -> With
                def a used=true
                with 14..23 used=true
            "#]],
        );
        check(
            "let a = 1; in with { }; [ a ]",
            expect![[r#"
                a 26..27 -> Let@4..5
                def a used=true
                with 14..23 used=false
            "#]],
        );
    }

    #[test]
    fn formals_see_each_other_in_defaults() {
        check(
            "args @ { a, b ? a, ... }: b",
            expect![[r#"
                a 16..17 -> Formal@9..10
                b 26..27 -> Formal@12..13
                def args used=false
                def a used=true
                def b used=true
            "#]],
        );
    }

    #[test]
    fn attribute_names_are_not_references() {
        check(
            "p: { a = p.b.c; inherit (p) d; e = p ? f; ${p} = 1; }",
            expect![[r#"
                p 9..10 -> LambdaParam@0..1
                p 25..26 -> LambdaParam@0..1
                p 35..36 -> LambdaParam@0..1
                p 44..45 -> LambdaParam@0..1
                def p used=true
            "#]],
        );
    }

    #[test]
    fn undefined_and_self_reference() {
        check(
            "let f = n: f n; in g",
            expect![[r#"
                f 11..12 -> Let@4..5
                n 13..14 -> LambdaParam@8..9
                g 19..20 -> Undefined
                def f used=false
                def n used=true
            "#]],
        );
    }

    #[test]
    fn merged_bindings_take_the_first_definitions_scope() {
        // NixOS/nix#9020: the first `rec` set owns what merges into it…
        check(
            "{ a = rec { x = 1; }; a.y = x; a = { z = y; }; }",
            expect![[r#"
                x 28..29 -> RecAttr@12..13
                y 41..42 -> RecAttr@24..25
                def x used=true
                def y used=true
                def z used=false
            "#]],
        );
        // …and a later `rec` set loses its scope.
        check(
            "{ a.x = 1; a = rec { y = 2; z = y; }; }",
            expect![[r#"
                y 32..33 -> Undefined
            "#]],
        );
    }

    #[test]
    fn rec_set() {
        check(
            "rec { a = 1; b = a; c.d = b; }",
            expect![[r#"
                a 17..18 -> RecAttr@6..7
                b 26..27 -> RecAttr@13..14
                def a used=true
                def b used=true
                def c used=false
            "#]],
        );
    }

    /// A list of bindings large enough to be resolved on several threads gives what one
    /// thread gives: the same definitions, scopes, references (ids included) and `with`s, for
    /// a plain set, a `rec` set and a `let`, with names from around the list, `with`s around
    /// and inside it, and merged bindings.
    #[test]
    fn several_threads_resolve_as_one_does() {
        let entry = |i: usize| {
            format!(
                "  a{i} = with lib; {{ x = outer; y = z{i}; z{i} = a{}; }}; b{i}.c = rec {{ d = 1; e = d; }}; b{i}.f = e;\n  inherit (lib) g{i};\n",
                i / 2
            )
        };
        let mut body = String::new();
        let mut i = 0;
        while body.len() < PARALLEL_FROM as usize + 4096 {
            body.push_str(&entry(i));
            i += 1;
        }
        for text in [
            format!("{{ lib, outer }}: with lib; {{\n{body}}}"),
            format!("{{ lib, outer }}: rec {{\n{body}}}"),
            format!("{{ lib, outer }}: let\n{body}in a0"),
        ] {
            let root = crate::syntax::parse(&text).root;
            let one = NameResolution::on_threads(&root, 1);
            for threads in [2, 3] {
                let many = NameResolution::on_threads(&root, threads);
                assert_eq!(format!("{many:?}"), format!("{one:?}"), "{threads} threads");
            }
            assert!(one.withs.iter().any(|w| w.used));
            assert!(one.refs.iter().any(|r| matches!(r.resolution, Resolution::Def(_))));
        }
    }
}
