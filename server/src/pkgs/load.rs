//! Filling a [`PackageSet`] from Nix, and keeping it on disk.
//!
//! Names come from one `builtins.attrNames`; details from `nix eval --apply` over batches of
//! names, each package read under `builtins.tryEval` so that one that throws (unfree, broken,
//! removed) costs only itself. An error `tryEval` cannot catch fails the whole batch: the batch
//! is then split in two and retried, down to the one package that fails, which is skipped.
//! A set is written to disk once complete, only for a locked reference (a revision or a
//! narHash names the same packages forever), under a name derived from the reference, the
//! system and the set's path, so every project locking the same nixpkgs shares it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::index::{Entry, Package, PackageSet, FIELDS};
use crate::nix::repl::nix_string;
use crate::nix::{Nix, NixError};

/// How many packages that fail beyond `tryEval` one `nix eval` retries without, one by one,
/// before the names are split in halves instead.
const MAX_SKIPPED: usize = 8;

/// The context the details expression puts around each package, so that an error `tryEval`
/// cannot catch names its package (`… flake-lsp reads the package 'x'` in Nix's trace).
const CONTEXT: &str = "flake-lsp reads the package '";

/// Which names of a set the details expression reads.
enum Names<'a> {
    /// Every one.
    All,
    /// Those at these positions of `builtins.attrNames` (a command line cannot hold 100 000
    /// names, and Nix's order is ours).
    Range(std::ops::Range<usize>),
    /// These, when the set has them.
    Listed(&'a [String]),
}

/// The package Nix's error says failed, by our error context.
fn failing_package(stderr: &str) -> Option<&str> {
    let line = stderr.lines().find(|l| l.contains(CONTEXT))?;
    let rest = &line[line.find(CONTEXT)? + CONTEXT.len()..];
    Some(&rest[..rest.rfind('\'')?]).filter(|n| !n.is_empty())
}

fn first_line(stderr: &str) -> &str {
    stderr.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("")
}

/// Bumped when the file's layout changes; other versions are rebuilt.
const FORMAT: u32 = 2;

const TIMEOUT: Duration = Duration::from_secs(300);

/// Where the packages come from.
#[derive(Debug, Clone)]
pub struct Source {
    pub nix: Nix,
    /// A flake reference to nixpkgs.
    pub reference: String,
    pub system: String,
    /// `…/flake-lsp/pkgs`; `None` keeps everything in memory.
    pub cache_dir: Option<PathBuf>,
}

/// The first line of the on-disk form: what the file is an index of. Then one line per name:
/// `name TAB kind` where kind is `s` (a package set), `o` (something else), `-` (not
/// evaluated), or `p` followed by `pname version description homepage license mainProgram
/// position` (an empty field is an absent one). Tabs, newlines and backslashes in fields are
/// escaped. Lines are cheaper to read than JSON: 100 000 packages load in well under 50 ms.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Header {
    format: u32,
    reference: String,
    system: String,
    path: Vec<String>,
    count: usize,
}

impl Source {
    /// The file for the set at `path`, when the reference is locked.
    pub fn cache_file(&self, path: &[String]) -> Option<PathBuf> {
        if !super::is_locked(&self.reference) {
            return None;
        }
        let dir = self.cache_dir.as_ref()?;
        let key = format!("{}\n{}\n{}", self.reference, self.system, path.join("\n"));
        let hash = format!("{:x}", Sha256::digest(key.as_bytes()));
        Some(dir.join(format!("index-{}.tsv", &hash[..24])))
    }

    /// The complete set from disk, when it is there and sound.
    pub fn cached(&self, path: &[String]) -> Option<PackageSet> {
        let file = self.cache_file(path)?;
        let bytes = std::fs::read(&file).ok()?;
        match read_cache(&bytes, &self.reference, &self.system, path) {
            Some(set) => Some(set),
            None => {
                log::info!("{} is not a package index of this nixpkgs: rebuilding it", file.display());
                None
            }
        }
    }

    /// Writes a complete set (atomically: a reader sees the old file or the new one).
    pub fn save(&self, path: &[String], set: &PackageSet) {
        let Some(file) = self.cache_file(path) else { return };
        let bytes = write_cache(&self.reference, &self.system, path, set);
        if let Err(e) = crate::env::trust::write_atomic(&file, &bytes) {
            log::info!("cannot cache the package index in {}: {e}", file.display());
        }
    }

