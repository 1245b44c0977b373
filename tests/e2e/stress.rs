//! Protocol stress over stdio: thousands of random incremental edits on a seed flake,
//! interleaved with completion, hover, semantic tokens, out-of-range positions and
//! cancellations, sent without waiting. The server must stay in step with the client's text,
//! answer every request, and keep its memory bounded. Figures: docs/reliability.md.

use serde_json::{json, Value};

use crate::support::*;

/// A small deterministic generator (xorshift64*), so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The UTF-16 position of byte `at` in `text`.
fn position(text: &str, at: usize) -> Value {
    let line = text[..at].matches('\n').count();
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    json!({ "line": line, "character": text[start..at].encode_utf16().count() })
}

fn char_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

const SNIPPETS: &[&str] = &[
    "pkgs.",
    "let x = 1; in x",
    "{ a = ",
    "\"ü😀\"",
    "}",
    "]",
    "with pkgs; [ hello ]",
    "\n",
    "inherit system;",
    "builtins.map",
    "/* c */",
    "# c\n",
    "''\n  s ${x}\n''",
    "rec {",
    ";",
    "devShell = ",
    "é",
];

#[test]
fn random_edits_and_requests_without_waiting() {
    let Some(seeds) = seeds() else { return };
    let mut server = Server::start();
    server.init();
    let path = seeds.join("001-code-as-infrastructure/flake.nix");
    let uri = file_uri(&path);
    let mut text = std::fs::read_to_string(&path).unwrap();
    server.open(&uri, &text);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut requests = Vec::new();
    let edits = 3000;
    for version in 2..=edits + 1 {
        // An edit: replace a random span (often empty) with a snippet, or delete.
        let a = char_boundary(&text, rng.below(text.len() + 1));
        let b = char_boundary(&text, (a + rng.below(12)).min(text.len()));
        let (a, b) = if rng.below(4) == 0 { (a, a) } else { (a, b) };
        let insert = if rng.below(5) == 0 { "" } else { SNIPPETS[rng.below(SNIPPETS.len())] };
        let range = json!({ "start": position(&text, a), "end": position(&text, b) });
        text.replace_range(a..b, insert);
        server.change(&uri, version, json!([{ "range": range, "text": insert }]));
        // Requests at random places, some past the end, some cancelled at once.
        let at = if rng.below(10) == 0 {
            json!({ "line": 10_000, "character": 10_000 })
        } else {
            position(&text, char_boundary(&text, rng.below(text.len() + 1)))
        };
        let doc = json!({ "uri": uri });
        let id = match rng.below(4) {
            0 => server
                .request_async("textDocument/completion", json!({ "textDocument": doc, "position": at })),
            1 => server.request_async("textDocument/hover", json!({ "textDocument": doc, "position": at })),
            2 => server.request_async("textDocument/semanticTokens/full", json!({ "textDocument": doc })),
            _ => server
                .request_async("textDocument/definition", json!({ "textDocument": doc, "position": at })),
        };
        if rng.below(8) == 0 {
            server.notify("$/cancelRequest", json!({ "id": id }));
        }
        requests.push(id);
    }
    // Malformed and unknown messages in between do not derail it.
    server.send_raw(b"{ this is not json");
    server.send_raw(&[0xff, 0xfe, 0x00]);
    let unknown = server.request_async("flake/noSuchMethod", json!({}));
    let after = server.request("flake/documentText", json!({ "textDocument": { "uri": uri } }));
    assert_eq!(after["version"], edits + 1);
    assert_eq!(after["text"].as_str().unwrap(), text, "the server's text is the client's");
    // Every request was answered: with a result, or as cancelled.
    let mut cancelled = 0;
    for id in requests {
        let response = server.response(id);
        match response.get("error") {
            None => {}
            Some(e) if e["code"] == -32800 => cancelled += 1,
            Some(e) => panic!("request {id} failed: {e}"),
        }
    }
    assert_eq!(server.response(unknown)["error"]["code"], -32601);
    let rss = server.peak_rss_kib();
    eprintln!("stress: {edits} edits, {cancelled} requests cancelled, peak RSS {} MiB", rss / 1024);
    assert!(rss < 512 * 1024, "memory stays bounded: {rss} KiB");
    assert!(server.shutdown().success());
}
