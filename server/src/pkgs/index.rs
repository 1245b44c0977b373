//! The package index as the editor features read it: for one nixpkgs and one system, the
//! sorted names of `legacyPackages.<system>` and, as they arrive, each package's details; the
//! nested sets (`python311Packages`, `python311.pkgs`) the user has asked about.
//!
//! Everything here is plain data behind locks: the loader (`pkgs::load`) fills it from a
//! background thread while completion and hover read it. A lookup never waits for Nix: what
//! is not known yet is simply absent, and a nested set that was never asked for is requested
//! from whoever loads the index.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

/// What the index knows about one package: its seven fields in one allocation (an index of
/// 100 000 packages is loaded from disk at every start, so fewer allocations matter).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Package {
    text: Box<str>,
    /// Where each field ends in `text`; a field is empty when absent.
    ends: [u32; 7],
}

/// The fields of a [`Package`], in the order of the on-disk form.
pub const FIELDS: [&str; 7] =
    ["pname", "version", "description", "homepage", "license", "mainProgram", "position"];

impl Package {
    /// From `pname, version, description, homepage, license, mainProgram, position`
    /// (`license`: SPDX identifiers, else full names, joined with ", "; `position`:
    /// `meta.position`, `file:line`).
    pub fn new(fields: [Option<&str>; 7]) -> Package {
        Package::build(|i, text| text.push_str(fields[i].unwrap_or("")))
    }

    /// Builds the text field by field: `push(i, text)` appends field `i`.
    pub fn build(mut push: impl FnMut(usize, &mut String)) -> Package {
        let mut text = String::new();
        let mut ends = [0u32; 7];
        for (i, end) in ends.iter_mut().enumerate() {
            push(i, &mut text);
            *end = u32::try_from(text.len()).unwrap_or(u32::MAX);
        }
        Package { text: text.into_boxed_str(), ends }
    }

    /// Field `i` (see [`FIELDS`]), when present.
    pub fn field(&self, i: usize) -> Option<&str> {
        let start = if i == 0 { 0 } else { *self.ends.get(i - 1)? as usize };
        let end = *self.ends.get(i)? as usize;
        self.text.get(start..end).filter(|s| !s.is_empty())
    }

    pub fn pname(&self) -> Option<&str> {
        self.field(0)
    }

    pub fn version(&self) -> Option<&str> {
        self.field(1)
    }

    pub fn description(&self) -> Option<&str> {
        self.field(2)
    }

    pub fn homepage(&self) -> Option<&str> {
        self.field(3)
    }

    pub fn license(&self) -> Option<&str> {
        self.field(4)
    }

    pub fn main_program(&self) -> Option<&str> {
        self.field(5)
    }

    pub fn position(&self) -> Option<&str> {
        self.field(6)
    }

    /// Where `meta.position` points: the file and its 1-based line.
    pub fn definition(&self) -> Option<(&str, u32)> {
        let (file, line) = self.position()?.rsplit_once(':')?;
        Some((file, line.parse().ok()?))
    }
}

/// What one attribute is, when its details have been evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A derivation.
    Package(Package),
    /// A set of packages (`recurseForDerivations`), such as `python311Packages`.
    Set,
    /// Anything else: a function (`mkShell`), a plain set (`lib`), or a value that failed.
    Other,
}

/// The attributes of one package set: names at once, details as they come (kept beside the
/// names, in the same order, so a lookup is one binary search).
#[derive(Debug, Default)]
pub struct PackageSet {
    names: Vec<String>,
    details: RwLock<Vec<Option<Entry>>>,
    complete: AtomicBool,
}

impl PackageSet {
    /// A set whose details are still to come.
    pub fn from_names(mut names: Vec<String>) -> PackageSet {
        names.sort();
        names.dedup();
        let details = RwLock::new(vec![None; names.len()]);
        PackageSet { names, details, complete: AtomicBool::new(false) }
    }

    /// A set with all its details.
    pub fn complete(names: Vec<String>, details: HashMap<String, Entry>) -> PackageSet {
        let set = PackageSet::from_names(names);
        set.add_details(details);
        set.mark_complete();
        set
    }

