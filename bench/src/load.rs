//! The load generator: HTTP/1.1 keep-alive connections (hyper's client connection API), a
//! closed loop (each connection sends its next request as soon as the previous response is
//! read) and an open loop (requests are scheduled at a fixed rate whatever the responses do,
//! and latency is measured from the scheduled time, so a stalled server cannot hide its stall
//! from the numbers: no coordinated omission). Latencies go into HDR histograms.

use std::collections::BTreeMap;
use std::error::Error;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{CONTENT_TYPE, HOST, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use tokio::net::TcpStream;

use crate::procs::{CpuSample, CpuUse};

/// Any error, boxed.
pub type BoxError = Box<dyn Error + Send + Sync>;

/// Largest latency the histograms hold (60 s, in microseconds); larger values saturate.
const HIST_MAX_US: u64 = 60_000_000;

/// One kind of request: method, path and headers (everything but the body).
pub struct Endpoint {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
}

impl Endpoint {
    fn new(method: Method, path: &str, addr: SocketAddr, extra: &[(&'static str, &str)]) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_str(&addr.to_string()).expect("host header"));
        for (k, v) in extra {
            headers.insert(HeaderName::from_static(k), HeaderValue::from_str(v).expect("header value"));
        }
        Self { method, uri: path.parse().expect("request path"), headers }
    }

    /// An AWS JSON 1.1 request for `op` (`POST /`, `X-Amz-Target: GameLift.<op>`).
    pub fn json(addr: SocketAddr, op: &str) -> Self {
        let target = format!("GameLift.{op}");
        Self::new(
            Method::POST,
            "/",
            addr,
            &[("x-amz-target", target.as_str()), (CONTENT_TYPE.as_str(), "application/x-amz-json-1.1")],
        )
    }

    /// A Smithy RPC v2 CBOR request for `op` (`POST /service/GameLift/operation/<op>`).
    pub fn cbor(addr: SocketAddr, op: &str) -> Self {
        Self::new(
            Method::POST,
            &format!("/service/GameLift/operation/{op}"),
            addr,
            &[
                ("smithy-protocol", "rpc-v2-cbor"),
                (CONTENT_TYPE.as_str(), "application/cbor"),
                ("accept", "application/cbor"),
            ],
        )
    }
}

/// A connection's request sender.
pub type Sender = SendRequest<Full<Bytes>>;

/// Opens one keep-alive HTTP/1.1 connection (Nagle off, as every HTTP client does).
pub async fn connect(addr: SocketAddr) -> Result<Sender, BoxError> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

/// A response: status and the whole body.
pub struct Reply {
    pub status: StatusCode,
    pub body: Bytes,
}

/// Sends one request on `sender` and reads the whole response.
pub async fn call(sender: &mut Sender, ep: &Endpoint, body: Bytes) -> Result<Reply, BoxError> {
    sender.ready().await?;
    let mut req = Request::new(Full::new(body));
    *req.method_mut() = ep.method.clone();
    *req.uri_mut() = ep.uri.clone();
    *req.headers_mut() = ep.headers.clone();
    let resp = sender.send_request(req).await?;
    let status = resp.status();
    let body = resp.into_body().collect().await?.to_bytes();
    Ok(Reply { status, body })
}

/// A small, fast PRNG (xorshift64*), one per connection.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }
}

/// Where a scenario's requests come from. Shared by all connections.
pub trait Source: Send + Sync {
    /// The next request: its endpoint and body.
    fn next(&self, rng: &mut Rng) -> (&Endpoint, Bytes);
}

/// The `__type` of an error response in either codec (or a body excerpt when there is none).
pub fn error_type(body: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        if let Some(t) = v.get("__type").and_then(|t| t.as_str()) {
            return t.to_owned();
        }
    } else if let Ok(ciborium::Value::Map(entries)) = ciborium::from_reader::<ciborium::Value, _>(body) {
        for (k, v) in entries {
            if let (ciborium::Value::Text(k), ciborium::Value::Text(v)) = (k, v)
                && k == "__type"
            {
                return v;
            }
        }
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(120)]).into_owned();
    if text.is_empty() { "(empty body)".into() } else { text }
}

/// The error message of an error response (JSON or CBOR), for printing.
pub fn error_message(body: &[u8]) -> String {
    let from_json = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned));
    if let Some(m) = from_json {
        return m;
    }
    if let Ok(ciborium::Value::Map(entries)) = ciborium::from_reader::<ciborium::Value, _>(body) {
        for (k, v) in entries {
            if let (ciborium::Value::Text(k), ciborium::Value::Text(v)) = (k, v)
                && k == "message"
            {
                return v;
            }
        }
    }
    String::new()
}

