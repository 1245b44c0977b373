use serde_json::{json, Value};

use crate::support::*;

/// The seed flake `name`'s URI and text. None only when `../shared` is missing and
/// `FLAKE_LSP_NO_SHARED` is set (SKIPPED printed); missing otherwise, the test fails.
fn seed(name: &str) -> Option<(String, String)> {
    let path = seeds()?.join(name).join("flake.nix");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Some((file_uri(&path), text))
}

#[test]
fn initialize_negotiates_encoding_and_incremental_sync() {
    let mut server = Server::start();
    let result = server.init();
    assert_eq!(result["capabilities"]["positionEncoding"], "utf-16");
    assert_eq!(result["capabilities"]["textDocumentSync"]["change"], 2);
    assert_eq!(result["serverInfo"]["name"], "flake-lsp");
    assert!(server.shutdown().success());

    let mut server = Server::start();
    let result =
        server.initialize(json!({ "general": { "positionEncodings": ["utf-8", "utf-16"] } }), Value::Null);
    assert_eq!(result["capabilities"]["positionEncoding"], "utf-8");
}

#[test]
fn seed_flakes_get_only_their_true_warnings() {
    let mut server = Server::start();
    server.init();
    let expected: &[(&str, &[&str])] = &[
        ("000-devops-renaissance", &["15:6 unused_binding", "57:6 deprecated_dev_shell"]),
        (
            "001-code-as-infrastructure",
            &["134:8 deprecated_dev_shell", "19:8 unused_binding", "94:43 unused_with"],
        ),
        (
            "001-code-as-infrastructure.commented",
            &["108:43 unused_with", "150:8 deprecated_dev_shell", "31:8 unused_binding"],
        ),
        (
            "001-code-as-infrastructure.windows",
            &["115:43 unused_with", "159:8 deprecated_dev_shell", "33:8 unused_binding"],
        ),
    ];
    for (name, want) in expected {
        let Some((uri, text)) = seed(name) else { return };
        server.open(&uri, &text);
        let diags = server.diagnostics(&uri, 1);
        assert_eq!(summary(&diags), *want, "{name}");
        assert!(diags.iter().all(|d| d["severity"] != 1), "no errors in {name}");
        let unused = diags.iter().find(|d| d["code"] == "unused_binding").unwrap();
        assert_eq!(unused["message"], "`isDarwin` is defined but never used");
        assert_eq!(unused["tags"], json!([1]));
        let deprecated = diags.iter().find(|d| d["code"] == "deprecated_dev_shell").unwrap();
        assert_eq!(deprecated["message"], "`devShell` is deprecated: use `devShells.<system>.default`");
        assert_eq!(
            deprecated["range"]["end"]["character"].as_u64().unwrap()
                - deprecated["range"]["start"]["character"].as_u64().unwrap(),
            8
        );
    }
    assert!(server.shutdown().success());
}

#[test]
fn incremental_edits_with_multi_byte_text_update_diagnostics() {
    let mut server = Server::start();
    server.init();
    let uri = "file:///tmp/flake-lsp-e2e/unicode.nix";
    // "é" is one UTF-16 unit, "😀" two.
    let text = "let s = \"é😀\"; in s";
    server.open(uri, text);
    assert!(server.diagnostics(uri, 1).is_empty());
    // Replace the `s` after `in`: character 18 in UTF-16 (é is one unit, the emoji two).
    server.change(uri, 2, json!([{ "range": { "start": { "line": 0, "character": 18 }, "end": { "line": 0, "character": 19 } }, "text": "t" }]));
    let diags = server.diagnostics(uri, 2);
    assert_eq!(summary(&diags), ["0:18 undefined_name", "0:4 unused_binding"]);
    assert_eq!(
        diags.iter().find(|d| d["code"] == "undefined_name").unwrap()["range"]["end"]["character"],
        19
    );
    // Put it back, with a second change in the same notification on a new line.
    server.change(
        uri,
        3,
        json!([
            { "range": { "start": { "line": 0, "character": 18 }, "end": { "line": 0, "character": 19 } }, "text": "s" },
            { "range": { "start": { "line": 0, "character": 19 }, "end": { "line": 0, "character": 19 } }, "text": "\n# ünïcödé 😀 comment" }
        ]),
    );
    assert!(server.diagnostics(uri, 3).is_empty());
    let text = server.request("flake/documentText", json!({ "textDocument": { "uri": uri } }));
    assert_eq!(text["text"], "let s = \"é😀\"; in s\n# ünïcödé 😀 comment");
    assert_eq!(text["version"], 3);
}

#[test]
fn utf8_positions_when_negotiated() {
    let mut server = Server::start();
    server.initialize(json!({ "general": { "positionEncodings": ["utf-8"] } }), Value::Null);
    let uri = "file:///tmp/flake-lsp-e2e/utf8.nix";
    server.open(uri, "[ \"é😀\" x ]");
    let diags = server.diagnostics(uri, 1);
    // é is 2 bytes and the emoji 4: `x` starts at byte 11.
    assert_eq!(summary(&diags), ["0:11 undefined_name"]);
}

