//! Key types and `CreateSession` signing algorithms: the facts that certificates and private keys
//! share (which curve, which modulus size, which `AWS4-X509-…` name).

use alloc::string::{String, ToString};
use core::fmt;

use der::asn1::ObjectIdentifier;

/// `id-ecPublicKey` (RFC 5480).
pub(crate) const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// `rsaEncryption` (RFC 8017).
pub(crate) const OID_RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// `secp256r1` (RFC 5480).
pub(crate) const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// `secp384r1` (RFC 5480).
pub(crate) const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");

/// A public key type this library signs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyType {
    /// ECDSA on NIST P-256 (secp256r1).
    EcdsaP256,
    /// ECDSA on NIST P-384 (secp384r1).
    EcdsaP384,
    /// RSA with a modulus of `bits` bits (2048 to 4096).
    Rsa {
        /// Modulus size in bits.
        bits: u32,
    },
}

impl KeyType {
    /// The `CreateSession` signing algorithm for this key type.
    pub fn algorithm(self) -> Algorithm {
        match self {
            KeyType::EcdsaP256 | KeyType::EcdsaP384 => Algorithm::EcdsaSha256,
            KeyType::Rsa { .. } => Algorithm::RsaSha256,
        }
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyType::EcdsaP256 => f.write_str("ECDSA P-256"),
            KeyType::EcdsaP384 => f.write_str("ECDSA P-384"),
            KeyType::Rsa { bits } => write!(f, "RSA-{bits}"),
        }
    }
}

/// The `CreateSession` signing algorithms (\[S\], "Signing process", Task 3 and Task 4).
///
/// Both hash the string to sign with SHA-256, whatever the curve or key size: AWS's credential
/// helper signs P-384 keys with `ecdsa.SignASN1` over a SHA-256 digest too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// `AWS4-X509-ECDSA-SHA256`: ECDSA over SHA-256, signature DER-encoded (`Ecdsa-Sig-Value`).
    EcdsaSha256,
    /// `AWS4-X509-RSA-SHA256`: RSASSA-PKCS1-v1_5 over SHA-256.
    RsaSha256,
}

impl Algorithm {
    /// The name that opens the `Authorization` header and the string to sign.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::EcdsaSha256 => "AWS4-X509-ECDSA-SHA256",
            Algorithm::RsaSha256 => "AWS4-X509-RSA-SHA256",
        }
    }
}

/// A readable name for a key or signature algorithm OID, for error messages; the dotted OID when
/// it is not one of the common ones.
pub(crate) fn oid_name(oid: &ObjectIdentifier) -> String {
    let name = match oid.to_string().as_str() {
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        "1.3.101.110" => "X25519",
        "1.2.840.10040.4.1" => "DSA",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.14" => "sha224WithRSAEncryption",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.1" => "ecdsa-with-SHA224",
        other => return other.to_string(),
    };
    name.to_string()
}

/// A readable name for an elliptic curve this library does not sign with, with its OID.
pub(crate) fn curve_name(oid: &ObjectIdentifier) -> String {
    let oid = oid.to_string();
    let name = match oid.as_str() {
        "1.3.132.0.10" => "secp256k1 ",
        "1.3.132.0.35" => "P-521 ",
        _ => "",
    };
    alloc::format!("EC curve {name}{oid}")
}

/// Number of significant bits of a big-endian unsigned integer.
pub(crate) fn bit_length(bytes: &[u8]) -> u32 {
    match bytes.iter().position(|&b| b != 0) {
        Some(i) => (bytes.len() - i - 1) as u32 * 8 + (8 - bytes[i].leading_zeros()),
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_lengths() {
        assert_eq!(bit_length(&[]), 0);
        assert_eq!(bit_length(&[0, 0x80, 0]), 16);
        assert_eq!(bit_length(&[1]), 1);
    }
}
