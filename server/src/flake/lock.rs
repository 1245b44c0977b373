//! `flake.lock`: which revision each input is locked to (lock file versions 5 to 7).
//!
//! The lock is a graph: `nodes` by name, `root` naming the node of the flake itself, and each
//! node's `inputs` mapping an input name to either a node name or a `follows` path (a list of
//! input names walked from the root, each step of which may itself follow another path).
//! Versions 5, 6 and 7 share this shape; they differ in details of `locked` that do not
//! matter here. Older versions had another shape and are refused.

use std::collections::BTreeMap;

use serde_json::Value;

/// What the lock says about one input of the root flake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedInput {
    /// The node's name in the lock (after `follows` are resolved).
    pub node: String,
    /// The reference as written in `flake.nix` (`original`), as a URL-like string.
    pub original: Option<String>,
    /// The locked reference as a URL-like string (`github:NixOS/nixpkgs/<rev>`).
    pub locked: Option<String>,
    pub rev: Option<String>,
    pub nar_hash: Option<String>,
    /// Seconds since the epoch.
    pub last_modified: Option<i64>,
    /// When the input follows another: the path it follows (`["nixpkgs"]`).
    pub follows: Option<Vec<String>>,
}

/// An input of a node: a node's name, or a path of input names from the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputRef {
    Node(String),
    Follows(Vec<String>),
}

/// A value of `locked` or `original`: the lock only holds strings, integers and booleans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attr {
    String(String),
    Int(i64),
    Bool(bool),
}

impl Attr {
    fn render(&self) -> String {
        match self {
            Attr::String(s) => s.clone(),
            Attr::Int(i) => i.to_string(),
            Attr::Bool(b) => b.to_string(),
        }
    }
}

