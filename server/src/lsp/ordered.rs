//! A service in front of tower-lsp's: it applies document changes in arrival order and turns a
//! panic in any handler into an error response, so one bad request never takes the server down.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::FutureExt;
use serde::de::DeserializeOwned;
use tower::Service;
use tower_lsp::jsonrpc::{Error, ErrorCode, Id, Request, Response};

use super::state::State;
use tower_lsp::lsp_types as lsp;

pub struct Ordered<S> {
    inner: S,
    state: Arc<State>,
    /// Where the transport put the texts of large documents.
    stash: Arc<super::transport::Stash>,
    shutdown_requested: bool,
}

impl<S> Ordered<S> {
    pub fn new(inner: S, state: Arc<State>, stash: Arc<super::transport::Stash>) -> Self {
        Ordered { inner, state, stash, shutdown_requested: false }
    }
}

fn params<P: DeserializeOwned>(req: &Request) -> Option<P> {
    // Read from the tree where it is (a large file's text is copied once, into `P`).
    P::deserialize(req.params()?).ok()
}

impl<S> Service<Request> for Ordered<S>
where
    S: Service<Request, Response = Option<Response>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Option<Response>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Option<Response>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        // `shutdown` and `exit` take no parameters; some clients send `"params": null`, which
        // tower-lsp would refuse.
        if matches!(req.method(), "shutdown" | "exit") && req.params().is_some_and(|p| p.is_null()) {
            let (method, id, _) = req.into_parts();
            let builder = Request::build(method);
            req = match id {
                Some(id) => builder.id(id).finish(),
                None => builder.finish(),
            };
        }
        match req.method() {
            super::transport::MALFORMED => {
                let reason =
                    req.params().and_then(|p| p["reason"].as_str()).unwrap_or("malformed").to_string();
                let error = Error { code: ErrorCode::ParseError, message: reason.into(), data: None };
                return Box::pin(std::future::ready(Ok(Some(Response::from_parts(Id::Null, Err(error))))));
            }
            "shutdown" => self.shutdown_requested = true,
            // tower-lsp's serve loop keeps waiting for input after `exit`: leave now, with the
            // status the specification asks for.
            "exit" => {
                // No Nix build or shellHook outlives the server.
                crate::children::kill_all();
                std::process::exit(if self.shutdown_requested { 0 } else { 1 })
            }
            _ => {}
        }
        // Runs synchronously, in the order messages arrive.
        let docs = &self.state.documents;
        match req.method() {
            "textDocument/didOpen" => match params::<lsp::DidOpenTextDocumentParams>(&req) {
                Some(mut p) => {
                    self.stash.put_back(&mut p.text_document.text);
                    docs.open(p)
                }
                None => self.stash.forget_in(req.params().unwrap_or(&serde_json::Value::Null)),
            },
            "textDocument/didChange" => match params::<lsp::DidChangeTextDocumentParams>(&req) {
                Some(mut p) => {
                    for change in &mut p.content_changes {
                        self.stash.put_back(&mut change.text);
                    }
                    docs.change(p, self.state.encoding())
                }
                None => self.stash.forget_in(req.params().unwrap_or(&serde_json::Value::Null)),
            },
            "textDocument/didClose" => {
                if let Some(p) = params(&req) {
                    docs.close(p)
                }
            }
            _ => {}
        }
        let id = req.id().cloned();
        let method = req.method().to_string();
        let future = self.inner.call(req);
        Box::pin(async move {
            match AssertUnwindSafe(future).catch_unwind().await {
                Ok(result) => result,
                Err(panic) => {
                    let what = panic_message(&panic);
                    log::error!("handler for {method} panicked: {what}");
                    Ok(id.map(|id| {
                        Response::from_parts(
                            id,
                            Err(Error {
                                code: ErrorCode::InternalError,
                                message: format!("internal error in {method}: {what}").into(),
                                data: None,
                            }),
                        )
                    }))
                }
            }
        })
    }
}

pub fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".to_string()
    }
}
