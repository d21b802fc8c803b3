//! Private keys and the [`Signer`] trait that signs the string to sign.
//!
//! Keys come as PKCS#8 (`PRIVATE KEY`), SEC1 (`EC PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`),
//! in PEM or DER; password-encrypted PKCS#8 (`ENCRYPTED PRIVATE KEY`, PBES2) with
//! [`PrivateKey::parse_with_password`]. Key types: ECDSA P-256 and P-384, RSA 2048–4096, and
//! ML-DSA-44/65/87 (PKCS#8 only, in its `seed`, `expandedKey` or `both` form). A key held
//! elsewhere (WebCrypto, an HSM, a KMS) implements [`Signer`] itself, or the caller uses
//! [`crate::UnsignedRequest::finish`] with a signature made outside.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

#[cfg(any(feature = "ecdsa-p256", feature = "ecdsa-p384"))]
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::algorithm::{
    bit_length, curve_name, oid_name, Algorithm, KeyType, OID_EC_PUBLIC_KEY, OID_P256, OID_P384, OID_RSA_ENCRYPTION,
};
use crate::asn1;
use crate::certificate::Certificate;
use crate::error::{push_pieces, ErrorCode, Piece};
use crate::pem::{self, PemError, MAX_INPUT_LEN};

/// Why a private key was refused or could not sign. Never carries key bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// The input is larger than this library reads.
    TooLarge {
        /// Size of the input in bytes.
        len: usize,
    },
    /// The PEM text could not be read.
    Pem(PemError),
    /// A PEM block holds something other than a private key.
    WrongPemLabel {
        /// The label found, e.g. `CERTIFICATE`.
        found: String,
    },
    /// The input holds no key.
    Empty,
    /// The key is encrypted (`ENCRYPTED PRIVATE KEY` or `Proc-Type: 4,ENCRYPTED`) and
    /// [`PrivateKey::parse`] was given no password: use [`PrivateKey::parse_with_password`].
    Encrypted,
    /// The password does not decrypt the key (or the encrypted data is corrupt: PBES2 with
    /// AES-CBC cannot tell the two apart).
    WrongPassword,
    /// The key is encrypted with a scheme this library does not read: PBES1, PKCS#12 PBE
    /// (3DES, RC2), PBES2 with DES/3DES, or OpenSSL's legacy PEM encryption
    /// (`Proc-Type: 4,ENCRYPTED`). `openssl pkcs8 -topk8 -v2 aes-256-cbc` converts it.
    UnsupportedEncryption {
        /// Name or dotted OID of the scheme.
        scheme: String,
    },
    /// The key derivation of an encrypted key asks for more work or memory than this library
    /// spends, so that a hostile file cannot hang or exhaust the process: PBKDF2 above
    /// [`crate::MAX_PBKDF2_ITERATIONS`] iterations, scrypt above
    /// [`crate::MAX_SCRYPT_MEMORY`] bytes of memory (128·r·N) or four times that in work
    /// (128·r·N·p).
    KdfTooCostly {
        /// `PBKDF2 iterations`, `scrypt memory` or `scrypt work`.
        what: &'static str,
        /// The value the file asks for.
        value: u64,
        /// The most this library accepts.
        limit: u64,
    },
    /// Encrypted keys are not read by this build (the `encrypted-keys` cargo feature).
    EncryptionNotCompiledIn,
    /// The DER structure is not a PKCS#8, SEC1 or PKCS#1 private key.
    Malformed {
        /// The structure being read.
        what: &'static str,
    },
    /// The key algorithm or curve is not supported (e.g. Ed25519, secp256k1).
    Unsupported {
        /// Name or dotted OID of the algorithm.
        algorithm: String,
    },
    /// The key type is supported by the protocol but this build leaves it out (a cargo feature).
    NotCompiledIn {
        /// The key type.
        key_type: KeyType,
    },
    /// The private key does not belong to the certificate's public key.
    Mismatch,
    /// The signer failed to produce a signature.
    SigningFailed,
}

impl Piece for KeyError {
    fn push_to(&self, out: &mut String) {
        use KeyError::*;
        match self {
            TooLarge { len } => {
                push_pieces!(out; "private key input is ", len, " bytes, more than the ", MAX_INPUT_LEN, " allowed")
            }
            Pem(e) => push_pieces!(out; "private key: ", e),
            WrongPemLabel { found } => push_pieces!(
                out;
                "expected a PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY PEM block, found ",
                found
            ),
            Empty => out.push_str("no private key found in the input"),
            Encrypted => out.push_str("the private key is encrypted and needs a password"),
            WrongPassword => out.push_str("the password does not decrypt the private key"),
            UnsupportedEncryption { scheme } => push_pieces!(
                out;
                "the private key is encrypted with ",
                scheme,
                ", which is not supported; convert it with openssl pkcs8 -topk8 -v2 aes-256-cbc"
            ),
            KdfTooCostly { what, value, limit } => push_pieces!(
                out;
                "the encrypted private key asks for ",
                what,
                " ",
                value,
                ", more than the ",
                limit,
                " allowed"
            ),
            EncryptionNotCompiledIn => out.push_str("encrypted private keys are not enabled in this build"),
            Malformed { what } => push_pieces!(out; "malformed private key: cannot parse ", what),
            Unsupported { algorithm } => push_pieces!(
                out;
                "private key algorithm ",
                algorithm,
                " is not supported (ECDSA P-256/P-384, RSA 2048-4096 or ML-DSA)"
            ),
            NotCompiledIn { key_type } => push_pieces!(out; key_type, " keys are not enabled in this build"),
            Mismatch => out.push_str("the private key does not match the certificate's public key"),
            SigningFailed => out.push_str("signing failed"),
        }
    }
}

