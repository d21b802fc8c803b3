//! The `CreateSession` quota: a token bucket per account and region, as Roles Anywhere limits
//! the rate of `CreateSession` requests.
//!
//! Sources: **\[Q\]** Roles Anywhere user guide, "Quotas": "Rate of CreateSession requests — The
//! maximum transactions per second for CreateSession requests", default **10 per second**,
//! adjustable; **\[EC2\]** Amazon EC2 API reference, "Request throttling" (the token bucket AWS
//! documents: a bucket size and a refill rate, and "the number of tokens in the bucket represents
//! your throttling limit at any given second"); **\[CE\]** AWS "Common Errors"
//! (<https://docs.aws.amazon.com/organizations/latest/APIReference/CommonErrors.html>):
//! "ThrottlingException — The request was denied due to request throttling. HTTP Status Code:
//! 400".
//!
//! What AWS does not document, and what the stand-in does instead:
//! - the burst (bucket size) of the `CreateSession` quota: the bucket holds as many tokens as the
//!   per-second rate unless `createSessionBurst` says otherwise, so a full bucket allows one
//!   second's worth of requests at once;
//! - the exact throttling answer of `CreateSession`, whose API model lists no throttling error:
//!   the stand-in answers as \[CE\] describes (`ThrottlingException`, HTTP 400) in the shape of
//!   the API's other errors (`X-Amzn-ErrorType` and `{"message": …}`), with the message AWS's
//!   throttles give elsewhere ("Rate exceeded").

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use serde::Deserialize;

/// \[Q\]: 10 `CreateSession` requests per second per account and region.
const DEFAULT_PER_SECOND: u32 = 10;
/// Largest rate or burst the configuration takes.
const MAX_RATE: u32 = 1_000_000;
/// Most buckets kept at once. A full bucket is the same as none, so full ones are dropped to
/// make room; while none is full, a request of a new account and region is throttled.
const MAX_BUCKETS: usize = 10_000;

/// The `quotas` object of the configuration (all fields optional).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawQuotas {
    create_session_per_second: Option<u32>,
    create_session_burst: Option<u32>,
}

/// The quotas the stand-in enforces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quotas {
    /// `CreateSession` requests per second and per (account, region): the refill rate.
    pub create_session_per_second: u32,
    /// The bucket size: the most requests accepted at once after a quiet second.
    pub create_session_burst: u32,
}

impl RawQuotas {
    /// The checked quotas: each value from 1 to 1,000,000; the burst defaults to the rate.
    pub fn check(self) -> Result<Quotas, String> {
        let in_range = |name: &str, value: u32| {
            if (1..=MAX_RATE).contains(&value) {
                Ok(value)
            } else {
                Err(format!("{name} {value} is outside 1..={MAX_RATE}"))
            }
        };
        let per_second =
            in_range("createSessionPerSecond", self.create_session_per_second.unwrap_or(DEFAULT_PER_SECOND))?;
        let burst = in_range("createSessionBurst", self.create_session_burst.unwrap_or(per_second))?;
        Ok(Quotas { create_session_per_second: per_second, create_session_burst: burst })
    }
}

/// A bucket: its tokens at `at`.
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    /// The tokens at `now`: those at `at`, plus the refill since, up to the bucket size.
    fn refill(&mut self, quotas: &Quotas, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        let size = f64::from(quotas.create_session_burst);
        self.tokens = (self.tokens + elapsed * f64::from(quotas.create_session_per_second)).min(size);
        self.at = now;
    }

    fn is_full(&self, quotas: &Quotas) -> bool {
        self.tokens >= f64::from(quotas.create_session_burst)
    }
}

/// The buckets of the `CreateSession` quota, by (account, region). Time is an argument: the
/// stand-in passes a monotonic clock, so that buckets refill with real elapsed time even when
/// `--now` pins its wall clock.
pub struct Throttle {
    quotas: Quotas,
    buckets: Mutex<HashMap<(String, String), Bucket>>,
}

