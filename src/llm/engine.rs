//! The LLM dream engine: plans the requests for a dream input ([`prompt`]), sends them through a
//! [`Backend`] (one request, or a map step of per-session extractions in parallel and then one
//! consolidation), and turns the answer into a checked [`DreamOutput`] ([`validate`]). Also the
//! `--dry-run` estimate, which sends nothing.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;

use super::prompt::{self, Plan, PromptOptions, Signals};
use super::{Backend, CancelToken, EngineConfig, LlmError, LlmReply, LlmRequest, Usage, validate};
use crate::dream::{self, DreamInput, DreamOutput, Engine, EngineError};

/// What one session's extraction typically returns (a dozen signals with quotes), for estimates.
const TYPICAL_SIGNALS_TOKENS: u64 = 2_000;

/// A dream engine backed by a model.
pub struct LlmEngine {
    backend: Box<dyn Backend>,
    options: PromptOptions,
    max_parallel: usize,
    cancel: CancelToken,
}

/// What a dream would send, without sending it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DryRun {
    pub engine: String,
    pub model: String,
    /// `single`, or `map-reduce` (extractions, then one consolidation).
    pub plan: &'static str,
    pub requests: usize,
    pub estimated_input_tokens: u64,
    /// The output budget of all requests (an upper bound on output tokens).
    pub max_output_tokens: u64,
    /// USD at the configured prices, input estimate plus the full output budget.
    pub max_cost_usd: f64,
    /// USD assuming a quarter of the output budget is used (typical for a dream).
    pub typical_cost_usd: f64,
    pub purposes: Vec<String>,
}

impl LlmEngine {
    pub fn new(backend: Box<dyn Backend>, config: &EngineConfig, cancel: CancelToken) -> Self {
        Self {
            backend,
            options: PromptOptions::from_config(config),
            max_parallel: config.max_parallel.max(1),
            cancel,
        }
    }

    /// The requests a dream on `input` would make, their size and cost at `config`'s prices.
    pub fn dry_run(&self, input: &DreamInput, config: &EngineConfig) -> Result<DryRun, LlmError> {
        let (plan_name, requests) = match prompt::plan(input, &self.options)? {
            Plan::Single(r) => ("single", vec![r]),
            Plan::MapReduce { extract } => {
                // The reduce request carries the store and the signals: estimate it with no
                // signals plus a typical extraction answer per session.
                let reduce = prompt::consolidate_with_signals(input, &[], &self.options)?;
                let signals: u64 = extract
                    .iter()
                    .map(|r| u64::from(r.max_tokens).min(TYPICAL_SIGNALS_TOKENS))
                    .sum();
                let mut all = extract;
                all.push(LlmRequest {
                    estimated_input_tokens: reduce.estimated_input_tokens + signals,
                    ..reduce
                });
                ("map-reduce", all)
            }
        };
        let input_tokens: u64 = requests.iter().map(|r| r.estimated_input_tokens).sum();
        let output_tokens: u64 = requests.iter().map(|r| u64::from(r.max_tokens)).sum();
        let cost = |out: f64| {
            (input_tokens as f64 * config.price_input_per_mtok + out * config.price_output_per_mtok)
                / 1e6
        };
        Ok(DryRun {
            engine: self.backend.name().to_owned(),
            model: self.backend.model().to_owned(),
            plan: plan_name,
            requests: requests.len(),
            estimated_input_tokens: input_tokens,
            max_output_tokens: output_tokens,
            max_cost_usd: cost(output_tokens as f64),
            typical_cost_usd: cost(output_tokens as f64 / 4.0),
            purposes: requests.into_iter().map(|r| r.purpose).collect(),
        })
    }

    fn run(&self, input: &DreamInput) -> Result<DreamOutput, LlmError> {
        let mut usage = Usage::default();
        let mut model = None;
        let mut record = |reply: &LlmReply| {
            usage.add(&reply.usage);
            model.get_or_insert_with(|| reply.model.clone());
        };
        let request = match prompt::plan(input, &self.options)? {
            Plan::Single(r) => r,
            Plan::MapReduce { extract } => {
                let replies = self.map(&extract)?;
                let mut signals: Vec<Signals> = Vec::with_capacity(replies.len());
                for (req, reply) in extract.iter().zip(&replies) {
                    record(reply);
                    signals.push(prompt::parse_signals(&req.purpose, &reply.json)?);
                }
                prompt::consolidate_with_signals(input, &signals, &self.options)?
            }
        };
        let reply = self.complete(&request)?;
        record(&reply);
        let mut output = validate::operations(input, &reply.json)?;
        output.usage = Some(dream::Usage {
            model: model.unwrap_or_else(|| self.backend.model().to_owned()),
            tokens: usage,
        });
        Ok(output)
    }

    fn complete(&self, request: &LlmRequest) -> Result<LlmReply, LlmError> {
        if self.cancel.is_canceled() {
            return Err(LlmError::Canceled);
        }
        tracing::info!(purpose = %request.purpose, tokens = request.estimated_input_tokens, "request");
        self.backend.complete(request, &self.cancel)
    }

    /// Runs the extraction requests, at most `max_parallel` at once, in input order; the first
    /// failure stops the others from starting.
    fn map(&self, requests: &[LlmRequest]) -> Result<Vec<LlmReply>, LlmError> {
        let next = AtomicUsize::new(0);
        let results: Mutex<Vec<Option<Result<LlmReply, LlmError>>>> =
            Mutex::new((0..requests.len()).map(|_| None).collect());
        let failed = CancelToken::default();
        std::thread::scope(|scope| {
            for _ in 0..self.max_parallel.min(requests.len()) {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        if i >= requests.len() || failed.is_canceled() {
                            break;
                        }
                        let result = self.complete(&requests[i]);
                        if result.is_err() {
                            failed.cancel();
                        }
                        if let Ok(mut slots) = results.lock() {
                            slots[i] = Some(result);
                        }
                    }
                });
            }
        });
        let slots = results
            .into_inner()
            .map_err(|_| LlmError::Config("a request thread panicked".into()))?;
        // Report the first error in input order; a request never started only because another
        // failed.
        let mut replies = Vec::with_capacity(slots.len());
        let mut first_err = None;
        for slot in slots {
            match slot {
                Some(Ok(r)) => replies.push(r),
                Some(Err(e)) => {
                    first_err.get_or_insert(e);
                }
                None => {}
            }
        }
        match first_err {
            Some(e) => Err(e),
            None if replies.len() == requests.len() => Ok(replies),
            None => Err(LlmError::Canceled),
        }
    }
}

impl Engine for LlmEngine {
    fn name(&self) -> &str {
        self.backend.name()
    }

    /// The configured model: what a reviewer needs to reproduce or judge the proposal.
    fn version(&self) -> &str {
        self.backend.model()
    }

    fn dream(&self, input: &DreamInput) -> Result<DreamOutput, EngineError> {
        self.run(input).map_err(|e| match e {
            LlmError::Canceled => EngineError::Canceled,
            e => EngineError::Failed(e.to_string()),
        })
    }
}
