//! SigV4 canonical requests and strings to sign.
//!
//! This module follows the AWS Signature Version 4 documentation, page *Create a signed
//! AWS API request*, sections *Create a canonical request* (step 1), *Create a hash of the
//! canonical request* (step 2) and *Create a string to sign* (step 3). The comments beside
//! each rule name the part of those sections that asks for it. Where the prose is silent,
//! the AWS SigV4 test suite (`tests/vectors/aws-sigv4-suite`) decides.
//!
//! Nothing here panics: every input, however malformed, yields some canonical text.
//! Malformed percent-escapes are kept literally (and their `%` is then encoded as `%25`),
//! so an odd request still gets a deterministic signature that the service will reject,
//! rather than a crash.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

use sha2::{Digest, Sha256};

use crate::digits as hex;

/// Options for canonicalising the path, because S3 canonicalises paths differently from
/// every other service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathOptions {
    /// Remove `.` and `..` segments and collapse repeated `/`, as every service but S3 expects.
    pub normalize: bool,
    /// Treat the path as already URI-encoded once and URI-encode each segment again (so `%20`
    /// becomes `%2520`), as every service but S3 expects; when false the path is brought to
    /// its once-encoded form instead.
    pub double_encode: bool,
}

impl PathOptions {
    /// The path rules of every service except S3: normalise, then encode twice.
    pub const DEFAULT: Self = Self { normalize: true, double_encode: true };

    /// The path rules of S3: no normalisation, encode once.
    pub const S3: Self = Self { normalize: false, double_encode: false };
}

impl Default for PathOptions {
    /// [`PathOptions::DEFAULT`], the rules of every service except S3.
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The largest first allocation of a canonical request's text.
const MAX_GUESS: usize = 1 << 16;

/// A canonical request (its text) and the signed-headers list it carries, the input to
/// the string to sign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CanonicalRequest {
    text: String,
    signed_headers: String,
}

impl CanonicalRequest {
    /// Builds the canonical request of SigV4 *Create a canonical request* from the parts of
    /// an HTTP request, so that it can be hashed into the string to sign.
    ///
    /// - `method`: the HTTP method, e.g. `"POST"`, used as given.
    /// - `path`: the request path as it appears on the wire (may be already percent-encoded,
    ///   may contain raw UTF-8 or spaces); canonicalised according to `path_options`.
    /// - `query`: the raw query string without `?`, may be empty.
    /// - `headers`: `(name, value)` pairs to sign, names in any case, repeated names allowed
    ///   (their values are joined with `,` in the order given); values are trimmed and inner
    ///   runs of white space collapsed to one space.
    /// - `payload_hash`: lower-case hex SHA-256 of the body (see [`payload_hash`]), or
    ///   `"UNSIGNED-PAYLOAD"`; used as given.
    #[must_use]
    pub fn new(
        method: &str,
        path: &str,
        query: &str,
        headers: &[(&str, &str)],
        payload_hash: &str,
        path_options: PathOptions,
    ) -> CanonicalRequest {
        // The size when nothing needs encoding or trimming (each header's name twice, for its
        // line and the signed-headers list), so that a usual request is written without the
        // string growing. Summed with saturation and capped: the same huge slice may be passed
        // several times, and the string grows as needed anyway.
        let size = headers
            .iter()
            .fold(method.len().saturating_add(path.len()).saturating_add(query.len()), |n, (name, value)| {
                n.saturating_add(name.len()).saturating_add(name.len()).saturating_add(value.len()).saturating_add(3)
            })
            .saturating_add(payload_hash.len() + 8);
        let mut text = String::with_capacity(size.min(MAX_GUESS));

        // Create a canonical request: the six parts are joined with '\n', and the
        // canonical headers block ends with its own '\n' on every header line, so an
        // empty line separates it from the signed headers.
        //
        // HTTPMethod.
        text.push_str(method);
        text.push('\n');
        // CanonicalURI.
        canonical_uri_into(path, path_options, &mut text);
        text.push('\n');
        // CanonicalQueryString.
        canonical_query_into(query, &mut text);
        text.push('\n');
        // CanonicalHeaders (each line already ends with '\n') and SignedHeaders.
        let signed_headers = canonical_headers_into(headers, &mut text);
        text.push('\n');
        text.push_str(&signed_headers);
        text.push('\n');
        // HashedPayload.
        text.push_str(payload_hash);

        CanonicalRequest { text, signed_headers }
    }

