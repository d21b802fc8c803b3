//! JSON (RFC 8259) as the core needs it: a strict reader for AWS's answers (the whole text is
//! validated, then handed over as a tree) and a writer for the flat request bodies it sends. Both
//! are small: serde_json's generic code was the largest part of the wasm build after the
//! certificate parser.
//!
//! Hostile input: nesting is limited to [`MAX_DEPTH`], every index is checked (no panics), strings
//! must be valid UTF-8 without raw control characters, duplicate object keys are refused (as
//! serde's derived readers refuse duplicate fields), and objects hold at most [`MAX_MEMBERS`].

use alloc::string::String;
use alloc::vec::Vec;

/// Deepest nesting of arrays and objects accepted; `CreateSession` output is 4 levels deep.
pub(crate) const MAX_DEPTH: usize = 32;

/// Most members accepted in one object (AWS's have a handful): bounds the quadratic duplicate-key
/// check, so that a hostile 256 KB answer cannot keep the reader busy for seconds.
pub(crate) const MAX_MEMBERS: usize = 256;

/// A JSON value. Numbers are only validated, never converted: nothing here needs their value.
#[derive(Debug, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Number,
    String(String),
    Array(Vec<Value>),
    /// Members in document order; keys are unique.
    Object(Vec<(String, Value)>),
}

/// The input is not JSON (or nests deeper than [`MAX_DEPTH`]).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Invalid;

impl Value {
    /// Member `key` of an object; `None` for a missing member or a non-object.
    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        match self {
            Value::Object(members) => members.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Member `key` as an optional string, taken out of the tree: `Ok(None)` when missing or
    /// `null`, `Err` when it has another type.
    pub(crate) fn take_string(&mut self, key: &str) -> Result<Option<String>, Invalid> {
        match self.get_mut(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(core::mem::take(s))),
            Some(_) => Err(Invalid),
        }
    }
}

/// Parses a complete JSON text (surrounding whitespace allowed).
pub(crate) fn parse(input: &[u8]) -> Result<Value, Invalid> {
    let mut p = Parser { input, pos: 0 };
    let value = p.value(0)?;
    p.skip_ws();
    if p.pos != input.len() {
        return Err(Invalid);
    }
    Ok(value)
}

