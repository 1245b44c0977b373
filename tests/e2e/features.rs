//! Language features over stdio on the seed flakes: completion, hover, navigation, rename,
//! structure, quick fixes and formatting, as an editor would ask for them.

use serde_json::{json, Value};

use crate::support::*;

/// The seed flake `name`'s URI and text. None only when `../shared` is missing and
/// `FLAKE_LSP_NO_SHARED` is set (SKIPPED printed); missing otherwise, the test fails.
fn seed(name: &str) -> Option<(String, String)> {
    let path = seeds()?.join(name).join("flake.nix");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Some((file_uri(&path), text))
}

/// The LSP position (UTF-16) of the `nth` occurrence of `needle` in `text`, plus `delta` chars.
fn pos(text: &str, needle: &str, nth: usize, delta: usize) -> Value {
    let at = text.match_indices(needle).nth(nth).unwrap_or_else(|| panic!("`{needle}` #{nth} in the text")).0;
    let at = text[at..].char_indices().nth(delta).map_or(text.len(), |(i, _)| at + i);
    let line = text[..at].matches('\n').count();
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let character: usize = text[line_start..at].chars().map(char::len_utf16).sum();
    json!({ "line": line, "character": character })
}

fn offset(text: &str, pos: &Value) -> usize {
    let line = pos["line"].as_u64().unwrap() as usize;
    let character = pos["character"].as_u64().unwrap() as usize;
    let start = text.split_inclusive('\n').take(line).map(str::len).sum::<usize>();
    let mut units = 0;
    for (i, c) in text[start..].char_indices() {
        if units >= character || c == '\n' {
            return start + i;
        }
        units += c.len_utf16();
    }
    text.len()
}

