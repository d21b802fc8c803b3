//! The one encoding of the values that cross between JavaScript and wasm, in both directions.
//! `pkg/wire.js` is its JavaScript half; `tests/vectors/wire.json` holds vectors that both halves
//! must encode to the same bytes and decode back (checked by `cargo test` here and by the JS
//! suite in every runtime).
//!
//! A message is a sequence of typed values:
//!
//! ```text
//! message = count:u32le  entry × count  texts  bytes
//! entry   = tag:u8, then length:u32le for TEXT and BYTES, or value:f64le for NUMBER
//! texts   = the UTF-8 of every TEXT value, in order, back to back
//! bytes   = every BYTES value, in order, back to back
//! tags    : 0 ABSENT (undefined, null)  1 FALSE  2 TRUE  3 NUMBER  4 TEXT  5 BYTES
//!           6 OTHER (a value of another type, e.g. an object: no payload, so that the reader
//!             can report the type error by the option's name)
//! ```
//!
//! The texts come together so that JavaScript decodes all of them with one `TextDecoder` call
//! (and, when they are ASCII, slices that one string), and encodes them with one
//! `TextEncoder.encodeInto` of their concatenation: a call per field costs more than the
//! signing work of a SigV4 request. A record is a message of name/value pairs, each name a TEXT.

use alloc::vec::Vec;

use crate::options::OptionValue;

const ABSENT: u8 = 0;
const FALSE: u8 = 1;
const TRUE: u8 = 2;
const NUMBER: u8 = 3;
const TEXT: u8 = 4;
const BYTES: u8 = 5;
const OTHER: u8 = 6;

/// One value of a message.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value<'a> {
    /// `undefined` or `null`.
    Absent,
    /// A boolean.
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string.
    Text(&'a str),
    /// Bytes (`Uint8Array`, `ArrayBuffer`).
    Bytes(&'a [u8]),
    /// A value of another type.
    Other,
}

impl<'a> Value<'a> {
    /// The value as the core's options take it by name (bytes are of no option's type).
    pub fn option(self) -> OptionValue<'a> {
        match self {
            Value::Absent => OptionValue::Absent,
            Value::Bool(b) => OptionValue::Bool(b),
            Value::Number(n) => OptionValue::Number(n),
            Value::Text(t) => OptionValue::Text(t),
            Value::Bytes(_) | Value::Other => OptionValue::Other,
        }
    }

    /// The size of the value's entry.
    fn entry_len(&self) -> usize {
        match self {
            Value::Text(_) | Value::Bytes(_) => 5,
            Value::Number(_) => 9,
            _ => 1,
        }
    }
}

/// A message that does not follow the format: only a bug on one side of the boundary makes one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Malformed;

/// The message holding `values`, allocated once at its exact size (so that a caller can zeroize
/// the one copy of a secret it holds).
pub fn encode(values: &[Value<'_>]) -> Vec<u8> {
    let payload = |v: &Value<'_>| match v {
        Value::Text(t) => t.len(),
        Value::Bytes(b) => b.len(),
        _ => 0,
    };
    let size = 4 + values.iter().map(|v| v.entry_len() + payload(v)).sum::<usize>();
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(&len_u32(values.len()).to_le_bytes());
    for value in values {
        match value {
            Value::Absent => out.push(ABSENT),
            Value::Bool(false) => out.push(FALSE),
            Value::Bool(true) => out.push(TRUE),
            Value::Number(n) => {
                out.push(NUMBER);
                out.extend_from_slice(&n.to_le_bytes());
            }
            Value::Text(t) => {
                out.push(TEXT);
                out.extend_from_slice(&len_u32(t.len()).to_le_bytes());
            }
            Value::Bytes(b) => {
                out.push(BYTES);
                out.extend_from_slice(&len_u32(b.len()).to_le_bytes());
            }
            Value::Other => out.push(OTHER),
        }
    }
    for value in values {
        if let Value::Text(t) = value {
            out.extend_from_slice(t.as_bytes());
        }
    }
    for value in values {
        if let Value::Bytes(b) = value {
            out.extend_from_slice(b);
        }
    }
    out
}