impl KeyError {
    /// The stable code: [`ErrorCode::EncryptedKey`] (a password is needed, or this build
    /// cannot decrypt), [`ErrorCode::WrongPassword`], [`ErrorCode::KeyMismatch`],
    /// [`ErrorCode::UnsupportedSigner`] (a key type this build has no signer for), or
    /// [`ErrorCode::InvalidKey`] (including an encryption scheme or KDF cost refused).
    pub fn code(&self) -> ErrorCode {
        match self {
            KeyError::Encrypted | KeyError::EncryptionNotCompiledIn => ErrorCode::EncryptedKey,
            KeyError::WrongPassword => ErrorCode::WrongPassword,
            KeyError::Mismatch => ErrorCode::KeyMismatch,
            KeyError::NotCompiledIn { .. } => ErrorCode::UnsupportedSigner,
            _ => ErrorCode::InvalidKey,
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for KeyError {}

/// Something that signs the `CreateSession` string to sign with the certificate's private key.
///
/// The message is the string to sign itself; the signer returns the signature bytes as AWS
/// expects them: for ECDSA a DER `Ecdsa-Sig-Value` over its SHA-256, for RSA the PKCS#1 v1.5
/// block over its SHA-256, for ML-DSA the pure ML-DSA signature of the message itself (empty
/// context; [`crate::KeyType::signature_len`] bytes).
pub trait Signer {
    /// The algorithm this signer's signatures are made with.
    fn algorithm(&self) -> Algorithm;
    /// Signs `message` with the [`Signer::algorithm`]'s scheme.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError>;
    /// Checks that this signer holds the private half of `certificate`'s key, where it can
    /// tell; a signer that cannot (a key in a HSM) keeps this default, which accepts.
    fn check_certificate(&self, certificate: &Certificate) -> Result<(), KeyError> {
        let _ = certificate;
        Ok(())
    }
}

/// A private key held in this process. Key material is zeroized when dropped.
pub struct PrivateKey {
    inner: Inner,
}

enum Inner {
    #[cfg(feature = "ecdsa-p256")]
    P256(p256::ecdsa::SigningKey),
    #[cfg(feature = "ecdsa-p384")]
    P384(p384::ecdsa::SigningKey),
    #[cfg(feature = "rsa")]
    Rsa(rsa::pkcs1v15::SigningKey<Sha256Rsa>),
    #[cfg(feature = "ml-dsa")]
    MlDsa(crate::mldsa::MlDsaKey),
    /// With no signing feature there is no key to hold; this keeps `match` exhaustive.
    #[cfg(not(any(feature = "ecdsa-p256", feature = "ecdsa-p384", feature = "rsa", feature = "ml-dsa")))]
    #[allow(dead_code)]
    None(core::convert::Infallible),
}

#[cfg(feature = "rsa")]
type Sha256Rsa = sha2::Sha256;

/// Prints the key type only, never key material.
impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey").field("key_type", &self.key_type()).finish_non_exhaustive()
    }
}

/// The three DER encodings of a private key that this library reads.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Format {
    Pkcs8,
    Sec1,
    Pkcs1,
}

impl PrivateKey {
    /// Parses a private key from PEM (`PRIVATE KEY`, `EC PRIVATE KEY`, `RSA PRIVATE KEY`; an
    /// `EC PARAMETERS` block before it is skipped) or DER (PKCS#8, SEC1 or PKCS#1, detected).
    /// An encrypted key gives [`KeyError::Encrypted`] ([`ErrorCode::EncryptedKey`]).
    pub fn parse(input: &[u8]) -> Result<Self, KeyError> {
        Self::parse_inner(input, None)
    }

    /// Parses a private key as [`PrivateKey::parse`] does, decrypting an `ENCRYPTED PRIVATE KEY`
    /// (PEM, or DER `EncryptedPrivateKeyInfo`) with `password`, the password's bytes as typed
    /// (UTF-8, as OpenSSL uses them). A key that is not encrypted is read as it is, whatever the
    /// password.
    ///
    /// PBES2 (RFC 8018) only, as `openssl pkcs8 -topk8 -v2 …` and AWS Certificate Manager's
    /// export write it: PBKDF2 with HMAC-SHA-1/224/256/384/512 or scrypt, then AES-128/192/256
    /// in CBC or GCM mode. Errors: [`KeyError::WrongPassword`];
    /// [`KeyError::UnsupportedEncryption`] for PBES1, PKCS#12 PBE, DES/3DES and OpenSSL's legacy
    /// `Proc-Type: 4,ENCRYPTED` PEM; [`KeyError::KdfTooCostly`] for a key derivation above
    /// [`crate::MAX_PBKDF2_ITERATIONS`] / [`crate::MAX_SCRYPT_MEMORY`];
    /// [`KeyError::EncryptionNotCompiledIn`] without the `encrypted-keys` feature. The password
    /// is never kept, and the decrypted key's DER is zeroized.
    pub fn parse_with_password(input: &[u8], password: &[u8]) -> Result<Self, KeyError> {
        Self::parse_inner(input, Some(password))
    }

