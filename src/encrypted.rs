//! Password-based decryption (PBES2, RFC 8018) of PKCS#8 `EncryptedPrivateKeyInfo` and of
//! PKCS#12 encrypted contents, with the key derivation's cost bounded for hostile input.
//!
//! The cipher and KDF code is RustCrypto's `pkcs5` (PBKDF2 with HMAC-SHA-1/224/256/384/512 or
//! scrypt; AES-128/192/256-CBC or AES-128/256-GCM). PBKDF2-HMAC-SHA1 is the KDF of keys exported
//! from AWS Certificate Manager; SHA-1 is used there only as the PRF of the key derivation.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use der::asn1::{ObjectIdentifier, OctetStringRef};
use der::{Decode, Reader, SliceReader};
use pkcs5::pbes2::{self, Kdf};
use zeroize::Zeroizing;

use crate::algorithm::oid_name;
use crate::key::KeyError;

/// Most PBKDF2 iterations an encrypted key or PKCS#12 file may ask for (and a PKCS#12 MAC's key
/// derivation): above what tools write (OpenSSL 2048, Java's keytool 10 000) and what OWASP's
/// password storage advice asks for (600 000 for HMAC-SHA-256, 1 300 000 for HMAC-SHA-1), far
/// below what a hostile file may claim (up to 2^32 − 1).
pub const MAX_PBKDF2_ITERATIONS: u32 = 2_000_000;

/// Most memory (128·r·N bytes) scrypt may ask for: 64 MiB, four times OpenSSL's `-scrypt`
/// default (N = 16384, r = 8). The work, 128·r·N·p, is bounded at four times this.
pub const MAX_SCRYPT_MEMORY: u64 = 64 * 1024 * 1024;

/// `id-PBES2` (RFC 8018).
const OID_PBES2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.13");

/// Decrypts a DER `EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm
/// AlgorithmIdentifier, encryptedData OCTET STRING }` (RFC 5958): the DER of the
/// `PrivateKeyInfo` inside, zeroized on drop.
pub(crate) fn decrypt_pkcs8(der: &[u8], password: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let malformed = |_| KeyError::Malformed { what: "PKCS#8 EncryptedPrivateKeyInfo" };
    let mut reader = SliceReader::new(der).map_err(malformed)?;
    let (algorithm, data) = reader
        .sequence(|s| {
            let algorithm = pkcs8::spki::AlgorithmIdentifierRef::decode(s)?;
            let data = <&OctetStringRef>::decode(s)?;
            Ok::<_, der::Error>((algorithm, data.as_bytes()))
        })
        .map_err(malformed)?;
    reader.finish().map_err(malformed)?;
    decrypt(&algorithm, data, password)
}

/// Decrypts `ciphertext` encrypted with the PBES2 `algorithm` under `password` (its bytes as
/// given). Refuses other schemes and key derivations costlier than the limits above.
pub(crate) fn decrypt(
    algorithm: &pkcs8::spki::AlgorithmIdentifierRef<'_>,
    ciphertext: &[u8],
    password: &[u8],
) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    if algorithm.oid != OID_PBES2 {
        return Err(KeyError::UnsupportedEncryption { scheme: scheme_name(&algorithm.oid) });
    }
    let parameters = algorithm
        .parameters
        .ok_or(KeyError::Malformed { what: "PBES2 parameters" })
        .and_then(|p| pbes2::Parameters::try_from(p).map_err(|_| unsupported_pbes2(p)))?;
    check_cost(&parameters.kdf)?;
    let mut buffer = Zeroizing::new(ciphertext.to_vec());
    let len = match parameters.decrypt_in_place(password, &mut buffer) {
        Ok(plain) => plain.len(),
        // Bad padding (CBC) or a failed tag (GCM): the password is wrong, or the data corrupt.
        Err(pkcs5::Error::DecryptFailed) => return Err(KeyError::WrongPassword),
        Err(_) => return Err(KeyError::Malformed { what: "PBES2 parameters" }),
    };
    buffer.truncate(len);
    Ok(buffer)
}

/// Refuses a key derivation above [`MAX_PBKDF2_ITERATIONS`] or [`MAX_SCRYPT_MEMORY`].
fn check_cost(kdf: &Kdf) -> Result<(), KeyError> {
    match kdf {
        Kdf::Pbkdf2(p) => check_iterations(u64::from(p.iteration_count)),
        Kdf::Scrypt(p) => {
            let memory = 128 * u128::from(p.block_size) * u128::from(p.cost_parameter);
            let work = memory * u128::from(p.parallelization);
            let clamp = |v: u128| u64::try_from(v).unwrap_or(u64::MAX);
            if memory > u128::from(MAX_SCRYPT_MEMORY) {
                return Err(KeyError::KdfTooCostly {
                    what: "scrypt memory (bytes)",
                    value: clamp(memory),
                    limit: MAX_SCRYPT_MEMORY,
                });
            }
            if work > 4 * u128::from(MAX_SCRYPT_MEMORY) {
                return Err(KeyError::KdfTooCostly {
                    what: "scrypt work (128·r·N·p)",
                    value: clamp(work),
                    limit: 4 * MAX_SCRYPT_MEMORY,
                });
            }
            Ok(())
        }
        _ => Err(KeyError::UnsupportedEncryption { scheme: format!("PBES2 with {}", oid_name(kdf.oid().as_bytes())) }),
    }
}

/// Refuses more than [`MAX_PBKDF2_ITERATIONS`] (also the PKCS#12 MAC's iteration count).
pub(crate) fn check_iterations(iterations: u64) -> Result<(), KeyError> {
    if iterations > u64::from(MAX_PBKDF2_ITERATIONS) {
        return Err(KeyError::KdfTooCostly {
            what: "PBKDF2 iterations",
            value: iterations,
            limit: u64::from(MAX_PBKDF2_ITERATIONS),
        });
    }
    Ok(())
}

/// The error for PBES2 parameters `pkcs5` does not take: names the KDF and cipher when they can
/// be read (e.g. PBES2 with des-ede3-cbc), else reports them malformed.
fn unsupported_pbes2(parameters: der::AnyRef<'_>) -> KeyError {
    let oids = parameters.sequence(|s| {
        let kdf = pkcs8::spki::AlgorithmIdentifierRef::decode(s)?;
        let cipher = pkcs8::spki::AlgorithmIdentifierRef::decode(s)?;
        Ok::<_, der::Error>((kdf.oid, cipher.oid))
    });
    match oids {
        Ok((kdf, cipher)) => KeyError::UnsupportedEncryption {
            scheme: format!("PBES2 with {} and {}", oid_name(kdf.as_bytes()), oid_name(cipher.as_bytes())),
        },
        Err(_) => KeyError::Malformed { what: "PBES2 parameters" },
    }
}

/// A readable name for an encryption scheme OID that is not PBES2.
fn scheme_name(oid: &ObjectIdentifier) -> String {
    let name = oid_name(oid.as_bytes());
    if name.contains('.') {
        format!("the encryption scheme {name}")
    } else {
        name
    }
}
