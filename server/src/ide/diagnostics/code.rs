//! The kinds of diagnostics (one enum of stable codes, documented in docs/diagnostics.md) and
//! what a diagnostic holds.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::syntax::TextRange;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
    Info,
    Hint,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
            Severity::Hint => "hint",
        }
    }
}

macro_rules! codes {
    ($( $variant:ident = $name:literal, $severity:ident, $parser:literal, $summary:literal; )*) => {
        /// A kind of diagnostic. Its name is stable: users silence diagnostics by it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $($variant),* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $name),* }
            }

            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$severity),* }
            }

            /// Whether Nix refuses to parse a file with this problem
            /// (`nix-instantiate --parse` fails).
            pub fn rejected_by_nix_parser(self) -> bool {
                match self { $(Code::$variant => $parser),* }
            }

            /// One line for `--help`-like listings and the docs.
            pub fn summary(self) -> &'static str {
                match self { $(Code::$variant => $summary),* }
            }

            pub fn from_name(name: &str) -> Option<Code> {
                Code::ALL.iter().copied().find(|c| c.as_str() == name)
            }
        }
    };
}

codes! {
    SyntaxError = "syntax_error", Error, true, "The text is not valid Nix.";
    DuplicatedFormal = "duplicated_formal", Error, true, "A function argument is named twice.";
    DuplicatedAttribute = "duplicated_attribute", Error, true, "An attribute is defined twice in a way Nix cannot merge.";
    DynamicAttributeInLet = "dynamic_attribute", Error, true, "A computed name where Nix needs a static one (`let`, `inherit`).";
    InvalidLiteral = "invalid_literal", Error, true, "A number out of range or a path ending in `/`.";
    UndefinedName = "undefined_name", Error, true, "A name that no scope binds and no `with` can provide.";
    UnusedBinding = "unused_binding", Warning, false, "A `let` binding nothing refers to.";
    UnusedFormal = "unused_formal", Hint, false, "A formal argument nothing refers to, in a pattern with `...`.";
    UnusedWith = "unused_with", Warning, false, "A `with` from which no name is taken.";
    UnusedRec = "unused_rec", Warning, false, "`rec` on a set whose attributes never refer to each other.";
    EmptyLet = "empty_let", Warning, false, "`let in` without bindings.";
    EmptyInherit = "empty_inherit", Warning, false, "`inherit` without names.";
    DeprecatedUriLiteral = "deprecated_uri_literal", Warning, false, "An unquoted URL.";
    InvalidUtf8 = "invalid_utf8", Warning, false, "The file is not valid UTF-8.";
    FlakeNotAttrset = "flake_not_attrset", Error, false, "`flake.nix` is not an attribute set written out.";
    UnknownFlakeAttribute = "unknown_flake_attribute", Error, false, "A top-level attribute other than description, inputs, outputs, nixConfig.";
    DescriptionNotString = "description_not_string", Error, false, "`description` is not a plain string.";
    ComputedInputs = "computed_inputs", Error, false, "`inputs`, or a value in it, needs evaluation; Nix reads inputs without evaluating.";
    UnknownInputAttribute = "unknown_input_attribute", Error, false, "An input attribute Nix does not know.";
    UnknownFollows = "unknown_follows", Error, false, "`follows` names an input that is not declared.";
    OutputsNotFunction = "outputs_not_function", Error, false, "`outputs` is not a function written out.";
    UndeclaredInput = "undeclared_input", Warning, false, "An `outputs` argument that is not a declared input: Nix looks it up in the flake registry.";
    OutputsMissingInput = "outputs_missing_input", Error, false, "`outputs` takes neither this input nor `...`: the call fails.";
    UnreceivedInput = "unreceived_input", Hint, false, "A declared input `outputs` never receives.";
    DeprecatedDevShell = "deprecated_dev_shell", Warning, false, "`devShell` is deprecated: `devShells.<system>.default`.";
    DeprecatedDefaultPackage = "deprecated_default_package", Warning, false, "`defaultPackage` is deprecated: `packages.<system>.default`.";
    DeprecatedDefaultApp = "deprecated_default_app", Warning, false, "`defaultApp` is deprecated: `apps.<system>.default`.";
    DeprecatedOverlay = "deprecated_overlay", Warning, false, "`overlay` is deprecated: `overlays.default`.";
    DeprecatedNixosModule = "deprecated_nixos_module", Warning, false, "`nixosModule` is deprecated: `nixosModules.default`.";
    DeprecatedDefaultTemplate = "deprecated_default_template", Warning, false, "`defaultTemplate` is deprecated: `templates.default`.";
    DeprecatedDefaultBundler = "deprecated_default_bundler", Warning, false, "`defaultBundler` is deprecated: `bundlers.<system>.default`.";
    EnvironmentFailed = "environment_failed", Error, false, "The dev shell could not be realised (Nix failed, or the shellHook failed or timed out).";
    VenvBroken = "venv_broken", Warning, false, "The project's venv was made from a Python that is gone or is not the dev shell's.";
    EvalError = "eval_error", Error, false, "Evaluating one of the flake's outputs failed here (reported by Nix; the message names the output).";
    InputUnavailable = "input_unavailable", Error, false, "An input Nix could not fetch (no network, a rate limit, no credentials), on its `url`, with what to do.";
    UntrackedFile = "untracked_file", Error, false, "A flake file git does not track: Nix copies only tracked files and cannot see it.";
    LockMissingInput = "lock_missing_input", Warning, false, "An input flake.lock does not hold: Nix will fetch and lock it on the next run.";
    LockUnusedInput = "lock_unused_input", Warning, false, "flake.lock holds an input flake.nix no longer declares.";
}