    fn parse_inner(input: &[u8], password: Option<&[u8]>) -> Result<Self, KeyError> {
        with_key_der(input, |der, found| match found {
            Found::Plain(format) => Self::from_der(der, Some(format)),
            Found::Encrypted => Self::from_encrypted_der(der, password),
            Found::LegacyEncrypted => Err(match password {
                None => KeyError::Encrypted,
                Some(_) => KeyError::UnsupportedEncryption {
                    scheme: "OpenSSL's legacy PEM encryption (Proc-Type: 4,ENCRYPTED)".into(),
                },
            }),
        })
    }

    /// A DER `EncryptedPrivateKeyInfo`: decrypted with the password, then read as PKCS#8.
    pub(crate) fn from_encrypted_der(der: &[u8], password: Option<&[u8]>) -> Result<Self, KeyError> {
        let Some(password) = password else { return Err(KeyError::Encrypted) };
        let plain = decrypted_pkcs8_der(der, password)?;
        Self::from_der(&plain, Some(Format::Pkcs8))
    }

    /// A DER PKCS#8 `PrivateKeyInfo` (the contents of a PKCS#12 `keyBag`).
    #[cfg(feature = "pkcs12")]
    pub(crate) fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        Self::from_der(der, Some(Format::Pkcs8))
    }

    fn from_der(der: &[u8], format: Option<Format>) -> Result<Self, KeyError> {
        let format = match format {
            Some(f) => f,
            None => detect_format(der)?,
        };
        match format {
            Format::Pkcs8 => {
                let info = read_pkcs8(der).map_err(|_| KeyError::Malformed { what: "PKCS#8" })?;
                let inner = info.private_key;
                let oid = info.oid;
                if let Some(key_type) = KeyType::ml_dsa_from_oid(oid) {
                    // "The parameters field of the AlgorithmIdentifier … MUST be absent" (RFC 9881).
                    if info.parameters.is_some() {
                        return Err(KeyError::Malformed { what: "PKCS#8 ML-DSA parameters (must be absent)" });
                    }
                    #[cfg(feature = "ml-dsa")]
                    return crate::mldsa::MlDsaKey::from_pkcs8(key_type, inner)
                        .map(|k| PrivateKey { inner: Inner::MlDsa(k) });
                    #[cfg(not(feature = "ml-dsa"))]
                    return Err(KeyError::NotCompiledIn { key_type });
                }
                if oid == OID_EC_PUBLIC_KEY.as_bytes() {
                    Self::from_sec1(inner, Some(info.ec_curve()?))
                } else if oid == OID_RSA_ENCRYPTION.as_bytes() {
                    Self::from_pkcs1(inner)
                } else {
                    Err(KeyError::Unsupported { algorithm: oid_name(oid) })
                }
            }
            Format::Sec1 => Self::from_sec1(der, None),
            Format::Pkcs1 => Self::from_pkcs1(der),
        }
    }

    /// SEC1 `ECPrivateKey` (RFC 5915); the curve comes from PKCS#8 or from its own parameters.
    fn from_sec1(der: &[u8], outer_curve: Option<&[u8]>) -> Result<Self, KeyError> {
        let key = read_sec1(der).map_err(|_| KeyError::Malformed { what: "SEC1 EC private key" })?;
        match key.curve(outer_curve)? {
            c if c == OID_P256.as_bytes() => {
                #[cfg(feature = "ecdsa-p256")]
                return p256::ecdsa::SigningKey::from_slice(key.private_key)
                    .map(|k| PrivateKey { inner: Inner::P256(k) })
                    .map_err(|_| KeyError::Malformed { what: "P-256 private scalar" });
                #[cfg(not(feature = "ecdsa-p256"))]
                return Err(KeyError::NotCompiledIn { key_type: KeyType::EcdsaP256 });
            }
            c if c == OID_P384.as_bytes() => {
                #[cfg(feature = "ecdsa-p384")]
                return p384::ecdsa::SigningKey::from_slice(key.private_key)
                    .map(|k| PrivateKey { inner: Inner::P384(k) })
                    .map_err(|_| KeyError::Malformed { what: "P-384 private scalar" });
                #[cfg(not(feature = "ecdsa-p384"))]
                return Err(KeyError::NotCompiledIn { key_type: KeyType::EcdsaP384 });
            }
            other => Err(KeyError::Unsupported { algorithm: curve_name(other) }),
        }
    }

    /// PKCS#1 `RSAPrivateKey` (RFC 8017 A.1.2), 2048 to 4096 bits.
    fn from_pkcs1(der: &[u8]) -> Result<Self, KeyError> {
        let (modulus, _) =
            read_pkcs1_public(der).map_err(|_| KeyError::Malformed { what: "PKCS#1 RSA private key" })?;
        let bits = bit_length(modulus);
        if !(2048..=4096).contains(&bits) {
            return Err(KeyError::Unsupported { algorithm: crate::error::text(&KeyType::Rsa { bits }) });
        }
        #[cfg(feature = "rsa")]
        {
            use rsa::pkcs1::DecodeRsaPrivateKey;
            let key = rsa::PrivateKey::from_pkcs1_der(der)
                .map_err(|_| KeyError::Malformed { what: "PKCS#1 RSA private key" })?;
            Ok(PrivateKey { inner: Inner::Rsa(rsa::pkcs1v15::SigningKey::new(key)) })
        }
        #[cfg(not(feature = "rsa"))]
        Err(KeyError::NotCompiledIn { key_type: KeyType::Rsa { bits } })
    }

    /// The key's type.
    pub fn key_type(&self) -> KeyType {
        match &self.inner {
            #[cfg(not(any(feature = "ecdsa-p256", feature = "ecdsa-p384", feature = "rsa", feature = "ml-dsa")))]
            Inner::None(never) => match *never {},
            #[cfg(feature = "ecdsa-p256")]
            Inner::P256(_) => KeyType::EcdsaP256,
            #[cfg(feature = "ecdsa-p384")]
            Inner::P384(_) => KeyType::EcdsaP384,
            #[cfg(feature = "rsa")]
            Inner::Rsa(k) => {
                use rsa::traits::PublicKeyParts;
                KeyType::Rsa { bits: bit_length(&k.as_ref().n_bytes()) }
            }
            #[cfg(feature = "ml-dsa")]
            Inner::MlDsa(k) => k.key_type(),
        }
    }

    /// Checks that this key is the private half of `certificate`'s public key, so that a wrong
    /// pairing fails here with a clear error rather than at AWS as "Invalid signature".
    pub fn check_matches(&self, certificate: &Certificate) -> Result<(), KeyError> {
        let matches = match (&self.inner, certificate.public_key()) {
            #[cfg(feature = "ecdsa-p256")]
            (Inner::P256(k), crate::certificate::PublicKey::Ec { key_type: KeyType::EcdsaP256, point }) => {
                p256::PublicKey::from_sec1_bytes(point).is_ok_and(|p| p == p256::PublicKey::from(k.verifying_key()))
            }
            #[cfg(feature = "ecdsa-p384")]
            (Inner::P384(k), crate::certificate::PublicKey::Ec { key_type: KeyType::EcdsaP384, point }) => {
                p384::PublicKey::from_sec1_bytes(point).is_ok_and(|p| p == p384::PublicKey::from(k.verifying_key()))
            }
            #[cfg(feature = "rsa")]
            (Inner::Rsa(k), crate::certificate::PublicKey::Rsa { modulus, exponent }) => {
                use rsa::traits::PublicKeyParts;
                let key = k.as_ref();
                *key.n_bytes() == modulus[..] && *key.e_bytes() == exponent[..]
            }
            #[cfg(feature = "ml-dsa")]
            (Inner::MlDsa(k), crate::certificate::PublicKey::MlDsa { key_type, key }) => {
                *key_type == k.key_type() && k.public_key() == &key[..]
            }
            _ => false,
        };
        if matches {
            Ok(())
        } else {
            Err(KeyError::Mismatch)
        }
    }
}

