//! The settings the server understands, read from JSON: under `flakeLsp`, or at the top level
//! as `initializationOptions` are often given. Each reader answers `None` when the settings do
//! not mention its part, so that a partial update leaves the rest alone.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::env::EnvConfig;

fn section(settings: &Value) -> &Value {
    settings.get("flakeLsp").unwrap_or(settings)
}

/// `flakeLsp.diagnostics.disabled`: code names.
pub fn disabled_codes(settings: &Value) -> Option<Vec<String>> {
    let list = section(settings).get("diagnostics")?.get("disabled")?.as_array()?;
    Some(list.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
}

/// `flakeLsp.formatting.command`: `Some(None)` when set to null or empty (the built-in
/// formatter), `None` when absent.
pub fn formatter_command(settings: &Value) -> Option<Option<Vec<String>>> {
    let value = section(settings).get("formatting")?.get("command")?;
    Some(match value {
        Value::Array(items) => Some(items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()),
        Value::String(s) if !s.trim().is_empty() => Some(s.split_whitespace().map(str::to_string).collect()),
        _ => None,
    })
}

/// `flakeLsp.eval.*`: the evaluator's limits. `None` when not mentioned.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct EvalSettings {
    /// `flakeLsp.eval.maxMemoryMB`: resident memory above which the evaluator is stopped.
    pub max_memory_mb: Option<u64>,
    /// `flakeLsp.eval.timeout`: seconds one output may take.
    pub timeout: Option<f64>,
}

impl EvalSettings {
    pub fn from_settings(settings: &Value) -> Option<EvalSettings> {
        let eval = section(settings).get("eval")?;
        Some(EvalSettings {
            max_memory_mb: eval.get("maxMemoryMB").and_then(Value::as_u64).filter(|m| *m > 0),
            timeout: eval.get("timeout").and_then(Value::as_f64).filter(|t| *t > 0.0),
        })
    }
}

/// The environment settings, under `flakeLsp.environment`, and `flakeLsp.nix.path`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnvSettings {
    pub enable: Option<bool>,
    pub trusted: Option<bool>,
    pub shell: Option<String>,
    pub run_shell_hook: Option<bool>,
    pub timeout: Option<f64>,
    pub override_inputs: Vec<(String, String)>,
    /// `flakeLsp.nix.path`.
    pub nix_path: Option<String>,
}

impl EnvSettings {
    /// `None` when the settings mention neither the environment nor the Nix binary.
    pub fn from_settings(settings: &Value) -> Option<EnvSettings> {
        let top = section(settings);
        let nix_path = top
            .get("nix")
            .and_then(|n| n.get("path"))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        let Some(section) = top.get("environment") else {
            return nix_path.map(|p| EnvSettings { nix_path: Some(p), ..EnvSettings::default() });
        };
        let mut out = EnvSettings {
            enable: section.get("enable").and_then(Value::as_bool),
            trusted: section.get("trusted").and_then(Value::as_bool),
            shell: section.get("shell").and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string),
            run_shell_hook: section.get("runShellHook").and_then(Value::as_bool),
            timeout: section.get("timeout").and_then(Value::as_f64).filter(|t| *t > 0.0),
            override_inputs: Vec::new(),
            nix_path,
        };
        if let Some(map) = section.get("overrideInputs").and_then(Value::as_object) {
            for (name, reference) in map {
                if let Some(reference) = reference.as_str() {
                    out.override_inputs.push((name.clone(), reference.to_string()));
                }
            }
        }
        Some(out)
    }

    pub fn enabled(&self) -> bool {
        self.enable.unwrap_or(true)
    }

    /// The engine's configuration, with `nix`, the binary resolved from these settings.
    pub fn config(&self, nix: Option<PathBuf>) -> EnvConfig {
        let defaults = EnvConfig::default();
        let mut options = defaults.nix.clone();
        options.override_inputs = self.override_inputs.clone();
        EnvConfig {
            shell: self.shell.clone(),
            run_hook: self.run_shell_hook.unwrap_or(true),
            hook_timeout: self.timeout.map_or(defaults.hook_timeout, Duration::from_secs_f64),
            nix: options,
            nix_path: nix,
            assume_trusted: self.trusted.unwrap_or(false),
        }
    }
}

