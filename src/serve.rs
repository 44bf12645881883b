//! The HTTP accept loop behind both listeners (plain `http://` and the `wss://` TLS one): hyper
//! connections with upgrades (WebSockets), keep-alive, graceful shutdown, and two timeouts that
//! `axum::serve` lacks:
//!
//! - **header read** (`--header-read-timeout`): from the first byte of a request to the end of its
//!   headers. A client that dribbles its headers (one byte a second) gets a 408 and the
//!   connection is closed.
//! - **idle** (`--idle-timeout`): a keep-alive connection with no request in flight and no byte
//!   of a new one is closed (a clean close, as HTTP/1.1 allows between requests).
//!
//! Neither applies while a request is being answered (long polls of the event log wait as long
//! as they were asked to) nor after an upgrade: a game server's WebSocket may be quiet for
//! minutes between heartbeats.
//!
//! hyper's own `header_read_timeout` is not used: it also counts the quiet time between two
//! requests (so it cannot be shorter than the idle timeout) and closes without an answer.
//! Instead [`TimedIo`] wraps the socket and watches the time on the reads hyper makes anyway,
//! while the service marks when a request's headers have been parsed (it is called) and when its
//! answer is done (the response body is dropped).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use bytes::Bytes;
use futures_util::task::AtomicWaker;
use hyper::body::{Frame, SizeHint};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, Sleep};
use tower::ServiceExt as _;

use crate::config::Config;

/// The connection timeouts; `None` turns one off.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timeouts {
    /// From the first byte of a request to the end of its headers.
    pub header_read: Option<Duration>,
    /// Between requests on a keep-alive connection.
    pub idle: Option<Duration>,
}

impl Timeouts {
    /// The timeouts `config` asks for (a zero duration turns one off).
    pub fn from_config(config: &Config) -> Self {
        let on = |d: Duration| (!d.is_zero()).then_some(d);
        Self { header_read: on(config.header_read_timeout), idle: on(config.idle_timeout) }
    }
}

/// What a client gets when its headers take too long (then the connection closes).
const REQUEST_TIMEOUT: &[u8] = b"HTTP/1.1 408 Request Timeout\r\n\
content-type: application/json\r\n\
connection: close\r\n\
content-length: 109\r\n\
\r\n\
{\"__type\":\"RequestTimeoutException\",\"message\":\"The request headers were not received within the time limit.\"}";

/// Serves `app` on every connection `listener` accepts until `shutdown` resolves, then lets the
/// requests in progress finish. `handshake` turns an accepted TCP stream into the stream HTTP is
/// spoken over (the stream itself, or a TLS session; `None` drops the connection); it is given
/// the header-read timeout too, so a client that never finishes a TLS handshake is dropped.
pub async fn serve<H, Fut, Io>(
    listener: TcpListener,
    app: Router,
    timeouts: Timeouts,
    handshake: H,
    shutdown: impl Future<Output = ()>,
) where
    H: Fn(TcpStream) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Option<Io>> + Send + 'static,
    Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    // Every connection task holds a receiver; `closed()` resolves once the last one is gone.
    let (open_tx, open_rx) = tokio::sync::watch::channel(());
    let builder = Arc::new(Builder::new(TokioExecutor::new()));
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    accept_error(e).await;
                    continue;
                }
            },
        };
        let _ = tcp.set_nodelay(true);
        let (app, builder, handshake) = (app.clone(), builder.clone(), handshake.clone());
        let (mut stop, open) = (stop_rx.clone(), open_rx.clone());
        tokio::spawn(async move {
            let io = match timeouts.header_read {
                Some(limit) => tokio::time::timeout(limit, handshake(tcp)).await.ok().flatten(),
                None => handshake(tcp).await,
            };
            let Some(io) = io else { return };
            let shared = Arc::new(Shared::new());
            let io = TokioIo::new(TimedIo::new(io, shared.clone(), timeouts));
            let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let answer = app.clone().oneshot(req.map(Body::new));
                let guard = InFlight::start(shared.clone());
                async move {
                    let response = match answer.await {
                        Ok(r) => r,
                        Err(never) => match never {},
                    };
                    if response.status() == hyper::StatusCode::SWITCHING_PROTOCOLS {
                        guard.shared.upgraded.store(true, Ordering::Relaxed);
                    }
                    Ok::<_, std::convert::Infallible>(response.map(|body| Tracked { body, _guard: guard }))
                }
            });
            let conn = builder.serve_connection_with_upgrades(io, service);
            tokio::pin!(conn);
            let mut stopping = false;
            loop {
                tokio::select! {
                    ended = conn.as_mut() => {
                        if let Err(e) = ended {
                            tracing::debug!(%peer, "connection ended: {e}");
                        }
                        break;
                    }
                    _ = stop.wait_for(|s| *s), if !stopping => {
                        stopping = true;
                        conn.as_mut().graceful_shutdown();
                    }
                }
            }
            drop(open);
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop(open_rx);
    open_tx.closed().await;
}