fn new_hist() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIST_MAX_US, 3).expect("histogram bounds")
}

fn micros(d: Duration) -> u64 {
    (d.as_micros() as u64).clamp(1, HIST_MAX_US)
}

/// What one connection (or a whole run, once merged) measured.
pub struct Stats {
    /// Latency in µs of every request completed inside the measured window.
    pub hist: Histogram<u64>,
    /// Open loop only: time from actually sending to the response (service time), in µs.
    pub service: Histogram<u64>,
    /// 2xx responses inside the window.
    pub ok: u64,
    /// Non-2xx responses and transport failures inside the window, by kind.
    pub errors: BTreeMap<String, u64>,
    /// Open loop only: scheduled requests never sent before the run was cut off.
    pub unsent: u64,
    /// Length of the measured window.
    pub window: Duration,
    /// Where the CPU went during the window (when the server's PID is known).
    pub cpu: Option<CpuUse>,
}

impl Stats {
    fn new() -> Self {
        Self {
            hist: new_hist(),
            service: new_hist(),
            ok: 0,
            errors: BTreeMap::new(),
            unsent: 0,
            window: Duration::ZERO,
            cpu: None,
        }
    }

    fn error(&mut self, kind: String) {
        *self.errors.entry(kind).or_default() += 1;
    }

    fn count(&mut self, reply: &Reply) {
        if reply.status.is_success() {
            self.ok += 1;
        } else {
            self.error(format!("{} {}", reply.status.as_u16(), error_type(&reply.body)));
        }
    }

    fn merge(&mut self, other: Stats) {
        self.hist.add(&other.hist).expect("same histogram bounds");
        self.service.add(&other.service).expect("same histogram bounds");
        self.ok += other.ok;
        for (k, n) in other.errors {
            *self.errors.entry(k).or_default() += n;
        }
        self.unsent += other.unsent;
    }

    /// Successful responses per second over the window.
    pub fn throughput(&self) -> f64 {
        self.ok as f64 / self.window.as_secs_f64()
    }

    /// Total errors.
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum::<u64>() + self.unsent
    }

    /// Latency quantile in milliseconds.
    pub fn ms(&self, q: f64) -> f64 {
        self.hist.value_at_quantile(q) as f64 / 1000.0
    }

    /// Largest latency in milliseconds.
    pub fn max_ms(&self) -> f64 {
        self.hist.max() as f64 / 1000.0
    }

    /// A one-line summary of the errors, most frequent first.
    pub fn error_summary(&self) -> String {
        let mut kinds: Vec<(&String, &u64)> = self.errors.iter().collect();
        kinds.sort_by(|a, b| b.1.cmp(a.1));
        let mut parts: Vec<String> = kinds.iter().take(4).map(|(k, n)| format!("{n}× {k}")).collect();
        if self.unsent > 0 {
            parts.push(format!("{}× never sent (server fell behind the schedule)", self.unsent));
        }
        parts.join("; ")
    }
}

/// Connections and timing of one run.
#[derive(Clone, Copy)]
pub struct Shape {
    pub connections: usize,
    pub warmup: Duration,
    pub duration: Duration,
    /// The server's PID, to account its CPU time over the window.
    pub server_pid: Option<u32>,
}

/// Samples CPU use over the window `rec..end`.
fn cpu_over(pid: Option<u32>, rec: Instant, end: Instant) -> tokio::task::JoinHandle<Option<CpuUse>> {
    tokio::spawn(async move {
        let pid = pid?;
        tokio::time::sleep_until(rec.into()).await;
        let a = CpuSample::take(pid)?;
        tokio::time::sleep_until(end.into()).await;
        let b = CpuSample::take(pid)?;
        Some(a.until(&b))
    })
}

async fn connect_all(addr: SocketAddr, n: usize) -> Result<Vec<Sender>, BoxError> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(connect(addr).await?);
    }
    Ok(out)
}

