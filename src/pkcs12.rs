//! PKCS#12 (`.p12`/`.pfx`, RFC 7292): a certificate, its private key and its chain under one
//! password, as Windows, Java and many PKIs hand them out.
//!
//! Read: password-integrity files (an HMAC-SHA-256/384/512 MAC, or none) whose contents are
//! plain or PBES2-encrypted, with a `pkcs8ShroudedKeyBag` (PBES2) or `keyBag` and `certBag`s of
//! X.509 certificates: what `openssl pkcs12 -export` writes by default since OpenSSL 3.0
//! (AES-256-CBC, PBKDF2-HMAC-SHA256, SHA-256 MAC), Java's keytool since JDK 12 and Windows'
//! "AES256-SHA256" export. Refused with [`Pkcs12Error::Legacy`]: the legacy PKCS#12 PBE ciphers
//! (RC2-40, 3DES, RC4: `openssl pkcs12 -legacy`, OpenSSL 1.x and older Windows defaults) and a
//! SHA-1 MAC; the error tells how to convert such a file.
//!
//! The structures (`Pfx`, `MacData`) and the MAC's key derivation (RFC 7292 Appendix B) come from
//! RustCrypto's `pkcs12`, `ContentInfo` and `EncryptedData` from its `cms`; PBES2 from `pkcs5`,
//! through the same code as encrypted PKCS#8 keys ([`crate::PrivateKey::parse_with_password`]).
//! Chosen over `p12-keystore`, which reads the legacy ciphers too, because it needs `std`, pulls
//! `x509-parser`/`nom`/`rand`, and is itself built on these pre-release RustCrypto crates; these
//! are `no_std` + `alloc` like the rest of the core.
//!
//! Decrypted contents and the MAC key are zeroized. The `pkcs12`/`cms` decoders copy the
//! authSafe before it is decrypted without zeroizing the copies: that is ciphertext in files
//! with encrypted bags (every exporter's default), and the plain key only in files made with
//! `-keypbe NONE`.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use cms::content_info::ContentInfo;
use cms::encrypted_data::EncryptedData;
use der::asn1::{ObjectIdentifier, OctetString};
use der::{AnyRef, Decode, Reader, SliceReader, Tag, TagNumber, Tagged};
use hmac::{KeyInit, Mac};
use pkcs8::spki::AlgorithmIdentifierRef;
use zeroize::Zeroizing;

use crate::algorithm::oid_name;
use crate::certificate::{Certificate, CertificateError, MAX_INTERMEDIATES};
use crate::error::{push_pieces, ErrorCode, Piece};
use crate::key::{KeyError, PrivateKey};
use crate::pem::MAX_INPUT_LEN;

/// `id-data` (RFC 5652).
const OID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
/// `id-encryptedData` (RFC 5652).
const OID_ENCRYPTED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.6");
/// The arc of the PKCS#12 PBE algorithms (`pkcs-12PbeIds`, RFC 7292 Appendix C): RC4, 3DES, RC2.
const OID_PKCS12_PBE_ARC: &str = "1.2.840.113549.1.12.1.";
/// SHA-1 and SHA-2 digest OIDs of the MAC (`MacData.mac.digestAlgorithm`).
const OID_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const OID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const OID_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const OID_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");

/// Most bags read from one file (keys, certificates and others together).
const MAX_BAGS: usize = 64;

/// Why a PKCS#12 file was refused. Carries facts, never key bytes or the password.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Pkcs12Error {
    /// The input is larger than this library reads.
    TooLarge {
        /// Size of the input in bytes.
        len: usize,
    },
    /// The DER structure is not a PKCS#12 PFX; names the part that failed.
    Malformed {
        /// The structure being read.
        what: &'static str,
    },
    /// Legacy encryption or MAC (RC2, 3DES, RC4, SHA-1 MAC), which this library does not read.
    Legacy {
        /// The scheme found.
        scheme: String,
    },
    /// A PKCS#12 feature this library does not read (public-key privacy or integrity mode, a
    /// PBMAC1 MAC, another MAC digest).
    Unsupported {
        /// What was found.
        what: String,
    },
    /// The file holds no private key.
    NoKey,
    /// The file holds more than one private key.
    SeveralKeys,
    /// No certificate of the file belongs to its private key.
    NoCertificateForKey,
    /// The private key could not be read or decrypted: [`KeyError::WrongPassword`] for a
    /// password that does not open the file (MAC or decryption), [`KeyError::KdfTooCostly`] …
    Key(KeyError),
    /// A certificate could not be read, or there are more than [`MAX_INTERMEDIATES`] besides
    /// the leaf.
    Certificate(CertificateError),
}

