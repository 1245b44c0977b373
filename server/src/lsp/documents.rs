//! Open documents, changed strictly in the order the client sent the changes.
//!
//! tower-lsp runs handlers concurrently (its issue #284), so `didChange` handlers may run out
//! of order. The [`super::ordered::Ordered`] service applies open/change/close here at the
//! moment each message is read from the stream, before any handler runs, so the text always
//! matches what the client has. Versions are checked too: a change for an older version than
//! the document's is ignored and logged.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use dashmap::DashMap;
use tower_lsp::lsp_types::{
    DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
    TextDocumentContentChangeEvent, Url,
};

use super::convert;
use crate::flake::lock::FlakeLock;
use crate::ide::{Analysis, FileKind};
use crate::syntax::{LineIndex, PositionEncoding};

/// One version of a document's text, shared by the features that read it.
#[derive(Clone)]
pub struct Snapshot {
    pub uri: Url,
    pub version: Option<i32>,
    pub text: Arc<str>,
    pub line_index: Arc<LineIndex>,
    /// Parsed on first use, then shared by every feature that reads this version.
    analysis: Arc<OnceLock<Arc<Analysis>>>,
    /// The analysis of an earlier version of a large file, whose pieces this version's parse
    /// reuses; let go once this version is parsed.
    before: Arc<Mutex<Option<Arc<Analysis>>>>,
}

impl Snapshot {
    fn new(uri: Url, version: Option<i32>, text: String) -> Snapshot {
        let line_index = Arc::new(LineIndex::new(&text));
        Snapshot {
            uri,
            version,
            text: Arc::from(text),
            line_index,
            analysis: Default::default(),
            before: Default::default(),
        }
    }

    /// The next version of this document: it may reuse this version's parse (or the one this
    /// version was to reuse, when it was never parsed).
    fn next(&self, version: Option<i32>, text: String) -> Snapshot {
        let next = Snapshot::new(self.uri.clone(), version, text);
        let before = match self.analysis.get() {
            Some(analysis) => Some(analysis.clone()),
            None => self.before.lock().unwrap_or_else(|e| e.into_inner()).clone(),
        };
        *next.before.lock().unwrap_or_else(|e| e.into_inner()) = before.filter(|b| b.in_pieces());
        next
    }

    pub fn kind(&self) -> FileKind {
        file_kind(&self.uri)
    }

    /// The analysis of this version. The first caller parses; the others wait and share it.
    pub fn analysis(&self) -> Arc<Analysis> {
        self.analysis
            .get_or_init(|| {
                let before = self.before.lock().unwrap_or_else(|e| e.into_inner()).take();
                Arc::new(Analysis::after(self.text.clone(), self.kind(), before.as_deref()))
            })
            .clone()
    }
}

pub fn file_kind(uri: &Url) -> FileKind {
    let name = uri.path_segments().and_then(|mut s| s.next_back().map(str::to_string)).unwrap_or_default();
    FileKind::of_path(Path::new(&name))
}

#[derive(Default)]
pub struct Documents {
    open: DashMap<Url, Snapshot>,
    /// Parsed `flake.lock` files, with what they were parsed from: flake.nix's diagnostics ask
    /// for its lock on every keystroke, and the lock seldom changes.
    locks: DashMap<PathBuf, (LockStamp, Option<Arc<FlakeLock>>)>,
}

/// Which text of a lock file was parsed: the editor's version, or the file's on disk.
#[derive(Clone, PartialEq, Eq)]
enum LockStamp {
    Open(Option<i32>),
    Disk(Option<std::time::SystemTime>, u64),
}

impl Documents {
    pub fn get(&self, uri: &Url) -> Option<Snapshot> {
        self.open.get(uri).map(|d| d.clone())
    }

    pub fn is_open(&self, uri: &Url) -> bool {
        self.open.contains_key(uri)
    }

    pub fn open_uris(&self) -> Vec<Url> {
        self.open.iter().map(|e| e.key().clone()).collect()
    }

    /// The open document, else the file on disk (for features that look at other files).
    pub fn get_or_read(&self, uri: &Url) -> Result<Snapshot, String> {
        if let Some(doc) = self.get(uri) {
            return Ok(doc);
        }
        let path = uri.to_file_path().map_err(|_| format!("{uri} is not a file on this machine"))?;
        read_file(uri.clone(), &path)
    }

