//! `flake.lock`: which revision each input is locked to (lock file versions 5 to 7).

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

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlakeLock {
    pub version: u32,
    // TODO(navigation helper): nodes.
}

impl FlakeLock {
    /// Reads a lock file; the error says what is wrong in words for the user.
    pub fn parse(_text: &str) -> Result<FlakeLock, String> {
        Err("not implemented".into())
    }

    /// The root flake's input `name`, with `follows` resolved.
    pub fn root_input(&self, _name: &str) -> Option<LockedInput> {
        None
    }

    /// The names of the root flake's inputs.
    pub fn root_inputs(&self) -> Vec<String> {
        Vec::new()
    }
}