impl Signer for PrivateKey {
    fn algorithm(&self) -> Algorithm {
        self.key_type().algorithm()
    }

    fn check_certificate(&self, certificate: &Certificate) -> Result<(), KeyError> {
        self.check_matches(certificate)
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        #[cfg(any(feature = "ecdsa-p256", feature = "ecdsa-p384"))]
        use signature::hazmat::PrehashSigner;
        match &self.inner {
            #[cfg(not(any(feature = "ecdsa-p256", feature = "ecdsa-p384", feature = "rsa", feature = "ml-dsa")))]
            Inner::None(never) => match (*never, message) {},
            // ECDSA over SHA-256 on every curve ([S], Task 3; [Go] signs a SHA-256 digest with
            // ecdsa.SignASN1 for P-384 too); nonces from RFC 6979, so signatures are deterministic.
            #[cfg(feature = "ecdsa-p256")]
            Inner::P256(k) => {
                let signature: p256::ecdsa::Signature =
                    k.sign_prehash(&Sha256::digest(message)).map_err(|_| KeyError::SigningFailed)?;
                let (r, s) = signature.split_bytes();
                Ok(asn1::ecdsa_signature(&r, &s))
            }
            #[cfg(feature = "ecdsa-p384")]
            Inner::P384(k) => {
                let signature: p384::ecdsa::Signature =
                    k.sign_prehash(&Sha256::digest(message)).map_err(|_| KeyError::SigningFailed)?;
                let (r, s) = signature.split_bytes();
                Ok(asn1::ecdsa_signature(&r, &s))
            }
            #[cfg(feature = "rsa")]
            Inner::Rsa(k) => {
                use signature::{SignatureEncoding, Signer as _};
                let signature = k.try_sign(message).map_err(|_| KeyError::SigningFailed)?;
                Ok(signature.to_vec())
            }
            // Pure ML-DSA of the string to sign, empty context, deterministic ([S] Task 3; [Go]
            // `mldsa_utils.go`).
            #[cfg(feature = "ml-dsa")]
            Inner::MlDsa(k) => k.sign(message),
        }
    }
}

