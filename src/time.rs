//! Points in time, passed in by the caller: the core never reads a clock.
//!
//! Signing dates (`X-Amz-Date`), certificate validity and credential expiry are all compared
//! against a [`Time`] that the host supplies, so every result is reproducible.

use alloc::string::String;

use crate::digits::decimal_into;
use crate::error::Piece;

/// A UTC instant with one-second precision, counted from the Unix epoch.
///
/// Only instants from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z exist, the range of
/// X.509 validity dates and of SigV4's `X-Amz-Date`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(u64);

/// A string that is not an RFC 3339 UTC time, or a number of seconds out of range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct InvalidTime;

impl Piece for InvalidTime {
    fn push_to(&self, out: &mut String) {
        out.push_str("invalid time: expected RFC 3339 such as 2024-06-01T12:00:30Z, between years 1970 and 9999");
    }
}

#[cfg(feature = "std")]
impl std::error::Error for InvalidTime {}

/// 9999-12-31T23:59:59Z.
const MAX_SECONDS: u64 = 253_402_300_799;

impl Time {
    /// The Unix epoch, 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: Time = Time(0);

    /// The instant `seconds` after the Unix epoch.
    pub fn from_unix_seconds(seconds: u64) -> Result<Self, InvalidTime> {
        if seconds > MAX_SECONDS {
            return Err(InvalidTime);
        }
        Ok(Time(seconds))
    }

    /// Seconds since the Unix epoch.
    pub fn unix_seconds(self) -> u64 {
        self.0
    }

    /// The instant `seconds` later, saturating at the end of year 9999.
    pub fn saturating_add(self, seconds: u64) -> Time {
        Time(self.0.saturating_add(seconds).min(MAX_SECONDS))
    }

    /// Builds a time from calendar fields in UTC, checking each one.
    pub fn from_utc(year: u16, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Result<Self, InvalidTime> {
        if !(1970..=9999).contains(&year)
            || !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 59
        {
            return Err(InvalidTime);
        }
        let days = days_from_civil(i64::from(year), u32::from(month), u32::from(day));
        let seconds = days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
        u64::try_from(seconds).map(Time).map_err(|_| InvalidTime)
    }

    /// Parses an RFC 3339 timestamp such as `2024-06-01T12:00:30Z`.
    ///
    /// Accepts a `Z` or `±hh:mm` offset and fractional seconds (dropped, not rounded), as AWS
    /// writes `expiration` in its JSON answers. Leap seconds (`:60`) are refused.
    pub fn parse_rfc3339(input: &str) -> Result<Self, InvalidTime> {
        let b = input.as_bytes();
        if b.len() < 20 || b.len() > 40 {
            return Err(InvalidTime);
        }
        let num = |range: core::ops::Range<usize>| -> Result<u16, InvalidTime> {
            let digits = b.get(range).ok_or(InvalidTime)?;
            digits.iter().try_fold(0u16, |acc, &d| {
                if d.is_ascii_digit() {
                    Ok(acc * 10 + u16::from(d - b'0'))
                } else {
                    Err(InvalidTime)
                }
            })
        };
        let sep = |i: usize, allowed: &[u8]| -> Result<(), InvalidTime> {
            match b.get(i) {
                Some(c) if allowed.contains(c) => Ok(()),
                _ => Err(InvalidTime),
            }
        };
        sep(4, b"-")?;
        sep(7, b"-")?;
        sep(10, b"Tt ")?;
        sep(13, b":")?;
        sep(16, b":")?;
        let narrow = |v: u16| u8::try_from(v).map_err(|_| InvalidTime);
        let base = Time::from_utc(
            num(0..4)?,
            narrow(num(5..7)?)?,
            narrow(num(8..10)?)?,
            narrow(num(11..13)?)?,
            narrow(num(14..16)?)?,
            narrow(num(17..19)?)?,
        )?;
        let mut rest = 19;
        if b.get(rest) == Some(&b'.') {
            rest += 1;
            let start = rest;
            while b.get(rest).is_some_and(u8::is_ascii_digit) {
                rest += 1;
            }
            if rest == start {
                return Err(InvalidTime);
            }
        }
        match b.get(rest) {
            Some(b'Z' | b'z') if rest + 1 == b.len() => Ok(base),
            Some(&sign @ (b'+' | b'-')) if rest + 6 == b.len() => {
                sep(rest + 3, b":")?;
                let (hours, minutes) = (num(rest + 1..rest + 3)?, num(rest + 4..rest + 6)?);
                if hours > 23 || minutes > 59 {
                    return Err(InvalidTime);
                }
                let offset = i64::from(hours) * 3600 + i64::from(minutes) * 60;
                // Local time minus its offset is UTC.
                let utc = if sign == b'+' { base.0 as i64 - offset } else { base.0 as i64 + offset };
                u64::try_from(utc).map_err(|_| InvalidTime).and_then(Time::from_unix_seconds)
            }
            _ => Err(InvalidTime),
        }
    }

    /// Calendar fields `(year, month, day, hour, minute, second)` in UTC.
    pub fn to_utc(self) -> (u16, u8, u8, u8, u8, u8) {
        let days = (self.0 / 86_400) as i64;
        let secs = self.0 % 86_400;
        let (year, month, day) = civil_from_days(days);
        (year as u16, month as u8, day as u8, (secs / 3600) as u8, (secs / 60 % 60) as u8, (secs % 60) as u8)
    }

    /// The SigV4 `X-Amz-Date` form, `YYYYMMDDTHHMMSSZ` (SigV4 docs, "Elements of an AWS API
    /// request signature": "Date and time").
    pub fn amz_date(self) -> String {
        let mut out = String::with_capacity(16);
        self.push_fields(["", "", "T", "", "", "Z"], &mut out);
        out
    }

    /// The date part of the credential scope, `YYYYMMDD`.
    pub fn date_stamp(self) -> String {
        let mut date = self.amz_date();
        date.truncate(8);
        date
    }

    /// Appends year, month, day, hour, minute and second, zero-padded to 4 and 2 digits, each
    /// followed by its separator: the one layout of the RFC 3339 and `X-Amz-Date` forms.
    fn push_fields(self, separators: [&str; 6], out: &mut String) {
        let (y, mo, d, h, mi, s) = self.to_utc();
        let fields = [y, mo.into(), d.into(), h.into(), mi.into(), s.into()];
        for (i, (value, separator)) in fields.into_iter().zip(separators).enumerate() {
            decimal_into(value.into(), if i == 0 { 4 } else { 2 }, out);
            out.push_str(separator);
        }
    }
}

/// RFC 3339 in UTC, e.g. `2024-06-01T12:00:30Z` (also the `Display` form).
impl Piece for Time {
    fn push_to(&self, out: &mut String) {
        self.push_fields(["-", "-", "T", ":", ":", "Z"], out);
    }
}

impl core::str::FromStr for Time {
    type Err = InvalidTime;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Time::parse_rfc3339(s)
    }
}

fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's `days_from_civil` and `civil_from_days` (public domain algorithms,
// <http://howardhinnant.github.io/date_algorithms.html>), restricted to years 1970..=9999.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(month) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn round_trips_known_instants() {
        // 2024-06-01T12:00:30Z is 1717243230 (date -u -d @1717243230).
        let t = Time::parse_rfc3339("2024-06-01T12:00:30Z").unwrap();
        assert_eq!(t.unix_seconds(), 1_717_243_230);
        assert_eq!(t.amz_date(), "20240601T120030Z");
        assert_eq!(t.date_stamp(), "20240601");
        assert_eq!(t.to_string(), "2024-06-01T12:00:30Z");
        assert_eq!(Time::UNIX_EPOCH.to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(Time::UNIX_EPOCH.amz_date(), "19700101T000000Z");
        let max = Time::from_unix_seconds(MAX_SECONDS).unwrap();
        assert_eq!(max.amz_date(), "99991231T235959Z");
        assert_eq!(max.to_string(), "9999-12-31T23:59:59Z");
        assert_eq!(Time::parse_rfc3339("9999-12-31T23:59:59Z").unwrap(), max);
    }

    #[test]
    fn every_day_round_trips() {
        let mut s = 0;
        while s < MAX_SECONDS {
            let t = Time(s);
            assert_eq!(Time::parse_rfc3339(&t.to_string()), Ok(t));
            let rfc3339: alloc::string::String = t.to_string().chars().filter(|c| !matches!(c, '-' | ':')).collect();
            assert_eq!(t.amz_date(), rfc3339);
            assert_eq!(t.date_stamp(), rfc3339[..8]);
            s += 86_400 * 7 + 3_601;
        }
    }

    #[test]
    fn accepts_offsets_and_fractions() {
        let z = Time::parse_rfc3339("2024-02-29T00:00:00Z").unwrap();
        assert_eq!(Time::parse_rfc3339("2024-02-29T02:30:00+02:30"), Ok(z));
        assert_eq!(Time::parse_rfc3339("2024-02-28T21:00:00-03:00"), Ok(z));
        assert_eq!(Time::parse_rfc3339("2024-02-29T00:00:00.999Z"), Ok(z));
    }

    #[test]
    fn refuses_malformed() {
        for bad in [
            "",
            "2024-06-01",
            "2024-06-01T12:00:30",
            "2024-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-06-01T24:00:00Z",
            "2024-06-01T12:00:60Z",
            "1969-12-31T23:59:59Z",
            "2024-06-01T12:00:30.Z",
            "2024-06-01T12:00:30Zjunk",
            "2024-06-01T12:00:30+2:00",
            "1970-01-01T00:00:00+00:01",
            "２０２４-06-01T12:00:30Z",
        ] {
            assert_eq!(Time::parse_rfc3339(bad), Err(InvalidTime), "{bad}");
        }
        assert_eq!(Time::from_unix_seconds(MAX_SECONDS + 1), Err(InvalidTime));
    }
}