impl Piece for Pkcs12Error {
    fn push_to(&self, out: &mut String) {
        use Pkcs12Error::*;
        match self {
            TooLarge { len } => {
                push_pieces!(out; "PKCS#12 input is ", len, " bytes, more than the ", MAX_INPUT_LEN, " allowed")
            }
            Malformed { what } => push_pieces!(out; "malformed PKCS#12 file: cannot parse ", what),
            Legacy { scheme } => push_pieces!(
                out;
                "the PKCS#12 file uses legacy ",
                scheme,
                ", which is not supported; re-export it with AES-256 and a SHA-256 MAC: openssl pkcs12 \
                 -legacy -in old.p12 -nodes -out all.pem, then openssl pkcs12 -export -in all.pem -out new.p12"
            ),
            Unsupported { what } => push_pieces!(out; "the PKCS#12 file uses ", what, ", which is not supported"),
            NoKey => out.push_str("the PKCS#12 file holds no private key"),
            SeveralKeys => out.push_str("the PKCS#12 file holds more than one private key"),
            NoCertificateForKey => out.push_str("no certificate in the PKCS#12 file belongs to its private key"),
            Key(KeyError::WrongPassword) => out.push_str("the password does not open the PKCS#12 file"),
            Key(e) => push_pieces!(out; "PKCS#12 ", e),
            Certificate(e) => push_pieces!(out; "PKCS#12 ", e),
        }
    }
}