    /// The canonical request text, for logging and for comparing with what a service
    /// reports in a signature-mismatch error.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The signed-headers list, e.g. `"content-type;host;x-amz-date"`, which the
    /// `Authorization` header must repeat.
    #[must_use]
    pub fn signed_headers(&self) -> &str {
        &self.signed_headers
    }

    /// Lower-case hex SHA-256 of the canonical request text, the last line of the string to
    /// sign (SigV4 *Create a hash of the canonical request*).
    #[must_use]
    pub fn hash_hex(&self) -> String {
        let mut out = String::with_capacity(64);
        self.push_hash_hex(&mut out);
        out
    }

    /// Appends [`CanonicalRequest::hash_hex`] to `out`.
    fn push_hash_hex(&self, out: &mut String) {
        hex::encode_into(&Sha256::digest(self.text.as_bytes()), out);
    }
}

/// The `SignedHeaders` list that a canonical request of `headers` carries (e.g.
/// `"content-type;host;x-amz-date"`), for presigned URLs, whose query names the signed headers
/// before the canonical request exists.
#[must_use]
pub fn signed_headers(headers: &[(&str, &str)]) -> String {
    canonical_headers_into(headers, &mut String::new())
}

/// Lower-case hex SHA-256 of a payload, the `HashedPayload` line of the canonical request
/// (SigV4 *Create a canonical request*).
#[must_use]
pub fn payload_hash(body: &[u8]) -> String {
    hex::encode(&Sha256::digest(body))
}

/// Builds the SigV4 string to sign, `"{algorithm}\n{amz_date}\n{scope}\n{hex sha256(canonical
/// request)}"`, which is what the signature is computed over.
///
/// SigV4 *Create a string to sign*: the algorithm (e.g. `AWS4-HMAC-SHA256`, or an
/// `AWS4-X509-*` algorithm for Roles Anywhere), the request date-time `YYYYMMDDTHHMMSSZ`,
/// the credential scope `yyyymmdd/region/service/aws4_request`, and the hash of the
/// canonical request, one per line with no trailing newline.
#[must_use]
pub fn string_to_sign(algorithm: &str, amz_date: &str, scope: &str, canonical_request: &CanonicalRequest) -> String {
    let mut out = String::with_capacity(160);
    out.push_str(algorithm);
    out.push('\n');
    out.push_str(amz_date);
    out.push('\n');
    out.push_str(scope);
    out.push('\n');
    canonical_request.push_hash_hex(&mut out);
    out
}

/// Percent-encodes `input` as SigV4 wants it, appending to `out`: RFC 3986 unreserved
/// characters `A-Z a-z 0-9 - _ . ~` are kept, every other UTF-8 byte becomes `%XX` with
/// upper-case hex, and `/` is kept unless `encode_slash`.
///
/// SigV4 *Create a canonical request*, `CanonicalURI` and `CanonicalQueryString` (the
/// URI-encoding rules given there): the characters RFC 3986 calls unreserved are left alone,
/// every other byte is written `%XY` with upper-case hex digits, and a space is `%20`, never
/// `+`.
pub fn uri_encode_into(input: &str, encode_slash: bool, out: &mut String) {
    encode_bytes_into(input.as_bytes(), encode_slash, out);
}

/// [`uri_encode_into`] on bytes, which after percent-decoding need not be UTF-8.
fn encode_bytes_into(input: &[u8], encode_slash: bool, out: &mut String) {
    for &b in input {
        if is_unreserved(b) || (b == b'/' && !encode_slash) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(upper_hex_digit(b >> 4));
            out.push(upper_hex_digit(b & 0x0f));
        }
    }
}

/// The upper-case hex digit of a nibble (a value below 16).
fn upper_hex_digit(nibble: u8) -> char {
    char::from_digit(u32::from(nibble), 16).map_or('0', |c| c.to_ascii_uppercase())
}

/// RFC 3986 section 2.3 unreserved characters, the only ones SigV4 leaves unencoded.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