    /// The names of the set at `path`.
    pub fn names(&self, path: &[String], cancel: &AtomicBool) -> Result<Vec<String>, NixError> {
        if path.is_empty() {
            return super::names(&self.nix, &self.reference, &self.system, self.cache_dir.as_deref(), cancel)
                .map(|n| n.names);
        }
        let apply = format!(
            "s: let set = {}; in if builtins.isAttrs set then builtins.attrNames set else [ ]",
            walk(path)
        );
        let out = self.eval(&apply, cancel)?;
        serde_json::from_str(out.trim()).map_err(|e| self.unexpected(e))
    }

    /// Evaluates the details of every name of `set`: all of them in one `nix eval` (importing
    /// nixpkgs once is most of the cost), and only when that fails, ranges of them split in
    /// halves so that what fails costs only itself. `progress` hears how many are done of how
    /// many.
    pub fn fill(
        &self,
        path: &[String],
        set: &PackageSet,
        cancel: &AtomicBool,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<(), NixError> {
        let total = set.names().len();
        progress(0, total);
        let mut done = 0;
        // Packages known to fail, kept across the halves so none is tried twice.
        let mut skip = Vec::new();
        self.fill_range(path, set, 0..total, &mut skip, cancel, &mut |n| {
            done += n;
            progress(done, total)
        })?;
        set.mark_complete();
        Ok(())
    }

    /// The details of the names at `range` of Nix's own `attrNames` (sorted as ours are).
    fn fill_range(
        &self,
        path: &[String],
        set: &PackageSet,
        range: std::ops::Range<usize>,
        skip: &mut Vec<String>,
        cancel: &AtomicBool,
        done: &mut dyn FnMut(usize),
    ) -> Result<(), NixError> {
        if range.is_empty() {
            return Ok(());
        }
        let names = if range.len() == set.names().len() { Names::All } else { Names::Range(range.clone()) };
        match self.details(path, &names, skip, cancel)? {
            Ok(found) => {
                set.add_details(found);
                done(range.len());
            }
            Err(_) if range.len() == 1 => {
                let name = set.names()[range.start].clone();
                log::info!("skipping package {name}: its evaluation fails");
                set.add_details(HashMap::from([(name, Entry::Other)]));
                done(1);
            }
            Err(_) => {
                let middle = range.start + range.len() / 2;
                self.fill_range(path, set, range.start..middle, skip, cancel, done)?;
                self.fill_range(path, set, middle..range.end, skip, cancel, done)?;
            }
        }
        Ok(())
    }

    /// The details of one package of the set at `path`, read directly (for what the user is
    /// looking at while the index is not complete); `None` when the set has no such name.
    pub fn package(
        &self,
        path: &[String],
        name: &str,
        cancel: &AtomicBool,
    ) -> Result<Option<Entry>, NixError> {
        let names = [name.to_string()];
        match self.details(path, &Names::Listed(&names), &mut Vec::new(), cancel)? {
            Ok(mut found) => Ok(found.remove(name)),
            // Not this package: the set itself cannot be read (nixpkgs cannot be fetched, …).
            Err(stderr) => {
                Err(NixError::Failed { command: format!("nix eval {}", self.reference), code: None, stderr })
            }
        }
    }

    /// The details of `names`, not reading those in `skip`; `Err` with Nix's words when Nix
    /// fails on them in a way `tryEval` cannot catch (an `abort`, a missing attribute) more
    /// often than is worth retrying, or for a reason that names no package. A failure that names its package (our error context does) is retried without
    /// that package (added to `skip`), which then has no details.
    fn details(
        &self,
        path: &[String],
        names: &Names,
        skip: &mut Vec<String>,
        cancel: &AtomicBool,
    ) -> Result<Result<HashMap<String, Entry>, String>, NixError> {
        let before = skip.len();
        loop {
            match self.eval(&details_expression(path, names, skip), cancel) {
                Ok(out) => {
                    let value: Vec<(String, Value)> =
                        serde_json::from_str(out.trim()).map_err(|e| self.unexpected(e))?;
                    let mut found: HashMap<String, Entry> =
                        value.into_iter().map(|(name, v)| (name, entry(&v))).collect();
                    found.extend(skip.iter().map(|n| (n.clone(), Entry::Other)));
                    return Ok(Ok(found));
                }
                Err(NixError::Failed { stderr, .. }) => match failing_package(&stderr) {
                    Some(name) if skip.len() - before < MAX_SKIPPED && !skip.iter().any(|s| s == name) => {
                        log::info!("skipping package {name}: {}", first_line(&stderr));
                        skip.push(name.to_string());
                    }
                    _ => return Ok(Err(stderr)),
                },
                Err(e) => return Err(e),
            }
        }
    }

    /// `nix eval --json <reference>#legacyPackages.<system> --apply <apply>`.
    fn eval(&self, apply: &str, cancel: &AtomicBool) -> Result<String, NixError> {
        let attr = format!("{}#legacyPackages.{}", self.reference, self.system);
        let args = [
            "eval",
            "--json",
            "--no-write-lock-file",
            "--option",
            "allow-import-from-derivation",
            "false",
            "--show-trace",
            &attr,
            "--apply",
            apply,
        ];
        Ok(self.nix.run_streaming(&args, None, TIMEOUT, cancel, &mut |_| {})?.stdout)
    }

    fn unexpected(&self, e: serde_json::Error) -> NixError {
        NixError::UnexpectedOutput {
            command: format!("nix eval {}#legacyPackages.{}", self.reference, self.system),
            detail: e.to_string(),
        }
    }
}

fn nix_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| nix_string(s)).collect();
    format!("[ {} ]", quoted.join(" "))
}

