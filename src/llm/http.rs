//! The HTTP transport behind both wires: one reqwest client on a runtime the backend owns,
//! per-request timeout, total deadline, retries with backoff and `retry-after`, a 10 MB body cap,
//! cancel, and recording. It never logs the API key or an unredacted body.

mod retry;
mod wire;

use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use tracing::{debug, trace};

use super::config::{MaxTokensField, StructuredOutput};
pub use super::replay::{RecordedMeta, Recorder};
use super::{
    ApiKey, Backend, CancelToken, EngineConfig, LlmError, LlmReply, LlmRequest, anthropic,
};
use crate::secrets::redact;
pub use retry::{backoff, retry_after};
pub use wire::Wire;

/// The largest response body read; past it the request fails with [`LlmError::TooLarge`].
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// How often a running request or backoff looks at the [`CancelToken`].
const CANCEL_POLL: Duration = Duration::from_millis(20);

/// An Anthropic or OpenAI-compatible model over HTTP.
pub struct HttpBackend {
    wire: Wire,
    model: String,
    url: String,
    mode: StructuredOutput,
    max_tokens_field: MaxTokensField,
    headers: HeaderMap,
    request_timeout: Duration,
    deadline: Instant,
    deadline_secs: f64,
    max_retries: u32,
    backoff_initial: Duration,
    backoff_max: Duration,
    client: reqwest::Client,
    /// `Some` until drop, which shuts it down without blocking.
    runtime: Option<tokio::runtime::Runtime>,
    recorder: Option<Recorder>,
}

