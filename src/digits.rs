//! Numbers as text without `core::fmt` (whose machinery costs more than the formatting itself in
//! wasm): lower-case hexadecimal, the encoding SigV4 uses for hashes and signatures, and decimal
//! (also zero-padded, for times in messages).

use alloc::string::String;

/// The lower-case hex digits.
pub(crate) const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Appends the lower-case hex form of `bytes` to `out`.
pub(crate) fn encode_into(bytes: &[u8], out: &mut String) {
    // In chunks through a byte buffer: pushing one `char` at a time costs a UTF-8 length check
    // and a capacity check per digit (a third of SigV4's hex time in wasm).
    let mut buf = [0u8; 64];
    for chunk in bytes.chunks(32) {
        for (i, &b) in chunk.iter().enumerate() {
            buf[2 * i] = DIGITS[usize::from(b >> 4)];
            buf[2 * i + 1] = DIGITS[usize::from(b & 0x0f)];
        }
        let Ok(digits) = core::str::from_utf8(&buf[..2 * chunk.len()]) else { unreachable!("hex digits are ASCII") };
        out.push_str(digits);
    }
}

/// Returns the lower-case hex form of `bytes`.
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(2 * bytes.len());
    encode_into(bytes, &mut out);
    out
}

/// The decimal form of `n`.
pub(crate) fn decimal(n: u64) -> String {
    let mut out = String::new();
    decimal_into(n, 1, &mut out);
    out
}

/// Appends the decimal form of `n` to `out`, with leading zeros up to `width` digits (at most 20).
pub(crate) fn decimal_into(mut n: u64, width: usize, out: &mut String) {
    let mut digits = [b'0'; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let start = i.min(digits.len().saturating_sub(width));
    let Ok(text) = core::str::from_utf8(&digits[start..]) else { unreachable!("decimal digits are ASCII") };
    out.push_str(text);
}

/// Appends the lower-case hex form of `n` to `out`, without leading zeros.
pub(crate) fn hex_into(n: u32, out: &mut String) {
    let mut shift = 28;
    while shift > 0 && n >> shift == 0 {
        shift -= 4;
    }
    loop {
        out.push(char::from(DIGITS[(n >> shift) as usize & 15]));
        if shift == 0 {
            break;
        }
        shift -= 4;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodes_lower_case() {
        assert_eq!(super::encode(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(super::encode(&[]), "");
        let long: alloc::vec::Vec<u8> = (0..=255).collect();
        let expected: alloc::string::String = long.iter().map(|b| alloc::format!("{b:02x}")).collect();
        assert_eq!(super::encode(&long), expected);
    }

    #[test]
    fn decimal_matches_format() {
        for n in [0, 7, 10, 900, 43_200, u64::MAX] {
            assert_eq!(super::decimal(n), alloc::format!("{n}"));
        }
    }

    #[test]
    fn padded_decimal_and_hex_match_format() {
        for n in [0u32, 7, 10, 999, 2024, 65_535, 1_114_111, u32::MAX] {
            for width in [1, 2, 4, 9, 20] {
                let mut out = alloc::string::String::new();
                super::decimal_into(u64::from(n), width, &mut out);
                assert_eq!(out, alloc::format!("{n:0width$}"));
            }
            let mut out = alloc::string::String::new();
            super::hex_into(n, &mut out);
            assert_eq!(out, alloc::format!("{n:x}"));
        }
    }
}