/// The set at `path` below `s` (an empty set where there is none).
fn walk(path: &[String]) -> String {
    format!(
        "builtins.foldl' (a: n: if builtins.isAttrs a then a.${{n}} or {{ }} else {{ }}) s {}",
        nix_list(path)
    )
}

/// A function of `legacyPackages.<system>` giving, for each of `names` in the set at `path`,
/// `[ name fields ]` with the fields of the on-disk form (a list, not a set: a set with an
/// `outPath` or `__toString` name would print as something else). A package whose value
/// throws has `null`; one in `skip` is not read at all.
fn details_expression(path: &[String], names: &Names, skip: &[String]) -> String {
    let names = match names {
        Names::All => "builtins.attrNames set".to_string(),
        Names::Range(r) => format!(
            "let all = builtins.attrNames set; from = {}; to = {}; in \
             builtins.genList (i: builtins.elemAt all (from + i)) ((if to < builtins.length all then to else builtins.length all) - from)",
            r.start, r.end
        ),
        Names::Listed(list) => format!("builtins.filter (n: set ? ${{n}}) {}", nix_list(list)),
    };
    format!(
        r#"s: let
  found = {walk};
  set = if builtins.isAttrs found then found else {{ }};
  skip = builtins.listToAttrs (map (n: {{ name = n; value = true; }}) {skip});
  str = x: if builtins.isString x then x else null;
  first = x: if builtins.isList x then (if x == [ ] then null else str (builtins.head x)) else str x;
  lic1 = l: if builtins.isAttrs l then str (l.spdxId or (l.fullName or (l.shortName or null))) else str l;
  lic = l: if builtins.isList l
    then (let ls = builtins.filter (x: x != null) (map lic1 l); in if ls == [ ] then null else builtins.concatStringsSep ", " ls)
    else lic1 l;
  one = n: let v = set.${{n}}; in
    if !(builtins.isAttrs v) then null
    else if (v.type or null) == "derivation" then
      (let m = if builtins.isAttrs (v.meta or null) then v.meta else {{ }}; in
        [ (str (v.pname or null)) (str (v.version or null)) (str (m.description or null))
          (first (m.homepage or null)) (lic (m.license or null)) (str (m.mainProgram or null))
          (str (m.position or null)) ])
    else if (v.recurseForDerivations or false) == true then "set"
    else null;
  safe = n: if skip ? ${{n}} then null else builtins.addErrorContext "{context}${{n}}'"
    (let r = builtins.tryEval (let x = one n; in builtins.deepSeq x x); in if r.success then r.value else null);
in map (n: [ n (safe n) ]) ({names})"#,
        walk = walk(path),
        skip = nix_list(skip),
        context = CONTEXT,
    )
}

/// One name's value in the on-disk form.
fn entry(value: &Value) -> Entry {
    match value {
        Value::String(s) if s == "set" => Entry::Set,
        Value::Array(fields) => Entry::Package(Package::build(|i, text| {
            text.push_str(fields.get(i).and_then(Value::as_str).unwrap_or(""))
        })),
        _ => Entry::Other,
    }
}

/// `s` with tabs, newlines and backslashes escaped.
fn push_field(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

fn unescape(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    unescape_into(&mut out, field);
    out
}

fn unescape_into(out: &mut String, field: &str) {
    if !field.contains('\\') {
        out.push_str(field);
        return;
    }
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => {}
        }
    }
}

