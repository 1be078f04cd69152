//! A loopback HTTP/1.1 mock for model APIs: std `TcpListener` plus a thread per connection,
//! keep-alive, every request recorded with its arrival time, answers from a handler closure (a
//! scripted queue is one such handler), and realistic Anthropic / OpenAI bodies. Test-only.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// One request as the mock received it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Names lowercased, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// When the whole request had arrived.
    pub at: Instant,
    /// Which connection carried it (0, 1, … in accept order).
    pub conn: usize,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the request body is JSON")
    }
}

/// What the mock does with a request.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Wait this long before answering (interrupted when the mock is dropped).
    pub delay: Duration,
    /// Close the connection without answering.
    pub close: bool,
    /// Send no `content-length`: the body ends when the connection closes.
    pub unframed: bool,
}

impl Response {
    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.into(),
            delay: Duration::ZERO,
            close: false,
            unframed: false,
        }
    }

    /// Drops the connection after reading the request.
    pub fn close() -> Self {
        Self {
            close: true,
            ..Self::json(0, Vec::new())
        }
    }

    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    #[must_use]
    pub fn delay(mut self, d: Duration) -> Self {
        self.delay = d;
        self
    }

    #[must_use]
    pub fn unframed(mut self) -> Self {
        self.unframed = true;
        self
    }
}

type Handler = dyn Fn(&Request) -> Response + Send + Sync;

struct Shared {
    handler: Box<Handler>,
    requests: Mutex<Vec<Request>>,
    stop: AtomicBool,
}

/// A mock server on `127.0.0.1:<free port>`, stopped on drop.
pub struct MockServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl MockServer {
    /// Answers every request with `handler` (a stateful mock keeps its state in the closure).
    pub fn start(handler: impl Fn(&Request) -> Response + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let shared = Arc::new(Shared {
            handler: Box::new(handler),
            requests: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let accept_shared = Arc::clone(&shared);
        thread::spawn(move || {
            for (conn, stream) in listener.incoming().enumerate() {
                if accept_shared.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let s = Arc::clone(&accept_shared);
                thread::spawn(move || serve(&s, stream, conn));
            }
        });
        Self { addr, shared }
    }

    /// Answers with `responses` in order; past the end, a 500 saying the script ran out.
    pub fn queue(responses: Vec<Response>) -> Self {
        let queue = Mutex::new(VecDeque::from(responses));
        Self::start(move |_| {
            queue
                .lock()
                .expect("queue lock")
                .pop_front()
                .unwrap_or_else(|| {
                    Response::json(
                        500,
                        anthropic_error("api_error", "mock: no scripted response left"),
                    )
                })
        })
    }

    /// `http://127.0.0.1:PORT` (a base URL, without `/v1/...`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        let mut all = self.shared.requests.lock().expect("requests lock").clone();
        all.sort_by_key(|r| r.at);
        all
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr); // wakes the accept loop
    }
}

/// Serves one connection until the client or a response closes it.
fn serve(shared: &Shared, stream: TcpStream, conn: usize) {
    let Ok(write_half) = stream.try_clone() else {
        return;
    };
    let mut out = write_half;
    let mut reader = BufReader::new(stream);
    while let Some(req) = read_request(&mut reader, conn) {
        let wants_close = req
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        shared
            .requests
            .lock()
            .expect("requests lock")
            .push(req.clone());
        let resp = (shared.handler)(&req);
        let until = Instant::now() + resp.delay;
        while Instant::now() < until {
            if shared.stop.load(Ordering::SeqCst) {
                return;
            }
            thread::sleep(Duration::from_millis(10).min(until - Instant::now()));
        }
        if resp.close {
            let _ = out.shutdown(std::net::Shutdown::Both);
            return;
        }
        if write_response(&mut out, &resp).is_err() || wants_close || resp.unframed {
            let _ = out.shutdown(std::net::Shutdown::Both);
            return;
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>, conn: usize) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
    }
    let len = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        path,
        headers,
        body,
        at: Instant::now(),
        conn,
    })
}

fn write_response(out: &mut TcpStream, resp: &Response) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", resp.status, reason(resp.status));
    for (k, v) in &resp.headers {
        head.push_str(&[k.as_str(), ": ", v, "\r\n"].concat());
    }
    if resp.unframed {
        head.push_str("connection: close\r\n");
    } else {
        head.push_str(&["content-length: ", &resp.body.len().to_string(), "\r\n"].concat());
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    for chunk in resp.body.chunks(64 * 1024) {
        out.write_all(chunk)?;
    }
    out.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        529 => "Overloaded",
        _ => "Status",
    }
}

// ---- Anthropic Messages bodies --------------------------------------------------------------

/// A success whose one content block is the forced tool call with `input`.
pub fn anthropic_tool_reply(name: &str, input: &Value) -> Vec<u8> {
    body(&json!({
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": [{"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": name, "input": input}],
        "stop_reason": "tool_use",
        "stop_sequence": null,
        "usage": {"input_tokens": 2095, "output_tokens": 503, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 1800},
    }))
}

/// A success with one text block and the given `stop_reason` (`end_turn`, `max_tokens`,
/// `refusal`).
pub fn anthropic_text_reply(text: &str, stop_reason: &str) -> Vec<u8> {
    body(&json!({
        "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": [{"type": "text", "text": text}],
        "stop_reason": stop_reason,
        "stop_sequence": null,
        "usage": {"input_tokens": 12, "output_tokens": 6},
    }))
}

/// The error envelope, e.g. (`rate_limit_error`, "…"), (`overloaded_error`, "Overloaded").
pub fn anthropic_error(kind: &str, message: &str) -> Vec<u8> {
    body(&json!({
        "type": "error",
        "error": {"type": kind, "message": message},
        "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy",
    }))
}

// ---- OpenAI chat-completions bodies ---------------------------------------------------------

/// A success whose first choice's content is `content`, ended by `finish_reason`.
pub fn openai_reply(content: &str, finish_reason: &str) -> Vec<u8> {
    body(&json!({
        "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
        "object": "chat.completion",
        "created": 1_741_570_283,
        "model": "gpt-4.1-2025-04-14",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": null, "annotations": []},
            "logprobs": null,
            "finish_reason": finish_reason,
        }],
        "usage": {
            "prompt_tokens": 1117, "completion_tokens": 46, "total_tokens": 1163,
            "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0},
        },
        "service_tier": "default",
    }))
}

/// A structured-output refusal.
pub fn openai_refusal(refusal: &str) -> Vec<u8> {
    body(&json!({
        "id": "chatcmpl-refusal",
        "object": "chat.completion",
        "model": "gpt-4.1-2025-04-14",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": null, "refusal": refusal}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }))
}

/// The error envelope `{error:{message,type,param,code}}`.
pub fn openai_error(message: &str, kind: &str, code: Option<&str>) -> Vec<u8> {
    body(&json!({"error": {"message": message, "type": kind, "param": null, "code": code}}))
}

fn body(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).expect("JSON serializes")
}
