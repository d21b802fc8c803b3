//! A minimal DER reader (and the one DER structure written here, an ECDSA signature): the
//! tag-length-value walk and the few primitive types that the certificate parser, the private-key
//! readers and the signature check read, in a fraction of the code of a generic decoder (for the
//! size of the wasm builds).
//!
//! Every element read goes through [`Reader::any`], which enforces DER framing (X.690 §10.1):
//! definite lengths in their minimal form, contents within the enclosing element, no trailing
//! bytes where a structure ends ([`Reader::finish`]), and only the universal tags the `der`
//! crate knows. The typed reads check the tag and the content rules of their type. Nothing here
//! panics, whatever the input.

use alloc::string::String;

/// Input that is not the DER expected; the caller names the field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Invalid;

/// A result of this module.
pub(crate) type Result<T> = core::result::Result<T, Invalid>;

/// Universal tags (X.690 §8.1.2; a constructed SEQUENCE or SET has bit 6 set).
pub(crate) const BOOLEAN: u8 = 0x01;
/// `INTEGER`.
pub(crate) const INTEGER: u8 = 0x02;
/// `BIT STRING`.
pub(crate) const BIT_STRING: u8 = 0x03;
/// `OCTET STRING`.
pub(crate) const OCTET_STRING: u8 = 0x04;
/// `OBJECT IDENTIFIER`.
pub(crate) const OID: u8 = 0x06;
/// `UTCTime`.
pub(crate) const UTC_TIME: u8 = 0x17;
/// `GeneralizedTime`.
pub(crate) const GENERALIZED_TIME: u8 = 0x18;
/// `BMPString`.
pub(crate) const BMP_STRING: u8 = 0x1e;
/// `SEQUENCE` (constructed).
pub(crate) const SEQUENCE: u8 = 0x30;
/// `SET` (constructed).
pub(crate) const SET: u8 = 0x31;

/// The universal identifier octets a DER element may have, as bits of a mask: the primitive
/// types BOOLEAN to OBJECT IDENTIFIER, REAL, ENUMERATED, UTF8String, RELATIVE-OID, the string
/// types NumericString to GeneralizedTime, VisibleString, GeneralString and BMPString, and
/// SEQUENCE and SET (constructed). Others (a constructed primitive type, a universal tag in the
/// high-number form, an unassigned number) are refused, as the `der` crate refuses them.
const UNIVERSAL: u64 = 0x7e // 0x01..=0x06
    | 1 << 0x09
    | 1 << 0x0a
    | 1 << 0x0c
    | 1 << 0x0d
    | 0x7f << 0x12 // 0x12..=0x18
    | 1 << 0x1a
    | 1 << 0x1b
    | 1 << 0x1e
    | 1 << 0x30
    | 1 << 0x31;

/// A context-specific tag `[number]` (number below 31), primitive or constructed.
pub(crate) const fn context(number: u8, constructed: bool) -> u8 {
    0x80 | if constructed { 0x20 } else { 0 } | number
}

/// One element: its identifier octet (for a tag number of 31 or more, the first octet only,
/// which matches none of the tags above) and its contents.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tlv<'a> {
    /// The identifier octet.
    pub tag: u8,
    /// The contents octets.
    pub value: &'a [u8],
}