/// Whether `settings` mention anything the server reads (else it asks the client for them).
pub fn mentions_any(settings: &Value) -> bool {
    disabled_codes(settings).is_some()
        || formatter_command(settings).is_some()
        || EnvSettings::from_settings(settings).is_some()
        || EvalSettings::from_settings(settings).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn evaluator_limits() {
        let s = EvalSettings::from_settings(
            &json!({ "flakeLsp": { "eval": { "maxMemoryMB": 512, "timeout": 2.5 } } }),
        );
        assert_eq!(s, Some(EvalSettings { max_memory_mb: Some(512), timeout: Some(2.5) }));
        let bad = EvalSettings::from_settings(&json!({ "eval": { "maxMemoryMB": 0, "timeout": -1 } }));
        assert_eq!(bad, Some(EvalSettings::default()));
        assert_eq!(EvalSettings::from_settings(&json!({ "environment": {} })), None);
    }

    #[test]
    fn under_flake_lsp_or_at_the_top() {
        let nested = json!({ "flakeLsp": { "diagnostics": { "disabled": ["unused_with", 3] } } });
        let top = json!({ "diagnostics": { "disabled": ["unused_with"] } });
        assert_eq!(disabled_codes(&nested), Some(vec!["unused_with".to_string()]));
        assert_eq!(disabled_codes(&top), Some(vec!["unused_with".to_string()]));
        assert_eq!(disabled_codes(&json!({ "flakeLsp": {} })), None);
        assert!(!mentions_any(&json!({ "editor": { "tabSize": 2 } })));
        assert!(mentions_any(&nested));
    }

    #[test]
    fn formatter_command_forms() {
        let command = |v: Value| formatter_command(&json!({ "formatting": { "command": v } }));
        assert_eq!(
            command(json!(["nixfmt", "-w", "80"])),
            Some(Some(vec!["nixfmt".into(), "-w".into(), "80".into()]))
        );
        assert_eq!(command(json!("nixfmt  --strict")), Some(Some(vec!["nixfmt".into(), "--strict".into()])));
        assert_eq!(command(json!("  ")), Some(None), "empty: the built-in formatter");
        assert_eq!(command(Value::Null), Some(None));
        assert_eq!(formatter_command(&json!({ "formatting": {} })), None, "absent: unchanged");
    }

    #[test]
    fn environment_settings() {
        let settings = json!({ "flakeLsp": {
            "environment": {
                "enable": false, "trusted": true, "shell": "devShells.x86_64-linux.ci",
                "runShellHook": false, "timeout": 2.5,
                "overrideInputs": { "nixpkgs": "path:/n", "bad": 1 }
            },
            "nix": { "path": "/opt/nix/bin/nix" }
        } });
        let env = EnvSettings::from_settings(&settings).unwrap();
        assert_eq!(
            env,
            EnvSettings {
                enable: Some(false),
                trusted: Some(true),
                shell: Some("devShells.x86_64-linux.ci".into()),
                run_shell_hook: Some(false),
                timeout: Some(2.5),
                override_inputs: vec![("nixpkgs".into(), "path:/n".into())],
                nix_path: Some("/opt/nix/bin/nix".into()),
            }
        );
        assert!(!env.enabled());
        let config = env.config(Some(PathBuf::from("/opt/nix/bin/nix")));
        assert_eq!(config.shell.as_deref(), Some("devShells.x86_64-linux.ci"));
        assert!(!config.run_hook && config.assume_trusted);
        assert_eq!(config.hook_timeout, Duration::from_millis(2500));
        assert_eq!(config.nix.override_inputs, env.override_inputs);
        assert_eq!(config.nix_path, Some(PathBuf::from("/opt/nix/bin/nix")));
    }

    #[test]
    fn environment_defaults_and_partial_settings() {
        assert_eq!(EnvSettings::from_settings(&json!({ "diagnostics": {} })), None);
        // The Nix binary alone still counts: the engine must use it.
        let nix_only = EnvSettings::from_settings(&json!({ "nix": { "path": "nix-latest" } })).unwrap();
        assert_eq!(nix_only, EnvSettings { nix_path: Some("nix-latest".into()), ..EnvSettings::default() });
        assert_eq!(EnvSettings::from_settings(&json!({ "nix": { "path": "" } })), None);
        // Nonsense values are left at their defaults.
        let env =
            EnvSettings::from_settings(&json!({ "environment": { "timeout": -1, "shell": "" } })).unwrap();
        assert_eq!(env, EnvSettings::default());
        assert!(env.enabled());
        let config = env.config(None);
        assert!(config.run_hook && !config.assume_trusted);
        assert_eq!(config.hook_timeout, EnvConfig::default().hook_timeout);
    }
}