/// Applies LSP text edits (non-overlapping, any order).
fn apply(text: &str, edits: &[Value]) -> String {
    let mut spans: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| {
            (
                offset(text, &e["range"]["start"]),
                offset(text, &e["range"]["end"]),
                e["newText"].as_str().unwrap(),
            )
        })
        .collect();
    spans.sort();
    let mut out = String::new();
    let mut at = 0;
    for (start, end, new) in spans {
        out.push_str(&text[at..start]);
        out.push_str(new);
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

fn labels(result: &Value) -> Vec<String> {
    let items = if result.is_array() { result } else { &result["items"] };
    let mut items: Vec<&Value> = items.as_array().map(|a| a.iter().collect()).unwrap_or_default();
    items.sort_by_key(|i| i["sortText"].as_str().unwrap_or("").to_string());
    items.iter().map(|i| i["label"].as_str().unwrap().to_string()).collect()
}

fn complete(server: &mut Server, uri: &str, at: Value) -> Value {
    server.request("textDocument/completion", json!({ "textDocument": { "uri": uri }, "position": at }))
}

fn hover_text(server: &mut Server, uri: &str, at: Value) -> String {
    let result =
        server.request("textDocument/hover", json!({ "textDocument": { "uri": uri }, "position": at }));
    result["contents"]["value"].as_str().unwrap_or_default().to_string()
}

/// Asserts that Nix's own parser, 2.8's and 2.34's, accepts `text`. Without both Nix versions
/// the test fails, unless `FLAKE_LSP_NO_NIX` is set (then SKIPPED is printed).
fn assert_nix_parses(text: &str, what: &str) {
    let dir = tempdir();
    let file = dir.join("fixed.nix");
    std::fs::write(&file, text).unwrap();
    for parser in nix_instantiates() {
        let out = parser.command().arg("--parse").arg(&file).output().expect("nix-instantiate starts");
        assert!(
            out.status.success(),
            "{what}: {} --parse refuses it: {}\n{text}",
            parser.name,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempdir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "flake-lsp-e2e-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn capabilities_announce_the_language_features() {
    let mut server = Server::start();
    let caps = server.init()["capabilities"].clone();
    for key in [
        "completionProvider",
        "hoverProvider",
        "definitionProvider",
        "referencesProvider",
        "documentHighlightProvider",
        "renameProvider",
        "documentSymbolProvider",
        "foldingRangeProvider",
        "selectionRangeProvider",
        "semanticTokensProvider",
        "documentLinkProvider",
        "codeActionProvider",
        "documentFormattingProvider",
        "documentRangeFormattingProvider",
    ] {
        assert!(!caps[key].is_null(), "{key} announced");
    }
    assert_eq!(caps["renameProvider"]["prepareProvider"], true);
    let legend = &caps["semanticTokensProvider"]["legend"];
    assert!(legend["tokenTypes"].as_array().unwrap().contains(&json!("keyword")));
}

#[test]
fn completion_on_a_seed_flake() {
    let mut server = Server::start();
    server.init();
    let Some((uri, text)) = seed("000-devops-renaissance") else { return };
    server.open(&uri, &text);

    // A name in scope, typed halfway: the let bindings come first.
    let at = pos(&text, "isLinux then linuxDevShell", 0, 2);
    let names = labels(&complete(&mut server, &uri, at));
    let linux = names.iter().position(|n| n == "isLinux").expect("isLinux offered");
    let darwin = names.iter().position(|n| n == "isDarwin").expect("isDarwin offered");
    let import = names.iter().position(|n| n == "import").expect("builtins offered too");
    assert!(linux < import && darwin < import, "bindings before builtins: {names:?}");

    // After `builtins.`: the builtins.
    let at = pos(&text, "builtins.pathExists", 0, "builtins.".len());
    let names = labels(&complete(&mut server, &uri, at));
    assert!(names.contains(&"pathExists".to_string()) && names.contains(&"readFile".to_string()));
    assert!(!names.contains(&"let".to_string()), "no keywords after a dot");

    // A new attribute in a `mkShell { }` call: the arguments not yet written.
    let at = pos(&text, "buildInputs = commonPackages;", 0, 0);
    let mut edited = text.clone();
    let insert_at = offset(&edited, &at);
    edited.insert_str(insert_at, "\n        ");
    server.change(&uri, 2, json!([{ "text": edited }]));
    let at = pos(&edited, "\n        \n", 0, 9);
    let names = labels(&complete(&mut server, &uri, at));
    assert_eq!(names.first().map(String::as_str), Some("packages"), "{names:?}");
    assert!(names.contains(&"nativeBuildInputs".to_string()) && names.contains(&"inputsFrom".to_string()));
    assert!(!names.contains(&"shellHook".to_string()), "shellHook is already there: {names:?}");

    // A URL scheme inside a new input's url string.
    let edited = text.replacen("  inputs = {\n", "  inputs = {\n    foo.url = \"gi\";\n", 1);
    server.change(&uri, 3, json!([{ "text": edited }]));
    let result = complete(&mut server, &uri, pos(&edited, "\"gi\"", 0, 3));
    let names = labels(&result);
    assert!(names.contains(&"github:".to_string()) && names.contains(&"git+https:".to_string()), "{names:?}");

    // A top-level key: those not written yet.
    let edited = text.replacen("{\n", "{\n  \n", 1);
    server.change(&uri, 4, json!([{ "text": edited }]));
    let names = labels(&complete(&mut server, &uri, json!({ "line": 1, "character": 2 })));
    assert!(names.contains(&"description".to_string()) && names.contains(&"nixConfig".to_string()));
    assert!(!names.contains(&"inputs".to_string()), "inputs is already there: {names:?}");
}

#[test]
fn hover_on_builtins_bindings_and_schema_keys() {
    let mut server = Server::start();
    server.init();
    let Some((uri, text)) = seed("000-devops-renaissance") else { return };
    server.open(&uri, &text);

    let builtin = hover_text(&mut server, &uri, pos(&text, "pathExists", 0, 3));
    assert!(builtin.contains("pathExists"), "{builtin}");

    let binding = hover_text(&mut server, &uri, pos(&text, "commonPackages;", 0, 3));
    assert!(binding.contains("commonPackages") && binding.contains("let"), "{binding}");

    let deprecated = hover_text(&mut server, &uri, pos(&text, "devShell =", 0, 2));
    assert!(deprecated.contains("devShells"), "{deprecated}");

    let inputs = hover_text(&mut server, &uri, pos(&text, "inputs = {", 0, 1));
    assert!(inputs.contains("dependencies"), "{inputs}");
}

#[test]
fn definition_references_and_rename() {
    let mut server = Server::start();
    server.init();
    let Some((uri, text)) = seed("000-devops-renaissance") else { return };
    server.open(&uri, &text);
    let use_site = pos(&text, "commonPackages ++", 0, 2);
    let def_site = pos(&text, "commonPackages = with", 0, 0);

    let links = server
        .request("textDocument/definition", json!({ "textDocument": { "uri": uri }, "position": use_site }));
    assert_eq!(links[0]["targetSelectionRange"]["start"], def_site);

    let refs = server.request(
        "textDocument/references",
        json!({ "textDocument": { "uri": uri }, "position": use_site, "context": { "includeDeclaration": true } }),
    );
    assert_eq!(refs.as_array().unwrap().len(), 3, "{refs}");

    let prepared = server.request(
        "textDocument/prepareRename",
        json!({ "textDocument": { "uri": uri }, "position": use_site }),
    );
    assert_eq!(prepared["start"], pos(&text, "commonPackages ++", 0, 0));

    let edit = server.request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": uri }, "position": use_site, "newName": "basePackages" }),
    );
    let edits = edit["changes"][&uri].as_array().unwrap();
    let renamed = apply(&text, edits);
    assert_eq!(renamed.matches("basePackages").count(), 3);
    assert!(!renamed.contains("commonPackages"));
    assert_nix_parses(&renamed, "the renamed file");

    // Renaming onto another binding of the same scope is refused, with the reason.
    let id = server.request_async(
        "textDocument/rename",
        json!({ "textDocument": { "uri": uri }, "position": use_site, "newName": "isLinux" }),
    );
    let refused = server.response(id);
    let message = refused["error"]["message"].as_str().expect("an error");
    assert!(message.contains("isLinux"), "{message}");
}

#[test]
fn quick_fixes_remove_every_deprecated_output_of_the_seeds() {
    let mut server = Server::start();
    server.init();
    for name in ["000-devops-renaissance", "001-code-as-infrastructure", "001-code-as-infrastructure.windows"]
    {
        let Some((uri, text)) = seed(name) else { return };
        server.open(&uri, &text);
        let diags = server.diagnostics(&uri, 1);
        let deprecated =
            diags.iter().find(|d| d["code"] == "deprecated_dev_shell").expect("a deprecated devShell");
        let actions = server.request(
            "textDocument/codeAction",
            json!({
                "textDocument": { "uri": uri },
                "range": deprecated["range"],
                "context": { "diagnostics": [deprecated] }
            }),
        );
        let fix = actions
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["kind"] == "quickfix" && a["diagnostics"][0]["code"] == "deprecated_dev_shell")
            .unwrap_or_else(|| panic!("a quick fix for devShell in {name}: {actions}"));
        let fixed = apply(&text, fix["edit"]["changes"][&uri].as_array().unwrap());
        assert!(fixed.contains("devShells"), "{name}: {fixed}");
        assert_nix_parses(&fixed, &format!("{name}: the fixed file"));
        server.change(&uri, 2, json!([{ "text": fixed }]));
        let after = server.diagnostics(&uri, 2);
        assert!(
            after.iter().all(|d| !d["code"].as_str().unwrap().starts_with("deprecated_")),
            "{name}: {}",
            summary(&after).join(", ")
        );
        assert!(after.iter().all(|d| d["severity"] != 1), "{name}: no errors after the fix");
    }
}

#[test]
fn structure_symbols_folding_selection_links_and_tokens() {
    let mut server = Server::start();
    server.init();
    let Some((uri, text)) = seed("000-devops-renaissance") else { return };
    server.open(&uri, &text);
    let doc = json!({ "textDocument": { "uri": uri } });

    let symbols = server.request("textDocument/documentSymbol", doc.clone());
    let top: Vec<&str> = symbols.as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(top, ["inputs", "outputs"]);
    let inputs: Vec<&str> =
        symbols[0]["children"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(inputs, ["nixpkgs", "flake-utils"]);

    let folds = server.request("textDocument/foldingRange", doc.clone());
    assert!(folds.as_array().unwrap().iter().any(|f| f["startLine"] == 1), "the inputs set folds: {folds}");

    let at = pos(&text, "commonPackages ++", 0, 3);
    let ranges = server
        .request("textDocument/selectionRange", json!({ "textDocument": { "uri": uri }, "positions": [at] }));
    let first = &ranges[0];
    assert_eq!(first["range"]["start"], pos(&text, "commonPackages ++", 0, 0));
    assert!(!first["parent"].is_null(), "wider ranges follow");

    let links = server.request("textDocument/documentLink", doc.clone());
    let targets: Vec<&str> = links.as_array().unwrap().iter().filter_map(|l| l["target"].as_str()).collect();
    assert!(targets.contains(&"https://github.com/numtide/flake-utils"), "{targets:?}");

    let full = server.request("textDocument/semanticTokens/full", doc.clone());
    let data = full["data"].as_array().unwrap();
    assert!(data.len() > 100 && data.len().is_multiple_of(5), "{} numbers", data.len());
    // The first token is `inputs` on line 1, an attribute name (property).
    let legend = server_legend();
    assert_eq!(data[0], 1);
    assert_eq!(legend[data[3].as_u64().unwrap() as usize], "property");

    let range = server.request(
        "textDocument/semanticTokens/range",
        json!({ "textDocument": { "uri": uri }, "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 5, "character": 0 } } }),
    );
    let partial = range["data"].as_array().unwrap().len();
    assert!(partial > 0 && partial < data.len(), "{partial} of {}", data.len());
}

fn server_legend() -> Vec<String> {
    let mut server = Server::start();
    let caps = server.init()["capabilities"].clone();
    caps["semanticTokensProvider"]["legend"]["tokenTypes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn formatting_with_the_builtin_formatter_and_a_command() {
    let mut server = Server::start();
    server.init();
    let dir = tempdir();
    let path = dir.join("messy.nix");
    let messy = "{a=1;   b = [1 2\n3];}\n";
    std::fs::write(&path, messy).unwrap();
    let uri = file_uri(&path);
    server.open(&uri, messy);
    let edits = server.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    let formatted = apply(messy, edits.as_array().unwrap());
    assert_ne!(formatted, messy);
    assert!(formatted.contains("a = 1;"), "{formatted}");
    // Formatting a formatted file changes nothing.
    server.change(&uri, 2, json!([{ "text": formatted }]));
    let again = server.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    assert_eq!(again, json!([]));

    // A broken file: an error response and a message the user sees.
    server.change(&uri, 3, json!([{ "text": "{ a = ; }" }]));
    let id = server.request_async(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    let response = server.response(id);
    assert!(response["error"]["message"].as_str().unwrap().contains("syntax error"), "{response}");
    let shown = server.notification("window/showMessage");
    assert!(shown["params"]["message"].as_str().unwrap().contains("syntax error"));

    // A configured command that does not exist: said so.
    server.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": { "flakeLsp": { "formatting": { "command": ["no-such-formatter-xyz"] } } } }),
    );
    server.change(&uri, 4, json!([{ "text": messy }]));
    let id = server.request_async(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    let response = server.response(id);
    assert!(response["error"]["message"].as_str().unwrap().contains("no-such-formatter-xyz"), "{response}");
}

#[test]
fn features_survive_out_of_range_positions_and_closed_documents() {
    let mut server = Server::start();
    server.init();
    let Some((uri, text)) = seed("000-devops-renaissance") else { return };
    server.open(&uri, &text);
    let far = json!({ "line": 9999, "character": 9999 });
    for method in ["textDocument/completion", "textDocument/hover", "textDocument/definition"] {
        let id = server.request_async(method, json!({ "textDocument": { "uri": uri }, "position": far }));
        let response = server.response(id);
        assert!(response.get("error").is_none(), "{method}: {response}");
    }
    // A file that is not open and does not exist: an error, not a crash.
    let id = server.request_async(
        "textDocument/hover",
        json!({ "textDocument": { "uri": "file:///nonexistent/flake.nix" }, "position": { "line": 0, "character": 0 } }),
    );
    let response = server.response(id);
    assert_eq!(response["error"]["code"], -32602, "{response}");
    assert!(server.shutdown().success());
}