/// The value of one hex digit, either case.
fn hex_value(b: u8) -> Option<u8> {
    char::from(b).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// Percent-decodes leniently (RFC 3986 §2.1), as SigV4 reads the path and query before encoding
/// them again: `%` followed by two hex digits, either case, becomes that byte; any other `%` is
/// kept literally. `+` stays `+` (a space only in form encoding, which callers handle first).
/// The bytes need not be UTF-8.
#[must_use]
pub fn percent_decode(input: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut rest = input.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'%' {
            if let [hi, lo, after @ ..] = tail {
                if let (Some(hi), Some(lo)) = (hex_value(*hi), hex_value(*lo)) {
                    out.push((hi << 4) | lo);
                    rest = after;
                    continue;
                }
            }
        }
        out.push(b);
        rest = tail;
    }
    out
}

/// Appends the `CanonicalURI` of `path`.
///
/// SigV4 *Create a canonical request*, `CanonicalURI`: the URI-encoded absolute path,
/// starting with the `/` after the host; `/` when the path is empty; normalised as RFC 3986
/// describes; each segment encoded twice, except for S3, where it is encoded once.
///
/// The path given is what is on the wire, i.e. already encoded once. With `double_encode`
/// each segment is therefore encoded once more, as is, `%` included (`%3D` becomes `%253D`,
/// a raw `@` becomes `%40`, a raw space or raw UTF-8 is encoded just once, since it had not
/// been encoded yet); this is what the suite's `double-encode-path`, `double-url-encode`,
/// `get-space-unnormalized` and `get-utf8` cases expect. Without it each segment is brought
/// to its once-encoded form: percent-decoded (leniently) and encoded again, which leaves an
/// already-encoded path unchanged (`%20` stays `%20`, `%2F` stays `%2F`) and encodes raw
/// characters.
fn canonical_uri_into(path: &str, options: PathOptions, out: &mut String) {
    if options.normalize {
        let (segments, trailing_slash) = remove_dot_segments(path);
        // An empty path, or one that normalises to nothing, is "/".
        out.push('/');
        let mut first = true;
        for segment in &segments {
            if !first {
                out.push('/');
            }
            first = false;
            encode_segment_into(segment, options.double_encode, out);
        }
        if trailing_slash && !segments.is_empty() {
            out.push('/');
        }
    } else {
        // The canonical URI starts with '/': a path given without one (or an empty path)
        // gets it.
        if !path.starts_with('/') {
            out.push('/');
        }
        let mut first = true;
        for segment in path.split('/') {
            if !first {
                out.push('/');
            }
            first = false;
            encode_segment_into(segment, options.double_encode, out);
        }
    }
}

/// Encodes one path segment (which holds no `/`), see [`canonical_uri_into`].
fn encode_segment_into(segment: &str, double_encode: bool, out: &mut String) {
    if double_encode {
        uri_encode_into(segment, true, out);
    } else {
        // Decoding per segment, then encoding '/' too, keeps an encoded "%2F" inside a
        // segment (e.g. in an S3 key) from turning into a path separator.
        encode_bytes_into(&percent_decode(segment), true, out);
    }
}

/// RFC 3986 section 5.2.4 "Remove Dot Segments", plus collapsing of empty segments
/// (repeated `/`), which SigV4 normalisation also does (suite case `get-slashes-normalized`:
/// `//example//` becomes `/example/`). Returns the remaining segments and whether the
/// normalised path ends with `/`. `..` above the root is dropped. Segments are compared as
/// they are on the wire: `%2E` is not a dot here, as in aws-sigv4.
fn remove_dot_segments(path: &str) -> (Vec<&str>, bool) {
    let mut segments: Vec<&str> = Vec::new();
    let mut trailing_slash = false;
    for segment in path.split('/') {
        match segment {
            // Empty segments (from "//", a leading or a trailing '/') and "." vanish, but
            // a path that ends in one of them, or in "..", ends in '/' (RFC 3986 5.2.4:
            // "/a/b/.." becomes "/a/").
            "" | "." => trailing_slash = true,
            ".." => {
                segments.pop();
                trailing_slash = true;
            }
            _ => {
                segments.push(segment);
                trailing_slash = false;
            }
        }
    }
    (segments, trailing_slash)
}

