//! The HTTP/1.1 listener shared by `stand-in` and `serve`: hyper on a tokio listener, kept
//! answering legitimate clients while others are slow, oversized or many.
//!
//! - **One request per connection** (answers say `Connection: close`), received whole before the
//!   handler runs: the head, at most [`MAX_HEAD`] bytes counted here before hyper parses it (431
//!   beyond), and the body, at most [`MAX_BODY`] bytes (413 beyond; 400 when the client ends it
//!   short of its `Content-Length`).
//! - **A deadline per request**: head and body within [`REQUEST_DEADLINE`] of the connection's
//!   start, or 408 and the connection ends.
//! - **A cap on connections**, below the process's open-file limit ([`connection_cap`]), so that
//!   accepting never fails for want of a file descriptor. At the cap, the oldest connection
//!   that is still sending its request (or has had its answer) is dropped to make room for the
//!   new one; a connection whose request is being answered is never dropped, and when all are,
//!   the new one waits for one of them to end. A client that sends its request in one go is
//!   answered however many slow ones hold connections.
//! - **A lingering close**: after the answer, the connection's write side is shut and what the
//!   client still sends is read and dropped for up to [`LINGER`], so that an answer sent before
//!   the whole request was read (413, 431) is not lost to a TCP reset.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use rolesanywhere::ErrorCode;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::AbortHandle;
use tokio::time::{timeout, timeout_at, Instant};

use crate::Failure;

/// Largest request head: request line, headers and the empty line that ends them (where the
/// certificates travel: 6 certificates in base64 fit).
pub const MAX_HEAD: usize = 64 * 1024;
/// Largest request body (a CreateSession body is well under 1 KiB; STS query bodies too).
pub const MAX_BODY: usize = 64 * 1024;
/// Time a client has to send its whole request (head and body) from the moment it connects.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(10);
/// Longest a connection stays open after its answer, reading what the client still sends.
pub const LINGER: Duration = Duration::from_secs(2);
/// Most connections at once whatever the open-file limit: each may buffer a head and a body,
/// so this bounds memory to about 128 MiB.
const MAX_CONNECTIONS: usize = 1024;

/// A request as the handlers get it: hyper's head, and the body read whole, or why it could not
/// be (the handler answers [`BodyError::status`]).
pub type Request = hyper::Request<Result<Vec<u8>, BodyError>>;

/// Why a request's body could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyError {
    /// Longer than [`MAX_BODY`] (declared or sent): 413.
    TooLarge,
    /// The client ended the connection before the body was complete: 400.
    Incomplete,
    /// Not received within [`REQUEST_DEADLINE`]: 408.
    TimedOut,
}

impl BodyError {
    /// The HTTP status to answer.
    pub fn status(self) -> u16 {
        match self {
            BodyError::TooLarge => 413,
            BodyError::Incomplete => 400,
            BodyError::TimedOut => 408,
        }
    }

    /// A name for the request log.
    pub fn name(self) -> &'static str {
        match self {
            BodyError::TooLarge => "RequestEntityTooLarge",
            BodyError::Incomplete => "IncompleteBody",
            BodyError::TimedOut => "RequestTimeout",
        }
    }

    /// What happened, for the answer's message.
    pub fn message(self) -> String {
        match self {
            BodyError::TooLarge => format!("Request entity too large: bodies are limited to {MAX_BODY} bytes"),
            BodyError::Incomplete => "The request body ended before its Content-Length".into(),
            BodyError::TimedOut => {
                format!("The request was not received within {} s", REQUEST_DEADLINE.as_secs())
            }
        }
    }
}

/// Binds `addr`, prints `listening on http://ADDR` on stdout (port 0 becomes the real port),
/// and answers every request with `handle` until the process ends. Fails with `Network` when
/// it cannot listen.
pub async fn serve<H, F>(addr: SocketAddr, handle: H) -> Result<(), Failure>
where
    H: Fn(Request) -> F + Clone + Send + 'static,
    F: Future<Output = hyper::Response<Full<Bytes>>> + Send + 'static,
{
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| Failure::new(ErrorCode::Network, format!("cannot listen on {addr}: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| Failure::new(ErrorCode::Network, format!("cannot read the listening address: {e}")))?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on http://{local}")
            .and_then(|()| out.flush())
            .map_err(|e| Failure::new(ErrorCode::Internal, format!("cannot write to standard output: {e}")))?;
    }
    let slots = Arc::new(Slots::new(connection_cap(open_file_limit())));
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                eprintln!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        slots.make_room().await;
        let handle = handle.clone();
        slots.open(move |slot| tokio::spawn(connection(stream, slot, handle)).abort_handle());
    }
}