    /// The `flake.lock` beside a `flake.nix` (the editor's text when it is open), parsed.
    pub fn lock_beside(&self, snapshot: &Snapshot) -> Option<Arc<FlakeLock>> {
        if snapshot.kind() != FileKind::Flake {
            return None;
        }
        let lock_path = snapshot.uri.to_file_path().ok()?.with_file_name("flake.lock");
        let uri = Url::from_file_path(&lock_path).ok()?;
        let stamp = match self.get(&uri) {
            Some(doc) => LockStamp::Open(doc.version),
            None => {
                let meta = std::fs::metadata(&lock_path).ok()?;
                LockStamp::Disk(meta.modified().ok(), meta.len())
            }
        };
        if let Some(cached) = self.locks.get(&lock_path).filter(|c| c.0 == stamp) {
            return cached.1.clone();
        }
        let doc = self.get_or_read(&uri).ok()?;
        let lock = match FlakeLock::parse(&doc.text) {
            Ok(lock) => Some(Arc::new(lock)),
            Err(err) => {
                log::info!("{}: {err}", lock_path.display());
                None
            }
        };
        self.locks.insert(lock_path, (stamp, lock.clone()));
        lock
    }

    pub fn open(&self, params: DidOpenTextDocumentParams) {
        let doc = params.text_document;
        self.open.insert(doc.uri.clone(), Snapshot::new(doc.uri, Some(doc.version), doc.text));
    }

    pub fn close(&self, params: DidCloseTextDocumentParams) {
        self.open.remove(&params.text_document.uri);
    }

    pub fn change(&self, params: DidChangeTextDocumentParams, enc: PositionEncoding) {
        let uri = params.text_document.uri;
        let version = params.text_document.version;
        let Some(mut entry) = self.open.get_mut(&uri) else {
            log::warn!("change for {uri}, which is not open: ignored");
            return;
        };
        if entry.version.is_some_and(|v| v >= version) {
            log::warn!("change to version {version} of {uri}, which is at {:?}: ignored", entry.version);
            return;
        }
        let text = match params.content_changes.as_slice() {
            // The whole text (as some clients send every change): no copy of the old one.
            [whole] if whole.range.is_none() => {
                params.content_changes.into_iter().next().map(|c| c.text).unwrap_or_default()
            }
            changes => {
                let mut text = entry.text.to_string();
                apply_changes(&mut text, &entry.line_index, changes, enc);
                text
            }
        };
        let next = entry.next(Some(version), text);
        *entry = next;
    }
}

fn read_file(uri: Url, path: &Path) -> Result<Snapshot, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    // Invalid UTF-8 is read with replacements: features on another file only look at it.
    let (text, _) = crate::ide::check::decode(bytes);
    Ok(Snapshot::new(uri, None, text))
}

