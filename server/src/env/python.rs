//! Python in a realised environment: the interpreter, its version, the venv and its
//! site-packages, and whether the venv still works with the dev shell's Python (DESIGN.md,
//! step 5).
//!
//! The interpreter is the venv's when there is one (VIRTUAL_ENV left by the hook, else a
//! `.venv` or `venv` with `pyvenv.cfg` in the flake root), else `python3`/`python` on the
//! realised PATH. A venv records the interpreter it was made from (`home` in `pyvenv.cfg`); when
//! that one is gone (garbage-collected from the store) or is not the dev shell's Python any more,
//! the venv is broken and should be recreated.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PythonInfo {
    /// The interpreter to give the editor (the venv's when there is one).
    pub interpreter: PathBuf,
    /// `3.11.9`, when the interpreter could tell.
    pub version: Option<String>,
    pub venv: Option<PathBuf>,
    pub site_packages: Option<PathBuf>,
    /// The dev shell's own Python, found on the realised PATH outside the venv.
    pub shell_python: Option<PathBuf>,
    /// Why the venv does not work as it should, in words for the user.
    pub broken: Option<String>,
}

/// Finds Python for a flake at `root` whose realised environment is `env` (the full
/// environment: the user's with the diff applied).
pub fn detect(root: &Path, env: &BTreeMap<String, String>) -> Option<PythonInfo> {
    detect_in(root, env, "/nix/store/")
}

/// [`detect`], with the dev shell's own PATH entries being those under `shell_prefix`.
fn detect_in(root: &Path, env: &BTreeMap<String, String>, shell_prefix: &str) -> Option<PythonInfo> {
    let path = env.get("PATH").map(String::as_str).unwrap_or("");
    let venv = venv_dir(root, env);
    let venv_bin = venv.as_ref().map(|v| v.join("bin"));
    // The dev shell's own Python is in the store; one further down PATH is the user's.
    let store_path: String =
        path.split(':').filter(|d| d.starts_with(shell_prefix)).collect::<Vec<_>>().join(":");
    let shell_python = find_on_path(&store_path, &["python3", "python"], venv_bin.as_deref());
    let any_python = || find_on_path(path, &["python3", "python"], venv_bin.as_deref());
    let interpreter = match &venv {
        // A venv's interpreter is a symbolic link, perhaps dangling: the venv is still the one.
        Some(v) => ["python", "python3"]
            .iter()
            .map(|n| v.join("bin").join(n))
            .find(|p| p.symlink_metadata().is_ok())?,
        None => shell_python.clone().or_else(any_python)?,
    };
    let mut info = PythonInfo {
        interpreter,
        version: None,
        venv: venv.clone(),
        site_packages: None,
        shell_python: shell_python.clone(),
        broken: None,
    };
    if let Some(v) = &venv {
        info.broken = venv_problem(v, shell_python.as_deref());
    }
    if info.broken.is_none() {
        match ask(&info.interpreter, env) {
            Ok((version, site)) => {
                info.version = Some(version);
                info.site_packages = Some(site);
            }
            Err(err) if venv.is_some() => info.broken = Some(format!("its interpreter does not run: {err}")),
            Err(err) => log::warn!("{} does not run: {err}", info.interpreter.display()),
        }
    }
    if info.version.is_none() {
        info.version = venv.as_deref().and_then(|v| pyvenv_cfg(v).get("version").cloned());
    }
    Some(info)
}

/// The venv: VIRTUAL_ENV when the hook activated one, else `.venv` or `venv` in the root.
fn venv_dir(root: &Path, env: &BTreeMap<String, String>) -> Option<PathBuf> {
    if let Some(v) = env.get("VIRTUAL_ENV").filter(|v| !v.is_empty()) {
        let v = PathBuf::from(v);
        let v = if v.is_relative() { root.join(v) } else { v };
        if v.join("pyvenv.cfg").exists() {
            return Some(v);
        }
    }
    [".venv", "venv"].iter().map(|n| root.join(n)).find(|v| v.join("pyvenv.cfg").exists())
}

