//! `$/progress` for long work, as an owned value. [`Progresses::begin`] makes a [`Progress`]
//! titled with what runs; it carries the flag its Cancel button sets, which the work reads, and
//! it ends when it is ended or dropped, whatever way the work finishes.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use dashmap::DashMap;
use tower_lsp::lsp_types::*;
use tower_lsp::Client;

/// A progress report from blocking work: a message and a percentage.
pub type Report = (Option<String>, Option<u32>);

/// Starts progress and routes the client's Cancel to it.
#[derive(Clone)]
pub struct Progresses {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    /// Whether the client shows progress (`window.workDoneProgress`).
    supported: AtomicBool,
    running: Running,
}

/// The progress under way, by token, with the flag Cancel sets.
#[derive(Default)]
struct Running {
    next: AtomicU64,
    flags: DashMap<String, Arc<AtomicBool>>,
}

impl Running {
    fn register(&self, cancel: Arc<AtomicBool>) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let token = format!("flake-lsp/progress/{n}");
        self.flags.insert(token.clone(), cancel);
        token
    }

    /// Sets the flag of the progress `token`; false when none is under way.
    fn cancel(&self, token: &NumberOrString) -> bool {
        let key = match token {
            NumberOrString::String(s) => s.clone(),
            NumberOrString::Number(n) => n.to_string(),
        };
        match self.flags.remove(&key) {
            Some((_, flag)) => {
                flag.store(true, Ordering::Release);
                true
            }
            None => false,
        }
    }

    fn finish(&self, token: &str) {
        self.flags.remove(token);
    }
}

impl Progresses {
    pub fn new(client: Client) -> Progresses {
        Progresses {
            inner: Arc::new(Inner { client, supported: AtomicBool::new(false), running: Running::default() }),
        }
    }

    pub fn set_supported(&self, supported: bool) {
        self.inner.supported.store(supported, Ordering::Release);
    }

    /// Begins progress titled `title` (what runs), with a cancel flag of its own.
    pub async fn begin(&self, title: impl Into<String>) -> Progress {
        self.begin_with(title, Arc::default()).await
    }

    /// Begins progress titled `title` whose Cancel sets `cancel`, a flag others may set too
    /// (a newer realisation stops an older one).
    pub async fn begin_with(&self, title: impl Into<String>, cancel: Arc<AtomicBool>) -> Progress {
        let mut progress = Progress { title: title.into(), cancel, shown: None };
        if !self.inner.supported.load(Ordering::Acquire) {
            return progress;
        }
        let name = self.inner.running.register(progress.cancel.clone());
        let token = NumberOrString::String(name.clone());
        let created = self
            .inner
            .client
            .send_request::<request::WorkDoneProgressCreate>(WorkDoneProgressCreateParams {
                token: token.clone(),
            })
            .await;
        if created.is_err() {
            self.inner.running.finish(&name);
            return progress;
        }
        self.notify(
            &token,
            WorkDoneProgress::Begin(WorkDoneProgressBegin {
                title: progress.title.clone(),
                cancellable: Some(true),
                message: None,
                percentage: None,
            }),
        )
        .await;
        progress.shown = Some(Shown { token, name, progresses: self.clone() });
        progress
    }

    /// The user pressed Cancel on the progress `token`.
    pub fn cancel(&self, token: &NumberOrString) {
        if !self.inner.running.cancel(token) {
            log::debug!("cancel for progress {token:?}, which is not under way");
        }
    }

    async fn notify(&self, token: &NumberOrString, value: WorkDoneProgress) {
        self.inner
            .client
            .send_notification::<notification::Progress>(ProgressParams {
                token: token.clone(),
                value: ProgressParamsValue::WorkDone(value),
            })
            .await;
    }
}

/// One piece of long work's progress. Ending it ([`Progress::end`], or dropping it) ends the
/// editor's progress.
pub struct Progress {
    title: String,
    cancel: Arc<AtomicBool>,
    /// The token the editor shows it under; `None` when the client does not show progress.
    shown: Option<Shown>,
}

struct Shown {
    token: NumberOrString,
    name: String,
    progresses: Progresses,
}

impl Shown {
    async fn end(self) {
        self.progresses.inner.running.finish(&self.name);
        self.progresses
            .notify(&self.token, WorkDoneProgress::End(WorkDoneProgressEnd { message: None }))
            .await;
    }
}

impl Progress {
    /// The flag Cancel sets: the work stops when it is set.
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        self.cancel.clone()
    }

    pub async fn report(&self, message: Option<String>, percentage: Option<u32>) {
        if let Some(shown) = &self.shown {
            let report = WorkDoneProgressReport { cancellable: Some(true), message, percentage };
            shown.progresses.notify(&shown.token, WorkDoneProgress::Report(report)).await;
        }
    }

    /// Ends the progress now, before whatever the caller sends next.
    pub async fn end(mut self) {
        if let Some(shown) = self.shown.take() {
            shown.end().await;
        }
    }
}

impl Drop for Progress {
    /// Progress that was not ended (an early return, a panic) still ends in the editor.
    fn drop(&mut self) {
        if let Some(shown) = self.shown.take() {
            shown.progresses.inner.running.finish(&shown.name);
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(shown.end());
            }
        }
    }
}

/// Runs `work` on a blocking thread. What it sends on its channel is shown as `progress`'s
/// reports; the progress ends when the work does.
pub async fn run_with_progress<R, F>(progress: Progress, work: F) -> Result<R, tokio::task::JoinError>
where
    R: Send + 'static,
    F: FnOnce(tokio::sync::mpsc::UnboundedSender<Report>) -> R + Send + 'static,
{
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Report>();
    let work = tokio::task::spawn_blocking(move || work(tx));
    tokio::pin!(work);
    let result = loop {
        tokio::select! {
            done = &mut work => break done,
            Some((message, percentage)) = rx.recv() => progress.report(message, percentage).await,
        }
    };
    progress.end().await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancel_sets_the_flag_the_work_reads() {
        let running = Running::default();
        let flag = Arc::new(AtomicBool::new(false));
        let other = Arc::new(AtomicBool::new(false));
        let token = running.register(flag.clone());
        let other_token = running.register(other.clone());
        assert_ne!(token, other_token);
        assert!(running.cancel(&NumberOrString::String(token.clone())));
        assert!(flag.load(Ordering::Acquire), "the work sees Cancel");
        assert!(!other.load(Ordering::Acquire), "only that progress is cancelled");
        // Ended: a late Cancel finds nothing.
        running.finish(&other_token);
        assert!(!running.cancel(&NumberOrString::String(other_token)));
        assert!(!other.load(Ordering::Acquire));
        assert!(!running.cancel(&NumberOrString::Number(7)));
    }

    #[test]
    fn progress_the_client_does_not_show_still_has_its_flag() {
        let flag = Arc::new(AtomicBool::new(false));
        let progress =
            Progress { title: "Updating flake.lock of x".into(), cancel: flag.clone(), shown: None };
        progress.cancel_flag().store(true, Ordering::Release);
        assert!(flag.load(Ordering::Acquire));
        drop(progress); // nothing to end, and no runtime needed
    }
}