    /// A complete set from names and their details in the same order (as read from disk);
    /// `None` when the names are not sorted and unique or the lengths differ.
    pub fn from_sorted(names: Vec<String>, details: Vec<Option<Entry>>) -> Option<PackageSet> {
        let sorted = names.windows(2).all(|w| w[0] < w[1]);
        if !sorted || names.len() != details.len() {
            return None;
        }
        Some(PackageSet { names, details: RwLock::new(details), complete: AtomicBool::new(true) })
    }

    /// Sorted, without repeats.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.names.binary_search_by(|n| n.as_str().cmp(name)).ok()
    }

    pub fn contains(&self, name: &str) -> bool {
        self.position(name).is_some()
    }

    /// The names starting with `prefix`, found by binary search.
    pub fn with_prefix(&self, prefix: &str) -> &[String] {
        let start = self.names.partition_point(|n| n.as_str() < prefix);
        let len = self.names[start..].partition_point(|n| n.starts_with(prefix));
        &self.names[start..start + len]
    }

    /// Up to `cap` names for the word `typed`: those starting with it first (in order), then
    /// those containing it (ignoring case). The flag says whether more would have matched.
    pub fn matching(&self, typed: &str, cap: usize) -> (Vec<&str>, bool) {
        let prefixed = self.with_prefix(typed);
        let mut out: Vec<&str> = prefixed.iter().take(cap).map(String::as_str).collect();
        if prefixed.len() > cap {
            return (out, true);
        }
        if typed.is_empty() {
            return (out, false);
        }
        let lower = typed.to_lowercase();
        let mut more = false;
        for name in &self.names {
            if name.starts_with(typed) || !contains_ignoring_case(name, &lower) {
                continue;
            }
            if out.len() == cap {
                more = true;
                break;
            }
            out.push(name);
        }
        (out, more)
    }

    /// The details of `name`, when they have been evaluated.
    pub fn entry(&self, name: &str) -> Option<Entry> {
        let at = self.position(name)?;
        self.details.read().ok()?.get(at).cloned().flatten()
    }

    pub fn package(&self, name: &str) -> Option<Package> {
        match self.entry(name)? {
            Entry::Package(p) => Some(p),
            _ => None,
        }
    }

    /// Adds details; names not in the set are ignored.
    pub fn add_details(&self, batch: HashMap<String, Entry>) {
        let Ok(mut details) = self.details.write() else { return };
        for (name, entry) in batch {
            if let Some(at) = self.position(&name) {
                details[at] = Some(entry);
            }
        }
    }

    /// Every name has been evaluated (or given up on).
    pub fn is_complete(&self) -> bool {
        self.complete.load(Ordering::Acquire)
    }

    pub fn mark_complete(&self) {
        self.complete.store(true, Ordering::Release);
    }

    /// Each name with its details, in order (for writing to disk).
    pub fn with_details<R>(&self, f: impl FnOnce(&[String], &[Option<Entry>]) -> R) -> R {
        let details = self.details.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&self.names, &details)
    }
}

/// `haystack` contains `lower_needle` (already lower case), without allocating for the
/// common ASCII case.
fn contains_ignoring_case(haystack: &str, lower_needle: &str) -> bool {
    if haystack.is_ascii() && lower_needle.is_ascii() {
        let (h, n) = (haystack.as_bytes(), lower_needle.as_bytes());
        return n.len() <= h.len() && h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n));
    }
    haystack.to_lowercase().contains(lower_needle)
}

/// A nested set as features ask for it.
#[derive(Debug, Clone)]
pub enum Lookup {
    Ready(Arc<PackageSet>),
    /// Not known yet: being loaded (or asked for just now).
    Loading,
    /// It could not be listed (not a set, or its evaluation failed).
    Missing,
}

type Requester = Box<dyn Fn(Vec<String>) + Send + Sync>;

