//! A filter in front of stdin. tokio-util's framed reader, which tower-lsp uses, ends the
//! stream at the first body that is not JSON, so one malformed message would silently stop
//! the server. Here each frame is read by its `Content-Length` and checked; a frame that is
//! not JSON (or has no usable header) is replaced by the internal notification
//! [`MALFORMED`], which the ordering service answers with a JSON-RPC parse error.
//!
//! The text of a large document (`didOpen`, `didChange`) is taken out of its message here and
//! kept in the [`Stash`]; the message goes on with a marker in its place, which the ordering
//! service swaps back for the text. tower-lsp reads each message twice (into a buffer of its
//! own, then into a JSON tree), and the ordering service reads the parameters once more: on a
//! 6 MB file that was 30 ms between the last byte in and the document stored, which now reads
//! the text once.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream};
use tower_lsp::jsonrpc::{Request, Response};

pub const MALFORMED: &str = "flake/$malformedMessage";

/// Bodies larger than this are refused (and skipped) rather than buffered.
const MAX_BODY: usize = 256 * 1024 * 1024;

pub fn sanitize(input: impl AsyncRead + Unpin + Send + 'static, stash: Arc<Stash>) -> DuplexStream {
    let (mut writer, reader) = tokio::io::duplex(1 << 20);
    tokio::spawn(async move {
        let mut input = BufReader::new(input);
        while let Some(frame) = next_frame(&mut input, &stash).await {
            let body = match frame {
                Ok(body) => body,
                Err(reason) => {
                    log::warn!("malformed message from the client: {reason}");
                    serde_json::to_vec(
                        &json!({ "jsonrpc": "2.0", "method": MALFORMED, "params": { "reason": reason } }),
                    )
                    .unwrap_or_default()
                }
            };
            let header = format!("Content-Length: {}\r\n\r\n", body.len());
            if writer.write_all(header.as_bytes()).await.is_err() || writer.write_all(&body).await.is_err() {
                return;
            }
        }
    });
    reader
}

/// The next frame's body, an error saying why it is unusable, or `None` at the end of input.
async fn next_frame(
    input: &mut (impl AsyncRead + AsyncBufReadExt + Unpin),
    stash: &Stash,
) -> Option<Result<Vec<u8>, String>> {
    let mut length: Option<Result<usize, String>> = None;
    let mut saw_header = false;
    loop {
        let mut line = Vec::new();
        if input.read_until(b'\n', &mut line).await.ok()? == 0 {
            return None;
        }
        let line = String::from_utf8_lossy(&line);
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            if saw_header {
                break;
            }
            continue;
        }
        saw_header = true;
        if let Some((name, value)) = line.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                length = Some(
                    value
                        .trim()
                        .parse::<usize>()
                        .map_err(|_| format!("bad Content-Length `{}`", value.trim())),
                );
            }
        }
    }
    let length = match length {
        Some(Ok(n)) => n,
        Some(Err(e)) => return Some(Err(e)),
        None => return Some(Err("a message without Content-Length".to_string())),
    };
    if length > MAX_BODY {
        let skipped = tokio::io::copy(&mut input.take(length as u64), &mut tokio::io::sink()).await.ok()?;
        if skipped < length as u64 {
            return None;
        }
        return Some(Err(format!("a message of {length} bytes, more than the {MAX_BODY} accepted")));
    }
    let mut body = vec![0; length];
    input.read_exact(&mut body).await.ok()?;
    let body = stash.take_texts(body);
    Some(check_message(&body).map(|_| body))
}

/// The texts of large documents taken out of their messages, until the ordering service
/// puts them back ([`Stash::put_back`]).
pub struct Stash {
    /// Starts every marker: unlikely in a text, and different in each server.
    prefix: String,
    next: std::sync::atomic::AtomicU64,
    texts: std::sync::Mutex<HashMap<String, String>>,
}

impl Default for Stash {
    fn default() -> Stash {
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        Stash {
            prefix: format!("\u{0}flake-lsp text {}-{nanos}:", std::process::id()),
            next: Default::default(),
            texts: Default::default(),
        }
    }
}