/// The soft limit on open files (`RLIMIT_NOFILE`), when there is one.
#[cfg(unix)]
fn open_file_limit() -> Option<u64> {
    rustix::process::getrlimit(rustix::process::Resource::Nofile).current
}

/// The soft limit on open files: none known here.
#[cfg(not(unix))]
fn open_file_limit() -> Option<u64> {
    None
}

/// Most connections served at once: three quarters of the open-file limit (the rest is for the
/// listener, the standard streams, the connection being accepted, `serve`'s own requests to AWS
/// and the files it reads), at most [`MAX_CONNECTIONS`], at least one.
fn connection_cap(open_file_limit: Option<u64>) -> usize {
    open_file_limit
        .map_or(MAX_CONNECTIONS, |n| usize::try_from(n / 4 * 3).unwrap_or(MAX_CONNECTIONS))
        .clamp(1, MAX_CONNECTIONS)
}

/// One connection: its request read within the deadline, answered, and closed.
async fn connection<H, F>(mut stream: TcpStream, slot: Slot, handle: H)
where
    H: Fn(Request) -> F + Clone + Send + 'static,
    F: Future<Output = hyper::Response<Full<Bytes>>> + Send + 'static,
{
    let deadline = Instant::now() + REQUEST_DEADLINE;
    let mut head = Vec::new();
    match timeout_at(deadline, read_head(&mut stream, &mut head)).await {
        Ok(Ok(())) => {}
        Ok(Err(HeadError::TooLarge)) => {
            let message = format!("Request header fields too large: heads are limited to {MAX_HEAD} bytes");
            return refuse(stream, "431 Request Header Fields Too Large", &message).await;
        }
        Ok(Err(HeadError::Closed)) => return,
        // A connection that never sent a byte is closed without an answer.
        Err(_) if head.is_empty() => return,
        Err(_) => return refuse(stream, "408 Request Timeout", &BodyError::TimedOut.message()).await,
    }
    let slot = Arc::new(slot);
    let answering = slot.clone();
    let service = service_fn(move |request: hyper::Request<Incoming>| {
        let handle = handle.clone();
        let slot = answering.clone();
        async move {
            let (parts, body) = request.into_parts();
            let body = read_body(&parts.headers, body, deadline).await;
            if !slot.answering() {
                // Dropped to make room meanwhile: the task ends at its next await.
                return Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::new())));
            }
            Ok(handle(hyper::Request::from_parts(parts, body)).await)
        }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .keep_alive(false)
        // hyper sees only heads that fit MAX_HEAD (read_head checked); room for some body too.
        .max_buf_size(2 * MAX_HEAD)
        .header_read_timeout(REQUEST_DEADLINE);
    let io = TokioIo::new(Prefixed { prefix: head, read: 0, stream });
    if let Ok(parts) = builder.serve_connection(io, service).without_shutdown().await {
        slot.answered();
        linger(parts.io.into_inner().stream).await;
    }
}

/// Why [`read_head`] stopped.
enum HeadError {
    /// More than [`MAX_HEAD`] bytes without the empty line that ends a head.
    TooLarge,
    /// The client closed the connection, or it failed.
    Closed,
}