/// One attribute of a package set: the set's path below `legacyPackages.<system>` and the
/// attribute's name (`python3Packages` + `pip`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PackageRef {
    pub path: Vec<String>,
    pub name: String,
}

/// The packages of one nixpkgs for one system.
pub struct PackageIndex {
    /// What the index is of, for messages: the flake reference and the system.
    pub reference: String,
    pub system: String,
    top: RwLock<Option<Arc<PackageSet>>>,
    nested: RwLock<HashMap<Vec<String>, Option<Arc<PackageSet>>>>,
    requested: Mutex<HashSet<Vec<String>>>,
    requester: OnceLock<Requester>,
    /// Attributes read one by one (what the user looks at before the index has it): their
    /// entry, or `None` when the set has no such name.
    looked_up: RwLock<HashMap<PackageRef, Option<Entry>>>,
}

impl std::fmt::Debug for PackageIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PackageIndex({} for {})", self.reference, self.system)
    }
}

impl PackageIndex {
    /// An index whose top-level names are not known yet.
    pub fn new(reference: &str, system: &str) -> PackageIndex {
        PackageIndex {
            reference: reference.to_string(),
            system: system.to_string(),
            top: RwLock::new(None),
            nested: RwLock::new(HashMap::new()),
            requested: Mutex::new(HashSet::new()),
            requester: OnceLock::new(),
            looked_up: RwLock::new(HashMap::new()),
        }
    }

    /// An index over a known top-level set (tests, benchmarks).
    pub fn with_top(top: PackageSet) -> PackageIndex {
        let index = PackageIndex::new("memory", "any");
        index.set_top(Arc::new(top));
        index
    }

    /// Who loads the nested sets features ask for; called once per path, from the thread of
    /// the feature, so it must only hand the work on.
    pub fn set_requester(&self, requester: impl Fn(Vec<String>) + Send + Sync + 'static) {
        let _ = self.requester.set(Box::new(requester));
    }

    pub fn set_top(&self, set: Arc<PackageSet>) {
        if let Ok(mut top) = self.top.write() {
            *top = Some(set);
        }
    }

    pub fn top(&self) -> Option<Arc<PackageSet>> {
        self.top.read().ok()?.clone()
    }

    /// Records a nested set (`None`: it could not be listed).
    pub fn set_nested(&self, path: Vec<String>, set: Option<Arc<PackageSet>>) {
        if let Ok(mut nested) = self.nested.write() {
            nested.insert(path, set);
        }
    }

    /// The set at `path` below `legacyPackages.<system>` (the top for an empty path). A nested
    /// set not known yet is requested, once.
    pub fn set(&self, path: &[String]) -> Lookup {
        self.lookup(path, true)
    }

    /// [`PackageIndex::set`] without requesting a nested set that is not known: for who needs
    /// one package of it (hover reads that one by itself, which costs less than listing the
    /// set and competes less with it for the machine).
    pub fn set_if_known(&self, path: &[String]) -> Lookup {
        self.lookup(path, false)
    }

    fn lookup(&self, path: &[String], request: bool) -> Lookup {
        if path.is_empty() {
            return self.top().map_or(Lookup::Loading, Lookup::Ready);
        }
        if let Some(known) = self.nested.read().ok().and_then(|n| n.get(path).cloned()) {
            return known.map_or(Lookup::Missing, Lookup::Ready);
        }
        // A package (not a set) has no packages below it worth asking Nix about, except
        // `python311.pkgs`-like sets, which are asked for by their full path.
        let first_is_package = path.len() == 1
            && self
                .top()
                .is_some_and(|top| matches!(top.entry(&path[0]), Some(Entry::Package(_) | Entry::Other)));
        if first_is_package {
            return Lookup::Missing;
        }
        if !request {
            return Lookup::Loading;
        }
        let fresh = self.requested.lock().map(|mut r| r.insert(path.to_vec())).unwrap_or(false);
        if fresh {
            if let Some(request) = self.requester.get() {
                request(path.to_vec());
            }
        }
        Lookup::Loading
    }
}