impl Stash {
    /// The body with the text of a large `didOpen` or `didChange` in the stash and a marker in
    /// its place; any other body (or one that is not JSON) as it is.
    fn take_texts(&self, body: Vec<u8>) -> Vec<u8> {
        if body.len() < LARGE {
            return body;
        }
        let Ok(mut message) = serde_json::from_slice::<serde_json::Value>(&body) else { return body };
        let mut texts: Vec<&mut serde_json::Value> = Vec::new();
        match message.get("method").and_then(|m| m.as_str()) {
            Some("textDocument/didOpen") => texts.extend(message.pointer_mut("/params/textDocument/text")),
            Some("textDocument/didChange") => {
                if let Some(changes) =
                    message.pointer_mut("/params/contentChanges").and_then(|c| c.as_array_mut())
                {
                    texts.extend(changes.iter_mut().filter_map(|c| c.get_mut("text")));
                }
            }
            _ => return body,
        }
        let mut taken = Vec::new();
        for text in texts {
            if let serde_json::Value::String(text) = text {
                if text.len() >= LARGE {
                    let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let marker = format!("{}{n}", self.prefix);
                    taken.push((marker.clone(), std::mem::replace(text, marker)));
                }
            }
        }
        // Only a message tower-lsp takes reaches the ordering service to have its text put
        // back; any other goes on whole, to be refused.
        match serde_json::to_vec(&message) {
            Ok(small) if !taken.is_empty() && check_message(&small).is_ok() => {
                self.texts.lock().unwrap_or_else(|e| e.into_inner()).extend(taken);
                small
            }
            _ => body,
        }
    }

    /// Forgets the texts whose markers are anywhere in `value` (parameters that could not be
    /// read as the message's).
    pub fn forget_in(&self, value: &serde_json::Value) {
        match value {
            serde_json::Value::String(text) if text.starts_with(&self.prefix) => {
                self.texts.lock().unwrap_or_else(|e| e.into_inner()).remove(text.as_str());
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| self.forget_in(v)),
            serde_json::Value::Object(map) => map.values().for_each(|v| self.forget_in(v)),
            _ => {}
        }
    }

    #[cfg(test)]
    fn held(&self) -> usize {
        self.texts.lock().unwrap().len()
    }

    /// Puts back the text a marker stands for (and leaves any other text as it is).
    pub fn put_back(&self, text: &mut String) {
        if text.starts_with(&self.prefix) {
            if let Some(whole) = self.texts.lock().unwrap_or_else(|e| e.into_inner()).remove(text.as_str()) {
                *text = whole;
            }
        }
    }
}

/// From this size on, a request (the opening or the change of a large file) is checked without
/// reading its `params` into a tree: tower-lsp reads the body twice more, and on a 6 MB file the
/// check was a third of the time between the last byte in and the analysis starting.
const LARGE: usize = 64 * 1024;

/// A request as tower-lsp's `Request` reads it (the same fields, none denied, `method` a string,
/// `jsonrpc` "2.0"), with `params` checked to be JSON and thrown away.
#[derive(serde::Deserialize)]
struct LargeRequest {
    #[serde(rename = "jsonrpc")]
    _jsonrpc: JsonRpc2,
    #[serde(default, rename = "method")]
    _method: String,
    #[serde(default, rename = "params")]
    _params: Option<serde::de::IgnoredAny>,
    #[serde(default, rename = "id")]
    _id: Option<tower_lsp::jsonrpc::Id>,
}

/// `"2.0"`, the only version tower-lsp takes.
struct JsonRpc2;

impl<'de> serde::Deserialize<'de> for JsonRpc2 {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let version = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        match version.as_ref() {
            "2.0" => Ok(JsonRpc2),
            _ => Err(serde::de::Error::custom("expected JSON-RPC version \"2.0\"")),
        }
    }
}