/// Errors of `accept` that concern one connection are skipped; others (out of file descriptors)
/// are logged and retried after a pause, as hyper and axum do.
async fn accept_error(e: std::io::Error) {
    use std::io::ErrorKind::*;
    if matches!(e.kind(), ConnectionRefused | ConnectionAborted | ConnectionReset) {
        return;
    }
    tracing::error!("accept failed: {e}");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// What the service and the socket wrapper of one connection share.
struct Shared {
    /// When the connection started; times below are nanoseconds after it.
    start: Instant,
    /// Requests whose answer is not done (response body not yet dropped).
    in_flight: AtomicUsize,
    /// Requests whose headers have been parsed (the service was called).
    requests: AtomicU64,
    /// When `in_flight` last fell to zero (or the connection started).
    idle_since: AtomicU64,
    /// The connection was upgraded (WebSocket): no timeouts from then on.
    upgraded: AtomicBool,
    /// The task reading the socket while no timeout was armed: woken when the last request in
    /// flight ends, so the idle clock starts even though no byte arrives.
    reader: AtomicWaker,
}

impl Shared {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            in_flight: AtomicUsize::new(0),
            requests: AtomicU64::new(0),
            idle_since: AtomicU64::new(0),
            upgraded: AtomicBool::new(false),
            reader: AtomicWaker::new(),
        }
    }

    fn since_start(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.start).as_nanos()).unwrap_or(u64::MAX)
    }

    fn at(&self, nanos: u64) -> Instant {
        self.start + Duration::from_nanos(nanos)
    }
}

/// One request being answered; dropped with the response body.
struct InFlight {
    shared: Arc<Shared>,
}

impl InFlight {
    fn start(shared: Arc<Shared>) -> Self {
        shared.requests.fetch_add(1, Ordering::Relaxed);
        shared.in_flight.fetch_add(1, Ordering::Relaxed);
        Self { shared }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.shared.in_flight.fetch_sub(1, Ordering::Relaxed) == 1 {
            let now = self.shared.since_start(Instant::now());
            self.shared.idle_since.store(now, Ordering::Relaxed);
            self.shared.reader.wake();
        }
    }
}

/// A response body that ends its request's [`InFlight`] when hyper drops it.
struct Tracked {
    body: Body,
    _guard: InFlight,
}

impl hyper::body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        hyper::body::Body::is_end_stream(&self.body)
    }

    fn size_hint(&self) -> SizeHint {
        hyper::body::Body::size_hint(&self.body)
    }
}

/// The socket of one connection, with the header-read and idle timeouts checked whenever hyper
/// waits for bytes.
struct TimedIo<Io> {
    inner: Io,
    shared: Arc<Shared>,
    timeouts: Timeouts,
    /// `Some(n)`: bytes of a new request arrived when `requests` was `n` and no request was in
    /// flight; its headers are pending until `requests` moves past `n`.
    head: Option<(u64, Instant)>,
    /// HTTP/2 (prior knowledge): no header-read timeout (streams interleave), idle only.
    http2: bool,
    seen_bytes: bool,
    timer: Option<Pin<Box<Sleep>>>,
}