/// Tells PKCS#8, SEC1 and PKCS#1 apart by their first fields, and spots encrypted PKCS#8.
///
/// PKCS#8: `SEQUENCE { INTEGER 0|1, SEQUENCE algorithm, OCTET STRING }`;
/// encrypted PKCS#8: `SEQUENCE { SEQUENCE algorithm, OCTET STRING }`;
/// SEC1: `SEQUENCE { INTEGER 1, OCTET STRING, … }`; PKCS#1: `SEQUENCE { INTEGER 0, INTEGER n, … }`.
/// The PKCS#8 `PrivateKeyInfo` DER inside an encrypted key (an `ENCRYPTED PRIVATE KEY` PEM block,
/// or DER `EncryptedPrivateKeyInfo`), decrypted with `password` as
/// [`PrivateKey::parse_with_password`] decrypts it, and zeroized on drop; `None` for a key that
/// is not encrypted. For hosts that import PKCS#8 into a signer of their own (the JS package's
/// WebCrypto path); the same errors as [`PrivateKey::parse_with_password`].
pub fn decrypt_pkcs8(input: &[u8], password: &[u8]) -> Result<Option<Zeroizing<Vec<u8>>>, KeyError> {
    if input.len() > MAX_INPUT_LEN {
        return Err(KeyError::TooLarge { len: input.len() });
    }
    if !pem::is_pem(input) {
        return match detect_format(input) {
            Err(KeyError::Encrypted) => decrypted_pkcs8_der(input, password).map(Some),
            _ => Ok(None),
        };
    }
    let blocks = pem::decode_blocks(input).map_err(KeyError::Pem)?;
    for block in &blocks {
        if block.label == "ENCRYPTED PRIVATE KEY" {
            return decrypted_pkcs8_der(&block.der, password).map(Some);
        }
        if block.encrypted {
            let scheme = "OpenSSL's legacy PEM encryption (Proc-Type: 4,ENCRYPTED)".into();
            return Err(KeyError::UnsupportedEncryption { scheme });
        }
    }
    Ok(None)
}

/// What a private key's own encoding tells about the certificate it is used with
/// ([`check_encoded_key`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodedKeyCheck {
    /// The public key that the encoding carries is the certificate's.
    Matches,
    /// The encoding carries no public key to compare (an EC key written without its optional
    /// `publicKey`, as `openssl ec -no_public` writes it; an ML-DSA key as a seed or expanded
    /// key), or an EC point in a form not compared here (hybrid): only a signature made with the
    /// key and verified with the certificate's key tells.
    Unknown,
}

/// Checks from the bytes of a private key alone, with no key arithmetic (so in every build,
/// also one without signers), whether it is the private half of `certificate`'s public key:
/// the public key that the key's encoding carries beside the secret, compared with the
/// certificate's `SubjectPublicKeyInfo`.
///
/// `input` is an unencrypted key as [`PrivateKey::parse`] reads it (PEM or DER). What is
/// compared: for ECDSA, the curve, and the point of SEC1's `publicKey` (RFC 5915 3) or of
/// PKCS#8 v2's `publicKey` (RFC 5958 2), every one present; for RSA, the modulus and public
/// exponent of PKCS#1 (RFC 8017 A.1.2); for ML-DSA, the set, and PKCS#8 v2's `publicKey`. A
/// public key in the encoding is taken as the key's own, as OpenSSL takes it; a key whose
/// `publicKey` was written for another secret (a forged file, not a wrong pairing) passes here
/// and fails at AWS as an invalid signature.
///
/// Errors: [`KeyError::Mismatch`] when the key is of another type or curve than the
/// certificate's, or carries another public key; [`KeyError::Encrypted`] for an encrypted key;
/// otherwise the errors of [`PrivateKey::parse`] for input it cannot read (with the same size
/// limit), without its checks of the key's values (RSA size, a scalar in range).
pub fn check_encoded_key(input: &[u8], certificate: &Certificate) -> Result<EncodedKeyCheck, KeyError> {
    use crate::certificate::PublicKey;
    with_key_der(input, |der, found| {
        let Found::Plain(format) = found else { return Err(KeyError::Encrypted) };
        let same = match (EncodedPublicKey::read(der, format)?, certificate.public_key()) {
            (EncodedPublicKey::Ec { curve, points }, PublicKey::Ec { key_type, point }) => {
                let len = match key_type {
                    KeyType::EcdsaP256 if curve == OID_P256.as_bytes() => 32,
                    KeyType::EcdsaP384 if curve == OID_P384.as_bytes() => 48,
                    _ => return Err(KeyError::Mismatch),
                };
                let mut same = None;
                for own in points.into_iter().flatten() {
                    match same_point(own, point, len) {
                        Some(true) => same = Some(true),
                        Some(false) => return Err(KeyError::Mismatch),
                        None => return Ok(EncodedKeyCheck::Unknown),
                    }
                }
                same
            }
            (EncodedPublicKey::Rsa { modulus, exponent }, PublicKey::Rsa { modulus: n, exponent: e }) => {
                Some(modulus == &n[..] && exponent == &e[..])
            }
            (EncodedPublicKey::MlDsa { key_type, public_key }, PublicKey::MlDsa { key_type: t, key }) => {
                if key_type != *t {
                    return Err(KeyError::Mismatch);
                }
                public_key.map(|own| own == &key[..])
            }
            _ => Some(false),
        };
        match same {
            Some(true) => Ok(EncodedKeyCheck::Matches),
            Some(false) => Err(KeyError::Mismatch),
            None => Ok(EncodedKeyCheck::Unknown),
        }
    })
}