/// Reads the elements of a DER encoding one after another.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { rest: bytes }
    }

    /// Whether every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The identifier octet of the next element, without reading it.
    pub fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// `Ok` when every byte has been read: no trailing data.
    pub fn finish(&self) -> Result<()> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(Invalid)
        }
    }

    /// Reads the next element, whatever its tag, with its encoding (identifier, length and
    /// contents) as the second value.
    pub fn any_with_encoding(&mut self) -> Result<(Tlv<'a>, &'a [u8])> {
        let input = self.rest;
        let (&tag, mut rest) = input.split_first().ok_or(Invalid)?;
        if tag < 0x40 && UNIVERSAL >> tag & 1 == 0 {
            return Err(Invalid);
        }
        if tag & 0x1f == 0x1f {
            // High tag number form (X.690 §8.1.2.4): base-128 digits, the first not 0x80, the
            // number at least 31, the last digit with bit 8 clear.
            let (&first, _) = rest.split_first().ok_or(Invalid)?;
            if first == 0x80 {
                return Err(Invalid);
            }
            let mut number = 0u32;
            loop {
                let (&digit, after) = rest.split_first().ok_or(Invalid)?;
                rest = after;
                number = number.checked_mul(128).ok_or(Invalid)? | u32::from(digit & 0x7f);
                if digit & 0x80 == 0 {
                    break;
                }
            }
            if number < 31 {
                return Err(Invalid);
            }
        }
        let (&first, after) = rest.split_first().ok_or(Invalid)?;
        rest = after;
        let len = match first {
            0..=0x7f => usize::from(first),
            // Long form, 1 to 4 octets, minimal (X.690 §10.1); 0x80 (indefinite) is not DER.
            0x81..=0x84 => {
                let count = usize::from(first & 0x7f);
                if rest.len() < count {
                    return Err(Invalid);
                }
                let (digits, after) = rest.split_at(count);
                rest = after;
                let len = digits.iter().fold(0usize, |len, &d| (len << 8) | usize::from(d));
                let minimal = match len {
                    0..=0x7f => 0,
                    0x80..=0xff => 1,
                    0x100..=0xffff => 2,
                    0x1_0000..=0xff_ffff => 3,
                    _ => 4,
                };
                if count != minimal {
                    return Err(Invalid);
                }
                len
            }
            _ => return Err(Invalid),
        };
        if rest.len() < len {
            return Err(Invalid);
        }
        let (value, after) = rest.split_at(len);
        self.rest = after;
        let encoding = &input[..input.len() - after.len()];
        Ok((Tlv { tag, value }, encoding))
    }

    /// Reads the next element, whatever its tag.
    pub fn any(&mut self) -> Result<Tlv<'a>> {
        self.any_with_encoding().map(|(tlv, _)| tlv)
    }

    /// Reads the next element, which must have tag `tag`; returns its contents.
    pub fn expect(&mut self, tag: u8) -> Result<&'a [u8]> {
        let tlv = self.any()?;
        if tlv.tag == tag {
            Ok(tlv.value)
        } else {
            Err(Invalid)
        }
    }

    /// Reads a `SEQUENCE` and runs `f` on its contents, which `f` must read to the end.
    pub fn sequence<T>(&mut self, f: impl FnOnce(&mut Reader<'a>) -> Result<T>) -> Result<T> {
        nested(self.expect(SEQUENCE)?, f)
    }

    /// Reads the elements left, each a valid DER element, ignoring them.
    pub fn skip_rest(&mut self) -> Result<()> {
        while !self.is_empty() {
            self.any()?;
        }
        Ok(())
    }

    /// Reads an `OBJECT IDENTIFIER`; returns its contents ([`oid`]'s rules).
    pub fn oid(&mut self) -> Result<&'a [u8]> {
        oid(self.expect(OID)?)
    }

    /// Reads a `BOOLEAN` (DER: one octet, `00` or `FF`).
    pub fn boolean(&mut self) -> Result<bool> {
        match self.expect(BOOLEAN)? {
            [0x00] => Ok(false),
            [0xff] => Ok(true),
            _ => Err(Invalid),
        }
    }

    /// Reads a non-negative `INTEGER` in its minimal form; returns its magnitude without the
    /// sign octet (zero is `[0]`).
    pub fn unsigned(&mut self) -> Result<&'a [u8]> {
        match self.expect(INTEGER)? {
            [] => Err(Invalid),
            zero @ [0] => Ok(zero),
            [0, next, ..] if *next < 0x80 => Err(Invalid),
            [0, rest @ ..] => Ok(rest),
            [first, ..] if *first >= 0x80 => Err(Invalid),
            bytes => Ok(bytes),
        }
    }

    /// Reads a `BIT STRING`: (unused bits in the last octet, 0 to 7, and the octets).
    pub fn bit_string(&mut self) -> Result<(u8, &'a [u8])> {
        bit_string(self.expect(BIT_STRING)?)
    }
}

/// Runs `f` on a reader over `contents`, which it must read to the end.
pub(crate) fn nested<'a, T>(contents: &'a [u8], f: impl FnOnce(&mut Reader<'a>) -> Result<T>) -> Result<T> {
    let mut inner = Reader::new(contents);
    let value = f(&mut inner)?;
    inner.finish()?;
    Ok(value)
}

/// Reads `input` as exactly one element (no trailing bytes).
pub(crate) fn single(input: &[u8]) -> Result<Tlv<'_>> {
    nested(input, Reader::any)
}

