//! The outline of a file: its bindings as a tree, and for `flake.nix` its inputs and outputs.
//!
//! An attribute path `a.b.c = v;` is shown nested, `a` → `b` → `c`, each level's range being
//! the whole binding; consecutive bindings that share a first name (`a.x = 1; a.y = 2;`)
//! merge into one `a`, so a set written out by paths looks like one written with braces.
//! Bindings that are not adjacent stay separate, so that a symbol's range never covers a
//! sibling's.
//!
//! Lists are looked into only for the sets and functions they hold (`modules = [ { … } ]`),
//! which appear as `[0]`, `[1]`, …. Past [`MAX_SYMBOLS`] symbols, sets still list their own
//! attributes but nothing below them, and nothing deeper than [`MAX_DEPTH`] is shown, so a
//! large generated file gives a usable outline quickly.

use super::types::{Symbol, SymbolKind};
use crate::flake::outputs::PartKind;
use crate::flake::schema;
use crate::flake::{literal_string, FlakeModel, InputDecl};
use crate::ide::analysis::Analysis;
use crate::syntax::{
    attrpath_attrs, binding_parts, plain_string, static_attr_name, strip_parens, SyntaxKind, SyntaxNode,
    TextRange,
};
use SyntaxKind::*;

/// After this many symbols, only the attributes of the sets already being listed are added.
const MAX_SYMBOLS: usize = 10_000;
/// How many levels of nesting the outline shows.
const MAX_DEPTH: usize = 24;
/// Details longer than this are cut.
const MAX_DETAIL: usize = 60;

pub fn symbols(analysis: &Analysis) -> Vec<Symbol> {
    let root = analysis.root();
    let mut builder = Builder { budget: MAX_SYMBOLS };
    if let Some(model) = analysis.flake().filter(|m| m.root_set.is_some()) {
        return builder.flake(model, &root);
    }
    match root.children().next() {
        Some(expr) => builder.expr(&expr, 0),
        None => Vec::new(),
    }
}

/// Whether a binding belongs to a `let` (a variable) or to a set (an attribute).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    Let,
    Attr,
    /// An attribute of a set `outputs` returns: deprecated names say so.
    Output,
}

struct Builder {
    budget: usize,
}

impl Builder {
    fn symbol(
        &mut self,
        name: String,
        kind: SymbolKind,
        range: TextRange,
        selection_range: TextRange,
    ) -> Symbol {
        self.budget = self.budget.saturating_sub(1);
        Symbol { name, detail: None, kind, range, selection_range, children: Vec::new() }
    }

    /// The symbols an expression contributes: the bindings it holds or returns.
    fn expr(&mut self, node: &SyntaxNode, depth: usize) -> Vec<Symbol> {
        if depth > MAX_DEPTH || self.budget == 0 {
            return Vec::new();
        }
        let node = strip_parens(node.clone());
        match node.kind() {
            NODE_ATTR_SET | NODE_LEGACY_LET => self.bindings(&node, Context::Attr, depth),
            NODE_LET_IN => {
                let mut out = self.bindings(&node, Context::Let, depth);
                if let Some(body) = node.children().last().filter(|b| b.kind() != NODE_ATTRPATH_VALUE) {
                    out.extend(self.expr(&body, depth));
                }
                out
            }
            NODE_LAMBDA | NODE_WITH | NODE_ASSERT => match node.children().last() {
                Some(body) if node.children().count() > 1 => self.expr(&body, depth),
                _ => Vec::new(),
            },
            NODE_BIN_OP if node.children_with_tokens().any(|e| e.kind() == TOKEN_UPDATE) => {
                node.children().flat_map(|side| self.expr(&side, depth)).collect()
            }
            // `mkShell { … }`, `callPackage ./x.nix { … }`: the last argument.
            NODE_APPLY => match node.children().nth(1) {
                Some(arg) => self.expr(&arg, depth),
                None => Vec::new(),
            },
            NODE_LIST => self.list(&node, depth),
            _ => Vec::new(),
        }
    }