/// The public half that a private key's encoding carries ([`check_encoded_key`]).
enum EncodedPublicKey<'a> {
    /// An EC key: the contents of its curve's OID, and the SEC1 points of SEC1's and PKCS#8's
    /// `publicKey`, where present.
    Ec { curve: &'a [u8], points: [Option<&'a [u8]>; 2] },
    /// An RSA key's modulus and public exponent, without leading zeros.
    Rsa { modulus: &'a [u8], exponent: &'a [u8] },
    /// An ML-DSA key's set, and PKCS#8's `publicKey` where present.
    MlDsa { key_type: KeyType, public_key: Option<&'a [u8]> },
}

impl<'a> EncodedPublicKey<'a> {
    fn read(der: &'a [u8], format: Format) -> Result<Self, KeyError> {
        let sec1 = |der, outer, outer_point| {
            let key = read_sec1(der).map_err(|_| KeyError::Malformed { what: "SEC1 EC private key" })?;
            Ok(EncodedPublicKey::Ec { curve: key.curve(outer)?, points: [key.public_key, outer_point] })
        };
        let pkcs1 = |der| {
            let (modulus, exponent) =
                read_pkcs1_public(der).map_err(|_| KeyError::Malformed { what: "PKCS#1 RSA private key" })?;
            Ok(EncodedPublicKey::Rsa { modulus, exponent })
        };
        match format {
            Format::Sec1 => sec1(der, None, None),
            Format::Pkcs1 => pkcs1(der),
            Format::Pkcs8 => {
                let info = read_pkcs8(der).map_err(|_| KeyError::Malformed { what: "PKCS#8" })?;
                if let Some(key_type) = KeyType::ml_dsa_from_oid(info.oid) {
                    Ok(EncodedPublicKey::MlDsa { key_type, public_key: info.public_key })
                } else if info.oid == OID_EC_PUBLIC_KEY.as_bytes() {
                    sec1(info.private_key, Some(info.ec_curve()?), info.public_key)
                } else if info.oid == OID_RSA_ENCRYPTION.as_bytes() {
                    pkcs1(info.private_key)
                } else {
                    Err(KeyError::Unsupported { algorithm: oid_name(info.oid) })
                }
            }
        }
    }
}

/// Whether two SEC1 encoded points on a curve of `len`-byte coordinates are the same point
/// (SEC 1 v2, 2.3.3): `04‖x‖y` uncompressed, or `02‖x` / `03‖x` compressed, whose prefix is 2
/// plus the parity of y, which with x fixes the point. `None` for any other form (hybrid
/// `06`/`07`, a wrong length).
fn same_point(a: &[u8], b: &[u8], len: usize) -> Option<bool> {
    /// x, and the parity of y.
    fn x_and_parity(point: &[u8], len: usize) -> Option<(&[u8], u8)> {
        match point {
            [4, xy @ ..] if xy.len() == 2 * len => Some((&xy[..len], xy.last()? & 1)),
            [prefix @ (2 | 3), x @ ..] if x.len() == len => Some((x, prefix & 1)),
            _ => None,
        }
    }
    let (ax, a_parity) = x_and_parity(a, len)?;
    let (bx, b_parity) = x_and_parity(b, len)?;
    // Both uncompressed: y byte for byte.
    let same_y = if a[0] == 4 && b[0] == 4 { a[1 + len..] == b[1 + len..] } else { a_parity == b_parity };
    Some(ax == bx && same_y)
}

/// A DER `EncryptedPrivateKeyInfo` (or a PKCS#12 `pkcs8ShroudedKeyBag`) decrypted with
/// `password`: the `PrivateKeyInfo` DER.
pub(crate) fn decrypted_pkcs8_der(der: &[u8], password: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    #[cfg(feature = "encrypted-keys")]
    {
        let plain = crate::encrypted::decrypt_pkcs8(der, password)?;
        // CBC has no integrity check: a wrong password that happens to leave valid padding
        // gives bytes that are not a PrivateKeyInfo.
        read_pkcs8(&plain).map_err(|_| KeyError::WrongPassword)?;
        Ok(plain)
    }
    #[cfg(not(feature = "encrypted-keys"))]
    {
        let _ = (der, password);
        Err(KeyError::EncryptionNotCompiledIn)
    }
}

/// The fields of a PKCS#8 key that this library reads.
struct Pkcs8<'a> {
    /// The contents of the algorithm OID.
    oid: &'a [u8],
    /// The algorithm's parameters, when present.
    parameters: Option<asn1::Tlv<'a>>,
    /// The contents of `privateKey`: the algorithm's own private-key encoding.
    private_key: &'a [u8],
    /// The octets of `publicKey` (v2), when present with no unused bits.
    public_key: Option<&'a [u8]>,
}

impl<'a> Pkcs8<'a> {
    /// The contents of the named curve's OID, an EC key's parameters (RFC 5480 2.1.1).
    fn ec_curve(&self) -> Result<&'a [u8], KeyError> {
        self.parameters
            .filter(|p| p.tag == asn1::OID)
            .and_then(|p| asn1::oid(p.value).ok())
            .ok_or(KeyError::Malformed { what: "PKCS#8 EC parameters" })
    }
}