/// A flake reference as attributes (`type`, `owner`, `repo`, `rev`, …).
pub type RefAttrs = BTreeMap<String, Attr>;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LockNode {
    pub inputs: BTreeMap<String, InputRef>,
    pub locked: Option<RefAttrs>,
    pub original: Option<RefAttrs>,
    /// `false` for inputs with `flake = false`.
    pub flake: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlakeLock {
    pub version: u32,
    /// The name of the root flake's node (normally `root`).
    pub root: String,
    pub nodes: BTreeMap<String, LockNode>,
}

/// How deep `follows` may chain before the lock is taken to be cyclic.
const MAX_FOLLOWS_DEPTH: usize = 64;

impl FlakeLock {
    /// Reads a lock file; the error says what is wrong in words for the user.
    pub fn parse(text: &str) -> Result<FlakeLock, String> {
        let json: Value =
            serde_json::from_str(text).map_err(|err| format!("flake.lock is not valid JSON: {err}"))?;
        let top = json.as_object().ok_or("flake.lock must hold a JSON object")?;
        let version = match top.get("version") {
            Some(v) => v.as_u64().ok_or("flake.lock: `version` must be a number")?,
            None => return Err("flake.lock has no `version`".into()),
        };
        if !(5..=7).contains(&version) {
            let why = if version < 5 {
                "it is too old: run `nix flake update` with a recent Nix to rewrite it"
            } else {
                "it is newer than flake-lsp knows"
            };
            return Err(format!(
                "flake.lock version {version} is not supported (versions 5 to 7 are): {why}"
            ));
        }
        let root = match top.get("root") {
            Some(Value::String(s)) => s.clone(),
            Some(_) => return Err("flake.lock: `root` must be a string".into()),
            None => return Err("flake.lock has no `root`".into()),
        };
        let nodes_json = match top.get("nodes") {
            Some(Value::Object(map)) => map,
            Some(_) => return Err("flake.lock: `nodes` must be an object".into()),
            None => return Err("flake.lock has no `nodes`".into()),
        };
        let mut nodes = BTreeMap::new();
        for (name, node) in nodes_json {
            nodes.insert(name.clone(), parse_node(name, node)?);
        }
        if !nodes.contains_key(&root) {
            return Err(format!("flake.lock: the root node `{root}` is not among its nodes"));
        }
        for (name, node) in &nodes {
            for (input, target) in &node.inputs {
                if let InputRef::Node(target) = target {
                    if !nodes.contains_key(target) {
                        return Err(format!(
                            "flake.lock: input `{input}` of node `{name}` points at node `{target}`, which is not in the lock"
                        ));
                    }
                }
            }
        }
        Ok(FlakeLock { version: version as u32, root, nodes })
    }

    /// The root flake's input `name`, with `follows` resolved.
    pub fn root_input(&self, name: &str) -> Option<LockedInput> {
        self.input_at(&[name])
    }

    /// The input reached by walking `path` from the root (`["home-manager", "nixpkgs"]` is the
    /// nixpkgs input of the home-manager input), with `follows` resolved. `follows` reports
    /// the path the last step follows, if it does.
    pub fn input_at(&self, path: &[&str]) -> Option<LockedInput> {
        let (last, parents) = path.split_last()?;
        let mut node = self.root.clone();
        for step in parents {
            node = self.step(&node, step, 0)?;
        }
        let follows = match self.nodes.get(&node)?.inputs.get(*last)? {
            InputRef::Follows(path) => Some(path.clone()),
            InputRef::Node(_) => None,
        };
        let node = self.step(&node, last, 0)?;
        let locked_node = self.nodes.get(&node)?;
        let locked = locked_node.locked.as_ref();
        let string = |key: &str| match locked.and_then(|l| l.get(key)) {
            Some(Attr::String(s)) => Some(s.clone()),
            _ => None,
        };
        Some(LockedInput {
            original: locked_node.original.as_ref().map(flake_ref_string),
            locked: locked.map(flake_ref_string),
            rev: string("rev"),
            nar_hash: string("narHash"),
            last_modified: match locked.and_then(|l| l.get("lastModified")) {
                Some(Attr::Int(i)) => Some(*i),
                _ => None,
            },
            follows,
            node,
        })
    }

    /// The names of the root flake's inputs.
    pub fn root_inputs(&self) -> Vec<String> {
        self.nodes.get(&self.root).map(|n| n.inputs.keys().cloned().collect()).unwrap_or_default()
    }

    /// The node that input `input` of node `node` stands for.
    fn step(&self, node: &str, input: &str, depth: usize) -> Option<String> {
        match self.nodes.get(node)?.inputs.get(input)? {
            InputRef::Node(target) => Some(target.clone()),
            InputRef::Follows(path) => self.follow(path, depth + 1),
        }
    }

    /// The node a `follows` path lands on: walked from the root, each step resolved in turn.
    /// An empty path is the root itself (`follows = ""`).
    fn follow(&self, path: &[String], depth: usize) -> Option<String> {
        if depth > MAX_FOLLOWS_DEPTH {
            return None;
        }
        let mut node = self.root.clone();
        for step in path {
            node = self.step(&node, step, depth)?;
        }
        Some(node)
    }
}

fn parse_node(name: &str, node: &Value) -> Result<LockNode, String> {
    let node = node.as_object().ok_or_else(|| format!("flake.lock: node `{name}` must be an object"))?;
    let mut inputs = BTreeMap::new();
    match node.get("inputs") {
        None => {}
        Some(Value::Object(map)) => {
            for (input, target) in map {
                let target = match target {
                    Value::String(s) => InputRef::Node(s.clone()),
                    Value::Array(path) => InputRef::Follows(
                        path.iter()
                            .map(|p| p.as_str().map(str::to_string))
                            .collect::<Option<Vec<String>>>()
                            .ok_or_else(|| {
                                format!("flake.lock: the follows path of input `{input}` of node `{name}` must hold strings")
                            })?,
                    ),
                    _ => {
                        return Err(format!(
                            "flake.lock: input `{input}` of node `{name}` must be a node name or a follows path"
                        ))
                    }
                };
                inputs.insert(input.clone(), target);
            }
        }
        Some(_) => return Err(format!("flake.lock: `inputs` of node `{name}` must be an object")),
    }
    let flake = match node.get("flake") {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(format!("flake.lock: `flake` of node `{name}` must be true or false")),
    };
    Ok(LockNode {
        inputs,
        locked: ref_attrs(name, "locked", node.get("locked"))?,
        original: ref_attrs(name, "original", node.get("original"))?,
        flake,
    })
}

fn ref_attrs(node: &str, field: &str, value: Option<&Value>) -> Result<Option<RefAttrs>, String> {
    let Some(value) = value else { return Ok(None) };
    let map = value
        .as_object()
        .ok_or_else(|| format!("flake.lock: `{field}` of node `{node}` must be an object"))?;
    let mut out = RefAttrs::new();
    for (key, v) in map {
        let attr = match v {
            Value::String(s) => Attr::String(s.clone()),
            Value::Bool(b) => Attr::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Attr::Int(i),
                None => {
                    return Err(format!("flake.lock: `{field}.{key}` of node `{node}` must be an integer"))
                }
            },
            _ => {
                return Err(format!(
                    "flake.lock: `{field}.{key}` of node `{node}` must be a string, an integer or a boolean"
                ))
            }
        };
        out.insert(key.clone(), attr);
    }
    Ok(Some(out))
}