struct Parser<'a> {
    input: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn next(&mut self) -> Result<u8, Invalid> {
        let b = self.peek().ok_or(Invalid)?;
        self.pos += 1;
        Ok(b)
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn literal(&mut self, word: &[u8], value: Value) -> Result<Value, Invalid> {
        let end = self.pos.checked_add(word.len()).ok_or(Invalid)?;
        if self.input.get(self.pos..end) != Some(word) {
            return Err(Invalid);
        }
        self.pos = end;
        Ok(value)
    }

    fn value(&mut self, depth: usize) -> Result<Value, Invalid> {
        self.skip_ws();
        match self.peek().ok_or(Invalid)? {
            b'{' => self.object(depth + 1),
            b'[' => self.array(depth + 1),
            b'"' => self.string().map(Value::String),
            b't' => self.literal(b"true", Value::Bool(true)),
            b'f' => self.literal(b"false", Value::Bool(false)),
            b'n' => self.literal(b"null", Value::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(Invalid),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, Invalid> {
        if depth > MAX_DEPTH {
            return Err(Invalid);
        }
        self.pos += 1; // '{'
        let mut members: Vec<(String, Value)> = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(Invalid);
            }
            let key = self.string()?;
            if members.len() == MAX_MEMBERS || members.iter().any(|(k, _)| *k == key) {
                return Err(Invalid);
            }
            self.skip_ws();
            if self.next()? != b':' {
                return Err(Invalid);
            }
            let value = self.value(depth)?;
            members.push((key, value));
            self.skip_ws();
            match self.next()? {
                b',' => {}
                b'}' => return Ok(Value::Object(members)),
                _ => return Err(Invalid),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, Invalid> {
        if depth > MAX_DEPTH {
            return Err(Invalid);
        }
        self.pos += 1; // '['
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value(depth)?);
            self.skip_ws();
            match self.next()? {
                b',' => {}
                b']' => return Ok(Value::Array(items)),
                _ => return Err(Invalid),
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Result<Value, Invalid> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(Invalid),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(Invalid);
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(Invalid);
            }
        }
        Ok(Value::Number)
    }

    fn hex4(&mut self) -> Result<u32, Invalid> {
        let mut v = 0;
        for _ in 0..4 {
            let d = char::from(self.next()?).to_digit(16).ok_or(Invalid)?;
            v = v * 16 + d;
        }
        Ok(v)
    }

    fn string(&mut self) -> Result<String, Invalid> {
        self.pos += 1; // '"'
        let mut out = Vec::new();
        loop {
            match self.next()? {
                b'"' => return String::from_utf8(out).map_err(|_| Invalid),
                b'\\' => {
                    let c = match self.next()? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                // A high surrogate must be followed by an escaped low one.
                                if self.next()? != b'\\' || self.next()? != b'u' {
                                    return Err(Invalid);
                                }
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(Invalid);
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            char::from_u32(code).ok_or(Invalid)?
                        }
                        _ => return Err(Invalid),
                    };
                    let mut buf = [0; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                b if b < 0x20 => return Err(Invalid),
                b => out.push(b),
            }
        }
    }
}

/// Writes one flat JSON object, member by member, in the order given: `{"a":1,"b":"x"}`.
pub(crate) struct ObjectWriter {
    out: String,
}

impl ObjectWriter {
    /// An empty object.
    pub(crate) fn new() -> Self {
        ObjectWriter { out: String::from("{") }
    }

    fn name(&mut self, name: &str) {
        if self.out.len() > 1 {
            self.out.push(',');
        }
        push_string(&mut self.out, name);
        self.out.push(':');
    }

    /// Adds `"name":"value"`, escaped.
    pub(crate) fn string(&mut self, name: &str, value: &str) {
        self.name(name);
        push_string(&mut self.out, value);
    }

    /// Adds `"name":number`.
    pub(crate) fn number(&mut self, name: &str, value: u64) {
        self.name(name);
        self.out.push_str(&crate::digits::decimal(value));
    }

    /// The object's text.
    pub(crate) fn finish(mut self) -> String {
        self.out.push('}');
        self.out
    }
}

/// Appends `value` as a JSON string: quotes, backslashes and control characters escaped.
fn push_string(out: &mut String, value: &str) {
    out.push('"');
    // Most values (names, ARNs, session names) need no escaping: copied at once.
    if !value.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        out.push_str(value);
    } else {
        for c in value.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if (c as u32) < 0x20 => {
                    out.push_str("\\u00");
                    out.push(char::from(crate::digits::DIGITS[(c as usize) >> 4]));
                    out.push(char::from(crate::digits::DIGITS[(c as usize) & 15]));
                }
                c => out.push(c),
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_serde_json_on_validity() {
        let cases: &[&str] = &[
            "{}",
            "[]",
            " {\"a\" : [1, -2.5e+3, true, false, null, \"x\\u00e9\\ud83d\\ude00\\n\"]} ",
            "0",
            "-0.0e0",
            "\"\\/\"",
            "{\"a\":1,}",
            "[1,]",
            "01",
            "1.",
            "1e",
            "-",
            "+1",
            "\"\\ud800\"",
            "\"\\udc00\"",
            "\"\\x\"",
            "\"a\u{1}\"",
            "{\"a\":1}x",
            "",
            "nul",
            "truex",
            "[\"\\u12\"]",
            "{1:2}",
            "\"\u{e9}\"",
        ];
        for case in cases {
            let ours = parse(case.as_bytes()).is_ok();
            let theirs = serde_json::from_str::<serde_json::Value>(case).is_ok();
            assert_eq!(ours, theirs, "{case:?}");
        }
        assert!(parse(b"\"\xff\"").is_err());
        assert!(parse(b"{\"a\":1,\"a\":2}").is_err());
    }

    #[test]
    fn strings_decode_like_serde_json() {
        let text = "\"a\\\"b\\\\c\\u0041\\ud83d\\ude00\\t\u{e9}\"";
        let expected: String = serde_json::from_str(text).unwrap();
        assert_eq!(parse(text.as_bytes()), Ok(Value::String(expected)));
    }

    #[test]
    fn deep_nesting_is_refused_without_overflow() {
        let deep = "[".repeat(100_000);
        assert_eq!(parse(deep.as_bytes()), Err(Invalid));
        let ok = alloc::format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(ok.as_bytes()).is_ok());
    }

    #[test]
    fn objects_with_too_many_members_are_refused() {
        let object = |n: usize| {
            let members: alloc::vec::Vec<_> = (0..n).map(|i| alloc::format!("\"k{i}\":{i}")).collect();
            alloc::format!("{{{}}}", members.join(","))
        };
        assert!(parse(object(MAX_MEMBERS).as_bytes()).is_ok());
        assert_eq!(parse(object(MAX_MEMBERS + 1).as_bytes()), Err(Invalid));
    }

    #[test]
    fn writer_escapes_and_round_trips() {
        let mut w = ObjectWriter::new();
        w.number("durationSeconds", 900);
        w.string("a", "arn:aws:iam::1:role/x");
        w.string("b", "q\"b\\c\u{1}é");
        let text = w.finish();
        assert_eq!(text, "{\"durationSeconds\":900,\"a\":\"arn:aws:iam::1:role/x\",\"b\":\"q\\\"b\\\\c\\u0001é\"}");
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["b"], "q\"b\\c\u{1}é");
        assert_eq!(ObjectWriter::new().finish(), "{}");
    }

    #[test]
    fn truncated_input_never_panics() {
        let text = br#"{"credentialSet":[{"credentials":{"accessKeyId":"A\u00e9","n":-1.5e3}}],"x":[true,null]}"#;
        for end in 0..text.len() {
            assert!(parse(&text[..end]).is_err());
        }
        assert!(parse(text).is_ok());
    }
}