/// `OneAsymmetricKey ::= SEQUENCE { version INTEGER { v1(0), v2(1) }, privateKeyAlgorithm
/// AlgorithmIdentifier, privateKey OCTET STRING, attributes [0] IMPLICIT Attributes OPTIONAL,
/// ..., [[2: publicKey [1] IMPLICIT BIT STRING OPTIONAL ]], ... }` (RFC 5958 2): the public key
/// present exactly in v2, later context-specific fields skipped.
fn read_pkcs8(der: &[u8]) -> asn1::Result<Pkcs8<'_>> {
    use asn1::{context, Invalid};
    asn1::nested(der, |r| {
        r.sequence(|s| {
            let v2 = match s.expect(asn1::INTEGER)? {
                [0] => false,
                [1] => true,
                _ => return Err(Invalid),
            };
            let (oid, parameters) = s.sequence(|alg| {
                let oid = alg.oid()?;
                let parameters = if alg.is_empty() { None } else { Some(alg.any()?) };
                Ok((oid, parameters))
            })?;
            let private_key = s.expect(asn1::OCTET_STRING)?;
            // [0] and [1] (either form) must have the form of their type: a SET, a BIT STRING.
            if s.peek_tag().map(|t| t & !0x20) == Some(context(0, false)) {
                s.expect(context(0, true))?;
            }
            let mut public_key = None;
            if s.peek_tag().map(|t| t & !0x20) == Some(context(1, false)) {
                public_key = Some(asn1::bit_string(s.expect(context(1, false))?)?);
            }
            if v2 != public_key.is_some() {
                return Err(Invalid);
            }
            while !s.is_empty() {
                if s.any()?.tag & 0xc0 != 0x80 {
                    return Err(Invalid);
                }
            }
            let public_key = public_key.and_then(|(unused, key)| (unused == 0).then_some(key));
            Ok(Pkcs8 { oid, parameters, private_key, public_key })
        })
    })
}

/// The fields of a SEC1 key that this library reads.
struct Sec1<'a> {
    /// The private scalar, big-endian.
    private_key: &'a [u8],
    /// The contents of the named curve's OID, when the key names it.
    curve: Option<&'a [u8]>,
    /// The SEC1 encoded public point, when the key carries it.
    public_key: Option<&'a [u8]>,
}

impl<'a> Sec1<'a> {
    /// The contents of the curve's OID: named by PKCS#8 (`outer`) or by the key itself, which
    /// must agree; named nowhere, the scalar's length tells it.
    fn curve(&self, outer: Option<&'a [u8]>) -> Result<&'a [u8], KeyError> {
        match (outer, self.curve) {
            (Some(a), Some(b)) if a != b => Err(KeyError::Malformed { what: "EC curve parameters" }),
            (Some(c), _) | (None, Some(c)) => Ok(c),
            (None, None) => match self.private_key.len() {
                32 => Ok(OID_P256.as_bytes()),
                48 => Ok(OID_P384.as_bytes()),
                _ => Err(KeyError::Malformed { what: "EC curve parameters" }),
            },
        }
    }
}

/// `ECPrivateKey ::= SEQUENCE { version INTEGER { ecPrivkeyVer1(1) }, privateKey OCTET STRING,
/// parameters [0] EXPLICIT ECParameters OPTIONAL, publicKey [1] EXPLICIT BIT STRING OPTIONAL }`
/// (RFC 5915 3), with `ECParameters` a named curve (RFC 5480 2.1.1: "MUST be namedCurve").
fn read_sec1(der: &[u8]) -> asn1::Result<Sec1<'_>> {
    use asn1::{context, Invalid};
    asn1::nested(der, |r| {
        r.sequence(|s| {
            if s.expect(asn1::INTEGER)? != [1] {
                return Err(Invalid);
            }
            let private_key = s.expect(asn1::OCTET_STRING)?;
            let mut curve = None;
            if s.peek_tag().map(|t| t & !0x20) == Some(context(0, false)) {
                curve = Some(asn1::nested(s.expect(context(0, true))?, |p| p.oid())?);
            }
            let mut public_key = None;
            if s.peek_tag().map(|t| t & !0x20) == Some(context(1, false)) {
                let (unused, point) = asn1::nested(s.expect(context(1, true))?, |p| p.bit_string())?;
                if unused != 0 {
                    return Err(Invalid);
                }
                public_key = Some(point);
            }
            Ok(Sec1 { private_key, curve, public_key })
        })
    })
}

/// The modulus and public exponent of `RSAPrivateKey ::= SEQUENCE { version INTEGER {
/// two-prime(0) }, modulus, publicExponent, privateExponent, prime1, prime2, exponent1,
/// exponent2, coefficient }` (RFC 8017 A.1.2; all non-negative INTEGERs), each without leading
/// zeros. Multi-prime keys (version 1) are refused.
fn read_pkcs1_public(der: &[u8]) -> asn1::Result<(&[u8], &[u8])> {
    asn1::nested(der, |r| {
        r.sequence(|s| {
            if s.expect(asn1::INTEGER)? != [0] {
                return Err(asn1::Invalid);
            }
            let modulus = s.unsigned()?;
            let exponent = s.unsigned()?;
            for _ in 0..6 {
                s.unsigned()?;
            }
            Ok((modulus, exponent))
        })
    })
}