/// One HTTP answer, body read in full (under the cap).
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl HttpBackend {
    /// A backend for `cfg`; the deadline starts now. Takes the key by value: the backend is its
    /// last holder (in the auth header, marked sensitive).
    #[allow(clippy::needless_pass_by_value)]
    pub fn new(
        wire: Wire,
        cfg: &EngineConfig,
        key: ApiKey,
        recorder: Option<Recorder>,
    ) -> Result<Self, LlmError> {
        let base = reqwest::Url::parse(cfg.base_url.trim_end_matches('/'))
            .map_err(|e| LlmError::Config(format!("base_url {:?}: {e}", cfg.base_url)))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(LlmError::Config(format!(
                "base_url {:?} is not http(s)",
                cfg.base_url
            )));
        }
        let seconds = |v: f64, what: &str| {
            Duration::try_from_secs_f64(v)
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or_else(|| LlmError::Config(format!("{what} must be a positive number")))
        };
        let request_timeout = seconds(cfg.request_timeout_secs, "request_timeout_secs")?;
        let deadline = seconds(cfg.deadline_secs, "deadline_secs").and_then(|d| {
            Instant::now()
                .checked_add(d)
                .ok_or_else(|| LlmError::Config("deadline_secs is too large".into()))
        })?;
        let mut auth = match wire {
            Wire::Anthropic => HeaderValue::from_str(key.expose()),
            Wire::OpenAi => HeaderValue::from_str(&format!("Bearer {}", key.expose())),
        }
        .map_err(|_| LlmError::Config("the API key is not a valid header value".into()))?;
        auth.set_sensitive(true);
        let mut headers = HeaderMap::new();
        match wire {
            Wire::Anthropic => {
                headers.insert(HeaderName::from_static("x-api-key"), auth);
                headers.insert(
                    HeaderName::from_static("anthropic-version"),
                    HeaderValue::from_static(anthropic::VERSION),
                );
            }
            Wire::OpenAi => {
                headers.insert(header::AUTHORIZATION, auth);
            }
        }
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let client = reqwest::Client::builder()
            .user_agent(concat!("lucid/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| LlmError::Config(format!("cannot build the HTTP client: {e}")))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("lucid-llm")
            .enable_all()
            .build()
            .map_err(|e| LlmError::Config(format!("cannot start the HTTP runtime: {e}")))?;
        Ok(Self {
            wire,
            model: cfg.model.clone(),
            url: format!("{}{}", base.as_str().trim_end_matches('/'), wire.path()),
            mode: cfg.structured_output,
            max_tokens_field: cfg.max_tokens_field.unwrap_or_default(),
            headers,
            request_timeout,
            deadline,
            deadline_secs: cfg.deadline_secs,
            max_retries: cfg.max_retries,
            backoff_initial: Duration::from_millis(cfg.backoff_initial_ms),
            backoff_max: Duration::from_millis(cfg.backoff_max_ms.max(cfg.backoff_initial_ms)),
            client,
            runtime: Some(runtime),
            recorder,
        })
    }

    /// The full request URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Runs `fut` to completion on the backend's runtime, from any thread (a thread inside
    /// another tokio runtime hands it to a scoped thread, since it may not block there).
    fn block_on<T: Send>(&self, fut: impl Future<Output = T> + Send) -> T {
        let rt = self.runtime.as_ref().expect("the runtime lives until drop");
        if tokio::runtime::Handle::try_current().is_ok() {
            std::thread::scope(|s| {
                s.spawn(|| rt.block_on(fut))
                    .join()
                    .expect("the request thread does not panic")
            })
        } else {
            rt.block_on(fut)
        }
    }

    async fn run(
        &self,
        req: &LlmRequest,
        body: &[u8],
        cancel: &CancelToken,
    ) -> Result<LlmReply, LlmError> {
        let attempts = self.max_retries.saturating_add(1);
        let mut answered = 0;
        let mut attempt = 0;
        loop {
            attempt += 1;
            if cancel.is_canceled() {
                return Err(LlmError::Canceled);
            }
            debug!(
                purpose = %req.purpose, url = %self.url, attempt, bytes = body.len(),
                "LLM request"
            );
            let started = Instant::now();
            let (err, retry_after) = match self.attempt(body, cancel).await {
                Ok(answer) => {
                    answered += 1;
                    debug!(
                        purpose = %req.purpose, attempt, status = answer.status,
                        bytes = answer.body.len(), ms = started.elapsed().as_millis(), "LLM answer"
                    );
                    trace!(
                        body = %redact(&String::from_utf8_lossy(&answer.body)),
                        "LLM answer body"
                    );
                    if (200..300).contains(&answer.status) {
                        self.record(req, body, &answer, attempt)?;
                        let mut reply = self.wire.parse_reply(&answer.body, req.max_tokens)?;
                        reply.usage.requests = answered;
                        return Ok(reply);
                    }
                    let request_id = answer
                        .headers
                        .get(self.wire.request_id_header())
                        .and_then(|v| v.to_str().ok());
                    let err = self
                        .wire
                        .parse_error(answer.status, request_id, &answer.body);
                    if !err.is_retryable() || attempt >= attempts {
                        self.record(req, body, &answer, attempt)?;
                    }
                    (err, retry::retry_after(&answer.headers))
                }
                Err(err) => (err, None),
            };
            if !err.is_retryable() {
                return Err(err);
            }
            if attempt >= attempts {
                return Err(LlmError::RetriesExhausted {
                    attempts: attempt,
                    last: Box::new(err),
                });
            }
            let delay = retry::backoff(self.backoff_initial, self.backoff_max, attempt)
                .max(retry_after.unwrap_or_default());
            debug!(
                purpose = %req.purpose, attempt, error = %err, delay_ms = delay.as_millis(),
                "LLM retry"
            );
            if Instant::now() + delay >= self.deadline {
                debug!(purpose = %req.purpose, "the retry would pass the deadline");
                return Err(LlmError::Deadline(self.deadline_secs));
            }
            with_cancel(cancel, async {
                tokio::time::sleep(delay).await;
                Ok(())
            })
            .await?;
        }
    }

    /// One HTTP exchange, bounded by the per-request timeout and the deadline.
    async fn attempt(&self, body: &[u8], cancel: &CancelToken) -> Result<Answer, LlmError> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(LlmError::Deadline(self.deadline_secs));
        }
        let limit = self.request_timeout.min(left);
        with_cancel(cancel, async {
            match tokio::time::timeout(limit, self.send(body)).await {
                Ok(answer) => answer,
                Err(_) if limit < self.request_timeout => {
                    Err(LlmError::Deadline(self.deadline_secs))
                }
                Err(_) => Err(LlmError::Timeout(self.request_timeout.as_secs_f64())),
            }
        })
        .await
    }

    async fn send(&self, body: &[u8]) -> Result<Answer, LlmError> {
        trace!(body = %redact(&String::from_utf8_lossy(body)), "LLM request body");
        let mut resp = self
            .client
            .post(&self.url)
            .headers(self.headers.clone())
            .body(body.to_vec())
            .send()
            .await
            .map_err(|e| self.connect_error(&e))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = read_capped(&mut resp, MAX_BODY_BYTES)
            .await
            .map_err(|e| self.connect_error(&e))?
            .ok_or(LlmError::TooLarge(MAX_BODY_BYTES))?;
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    /// A transport failure, described by its causes (reqwest's own message repeats the URL).
    fn connect_error(&self, e: &reqwest::Error) -> LlmError {
        let mut causes = Vec::new();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            causes.push(s.to_string());
            source = s.source();
        }
        let why = if causes.is_empty() {
            e.to_string()
        } else {
            causes.join(": ")
        };
        LlmError::Connect {
            url: self.url.clone(),
            why,
        }
    }

    fn record(
        &self,
        req: &LlmRequest,
        body: &[u8],
        answer: &Answer,
        attempts: u32,
    ) -> Result<(), LlmError> {
        let Some(recorder) = &self.recorder else {
            return Ok(());
        };
        let meta = RecordedMeta {
            purpose: req.purpose.clone(),
            wire: self.wire.name().into(),
            model: self.model.clone(),
            path: self.wire.path().into(),
            status: answer.status,
            attempts,
        };
        recorder.record(&meta, body, &answer.body)
    }
}