    fn list(&mut self, list: &SyntaxNode, depth: usize) -> Vec<Symbol> {
        let mut out = Vec::new();
        for (i, element) in list.children().enumerate() {
            let inner = strip_parens(element.clone());
            let kind = match inner.kind() {
                NODE_ATTR_SET => SymbolKind::Namespace,
                NODE_LAMBDA => SymbolKind::Function,
                _ => continue,
            };
            if self.budget == 0 {
                break;
            }
            let range = element.text_range();
            let mut symbol = self.symbol(format!("[{i}]"), kind, range, range);
            symbol.children = self.expr(&inner, depth + 1);
            out.push(symbol);
        }
        out
    }

    /// The bindings of a set or `let`, in text order.
    fn bindings(&mut self, container: &SyntaxNode, context: Context, depth: usize) -> Vec<Symbol> {
        let mut out: Vec<Symbol> = Vec::new();
        for entry in container.children() {
            match entry.kind() {
                NODE_ATTRPATH_VALUE => {
                    let (path, value) = binding_parts(&entry);
                    let Some(path) = path else { continue };
                    let attrs: Vec<SyntaxNode> = attrpath_attrs(&path).collect();
                    self.insert_path(&mut out, &attrs, value.as_ref(), &entry, context, depth);
                }
                NODE_INHERIT => self.inherit(&mut out, &entry, context),
                _ => {}
            }
        }
        out
    }

    /// `inherit a b;` and `inherit (from) a;`: one symbol per name.
    fn inherit(&mut self, out: &mut Vec<Symbol>, entry: &SyntaxNode, context: Context) {
        let from = entry.children().find(|c| c.kind() == NODE_INHERIT_FROM).and_then(|f| f.children().next());
        let detail = match &from {
            Some(from) => format!("inherit ({})", short(&from.text().to_string())),
            None => "inherit".to_string(),
        };
        let kind = if context == Context::Let { SymbolKind::Variable } else { SymbolKind::Property };
        for attr in entry.children().filter(|c| c.kind() != NODE_INHERIT_FROM) {
            let range = attr.text_range();
            let mut symbol = self.symbol(attr_name(&attr), kind, range, range);
            symbol.detail = Some(detail.clone());
            out.push(symbol);
        }
    }

    /// Adds `attrs = value` to `siblings`, nesting the path and merging into the previous
    /// sibling when it is a set of the same name.
    fn insert_path(
        &mut self,
        siblings: &mut Vec<Symbol>,
        attrs: &[SyntaxNode],
        value: Option<&SyntaxNode>,
        entry: &SyntaxNode,
        context: Context,
        depth: usize,
    ) {
        // Below the first attribute of a path, names are attributes whatever the context.
        let Some((first, rest)) = attrs.split_first() else { return };
        let name = attr_name(first);
        let range = entry.text_range();
        if let Some(last) = siblings.last_mut() {
            if !rest.is_empty() && last.name == name && last.kind == SymbolKind::Namespace {
                last.range = last.range.cover(range);
                self.insert_path(&mut last.children, rest, value, entry, Context::Attr, depth + 1);
                return;
            }
        }
        if !rest.is_empty() {
            let mut symbol = self.symbol(name, SymbolKind::Namespace, range, first.text_range());
            self.insert_path(&mut symbol.children, rest, value, entry, Context::Attr, depth + 1);
            siblings.push(symbol);
            return;
        }
        let inner_value = value.map(|v| strip_parens(v.clone()));
        let kind = match inner_value.as_ref().map(|v| v.kind()) {
            Some(NODE_ATTR_SET) => SymbolKind::Namespace,
            Some(NODE_LAMBDA) => SymbolKind::Function,
            _ if context == Context::Let => SymbolKind::Variable,
            _ => SymbolKind::Property,
        };
        let deprecated = (context == Context::Output).then(|| schema::deprecated_output(&name)).flatten();
        let mut symbol = self.symbol(name, kind, range, first.text_range());
        symbol.detail = match deprecated {
            Some(d) => Some(format!("deprecated: use {}", d.replacement)),
            None => inner_value.as_ref().and_then(value_detail),
        };
        if let Some(value) = &inner_value {
            symbol.children = self.expr(value, depth + 1);
        }
        siblings.push(symbol);
    }