/// How the one private key of an input is encoded ([`with_key_der`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Found {
    /// Not encrypted: PKCS#8, SEC1 or PKCS#1.
    Plain(Format),
    /// `EncryptedPrivateKeyInfo` (an `ENCRYPTED PRIVATE KEY` PEM block or its DER).
    Encrypted,
    /// A PEM block with OpenSSL's legacy `Proc-Type: 4,ENCRYPTED` header.
    LegacyEncrypted,
}

/// Calls `f` with the DER of the one private key in `input` (PEM, where an `EC PARAMETERS`
/// block is skipped, or DER) and how it is encoded. Errors: [`KeyError::TooLarge`] above
/// [`MAX_INPUT_LEN`], [`KeyError::Empty`], [`KeyError::WrongPemLabel`], a second key
/// ([`KeyError::Malformed`]), PEM or DER that cannot be read.
fn with_key_der<T>(input: &[u8], f: impl FnOnce(&[u8], Found) -> Result<T, KeyError>) -> Result<T, KeyError> {
    if input.len() > MAX_INPUT_LEN {
        return Err(KeyError::TooLarge { len: input.len() });
    }
    if !pem::is_pem(input) {
        if input.iter().all(u8::is_ascii_whitespace) {
            return Err(KeyError::Empty);
        }
        return match detect_format(input) {
            Err(KeyError::Encrypted) => f(input, Found::Encrypted),
            Ok(format) => f(input, Found::Plain(format)),
            Err(e) => Err(e),
        };
    }
    let blocks = pem::decode_blocks(input).map_err(KeyError::Pem)?;
    let mut key = None;
    for block in &blocks {
        let found = match block.label.as_str() {
            "EC PARAMETERS" => continue,
            "ENCRYPTED PRIVATE KEY" => Found::Encrypted,
            _ if block.encrypted => return f(&block.der, Found::LegacyEncrypted),
            "PRIVATE KEY" => Found::Plain(Format::Pkcs8),
            "EC PRIVATE KEY" => Found::Plain(Format::Sec1),
            "RSA PRIVATE KEY" => Found::Plain(Format::Pkcs1),
            other => return Err(KeyError::WrongPemLabel { found: other.into() }),
        };
        if key.is_some() {
            return Err(KeyError::Malformed { what: "input (more than one private key)" });
        }
        key = Some((&block.der[..], found));
    }
    let (der, found) = key.ok_or(KeyError::Empty)?;
    f(der, found)
}

fn detect_format(der: &[u8]) -> Result<Format, KeyError> {
    use crate::asn1::{Invalid, Reader, INTEGER, OCTET_STRING, SEQUENCE};
    let malformed = || KeyError::Malformed { what: "private key DER" };
    let (first, second) = Reader::new(der)
        .sequence(|s| {
            let first = s.any()?.tag;
            let second = s.peek_tag().ok_or(Invalid)?;
            s.skip_rest()?;
            Ok((first, second))
        })
        .map_err(|_| malformed())?;
    match (first, second) {
        (SEQUENCE, OCTET_STRING) => Err(KeyError::Encrypted),
        (INTEGER, SEQUENCE) => Ok(Format::Pkcs8),
        (INTEGER, OCTET_STRING) => Ok(Format::Sec1),
        (INTEGER, INTEGER) => Ok(Format::Pkcs1),
        _ => Err(malformed()),
    }
}

#[cfg(test)]
mod tests {
    use super::same_point;

    /// A point on a toy curve of 2-byte coordinates: x = 0x0102, y = 0x0304 (y even) or its
    /// negation's stand-in 0x0305 (odd).
    const EVEN: [u8; 5] = [4, 1, 2, 3, 4];
    const ODD: [u8; 5] = [4, 1, 2, 3, 5];

    #[test]
    fn uncompressed_and_compressed_points_compare_by_x_and_the_parity_of_y() {
        assert_eq!(same_point(&EVEN, &EVEN, 2), Some(true));
        assert_eq!(same_point(&EVEN, &ODD, 2), Some(false));
        assert_eq!(same_point(&EVEN, &[2, 1, 2], 2), Some(true));
        assert_eq!(same_point(&[3, 1, 2], &ODD, 2), Some(true));
        assert_eq!(same_point(&[3, 1, 2], &EVEN, 2), Some(false));
        assert_eq!(same_point(&[2, 1, 2], &[2, 1, 2], 2), Some(true));
        assert_eq!(same_point(&[2, 1, 2], &[2, 1, 3], 2), Some(false));
        assert_eq!(same_point(&[2, 9, 2], &EVEN, 2), Some(false));
    }

    #[test]
    fn other_forms_and_lengths_are_not_compared() {
        // Hybrid (06/07), the point at infinity, wrong lengths, nothing.
        for other in [&[6, 1, 2, 3, 4][..], &[7, 1, 2, 3, 5], &[0], &[4, 1, 2, 3], &[2, 1], &[2, 1, 2, 3], &[]] {
            assert_eq!(same_point(other, &EVEN, 2), None, "{other:?}");
            assert_eq!(same_point(&EVEN, other, 2), None, "{other:?}");
        }
    }
}
