//! Documentation of Nix builtins: what the installed Nix says (`nix __dump-builtins`, or
//! `nix __dump-language` on newer Nix, read by [`crate::nix::Nix::builtins`]), else our own
//! summaries.
//!
//! Our summaries are short on purpose (the arguments and a sentence or two): they are what a
//! user without Nix installed sees, and Nix's own text replaces them as soon as it is read.

use std::collections::HashMap;

use crate::nix::{self, DumpedBuiltin};

/// One builtin's documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltinDoc {
    /// The argument names, in order (empty for constants).
    pub args: Vec<String>,
    /// Markdown.
    pub doc: String,
    /// Where the text comes from: the installed Nix, or flake-lsp's own summary.
    pub from_nix: bool,
}

impl BuiltinDoc {
    /// `map f list`: the name and its arguments, for a completion's detail or a hover title.
    pub fn signature(&self, name: &str) -> String {
        let mut out = name.to_string();
        for arg in &self.args {
            out.push(' ');
            out.push_str(arg);
        }
        out
    }
}

/// Documentation for every builtin, by name (`map`, `builtins.map` is looked up as `map`).
#[derive(Debug, Clone, Default)]
pub struct BuiltinDocs {
    /// What the installed Nix said; empty when it could not be asked. Our own summaries are
    /// consulted for every other name.
    from_nix: HashMap<String, BuiltinDoc>,
}

impl BuiltinDocs {
    /// Our own summaries only.
    pub fn fallback() -> BuiltinDocs {
        BuiltinDocs::default()
    }

    /// What Nix said about its builtins, completed by ours.
    pub fn from_dumped(dumped: Vec<DumpedBuiltin>) -> BuiltinDocs {
        let from_nix = dumped
            .into_iter()
            .filter(|d| !d.doc.is_empty())
            .map(|d| (d.name, BuiltinDoc { args: d.args, doc: d.doc, from_nix: true }))
            .collect();
        BuiltinDocs { from_nix }
    }

    /// The documentation in the output of `nix __dump-language` or `nix __dump-builtins`.
    pub fn from_dump(json: &str) -> anyhow::Result<BuiltinDocs> {
        use anyhow::Context;
        let dumped = nix::builtins::parse_dump(json).context("reading nix's description of its builtins")?;
        Ok(BuiltinDocs::from_dumped(dumped))
    }

    /// Whether the installed Nix's documentation was loaded.
    pub fn has_nix_docs(&self) -> bool {
        !self.from_nix.is_empty()
    }

    /// The documentation of `name`, Nix's own when loaded, else ours.
    pub fn get(&self, name: &str) -> Option<BuiltinDoc> {
        if let Some(doc) = self.from_nix.get(name) {
            return Some(doc.clone());
        }
        let (_, args, doc) = FALLBACK.iter().find(|(n, _, _)| *n == name)?;
        Some(BuiltinDoc {
            args: args.split_whitespace().map(str::to_string).collect(),
            doc: doc.to_string(),
            from_nix: false,
        })
    }
}

/// The documentation of builtin `name` (`map`, or `builtins.map` given as `map`): from `docs`
/// when the installed Nix's were loaded, else flake-lsp's own.
pub fn lookup(docs: Option<&BuiltinDocs>, name: &str) -> Option<BuiltinDoc> {
    match docs {
        Some(docs) => docs.get(name),
        None => BuiltinDocs::fallback().get(name),
    }
}

