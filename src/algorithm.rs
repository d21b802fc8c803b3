//! Key types and `CreateSession` signing algorithms: the facts that certificates and private keys
//! share (which curve, which modulus size, which `AWS4-X509-…` name).

use alloc::string::{String, ToString};

use der::asn1::ObjectIdentifier;

use crate::error::{push_pieces, Piece};

/// `id-ecPublicKey` (RFC 5480).
pub(crate) const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// `rsaEncryption` (RFC 8017).
pub(crate) const OID_RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// `secp256r1` (RFC 5480).
pub(crate) const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// `secp384r1` (RFC 5480).
pub(crate) const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
/// `id-ml-dsa-44` (NIST CSOR; RFC 9881), the SPKI and PKCS#8 algorithm of ML-DSA-44 keys, and
/// the signature algorithm of certificates an ML-DSA-44 CA signs. \[Go\] `mldsa_utils.go` knows
/// Roles Anywhere ML-DSA certificates by these three OIDs.
pub(crate) const OID_ML_DSA_44: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.17");
/// `id-ml-dsa-65`.
pub(crate) const OID_ML_DSA_65: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.18");
/// `id-ml-dsa-87`.
pub(crate) const OID_ML_DSA_87: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.19");

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
    /// ML-DSA-44 (FIPS 204, security category 2).
    MlDsa44,
    /// ML-DSA-65 (FIPS 204, security category 3).
    MlDsa65,
    /// ML-DSA-87 (FIPS 204, security category 5).
    MlDsa87,
}

impl KeyType {
    /// The `CreateSession` signing algorithm for this key type.
    pub fn algorithm(self) -> Algorithm {
        match self {
            KeyType::EcdsaP256 | KeyType::EcdsaP384 => Algorithm::EcdsaSha256,
            KeyType::Rsa { .. } => Algorithm::RsaSha256,
            KeyType::MlDsa44 | KeyType::MlDsa65 | KeyType::MlDsa87 => Algorithm::MlDsa,
        }
    }

    /// The ML-DSA parameter set of an SPKI or PKCS#8 algorithm OID (its DER contents).
    pub(crate) fn ml_dsa_from_oid(oid: &[u8]) -> Option<KeyType> {
        [(OID_ML_DSA_44, KeyType::MlDsa44), (OID_ML_DSA_65, KeyType::MlDsa65), (OID_ML_DSA_87, KeyType::MlDsa87)]
            .into_iter()
            .find_map(|(known, key_type)| (known.as_bytes() == oid).then_some(key_type))
    }

    /// The length in bytes of every signature of this key type where it is fixed: ML-DSA-44
    /// 2420, ML-DSA-65 3309, ML-DSA-87 4627 (FIPS 204, Table 2). `None` for ECDSA and RSA, whose
    /// signatures [`crate::UnsignedRequest::finish`] bounds at 1024 bytes instead.
    pub fn signature_len(self) -> Option<usize> {
        match self {
            KeyType::MlDsa44 => Some(2420),
            KeyType::MlDsa65 => Some(3309),
            KeyType::MlDsa87 => Some(4627),
            _ => None,
        }
    }

    /// The length in bytes of an encoded ML-DSA public key (`pkEncode`, the SPKI's
    /// `subjectPublicKey`): 1312, 1952, 2592 (FIPS 204, Table 2). `None` for ECDSA and RSA.
    pub fn ml_dsa_public_key_len(self) -> Option<usize> {
        match self {
            KeyType::MlDsa44 => Some(1312),
            KeyType::MlDsa65 => Some(1952),
            KeyType::MlDsa87 => Some(2592),
            _ => None,
        }
    }
}

impl Piece for KeyType {
    fn push_to(&self, out: &mut String) {
        match self {
            KeyType::EcdsaP256 => out.push_str("ECDSA P-256"),
            KeyType::EcdsaP384 => out.push_str("ECDSA P-384"),
            KeyType::Rsa { bits } => push_pieces!(out; "RSA-", bits),
            KeyType::MlDsa44 => out.push_str("ML-DSA-44"),
            KeyType::MlDsa65 => out.push_str("ML-DSA-65"),
            KeyType::MlDsa87 => out.push_str("ML-DSA-87"),
        }
    }
}