impl PackageIndex {
    /// What is known of one attribute without waiting: the details of its set, else what
    /// reading it by itself gave (`Some(None)`: the set has no such name). `None`: not known
    /// yet.
    pub fn details(&self, wanted: &PackageRef) -> Option<Option<Entry>> {
        let set = if wanted.path.is_empty() {
            self.top()
        } else {
            self.nested.read().ok()?.get(&wanted.path).cloned().flatten()
        };
        if let Some(entry) = set.as_ref().and_then(|s| s.entry(&wanted.name)) {
            return Some(Some(entry));
        }
        if let Some(known) = self.looked_up.read().ok()?.get(wanted) {
            return Some(known.clone());
        }
        // A complete set without the name does not have it.
        set.filter(|s| s.is_complete() && !s.contains(&wanted.name)).map(|_| None)
    }

    /// Records what reading one attribute by itself gave.
    pub fn record(&self, wanted: PackageRef, entry: Option<Entry>) {
        if let Ok(mut known) = self.looked_up.write() {
            known.insert(wanted, entry);
        }
    }
}

/// A small index for the features' tests: a few packages with details, a package set, a
/// function, and the nested `python311Packages` (also as `python311.pkgs`).
#[cfg(test)]
pub fn sample() -> PackageIndex {
    let package = |version: &str, description: &str, homepage: &str, license: &str, line: u32| {
        let position = format!("/nix/store/abc-source/pkgs/top-level.nix:{line}");
        let program = (version == "2.12.1").then_some("hello");
        Entry::Package(Package::new([
            None,
            Some(version),
            Some(description),
            Some(homepage),
            Some(license),
            program,
            Some(&position),
        ]))
    };
    let hello = package(
        "2.12.1",
        "A program that produces a familiar, friendly greeting",
        "https://www.gnu.org/software/hello/",
        "GPL-3.0-or-later",
        40,
    );
    let top: HashMap<String, Entry> = [
        ("hello", hello),
        (
            "python311",
            package(
                "3.11.2",
                "A high-level dynamically-typed programming language",
                "https://www.python.org",
                "PSF-2.0",
                7,
            ),
        ),
        (
            "python3",
            package(
                "3.11.2",
                "A high-level dynamically-typed programming language",
                "https://www.python.org",
                "PSF-2.0",
                7,
            ),
        ),
        ("python311Packages", Entry::Set),
        ("mkShell", Entry::Other),
        (
            "ripgrep",
            package(
                "14.1.0",
                "A utility that combines the usability of The Silver Searcher with the raw speed of grep",
                "https://github.com/BurntSushi/ripgrep",
                "Unlicense, MIT",
                90,
            ),
        ),
    ]
    .into_iter()
    .map(|(n, e)| (n.to_string(), e))
    .collect();
    let index = PackageIndex::with_top(PackageSet::complete(top.keys().cloned().collect(), top));
    let python: HashMap<String, Entry> = [
        (
            "pip",
            package(
                "24.0",
                "The PyPA recommended tool for installing Python packages",
                "https://pip.pypa.io/",
                "MIT",
                12,
            ),
        ),
        (
            "virtualenv",
            package(
                "20.25.1",
                "A tool to create isolated Python environments",
                "https://virtualenv.pypa.io/",
                "MIT",
                30,
            ),
        ),
    ]
    .into_iter()
    .map(|(n, e)| (n.to_string(), e))
    .collect();
    let python = Arc::new(PackageSet::complete(python.keys().cloned().collect(), python));
    index.set_nested(vec!["python311Packages".into()], Some(python.clone()));
    index.set_nested(vec!["python311".into(), "pkgs".into()], Some(python));
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names: &[&str]) -> PackageSet {
        PackageSet::from_names(names.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn prefix_then_substring_matches_with_a_cap() {
        let s = set(&["python311", "python3", "pythonFull", "hello", "mypython", "xpython", "PyThing"]);
        assert_eq!(s.with_prefix("python"), ["python3", "python311", "pythonFull"]);
        assert_eq!(s.with_prefix(""), s.names());
        assert!(s.with_prefix("zzz").is_empty());
        assert_eq!(
            s.matching("python", 10),
            (vec!["python3", "python311", "pythonFull", "mypython", "xpython"], false)
        );
        assert_eq!(s.matching("python", 4), (vec!["python3", "python311", "pythonFull", "mypython"], true));
        assert_eq!(s.matching("python", 2), (vec!["python3", "python311"], true));
        assert_eq!(s.matching("pyth", 10).0.last(), Some(&"xpython"));
        assert_eq!(s.matching("PYTH", 10).0.first(), Some(&"PyThing"));
        assert_eq!(s.matching("", 3), (vec!["PyThing", "hello", "mypython"], true));
        assert!(s.matching("é", 3).0.is_empty());
        assert!(s.contains("hello") && !s.contains("hell"));
    }

    #[test]
    fn positions_split_at_the_last_colon() {
        let at = |position| Package::new([None, None, None, None, None, None, Some(position)]);
        let p = at("/nix/store/x-source/pkgs/top-level.nix:42");
        assert_eq!(p.definition(), Some(("/nix/store/x-source/pkgs/top-level.nix", 42)));
        let bad = at("nowhere");
        assert_eq!(Package::default().version(), None);
        let full = Package::new([Some("a"), Some("1"), None, Some("h"), Some(""), Some("m"), Some("p:1")]);
        assert_eq!(
            (0..7).map(|i| full.field(i)).collect::<Vec<_>>(),
            [Some("a"), Some("1"), None, Some("h"), None, Some("m"), Some("p:1")]
        );
        assert_eq!(full.field(7), None);
        assert_eq!(bad.definition(), None);
    }

    #[test]
    fn nested_sets_are_requested_once() {
        let index = PackageIndex::with_top(set(&["hello", "python311Packages"]));
        let asked = Arc::new(Mutex::new(Vec::new()));
        let log = asked.clone();
        index.set_requester(move |path| log.lock().unwrap().push(path));
        let path = vec!["python311Packages".to_string()];
        assert!(matches!(index.set_if_known(&path), Lookup::Loading));
        assert!(asked.lock().unwrap().is_empty(), "only looked at");
        assert!(matches!(index.set(&path), Lookup::Loading));
        assert!(matches!(index.set(&path), Lookup::Loading));
        assert_eq!(asked.lock().unwrap().len(), 1);
        index.set_nested(path.clone(), Some(Arc::new(set(&["pip"]))));
        assert!(matches!(index.set(&path), Lookup::Ready(s) if s.names() == ["pip"]));
        index.set_nested(vec!["nope".into()], None);
        assert!(matches!(index.set(&["nope".to_string()]), Lookup::Missing));
        assert!(matches!(index.set(&[]), Lookup::Ready(_)));
    }

    #[test]
    fn packages_read_one_by_one_fill_what_the_set_lacks() {
        let index = PackageIndex::new("memory", "any");
        let hello = PackageRef { path: vec![], name: "hello".into() };
        assert_eq!(index.details(&hello), None, "nothing known: not even the names");
        let package = Entry::Package(Package::new([None, Some("2.12"), None, None, None, None, None]));
        index.record(hello.clone(), Some(package.clone()));
        assert_eq!(index.details(&hello), Some(Some(package.clone())));
        index.set_top(Arc::new(set(&["hello", "ripgrep"])));
        assert_eq!(index.details(&hello), Some(Some(package)), "the names alone do not hide it");
        let ripgrep = PackageRef { path: vec![], name: "ripgrep".into() };
        assert_eq!(index.details(&ripgrep), None);
        index.top().unwrap().add_details(HashMap::from([("ripgrep".to_string(), Entry::Other)]));
        assert_eq!(index.details(&ripgrep), Some(Some(Entry::Other)));
        let nope = PackageRef { path: vec![], name: "nope".into() };
        assert_eq!(index.details(&nope), None, "the set is not complete");
        index.top().unwrap().mark_complete();
        assert_eq!(index.details(&nope), Some(None));
    }
}
