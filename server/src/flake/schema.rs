//! What a `flake.nix` may contain, as Nix reads it (flake.cc and the fetchers).

/// The only attributes Nix accepts at the top of `flake.nix`.
pub const TOP_LEVEL: &[&str] = &["description", "inputs", "outputs", "nixConfig"];

/// The kind of value Nix expects for an input attribute, read without evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    String,
    Bool,
    Int,
    /// Nested `inputs.<name>.…` overrides.
    Inputs,
}

/// Attributes an input may have: the flake ones and those of the fetchers (git, github,
/// gitlab, sourcehut, mercurial, path, tarball, file, indirect).
pub const INPUT_ATTRIBUTES: &[(&str, ValueKind)] = &[
    ("url", ValueKind::String),
    ("flake", ValueKind::Bool),
    ("follows", ValueKind::String),
    ("inputs", ValueKind::Inputs),
    ("type", ValueKind::String),
    ("owner", ValueKind::String),
    ("repo", ValueKind::String),
    ("ref", ValueKind::String),
    ("rev", ValueKind::String),
    ("dir", ValueKind::String),
    ("narHash", ValueKind::String),
    ("host", ValueKind::String),
    ("submodules", ValueKind::Bool),
    ("path", ValueKind::String),
    ("id", ValueKind::String),
    ("shallow", ValueKind::Bool),
    ("allRefs", ValueKind::Bool),
    ("lfs", ValueKind::Bool),
    ("exportIgnore", ValueKind::Bool),
    ("lastModified", ValueKind::Int),
    ("revCount", ValueKind::Int),
    ("treeHash", ValueKind::String),
    ("verifyCommit", ValueKind::Bool),
    ("keytype", ValueKind::String),
    ("publicKey", ValueKind::String),
    ("publicKeys", ValueKind::String),
    ("unpack", ValueKind::Bool),
    ("name", ValueKind::String),
];

pub fn input_attribute(name: &str) -> Option<ValueKind> {
    INPUT_ATTRIBUTES.iter().find(|(n, _)| *n == name).map(|(_, k)| *k)
}

/// A flake output that Nix still reads but has replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeprecatedOutput {
    pub name: &'static str,
    /// What to write instead.
    pub replacement: &'static str,
    /// Whether the output has a per-system layer (`devShell.<system>`).
    pub per_system: bool,
}

pub const DEPRECATED_OUTPUTS: &[DeprecatedOutput] = &[
    DeprecatedOutput { name: "devShell", replacement: "devShells.<system>.default", per_system: true },
    DeprecatedOutput { name: "defaultPackage", replacement: "packages.<system>.default", per_system: true },
    DeprecatedOutput { name: "defaultApp", replacement: "apps.<system>.default", per_system: true },
    DeprecatedOutput { name: "overlay", replacement: "overlays.default", per_system: false },
    DeprecatedOutput { name: "nixosModule", replacement: "nixosModules.default", per_system: false },
    DeprecatedOutput { name: "defaultTemplate", replacement: "templates.default", per_system: false },
    DeprecatedOutput { name: "defaultBundler", replacement: "bundlers.<system>.default", per_system: true },
];

pub fn deprecated_output(name: &str) -> Option<&'static DeprecatedOutput> {
    DEPRECATED_OUTPUTS.iter().find(|d| d.name == name)
}

/// Functions that call their last argument once per system and put what it returns under
/// `<output>.<system>` (flake-utils and its look-alikes).
pub const PER_SYSTEM_FUNCTIONS: &[&str] = &["eachDefaultSystem", "eachSystem"];