/// Applies content changes in order; each range refers to the text left by the previous one.
/// `index` is the line index of `text` as given; later changes get a fresh one.
pub fn apply_changes(
    text: &mut String,
    index: &LineIndex,
    changes: &[TextDocumentContentChangeEvent],
    enc: PositionEncoding,
) {
    let mut fresh: Option<LineIndex> = None;
    for (i, change) in changes.iter().enumerate() {
        match change.range {
            None => *text = change.text.clone(),
            Some(range) => {
                let index = if i == 0 { index } else { fresh.insert(LineIndex::new(text)) };
                let (start, end) = convert::offset_range(index, text, range, enc);
                text.replace_range(usize::from(start)..usize::from(end), &change.text);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_lsp::lsp_types::{Position, Range};

    /// Applies changes to a text whose line index is not at hand yet.
    fn apply(text: &mut String, changes: &[TextDocumentContentChangeEvent], enc: PositionEncoding) {
        let index = LineIndex::new(text);
        apply_changes(text, &index, changes, enc);
    }

    fn change(l1: u32, c1: u32, l2: u32, c2: u32, text: &str) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(l1, c1), Position::new(l2, c2))),
            range_length: None,
            text: text.to_string(),
        }
    }

    #[test]
    fn the_lock_beside_a_flake_is_parsed_again_only_when_it_changes() {
        let dir = std::env::temp_dir().join(format!("flake-lsp-lock-cache-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let lock = |inputs: &str| {
            format!(
                r#"{{ "version": 7, "root": "root", "nodes": {{ "root": {{ "inputs": {{ {inputs} }} }}, "a": {{}}, "b": {{}} }} }}"#
            )
        };
        std::fs::write(dir.join("flake.lock"), lock(r#""a": "a""#)).unwrap();
        let docs = Documents::default();
        let uri = Url::from_file_path(dir.join("flake.nix")).unwrap();
        let flake = Snapshot::new(uri, Some(1), "{ }".into());
        let first = docs.lock_beside(&flake).unwrap();
        assert_eq!(first.root_inputs(), ["a"]);
        assert!(Arc::ptr_eq(&first, &docs.lock_beside(&flake).unwrap()), "unchanged: the same parse");
        std::fs::write(dir.join("flake.lock"), lock(r#""a": "a", "b": "b""#)).unwrap();
        assert_eq!(
            docs.lock_beside(&flake).unwrap().root_inputs(),
            ["a", "b"],
            "changed on disk: parsed again"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A large document edited in a burst: each version parsed is the parse of its whole
    /// text, whether it reuses the version before it, one never parsed, or none; an old
    /// version is let go once the next one is parsed.
    #[test]
    fn a_large_document_reuses_the_parse_of_the_version_before() {
        use tower_lsp::lsp_types::{TextDocumentItem, VersionedTextDocumentIdentifier};
        let docs = Documents::default();
        let uri = Url::parse("file:///tmp/large/default.nix").unwrap();
        let mut text = String::from("{ lib }: {\n");
        for i in 0..6000 {
            text.push_str(&format!("  p{i} = lib.mkPackage {{ name = \"p{i}\"; deps = [ lib.a ]; }};\n"));
        }
        text.push_str("}\n");
        docs.open(DidOpenTextDocumentParams {
            text_document: TextDocumentItem::new(uri.clone(), "nix".into(), 1, text.clone()),
        });
        let first = docs.get(&uri).unwrap().analysis();
        assert!(first.in_pieces());
        let edit = |version: i32, at: u32, new: &str| {
            docs.change(
                DidChangeTextDocumentParams {
                    text_document: VersionedTextDocumentIdentifier::new(uri.clone(), version),
                    content_changes: vec![change(at, 2, at, 2, new)],
                },
                PositionEncoding::Utf16,
            )
        };
        edit(2, 3000, "q = (; ");
        // Version 3 is the next one parsed: it starts from version 1's parse.
        edit(3, 10, "r = 1; ");
        let snapshot = docs.get(&uri).unwrap();
        let again = snapshot.analysis();
        let whole = Analysis::of(&snapshot.text, FileKind::Nix);
        assert_eq!(again.root().green(), whole.root().green());
        assert_eq!(again.errors(), whole.errors());
        assert!(!again.errors().is_empty(), "the broken binding is reported");
        assert!(snapshot.before.lock().unwrap().is_none(), "version 1 is let go");
        drop(first);
    }

    #[test]
    fn incremental_changes_with_multi_byte_text() {
        let mut text = "let é = \"😀\";\nin é".to_string();
        // After the emoji (2 UTF-16 units) insert "x".
        apply(&mut text, &[change(0, 11, 0, 11, "x")], PositionEncoding::Utf16);
        assert_eq!(text, "let é = \"😀x\";\nin é");
        // In UTF-8 the same place is byte 14.
        apply(&mut text, &[change(0, 15, 0, 15, "y")], PositionEncoding::Utf8);
        assert_eq!(text, "let é = \"😀xy\";\nin é");
        // Replace across lines, then a full replacement.
        apply(&mut text, &[change(0, 15, 1, 3, "z")], PositionEncoding::Utf16);
        assert_eq!(text, "let é = \"😀xy\";zé");
        apply(
            &mut text,
            &[TextDocumentContentChangeEvent { range: None, range_length: None, text: "1".into() }],
            PositionEncoding::Utf16,
        );
        assert_eq!(text, "1");
    }

    #[test]
    fn out_of_range_changes_are_clamped() {
        let mut text = "ab\ncd".to_string();
        apply(&mut text, &[change(9, 9, 12, 0, "!")], PositionEncoding::Utf16);
        assert_eq!(text, "ab\ncd!");
        // A range whose end comes before its start is read backwards.
        apply(&mut text, &[change(0, 2, 0, 0, "")], PositionEncoding::Utf16);
        assert_eq!(text, "\ncd!");
    }
}