/// Closed loop: every connection sends back to back for warm-up + duration; only requests
/// that start and finish inside the measured window count.
pub async fn closed_loop(addr: SocketAddr, source: Arc<dyn Source>, shape: Shape) -> Result<Stats, BoxError> {
    let senders = connect_all(addr, shape.connections).await?;
    let start = Instant::now();
    let rec = start + shape.warmup;
    let end = rec + shape.duration;
    let cpu = cpu_over(shape.server_pid, rec, end);
    let mut tasks = Vec::with_capacity(senders.len());
    for (i, sender) in senders.into_iter().enumerate() {
        let source = source.clone();
        tasks.push(tokio::spawn(async move {
            let mut st = Stats::new();
            let mut rng = Rng::new(i as u64 + 1);
            let mut sender = Some(sender);
            loop {
                if Instant::now() >= end {
                    break;
                }
                let s = match sender.as_mut() {
                    Some(s) => s,
                    None => match connect(addr).await {
                        Ok(s) => sender.insert(s),
                        Err(e) => {
                            st.error(format!("connect: {e}"));
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            continue;
                        }
                    },
                };
                let (ep, body) = source.next(&mut rng);
                let t0 = Instant::now();
                let res = call(s, ep, body).await;
                let t1 = Instant::now();
                let inside = t0 >= rec && t1 <= end;
                match res {
                    Ok(reply) if inside => {
                        st.hist.saturating_record(micros(t1 - t0));
                        st.count(&reply);
                    }
                    Ok(_) => {}
                    Err(e) => {
                        sender = None;
                        if inside {
                            st.error(format!("transport: {e}"));
                        }
                    }
                }
            }
            st
        }));
    }
    let mut total = Stats::new();
    for t in tasks {
        total.merge(t.await?);
    }
    total.window = shape.duration;
    total.cpu = cpu.await?;
    Ok(total)
}

/// Open loop at `rate` requests/s: a pacer thread releases each request at its scheduled
/// time into a queue that all connections serve; latency runs from the scheduled time. When
/// every connection is busy the queue grows and the waiting shows up in the latency, as it
/// would for real clients.
pub async fn open_loop(
    addr: SocketAddr,
    source: Arc<dyn Source>,
    shape: Shape,
    rate: f64,
) -> Result<Stats, BoxError> {
    let senders = connect_all(addr, shape.connections).await?;
    let (tx, rx) = async_channel::unbounded::<Instant>();
    let start = Instant::now() + Duration::from_millis(20);
    let rec = start + shape.warmup;
    let end = rec + shape.duration;
    // Requests still queued this long after the end are counted as never sent.
    let cutoff = end + Duration::from_secs(2);
    let cpu = cpu_over(shape.server_pid, rec, end);
    let mut tasks = Vec::with_capacity(senders.len());
    for (i, sender) in senders.into_iter().enumerate() {
        let source = source.clone();
        let rx = rx.clone();
        tasks.push(tokio::spawn(async move {
            let mut st = Stats::new();
            let mut rng = Rng::new(i as u64 + 1);
            let mut sender = Some(sender);
            while let Ok(sched) = rx.recv().await {
                let inside = sched >= rec;
                if Instant::now() > cutoff {
                    if inside {
                        st.unsent += 1;
                    }
                    continue;
                }
                let s = match sender.as_mut() {
                    Some(s) => s,
                    None => match connect(addr).await {
                        Ok(s) => sender.insert(s),
                        Err(e) => {
                            st.error(format!("connect: {e}"));
                            continue;
                        }
                    },
                };
                let (ep, body) = source.next(&mut rng);
                let t0 = Instant::now();
                let res = call(s, ep, body).await;
                let t1 = Instant::now();
                match res {
                    Ok(reply) if inside => {
                        st.hist.saturating_record(micros(t1 - sched));
                        st.service.saturating_record(micros(t1 - t0));
                        st.count(&reply);
                    }
                    Ok(_) => {}
                    Err(e) => {
                        sender = None;
                        if inside {
                            st.error(format!("transport: {e}"));
                        }
                    }
                }
            }
            st
        }));
    }
    drop(rx);
    let pacer = tokio::spawn(pace(tx, start, end, rate));
    let mut total = Stats::new();
    for t in tasks {
        total.merge(t.await?);
    }
    pacer.await??;
    total.window = shape.duration;
    total.cpu = cpu.await?;
    Ok(total)
}