/// The first of `names` in the directories of `path`, skipping `skip`.
fn find_on_path(path: &str, names: &[&str], skip: Option<&Path>) -> Option<PathBuf> {
    for dir in path.split(':').filter(|d| !d.is_empty()) {
        let dir = Path::new(dir);
        if skip.is_some_and(|s| same_file(s, dir)) {
            continue;
        }
        for name in names {
            let candidate = dir.join(name);
            if is_executable(&candidate) {
                return Some(candidate);
            }
        }
    }
    None
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// `key = value` lines of the venv's `pyvenv.cfg`.
fn pyvenv_cfg(venv: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(venv.join("pyvenv.cfg")).unwrap_or_default();
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// Why the venv is broken, if it is: its base interpreter is gone, or it is not the dev shell's.
fn venv_problem(venv: &Path, shell_python: Option<&Path>) -> Option<String> {
    let cfg = pyvenv_cfg(venv);
    let Some(home) = cfg.get("home") else {
        return Some("its pyvenv.cfg does not say which Python it was made from (no `home`)".into());
    };
    let home = PathBuf::from(home);
    let base = ["python3", "python"].iter().map(|n| home.join(n)).find(|p| p.exists());
    let Some(base) = base else {
        return Some(format!(
            "it was made from a Python in {} that no longer exists (garbage-collected?)",
            home.display()
        ));
    };
    let shell = shell_python?;
    let (Ok(base_real), Ok(shell_real)) = (base.canonicalize(), shell.canonicalize()) else {
        return None;
    };
    if base_real != shell_real {
        return Some(format!(
            "it was made from {}, but the dev shell's Python is {}",
            base_real.display(),
            shell_real.display()
        ));
    }
    None
}

/// Asks the interpreter for its version and site-packages, with a timeout.
fn ask(python: &Path, env: &BTreeMap<String, String>) -> Result<(String, PathBuf), String> {
    let program = "import sys, sysconfig; print('%d.%d.%d' % sys.version_info[:3]); print(sysconfig.get_paths()['purelib'])";
    let mut child = Command::new(python)
        .args(["-I", "-c", program])
        .env_clear()
        .envs(env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if std::time::Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err("it did not answer within 20 s".into());
            }
        }
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(stderr.lines().last().unwrap_or("it failed").to_string());
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut lines = stdout.lines();
    match (lines.next(), lines.next()) {
        (Some(v), Some(site)) => Ok((v.trim().to_string(), PathBuf::from(site.trim()))),
        _ => Err("it printed something unexpected".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tempdir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("flake-lsp-python-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// A directory standing for a dev shell's `bin`, with the host's python3 linked in.
    fn shell_bin(root: &Path) -> PathBuf {
        let bin = root.join("shell-bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::os::unix::fs::symlink("/usr/bin/python3", bin.join("python3")).unwrap();
        bin
    }

    /// The dev shell's entries in these tests: those under the test's directory.
    fn prefix(root: &Path) -> String {
        format!("{}/shell-", root.display())
    }

    #[test]
    fn a_shell_without_python_leaves_a_venv_alone() {
        let root = tempdir("no-shell-python");
        let elsewhere = root.join("elsewhere");
        std::fs::create_dir_all(&elsewhere).unwrap();
        std::os::unix::fs::symlink("/usr/bin/python3", elsewhere.join("python3")).unwrap();
        make_venv(Path::new("/usr/bin/python3"), &root.join(".venv"));
        // The shell has tools but no Python; the user's PATH has one further down.
        let tools = root.join("shell-tools/bin");
        std::fs::create_dir_all(&tools).unwrap();
        let env = env_with_path(&format!("{}:{}", tools.display(), elsewhere.display()));
        let info = detect_in(&root, &env, &prefix(&root)).unwrap();
        assert_eq!(info.shell_python, None);
        assert_eq!(info.broken, None, "{info:?}");
        assert_eq!(info.interpreter, root.join(".venv/bin/python"));
        let _ = std::fs::remove_dir_all(&root);
    }

    fn env_with_path(path: &str) -> BTreeMap<String, String> {
        BTreeMap::from([("PATH".to_string(), path.to_string())])
    }

    fn make_venv(python: &Path, at: &Path) {
        let ok = Command::new(python).args(["-m", "venv", "--without-pip"]).arg(at).status().unwrap();
        assert!(ok.success());
    }

    #[test]
    fn no_venv_uses_the_shells_python() {
        let root = tempdir("plain");
        let bin = shell_bin(&root);
        let info =
            detect_in(&root, &env_with_path(&format!("{}:/usr/bin", bin.display())), &prefix(&root)).unwrap();
        assert_eq!(info.interpreter, bin.join("python3"));
        assert!(info.version.as_deref().is_some_and(|v| v.starts_with("3.")), "{info:?}");
        assert!(info.venv.is_none() && info.broken.is_none());
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn a_dot_venv_in_the_root_is_found_and_healthy() {
        let root = tempdir("venv");
        let bin = shell_bin(&root);
        make_venv(&bin.join("python3"), &root.join(".venv"));
        let info =
            detect_in(&root, &env_with_path(&format!("{}:/usr/bin", bin.display())), &prefix(&root)).unwrap();
        assert_eq!(info.venv.as_deref(), Some(root.join(".venv").as_path()));
        assert_eq!(info.interpreter, root.join(".venv/bin/python"));
        assert_eq!(info.broken, None);
        let site = info.site_packages.unwrap();
        assert!(site.starts_with(root.join(".venv")) && site.ends_with("site-packages"), "{site:?}");
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn virtual_env_from_the_hook_wins() {
        let root = tempdir("virtual-env");
        let bin = shell_bin(&root);
        make_venv(&bin.join("python3"), &root.join("elsewhere"));
        make_venv(&bin.join("python3"), &root.join(".venv"));
        let mut env = env_with_path(&format!("{}/elsewhere/bin:{}", root.display(), bin.display()));
        env.insert("VIRTUAL_ENV".into(), root.join("elsewhere").display().to_string());
        let info = detect_in(&root, &env, &prefix(&root)).unwrap();
        assert_eq!(info.venv.as_deref(), Some(root.join("elsewhere").as_path()));
        // The shell's python is found outside the venv's bin.
        assert_eq!(info.shell_python, Some(bin.join("python3")));
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn a_venv_whose_python_is_gone_is_broken() {
        let root = tempdir("gone");
        let old = root.join("old-python/bin");
        std::fs::create_dir_all(&old).unwrap();
        std::fs::copy("/usr/bin/python3", old.join("python3")).unwrap();
        make_venv(&old.join("python3"), &root.join(".venv"));
        std::fs::remove_dir_all(root.join("old-python")).unwrap();
        let bin = shell_bin(&root);
        let info = detect_in(&root, &env_with_path(&bin.display().to_string()), &prefix(&root)).unwrap();
        let why = info.broken.expect("broken");
        assert!(why.contains("no longer exists"), "{why}");
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn a_venv_of_another_python_than_the_shells_is_broken() {
        let root = tempdir("other");
        let other = root.join("other-python/bin");
        std::fs::create_dir_all(&other).unwrap();
        std::fs::copy("/usr/bin/python3", other.join("python3")).unwrap();
        make_venv(&other.join("python3"), &root.join(".venv"));
        let bin = shell_bin(&root);
        let info = detect_in(&root, &env_with_path(&bin.display().to_string()), &prefix(&root)).unwrap();
        let why = info.broken.expect("broken");
        assert!(why.contains("the dev shell's Python is"), "{why}");
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn no_python_at_all() {
        let root = tempdir("none");
        assert_eq!(detect_in(&root, &env_with_path("/nonexistent"), &prefix(&root)), None);
        let _ = std::fs::remove_dir_all(&root);
    }
}