/// A flake reference written the way `nix flake metadata` shows it: `github:owner/repo/rev`,
/// `git+https://host/repo?ref=main&rev=…`, `path:/dir`, `tarball+https://…`, `flake:id`.
/// Hashes and times are left out: they are shown on their own.
pub fn flake_ref_string(attrs: &RefAttrs) -> String {
    let get = |key: &str| attrs.get(key).map(Attr::render);
    let kind = get("type").unwrap_or_default();
    // Attributes that the scheme's own syntax already shows.
    let (base, shown): (String, &[&str]) = match kind.as_str() {
        "github" | "gitlab" | "sourcehut" => {
            let mut base =
                format!("{kind}:{}/{}", get("owner").unwrap_or_default(), get("repo").unwrap_or_default());
            if let Some(r) = get("rev").or_else(|| get("ref")) {
                base.push('/');
                base.push_str(&r);
            }
            // With a `rev` shown in the path, a `ref` beside it still says which branch.
            let shown: &[&str] =
                if attrs.contains_key("rev") { &["owner", "repo", "rev"] } else { &["owner", "repo", "ref"] };
            (base, shown)
        }
        "git" => (format!("git+{}", get("url").unwrap_or_default()), &["url"]),
        "mercurial" => (format!("hg+{}", get("url").unwrap_or_default()), &["url"]),
        "tarball" => (format!("tarball+{}", get("url").unwrap_or_default()), &["url"]),
        "file" => (format!("file+{}", get("url").unwrap_or_default()), &["url"]),
        "path" => (format!("path:{}", get("path").unwrap_or_default()), &["path"]),
        "indirect" => {
            let mut base = format!("flake:{}", get("id").unwrap_or_default());
            for key in ["ref", "rev"] {
                if let Some(v) = get(key) {
                    base.push('/');
                    base.push_str(&v);
                }
            }
            (base, &["id", "ref", "rev"])
        }
        other => (format!("{other}:"), &[]),
    };
    let hidden = ["type", "narHash", "lastModified", "lastModifiedDate", "revCount"];
    let query: Vec<String> = attrs
        .iter()
        .filter(|(k, _)| !hidden.contains(&k.as_str()) && !shown.contains(&k.as_str()))
        .map(|(k, v)| format!("{k}={}", v.render()))
        .collect();
    if query.is_empty() {
        base
    } else {
        format!("{base}?{}", query.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{expect, Expect};

    /// Renders every root input the way hover would use it.
    fn check(text: &str, expect: Expect) {
        let out = match FlakeLock::parse(text) {
            Ok(lock) => {
                let mut out = format!("version {}\n", lock.version);
                for name in lock.root_inputs() {
                    match lock.root_input(&name) {
                        Some(i) => {
                            out.push_str(&format!("{name} -> {}\n", i.node));
                            let fields = [
                                ("original", i.original),
                                ("locked", i.locked),
                                ("rev", i.rev),
                                ("narHash", i.nar_hash),
                                ("lastModified", i.last_modified.map(|t| t.to_string())),
                                ("follows", i.follows.map(|f| format!("{f:?}"))),
                            ];
                            for (key, value) in fields {
                                if let Some(value) = value {
                                    out.push_str(&format!("  {key}: {value}\n"));
                                }
                            }
                        }
                        None => out.push_str(&format!("{name}: unresolved\n")),
                    }
                }
                out
            }
            Err(err) => format!("error: {err}\n"),
        };
        expect.assert_eq(&out);
    }

    #[test]
    fn version_7_with_follows_at_the_root() {
        check(
            r#"{
  "nodes": {
    "nixpkgs": {
      "locked": { "lastModified": 1714906307, "narHash": "sha256-AAA=", "owner": "NixOS", "repo": "nixpkgs",
                  "rev": "25865a40d14b3f9cf19f19b924e2ab4069b09588", "type": "github" },
      "original": { "owner": "NixOS", "ref": "nixos-unstable", "repo": "nixpkgs", "type": "github" }
    },
    "home-manager": {
      "inputs": { "nixpkgs": ["nixpkgs"] },
      "locked": { "lastModified": 1700000000, "narHash": "sha256-BBB=", "owner": "nix-community",
                  "repo": "home-manager", "rev": "abc", "type": "github" },
      "original": { "owner": "nix-community", "repo": "home-manager", "type": "github" }
    },
    "root": { "inputs": { "nixpkgs": "nixpkgs", "home-manager": "home-manager", "pkgs2": ["home-manager", "nixpkgs"] } }
  },
  "root": "root",
  "version": 7
}"#,
            expect![[r#"
                version 7
                home-manager -> home-manager
                  original: github:nix-community/home-manager
                  locked: github:nix-community/home-manager/abc
                  rev: abc
                  narHash: sha256-BBB=
                  lastModified: 1700000000
                nixpkgs -> nixpkgs
                  original: github:NixOS/nixpkgs/nixos-unstable
                  locked: github:NixOS/nixpkgs/25865a40d14b3f9cf19f19b924e2ab4069b09588
                  rev: 25865a40d14b3f9cf19f19b924e2ab4069b09588
                  narHash: sha256-AAA=
                  lastModified: 1714906307
                pkgs2 -> nixpkgs
                  original: github:NixOS/nixpkgs/nixos-unstable
                  locked: github:NixOS/nixpkgs/25865a40d14b3f9cf19f19b924e2ab4069b09588
                  rev: 25865a40d14b3f9cf19f19b924e2ab4069b09588
                  narHash: sha256-AAA=
                  lastModified: 1714906307
                  follows: ["home-manager", "nixpkgs"]
            "#]],
        );
    }

    #[test]
    fn version_6_git_path_tarball_and_indirect() {
        check(
            r#"{
  "nodes": {
    "src": {
      "flake": false,
      "locked": { "lastModified": 1, "narHash": "sha256-C=", "ref": "main", "rev": "0123456789",
                  "revCount": 42, "type": "git", "url": "https://example.org/src.git" },
      "original": { "ref": "main", "type": "git", "url": "https://example.org/src.git" }
    },
    "local": {
      "locked": { "lastModified": 2, "narHash": "sha256-D=", "path": "/home/me/local", "type": "path" },
      "original": { "path": "/home/me/local", "type": "path" }
    },
    "archive": {
      "locked": { "narHash": "sha256-E=", "type": "tarball", "url": "https://example.org/a.tar.gz" },
      "original": { "type": "tarball", "url": "https://example.org/a.tar.gz" }
    },
    "registry": {
      "locked": { "lastModified": 3, "narHash": "sha256-F=", "owner": "numtide", "repo": "flake-utils",
                  "rev": "fff", "type": "github" },
      "original": { "id": "flake-utils", "type": "indirect" }
    },
    "root": { "inputs": { "src": "src", "local": "local", "archive": "archive", "registry": "registry" } }
  },
  "root": "root",
  "version": 6
}"#,
            expect![[r#"
                version 6
                archive -> archive
                  original: tarball+https://example.org/a.tar.gz
                  locked: tarball+https://example.org/a.tar.gz
                  narHash: sha256-E=
                local -> local
                  original: path:/home/me/local
                  locked: path:/home/me/local
                  narHash: sha256-D=
                  lastModified: 2
                registry -> registry
                  original: flake:flake-utils
                  locked: github:numtide/flake-utils/fff
                  rev: fff
                  narHash: sha256-F=
                  lastModified: 3
                src -> src
                  original: git+https://example.org/src.git?ref=main
                  locked: git+https://example.org/src.git?ref=main&rev=0123456789
                  rev: 0123456789
                  narHash: sha256-C=
                  lastModified: 1
            "#]],
        );
    }

    #[test]
    fn version_5_and_follows_chains() {
        // `b` follows `a/x`, and `a`'s `x` follows the root's `c`: resolved step by step.
        check(
            r#"{
  "nodes": {
    "a": { "inputs": { "x": ["c"] }, "locked": { "type": "path", "path": "/a" } },
    "c": { "locked": { "type": "path", "path": "/c" } },
    "root": { "inputs": { "a": "a", "b": ["a", "x"], "c": "c", "me": [] } }
  },
  "root": "root",
  "version": 5
}"#,
            expect![[r#"
                version 5
                a -> a
                  locked: path:/a
                b -> c
                  locked: path:/c
                  follows: ["a", "x"]
                c -> c
                  locked: path:/c
                me -> root
                  follows: []
            "#]],
        );
    }

    #[test]
    fn cycles_and_missing_steps_are_unresolved() {
        check(
            r#"{
  "nodes": { "root": { "inputs": { "a": ["b"], "b": ["a"], "c": ["nowhere"] } } },
  "root": "root",
  "version": 7
}"#,
            expect![[r#"
                version 7
                a: unresolved
                b: unresolved
                c: unresolved
            "#]],
        );
    }

    #[test]
    fn nested_inputs_by_path() {
        let lock = FlakeLock::parse(
            r#"{ "nodes": {
                "hm": { "inputs": { "nixpkgs": "np2" } },
                "np2": { "locked": { "type": "github", "owner": "o", "repo": "r", "rev": "1" } },
                "root": { "inputs": { "hm": "hm" } } },
              "root": "root", "version": 7 }"#,
        )
        .unwrap();
        let nested = lock.input_at(&["hm", "nixpkgs"]).unwrap();
        assert_eq!(nested.node, "np2");
        assert_eq!(nested.locked.as_deref(), Some("github:o/r/1"));
        assert!(lock.input_at(&[]).is_none());
        assert!(lock.input_at(&["hm", "nope"]).is_none());
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let cases = [
            "",
            "[]",
            "{ nodes: 1 }",
            r#"{ "version": 4, "root": "root", "nodes": {} }"#,
            r#"{ "version": 8, "root": "root", "nodes": {} }"#,
            r#"{ "version": "7", "root": "root", "nodes": {} }"#,
            r#"{ "version": 7, "nodes": {} }"#,
            r#"{ "version": 7, "root": "root" }"#,
            r#"{ "version": 7, "root": "root", "nodes": {} }"#,
            r#"{ "version": 7, "root": "root", "nodes": { "root": { "inputs": { "a": "b" } } } }"#,
            r#"{ "version": 7, "root": "root", "nodes": { "root": { "inputs": { "a": 1 } } } }"#,
            r#"{ "version": 7, "root": "root", "nodes": { "root": { "inputs": { "a": [1] } } } }"#,
            r#"{ "version": 7, "root": "root", "nodes": { "root": { "locked": { "x": [] } } } }"#,
            r#"{ "version": 7, "root": "root", "nodes": { "root": { "locked": { "x": 1.5 } } } }"#,
        ];
        let out: Vec<String> = cases.iter().map(|c| FlakeLock::parse(c).unwrap_err()).collect();
        expect![[r#"
            flake.lock is not valid JSON: EOF while parsing a value at line 1 column 0
            flake.lock must hold a JSON object
            flake.lock is not valid JSON: key must be a string at line 1 column 3
            flake.lock version 4 is not supported (versions 5 to 7 are): it is too old: run `nix flake update` with a recent Nix to rewrite it
            flake.lock version 8 is not supported (versions 5 to 7 are): it is newer than flake-lsp knows
            flake.lock: `version` must be a number
            flake.lock has no `root`
            flake.lock has no `nodes`
            flake.lock: the root node `root` is not among its nodes
            flake.lock: input `a` of node `root` points at node `b`, which is not in the lock
            flake.lock: input `a` of node `root` must be a node name or a follows path
            flake.lock: the follows path of input `a` of node `root` must hold strings
            flake.lock: `locked.x` of node `root` must be a string, an integer or a boolean
            flake.lock: `locked.x` of node `root` must be an integer"#]]
        .assert_eq(&out.join("\n"));
    }
}