/// Appends the `CanonicalQueryString` of `query`.
///
/// SigV4 *Create a canonical request*, `CanonicalQueryString`: URI-encode each parameter
/// name and value; sort the parameter names by character code point in ascending order,
/// parameters with duplicate names by value (the sort is on the encoded forms); a parameter
/// without a value gets an empty value (`name=`); join the pairs with `&`; an empty query
/// gives an empty line.
///
/// The query given is what is on the wire: each name and value is percent-decoded
/// (leniently) and encoded again with `/` encoded, so the result does not depend on how the
/// caller encoded it. Empty pieces (from `&&` or a trailing `&`) carry no parameter and are
/// skipped.
fn canonical_query_into(query: &str, out: &mut String) {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for piece in query.split('&') {
        if piece.is_empty() {
            continue;
        }
        // Split on the first '='; a missing '=' means an empty value.
        let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
        let mut encoded_name = String::new();
        encode_bytes_into(&percent_decode(name), true, &mut encoded_name);
        let mut encoded_value = String::new();
        encode_bytes_into(&percent_decode(value), true, &mut encoded_value);
        pairs.push((encoded_name, encoded_value));
    }
    // Byte order of the encoded name, then of the encoded value.
    let order = stable_order(pairs.len(), &|a, b| pairs[a] < pairs[b]);
    let mut first = true;
    for (name, value) in order.iter().map(|&i| &pairs[i]) {
        if !first {
            out.push('&');
        }
        first = false;
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
}

/// Whether any byte of `bytes` is at most `0x20`: a space, or a C0 control such as tab, CR, LF
/// or NUL. Header values are checked for those on every request, some of them long tokens, so
/// this looks at eight bytes at a time: for a word `x`, `(x - 0x21 in every byte) & !x & 0x80 in
/// every byte` is non-zero exactly when a byte of `x` is below `0x21` (the lowest such byte
/// borrows and sets its top bit; no byte of `0x21..=0x7f` or `0x80..` does, and without a byte
/// below `0x21` nothing borrows).
pub(crate) fn has_space_or_control(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const TOPS: u64 = 0x8080_8080_8080_8080;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let Ok(word) = <[u8; 8]>::try_from(word) else { unreachable!("chunks of eight") };
        let x = u64::from_le_bytes(word);
        if x.wrapping_sub(ONES * 0x21) & !x & TOPS != 0 {
            return true;
        }
    }
    words.remainder().iter().any(|&b| b <= b' ')
}

/// Header white space for *Trimall*: space, tab, and the CR/LF of a folded header.
fn is_header_space_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// [`is_header_space_byte`] for a char.
fn is_header_space(c: char) -> bool {
    u8::try_from(c).is_ok_and(is_header_space_byte)
}

/// `text` without leading and trailing [`is_header_space_byte`] characters, compared byte by byte:
/// they are ASCII, which no byte of a multi-byte UTF-8 char equals, so the cuts fall between
/// chars (`trim_matches` decodes every char it looks at).
fn trim_header_space(text: &str) -> &str {
    let space = |b: &u8| is_header_space_byte(*b);
    let bytes = text.as_bytes();
    let start = bytes.iter().position(|b| !space(b)).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !space(b)).map_or(start, |last| last + 1);
    text.get(start..end).unwrap_or_default()
}

