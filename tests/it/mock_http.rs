//! The one loopback HTTP/1.1 server of the test mocks and benchmarks: std `TcpListener` on
//! `127.0.0.1:<free port>`, a thread per connection, keep-alive, `Content-Length` bodies. Every
//! request is recorded (arrival time) and handed to one handler closure; a
//! scripted queue is such a handler. Responses can be delayed, dropped or sent unframed; the
//! server counts requests in flight. No routing, no state: that is the handler's business (see
//! `mock_managed`, `mock_llm`).

#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The request target exactly as sent (path and query string, not decoded).
    pub target: String,
    /// The target without its query string, percent-decoded.
    pub path: String,
    /// The query string's pairs, percent-decoded, in order.
    pub query: Vec<(String, String)>,
    /// Names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// When the whole request had arrived.
    pub at: Instant,
}

impl Request {
    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first query parameter called `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON; `Null` when it is empty or not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// What the server does with a request.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Wait this long before answering (interrupted when the server is dropped).
    pub delay: Duration,
    /// Close the connection without answering.
    pub close: bool,
    /// Send no `content-length`: the body ends when the connection closes.
    pub unframed: bool,
}

impl Response {
    /// A JSON answer whose body is `body`'s bytes, as they are.
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

    /// A JSON answer serializing `value`.
    pub fn value(status: u16, value: &Value) -> Self {
        Self::json(status, value.to_string())
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
    record_bodies: AtomicBool,
    stop: AtomicBool,
    in_flight: AtomicUsize,
    peak_in_flight: AtomicUsize,
}

/// A running server; stops accepting (and cuts delays short) when dropped.
pub struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl Server {
    /// Answers every request with `handler` (a stateful mock keeps its state in the closure).
    pub fn start(handler: impl Fn(&Request) -> Response + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let shared = Arc::new(Shared {
            handler: Box::new(handler),
            requests: Mutex::new(Vec::new()),
            record_bodies: AtomicBool::new(true),
            stop: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
            peak_in_flight: AtomicUsize::new(0),
        });
        let accept_shared = Arc::clone(&shared);
        thread::spawn(move || {
            for stream in listener.incoming() {
                if accept_shared.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let s = Arc::clone(&accept_shared);
                thread::spawn(move || serve(&s, stream));
            }
        });
        Self { addr, shared }
    }

    /// Answers with `responses` in order; past the end, with `exhausted`.
    pub fn queue(responses: Vec<Response>, exhausted: Response) -> Self {
        let queue = Mutex::new(VecDeque::from(responses));
        Self::start(move |_| {
            queue
                .lock()
                .expect("queue lock")
                .pop_front()
                .unwrap_or_else(|| exhausted.clone())
        })
    }

    /// `http://127.0.0.1:PORT` (a base URL, without a path).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        let mut all = self.shared.requests.lock().expect("requests lock").clone();
        all.sort_by_key(|r| r.at);
        all
    }

    /// How many requests arrived so far (cheaper than `requests().len()`).
    pub fn request_count(&self) -> usize {
        self.shared.requests.lock().expect("requests lock").len()
    }

    /// Whether recorded requests keep their bodies (on by default; off for large benchmarks).
    pub fn record_bodies(&self, on: bool) {
        self.shared.record_bodies.store(on, Ordering::SeqCst);
    }

    /// The most requests in flight at once since the start or the last `reset_peak`.
    pub fn peak_in_flight(&self) -> usize {
        self.shared.peak_in_flight.load(Ordering::SeqCst)
    }

    pub fn reset_peak(&self) {
        self.shared.peak_in_flight.store(0, Ordering::SeqCst);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr); // wakes the accept loop
    }
}

/// Serves one connection until the client or a response closes it.
fn serve(shared: &Shared, stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let Ok(mut out) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    while let Some(req) = read_request(&mut reader) {
        let wants_close = req
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let mut recorded = req.clone();
        if !shared.record_bodies.load(Ordering::SeqCst) {
            recorded.body = Vec::new();
        }
        shared
            .requests
            .lock()
            .expect("requests lock")
            .push(recorded);
        let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        shared.peak_in_flight.fetch_max(now, Ordering::SeqCst);
        let resp = (shared.handler)(&req);
        let waited = wait(shared, resp.delay);
        shared.in_flight.fetch_sub(1, Ordering::SeqCst);
        if !waited || resp.close {
            let _ = out.shutdown(Shutdown::Both);
            return;
        }
        if write_response(&mut out, &resp).is_err() || wants_close || resp.unframed {
            let _ = out.shutdown(Shutdown::Both);
            return;
        }
    }
}

/// Sleeps `delay` in small steps; false when the server was stopped meanwhile.
fn wait(shared: &Shared, delay: Duration) -> bool {
    let until = Instant::now() + delay;
    while Instant::now() < until {
        if shared.stop.load(Ordering::SeqCst) {
            return false;
        }
        thread::sleep(Duration::from_millis(10).min(until - Instant::now()));
    }
    true
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
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
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let query = query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(k), decode(v))
        })
        .collect();
    Some(Request {
        method,
        path: decode(path),
        query,
        target,
        headers,
        body,
        at: Instant::now(),
    })
}

/// Percent-decoding, `+` as a space; a `%` not followed by two hex digits stays as it is.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                if let Ok(b) = u8::from_str_radix(hex, 16) {
                    out.push(b);
                    i += 3;
                } else {
                    out.push(b'%');
                    i += 1;
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
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
        409 => "Conflict",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        529 => "Overloaded",
        _ => "Status",
    }
}