    fn flake(&mut self, model: &FlakeModel, root: &SyntaxNode) -> Vec<Symbol> {
        let mut out = Vec::new();
        let mut inputs_listed = false;
        for binding in &model.bindings {
            let single = binding.rest.is_empty();
            let range = binding.binding.text_range();
            match binding.name.as_deref() {
                Some("description") if single => {
                    let mut symbol =
                        self.symbol("description".into(), SymbolKind::Property, range, binding.name_range);
                    let value = binding.value.map(|v| v.to_node(root));
                    symbol.detail = value.as_ref().and_then(literal_string).map(|s| short(&s));
                    out.push(symbol);
                }
                Some("inputs") => {
                    if !inputs_listed {
                        inputs_listed = true;
                        out.push(self.inputs(model, root));
                    }
                }
                Some("outputs") if single => {
                    let mut symbol =
                        self.symbol("outputs".into(), SymbolKind::Function, range, binding.name_range);
                    if let Some(value) = binding.value {
                        symbol.detail = value_detail(&strip_parens(value.to_node(root)));
                        symbol.children = if model.outputs == Some(value) {
                            self.outputs(model, root)
                        } else {
                            // An earlier `outputs` of two (which Nix refuses).
                            self.expr(&value.to_node(root), 1)
                        };
                    }
                    out.push(symbol);
                }
                _ => {
                    let entry = binding.binding.to_node(root);
                    let (path, value) = binding_parts(&entry);
                    let Some(path) = path else { continue };
                    let attrs: Vec<SyntaxNode> = attrpath_attrs(&path).collect();
                    self.insert_path(&mut out, &attrs, value.as_ref(), &entry, Context::Attr, 0);
                }
            }
        }
        out
    }

    /// One `inputs` symbol for every way inputs are written (`inputs = { … }` and
    /// `inputs.x.url = …` may both appear), with one child per input.
    fn inputs(&mut self, model: &FlakeModel, root: &SyntaxNode) -> Symbol {
        // Where each input is written: the bindings that name it, covered.
        let mut places: Vec<(String, TextRange, TextRange)> = Vec::new();
        let mut add = |name: String, range: TextRange, name_range: TextRange| match places
            .iter_mut()
            .find(|(n, ..)| *n == name)
        {
            Some(place) => place.1 = place.1.cover(range),
            None => places.push((name, range, name_range)),
        };
        let mut whole: Option<(TextRange, TextRange)> = None;
        for binding in model.bindings.iter().filter(|b| b.name.as_deref() == Some("inputs")) {
            let range = binding.binding.text_range();
            whole = Some(match whole {
                Some((r, name)) => (r.cover(range), name),
                None => (range, binding.name_range),
            });
            if let Some(first) = binding.rest.first() {
                add(attr_name(&first.to_node(root)), range, first.text_range());
                continue;
            }
            let set =
                binding.value.map(|v| strip_parens(v.to_node(root))).filter(|v| v.kind() == NODE_ATTR_SET);
            for entry in set.iter().flat_map(|s| s.children()) {
                let first = match entry.kind() {
                    NODE_ATTRPATH_VALUE => binding_parts(&entry).0.and_then(|p| attrpath_attrs(&p).next()),
                    _ => None,
                };
                if let Some(first) = first {
                    add(attr_name(&first), entry.text_range(), first.text_range());
                }
            }
        }
        let (range, name_range) = whole.unwrap_or_default();
        let mut symbol = self.symbol("inputs".into(), SymbolKind::Namespace, range, name_range);
        for (name, range, name_range) in places {
            let mut child = self.symbol(name.clone(), SymbolKind::Input, range, name_range);
            child.detail = model.input(&name).and_then(|input| input_detail(input, root));
            symbol.children.push(child);
        }
        symbol
    }

    /// What `outputs` returns, with the `let` bindings on the way. A value reached through a
    /// name is left out: it is listed where it is bound.
    fn outputs(&mut self, model: &FlakeModel, root: &SyntaxNode) -> Vec<Symbol> {
        let mut out = Vec::new();
        for part in model.output_parts.iter().filter(|p| !p.through_name) {
            let node = part.node.to_node(root);
            match part.kind {
                PartKind::Let => out.extend(self.bindings(&node, Context::Let, 1)),
                PartKind::Set => out.extend(self.bindings(&node, Context::Output, 1)),
                PartKind::Other => out.extend(self.expr(&node, 1)),
            }
        }
        out
    }
}

/// The name of an attribute as written when it is not static (`${x}`).
fn attr_name(attr: &SyntaxNode) -> String {
    static_attr_name(attr).unwrap_or_else(|| short(&attr.text().to_string()))
}

