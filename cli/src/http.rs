//! The HTTP/1.1 listener shared by `stand-in` and `serve`: hyper on a tokio listener, with a
//! bounded request head and a header read timeout, so that a slow or oversized client cannot
//! hold a connection forever.

use std::convert::Infallible;
use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

/// Largest request head (headers, where the certificates travel: 6 certificates in base64 fit).
const MAX_HEAD: usize = 64 * 1024;

/// Binds `addr`, prints `listening on http://ADDR` on stdout (port 0 becomes the real port),
/// and answers every request with `handle` until the process ends.
pub async fn serve<H, F>(addr: SocketAddr, handle: H) -> Result<(), String>
where
    H: Fn(hyper::Request<Incoming>) -> F + Clone + Send + 'static,
    F: Future<Output = hyper::Response<Full<Bytes>>> + Send + 'static,
{
    let listener = TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let local = listener.local_addr().map_err(|e| format!("cannot read the listening address: {e}"))?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on http://{local}").and_then(|()| out.flush()).map_err(|e| e.to_string())?;
    }
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                eprintln!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let handle = handle.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let answer = handle(req);
                async move { Ok::<_, Infallible>(answer.await) }
            });
            let mut builder = http1::Builder::new();
            builder.timer(TokioTimer::new()).max_buf_size(MAX_HEAD).header_read_timeout(Duration::from_secs(30));
            let _ = builder.serve_connection(TokioIo::new(stream), service).await;
        });
    }
}
