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

/// What each top-level attribute is for (Markdown).
pub fn top_level_doc(name: &str) -> Option<&'static str> {
    Some(match name {
        "description" => "A one-line summary of the flake, shown by `nix flake metadata` and `nix flake show`. Must be a plain string.",
        "inputs" => "The flake's dependencies: `inputs.<name>.url = \"github:owner/repo\";` or `inputs.<name> = { url = …; follows = …; flake = false; }`. Nix reads this attribute without evaluating it, so it must be written out literally.",
        "outputs" => "A function from the resolved inputs (`{ self, nixpkgs, ... }:`) to the flake's outputs: `packages`, `devShells`, `apps`, `checks`, `overlays`, `nixosModules`, …",
        "nixConfig" => "Nix settings the flake asks for (`extra-substituters`, `extra-trusted-public-keys`, …). Nix asks the user before applying settings that are not trusted.",
        _ => return None,
    })
}

/// The shape of an output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputShape {
    /// `<output>.<system>.<name>`, each a derivation or an app.
    PerSystemSet,
    /// `<output>.<system>`: one value per system (a derivation, a package set, a formatter).
    PerSystem,
    /// `<output>.<name>`: a set of named values, not per system.
    Set,
    /// Any value.
    Any,
}

/// An output `nix flake check` and `nix flake show` know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Output {
    pub name: &'static str,
    pub shape: OutputShape,
    /// What each value is, as one short phrase.
    pub value: &'static str,
    /// What the output is for (Markdown, one or two sentences).
    pub doc: &'static str,
}

pub const OUTPUTS: &[Output] = &[
    Output { name: "packages", shape: OutputShape::PerSystemSet, value: "derivation", doc: "Packages built by `nix build .#<name>`; `packages.<system>.default` is what `nix build` builds." },
    Output { name: "devShells", shape: OutputShape::PerSystemSet, value: "derivation (usually `mkShell`)", doc: "Development environments entered with `nix develop .#<name>`; `devShells.<system>.default` is the one `nix develop` and flake-lsp use." },
    Output { name: "apps", shape: OutputShape::PerSystemSet, value: "`{ type = \"app\"; program = \"/nix/store/…/bin/x\"; }`", doc: "Programs run by `nix run .#<name>`; `apps.<system>.default` is what `nix run` runs." },
    Output { name: "checks", shape: OutputShape::PerSystemSet, value: "derivation", doc: "Derivations that `nix flake check` builds; a failing build fails the check." },
    Output { name: "formatter", shape: OutputShape::PerSystem, value: "derivation with a program", doc: "The formatter `nix fmt` runs (`nixfmt`, `alejandra`, …)." },
    Output { name: "legacyPackages", shape: OutputShape::PerSystem, value: "attribute set of packages (nested)", doc: "A package set that may nest (like nixpkgs'); `nix flake show` does not evaluate it, so it stays cheap." },
    Output { name: "overlays", shape: OutputShape::Set, value: "`final: prev: { … }`", doc: "Functions that extend or change a package set; `overlays.default` is the main one." },
    Output { name: "nixosModules", shape: OutputShape::Set, value: "NixOS module", doc: "NixOS modules other flakes can import; `nixosModules.default` is the main one." },
    Output { name: "nixosConfigurations", shape: OutputShape::Set, value: "`nixpkgs.lib.nixosSystem { … }`", doc: "Whole NixOS systems, built by `nixos-rebuild --flake .#<name>`." },
    Output { name: "darwinConfigurations", shape: OutputShape::Set, value: "`darwin.lib.darwinSystem { … }`", doc: "macOS systems managed by nix-darwin, built by `darwin-rebuild --flake .#<name>`." },
    Output { name: "homeConfigurations", shape: OutputShape::Set, value: "`home-manager.lib.homeManagerConfiguration { … }`", doc: "User environments managed by Home Manager, applied by `home-manager switch --flake .#<name>`." },
    Output { name: "templates", shape: OutputShape::Set, value: "`{ path = ./dir; description = \"…\"; }`", doc: "Project templates for `nix flake init -t <flake>#<name>`; `templates.default` is used without a name." },
    Output { name: "lib", shape: OutputShape::Any, value: "attribute set of functions", doc: "Nix functions the flake offers to others; not checked by Nix." },
    Output { name: "hydraJobs", shape: OutputShape::Set, value: "nested set of derivations", doc: "Jobs for the Hydra CI server, usually `hydraJobs.<job>.<system>`." },
    Output { name: "bundlers", shape: OutputShape::PerSystemSet, value: "function from a derivation to a derivation", doc: "Ways to repackage a program, used by `nix bundle --bundler .#<name>`." },
    Output { name: "dockerImages", shape: OutputShape::Any, value: "derivation", doc: "Not a standard output: a convention of some flakes, ignored by Nix." },
];