/// The `CreateSession` signing algorithms (\[S\], "Signing process", Task 3 and Task 4).
///
/// ECDSA and RSA hash the string to sign with SHA-256, whatever the curve or key size: AWS's
/// credential helper signs P-384 keys with `ecdsa.SignASN1` over a SHA-256 digest too. ML-DSA
/// signs the string to sign itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// `AWS4-X509-ECDSA-SHA256`: ECDSA over SHA-256, signature DER-encoded (`Ecdsa-Sig-Value`).
    EcdsaSha256,
    /// `AWS4-X509-RSA-SHA256`: RSASSA-PKCS1-v1_5 over SHA-256.
    RsaSha256,
    /// `AWS4-X509-MLDSA`: pure ML-DSA (FIPS 204) of the string to sign itself, empty context,
    /// deterministic; the same name for ML-DSA-44, -65 and -87 (\[S\] Task 2: "AWS4-X509-MLDSA";
    /// Task 3: "SigningAlgorithm must be one of: … ML-DSA-44, ML-DSA-65, ML-DSA-87"; \[Go\]
    /// `signer.go` `aws4_x509_mldsa`).
    MlDsa,
}

impl Algorithm {
    /// The name that opens the `Authorization` header and the string to sign.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::EcdsaSha256 => "AWS4-X509-ECDSA-SHA256",
            Algorithm::RsaSha256 => "AWS4-X509-RSA-SHA256",
            Algorithm::MlDsa => "AWS4-X509-MLDSA",
        }
    }
}

/// A readable name for a key or signature algorithm OID (its DER contents), for error messages;
/// the dotted OID when it is not one of the common ones.
pub(crate) fn oid_name(oid: &[u8]) -> String {
    let name = match crate::asn1::oid_dotted(oid).as_str() {
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
        // Password-based encryption schemes and ciphers (RFC 8018, RFC 7292), for the
        // encrypted-key errors.
        "1.2.840.113549.1.5.3" => "PBES1 pbeWithMD5AndDES-CBC",
        "1.2.840.113549.1.5.6" => "PBES1 pbeWithMD5AndRC2-CBC",
        "1.2.840.113549.1.5.10" => "PBES1 pbeWithSHA1AndDES-CBC",
        "1.2.840.113549.1.5.11" => "PBES1 pbeWithSHA1AndRC2-CBC",
        "1.2.840.113549.1.12.1.1" => "PKCS#12 pbeWithSHAAnd128BitRC4",
        "1.2.840.113549.1.12.1.2" => "PKCS#12 pbeWithSHAAnd40BitRC4",
        "1.2.840.113549.1.12.1.3" => "PKCS#12 pbeWithSHAAnd3-KeyTripleDES-CBC",
        "1.2.840.113549.1.12.1.4" => "PKCS#12 pbeWithSHAAnd2-KeyTripleDES-CBC",
        "1.2.840.113549.1.12.1.5" => "PKCS#12 pbeWithSHAAnd128BitRC2-CBC",
        "1.2.840.113549.1.12.1.6" => "PKCS#12 pbeWithSHAAnd40BitRC2-CBC",
        "1.2.840.113549.1.5.12" => "PBKDF2",
        "1.3.6.1.4.1.11591.4.11" => "scrypt",
        "1.2.840.113549.3.7" => "des-ede3-cbc",
        "1.3.14.3.2.7" => "des-cbc",
        "1.2.840.113549.3.2" => "rc2-cbc",
        "1.3.14.3.2.26" => "SHA-1",
        "1.2.840.113549.2.7" => "hmacWithSHA1",
        other => return other.to_string(),
    };
    name.to_string()
}

/// A readable name for an elliptic curve this library does not sign with, with its OID (given as
/// its DER contents).
pub(crate) fn curve_name(oid: &[u8]) -> String {
    let oid = crate::asn1::oid_dotted(oid);
    let name = match oid.as_str() {
        "1.3.132.0.10" => "secp256k1 ",
        "1.3.132.0.35" => "P-521 ",
        _ => "",
    };
    ["EC curve ", name, &oid].concat()
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