#[test]
fn thousands_of_edits_sent_back_to_back_keep_the_text_in_sync() {
    let mut server = Server::start();
    server.init();
    let uri = "file:///tmp/flake-lsp-e2e/ordering.nix";
    let mut client_text = String::from("[\n]");
    server.open(uri, &client_text);
    let edits = 3000;
    let mut line = 1;
    for version in 2..=edits + 1 {
        // Alternate inserting a multi-byte element on a new line and deleting a character.
        let i = version as usize;
        let (range, text) = if i.is_multiple_of(3) && line > 1 {
            // Delete the last character of the previous element line ("ü" or a digit).
            let prev = client_text.lines().nth(line - 1).unwrap().to_string();
            let units: usize = prev.encode_utf16().count();
            let last_units = prev.chars().last().unwrap().len_utf16();
            let start = units - last_units;
            let byte_line_start: usize = client_text.lines().take(line - 1).map(|l| l.len() + 1).sum();
            let last_len = prev.chars().last().unwrap().len_utf8();
            client_text
                .replace_range(byte_line_start + prev.len() - last_len..byte_line_start + prev.len(), "");
            (
                json!({ "start": { "line": line - 1, "character": start }, "end": { "line": line - 1, "character": units } }),
                String::new(),
            )
        } else {
            let inserted = format!("  \"ü{i}😀\" {i}ü\n");
            let byte_line_start: usize = client_text.lines().take(line).map(|l| l.len() + 1).sum();
            client_text.insert_str(byte_line_start, &inserted);
            let pos = json!({ "line": line, "character": 0 });
            line += 1;
            (json!({ "start": pos, "end": pos }), inserted)
        };
        server.change(uri, version, json!([{ "range": range, "text": text }]));
    }
    let text = server.request("flake/documentText", json!({ "textDocument": { "uri": uri } }));
    assert_eq!(text["version"], edits + 1);
    assert_eq!(text["text"].as_str().unwrap(), client_text);
    // The last version's diagnostics arrive too.
    server.diagnostics(uri, (edits + 1) as i64);
}

#[test]
fn bad_input_gets_errors_not_crashes() {
    let mut server = Server::start();
    server.init();
    // An unknown request.
    let id = server.request_async("flake/noSuchThing", json!({}));
    assert_eq!(server.response(id)["error"]["code"], -32601);
    // Malformed JSON.
    server.send_raw(b"{ this is not json");
    let error = server.wait_for(|m| m["error"]["code"] == -32700);
    assert!(error["error"]["message"].as_str().unwrap().contains("not JSON"), "{error}");
    // Invalid UTF-8 in a body.
    server.send_raw(b"{\"jsonrpc\": \"2.0\", \"method\": \"\xff\"}");
    server.wait_for(|m| {
        m["error"]["code"] == -32700 && m["error"]["message"].as_str().unwrap().contains("UTF-8")
    });
    // JSON that is not a JSON-RPC message.
    server.send_raw(b"[1, 2]");
    server.wait_for(|m| {
        m["error"]["code"] == -32700 && m["error"]["message"].as_str().unwrap().contains("JSON-RPC")
    });
    // A request for a document that is neither open nor on disk.
    let id = server.request_async(
        "flake/documentText",
        json!({ "textDocument": { "uri": "file:///nonexistent/x.nix" } }),
    );
    let response = server.response(id);
    assert!(response["error"]["message"].as_str().unwrap().contains("cannot read"), "{response}");
    // Edits with positions past the end are clamped.
    let uri = "file:///tmp/flake-lsp-e2e/range.nix";
    server.open(uri, "{ a = 1; }");
    server.change(uri, 2, json!([{ "range": { "start": { "line": 40, "character": 3 }, "end": { "line": 99, "character": 0 } }, "text": " # end" }]));
    let text = server.request("flake/documentText", json!({ "textDocument": { "uri": uri } }));
    assert_eq!(text["text"], "{ a = 1; } # end");
    // A change for a document that is not open, and an old version: ignored.
    server.change("file:///tmp/flake-lsp-e2e/never-opened.nix", 2, json!([{ "text": "x" }]));
    server.change(uri, 1, json!([{ "text": "stale" }]));
    let text = server.request("flake/documentText", json!({ "textDocument": { "uri": uri } }));
    assert_eq!(text["text"], "{ a = 1; } # end");
    // Broken Nix in every way still gets diagnostics.
    let uri = "file:///tmp/flake-lsp-e2e/broken.nix";
    server.open(uri, "{ a = [ 1 2 ; b = let in ''x ${ ; }} \u{0} more");
    assert!(!server.diagnostics(uri, 1).is_empty());
    assert!(server.shutdown().success());
}