impl Backend for HttpBackend {
    fn name(&self) -> &str {
        self.wire.name()
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn complete(&self, req: &LlmRequest, cancel: &CancelToken) -> Result<LlmReply, LlmError> {
        let body = self
            .wire
            .request_body(req, &self.model, self.mode, self.max_tokens_field);
        self.block_on(self.run(req, &body, cancel))
    }
}

impl fmt::Debug for HttpBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpBackend")
            .field("wire", &self.wire)
            .field("model", &self.model)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Drop for HttpBackend {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// The body of `resp`, or `None` when it is over `max` bytes (told by its length when it has
/// one, else while reading): never buffered past `max`.
pub async fn read_capped(
    resp: &mut reqwest::Response,
    max: usize,
) -> Result<Option<Vec<u8>>, reqwest::Error> {
    if resp.content_length().is_some_and(|n| n > max as u64) {
        return Ok(None);
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        if body.len() + chunk.len() > max {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

/// Runs `fut` unless `cancel` is set first; then drops it (aborting its request).
async fn with_cancel<T>(
    cancel: &CancelToken,
    fut: impl Future<Output = Result<T, LlmError>>,
) -> Result<T, LlmError> {
    let watch = async {
        while !cancel.is_canceled() {
            tokio::time::sleep(CANCEL_POLL).await;
        }
    };
    tokio::select! {
        r = fut => r,
        () = watch => Err(LlmError::Canceled),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_settings_are_config_errors() {
        let key = || ApiKey::new("k").expect("valid");
        let mut cfg = EngineConfig::openai();
        cfg.base_url = "ftp://example.com".into();
        assert!(matches!(
            HttpBackend::new(Wire::OpenAi, &cfg, key(), None),
            Err(LlmError::Config(_))
        ));
        cfg.base_url = "http://localhost:11434/".into();
        cfg.request_timeout_secs = -1.0;
        assert!(matches!(
            HttpBackend::new(Wire::OpenAi, &cfg, key(), None),
            Err(LlmError::Config(_))
        ));
        cfg.request_timeout_secs = 5.0;
        let b = HttpBackend::new(Wire::OpenAi, &cfg, key(), None).expect("builds");
        assert_eq!(b.url(), "http://localhost:11434/v1/chat/completions");
        assert!(!format!("{b:?}").contains("Bearer"));
    }
}