/// Appends the `CanonicalHeaders` block (every line ending with `\n`) and returns the
/// `SignedHeaders` list.
///
/// SigV4 *Create a canonical request*, `CanonicalHeaders`: header names in lower case;
/// values with leading and trailing white space removed and sequential spaces converted to
/// one (*Trimall*); lines sorted by header name; a repeated header becomes one line with its
/// values joined by `,` in the order given (suite cases `get-header-key-duplicate`,
/// `get-header-value-order`). `SignedHeaders`: the same names, sorted, joined by `;`.
///
/// Tabs, CR and LF count as white space too, so a folded multi-line value (suite case
/// `get-header-value-multiline`) becomes one line and no value can break the line structure
/// of the canonical request.
fn canonical_headers_into(headers: &[(&str, &str)], out: &mut String) -> String {
    // Names are lower-cased (borrowed when they already are); values are trimmed and their
    // inner runs of white space collapsed as they are written out.
    let entries: Vec<(Cow<'_, str>, &str)> = headers
        .iter()
        .map(|&(name, value)| {
            let name = trim_header_space(name);
            let name = if name.bytes().any(|b| b.is_ascii_uppercase()) {
                Cow::Owned(name.to_ascii_lowercase())
            } else {
                Cow::Borrowed(name)
            };
            (name, value)
        })
        .collect();
    // A stable sort, so the values of a repeated header keep the order they were given in.
    let order = stable_order(entries.len(), &|a, b| entries[a].0 < entries[b].0);

    let mut signed_headers = String::with_capacity(entries.iter().map(|(name, _)| name.len() + 1).sum());
    let mut previous: Option<&str> = None;
    for (name, value) in order.iter().map(|&i| &entries[i]) {
        if previous == Some(name.as_ref()) {
            out.push(',');
            push_trimmed(value, out);
            continue;
        }
        if previous.is_some() {
            out.push('\n');
            signed_headers.push(';');
        }
        out.push_str(name);
        out.push(':');
        push_trimmed(value, out);
        signed_headers.push_str(name);
        previous = Some(name.as_ref());
    }
    if previous.is_some() {
        out.push('\n');
    }
    signed_headers
}

/// The indices `0..len` in the order that `less` (a strict "sorts before" on indices) puts
/// them, equal items keeping their order: a bottom-up merge sort, O(n log n) on any input.
///
/// One small non-generic sort serves both of the canonical request's sorts (headers, query
/// parameters): the standard library's stable sort is instantiated per element type and
/// comparator, ~2.8 KB of wasm each.
fn stable_order(len: usize, less: &dyn Fn(usize, usize) -> bool) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    let mut merged: Vec<usize> = alloc::vec![0; len];
    let mut width = 1;
    while width < len {
        let mut start = 0;
        while start < len {
            let mid = len.min(start + width);
            let end = len.min(mid + width);
            let (mut left, mut right) = (start, mid);
            for slot in &mut merged[start..end] {
                // From the right run only when strictly before the left one: ties keep the
                // left (earlier) item first.
                if left == mid || (right < end && less(order[right], order[left])) {
                    *slot = order[right];
                    right += 1;
                } else {
                    *slot = order[left];
                    left += 1;
                }
            }
            start = end;
        }
        core::mem::swap(&mut order, &mut merged);
        width *= 2;
    }
    order
}