impl Pkcs12Error {
    /// The stable code: the key's or certificate's own ([`ErrorCode::WrongPassword`] for a
    /// wrong password), else [`ErrorCode::InvalidPkcs12`].
    pub fn code(&self) -> ErrorCode {
        match self {
            Pkcs12Error::Key(e) => e.code(),
            Pkcs12Error::Certificate(e) => e.code(),
            _ => ErrorCode::InvalidPkcs12,
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Pkcs12Error {}

impl From<KeyError> for Pkcs12Error {
    fn from(e: KeyError) -> Self {
        Pkcs12Error::Key(e)
    }
}

/// The contents of a PKCS#12 file: the leaf certificate, its private key and the other
/// certificates, ready for [`crate::CreateSession`].
pub struct Pkcs12 {
    /// The certificate whose public key the private key belongs to.
    pub leaf: Certificate,
    /// Every other certificate of the file, in the file's order (at most [`MAX_INTERMEDIATES`]);
    /// combine with others through [`crate::merge_intermediates`].
    pub intermediates: Vec<Certificate>,
    /// The private key.
    pub key: PrivateKey,
    /// The private key's PKCS#8 `PrivateKeyInfo` DER, decrypted (zeroized on drop), for hosts
    /// that import it into a signer of their own (the JS package's WebCrypto path).
    pub pkcs8: Zeroizing<Vec<u8>>,
}

/// Shows the certificates and the key type, never key material.
impl fmt::Debug for Pkcs12 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs12")
            .field("leaf", &self.leaf)
            .field("intermediates", &self.intermediates)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl Pkcs12 {
    /// Reads a DER PKCS#12 file with `password` (its bytes as typed, UTF-8; OpenSSL uses them as
    /// UTF-8 for PBES2 and as BMPString for the MAC, as RFC 7292 says). See the module doc for
    /// what is read and refused. The password is never kept; decrypted contents are zeroized.
    pub fn parse(input: &[u8], password: &[u8]) -> Result<Self, Pkcs12Error> {
        if input.len() > MAX_INPUT_LEN {
            return Err(Pkcs12Error::TooLarge { len: input.len() });
        }
        let pfx = pkcs12::pfx::Pfx::from_der(input).map_err(|_| Pkcs12Error::Malformed { what: "PFX" })?;
        if pfx.auth_safe.content_type != OID_DATA {
            return Err(Pkcs12Error::Unsupported {
                what: String::from("public-key integrity mode (a signed authSafe)"),
            });
        }
        let auth_safe = octets(&pfx.auth_safe, "authSafe")?;
        if let Some(mac) = &pfx.mac_data {
            check_mac(mac, auth_safe.as_bytes(), password)?;
        }
        // AuthenticatedSafe ::= SEQUENCE OF ContentInfo: plain (data) or password-encrypted
        // (encryptedData) SafeContents.
        let contents =
            Vec::<ContentInfo>::from_der(auth_safe.as_bytes()).map_err(|_| malformed("AuthenticatedSafe"))?;
        let mut found = Found::default();
        for info in &contents {
            if info.content_type == OID_DATA {
                let data = octets(info, "SafeContents")?;
                found.read_safe_contents(data.as_bytes(), password, 0)?;
            } else if info.content_type == OID_ENCRYPTED_DATA {
                let encrypted: EncryptedData = info.content.decode_as().map_err(|_| malformed("EncryptedData"))?;
                let content = &encrypted.enc_content_info;
                let algorithm = AlgorithmIdentifierRef {
                    oid: content.content_enc_alg.oid,
                    parameters: content.content_enc_alg.parameters.as_ref().map(AnyRef::from),
                };
                refuse_legacy(&algorithm.oid)?;
                let ciphertext = content.encrypted_content.as_ref().ok_or(malformed("EncryptedData"))?;
                let plain = crate::encrypted::decrypt(&algorithm, ciphertext.as_bytes(), password)?;
                found.read_safe_contents(&plain, password, 0)?;
            } else {
                return Err(Pkcs12Error::Unsupported { what: String::from("public-key privacy mode (envelopedData)") });
            }
        }
        found.finish()
    }
}

/// The keys and certificates read so far.
#[derive(Default)]
struct Found {
    key: Option<(PrivateKey, Zeroizing<Vec<u8>>)>,
    certificates: Vec<Certificate>,
    bags: usize,
}

impl Found {
    /// Reads `SafeContents ::= SEQUENCE OF SafeBag`, where `SafeBag ::= SEQUENCE { bagId OID,
    /// bagValue [0] EXPLICIT ANY, bagAttributes SET OPTIONAL }` (RFC 7292 4.2). Read here on the
    /// (zeroized) buffer rather than through `pkcs12::SafeBag`, which copies each bag's value.
    fn read_safe_contents(&mut self, der: &[u8], password: &[u8], depth: u8) -> Result<(), Pkcs12Error> {
        let bags = read_bags(der).map_err(|_| malformed("SafeContents"))?;
        for (id, value) in bags {
            self.bags += 1;
            if self.bags > MAX_BAGS {
                return Err(malformed("SafeContents (too many bags)"));
            }
            match id {
                pkcs12::PKCS_12_KEY_BAG_OID => self.add_key(Zeroizing::new(value.to_vec()))?,
                pkcs12::PKCS_12_PKCS8_KEY_BAG_OID => {
                    if let Some(oid) = encryption_oid(value) {
                        refuse_legacy(&oid)?;
                    }
                    self.add_key(crate::key::decrypted_pkcs8_der(value, password)?)?;
                }
                pkcs12::PKCS_12_CERT_BAG_OID => {
                    let bag = pkcs12::CertBag::from_der(value).map_err(|_| malformed("CertBag"))?;
                    // x509Certificate; SDSI certificates are skipped.
                    if bag.cert_id == pkcs12::PKCS_12_X509_CERT_OID {
                        let certificate =
                            Certificate::from_der(bag.cert_value.as_bytes()).map_err(Pkcs12Error::Certificate)?;
                        self.certificates.push(certificate);
                    }
                }
                pkcs12::PKCS_12_SAFE_CONTENTS_BAG_OID if depth < 2 => {
                    self.read_safe_contents(value, password, depth + 1)?
                }
                // CRL, secret and deeper nested bags carry nothing Roles Anywhere uses.
                _ => {}
            }
        }
        Ok(())
    }

    /// Reads the PKCS#8 DER of a key bag (plain, or decrypted from a shrouded one).
    fn add_key(&mut self, pkcs8: Zeroizing<Vec<u8>>) -> Result<(), Pkcs12Error> {
        if self.key.is_some() {
            return Err(Pkcs12Error::SeveralKeys);
        }
        self.key = Some((PrivateKey::from_pkcs8_der(&pkcs8)?, pkcs8));
        Ok(())
    }

    /// The leaf is the certificate the key belongs to; the others are its intermediates.
    fn finish(self) -> Result<Pkcs12, Pkcs12Error> {
        let (key, pkcs8) = self.key.ok_or(Pkcs12Error::NoKey)?;
        let mut certificates = self.certificates;
        let at =
            certificates.iter().position(|c| key.check_matches(c).is_ok()).ok_or(Pkcs12Error::NoCertificateForKey)?;
        let leaf = certificates.remove(at);
        if certificates.len() > MAX_INTERMEDIATES {
            return Err(Pkcs12Error::Certificate(CertificateError::TooManyIntermediates { count: certificates.len() }));
        }
        Ok(Pkcs12 { leaf, intermediates: certificates, key, pkcs8 })
    }
}

/// The (bagId, bagValue) pairs of a SafeContents, borrowing from `der`.
fn read_bags(der: &[u8]) -> der::Result<Vec<(ObjectIdentifier, &[u8])>> {
    let mut reader = SliceReader::new(der)?;
    let bags = reader.sequence(|list| {
        let mut bags = Vec::new();
        while !list.is_finished() {
            let bag = list.sequence(|b| {
                let id = ObjectIdentifier::decode(b)?;
                let value = AnyRef::decode(b)?;
                if value.tag() != (Tag::ContextSpecific { constructed: true, number: TagNumber(0) }) {
                    return Err(der::Error::from(value.tag().unexpected_error(None)));
                }
                // The value must be exactly one DER element.
                AnyRef::from_der(value.value())?;
                while !b.is_finished() {
                    AnyRef::decode(b)?;
                }
                Ok::<_, der::Error>((id, value.value()))
            })?;
            bags.push(bag);
        }
        Ok::<_, der::Error>(bags)
    })?;
    reader.finish()?;
    Ok(bags)
}

/// The algorithm OID of a DER `EncryptedPrivateKeyInfo`, when it can be read.
fn encryption_oid(der: &[u8]) -> Option<ObjectIdentifier> {
    AnyRef::from_der(der)
        .and_then(|s| {
            s.sequence(|r| {
                let algorithm = AlgorithmIdentifierRef::decode(r)?;
                AnyRef::decode(r)?;
                Ok(algorithm.oid)
            })
        })
        .ok()
}

/// The PKCS#12 PBE schemes (RC2, RC4, 3DES) are legacy: refused with [`Pkcs12Error::Legacy`].
fn refuse_legacy(oid: &ObjectIdentifier) -> Result<(), Pkcs12Error> {
    let dotted = alloc::string::ToString::to_string(oid);
    if dotted.starts_with(OID_PKCS12_PBE_ARC) {
        return Err(Pkcs12Error::Legacy { scheme: oid_name(oid.as_bytes()) });
    }
    Ok(())
}

/// The OCTET STRING content of a `data` ContentInfo.
fn octets(info: &ContentInfo, what: &'static str) -> Result<OctetString, Pkcs12Error> {
    if info.content_type != OID_DATA {
        return Err(malformed(what));
    }
    info.content.decode_as::<OctetString>().map_err(|_| malformed(what))
}

/// Checks the password-integrity MAC (RFC 7292 4; key derived with Appendix B, ID 3): a
/// mismatch is a wrong password.
fn check_mac(mac: &pkcs12::MacData, data: &[u8], password: &[u8]) -> Result<(), Pkcs12Error> {
    let algorithm = mac.mac.algorithm.oid;
    if algorithm == OID_SHA1 {
        return Err(Pkcs12Error::Legacy { scheme: String::from("SHA-1 MAC") });
    }
    let iterations = u32::try_from(mac.iterations).ok().filter(|&i| i > 0).ok_or(malformed("MacData"))?;
    crate::encrypted::check_iterations(u64::from(iterations))?;
    // The MAC key derivation reads the password as a BMPString; a password that is not UTF-8
    // cannot be that of a file OpenSSL, Java or Windows wrote.
    let password = core::str::from_utf8(password).map_err(|_| KeyError::WrongPassword)?;
    let salt = mac.mac_salt.as_bytes();
    let expected = mac.mac.digest.as_bytes();
    match algorithm {
        OID_SHA256 => verify_mac::<sha2::Sha256>(password, salt, mac.iterations, data, expected),
        OID_SHA384 => verify_mac::<sha2::Sha384>(password, salt, mac.iterations, data, expected),
        OID_SHA512 => verify_mac::<sha2::Sha512>(password, salt, mac.iterations, data, expected),
        other => Err(Pkcs12Error::Unsupported { what: alloc::format!("a MAC with {}", mac_name(&other)) }),
    }
}

fn mac_name(oid: &ObjectIdentifier) -> String {
    if *oid == ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.14") {
        return String::from("PBMAC1");
    }
    oid_name(oid.as_bytes())
}

fn verify_mac<D>(password: &str, salt: &[u8], iterations: i32, data: &[u8], expected: &[u8]) -> Result<(), Pkcs12Error>
where
    D: sha2::Digest + sha2::digest::FixedOutputReset + sha2::digest::block_api::BlockSizeUser + hmac::EagerHash,
{
    let key = pkcs12::kdf::derive_key_utf8::<D>(
        password,
        salt,
        pkcs12::kdf::Pkcs12KeyType::Mac,
        iterations,
        <D as sha2::Digest>::output_size(),
    )
    .map(Zeroizing::new)
    .map_err(|_| KeyError::WrongPassword)?;
    let mut mac = hmac::Hmac::<D>::new_from_slice(&key).map_err(|_| malformed("MacData"))?;
    mac.update(data);
    mac.verify_slice(expected).map_err(|_| Pkcs12Error::Key(KeyError::WrongPassword))
}

fn malformed(what: &'static str) -> Pkcs12Error {
    Pkcs12Error::Malformed { what }
}