/// A complete set from the bytes of a cache file, when they are one for this key.
fn read_cache(bytes: &[u8], reference: &str, system: &str, path: &[String]) -> Option<PackageSet> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut lines = text.split('\n');
    let header: Header = serde_json::from_str(lines.next()?).ok()?;
    if header.format != FORMAT
        || header.reference != reference
        || header.system != system
        || header.path != path
    {
        return None;
    }
    let mut names = Vec::with_capacity(header.count.min(1_000_000));
    let mut details = Vec::with_capacity(header.count.min(1_000_000));
    for line in lines.filter(|l| !l.is_empty()) {
        let mut fields = line.split('\t');
        names.push(unescape(fields.next()?));
        let entry = match fields.next()? {
            "p" => {
                let mut complete = true;
                let package = Package::build(|_, text| match fields.next() {
                    Some(field) => unescape_into(text, field),
                    None => complete = false,
                });
                if !complete {
                    return None;
                }
                Some(Entry::Package(package))
            }
            "s" => Some(Entry::Set),
            "o" => Some(Entry::Other),
            "-" => None,
            _ => return None,
        };
        if fields.next().is_some() {
            return None;
        }
        details.push(entry);
    }
    if names.len() != header.count {
        return None;
    }
    PackageSet::from_sorted(names, details)
}

fn write_cache(reference: &str, system: &str, path: &[String], set: &PackageSet) -> Vec<u8> {
    set.with_details(|names, details| {
        let header = Header {
            format: FORMAT,
            reference: reference.to_string(),
            system: system.to_string(),
            path: path.to_vec(),
            count: names.len(),
        };
        let mut out = serde_json::to_string(&header).unwrap_or_default();
        out.push('\n');
        for (name, entry) in names.iter().zip(details) {
            push_field(&mut out, name);
            match entry {
                Some(Entry::Package(p)) => {
                    out.push_str("\tp");
                    for i in 0..FIELDS.len() {
                        out.push('\t');
                        push_field(&mut out, p.field(i).unwrap_or(""));
                    }
                }
                Some(Entry::Set) => out.push_str("\ts"),
                Some(Entry::Other) => out.push_str("\to"),
                None => out.push_str("\t-"),
            }
            out.push('\n');
        }
        out.into_bytes()
    })
}