/// What an input points to: its URL, what it follows, or its fetcher's attributes.
fn input_detail(input: &InputDecl, root: &SyntaxNode) -> Option<String> {
    let get = |key: &str| {
        input
            .attrs
            .iter()
            .find(|a| a.path.len() == 1 && a.path[0] == key)
            .and_then(|a| a.value)
            .and_then(|v| literal_string(&v.to_node(root)))
    };
    if let Some(url) = get("url") {
        return Some(short(&url));
    }
    if let Some(follows) = get("follows") {
        return Some(format!("follows {}", short(&follows)));
    }
    let fetcher = get("type")?;
    Some(match (get("owner"), get("repo")) {
        (Some(owner), Some(repo)) => format!("{fetcher}:{owner}/{repo}"),
        _ => fetcher,
    })
}

/// A short description of a value: literals as written, a string's text, a function's
/// parameters, the function an application calls.
fn value_detail(value: &SyntaxNode) -> Option<String> {
    match value.kind() {
        NODE_STRING => plain_string(value).map(|s| short(&s)),
        NODE_LITERAL | NODE_IDENT | NODE_SELECT | NODE_PATH_ABS | NODE_PATH_REL | NODE_PATH_HOME
        | NODE_PATH_SEARCH => Some(short(&value.text().to_string())),
        // The parameters, all of them for a curried function (`final: prev:`).
        NODE_LAMBDA => {
            let mut params = String::new();
            let mut lambda = value.clone();
            while lambda.kind() == NODE_LAMBDA && params.len() <= MAX_DETAIL {
                let Some(param) = lambda.children().next() else { break };
                if !params.is_empty() {
                    params.push(' ');
                }
                params.push_str(&format!("{}:", short(&param.text().to_string())));
                match lambda.children().nth(1) {
                    Some(body) => lambda = strip_parens(body),
                    None => break,
                }
            }
            (!params.is_empty()).then(|| short(&params))
        }
        NODE_APPLY => {
            let mut function = value.clone();
            while function.kind() == NODE_APPLY {
                function = strip_parens(function.children().next()?);
            }
            matches!(function.kind(), NODE_IDENT | NODE_SELECT).then(|| short(&function.text().to_string()))
        }
        _ => None,
    }
}