/// Reads into `buf` until it holds a whole request head (and maybe the start of the body).
async fn read_head(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Result<(), HeadError> {
    loop {
        let scanned = buf.len();
        buf.reserve(8192);
        if stream.read_buf(buf).await.map_err(|_| HeadError::Closed)? == 0 {
            return Err(HeadError::Closed);
        }
        match head_len(buf, scanned) {
            Some(len) if len <= MAX_HEAD => return Ok(()),
            Some(_) => return Err(HeadError::TooLarge),
            None if buf.len() >= MAX_HEAD => return Err(HeadError::TooLarge),
            None => {}
        }
    }
}

/// The length of the head at the start of `buf`, up to and including the empty line that ends
/// it (CRLF or bare LF line ends; empty lines before the request line are part of it, RFC 9112
/// section 2.2), when `buf` holds one. The first `scanned` bytes were searched before.
fn head_len(buf: &[u8], scanned: usize) -> Option<usize> {
    let start = buf.iter().position(|b| !matches!(b, b'\r' | b'\n'))?;
    (scanned.saturating_sub(3).max(start)..buf.len()).find_map(|i| {
        if buf[i] != b'\n' {
            return None;
        }
        match (buf.get(i + 1), buf.get(i + 2)) {
            (Some(b'\n'), _) => Some(i + 2),
            (Some(b'\r'), Some(b'\n')) => Some(i + 3),
            _ => None,
        }
    })
}

/// Reads the body, at most [`MAX_BODY`] bytes, by `deadline`.
async fn read_body(headers: &hyper::HeaderMap, body: Incoming, deadline: Instant) -> Result<Vec<u8>, BodyError> {
    let declared =
        headers.get(hyper::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(BodyError::TooLarge);
    }
    match timeout_at(deadline, Limited::new(body, MAX_BODY).collect()).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes().to_vec()),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => Err(BodyError::TooLarge),
        Ok(Err(_)) => Err(BodyError::Incomplete),
        Err(_) => Err(BodyError::TimedOut),
    }
}

/// Answers `status` with `{"message": …}` before hyper has seen the request, then closes.
async fn refuse(mut stream: TcpStream, status: &str, message: &str) {
    let body = serde_json::json!({ "message": message }).to_string();
    let answer = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    if let Ok(Ok(())) = timeout(LINGER, stream.write_all(answer.as_bytes())).await {
        linger(stream).await;
    }
}

/// Shuts the write side, then reads and drops what the client still sends, until it closes or
/// for [`LINGER`] at most.
async fn linger(mut stream: TcpStream) {
    let _ = timeout(LINGER, async {
        stream.shutdown().await?;
        let mut sink = [0u8; 4096];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<_, std::io::Error>(())
    })
    .await;
}

/// The connection as hyper reads it: the bytes [`read_head`] took first, then the socket.
struct Prefixed {
    prefix: Vec<u8>,
    read: usize,
    stream: TcpStream,
}

