use std::process::Command;

use serde_json::Value;

use crate::support::*;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN).args(args).output().expect("run flake-lsp");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("flake-lsp-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn version_and_help() {
    let (code, out, _) = run(&["--version"]);
    assert_eq!(code, 0);
    assert_eq!(out.trim(), format!("flake-lsp {}", env!("CARGO_PKG_VERSION")));
    let (code, out, _) = run(&["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("flake-lsp check [OPTIONS] [PATH…]"));
    let (code, _, err) = run(&["frobnicate"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown command `frobnicate`"));
}

#[test]
fn check_a_seed_prints_warnings_and_succeeds() {
    let Some(seeds) = seeds() else { return };
    let path = seeds.join("000-devops-renaissance/flake.nix");
    let (code, out, _) = run(&["check", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    let p = path.display();
    assert_eq!(
        out,
        format!(
            "{p}:16:7: warning[unused_binding]: `isDarwin` is defined but never used\n\
             {p}:58:7: warning[deprecated_dev_shell]: `devShell` is deprecated: use `devShells.<system>.default`\n\
             0 error(s), 2 warning(s), 0 hint(s) in 1 file(s)\n"
        )
    );
}

#[test]
fn check_a_directory_recursively_with_json_and_errors() {
    let dir = temp_dir("dir");
    std::fs::create_dir_all(dir.join("sub/.git")).unwrap();
    std::fs::write(dir.join("flake.nix"), "{ outputs = { self }: { }; extra = 1; }").unwrap();
    std::fs::write(dir.join("sub/lib.nix"), "{ a }: [ a \"é\" b ]").unwrap();
    std::fs::write(dir.join("sub/.git/ignored.nix"), "(").unwrap();
    std::fs::write(dir.join("sub/readme.txt"), "(").unwrap();
    let (code, out, _) = run(&["check", "--format", "json", dir.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    let json: Value = serde_json::from_str(&out).unwrap();
    let files: Vec<&str> =
        json["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(files, [dir.join("flake.nix").to_str().unwrap(), dir.join("sub/lib.nix").to_str().unwrap()]);
    let flake = &json["files"][0]["diagnostics"][0];
    assert_eq!(flake["code"], "unknown_flake_attribute");
    assert_eq!(flake["range"]["start"], serde_json::json!({ "line": 1, "column": 28 }));
    let lib = &json["files"][1]["diagnostics"][0];
    assert_eq!(lib["code"], "undefined_name");
    assert_eq!(lib["message"], "undefined name `b`");
    // Columns count characters: `é` is one.
    assert_eq!(lib["range"]["start"], serde_json::json!({ "line": 1, "column": 16 }));
    assert_eq!(json["summary"]["errors"], 2);
    // Silencing both codes leaves no error.
    let (code, _, _) =
        run(&["check", "--disable", "unknown_flake_attribute,undefined_name", dir.to_str().unwrap()]);
    assert_eq!(code, 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_reports_unreadable_input_clearly() {
    let dir = temp_dir("bad");
    std::fs::write(dir.join("latin1.nix"), b"\"caf\xe9\"").unwrap();
    let (code, out, _) = run(&["check", dir.join("latin1.nix").to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(out.contains("warning[invalid_utf8]: the file is not valid UTF-8"), "{out}");
    let (code, _, err) = run(&["check", "/nonexistent/flake.nix"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read /nonexistent/flake.nix"), "{err}");
    let (code, _, err) = run(&["check", "--disable", "no_such_code", "."]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown diagnostic code(s): no_such_code"), "{err}");
    let (code, _, err) = run(&["check", "--format", "xml", "."]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown format `xml`"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn list_codes() {
    let (code, out, _) = run(&["check", "--codes"]);
    assert_eq!(code, 0);
    assert!(out.lines().any(|l| l.starts_with("deprecated_dev_shell") && l.contains("warning")));
}