/// Text on one line, with runs of white space as one space, cut at [`MAX_DETAIL`] characters.
fn short(text: &str) -> String {
    let mut out = String::new();
    for (count, word) in text.split_whitespace().enumerate() {
        if count > 0 {
            out.push(' ');
        }
        out.push_str(word);
        if out.len() > MAX_DETAIL * 4 {
            break;
        }
    }
    if out.chars().count() > MAX_DETAIL {
        out = out.chars().take(MAX_DETAIL - 1).collect();
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::structure::test_util::excerpt;
    use crate::ide::FileKind;
    use expect_test::{expect, Expect};

    fn render(text: &str, symbols: &[Symbol], depth: usize, out: &mut String) {
        for s in symbols {
            let detail = s.detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default();
            out.push_str(&format!(
                "{}{:?} {}{detail} @{:?} `{}`\n",
                "  ".repeat(depth),
                s.kind,
                s.name,
                s.selection_range,
                excerpt(text, s.range),
            ));
            assert!(s.range.contains_range(s.selection_range), "{s:?}");
            for child in &s.children {
                assert!(s.range.contains_range(child.range), "{child:?} outside {s:?}");
            }
            render(text, &s.children, depth + 1, out);
        }
    }

    fn check_kind(text: &str, kind: FileKind, expect: Expect) {
        let analysis = Analysis::of(text, kind);
        let mut out = String::new();
        render(text, &symbols(&analysis), 0, &mut out);
        expect.assert_eq(&out);
    }

    fn check(text: &str, expect: Expect) {
        check_kind(text, FileKind::Nix, expect)
    }

    #[test]
    fn lets_sets_and_functions() {
        check(
            r#"{ pkgs, ... }:
let
  name = "demo";
  mk = x: { inherit x; };
  inherit (pkgs) lib hello;
in {
  package = pkgs.mkShell { packages = [ hello ]; };
  meta.description = "é";
  meta.version = 1;
  other = 2;
  meta.late = 3;
  ${name} = ./x.nix;
}"#,
            expect![[r#"
                Variable name (demo) @21..25 `name = "demo";`
                Function mk (x:) @38..40 `mk = x: { inherit x; };`
                  Property x (inherit) @56..57 `x`
                Variable lib (inherit (pkgs)) @79..82 `lib`
                Variable hello (inherit (pkgs)) @83..88 `hello`
                Property package (pkgs.mkShell) @97..104 `package = pkgs.mkS…es = [ hello ]; };`
                  Property packages @122..130 `packages = [ hello ];`
                Namespace meta @149..153 `meta.description =… meta.version = 1;`
                  Property description (é) @154..165 `meta.description = "é";`
                  Property version (1) @181..188 `meta.version = 1;`
                Property other (2) @196..201 `other = 2;`
                Namespace meta @209..213 `meta.late = 3;`
                  Property late (3) @214..218 `meta.late = 3;`
                Property ${name} (./x.nix) @226..233 `${name} = ./x.nix;`
            "#]],
        );
    }

    #[test]
    fn nested_sets_lists_and_merges() {
        check(
            r#"rec {
  a = { b = { c = 1; }; };
  a.d = 2;
  modules = [ ./x.nix { e = 3; } (f: { g = f; }) ];
  "quoted name" = null;
}"#,
            expect![[r#"
                Namespace a @8..9 `a = { b = { c = 1; }; };⏎  a.d = 2;`
                  Namespace b @14..15 `b = { c = 1; };`
                    Property c (1) @20..21 `c = 1;`
                  Property d (2) @37..38 `a.d = 2;`
                Property modules @46..53 `modules = [ ./x.ni…(f: { g = f; }) ];`
                  Namespace [1] @66..76 `{ e = 3; }`
                    Property e (3) @68..69 `e = 3;`
                  Function [2] @77..92 `(f: { g = f; })`
                    Property g (f) @83..84 `g = f;`
                Property quoted name (null) @98..111 `"quoted name" = null;`
            "#]],
        );
    }

    #[test]
    fn broken_and_empty_files() {
        check("", expect![""]);
        check(
            "{ a = ",
            expect![[r#"
            Property a @2..3 `a =`
        "#]],
        );
        check(
            "let a = 1; b = { c",
            expect![[r#"
            Variable a (1) @4..5 `a = 1;`
            Namespace b @11..12 `b = { c`
              Property c @17..18 `c`
        "#]],
        );
        check("x: x", expect![""]);
    }

    #[test]
    fn flake_inputs_and_outputs() {
        check_kind(
            r#"{
  description = "A demo";
  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.05";
    utils = { url = "github:numtide/flake-utils"; inputs.nixpkgs.follows = "nixpkgs"; };
    shared.follows = "utils/nixpkgs";
    raw = { type = "github"; owner = "o"; repo = "r"; flake = false; };
  };
  inputs.extra.url = "path:./extra";
  outputs = { self, nixpkgs, utils, ... }:
    let
      lib = nixpkgs.lib;
    in
    utils.lib.eachDefaultSystem (system:
      let pkgs = nixpkgs.legacyPackages.${system}; in {
        packages.default = pkgs.hello;
        devShell = pkgs.mkShell { };
      }) // {
        overlays.default = final: prev: { };
      };
  nixConfig.extra-substituters = [ ];
}"#,
            FileKind::Flake,
            expect![[r#"
                Property description (A demo) @4..15 `description = "A demo";`
                Namespace inputs @30..36 `inputs = {⏎    nix… = "path:./extra";`
                  Input nixpkgs (github:NixOS/nixpkgs/nixos-24.05) @45..52 `nixpkgs.url = "git…pkgs/nixos-24.05";`
                  Input utils (github:numtide/flake-utils) @99..104 `utils = { url = "g…ws = "nixpkgs"; };`
                  Input shared (follows utils/nixpkgs) @188..194 `shared.follows = "utils/nixpkgs";`
                  Input raw (github:o/r) @226..229 `raw = { type = "gi… flake = false; };`
                  Input extra (path:./extra) @308..313 `inputs.extra.url = "path:./extra";`
                Function outputs ({ self, nixpkgs, utils, ... }:) @338..345 `outputs = { self, …rev: { };⏎      };`
                  Variable lib (nixpkgs.lib) @393..396 `lib = nixpkgs.lib;`
                  Variable pkgs (nixpkgs.legacyPackages.${system}) @470..474 `pkgs = nixpkgs.legacyPackages.${system};`
                  Namespace packages @524..532 `packages.default = pkgs.hello;`
                    Property default (pkgs.hello) @533..540 `packages.default = pkgs.hello;`
                  Property devShell (deprecated: use devShells.<system>.default) @563..571 `devShell = pkgs.mkShell { };`
                  Namespace overlays @614..622 `overlays.default = final: prev: { };`
                    Function default (final: prev:) @623..630 `overlays.default = final: prev: { };`
                Namespace nixConfig @662..671 `nixConfig.extra-substituters = [ ];`
                  Property extra-substituters @672..690 `nixConfig.extra-substituters = [ ];`
            "#]],
        );
    }

    #[test]
    fn flake_that_is_not_a_set_falls_back() {
        check_kind(
            "let a = 1; in a",
            FileKind::Flake,
            expect![[r#"
            Variable a (1) @4..5 `a = 1;`
        "#]],
        );
    }

    #[test]
    fn seed_flake() {
        let text = include_str!("testdata/devops-renaissance.flake.nix");
        check_kind(
            text,
            FileKind::Flake,
            expect![[r#"
                Namespace inputs @4..10 `inputs = {⏎    nix…flake-utils";⏎  };`
                  Input nixpkgs (github:nixos/nixpkgs/nixos-24.05) @19..26 `nixpkgs.url = "git…pkgs/nixos-24.05";`
                  Input flake-utils (github:numtide/flake-utils) @73..84 `flake-utils.url = …tide/flake-utils";`
                Function outputs (inputs @ { self, nixpkgs, flake-utils, ... }:) @128..135 `outputs = inputs @…nDevShell;⏎    });`
                  Variable pkgs (import) @241..245 `pkgs = import nixp…e = true;⏎      };`
                    Property system (inherit) @281..287 `system`
                    Namespace config @297..303 `config.allowUnfree = true;`
                      Property allowUnfree (true) @304..315 `config.allowUnfree = true;`
                  Variable localConfig @339..350 `localConfig = if b…local.nix else {};`
                  Variable cudaSupport @427..438 `cudaSupport = if l…upport else false;`
                  Variable isLinux (pkgs.stdenv.isLinux) @524..531 `isLinux = pkgs.stdenv.isLinux;`
                  Variable isDarwin (pkgs.stdenv.isDarwin) @561..569 `isDarwin = pkgs.stdenv.isDarwin;`
                  Variable commonPackages @607..621 `commonPackages = w…      git⏎      ];`
                  Variable runScript (pkgs.writeShellScriptBin) @790..799 `runScript = pkgs.w…xec bash⏎      '';`
                  Variable linuxDevShell (pkgs.mkShell) @1393..1406 `linuxDevShell = pk…nScript";⏎      };`
                    Property buildInputs @1432..1443 `buildInputs = comm…a"; })⏎        ]);`
                    Property shellHook @1762..1771 `shellHook = "${run…t}/bin/runScript";`
                  Variable darwinDevShell (pkgs.mkShell) @1826..1840 `darwinDevShell = p…nScript";⏎      };`
                    Property buildInputs (commonPackages) @1866..1877 `buildInputs = commonPackages;`
                    Property shellHook @1904..1913 `shellHook = "${run…t}/bin/runScript";`
                  Property devShell (deprecated: use devShells.<system>.default) @1970..1978 `devShell = if isLi…se darwinDevShell;`
            "#]],
        );
    }

    #[test]
    fn large_generated_file_is_bounded() {
        let mut text = String::from("{\n");
        for i in 0..20_000 {
            text.push_str(&format!("  a{i} = {{ b = {{ c = [ {{ d = {i}; }} ]; }}; }};\n"));
        }
        text.push('}');
        let found = symbols(&Analysis::of(&text, FileKind::Nix));
        assert_eq!(found.len(), 20_000, "every top-level attribute is listed");
        fn count(s: &[Symbol]) -> usize {
            s.iter().map(|s| 1 + count(&s.children)).sum()
        }
        assert!(count(&found) < MAX_SYMBOLS + 20_000);
        assert_eq!(found[0].children[0].children[0].children[0].children[0].name, "d");
    }
}