/// The contents of a `BIT STRING`: (unused bits, 0 to 7, 0 when there are no octets; the octets).
pub(crate) fn bit_string(contents: &[u8]) -> Result<(u8, &[u8])> {
    match contents {
        [unused, bits @ ..] if *unused <= 7 && (*unused == 0 || !bits.is_empty()) => Ok((*unused, bits)),
        _ => Err(Invalid),
    }
}

/// Checks the contents of an `OBJECT IDENTIFIER` (X.690 §8.19) as the `der` crate's
/// `ObjectIdentifier` does: 1 to 39 octets; the first octet alone holds the first two arcs X.Y
/// (40·X + Y with Y at most 39, so below 120); each later arc at most 32 bits, the last octet
/// ending one.
pub(crate) fn oid(contents: &[u8]) -> Result<&[u8]> {
    let [first, rest @ ..] = contents else { return Err(Invalid) };
    if contents.len() > 39 || *first >= 120 || contents[contents.len() - 1] & 0x80 != 0 {
        return Err(Invalid);
    }
    let mut arc = 0u32;
    for &b in rest {
        arc = arc.checked_mul(128).ok_or(Invalid)? | u32::from(b & 0x7f);
        if b & 0x80 == 0 {
            arc = 0;
        }
    }
    Ok(contents)
}

/// The dotted form of an OID's contents (checked by [`oid`]), e.g. `1.2.840.10045.3.1.7`.
pub(crate) fn oid_dotted(contents: &[u8]) -> String {
    let mut out = String::new();
    let mut arc = 0u64;
    let mut first = true;
    for &b in contents {
        arc = (arc << 7) | u64::from(b & 0x7f);
        if b & 0x80 != 0 {
            continue;
        }
        if first {
            // The first octets hold 40·X + Y, X in 0..=2 (X.690 §8.19.4).
            let x = (arc / 40).min(2);
            out.push_str(&crate::digits::decimal(x));
            arc -= 40 * x;
            first = false;
        }
        out.push('.');
        out.push_str(&crate::digits::decimal(arc));
        arc = 0;
    }
    out
}