impl<Io> TimedIo<Io> {
    fn new(inner: Io, shared: Arc<Shared>, timeouts: Timeouts) -> Self {
        Self { inner, shared, timeouts, head: None, http2: false, seen_bytes: false, timer: None }
    }

    /// The deadline that applies now, and whether it is the header-read one.
    fn deadline(&mut self) -> Option<(Instant, bool)> {
        let shared = &self.shared;
        if shared.upgraded.load(Ordering::Relaxed) || shared.in_flight.load(Ordering::Relaxed) > 0 {
            return None;
        }
        if let Some((n, since)) = self.head {
            if shared.requests.load(Ordering::Relaxed) == n {
                return self.timeouts.header_read.map(|t| (since + t, true));
            }
            self.head = None;
        }
        let idle = self.timeouts.idle?;
        Some((shared.at(shared.idle_since.load(Ordering::Relaxed)) + idle, false))
    }

    /// Notes the bytes just read: the first bytes of a request start its header-read clock.
    fn on_bytes(&mut self, bytes: &[u8]) {
        if !self.seen_bytes {
            self.seen_bytes = true;
            self.http2 = bytes.starts_with(b"PRI * HTTP/2.0");
        }
        let shared = &self.shared;
        if self.http2
            || shared.upgraded.load(Ordering::Relaxed)
            || shared.in_flight.load(Ordering::Relaxed) > 0
        {
            return;
        }
        let n = shared.requests.load(Ordering::Relaxed);
        if self.head.is_none_or(|(m, _)| m != n) {
            self.head = Some((n, Instant::now()));
        }
    }
}

impl<Io: AsyncRead + AsyncWrite + Unpin> AsyncRead for TimedIo<Io> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let filled = &buf.filled()[before..];
                if !filled.is_empty() {
                    self.on_bytes(filled);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                let Some((deadline, header)) = self.deadline() else {
                    if self.shared.upgraded.load(Ordering::Relaxed) {
                        self.timer = None;
                    }
                    self.shared.reader.register(cx.waker());
                    // The last request may have ended since `deadline` looked.
                    if self.deadline().is_some() {
                        cx.waker().wake_by_ref();
                    }
                    return Poll::Pending;
                };
                // One timer per connection, moved only to an earlier deadline: a keep-alive
                // connection's idle deadline moves with every request, and re-arming the timer
                // each time would cost a timer-wheel update per request. A timer that fires
                // before the current deadline is simply set again.
                let now = Instant::now();
                if now < deadline {
                    let timer = match &mut self.timer {
                        Some(t) => {
                            if deadline < t.deadline() || t.deadline() <= now {
                                t.as_mut().reset(deadline);
                            }
                            t
                        }
                        None => self.timer.insert(Box::pin(tokio::time::sleep_until(deadline))),
                    };
                    if timer.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    if Instant::now() < deadline {
                        timer.as_mut().reset(deadline);
                        if timer.as_mut().poll(cx).is_pending() {
                            return Poll::Pending;
                        }
                    }
                }
                self.timer = None;
                if header {
                    // Best effort: the answer fits in one write; then close our side.
                    let inner = Pin::new(&mut self.inner);
                    let inner = inner.get_mut();
                    let _ = Pin::new(&mut *inner).poll_write(cx, REQUEST_TIMEOUT);
                    let _ = Pin::new(&mut *inner).poll_flush(cx);
                    let _ = Pin::new(&mut *inner).poll_shutdown(cx);
                    tracing::debug!("request headers not received in time: 408, connection closed");
                    Poll::Ready(Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "header read timeout")))
                } else {
                    // An end of stream between requests: hyper closes the connection cleanly.
                    tracing::trace!("idle connection closed");
                    Poll::Ready(Ok(()))
                }
            }
        }
    }
}

impl<Io: AsyncWrite + Unpin> AsyncWrite for TimedIo<Io> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timeout_answer_declares_its_length() {
        let text = std::str::from_utf8(REQUEST_TIMEOUT).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("content-length: {}", body.len())), "{head} / {}", body.len());
        serde_json::from_str::<serde_json::Value>(body).unwrap();
    }
}