impl AsyncRead for Prefixed {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        if this.read < this.prefix.len() {
            let n = (this.prefix.len() - this.read).min(buf.remaining());
            buf.put_slice(&this.prefix[this.read..this.read + n]);
            this.read += n;
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Prefixed {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// The open connections, up to a cap.
struct Slots {
    cap: usize,
    table: Mutex<Table>,
    /// Signalled when a connection ends.
    freed: Notify,
}

#[derive(Default)]
struct Table {
    next_id: u64,
    /// By id, so oldest first.
    open: BTreeMap<u64, Open>,
}

struct Open {
    abort: AbortHandle,
    phase: Phase,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Receiving its request, or answered: may be dropped to make room.
    Droppable,
    /// Its request is being answered.
    Answering,
    /// Dropped to make room; it ends at its next await.
    Dropped,
}

impl Slots {
    fn new(cap: usize) -> Self {
        Slots { cap, table: Mutex::default(), freed: Notify::new() }
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Returns once a connection may be added. At the cap, it drops the oldest droppable
    /// connection (one at a time) and waits for a connection to end.
    async fn make_room(&self) {
        loop {
            let freed = self.freed.notified();
            {
                let mut table = self.lock();
                if table.open.len() < self.cap {
                    return;
                }
                if !table.open.values().any(|c| c.phase == Phase::Dropped) {
                    if let Some(oldest) = table.open.values_mut().find(|c| c.phase == Phase::Droppable) {
                        oldest.phase = Phase::Dropped;
                        oldest.abort.abort();
                    }
                }
            }
            freed.await;
        }
    }

    /// Adds the connection that `spawn` starts with its slot (under the lock, so that the task
    /// cannot end before it is in the table).
    fn open(self: &Arc<Self>, spawn: impl FnOnce(Slot) -> AbortHandle) {
        let mut table = self.lock();
        let id = table.next_id;
        table.next_id += 1;
        let abort = spawn(Slot { slots: self.clone(), id });
        table.open.insert(id, Open { abort, phase: Phase::Droppable });
    }
}

/// A connection's place in [`Slots`]; dropping it (when the connection's task ends or is
/// aborted) frees the place.
struct Slot {
    slots: Arc<Slots>,
    id: u64,
}

impl Slot {
    fn set_phase(&self, from: Phase, to: Phase) -> Option<Phase> {
        let mut table = self.slots.lock();
        let open = table.open.get_mut(&self.id)?;
        if open.phase == from {
            open.phase = to;
        }
        Some(open.phase)
    }

    /// The request is received: from now on it is answered, never dropped. `false` when it
    /// was dropped meanwhile.
    fn answering(&self) -> bool {
        self.set_phase(Phase::Droppable, Phase::Answering) == Some(Phase::Answering)
    }

    /// The answer is sent: the connection may be dropped again.
    fn answered(&self) {
        self.set_phase(Phase::Answering, Phase::Droppable);
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.slots.lock().open.remove(&self.id);
        self.slots.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_length() {
        let head = b"GET / HTTP/1.1\r\nHost: x\r\n\r\nbody";
        assert_eq!(head_len(head, 0), Some(head.len() - 4));
        assert_eq!(head_len(b"GET / HTTP/1.1\nHost: x\n\nbody", 0), Some(24));
        assert_eq!(head_len(b"\r\n\r\nGET / HTTP/1.1\r\n\r\n", 0), Some(22), "empty lines first are part of it");
        assert_eq!(head_len(b"GET / HTTP/1.1\r\nHost: x\r\n\r", 0), None);
        assert_eq!(head_len(b"\r\n\r\n", 0), None);
        // A head whose end arrives in pieces is found from where the search stopped.
        let mut buf = b"GET / HTTP/1.1\r\nHost: x\r".to_vec();
        assert_eq!(head_len(&buf, 0), None);
        let scanned = buf.len();
        buf.extend_from_slice(b"\n\r\n");
        assert_eq!(head_len(&buf, scanned), Some(buf.len()));
    }

    #[test]
    fn the_connection_cap_stays_below_the_file_limit() {
        assert_eq!(connection_cap(Some(256)), 192);
        assert_eq!(connection_cap(Some(1024)), 768);
        assert_eq!(connection_cap(Some(1 << 20)), MAX_CONNECTIONS);
        assert_eq!(connection_cap(None), MAX_CONNECTIONS);
        assert_eq!(connection_cap(Some(1)), 1);
    }

    /// Opens a connection whose task holds its slot until aborted; returns the slot, weakly.
    async fn open(slots: &Arc<Slots>) -> std::sync::Weak<Slot> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        slots.open(move |slot| {
            tokio::spawn(async move {
                let slot = Arc::new(slot);
                tx.send(Arc::downgrade(&slot)).ok();
                std::future::pending::<()>().await;
            })
            .abort_handle()
        });
        rx.await.unwrap()
    }

    fn ids(slots: &Slots) -> Vec<u64> {
        slots.lock().open.keys().copied().collect()
    }

    #[tokio::test]
    async fn at_the_cap_the_oldest_droppable_connection_makes_room() {
        let slots = Arc::new(Slots::new(2));
        let first = open(&slots).await;
        open(&slots).await;
        // The first is being answered: the second one goes.
        assert!(first.upgrade().unwrap().answering());
        slots.make_room().await;
        assert_eq!(ids(&slots), [0]);
        // Once answered, the first may go too, oldest first.
        open(&slots).await;
        first.upgrade().unwrap().answered();
        slots.make_room().await;
        assert_eq!(ids(&slots), [2]);
        assert!(first.upgrade().is_none());
        // Below the cap nothing goes.
        slots.make_room().await;
        assert_eq!(ids(&slots), [2]);
    }
}