/// `Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` (RFC 3279 2.2.3) in DER, from the
/// big-endian scalars `r` and `s` of a P-256 or P-384 signature (up to 48 bytes each: every
/// length fits the one- or two-octet forms written here).
#[cfg(any(feature = "ecdsa-p256", feature = "ecdsa-p384", all(feature = "wasm", target_arch = "wasm32")))]
pub(crate) fn ecdsa_signature(r: &[u8], s: &[u8]) -> alloc::vec::Vec<u8> {
    // Minimal: no leading zero octets, then one zero octet when the top bit is set (non-negative).
    fn integer(n: &[u8]) -> (bool, &[u8]) {
        let n = &n[n.iter().position(|&b| b != 0).unwrap_or(n.len().saturating_sub(1))..];
        (n.first().is_none_or(|&b| b >= 0x80), n)
    }
    let (r_pad, r) = integer(r);
    let (s_pad, s) = integer(s);
    let r_len = r.len() + usize::from(r_pad);
    let s_len = s.len() + usize::from(s_pad);
    let body = 4 + r_len + s_len;
    let mut out = alloc::vec::Vec::with_capacity(3 + body);
    out.push(SEQUENCE);
    if body >= 0x80 {
        out.push(0x81);
    }
    out.push(body as u8);
    for (pad, n, len) in [(r_pad, r, r_len), (s_pad, s, s_len)] {
        out.extend_from_slice(&[INTEGER, len as u8]);
        if pad {
            out.push(0);
        }
        out.extend_from_slice(n);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use der::asn1::ObjectIdentifier;

    #[test]
    fn lengths_are_definite_and_minimal() {
        assert_eq!(Reader::new(&[0x04, 0x01, 0xaa]).any().map(|t| t.value), Ok(&[0xaa][..]));
        let long: alloc::vec::Vec<u8> = [&[0x04, 0x81, 0x80][..], &[0u8; 0x80]].concat();
        assert_eq!(Reader::new(&long).any().map(|t| t.value.len()), Ok(0x80));
        for bad in [
            &[0x04, 0x80, 0x00, 0x00][..], // indefinite
            &[0x04, 0x81, 0x01, 0xaa],     // long form for a short length
            &[0x04, 0x82, 0x00, 0x80],     // a leading zero octet
            &[0x04, 0x85, 0, 0, 0, 0, 1],  // more than 4 length octets
            &[0x04, 0x02, 0xaa],           // contents past the end
            &[0x04],
            &[0x9f, 0x80, 0x01, 0x00], // high tag number with a leading 0x80
            &[0x5f, 0x05, 0x00],       // high tag number form for a number below 31
            &[0x00, 0x00],             // universal 0
            &[0x22, 0x00],             // a constructed INTEGER
            &[0x1f, 0x21, 0x00],       // a universal tag in the high-number form
            &[0x10, 0x00],             // SEQUENCE without the constructed bit
        ] {
            assert_eq!(Reader::new(bad).any().map(|_| ()), Err(Invalid), "{bad:02x?}");
        }
        assert_eq!(Reader::new(&[0x9f, 0x1f, 0x00]).any().map(|t| t.tag), Ok(0x9f));
        assert_eq!(single(&[0x05, 0x00, 0x00]).map(|_| ()), Err(Invalid));
    }

    #[test]
    fn integers_booleans_and_bit_strings() {
        let unsigned = |b: &[u8]| Reader::new(b).unsigned().map(<[u8]>::to_vec);
        assert_eq!(unsigned(&[0x02, 0x01, 0x00]), Ok(vec![0]));
        assert_eq!(unsigned(&[0x02, 0x02, 0x00, 0x80]), Ok(vec![0x80]));
        assert_eq!(unsigned(&[0x02, 0x02, 0x00, 0x7f]), Err(Invalid));
        assert_eq!(unsigned(&[0x02, 0x01, 0x80]), Err(Invalid));
        assert_eq!(unsigned(&[0x02, 0x00]), Err(Invalid));
        assert_eq!(Reader::new(&[0x01, 0x01, 0xff]).boolean(), Ok(true));
        assert_eq!(Reader::new(&[0x01, 0x01, 0x01]).boolean(), Err(Invalid));
        assert_eq!(bit_string(&[0x07, 0x80]), Ok((7, &[0x80][..])));
        assert_eq!(bit_string(&[0x00]), Ok((0, &[][..])));
        assert_eq!(bit_string(&[0x01]), Err(Invalid));
        assert_eq!(bit_string(&[0x08, 0x00]), Err(Invalid));
        assert_eq!(bit_string(&[]), Err(Invalid));
    }

    #[cfg(feature = "ecdsa-p256")]
    #[test]
    fn ecdsa_signatures_match_the_ecdsa_crate() {
        use p256::ecdsa::Signature;
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut scalar = |top: u8| {
            let mut bytes = [0u8; 32];
            for b in bytes.iter_mut() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *b = state as u8;
            }
            // Leading zero octets and a set top bit, both ways.
            match top {
                0 => bytes[..3].fill(0),
                1 => bytes[0] |= 0x80,
                2 => bytes[0] &= 0x7f,
                _ => {}
            }
            bytes
        };
        for i in 0..400u16 {
            let (r, s) = (scalar((i % 4) as u8), scalar((i / 4 % 4) as u8));
            let Ok(signature) = Signature::from_scalars(r, s) else { continue };
            assert_eq!(ecdsa_signature(&r, &s), signature.to_der().as_bytes(), "{r:02x?} {s:02x?}");
        }
        let one = {
            let mut b = [0u8; 32];
            b[31] = 1;
            b
        };
        let signature = Signature::from_scalars(one, one).unwrap();
        assert_eq!(ecdsa_signature(&one, &one), signature.to_der().as_bytes());
    }

    #[test]
    fn oids_match_the_der_crate() {
        for dotted in
            ["1.2.840.10045.3.1.7", "1.3.132.0.34", "2.16.840.1.101.3.4.3.17", "2.5.4.3", "0.9.2342.19200300.100.1.25"]
        {
            let reference = ObjectIdentifier::new_unwrap(dotted);
            assert_eq!(oid(reference.as_bytes()), Ok(reference.as_bytes()), "{dotted}");
            assert_eq!(oid_dotted(reference.as_bytes()), dotted);
        }
        for bad in [&[][..], &[0x2a, 0x86], &[0x2a, 0x90, 0x80, 0x80, 0x80, 0x00], &[0x78, 0x01], &[0x81, 0x01, 0x01]] {
            assert_eq!(oid(bad), Err(Invalid), "{bad:02x?}");
        }
    }
}
