//! The package index over LSP with real Nix and the fixture nixpkgs: completion after `pkgs.`
//! gives packages with their versions, hover gives a package's description and homepage, a
//! nested set (`python311Packages.`) is listed on demand, and the index of a locked nixpkgs
//! lands in the cache directory.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::*;

const FLAKE: &str = r#"{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.05";
  outputs = { self, nixpkgs }:
    let pkgs = nixpkgs.legacyPackages.x86_64-linux;
    in {
      packages.x86_64-linux.default = pkgs.hello;
      devShells.x86_64-linux.default = pkgs.mkShell {
        packages = [ pkgs.python311 pkgs.pyt ];
        nativeBuildInputs = [ pkgs.python311Packages.pi ];
      };
    };
}
"#;

/// The fixture nixpkgs locked by its narHash, as a `flake.lock` would lock it.
fn locked_fixture(nix: &Path) -> String {
    let fixture = repo_root().join("tests/fixtures/nixpkgs");
    let out = Command::new(nix)
        .args(["--extra-experimental-features", "nix-command flakes", "flake", "metadata", "--json"])
        .arg(format!("path:{}", fixture.display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    let hash = meta["locked"]["narHash"].as_str().unwrap();
    format!("path:{}?narHash={hash}", fixture.display())
}

/// Line and character (ASCII text) just after `marker`.
/// Initialises `server` for the flake at `root`, untrusted (no dev shell is realised) and with
/// its nixpkgs overridden by `nixpkgs`, and opens its flake.nix holding [`FLAKE`]: the URI.
fn open_untrusted(server: &mut Server, root: &Path, nixpkgs: &str, capabilities: Value) -> String {
    server.initialize_in(
        root,
        capabilities,
        json!({ "flakeLsp": { "environment": {
            "trusted": false,
            "overrideInputs": { "nixpkgs": nixpkgs }
        } } }),
    );
    let uri = file_uri(&root.join("flake.nix"));
    server.open(&uri, FLAKE);
    uri
}

fn after(text: &str, marker: &str) -> Value {
    let at = text.find(marker).unwrap_or_else(|| panic!("{marker} not in the text")) + marker.len();
    let line = text[..at].matches('\n').count();
    let character = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
    json!({ "line": line, "character": character })
}

/// Asks for completion until `ready` holds for the answer (the index loads in the background).
fn completion_until(
    server: &mut Server,
    uri: &str,
    position: Value,
    ready: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let answer = server.request(
            "textDocument/completion",
            json!({ "textDocument": { "uri": uri }, "position": position }),
        );
        if ready(&answer) {
            return answer;
        }
        assert!(Instant::now() < deadline, "the package index never answered; last: {answer}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn item<'a>(answer: &'a Value, label: &str) -> Option<&'a Value> {
    answer["items"].as_array()?.iter().find(|i| i["label"] == label)
}

#[test]
fn completion_and_hover_from_the_index_of_a_locked_nixpkgs() {
    let Some(nix) = nix() else { return };
    let dir = flake_dir("flake-lsp-pkgs-e2e", FLAKE);
    let root = dir.join("project");
    let cache = dir.join("cache");
    let mut server = Server::start_in(&dir, &nix, &[]);
    let uri = open_untrusted(
        &mut server,
        &root,
        &locked_fixture(&nix),
        json!({ "window": { "workDoneProgress": true } }),
    );

    // `pkgs.pyt`: python311 with its version, once the details are in.
    let answer = completion_until(&mut server, &uri, after(FLAKE, "pkgs.python311 pkgs.pyt"), |a| {
        item(a, "python311").is_some_and(|i| i["detail"] == "3.11.2")
    });
    let python = item(&answer, "python311").unwrap();
    assert!(python["documentation"]["value"].as_str().unwrap().contains("https://"), "{python}");
    assert!(item(&answer, "python311Packages").is_some(), "{answer}");
    assert!(item(&answer, "hello").is_none(), "only names with the typed word: {answer}");

    // Hover on `pkgs.hello`: description and homepage.
    let hover = server.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": after(FLAKE, "default = pkgs.hel") }),
    );
    let markdown = hover["contents"]["value"].as_str().unwrap_or_else(|| panic!("{hover}"));
    assert!(markdown.contains("**`hello`**"), "{markdown}");
    assert!(markdown.contains("friendly greeting"), "{markdown}");
    assert!(markdown.contains("https://www.gnu.org/software/hello/"), "{markdown}");
    assert!(markdown.contains("file:///nix/store/"), "{markdown}");

    // A nested set, listed when first asked for.
    let nested = completion_until(&mut server, &uri, after(FLAKE, "python311Packages.pi"), |a| {
        item(a, "pip").is_some_and(|i| !i["detail"].is_null())
    });
    assert!(item(&nested, "pip").is_some(), "{nested}");

    // The index of this locked nixpkgs is on disk, top level and the nested set, complete.
    let deadline = Instant::now() + Duration::from_secs(30);
    let files = loop {
        let files: Vec<PathBuf> = std::fs::read_dir(cache.join("flake-lsp/pkgs"))
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        let indexes: Vec<PathBuf> = files
            .into_iter()
            .filter(|f| f.file_name().is_some_and(|n| n.to_string_lossy().starts_with("index-")))
            .collect();
        if indexes.len() >= 2 || Instant::now() > deadline {
            break indexes;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(files.len(), 2, "{files:?}");
    let text = files.iter().map(|f| std::fs::read_to_string(f).unwrap()).collect::<String>();
    assert!(text.contains("\npython311\tp\t") && text.contains("\npip\tp\t"), "{text}");
    assert!(server.shutdown().success());

    // A second server reads the index from disk: complete at the first request.
    let mut server = Server::start_in(&dir, &nix, &[]);
    open_untrusted(&mut server, &root, &locked_fixture(&nix), json!({}));
    let again = completion_until(&mut server, &uri, after(FLAKE, "pkgs.python311 pkgs.pyt"), |a| {
        item(a, "python311").is_some()
    });
    assert_eq!(item(&again, "python311").unwrap()["detail"], "3.11.2", "from disk, with details: {again}");
    assert_eq!(again["isIncomplete"], false, "{again}");
    assert!(server.shutdown().success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unlocked_override_is_indexed_in_memory() {
    let Some(nix) = nix() else { return };
    let dir = flake_dir("flake-lsp-pkgs-e2e-path", FLAKE);
    let root = dir.join("project");
    let cache = dir.join("cache");
    let mut server = Server::start_in(&dir, &nix, &[]);
    let uri = open_untrusted(&mut server, &root, &fixture_nixpkgs(), json!({}));
    let answer = completion_until(&mut server, &uri, after(FLAKE, "pkgs.python311 pkgs.pyt"), |a| {
        item(a, "python311").is_some_and(|i| i["detail"] == "3.11.2")
    });
    assert_eq!(answer["isIncomplete"], false, "{answer}");
    // Nothing on disk for a reference that is not locked.
    let on_disk = std::fs::read_dir(cache.join("flake-lsp/pkgs"))
        .map(|d| {
            d.filter_map(|e| e.ok()).filter(|e| e.file_name().to_string_lossy().starts_with("index-")).count()
        })
        .unwrap_or(0);
    assert_eq!(on_disk, 0);
    assert!(server.shutdown().success());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A package that aborts or whose meta aborts or reads a missing attribute (which `tryEval`
/// cannot catch) costs only itself; one that throws (unfree, broken) is kept as a name without
/// details. Every other package has its details, with both Nix versions.
#[test]
fn a_broken_package_does_not_fail_the_listing() {
    for nix in crate::testing::nixes() {
        broken_packages_cost_only_themselves(&nix);
    }
}

fn broken_packages_cost_only_themselves(nix: &Path) {
    use flake_lsp::pkgs::load::{load, Source};
    use flake_lsp::pkgs::Entry;
    let dir = std::env::temp_dir().join(format!(
        "flake-lsp-pkgs-e2e-broken-{}-{}",
        nix.file_name().unwrap().to_string_lossy(),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let package = |name: &str| {
        format!(
            r#"{name} = derivation {{ name = "{name}-1.0"; pname = "{name}"; version = "1.0"; system = "x"; builder = "/bin/sh"; }} // {{ meta.description = "the {name}"; meta.homepage = [ "https://{name}.example" ]; meta.license = [ {{ spdxId = "MIT"; }} {{ fullName = "Other"; }} ]; }};"#
        )
    };
    let mut set = String::new();
    for i in 0..9 {
        set.push_str(&package(&format!("p{i}")));
    }
    set.push_str(r#"aborts = abort "no"; throws = throw "unfree"; lib = { x = 1; }; "#);
    let broken_meta = |name: &str, meta: &str| {
        format!(r#"{name} = {{ type = "derivation"; name = "{name}"; version = "1"; meta = {meta}; }}; "#)
    };
    set.push_str(&broken_meta("meta-aborts", r#"abort "no meta""#));
    set.push_str(&broken_meta("meta-throws", r#"throw "no meta""#));
    set.push_str(&broken_meta("meta-missing", r#"{ description = { }.nothing; }"#));
    // More than one evaluation retries without (eight): the names are split in halves too.
    for i in 0..10 {
        set.push_str(&broken_meta(&format!("q-aborts-{i}"), r#"abort "no meta""#));
    }
    set.push_str(r#"nested = { recurseForDerivations = true; "#);
    set.push_str(&package("inner"));
    set.push_str("};");
    std::fs::write(
        dir.join("flake.nix"),
        format!("{{ outputs = _: {{ legacyPackages.x86_64-linux = {{ {set} }}; }}; }}"),
    )
    .unwrap();
    let source = Source {
        nix: flake_lsp::nix::Nix::at(nix),
        reference: format!("path:{}", dir.display()),
        system: "x86_64-linux".into(),
        cache_dir: None,
    };
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let set = load(&source, &[], &cancel, &mut |_| {}, &mut |_, _| {}).unwrap();
    assert!(set.is_complete());
    assert_eq!(set.names().len(), 26);
    for i in 0..9 {
        let p = set.package(&format!("p{i}")).unwrap_or_else(|| panic!("{nix:?}: p{i} has no details"));
        assert_eq!(p.description(), Some(format!("the p{i}").as_str()));
    }
    for broken in ["meta-aborts", "meta-throws", "meta-missing", "q-aborts-0", "q-aborts-9"] {
        assert_eq!(set.entry(broken), Some(Entry::Other), "{nix:?}: {broken}");
    }
    let p3 = set.package("p3").unwrap();
    assert_eq!(p3.version(), Some("1.0"));
    assert_eq!(p3.homepage(), Some("https://p3.example"));
    assert_eq!(p3.license(), Some("MIT, Other"));
    assert_eq!(set.entry("aborts"), Some(Entry::Other));
    assert_eq!(set.entry("throws"), Some(Entry::Other));
    assert_eq!(set.entry("lib"), Some(Entry::Other));
    assert_eq!(set.entry("nested"), Some(Entry::Set));
    let nested = load(&source, &["nested".to_string()], &cancel, &mut |_| {}, &mut |_, _| {}).unwrap();
    assert_eq!(nested.package("inner").unwrap().description(), Some("the inner"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_seed_flake_completes_and_explains_its_packages() {
    let Some(nix) = nix() else { return };
    let Some(seeds) = seeds() else { return };
    let seed = std::fs::read_to_string(seeds.join("000-devops-renaissance/flake.nix")).unwrap();
    // The user is typing a package into the seed's `with pkgs; [ … ]` list.
    let typing = seed.replacen("        python311\n", "        python311\n        pyt\n", 1);
    let dir = flake_dir("flake-lsp-pkgs-e2e-seed", &seed);
    let root = dir.join("project");
    let fixtures = repo_root().join("tests/fixtures");
    let mut server = Server::start_in(&dir, &nix, &[]);
    server.initialize_in(
        &root,
        json!({}),
        json!({ "flakeLsp": { "environment": {
            "trusted": false,
            "overrideInputs": {
                "nixpkgs": format!("path:{}", fixtures.join("nixpkgs").display()),
                "flake-utils": format!("path:{}", fixtures.join("flake-utils").display())
            }
        } } }),
    );
    let uri = file_uri(&root.join("flake.nix"));
    server.open(&uri, &typing);
    let answer = completion_until(&mut server, &uri, after(&typing, "        pyt"), |a| {
        item(a, "python311").is_some_and(|i| i["detail"] == "3.11.2")
    });
    assert!(item(&answer, "python311").is_some(), "{answer}");
    // Hover on `python311` in the list: its description and homepage.
    let at = after(&typing, "commonPackages = with pkgs; [\n        python3");
    let hover =
        server.request("textDocument/hover", json!({ "textDocument": { "uri": uri }, "position": at }));
    let markdown = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(markdown.contains("python311") && markdown.contains("https://"), "{markdown}");
    assert!(server.shutdown().success());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A `nix` that holds back the index's reading of every package's details until `gate`
/// exists (the index cannot complete: a stand-in for a nixpkgs too large to read before the
/// user looks), and runs everything else as `nix` does. It waits a minute at most, so that a
/// failed test leaves nothing behind for long.
fn nix_holding_the_index(dir: &Path, nix: &Path, gate: &Path) -> PathBuf {
    let wrapper = dir.join("nix-holding-the-index");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nfor a in \"$@\"; do case \"$a\" in *'(builtins.attrNames set)'*)\n  \
             i=0; while [ ! -e '{gate}' ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done;; esac; done\n\
             exec '{nix}' \"$@\"\n",
            gate = gate.display(),
            nix = nix.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    wrapper
}

/// Opened when dropped, also when a test fails.
struct Gate(PathBuf);

impl Drop for Gate {
    fn drop(&mut self) {
        let _ = std::fs::write(&self.0, "");
    }
}

/// Hover and `completionItem/resolve` read the package at the cursor by itself while the
/// index has not reached it: its version comes before the index is complete (top level and a
/// nested set), with both Nix versions.
#[test]
fn the_package_at_the_cursor_comes_before_the_index() {
    for nix in crate::testing::nixes() {
        let dir = flake_dir(
            &format!("flake-lsp-pkgs-e2e-first-{}", nix.file_name().unwrap().to_string_lossy()),
            FLAKE,
        );
        let root = dir.join("project");
        let gate = Gate(dir.join("release-the-index"));
        let held = nix_holding_the_index(&dir, &nix, &gate.0);
        let mut server = Server::start_in(&dir, &held, &[]);
        let uri = open_untrusted(&mut server, &root, &fixture_nixpkgs(), json!({}));

        // Hover on `pkgs.hello`: the version, read by itself.
        let hover = server.request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": uri }, "position": after(FLAKE, "default = pkgs.hel") }),
        );
        let markdown = hover["contents"]["value"].as_str().unwrap_or_else(|| panic!("{hover}"));
        assert!(markdown.contains("**`hello`** `2.12.1`"), "{nix:?}: {markdown}");

        // Completion has the names (listed), not the details (held back): resolving the item
        // reads them.
        let answer = completion_until(&mut server, &uri, after(FLAKE, "pkgs.python311 pkgs.pyt"), |a| {
            item(a, "python311").is_some()
        });
        let python = item(&answer, "python311").unwrap().clone();
        assert!(python["detail"].is_null() && !python["data"].is_null(), "{nix:?}: {python}");
        let resolved = server.request("completionItem/resolve", python);
        assert_eq!(resolved["detail"], "3.11.2", "{nix:?}: {resolved}");
        assert!(resolved["documentation"]["value"].as_str().unwrap_or("").contains("https://"), "{resolved}");

        // A nested set, the same way: `pkgs.python311Packages.pip`.
        let nested = "pkgs.python311Packages.pi";
        let text = FLAKE.replace(nested, "pkgs.python311Packages.pip");
        server.change(&uri, 2, json!([{ "text": text }]));
        let hover = server.request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": uri }, "position": after(&text, nested) }),
        );
        let markdown = hover["contents"]["value"].as_str().unwrap_or_else(|| panic!("{hover}"));
        assert!(markdown.contains("**`python311Packages.pip`** `"), "{nix:?}: {markdown}");
        // And below a package: `pkgs.python311.pkgs.virtualenv`.
        let text = text.replace("pkgs.python311 pkgs.pyt", "pkgs.python311.pkgs.virtualenv pkgs.pyt");
        server.change(&uri, 3, json!([{ "text": text }]));
        let hover = server.request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": uri }, "position": after(&text, "python311.pkgs.virt") }),
        );
        let markdown = hover["contents"]["value"].as_str().unwrap_or_else(|| panic!("{hover}"));
        assert!(markdown.contains("**`python311.pkgs.virtualenv`** `"), "{nix:?}: {markdown}");

        // Released, the index completes: completion has the details without resolving.
        server.change(&uri, 4, json!([{ "text": FLAKE }]));
        drop(gate);
        completion_until(&mut server, &uri, after(FLAKE, "pkgs.python311 pkgs.pyt"), |a| {
            item(a, "python311").is_some_and(|i| i["detail"] == "3.11.2") && a["isIncomplete"] == false
        });
        assert!(server.shutdown().success());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
