//! PEM (RFC 7468) blocks: the text wrapping that certificates and keys usually come in.
//!
//! Written by hand because the files people hold are often not strict RFC 7468: several blocks
//! in one file (a chain), an `EC PARAMETERS` block before the key, OpenSSL's RFC 1421 headers
//! (`Proc-Type: 4,ENCRYPTED`) on legacy encrypted keys, CRLF line ends, or base64 on one long
//! line (secrets stored in environment variables). The base64 itself is decoded in constant
//! time by `base64ct`, because key bytes pass through here.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use base64ct::{Base64, Encoding};
use zeroize::Zeroizing;

use crate::error::{push_pieces, Piece};

/// Largest input, in bytes, that the certificate and key parsers take (PEM or DER).
pub const MAX_INPUT_LEN: usize = 256 * 1024;

/// Most PEM blocks read from one input.
const MAX_BLOCKS: usize = 16;

/// One decoded PEM block.
pub(crate) struct Block {
    /// The label after `-----BEGIN `, e.g. `CERTIFICATE`.
    pub label: String,
    /// Whether RFC 1421 headers mark the contents as encrypted (`Proc-Type: 4,ENCRYPTED`).
    pub encrypted: bool,
    /// The decoded bytes; zeroized on drop since they may be a private key.
    pub der: Zeroizing<Vec<u8>>,
}

/// Why a PEM input could not be read. Carries labels only, never contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PemError {
    /// No `-----BEGIN …-----` line was found.
    NoBlock,
    /// A block has no matching `-----END …-----` line.
    Unterminated {
        /// The label of the block.
        label: String,
    },
    /// The contents of a block are not valid base64.
    InvalidBase64 {
        /// The label of the block.
        label: String,
    },
    /// More blocks than this library reads from one input.
    TooManyBlocks,
}

impl Piece for PemError {
    fn push_to(&self, out: &mut String) {
        match self {
            PemError::NoBlock => out.push_str("no PEM block (-----BEGIN ...-----) found"),
            PemError::Unterminated { label } => {
                push_pieces!(out; "PEM block ", label, " has no matching END line (truncated?)")
            }
            PemError::InvalidBase64 { label } => push_pieces!(out; "PEM block ", label, " does not hold valid base64"),
            PemError::TooManyBlocks => push_pieces!(out; "more than ", MAX_BLOCKS, " PEM blocks in one input"),
        }
    }
}

/// Whether `input` looks like PEM text rather than DER (DER starts with a SEQUENCE tag).
pub(crate) fn is_pem(input: &[u8]) -> bool {
    let start = input.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(input.len());
    input[start..].starts_with(b"-----BEGIN ")
}

/// Reads every PEM block of `input`, in order; text between blocks is ignored, as OpenSSL does.
pub(crate) fn decode_blocks(input: &[u8]) -> Result<Vec<Block>, PemError> {
    // Non-UTF-8 bytes can only occur in ignored text; keep the scan byte-based.
    let mut blocks = Vec::new();
    let mut rest = input;
    while let Some(begin) = find(rest, b"-----BEGIN ") {
        if blocks.len() == MAX_BLOCKS {
            return Err(PemError::TooManyBlocks);
        }
        let after_begin = &rest[begin + 11..];
        let label_end = find(after_begin, b"-----").ok_or(PemError::NoBlock)?;
        let label_bytes = &after_begin[..label_end];
        if label_bytes.len() > 64 || !label_bytes.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
            return Err(PemError::NoBlock);
        }
        let label = String::from_utf8_lossy(label_bytes).to_string();
        let body_and_rest = &after_begin[label_end + 5..];
        let mut end_marker = Vec::with_capacity(label_bytes.len() + 14);
        end_marker.extend_from_slice(b"-----END ");
        end_marker.extend_from_slice(label_bytes);
        end_marker.extend_from_slice(b"-----");
        let end = find(body_and_rest, &end_marker).ok_or_else(|| PemError::Unterminated { label: label.clone() })?;
        let body = &body_and_rest[..end];
        rest = &body_and_rest[end + end_marker.len()..];

        let (encrypted, base64_text) = split_headers(body);
        let mut compact = Zeroizing::new(Vec::with_capacity(base64_text.len()));
        compact.extend(base64_text.iter().copied().filter(|b| !b.is_ascii_whitespace()));
        let der = Base64::decode_vec(
            core::str::from_utf8(&compact).map_err(|_| PemError::InvalidBase64 { label: label.clone() })?,
        )
        .map_err(|_| PemError::InvalidBase64 { label: label.clone() })?;
        blocks.push(Block { label, encrypted, der: Zeroizing::new(der) });
    }
    if blocks.is_empty() {
        return Err(PemError::NoBlock);
    }
    Ok(blocks)
}