impl Throttle {
    /// Full buckets for every account and region.
    pub fn new(quotas: Quotas) -> Self {
        Throttle { quotas, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes a token for a `CreateSession` request of `account` in `region` at `now`; `false`
    /// when the bucket is empty (throttled). A throttled request takes nothing, so that retries
    /// do not push the next success further away.
    pub fn admit(&self, account: &str, region: &str, now: Instant) -> bool {
        let quotas = &self.quotas;
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let key = (account.to_string(), region.to_string());
        if !buckets.contains_key(&key) && buckets.len() >= MAX_BUCKETS {
            buckets.retain(|_, bucket| {
                bucket.refill(quotas, now);
                !bucket.is_full(quotas)
            });
            if buckets.len() >= MAX_BUCKETS {
                return false;
            }
        }
        let bucket =
            buckets.entry(key).or_insert_with(|| Bucket { tokens: f64::from(quotas.create_session_burst), at: now });
        bucket.refill(quotas, now);
        if bucket.tokens < 1.0 {
            return false;
        }
        bucket.tokens -= 1.0;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn quotas(json: &str) -> Result<Quotas, String> {
        serde_json::from_str::<RawQuotas>(json).map_err(|e| e.to_string())?.check()
    }

    #[test]
    fn configuration() {
        assert_eq!(quotas("{}").unwrap(), Quotas { create_session_per_second: 10, create_session_burst: 10 });
        // The burst follows the rate unless given.
        let q = quotas(r#"{"createSessionPerSecond": 3}"#).unwrap();
        assert_eq!((q.create_session_per_second, q.create_session_burst), (3, 3));
        let q = quotas(r#"{"createSessionPerSecond": 3, "createSessionBurst": 20}"#).unwrap();
        assert_eq!((q.create_session_per_second, q.create_session_burst), (3, 20));
        for (bad, want) in [
            (r#"{"createSessionPerSecond": 0}"#, "createSessionPerSecond 0 is outside 1..=1000000"),
            (r#"{"createSessionBurst": 2000000}"#, "createSessionBurst 2000000 is outside"),
            (r#"{"createSessionPerSecond": -1}"#, "invalid value"),
            (r#"{"createSessionPerSecond": 1.5}"#, "invalid type"),
            (r#"{"createSessionsPerSecond": 5}"#, "unknown field"),
        ] {
            let e = quotas(bad).unwrap_err();
            assert!(e.contains(want), "{bad}: {e}");
        }
    }

    #[test]
    fn bucket_allows_the_burst_then_the_rate() {
        let throttle = Throttle::new(Quotas { create_session_per_second: 10, create_session_burst: 10 });
        let t0 = Instant::now();
        let admitted = (0..15).filter(|_| throttle.admit("123456789012", "us-west-2", t0)).count();
        assert_eq!(admitted, 10, "a full bucket holds one second's worth");
        // 100 ms later: one token back.
        let t1 = t0 + Duration::from_millis(100);
        assert!(throttle.admit("123456789012", "us-west-2", t1));
        assert!(!throttle.admit("123456789012", "us-west-2", t1));
        // Throttled requests take nothing: 100 ms after the last success, one more, however many
        // were refused in between.
        for ms in [110, 150, 199] {
            assert!(!throttle.admit("123456789012", "us-west-2", t0 + Duration::from_millis(ms)), "{ms} ms");
        }
        assert!(throttle.admit("123456789012", "us-west-2", t0 + Duration::from_millis(200)));
        // Never more than the bucket size, however long the pause.
        let later = t0 + Duration::from_secs(3600);
        assert_eq!((0..15).filter(|_| throttle.admit("123456789012", "us-west-2", later)).count(), 10);
    }

    #[test]
    fn buckets_are_per_account_and_region() {
        let throttle = Throttle::new(Quotas { create_session_per_second: 1, create_session_burst: 2 });
        let t = Instant::now();
        for (account, region) in
            [("123456789012", "us-west-2"), ("123456789012", "eu-west-1"), ("210987654321", "us-west-2")]
        {
            assert!(throttle.admit(account, region, t));
            assert!(throttle.admit(account, region, t));
            assert!(!throttle.admit(account, region, t), "{account} {region}");
        }
    }

    #[test]
    fn the_number_of_buckets_is_bounded() {
        let throttle = Throttle::new(Quotas { create_session_per_second: 1, create_session_burst: 2 });
        let t = Instant::now();
        for i in 0..MAX_BUCKETS {
            assert!(throttle.admit(&format!("{i:012}"), "us-west-2", t));
        }
        // No bucket is full again yet: a new key is throttled, a known one still has a token.
        assert!(!throttle.admit("999999999999", "us-west-2", t));
        assert!(throttle.admit("000000000000", "us-west-2", t));
        // A second later the others are full again and make room.
        assert!(throttle.admit("999999999999", "us-west-2", t + Duration::from_secs(1)));
        assert!(throttle.buckets.lock().unwrap().len() <= 2);
    }
}