#[test]
fn files_not_open_are_read_from_disk_even_when_not_utf8() {
    let dir = std::env::temp_dir().join(format!("flake-lsp-e2e-disk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("latin1.nix");
    std::fs::write(&path, b"\"caf\xe9\"").unwrap();
    let mut server = Server::start();
    server.init();
    let text = server.request("flake/documentText", json!({ "textDocument": { "uri": file_uri(&path) } }));
    assert_eq!(text["text"], "\"caf\u{fffd}\"");
    assert_eq!(text["open"], false);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_ten_megabyte_file_is_diagnosed() {
    let mut server = Server::start();
    server.init();
    let uri = "file:///tmp/flake-lsp-e2e/big.nix";
    let mut text = String::from("let\n");
    let mut i = 0;
    while text.len() < 10 * 1024 * 1024 {
        text.push_str(&format!(
            "  binding{i} = {{ name = \"é{i}\"; value = binding{} + 1; }};\n",
            i.max(1) - 1
        ));
        i += 1;
    }
    text.push_str("  forgotten = 1;\n");
    text.push_str(&format!("in binding{}\n", i - 1));
    server.open(uri, &text);
    let diags = server.diagnostics(uri, 1);
    // Each binding is used by the next, the last is the result: only `forgotten` is unused.
    let forgotten = format!("{}:2 unused_binding", i + 1);
    assert_eq!(summary(&diags), std::slice::from_ref(&forgotten));
    // Edits, parsed again only where they are (the file is parsed in pieces): a binding in
    // the middle broken by a change of a range, then the whole text sent again, fixed, with
    // a `;` after the expression.
    let middle = i / 2;
    server.change(
        uri,
        2,
        json!([{ "range": { "start": { "line": middle + 1, "character": 2 }, "end": { "line": middle + 1, "character": 2 } }, "text": "(" }]),
    );
    let broken = summary(&server.diagnostics(uri, 2));
    assert!(broken.iter().any(|d| d.ends_with("syntax_error")), "{broken:?}");
    assert!(
        broken.iter().all(|d| d.split(':').next().unwrap().parse::<usize>().unwrap() > middle),
        "{broken:?}"
    );
    server.change(uri, 3, json!([{ "text": format!("{text};") }]));
    let after = summary(&server.diagnostics(uri, 3));
    assert_eq!(after.len(), 2, "{after:?}");
    assert_eq!(after[0], forgotten);
    assert!(after[1].starts_with(&format!("{}:", i + 3)) && after[1].ends_with("syntax_error"), "{after:?}");
    server.change(uri, 4, json!([{ "text": text }]));
    assert_eq!(summary(&server.diagnostics(uri, 4)), [forgotten]);
    assert!(server.shutdown().success());
}

#[test]
fn diagnostics_can_be_silenced_by_code() {
    let Some((uri, text)) = seed("000-devops-renaissance") else { return };
    let mut server = Server::start();
    server.initialize(json!({}), json!({ "diagnostics": { "disabled": ["unused_binding"] } }));
    server.open(&uri, &text);
    assert_eq!(summary(&server.diagnostics(&uri, 1)), ["57:6 deprecated_dev_shell"]);
    // Changing the setting re-publishes.
    server.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": { "flakeLsp": { "diagnostics": { "disabled": ["deprecated_dev_shell"] } } } }),
    );
    let message = server.wait_for(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && summary(m["params"]["diagnostics"].as_array().unwrap()) == ["15:6 unused_binding"]
    });
    assert_eq!(message["params"]["version"], 1);
}

#[test]
fn closing_a_document_clears_its_diagnostics() {
    let mut server = Server::start();
    server.init();
    let uri = "file:///tmp/flake-lsp-e2e/close.nix";
    server.open(uri, "x");
    assert_eq!(server.diagnostics(uri, 1).len(), 1);
    server.notify("textDocument/didClose", json!({ "textDocument": { "uri": uri } }));
    let cleared = server.wait_for(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == uri
            && m["params"]["diagnostics"] == json!([])
    });
    assert!(cleared["params"].get("version").is_none_or(|v| v.is_null()));
}

#[test]
fn flake_structure_errors_over_lsp() {
    let mut server = Server::start();
    server.init();
    let uri = "file:///tmp/flake-lsp-e2e/bad/flake.nix";
    server.open(uri, "{\n  inputs.nixpkgs.url = \"github:NixOS/nixpkgs\";\n  outputs = { self }: { };\n  version = 2;\n}\n");
    let diags = server.diagnostics(uri, 1);
    assert_eq!(summary(&diags), ["1:9 outputs_missing_input", "3:2 unknown_flake_attribute"]);
}

#[test]
fn a_panic_in_a_handler_becomes_an_error_response() {
    let mut server = Server::start_with(&[("FLAKE_LSP_TEST_HOOKS", "1")]);
    server.init();
    let id = server.request_async("flake/debug/panic", json!({}));
    let response = server.response(id);
    assert_eq!(response["error"]["code"], -32603, "{response}");
    assert!(response["error"]["message"].as_str().unwrap().contains("panic requested"), "{response}");
    // The server carries on.
    let uri = "file:///tmp/flake-lsp-e2e/after-panic.nix";
    server.open(uri, "y");
    assert_eq!(summary(&server.diagnostics(uri, 1)), ["0:0 undefined_name"]);
    assert!(server.shutdown().success());
    // Without the hook the method does not exist.
    let mut server = Server::start();
    server.init();
    let id = server.request_async("flake/debug/panic", json!({}));
    assert_eq!(server.response(id)["error"]["code"], -32601);
}