/// Reads the set from `source`'s cache, else lists and evaluates it (names first: `on_names`
/// gets the set before its details are filled in).
pub fn load(
    source: &Source,
    path: &[String],
    cancel: &AtomicBool,
    on_names: &mut dyn FnMut(Arc<PackageSet>),
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Arc<PackageSet>, NixError> {
    if let Some(set) = source.cached(path) {
        let set = Arc::new(set);
        on_names(set.clone());
        return Ok(set);
    }
    let set = Arc::new(PackageSet::from_names(source.names(path, cancel)?));
    on_names(set.clone());
    source.fill(path, &set, cancel, progress)?;
    source.save(path, &set);
    Ok(set)
}

/// For tests: the directory a cache file lives in exists.
#[cfg(test)]
fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flake-lsp-pkgs-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `nix eval` prints for a batch, as the details expression shapes it.
    const BATCH_JSON: &str = r#"{
      "hello": ["hello", "2.12.1", "A program that produces a familiar, friendly greeting",
                "https://www.gnu.org/software/hello/", "GPL-3.0-or-later", "hello",
                "/nix/store/abc-source/pkgs/top-level.nix:40"],
      "python311Packages": "set",
      "mkShell": null,
      "odd": [null, 3, "only a description,\twith\nlines and \\ escapes"]
    }"#;

    fn parsed() -> HashMap<String, Entry> {
        let raw: HashMap<String, Value> = serde_json::from_str(BATCH_JSON).unwrap();
        raw.iter().map(|(n, v)| (n.clone(), entry(v))).collect()
    }

    #[test]
    fn batch_output_becomes_entries() {
        let entries = parsed();
        let Entry::Package(hello) = &entries["hello"] else { panic!("{entries:?}") };
        assert_eq!(hello.version(), Some("2.12.1"));
        assert_eq!(hello.homepage(), Some("https://www.gnu.org/software/hello/"));
        assert_eq!(hello.license(), Some("GPL-3.0-or-later"));
        assert_eq!(hello.main_program(), Some("hello"));
        assert_eq!(hello.definition(), Some(("/nix/store/abc-source/pkgs/top-level.nix", 40)));
        assert_eq!(entries["python311Packages"], Entry::Set);
        assert_eq!(entries["mkShell"], Entry::Other);
        // Fields of the wrong type are left out rather than failing the package.
        let Entry::Package(odd) = &entries["odd"] else { panic!() };
        assert_eq!((odd.pname(), odd.version()), (None, None));
        assert_eq!(odd.description(), Some("only a description,\twith\nlines and \\ escapes"));
    }

    #[test]
    fn cache_round_trip_and_corruption() {
        let names: Vec<String> = parsed().keys().cloned().collect();
        let set = PackageSet::complete(names, parsed());
        let path = vec!["python311Packages".to_string()];
        let bytes = write_cache("github:NixOS/nixpkgs/abc?narHash=x", "x86_64-linux", &path, &set);
        let back = read_cache(&bytes, "github:NixOS/nixpkgs/abc?narHash=x", "x86_64-linux", &path).unwrap();
        assert!(back.is_complete());
        assert_eq!(back.names(), set.names());
        assert_eq!(back.entry("hello"), set.entry("hello"));
        assert_eq!(back.entry("mkShell"), Some(Entry::Other));
        assert_eq!(back.entry("odd"), set.entry("odd"));
        assert_eq!(unescape("a\\\\b\\tc\\"), "a\\b\tc");
        assert_eq!(back.entry("python311Packages"), Some(Entry::Set));
        // Another key, a truncated file, garbage: not used.
        assert!(read_cache(&bytes, "other", "x86_64-linux", &path).is_none());
        assert!(read_cache(&bytes, "github:NixOS/nixpkgs/abc?narHash=x", "aarch64-linux", &path).is_none());
        assert!(read_cache(
            &bytes[..bytes.len() / 2],
            "github:NixOS/nixpkgs/abc?narHash=x",
            "x86_64-linux",
            &path
        )
        .is_none());
        assert!(read_cache(b"\xff\x00", "a", "b", &[]).is_none());
    }

    #[test]
    fn only_locked_references_are_written_and_files_are_shared_by_key() {
        let dir = temp_dir("cache");
        let source = |reference: &str| Source {
            nix: Nix::at("/nonexistent/nix"),
            reference: reference.to_string(),
            system: "x86_64-linux".into(),
            cache_dir: Some(dir.clone()),
        };
        let locked = source("path:/x?narHash=sha256-abc");
        let set = PackageSet::complete(vec!["hello".into()], parsed());
        locked.save(&[], &set);
        assert!(locked.cache_file(&[]).unwrap().is_file());
        assert_eq!(locked.cached(&[]).unwrap().names(), ["hello"]);
        // A corrupted file is not used (and is rebuilt by whoever loads next).
        std::fs::write(locked.cache_file(&[]).unwrap(), "{\"format\":1,").unwrap();
        assert!(locked.cached(&[]).is_none());
        let unlocked = source("path:/x");
        unlocked.save(&[], &set);
        assert!(unlocked.cache_file(&[]).is_none() && unlocked.cached(&[]).is_none());
        assert_ne!(locked.cache_file(&[]), locked.cache_file(&["python311Packages".into()]));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn names_are_quoted_for_nix() {
        assert_eq!(nix_string(r#"a"b\c${d}$e"#), r#""a\"b\\c\${d}$e""#);
        let pip = ["pip".to_string()];
        let expr = details_expression(&["python311".into(), "pkgs".into()], &Names::Listed(&pip), &[]);
        assert!(expr.contains(r#"s [ "python311" "pkgs" ]"#), "{expr}");
        assert!(expr.ends_with(r#"builtins.filter (n: set ? ${n}) [ "pip" ])"#), "{expr}");
        let expr = details_expression(&[], &Names::Range(2..5), &["bad".into()]);
        assert!(
            expr.contains("from = 2; to = 5;") && expr.contains(r#"value = true; }) [ "bad" ]"#),
            "{expr}"
        );
    }

    #[test]
    fn a_failure_names_its_package_in_both_nix_versions() {
        // Nix 2.8: the error first, the context last.
        let old = "error: evaluation aborted with the following error message: 'no meta for you'\n\n       \
            … while evaluating the attribute 'meta'\n\n       … flake-lsp reads the package 'aborts'\n";
        assert_eq!(failing_package(old), Some("aborts"));
        assert_eq!(
            first_line(old),
            "error: evaluation aborted with the following error message: 'no meta for you'"
        );
        // Nix 2.34: the context among the frames, the error last.
        let new = "error:\n       … while calling 'safe'\n\n       … flake-lsp reads the package 'it's odd'\n\n       \
            … while evaluating a branch condition\n\n       error: evaluation aborted with the following error message: 'x'";
        assert_eq!(failing_package(new), Some("it's odd"));
        assert_eq!(failing_package("error: out of memory"), None);
    }
}