impl Code {
    /// Code that can be removed without changing what the file means.
    pub fn is_unnecessary(self) -> bool {
        matches!(
            self,
            Code::UnusedBinding
                | Code::UnusedFormal
                | Code::UnusedWith
                | Code::UnusedRec
                | Code::EmptyLet
                | Code::EmptyInherit
                | Code::UnreceivedInput
        )
    }

    pub fn is_deprecated(self) -> bool {
        self.as_str().starts_with("deprecated_")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub range: TextRange,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub range: TextRange,
    pub message: String,
    pub related: Vec<Related>,
    /// What a fix needs that neither the text nor the code tells (the editor keeps it with
    /// the diagnostic and hands it back with a code action request).
    pub data: Option<DiagnosticData>,
}

/// Facts a diagnostic carries for its fixes, so that they never read them back out of the
/// message. Sent to the editor as the diagnostic's `data`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum DiagnosticData {
    /// Nix found the attribute `missing` missing; `suggestions` are the names of the flake's
    /// nixpkgs closest to it, best first.
    DidYouMean { missing: String, suggestions: Vec<String> },
}

impl Diagnostic {
    pub fn new(code: Code, range: TextRange, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: code.severity(),
            range,
            message: message.into(),
            related: Vec::new(),
            data: None,
        }
    }

    pub fn with_data(mut self, data: Option<DiagnosticData>) -> Diagnostic {
        self.data = data;
        self
    }

    pub fn with_related(mut self, range: TextRange, message: impl Into<String>) -> Diagnostic {
        self.related.push(Related { range, message: message.into() });
        self
    }
}

/// Which diagnostics the user wants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiagnosticsConfig {
    pub disabled: HashSet<Code>,
}

impl DiagnosticsConfig {
    /// Builds the set from code names; returns the names that are not codes.
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> (DiagnosticsConfig, Vec<String>) {
        let mut config = DiagnosticsConfig::default();
        let mut unknown = Vec::new();
        for name in names {
            match Code::from_name(name.trim()) {
                Some(code) => {
                    config.disabled.insert(code);
                }
                None => unknown.push(name.to_string()),
            }
        }
        (config, unknown)
    }
}