/// Appends `value` trimmed, with each inner run of white space as one space. Most values (the
/// long base64 certificate headers, tokens, `application/x-www-form-urlencoded; charset=utf-8`)
/// are already in that form and are copied as they are.
fn push_trimmed(value: &str, out: &mut String) {
    // A value with no byte up to a space (the usual token or certificate) is canonical as it is.
    if !has_space_or_control(value.as_bytes()) {
        out.push_str(value);
        return;
    }
    // One pass over the bytes (the check runs on every header of every request, some of them
    // long tokens): canonical unless it starts or ends with a space, has two spaces in a row, or
    // holds a tab, CR or LF.
    let mut after_space = true; // a leading space counts as a run
    let mut canonical = true;
    for &b in value.as_bytes() {
        match b {
            b' ' if after_space => {
                canonical = false;
                break;
            }
            b' ' => after_space = true,
            b'\t' | b'\r' | b'\n' => {
                canonical = false;
                break;
            }
            _ => after_space = false,
        }
    }
    if canonical && !value.ends_with(' ') {
        out.push_str(value);
        return;
    }
    let mut first = true;
    for word in value.split(is_header_space).filter(|w| !w.is_empty()) {
        if !first {
            out.push(' ');
        }
        out.push_str(word);
        first = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::ToString;

    fn encode(input: &str, encode_slash: bool) -> String {
        let mut out = String::new();
        uri_encode_into(input, encode_slash, &mut out);
        out
    }

    #[test]
    fn header_values_are_trimmed_and_collapsed() {
        // Every string over a small alphabet up to length 5, against the plain definition.
        let alphabet = ['a', ' ', '\t', ';', '\n'];
        let mut values = alloc::vec![String::new()];
        for _ in 0..5 {
            let longer: Vec<String> =
                values.iter().flat_map(|v| alphabet.iter().map(move |c| alloc::format!("{v}{c}"))).collect();
            values.extend(longer);
        }
        for value in &values {
            let expected: Vec<&str> = value.split(is_header_space).filter(|w| !w.is_empty()).collect();
            let mut out = String::new();
            push_trimmed(value, &mut out);
            assert_eq!(out, expected.join(" "), "{value:?}");
        }
    }

    #[test]
    fn header_names_are_trimmed_between_chars() {
        for name in ["", " ", "\t\r\n", "a", " Host ", "\tX-Ü\n", "é ", " é", "\u{a0}x\u{2028}"] {
            assert_eq!(trim_header_space(name), name.trim_matches(is_header_space), "{name:?}");
        }
    }

    #[test]
    fn spaces_and_controls_are_found_at_any_position() {
        // Every byte value at every position of slices up to three words long, among bytes on
        // either side of the limit (0x21, 0x7f, 0x80, 0xff) and next to another low byte.
        for filler in [0x21u8, b'a', 0x7f, 0x80, 0xff] {
            for len in 0..=24 {
                for at in 0..len {
                    for byte in 0..=u8::MAX {
                        let mut bytes = alloc::vec![filler; len];
                        bytes[at] = byte;
                        assert_eq!(has_space_or_control(&bytes), byte <= b' ', "{bytes:?}");
                        if at + 1 < len {
                            bytes[at + 1] = b' ';
                            assert!(has_space_or_control(&bytes), "{bytes:?}");
                        }
                    }
                }
            }
        }
        // Long values take the word path: trimmed as the plain definition says wherever the
        // white space is.
        let base = "FwoGZXIvYXdzEBYaDExample/+=";
        for at in 0..=base.len() {
            for ws in [" ", "  ", "\t", "\r\n "] {
                let value = [&base[..at], ws, &base[at..]].concat();
                let expected: Vec<&str> = value.split(is_header_space).filter(|w| !w.is_empty()).collect();
                let mut out = String::new();
                push_trimmed(&value, &mut out);
                assert_eq!(out, expected.join(" "), "{value:?}");
            }
        }
    }

    fn query(q: &str) -> String {
        let mut out = String::new();
        canonical_query_into(q, &mut out);
        out
    }

    fn uri(path: &str, options: PathOptions) -> String {
        let mut out = String::new();
        canonical_uri_into(path, options, &mut out);
        out
    }

    fn headers(h: &[(&str, &str)]) -> (String, String) {
        let mut out = String::new();
        let signed = canonical_headers_into(h, &mut out);
        (out, signed)
    }

    #[test]
    fn uri_encode_keeps_unreserved_only() {
        let unreserved = "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        assert_eq!(encode(unreserved, true), unreserved);
        assert_eq!(encode("a b", true), "a%20b");
        assert_eq!(encode("a+b=c&d*e", true), "a%2Bb%3Dc%26d%2Ae");
        assert_eq!(encode("100%", true), "100%25");
        assert_eq!(encode("/a/b", false), "/a/b");
        assert_eq!(encode("/a/b", true), "%2Fa%2Fb");
        assert_eq!(encode("\u{1234}", true), "%E1%88%B4");
        assert_eq!(encode("\u{7f}\u{0}", true), "%7F%00");
        assert_eq!(encode("", true), "");
    }

    #[test]
    fn every_byte_encodes_and_decodes_back() {
        for b in 0..=u8::MAX {
            let mut out = String::new();
            encode_bytes_into(&[b], true, &mut out);
            if is_unreserved(b) {
                assert_eq!(out, char::from(b).to_string());
            } else {
                assert_eq!(out, format!("%{b:02X}"));
                // Lower-case hex decodes too.
                assert_eq!(percent_decode(&out.to_ascii_lowercase()), [b]);
            }
            assert_eq!(percent_decode(&out), [b]);
        }
    }

    #[test]
    fn percent_decode_is_lenient() {
        assert_eq!(percent_decode("a%2Fb%2fc"), b"a/b/c");
        assert_eq!(percent_decode("a+b%20c"), b"a+b c");
        assert_eq!(percent_decode("%ff%E1"), [0xff, 0xe1]);
        for kept in ["%", "%4", "%zz", "%4g", "a%", "100%"] {
            assert_eq!(percent_decode(kept), kept.as_bytes(), "{kept}");
        }
    }

    #[test]
    fn uri_encode_appends() {
        let mut out = String::from("x=");
        uri_encode_into("a/b", true, &mut out);
        assert_eq!(out, "x=a%2Fb");
    }

    #[test]
    fn query_sorts_by_encoded_name_then_value() {
        assert_eq!(query(""), "");
        assert_eq!(query("b=2&a=2&a=1&a"), "a=&a=1&a=2&b=2");
        // Upper case sorts before lower case (byte order).
        assert_eq!(query("param=1&Param=2"), "Param=2&param=1");
        // "Param" < "Param-3" < "Param=..." is decided on the name alone.
        assert_eq!(
            query("Param-3=Value3&Param=Value2&%E1%88%B4=Value1"),
            "%E1%88%B4=Value1&Param=Value2&Param-3=Value3"
        );
        assert_eq!(query("~=3&%41%42=2&A=1"), "A=1&AB=2&~=3");
        // Sorting is on the encoded form: "%C3%A9" ('%' is 0x25) sorts before "B",
        // although the decoded byte 0xC3 would not.
        assert_eq!(query("B=1&%C3%A9=2"), "%C3%A9=2&B=1");
        // Repeated keys are ordered by their encoded values.
        assert_eq!(query("k=b&k=B&k=%41&k="), "k=&k=A&k=B&k=b");
    }

    #[test]
    fn query_decodes_then_reencodes() {
        assert_eq!(query("%7e=%2f&k=a%2Bb"), "k=a%2Bb&~=%2F");
        assert_eq!(query("k=a+b"), "k=a%2Bb");
        assert_eq!(query("k=a b/c"), "k=a%20b%2Fc");
        assert_eq!(query("k=%e1%88%b4"), "k=%E1%88%B4");
        // Only the first '=' splits.
        assert_eq!(query("k=a=b"), "k=a%3Db");
        // Empty pieces carry nothing.
        assert_eq!(query("&&a=1&"), "a=1");
        assert_eq!(query("=v"), "=v");
    }

    #[test]
    fn stable_order_sorts_and_keeps_ties_in_order() {
        // Every length up to 40 (runs of every shape), keys with many ties, against the
        // standard library's stable sort.
        for len in 0..40usize {
            let keys: Vec<(u8, usize)> = (0..len).map(|i| (((i * 7 + len) % 5) as u8, i)).collect();
            let order = stable_order(len, &|a, b| keys[a].0 < keys[b].0);
            let got: Vec<(u8, usize)> = order.iter().map(|&i| keys[i]).collect();
            let mut want = keys.clone();
            want.sort_by_key(|k| k.0);
            assert_eq!(got, want, "len {len}");
        }
    }

    #[test]
    fn headers_trimmed_lowercased_sorted_and_joined() {
        let (block, signed) = headers(&[
            ("X-Amz-Date", "20150830T123600Z"),
            (" My-Header1 ", "  a   b \t c  "),
            ("Host", "example.amazonaws.com"),
            ("my-header1", "value2"),
            ("MY-HEADER1", "\"x   y\""),
            ("Folded", "value1\r\n  value2\n     value3"),
            ("Empty", "   "),
        ]);
        assert_eq!(
            block,
            "empty:\n\
             folded:value1 value2 value3\n\
             host:example.amazonaws.com\n\
             my-header1:a b c,value2,\"x y\"\n\
             x-amz-date:20150830T123600Z\n"
        );
        assert_eq!(signed, "empty;folded;host;my-header1;x-amz-date");
        assert_eq!(headers(&[]), (String::new(), String::new()));
    }

    #[test]
    fn empty_path_is_slash() {
        for options in [
            PathOptions::DEFAULT,
            PathOptions::S3,
            PathOptions { normalize: true, double_encode: false },
            PathOptions { normalize: false, double_encode: true },
        ] {
            assert_eq!(uri("", options), "/", "{options:?}");
            assert_eq!(uri("/", options), "/", "{options:?}");
        }
    }

    #[test]
    fn path_normalisation() {
        let d = PathOptions::DEFAULT;
        assert_eq!(uri("/example/..", d), "/");
        assert_eq!(uri("/example1/example2/../..", d), "/");
        assert_eq!(uri("/./", d), "/");
        assert_eq!(uri("/./example", d), "/example");
        assert_eq!(uri("//", d), "/");
        assert_eq!(uri("//example//", d), "/example/");
        assert_eq!(uri("/a/b/c/./../../g", d), "/a/g");
        assert_eq!(uri("/a/b/..", d), "/a/");
        assert_eq!(uri("/a/.", d), "/a/");
        assert_eq!(uri("/../../a", d), "/a");
        assert_eq!(uri("a/b", d), "/a/b");
        // Without normalisation the path is kept as is.
        let s3 = PathOptions::S3;
        assert_eq!(uri("//example//", s3), "//example//");
        assert_eq!(uri("/example/..", s3), "/example/..");
        assert_eq!(uri("a/b", s3), "/a/b");
    }

    #[test]
    fn path_encoding() {
        let d = PathOptions::DEFAULT;
        assert_eq!(uri("/test/@connections/JBDvjfGEIAMCERw%3D", d), "/test/%40connections/JBDvjfGEIAMCERw%253D");
        assert_eq!(uri("/example%20space/", d), "/example%2520space/");
        assert_eq!(uri("/example space/", d), "/example%20space/");
        assert_eq!(uri("/\u{1234}", d), "/%E1%88%B4");
        let s3 = PathOptions::S3;
        assert_eq!(uri("/example%20space/", s3), "/example%20space/");
        assert_eq!(uri("/example space/", s3), "/example%20space/");
        assert_eq!(uri("/key%2Fwith%2fslash", s3), "/key%2Fwith%2Fslash");
        assert_eq!(uri("/a@b%7E", s3), "/a%40b~");
    }

    #[test]
    fn whole_request_and_string_to_sign() {
        let empty = payload_hash(b"");
        assert_eq!(empty, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        let creq = CanonicalRequest::new(
            "GET",
            "/",
            "",
            &[("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z")],
            &empty,
            PathOptions::DEFAULT,
        );
        assert_eq!(
            creq.as_str(),
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n\
             host;x-amz-date\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(creq.signed_headers(), "host;x-amz-date");
        // Suite case get-vanilla.
        assert_eq!(
            string_to_sign("AWS4-HMAC-SHA256", "20150830T123600Z", "20150830/us-east-1/service/aws4_request", &creq),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n\
             bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
        );
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        let odd = [
            "",
            "%",
            "%%",
            "%z",
            "%zz",
            "%4",
            "%4g",
            "a%",
            "%E1%88",
            "%ff%FE",
            "..",
            "/..",
            "/../../..",
            "../a/../../b/.",
            ".",
            "/./.././/",
            "=",
            "==",
            "&",
            "&&=&",
            "a=%&b=%zz",
            "\u{0}\u{7f}",
            "\u{1234}/\u{10ffff}",
            "\u{e9}t\u{e9} / caf\u{e9}",
            "\r\n:\t;",
        ];
        let options = [
            PathOptions::DEFAULT,
            PathOptions::S3,
            PathOptions { normalize: true, double_encode: false },
            PathOptions { normalize: false, double_encode: true },
        ];
        for input in odd {
            for option in options {
                let creq = CanonicalRequest::new(
                    input,
                    input,
                    input,
                    &[(input, input), (input, input), ("host", input)],
                    input,
                    option,
                );
                let _ = creq.hash_hex();
                let _ = string_to_sign(input, input, input, &creq);
                // The canonical path and query never contain a raw character that needs
                // encoding: only unreserved characters, '/' (path), '=' and '&' (query)
                // and well-formed %XX escapes.
                let path = uri(input, option);
                let q = query(input);
                for text in [&path, &q] {
                    let bytes = text.as_bytes();
                    for (i, &b) in bytes.iter().enumerate() {
                        if b == b'%' {
                            let hex = bytes.get(i + 1..i + 3).unwrap_or_default();
                            assert!(hex.len() == 2 && hex.iter().all(u8::is_ascii_hexdigit), "{input:?} -> {text:?}");
                        } else {
                            assert!(
                                is_unreserved(b) || matches!(b, b'/' | b'=' | b'&' | b'%'),
                                "{input:?} -> {text:?}"
                            );
                        }
                    }
                }
                assert!(path.starts_with('/'), "{input:?} -> {path:?}");
            }
            let _ = payload_hash(input.as_bytes());
        }
        // A few exact results.
        assert_eq!(query("%"), "%25=");
        assert_eq!(query("%zz=%4"), "%25zz=%254");
        assert_eq!(query("k=%ff"), "k=%FF");
        assert_eq!(uri("%zz", PathOptions::DEFAULT), "/%25zz");
        assert_eq!(uri("/%zz", PathOptions::S3), "/%25zz");
        assert_eq!(uri("/a%", PathOptions::S3), "/a%25");
        assert_eq!(uri("/..", PathOptions::DEFAULT), "/");
        assert_eq!(uri("/../..", PathOptions::DEFAULT), "/");
        assert_eq!(uri("..", PathOptions::DEFAULT), "/");
        assert_eq!(uri("/%E1%88", PathOptions::S3), "/%E1%88");
        assert_eq!(uri("/caf\u{e9}", PathOptions::DEFAULT), "/caf%C3%A9");
    }
}