/// Whether tower-lsp will accept the body: UTF-8, JSON, and a request, notification or response.
/// Read straight into each shape (a `didOpen` of a large file is megabytes: no tree of it is
/// built to be copied).
fn check_message(body: &[u8]) -> Result<(), String> {
    std::str::from_utf8(body).map_err(|e| format!("the body is not UTF-8: {e}"))?;
    if body.len() >= LARGE && serde_json::from_slice::<LargeRequest>(body).is_ok() {
        return Ok(());
    }
    if serde_json::from_slice::<Request>(body).is_ok() || serde_json::from_slice::<Response>(body).is_ok() {
        return Ok(());
    }
    serde_json::from_slice::<serde::de::IgnoredAny>(body)
        .map_err(|e| format!("the body is not JSON: {e}"))?;
    Err("the body is not a JSON-RPC 2.0 request, notification or response".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn malformed_frames_become_notifications_and_the_stream_goes_on() {
        let ok = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
        let input = format!(
            "Content-Length: {}\r\n\r\n{ok}Content-Length: 3\r\n\r\n{{x}}Content-Length: 2\r\n\r\n[]garbage\r\n\r\n",
            ok.len()
        );
        let input = std::io::Cursor::new(input.into_bytes());
        let mut out = String::new();
        sanitize(input, Default::default()).read_to_string(&mut out).await.unwrap();
        let bodies: Vec<&str> = out
            .split("Content-Length: ")
            .filter(|s| !s.is_empty())
            .map(|s| s.split("\r\n\r\n").nth(1).unwrap())
            .collect();
        assert_eq!(bodies[0], ok);
        assert!(bodies[1].contains(MALFORMED) && bodies[1].contains("not JSON"), "{}", bodies[1]);
        assert!(bodies[2].contains("not a JSON-RPC 2.0 request"), "{}", bodies[2]);
        assert!(bodies[3].contains("without Content-Length"), "{}", bodies[3]);
        assert_eq!(bodies.len(), 4);
    }

    /// A large request is taken or refused as tower-lsp's own reading takes or refuses it.
    #[test]
    fn a_large_request_is_checked_as_tower_lsp_reads_it() {
        let text = "x".repeat(LARGE);
        let bodies = [
            format!(r#"{{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{{"text":"{text}"}}}}"#),
            format!(r#"{{"jsonrpc":"2.0","id":7,"method":"m","params":["{text}"],"extra":1}}"#),
            format!(r#"{{"jsonrpc":"2.0","id":null,"method":"m","params":null,"pad":"{text}"}}"#),
            format!(r#"{{"jsonrpc":"1.0","method":"m","params":{{"text":"{text}"}}}}"#),
            format!(r#"{{"jsonrpc":"2.0","method":5,"params":{{"text":"{text}"}}}}"#),
            format!(r#"{{"jsonrpc":"2.0","id":{{}},"method":"m","params":{{"text":"{text}"}}}}"#),
            format!(r#"{{"jsonrpc":"2.0","method":"m","params":{{"text":"{text}"}},"params":1}}"#),
            format!(r#"{{"jsonrpc":"2.0","method":"m","params":{{"text":"{text}\q"}}}}"#),
            format!(r#"{{"jsonrpc":"2.0","method":"m","params":{{"text":"{text}"}}"#),
            format!(r#"{{"method":"m","params":{{"text":"{text}"}}}}"#),
        ];
        for (i, body) in bodies.iter().enumerate() {
            let lean = serde_json::from_slice::<LargeRequest>(body.as_bytes()).is_ok();
            let tower = serde_json::from_slice::<Request>(body.as_bytes()).is_ok();
            assert_eq!(lean, tower, "body {i}");
            assert_eq!(check_message(body.as_bytes()).is_ok(), tower, "body {i}");
        }
        assert!(check_message(bodies[0].as_bytes()).is_ok());
    }

    /// The text of a large document goes through the stash and comes back whole; small ones
    /// and other messages pass as they are.
    #[tokio::test]
    async fn a_large_text_is_stashed_and_put_back() {
        let stash = Arc::new(Stash::default());
        let text = format!("{{ a = \"\\n\"; }}\n{}", "#".repeat(LARGE));
        let open = serde_json::to_string(&json!({
            "jsonrpc": "2.0", "method": "textDocument/didOpen",
            "params": { "textDocument": { "uri": "file:///a.nix", "languageId": "nix", "version": 1, "text": text } }
        }))
        .unwrap();
        let small = r#"{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///b.nix","languageId":"nix","version":1,"text":"{ }"}}}"#;
        let input = format!(
            "Content-Length: {}\r\n\r\n{open}Content-Length: {}\r\n\r\n{small}",
            open.len(),
            small.len()
        );
        let mut out = String::new();
        sanitize(std::io::Cursor::new(input.into_bytes()), stash.clone())
            .read_to_string(&mut out)
            .await
            .unwrap();
        let bodies: Vec<&str> = out
            .split("Content-Length: ")
            .filter(|s| !s.is_empty())
            .map(|s| s.split("\r\n\r\n").nth(1).unwrap())
            .collect();
        assert_eq!(bodies[1], small);
        assert!(bodies[0].len() < 1000, "the text went to the stash: {}", bodies[0].len());
        let message: serde_json::Value = serde_json::from_str(bodies[0]).unwrap();
        let mut marker = message["params"]["textDocument"]["text"].as_str().unwrap().to_string();
        stash.put_back(&mut marker);
        assert_eq!(marker, text);
        let mut again = message["params"]["textDocument"]["text"].as_str().unwrap().to_string();
        stash.put_back(&mut again);
        assert_ne!(again, text, "a text is put back once");
        assert_eq!(stash.held(), 0);
        // A message tower-lsp would refuse keeps its text, and nothing stays in the stash.
        let refused = open.replace("\"2.0\"", "\"1.0\"");
        assert_eq!(stash.take_texts(refused.clone().into_bytes()), refused.into_bytes());
        assert_eq!(stash.held(), 0);
        // Parameters that cannot be read: their text is forgotten.
        let taken: serde_json::Value =
            serde_json::from_slice(&stash.take_texts(open.clone().into_bytes())).unwrap();
        assert_eq!(stash.held(), 1);
        stash.forget_in(&taken["params"]);
        assert_eq!(stash.held(), 0);
    }
}