/// Releases scheduled send times `start + i/rate` (for `start ≤ t < end`) as they fall due,
/// every request already due after each wake-up. Sleeps on a timerfd (microsecond precision),
/// not on tokio's millisecond timer wheel, and runs inside the runtime, so releasing a request
/// costs no wake-up of another thread.
async fn pace(
    tx: async_channel::Sender<Instant>,
    start: Instant,
    end: Instant,
    rate: f64,
) -> std::io::Result<()> {
    let timer = TimerFd::new()?;
    let at = |i: u64| start + Duration::from_nanos((i as f64 * 1e9 / rate) as u64);
    let mut i = 0u64;
    loop {
        let next = at(i);
        if next >= end {
            return Ok(());
        }
        let now = Instant::now();
        if next > now {
            timer.sleep(next - now).await?;
        }
        let now = Instant::now();
        loop {
            let t = at(i);
            if t > now || t >= end {
                break;
            }
            if tx.try_send(t).is_err() {
                return Ok(());
            }
            i += 1;
        }
    }
}

/// A one-shot Linux timerfd driven by tokio's reactor: sleeps with the kernel's hrtimer
/// precision instead of tokio's 1 ms timer wheel.
struct TimerFd {
    fd: AsyncFd<OwnedFd>,
}

impl TimerFd {
    fn new() -> std::io::Result<Self> {
        // SAFETY: plain syscall; the returned descriptor is checked and then owned.
        let raw =
            unsafe { libc::timerfd_create(libc::CLOCK_MONOTONIC, libc::TFD_NONBLOCK | libc::TFD_CLOEXEC) };
        if raw < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: the OwnedFd stays open, and is the same descriptor, for the AsyncFd's life.
        let fd = unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) };
        Ok(Self { fd: fd.map_err(|e| e.into_parts().1)? })
    }

    async fn sleep(&self, d: Duration) -> std::io::Result<()> {
        let d = d.max(Duration::from_nanos(1)); // a zero value would disarm the timer
        let spec = libc::itimerspec {
            it_interval: libc::timespec { tv_sec: 0, tv_nsec: 0 },
            it_value: libc::timespec { tv_sec: d.as_secs() as libc::time_t, tv_nsec: d.subsec_nanos() as _ },
        };
        // SAFETY: valid descriptor and a valid itimerspec; the old value is not requested.
        if unsafe { libc::timerfd_settime(self.fd.as_raw_fd(), 0, &spec, std::ptr::null_mut()) } < 0 {
            return Err(std::io::Error::last_os_error());
        }
        loop {
            let mut guard = self.fd.readable().await?;
            let read = guard.try_io(|fd| {
                let mut expirations = 0u64;
                // SAFETY: reads 8 bytes into a u64 from a valid descriptor.
                let n = unsafe { libc::read(fd.as_raw_fd(), (&raw mut expirations).cast(), 8) };
                if n < 0 { Err(std::io::Error::last_os_error()) } else { Ok(()) }
            });
            if let Ok(result) = read {
                return result;
            }
        }
    }
}

/// Sends `n` requests from `source` over `connections` connections as fast as possible,
/// handing every 2xx response to `keep` (per connection) and returning what each kept, and
/// the number of errors with the first error seen.
pub async fn run_count<T: Send + 'static>(
    addr: SocketAddr,
    source: Arc<dyn Source>,
    connections: usize,
    n: u64,
    keep: fn(&Reply) -> Option<T>,
) -> Result<(Vec<T>, u64, Option<String>), BoxError> {
    let senders = connect_all(addr, connections).await?;
    let left = Arc::new(AtomicU64::new(n));
    let mut tasks = Vec::with_capacity(senders.len());
    for (i, mut sender) in senders.into_iter().enumerate() {
        let source = source.clone();
        let left = left.clone();
        tasks.push(tokio::spawn(async move {
            let mut kept = Vec::new();
            let mut errors = 0u64;
            let mut first_error = None;
            let mut rng = Rng::new(i as u64 + 1);
            while left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| v.checked_sub(1)).is_ok() {
                let (ep, body) = source.next(&mut rng);
                match call(&mut sender, ep, body).await {
                    Ok(reply) if reply.status.is_success() => kept.extend(keep(&reply)),
                    Ok(reply) => {
                        errors += 1;
                        first_error.get_or_insert_with(|| {
                            format!(
                                "{} {}: {}",
                                reply.status.as_u16(),
                                error_type(&reply.body),
                                error_message(&reply.body)
                            )
                        });
                    }
                    Err(e) => return Err(e),
                }
            }
            Ok::<_, BoxError>((kept, errors, first_error))
        }));
    }
    let mut kept = Vec::new();
    let mut errors = 0;
    let mut first_error = None;
    for t in tasks {
        let (k, e, f) = t.await??;
        kept.extend(k);
        errors += e;
        if first_error.is_none() {
            first_error = f;
        }
    }
    Ok((kept, errors, first_error))
}