/// Splits RFC 1421 headers (`Name: value` lines, then a blank line) from the base64 text.
/// Base64 never holds a `:`, so the first line without one starts the contents.
fn split_headers(body: &[u8]) -> (bool, &[u8]) {
    let mut encrypted = false;
    let mut seen_header = false;
    let mut pos = 0;
    while pos < body.len() {
        let line_end = body[pos..].iter().position(|&b| b == b'\n').map_or(body.len(), |i| pos + i + 1);
        let line = body[pos..line_end].trim_ascii();
        if line.is_empty() {
            if seen_header {
                return (encrypted, &body[line_end..]);
            }
        } else if find(line, b":").is_some() {
            seen_header = true;
            encrypted |= line.starts_with(b"Proc-Type:") && find(line, b"ENCRYPTED").is_some();
        } else {
            return (encrypted, &body[pos..]);
        }
        pos = line_end;
    }
    (encrypted, &body[pos..])
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHAIN: &str = "junk before\n-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\r\n\
                         -----BEGIN CERTIFICATE-----\r\nBAUG\r\nBw==\r\n-----END CERTIFICATE-----\n";

    #[test]
    fn reads_several_blocks_and_crlf() {
        let blocks = decode_blocks(CHAIN.as_bytes()).unwrap();
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].label, "CERTIFICATE");
        assert_eq!(&blocks[0].der[..], &[1, 2, 3]);
        assert_eq!(&blocks[1].der[..], &[4, 5, 6, 7]);
        assert!(is_pem(&CHAIN.as_bytes()[12..]));
        assert!(!is_pem(&[0x30, 0x82]));
    }

    #[test]
    fn detects_encrypted_headers() {
        let pem = "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00\n\nAQID\n-----END EC PRIVATE KEY-----\n";
        let blocks = decode_blocks(pem.as_bytes()).unwrap();
        assert!(blocks[0].encrypted);
        assert_eq!(&blocks[0].der[..], &[1, 2, 3]);
    }

    #[test]
    fn reports_errors() {
        assert_eq!(decode_blocks(b"").err(), Some(PemError::NoBlock));
        assert_eq!(decode_blocks(b"hello").err(), Some(PemError::NoBlock));
        assert!(matches!(
            decode_blocks(b"-----BEGIN CERTIFICATE-----\nAQID\n").err(),
            Some(PemError::Unterminated { .. })
        ));
        assert!(matches!(
            decode_blocks(b"-----BEGIN CERTIFICATE-----\nA*ID\n-----END CERTIFICATE-----").err(),
            Some(PemError::InvalidBase64 { .. })
        ));
        assert!(matches!(
            decode_blocks(b"-----BEGIN A-----\nAQID\n-----END B-----").err(),
            Some(PemError::Unterminated { .. })
        ));
        let many = "-----BEGIN X-----\nAQID\n-----END X-----\n".repeat(MAX_BLOCKS + 1);
        assert_eq!(decode_blocks(many.as_bytes()).err(), Some(PemError::TooManyBlocks));
    }

    #[test]
    fn never_panics_on_truncations() {
        let pem = "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nAQID\n-----END EC PRIVATE KEY-----\n";
        for cut in 0..pem.len() {
            let _ = decode_blocks(&pem.as_bytes()[..cut]);
            let _ = decode_blocks(&pem.as_bytes()[cut..]);
        }
    }
}