/// Our own summaries: name, arguments (space-separated, empty for constants), Markdown.
#[rustfmt::skip]
const FALLBACK: &[(&str, &str, &str)] = &[
    ("abort", "message", "Stops evaluation with an error showing *message*. Unlike `throw`, `tryEval` cannot catch it."),
    ("add", "a b", "The sum of the numbers *a* and *b* (what `a + b` does for numbers)."),
    ("addDrvOutputDependencies", "s", "Turns the single constant string context of *s* (a `.drv` path) into a dependency on all of that derivation's outputs. The opposite of `unsafeDiscardOutputDependency`."),
    ("addErrorContext", "message value", "Returns *value*; if evaluating it fails, *message* is added to the error trace."),
    ("all", "pred list", "`true` when *pred* returns `true` for every element of *list* (also for an empty list)."),
    ("any", "pred list", "`true` when *pred* returns `true` for at least one element of *list*."),
    ("appendContext", "s context", "*s* with the string context described by the attribute set *context* added (the format `getContext` returns)."),
    ("attrNames", "set", "The names of the attributes of *set*, sorted alphabetically."),
    ("attrValues", "set", "The values of the attributes of *set*, in the order of their sorted names."),
    ("baseNameOf", "path", "The last component of *path* (a path or a string): `baseNameOf ./a/b.nix` is `\"b.nix\"`."),
    ("bitAnd", "a b", "The bitwise AND of the integers *a* and *b*."),
    ("bitOr", "a b", "The bitwise OR of the integers *a* and *b*."),
    ("bitXor", "a b", "The bitwise XOR of the integers *a* and *b*."),
    ("break", "value", "Returns *value*; when the debugger is on (`--debugger`), pauses evaluation here first."),
    ("builtins", "", "The set of all built-in functions and constants: `builtins.map`, `builtins.currentSystem`, …"),
    ("catAttrs", "name list", "The values of the attribute *name* in each set of *list* that has it: `catAttrs \"a\" [ { a = 1; } { } ]` is `[ 1 ]`."),
    ("ceil", "number", "*number* rounded up to the nearest integer."),
    ("compareVersions", "a b", "Compares two version strings: `-1` if *a* is older than *b*, `0` if they are equal, `1` if newer."),
    ("concatLists", "lists", "The lists in *lists* joined into one list."),
    ("concatMap", "f list", "Applies *f* (which returns a list) to each element of *list* and joins the results: `concatLists (map f list)`."),
    ("concatStringsSep", "separator list", "The strings of *list* joined with *separator* between them."),
    ("convertHash", "args", "Converts a hash between formats: `args` gives `hash`, `toHashFormat` (`base16`, `nix32`, `base64`, `sri`) and, when the hash does not say, `hashAlgo`."),
    ("currentSystem", "", "The system Nix evaluates on, such as `\"x86_64-linux\"`. Not available in pure evaluation (flakes): take `system` as an argument instead."),
    ("currentTime", "", "The time evaluation started, in seconds since the Unix epoch. Not available in pure evaluation."),
    ("deepSeq", "e1 e2", "Evaluates *e1* completely (lists and sets included), then returns *e2*."),
    ("derivation", "attrs", "Makes a derivation: a build of `builder` with `args` for `system`, described by *attrs* (`name`, `system`, `builder` are required). Usually called through `stdenv.mkDerivation`."),
    ("derivationStrict", "attrs", "The primitive behind `derivation`: returns the derivation's output paths without the conveniences `derivation` adds."),
    ("dirOf", "path", "The directory part of *path* (a path or a string): `dirOf ./a/b.nix` is `./a`."),
    ("div", "a b", "The quotient of *a* and *b*; integer division when both are integers."),
    ("elem", "x list", "`true` when *x* is equal to an element of *list*."),
    ("elemAt", "list n", "The element of *list* at index *n*, counting from 0; an error when out of range."),
    ("false", "", "The boolean false."),
    ("fetchGit", "args", "Fetches a git repository at evaluation time and returns its store path (with `rev`, `shortRev`, `revCount`, …). *args* is a URL or a set with `url`, `ref`, `rev`, `submodules`, …"),
    ("fetchMercurial", "args", "Fetches a Mercurial repository at evaluation time: *args* is a URL or a set with `url`, `rev`, `name`."),
    ("fetchTarball", "args", "Downloads and unpacks an archive at evaluation time and returns its store path. *args* is a URL or a set with `url` and `sha256` (needed in pure evaluation)."),
    ("fetchTree", "input", "Fetches a source tree (or a file) the way flake inputs are fetched: *input* is a flake reference, as a string or as attributes (`type`, `url`, `owner`, `repo`, `rev`, `narHash`, …)."),
    ("fetchurl", "url", "Downloads a file at evaluation time and returns its store path; *url* is a string or a set with `url` and `sha256`."),
    ("filter", "pred list", "The elements of *list* for which *pred* returns `true`."),
    ("filterSource", "pred path", "Copies *path* to the store, keeping only the files and directories for which `pred path type` returns `true`. Prefer `builtins.path` with a `filter`."),
    ("findFile", "searchPath lookupPath", "Finds *lookupPath* in *searchPath* (a list like `builtins.nixPath`): what `<nixpkgs>` does."),
    ("flakeRefToString", "attrs", "The URL form of a flake reference given as attributes: `{ type = \"github\"; owner = \"NixOS\"; repo = \"nixpkgs\"; }` gives `\"github:NixOS/nixpkgs\"`."),
    ("floor", "number", "*number* rounded down to the nearest integer."),
    ("foldl'", "op nul list", "Folds *list* from the left: `op (… (op (op nul x0) x1) …) xn`, evaluating each step strictly."),
    ("fromJSON", "s", "The Nix value the JSON text *s* describes."),
    ("fromTOML", "s", "The attribute set the TOML text *s* describes."),
    ("functionArgs", "f", "The formal arguments of *f* as a set: each name maps to `true` when it has a default. Empty for `x: …` functions."),
    ("genList", "f length", "The list `[ (f 0) (f 1) … (f (length - 1)) ]`."),
    ("genericClosure", "attrs", "Every item reachable from `attrs.startSet` by `attrs.operator`, each item a set with a `key` that identifies it."),
    ("getAttr", "name set", "The attribute *name* of *set*, like `set.${name}`; an error when missing."),
    ("getContext", "s", "The string context of *s*: the store paths it refers to, as a set."),
    ("getEnv", "name", "The value of the environment variable *name*, or `\"\"` when unset. Always `\"\"` in pure evaluation."),
    ("getFlake", "ref", "The outputs (and `inputs`, `outPath`, …) of the flake *ref*, such as `\"github:NixOS/nixpkgs\"`; must be locked in pure evaluation."),
    ("groupBy", "f list", "The elements of *list* grouped into a set by the string *f* returns for each."),
    ("hasAttr", "name set", "`true` when *set* has an attribute *name*, like `set ? ${name}`."),
    ("hasContext", "s", "`true` when the string *s* refers to store paths (has a string context)."),
    ("hashFile", "type path", "The hash of the file at *path*, in hexadecimal; *type* is `\"md5\"`, `\"sha1\"`, `\"sha256\"` or `\"sha512\"`."),
    ("hashString", "type s", "The hash of the string *s*, in hexadecimal; *type* is `\"md5\"`, `\"sha1\"`, `\"sha256\"` or `\"sha512\"`."),
    ("head", "list", "The first element of *list*; an error when it is empty."),
    ("import", "path", "Reads, evaluates and returns the Nix expression in the file *path* (`default.nix` for a directory)."),
    ("intersectAttrs", "e1 e2", "The attributes of *e2* whose names are also in *e1*."),
    ("isAttrs", "e", "`true` when *e* is an attribute set."),
    ("isBool", "e", "`true` when *e* is a boolean."),
    ("isFloat", "e", "`true` when *e* is a float."),
    ("isFunction", "e", "`true` when *e* is a function."),
    ("isInt", "e", "`true` when *e* is an integer."),
    ("isList", "e", "`true` when *e* is a list."),
    ("isNull", "e", "`true` when *e* is `null`. Deprecated: write `e == null`."),
    ("isPath", "e", "`true` when *e* is a path."),
    ("isString", "e", "`true` when *e* is a string."),
    ("langVersion", "", "The version of the Nix language the evaluator implements, an integer."),
    ("length", "list", "The number of elements of *list*."),
    ("lessThan", "a b", "`true` when *a* is less than *b* (what `a < b` does)."),
    ("listToAttrs", "list", "The set made from a list of `{ name = …; value = …; }` sets; the first of equal names wins."),
    ("map", "f list", "The list of *f* applied to each element of *list*."),
    ("mapAttrs", "f set", "*set* with each attribute's value replaced by `f name value`."),
    ("match", "regex s", "`null` when the POSIX extended *regex* does not match all of *s*; otherwise the list of its capture groups."),
    ("mul", "a b", "The product of the numbers *a* and *b*."),
    ("nixPath", "", "The search path used for `<name>` lookups, from `NIX_PATH` and `-I`, as a list of `{ prefix; path; }` sets."),
    ("nixVersion", "", "The version of Nix that evaluates, such as `\"2.18.1\"`."),
    ("null", "", "The null value."),
    ("parseDrvName", "s", "Splits a package name into `{ name; version; }`: `\"nix-0.12pre12876\"` gives `name = \"nix\"`, `version = \"0.12pre12876\"`."),
    ("parseFlakeRef", "ref", "The attribute form of the flake reference *ref*: `\"github:NixOS/nixpkgs\"` gives `{ type = \"github\"; owner = \"NixOS\"; repo = \"nixpkgs\"; }`."),
    ("partition", "pred list", "Splits *list* into `{ right = …; wrong = …; }` by whether *pred* returns `true`."),
    ("path", "args", "Copies a path to the store like `\"${./p}\"` does, with options: `path`, `name`, `filter`, `recursive`, `sha256`."),
    ("pathExists", "path", "`true` when *path* exists."),
    ("placeholder", "output", "A placeholder string for the store path of the derivation's *output*, replaced by the real path at build time."),
    ("readDir", "path", "The entries of the directory *path*: a set from name to `\"regular\"`, `\"directory\"`, `\"symlink\"` or `\"unknown\"`."),
    ("readFile", "path", "The contents of the file *path* as a string."),
    ("readFileType", "path", "The type of *path*: `\"regular\"`, `\"directory\"`, `\"symlink\"` or `\"unknown\"`."),
    ("removeAttrs", "set names", "*set* without the attributes named in the list *names*."),
    ("replaceStrings", "from to s", "*s* with every occurrence of a string of *from* replaced by the string at the same index of *to*."),
    ("scopedImport", "scope path", "Like `import`, with the attributes of *scope* added to the file's scope."),
    ("seq", "e1 e2", "Evaluates *e1* (only to its outer layer), then returns *e2*."),
    ("sort", "comparator list", "*list* sorted by *comparator*, a function `a: b:` returning `true` when *a* comes before *b*. Stable."),
    ("split", "regex s", "Splits *s* by the POSIX extended *regex*: the pieces between matches, with each match's capture groups as a list between them."),
    ("splitVersion", "s", "The components of the version string *s*, as `compareVersions` sees them."),
    ("storeDir", "", "The directory of the Nix store, usually `\"/nix/store\"`."),
    ("storePath", "path", "*path*, a path already in the store, as a store path with its context, without copying it. Not available in pure evaluation."),
    ("stringLength", "s", "The length of the string *s* in bytes."),
    ("sub", "a b", "The difference of *a* and *b* (what `a - b` does)."),
    ("substring", "start len s", "The part of *s* of at most *len* bytes from byte *start*."),
    ("tail", "list", "*list* without its first element; an error when it is empty."),
    ("throw", "message", "Fails evaluation with *message*. Unlike `abort`, `tryEval` can catch it."),
    ("toFile", "name s", "Writes *s* to a store file called *name* and returns its path."),
    ("toJSON", "e", "The JSON text for *e*; derivations and paths become their store paths."),
    ("toPath", "s", "Deprecated: turns an absolute path string into a path. Use `/. + s`."),
    ("toString", "e", "*e* as a string: paths, numbers, booleans (`\"1\"` or `\"\"`), `null` (`\"\"`), lists (joined with spaces), and sets with `outPath` or `__toString`."),
    ("toXML", "e", "An XML representation of *e*."),
    ("trace", "e1 e2", "Prints *e1* to stderr, then returns *e2*."),
    ("traceVerbose", "e1 e2", "Like `trace` when Nix runs with `--trace-verbose`; otherwise just returns *e2*."),
    ("true", "", "The boolean true."),
    ("tryEval", "e", "`{ success = true; value = e; }` when *e* evaluates, `{ success = false; value = false; }` when it throws. Only catches `throw` and `assert`, and only to the outer layer."),
    ("typeOf", "e", "The type of *e* as a string: `\"int\"`, `\"bool\"`, `\"string\"`, `\"path\"`, `\"null\"`, `\"set\"`, `\"list\"`, `\"lambda\"` or `\"float\"`."),
    ("unsafeDiscardOutputDependency", "s", "*s* with a dependency on a derivation's outputs turned into a dependency on the `.drv` file only."),
    ("unsafeDiscardStringContext", "s", "*s* without its string context: the store paths it refers to are no longer dependencies."),
    ("unsafeGetAttrPos", "name set", "Where the attribute *name* of *set* is defined: `{ file; line; column; }`, or `null`."),
    ("warn", "message value", "Prints *message* as a warning, then returns *value* (an error instead with `--abort-on-warn`)."),
    ("zipAttrsWith", "f list", "Merges the sets of *list*: each name maps to `f name values`, *values* being that attribute's values in order."),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::builtins::{BUILTINS, GLOBALS};

    #[test]
    fn every_builtin_has_a_summary() {
        let docs = BuiltinDocs::fallback();
        for name in BUILTINS.iter().chain(GLOBALS) {
            let doc = docs.get(name).unwrap_or_else(|| panic!("no summary for `{name}`"));
            assert!(!doc.doc.is_empty() && !doc.from_nix, "{name}");
        }
        // And nothing else: a typo in a name would never be looked up.
        for (name, _, _) in FALLBACK {
            assert!(BUILTINS.contains(name), "`{name}` is not a builtin");
        }
    }

    #[test]
    fn signatures() {
        let map = lookup(None, "map").unwrap();
        assert_eq!(map.signature("map"), "map f list");
        assert_eq!(lookup(None, "true").unwrap().signature("true"), "true");
        assert_eq!(lookup(None, "pkgs"), None);
    }

    #[test]
    fn nix_documentation_wins_and_ours_fills_the_gaps() {
        let json = r#"{"map":{"args":["f","list"],"arity":2,"doc":"Apply *f* to every element."}}"#;
        let docs = BuiltinDocs::from_dump(json).unwrap();
        assert!(docs.has_nix_docs());
        let map = lookup(Some(&docs), "map").unwrap();
        assert_eq!((map.doc.as_str(), map.from_nix), ("Apply *f* to every element.", true));
        // Nix 2.8 does not describe constants: ours are used.
        let t = lookup(Some(&docs), "true").unwrap();
        assert_eq!((t.doc.as_str(), t.from_nix), ("The boolean true.", false));
        assert!(BuiltinDocs::from_dump("not json").is_err());
    }
}