/// A record: each field's name, then its value.
pub fn encode_record(fields: &[(&str, Value<'_>)]) -> Vec<u8> {
    let values: Vec<Value<'_>> = fields.iter().flat_map(|&(name, value)| [Value::Text(name), value]).collect();
    encode(&values)
}

/// A length as the format stores it. Nothing that crosses the boundary comes near 4 GiB (wasm32
/// memory is smaller), so a larger length is a bug.
fn len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// The values of `message`, borrowing its texts and bytes. Any deviation from the format (a
/// short or long message, an unknown tag, texts that are not UTF-8 value by value) is
/// [`Malformed`].
pub fn decode(message: &[u8]) -> Result<Vec<Value<'_>>, Malformed> {
    let (count, entries) = take_u32(message)?;
    // First pass: where the entries end, and the sizes of the texts and of the bytes. Every
    // entry takes at least one byte, so a count beyond the message fails here, before anything
    // is allocated.
    let (mut rest, mut texts_len, mut bytes_len) = (entries, 0usize, 0usize);
    for _ in 0..count {
        let (&tag, after) = rest.split_first().ok_or(Malformed)?;
        rest = match tag {
            ABSENT | FALSE | TRUE | OTHER => after,
            NUMBER => after.get(8..).ok_or(Malformed)?,
            TEXT | BYTES => {
                let (len, after) = take_u32(after)?;
                let total = if tag == TEXT { &mut texts_len } else { &mut bytes_len };
                *total = total.checked_add(len as usize).ok_or(Malformed)?;
                after
            }
            _ => return Err(Malformed),
        };
    }
    if texts_len.checked_add(bytes_len) != Some(rest.len()) {
        return Err(Malformed);
    }
    // Second pass: the values. The texts are checked as UTF-8 once, then cut at each value's
    // end, which must fall on a character boundary.
    let (texts, mut bytes) = rest.split_at(texts_len);
    let mut texts = core::str::from_utf8(texts).map_err(|_| Malformed)?;
    let mut entries = &entries[..entries.len() - rest.len()];
    let mut values = Vec::with_capacity(count as usize);
    while let Some((&tag, after)) = entries.split_first() {
        entries = after;
        values.push(match tag {
            ABSENT => Value::Absent,
            FALSE => Value::Bool(false),
            TRUE => Value::Bool(true),
            NUMBER => {
                let (number, after) = entries.split_first_chunk::<8>().ok_or(Malformed)?;
                entries = after;
                Value::Number(f64::from_le_bytes(*number))
            }
            TEXT => {
                let (len, after) = take_u32(entries)?;
                entries = after;
                let text = texts.get(..len as usize).ok_or(Malformed)?;
                texts = &texts[text.len()..];
                Value::Text(text)
            }
            BYTES => {
                let (len, after) = take_u32(entries)?;
                entries = after;
                let (value, rest) = bytes.split_at(len as usize);
                bytes = rest;
                Value::Bytes(value)
            }
            _ => Value::Other,
        });
    }
    Ok(values)
}

fn take_u32(input: &[u8]) -> Result<(u32, &[u8]), Malformed> {
    let (bytes, rest) = input.split_first_chunk::<4>().ok_or(Malformed)?;
    Ok((u32::from_le_bytes(*bytes), rest))
}

/// The name/value pairs of a record.
pub fn pairs<'v, 'a>(values: &'v [Value<'a>]) -> impl Iterator<Item = Result<(&'a str, Value<'a>), Malformed>> + 'v {
    values.chunks(2).map(|pair| match pair {
        [Value::Text(name), value] => Ok((*name, *value)),
        _ => Err(Malformed),
    })
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use alloc::string::String;
    use serde_json::Value as Json;

    fn from_hex(hex: &str) -> Vec<u8> {
        let hex: String = hex.split_whitespace().collect();
        (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
    }

    fn to_hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| alloc::format!("{b:02x}")).collect()
    }

    /// A vector's value: null, a boolean, a number, a string, `{"bytes": hex}` or `{"other": null}`.
    fn value<'a>(json: &'a Json, bytes: &'a [Vec<u8>], next_bytes: &mut usize) -> Value<'a> {
        match json {
            Json::Null => Value::Absent,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Number(n.as_f64().unwrap()),
            Json::String(s) => Value::Text(s),
            Json::Object(o) if o.contains_key("bytes") => {
                *next_bytes += 1;
                Value::Bytes(&bytes[*next_bytes - 1])
            }
            Json::Object(o) if o.contains_key("other") => Value::Other,
            other => panic!("not a vector value: {other}"),
        }
    }

    fn vectors() -> Json {
        serde_json::from_str(include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/wire.json"))).unwrap()
    }

    #[test]
    fn vectors_encode_to_their_bytes_and_decode_back() {
        let vectors = vectors();
        let cases = vectors["vectors"].as_array().unwrap();
        assert!(cases.len() >= 8);
        for case in cases {
            let name = case["name"].as_str().unwrap();
            let json = case["values"].as_array().unwrap();
            let bytes: Vec<Vec<u8>> =
                json.iter().filter_map(|v| v.get("bytes")).map(|h| from_hex(h.as_str().unwrap())).collect();
            let mut next = 0;
            let values: Vec<Value<'_>> = json.iter().map(|v| value(v, &bytes, &mut next)).collect();
            let expected = from_hex(case["hex"].as_str().unwrap());
            assert_eq!(to_hex(&encode(&values)), to_hex(&expected), "{name}: encode");
            assert_eq!(decode(&expected), Ok(values), "{name}: decode");
        }
    }

    #[test]
    fn malformed_vectors_are_refused() {
        let vectors = vectors();
        let cases = vectors["malformed"].as_array().unwrap();
        assert!(cases.len() >= 8);
        for case in cases {
            let hex = case["hex"].as_str().unwrap();
            assert_eq!(decode(&from_hex(hex)), Err(Malformed), "{}: {hex}", case["name"]);
        }
    }

    #[test]
    fn records_are_name_value_pairs() {
        let values = [Value::Text("fips"), Value::Bool(true), Value::Text("region"), Value::Absent];
        assert_eq!(encode_record(&[("fips", Value::Bool(true)), ("region", Value::Absent)]), encode(&values));
        let pairs: Vec<_> = pairs(&values).collect();
        assert_eq!(pairs, [Ok(("fips", Value::Bool(true))), Ok(("region", Value::Absent))]);
        assert!(super::pairs(&values[..3]).any(|p| p.is_err()), "an odd count");
        assert!(super::pairs(&[Value::Number(1.0), Value::Absent]).any(|p| p.is_err()), "a name that is no text");
    }

    #[test]
    fn values_reach_the_core_options_with_their_type() {
        let mut options = crate::CreateSessionOptions::default();
        assert_eq!(options.set("fips", Value::Bool(true).option()), Ok(true));
        assert_eq!(options.set("durationSeconds", Value::Number(900.0).option()), Ok(true));
        assert_eq!(options.set("region", Value::Absent.option()), Ok(true));
        assert_eq!(options.set("roleArn", Value::Text("arn").option()), Ok(true));
        assert_eq!((options.fips, options.duration_seconds, options.role_arn.as_str()), (true, Some(900), "arn"));
        // Bytes are no option's type.
        assert!(options.set("endpoint", Value::Bytes(b"http://x").option()).is_err());
        assert!(options.set("endpoint", Value::Other.option()).is_err());
    }

    #[test]
    fn hostile_input_never_panics() {
        // Every prefix and every one-byte change of a message with every tag.
        let values = [
            Value::Absent,
            Value::Bool(true),
            Value::Number(-2.5),
            Value::Text("é€"),
            Value::Bytes(&[0, 255]),
            Value::Other,
            Value::Text("ascii"),
        ];
        let message = encode(&values);
        assert_eq!(decode(&message), Ok(values.to_vec()));
        for end in 0..message.len() {
            assert_eq!(decode(&message[..end]), Err(Malformed), "prefix of {end} bytes");
        }
        for at in 0..message.len() {
            for byte in [0, 1, 4, 5, 7, 0x7f, 0x80, 0xc3, 0xff] {
                let mut changed = message.clone();
                changed[at] = byte;
                let _ = decode(&changed);
            }
        }
    }
}