pub fn output(name: &str) -> Option<&'static Output> {
    OUTPUTS.iter().find(|o| o.name == name)
}

/// The systems most flakes build for, in the order `flake-utils` lists them.
pub const SYSTEMS: &[&str] = &["x86_64-linux", "aarch64-linux", "x86_64-darwin", "aarch64-darwin"];

/// What an input attribute means (Markdown).
pub fn input_attribute_doc(name: &str) -> Option<&'static str> {
    Some(match name {
        "url" => "Where the input comes from, as a flake reference: `github:owner/repo/ref`, `git+https://…`, `path:./dir`, `tarball+https://…`, or a registry name like `nixpkgs`.",
        "flake" => "`false` when the input is plain source, not a flake: Nix fetches it but does not read a `flake.nix` from it, and `outputs` receives its store path.",
        "follows" => "Use another input instead of fetching this one: `follows = \"nixpkgs\";`, or a path into another input's inputs, `\"other/nixpkgs\"`.",
        "inputs" => "Override the inputs of this input: `inputs.nixpkgs.follows = \"nixpkgs\";` makes it use this flake's nixpkgs.",
        "type" => "The fetcher, when the reference is written as attributes: `github`, `gitlab`, `sourcehut`, `git`, `mercurial`, `path`, `tarball`, `file`, `indirect`.",
        "owner" => "The owner (user or organisation) on GitHub, GitLab or sourcehut.",
        "repo" => "The repository name on GitHub, GitLab or sourcehut.",
        "ref" => "A branch or tag to fetch.",
        "rev" => "A commit hash to fetch.",
        "dir" => "The subdirectory that holds `flake.nix`.",
        "narHash" => "The expected hash of the fetched tree; Nix refuses a tree that does not match.",
        "host" => "The server, for a GitHub Enterprise, GitLab or sourcehut instance that is not the public one.",
        "submodules" => "Whether to fetch git submodules as well.",
        "path" => "A local path (for `type = \"path\"`).",
        "id" => "The registry name (for `type = \"indirect\"`).",
        "shallow" => "Fetch a git repository without its history.",
        "allRefs" => "Fetch every ref of a git repository, so that any `rev` can be found.",
        "lfs" => "Fetch git LFS files.",
        "exportIgnore" => "Honour `export-ignore` in `.gitattributes`.",
        "lastModified" => "The time of the locked revision (seconds since the epoch); normally only in `flake.lock`.",
        "revCount" => "The number of commits up to the locked revision; normally only in `flake.lock`.",
        "treeHash" => "The git tree hash to fetch (newer Nix).",
        "verifyCommit" => "Verify the commit's signature.",
        "keytype" => "The type of `publicKey` for commit verification.",
        "publicKey" => "A key that must have signed the commit.",
        "publicKeys" => "Keys, one of which must have signed the commit.",
        "unpack" => "For `tarball` and `file`: whether to unpack the download.",
        "name" => "The name of the store path the input is fetched to.",
        _ => return None,
    })
}

/// URL schemes of flake references, with what each fetches.
pub const URL_SCHEMES: &[(&str, &str)] = &[
    ("github:", "A GitHub repository: `github:owner/repo`, optionally `/ref-or-rev` and `?dir=sub`."),
    ("gitlab:", "A GitLab repository: `gitlab:owner/repo`, optionally `/ref-or-rev`."),
    ("sourcehut:", "A sourcehut repository: `sourcehut:~owner/repo`."),
    ("git+https:", "A git repository over HTTPS: `git+https://host/path?ref=main&rev=…`."),
    ("git+ssh:", "A git repository over SSH: `git+ssh://git@host/path`."),
    ("git+file:", "A local git repository: `git+file:///path`; only tracked files are seen."),
    ("path:", "A local directory copied as is: `path:./dir` or `path:/abs/dir`."),
    ("tarball+https:", "An archive to download and unpack: `tarball+https://host/x.tar.gz`."),
    ("file+https:", "A single file to download: `file+https://host/x`."),
    ("flake:", "A name in the flake registry: `flake:nixpkgs` (the same as `nixpkgs`)."),
];

/// Arguments of `mkShell`, with what each does.
pub const MK_SHELL_ARGUMENTS: &[(&str, &str)] = &[
    ("packages", "Packages whose programs are on PATH in the shell."),
    ("buildInputs", "Dependencies to link against (libraries, with their headers and pkg-config files)."),
    ("nativeBuildInputs", "Tools run during the build or in the shell (compilers, `pkg-config`, code generators)."),
    ("inputsFrom", "Derivations whose build inputs the shell takes as well (`inputsFrom = [ self.packages.${system}.default ];`)."),
    ("shellHook", "Bash run when the shell starts (`nix develop`, and flake-lsp when it realises the environment)."),
    ("env", "Environment variables to set in the shell: `env.FOO = \"bar\";`."),
    ("name", "The name of the shell derivation (`nix-shell` by default)."),
];
