//! `rolesanywhere stand-in`: a local stand-in for IAM Roles Anywhere `CreateSession` and for
//! STS `GetCallerIdentity` and `AssumeRole`, configured like the setup guide (trust anchors,
//! roles with trust policies, profiles), so that clients, demos and browser pages can be tested
//! end to end without an AWS account.
//!
//! - [`config`]: the JSON configuration, checked at load.
//! - [`policy`]: trust-policy evaluation with IAM semantics.
//! - [`tags`]: the principal tags Roles Anywhere derives from the certificate.
//! - [`sessions`]: `POST /sessions`.
//! - [`quota`]: the `CreateSession` quota, a token bucket per account and region.
//! - [`sts`]: `POST /` (`Action=GetCallerIdentity`, `AssumeRole`), for credentials the stand-in
//!   issued.
//! - [`verify`]: reading and verifying SigV4-signed requests, for both.
//! - [`store`]: issued credentials, in memory, bounded.
//! - [`http`]: routing, CORS and the request log, on the listener of [`crate::http`].

pub mod config;
pub mod http;
pub mod policy;
pub mod quota;
pub mod sessions;
pub mod store;
pub mod sts;
pub mod tags;
pub mod verify;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use clap::Args;
use rolesanywhere::{ErrorCode, Time};

use crate::Failure;

/// Options of `rolesanywhere stand-in`.
#[derive(Args)]
pub struct StandInArgs {
    /// The configuration: trust anchors, roles and profiles (JSON; see the README).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Loopback address to listen on; port 0 picks a free port (printed on stdout).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Pins the clock to this RFC 3339 time, so recorded requests replay deterministically.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
}

/// The stand-in's clock: the system clock, or a pinned time (`--now`).
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    pinned: Option<Time>,
}

impl Clock {
    /// A clock pinned at `time`, or following the system clock when `None`.
    pub fn new(pinned: Option<Time>) -> Self {
        Clock { pinned }
    }

    /// The current time.
    pub fn now(&self) -> Time {
        if let Some(t) = self.pinned {
            return t;
        }
        let seconds = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        Time::from_unix_seconds(seconds).unwrap_or(Time::UNIX_EPOCH)
    }

    /// The monotonic clock the quota's buckets refill by: real elapsed time, also when `--now`
    /// pins [`Clock::now`] (a pinned clock never advances, and an emptied bucket must still
    /// refill).
    pub fn monotonic(&self) -> Instant {
        Instant::now()
    }
}

/// Everything a request handler reads: the configuration, the clock and the issued credentials.
pub struct State {
    /// The loaded configuration.
    pub config: config::Config,
    /// The clock.
    pub clock: Clock,
    /// Credentials issued so far.
    pub store: store::Store,
    /// The `CreateSession` quota's buckets.
    pub throttle: quota::Throttle,
}

/// A received HTTP request, as the handlers see it: hyper's, with the body read (at most
/// [`crate::http::MAX_BODY`] bytes). Header names are lower-case; the path and query are as sent.
pub type Request = hyper::Request<Vec<u8>>;

/// An answer: status, headers, body, and the outcome written to the request log (an error code
/// or `ok`, never a secret).
#[derive(Clone, Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Headers to send.
    pub headers: Vec<(&'static str, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
    /// For the log: `ok` or the error code.
    pub outcome: String,
}

/// Runs the stand-in until it is killed. Fails with `InvalidInput` for a bad configuration
/// file, `InvalidTime` for a bad `--now`, `InvalidOptions` for an address that is not loopback,
/// and `Network` when it cannot listen.
pub fn run(args: &StandInArgs) -> Result<(), Failure> {
    let config = config::Config::load(&args.config).map_err(|e| Failure::new(ErrorCode::InvalidInput, e))?;
    let pinned = match &args.now {
        Some(text) => Some(
            Time::parse_rfc3339(text)
                .map_err(|e| Failure::new(ErrorCode::InvalidTime, format!("--now {text:?}: {e}")))?,
        ),
        None => None,
    };
    if !args.listen.ip().is_loopback() {
        return Err(Failure::new(
            ErrorCode::InvalidOptions,
            format!("--listen {}: the stand-in only listens on loopback addresses", args.listen),
        ));
    }
    let store = store::Store::new(config.limits);
    let throttle = quota::Throttle::new(config.quotas);
    let state = Arc::new(State { config, clock: Clock::new(pinned), store, throttle });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(ErrorCode::Internal, format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(http::serve(args.listen, state))
}
