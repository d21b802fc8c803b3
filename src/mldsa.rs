//! ML-DSA (FIPS 204) keys for `AWS4-X509-MLDSA`: the three PKCS#8 private-key forms, signing, and
//! verification for verifiers such as the stand-in.
//!
//! What Roles Anywhere signs and checks (\[S\], "Signing process", Tasks 2–4; \[Go\]
//! `mldsa_utils.go`: `mldsaNN.SignTo(key, msg, ctx=nil, randomized=false)`): pure ML-DSA over the
//! raw string to sign, empty context, the deterministic variant (rnd = 32 zero bytes).
//!
//! Private keys (draft-ietf-lamps-dilithium-certificates, "Private Key Format"; what OpenSSL 3.5
//! writes) are one of
//!
//! ```text
//! ML-DSA-PrivateKey ::= CHOICE {
//!   seed        [0] IMPLICIT OCTET STRING (SIZE (32)),
//!   expandedKey     OCTET STRING (SIZE (2560 | 4032 | 4896)),
//!   both            SEQUENCE { seed OCTET STRING (SIZE (32)), expandedKey OCTET STRING } }
//! ```
//!
//! An expanded key is checked: its `s1`/`s2` coefficients in range before the `ml-dsa` crate
//! decodes it (its decoder asserts on the others), and its parts belonging together as far as a
//! probe signature tells: it must verify under the public key t1 = HighBits(A·s1 + s2)
//! recomputed from ρ, s1 and s2, which needs tr = H(ρ ‖ t1). A changed ρ, tr or s1 fails that; a
//! small change to s2 or t0 mostly leaves t1 alone and shows only as signatures that fail to
//! verify (the crate keeps t private, so t0 is not recomputed), and K may be any 32 bytes. With
//! `both`, the seed must expand to the same key, which checks every part.

use alloc::boxed::Box;
use alloc::vec::Vec;

use ml_dsa::{
    EncodedSignature, EncodedVerifyingKey, ExpandedSigningKey, ExpandedSigningKeyBytes, MlDsa44, MlDsa65, MlDsa87,
    MlDsaParams, Signature, VerifyingKey, B32,
};

use zeroize::Zeroizing;

use crate::algorithm::KeyType;
use crate::key::KeyError;

/// An ML-DSA private key of one of the three parameter sets. Zeroized on drop (the `ml-dsa`
/// crate's `zeroize` feature).
pub(crate) enum MlDsaKey {
    P44(Box<Key<MlDsa44>>),
    P65(Box<Key<MlDsa65>>),
    P87(Box<Key<MlDsa87>>),
}

/// The expanded signing key and the encoded public key it belongs to (computed once).
pub(crate) struct Key<P: MlDsaParams> {
    signing: ExpandedSigningKey<P>,
    public: Vec<u8>,
}

impl MlDsaKey {
    /// Reads the `privateKey` contents of an ML-DSA PKCS#8 `PrivateKeyInfo` (see the module doc).
    pub(crate) fn from_pkcs8(key_type: KeyType, private_key: &[u8]) -> Result<Self, KeyError> {
        let form = read_form(private_key)?;
        match key_type {
            KeyType::MlDsa44 => Key::<MlDsa44>::from_form(&form).map(|k| MlDsaKey::P44(Box::new(k))),
            KeyType::MlDsa65 => Key::<MlDsa65>::from_form(&form).map(|k| MlDsaKey::P65(Box::new(k))),
            KeyType::MlDsa87 => Key::<MlDsa87>::from_form(&form).map(|k| MlDsaKey::P87(Box::new(k))),
            _ => Err(KeyError::Malformed { what: "ML-DSA private key" }),
        }
    }

    pub(crate) fn key_type(&self) -> KeyType {
        match self {
            MlDsaKey::P44(_) => KeyType::MlDsa44,
            MlDsaKey::P65(_) => KeyType::MlDsa65,
            MlDsaKey::P87(_) => KeyType::MlDsa87,
        }
    }

    /// The encoded public key (`pkEncode`), as it appears in the certificate's SPKI.
    pub(crate) fn public_key(&self) -> &[u8] {
        match self {
            MlDsaKey::P44(k) => &k.public,
            MlDsaKey::P65(k) => &k.public,
            MlDsaKey::P87(k) => &k.public,
        }
    }

    /// Pure ML-DSA, deterministic, empty context (\[Go\] `SignTo(…, ctx=nil, randomized=false)`).
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        match self {
            MlDsaKey::P44(k) => k.sign(message),
            MlDsaKey::P65(k) => k.sign(message),
            MlDsaKey::P87(k) => k.sign(message),
        }
    }
}

/// The three private-key forms, borrowed from the DER.
enum Form<'a> {
    Seed(&'a [u8; 32]),
    Expanded(&'a [u8]),
    Both { seed: &'a [u8; 32], expanded: &'a [u8] },
}

/// Tells the three forms apart by their first tag: `[0]` primitive, OCTET STRING, SEQUENCE.
fn read_form(der: &[u8]) -> Result<Form<'_>, KeyError> {
    use der::{Decode, Reader, SliceReader, Tag, TagNumber, Tagged};
    const MALFORMED: KeyError = KeyError::Malformed { what: "ML-DSA private key (seed, expandedKey or both)" };
    let malformed = |_| MALFORMED;
    fn seed(bytes: &[u8]) -> Result<&[u8; 32], KeyError> {
        bytes.try_into().map_err(|_| KeyError::Malformed { what: "ML-DSA seed (32 bytes)" })
    }
    let mut r = SliceReader::new(der).map_err(malformed)?;
    let any = der::AnyRef::decode(&mut r).map_err(malformed)?;
    r.finish().map_err(malformed)?;
    match any.tag() {
        Tag::ContextSpecific { constructed: false, number: TagNumber(0) } => Ok(Form::Seed(seed(any.value())?)),
        Tag::OctetString => Ok(Form::Expanded(any.value())),
        Tag::Sequence => {
            let (s, e) = any
                .sequence(|b| {
                    let s = <&der::asn1::OctetStringRef>::decode(b)?;
                    let e = <&der::asn1::OctetStringRef>::decode(b)?;
                    Ok::<_, der::Error>((s.as_bytes(), e.as_bytes()))
                })
                .map_err(malformed)?;
            Ok(Form::Both { seed: seed(s)?, expanded: e })
        }
        _ => Err(MALFORMED),
    }
}

impl<P: MlDsaParams> Key<P> {
    fn from_form(form: &Form<'_>) -> Result<Self, KeyError> {
        // The seed copied for the crate is zeroized too (the key types zeroize themselves).
        let expand = |seed: &[u8; 32]| ExpandedSigningKey::<P>::from_seed(&Zeroizing::new(B32::from(*seed)));
        let signing = match form {
            Form::Seed(seed) => expand(seed),
            Form::Expanded(expanded) => decode_expanded::<P>(expanded)?,
            Form::Both { seed, expanded } => {
                let from_seed = expand(seed);
                let decoded = decode_expanded::<P>(expanded)?;
                // `PartialEq` of ExpandedSigningKey compares in constant time (`CtEq`).
                if from_seed != decoded {
                    return Err(KeyError::Malformed { what: "ML-DSA private key (seed and expandedKey disagree)" });
                }
                from_seed
            }
        };
        let public = signing.verifying_key().encode().to_vec();
        Ok(Key { signing, public })
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let signature = self.signing.sign_deterministic(message, &[]).map_err(|_| KeyError::SigningFailed)?;
        Ok(signature.encode().to_vec())
    }
}

/// Sizes of one parameter set, for the checks on an expanded key (FIPS 204, Table 1 and 2).
struct Sizes {
    k: usize,
    l: usize,
    /// Bits per `s1`/`s2` coefficient: 3 for η = 2, 4 for η = 4.
    eta_bits: usize,
    eta: u8,
}

fn sizes(expanded_len: usize) -> Option<Sizes> {
    // ρ(32) ‖ K(32) ‖ tr(64) ‖ s1 (ℓ·32·bits) ‖ s2 (k·32·bits) ‖ t0 (k·416).
    match expanded_len {
        2560 => Some(Sizes { k: 4, l: 4, eta_bits: 3, eta: 2 }),
        4032 => Some(Sizes { k: 6, l: 5, eta_bits: 4, eta: 4 }),
        4896 => Some(Sizes { k: 8, l: 7, eta_bits: 3, eta: 2 }),
        _ => None,
    }
}

/// `skDecode` with the checks the `ml-dsa` crate leaves out (see the module doc).
fn decode_expanded<P: MlDsaParams>(bytes: &[u8]) -> Result<ExpandedSigningKey<P>, KeyError> {
    let malformed = KeyError::Malformed { what: "ML-DSA expandedKey" };
    let array = ExpandedSigningKeyBytes::<P>::try_from(bytes).map_err(|_| malformed.clone())?;
    let s = sizes(bytes.len()).ok_or(malformed.clone())?;
    let s_bytes = (s.l + s.k) * 32 * s.eta_bits;
    // Each s1/s2 coefficient is stored as η − c with c in [−η, η]: a field above 2η is invalid.
    let packed = &bytes[128..128 + s_bytes];
    let mut bits = 0u32;
    let mut held = 0usize;
    for &byte in packed {
        bits |= u32::from(byte) << held;
        held += 8;
        while held >= s.eta_bits {
            if bits & ((1 << s.eta_bits) - 1) > u32::from(2 * s.eta) {
                return Err(malformed);
            }
            bits >>= s.eta_bits;
            held -= s.eta_bits;
        }
    }
    #[allow(deprecated)] // The expanded form is deprecated in favour of seeds; files still hold it.
    let key = ExpandedSigningKey::<P>::from_expanded(&array);
    // A signature of this key verifies under the public key recomputed from ρ, s1 and s2 only if
    // tr = H(pk) (see the module doc).
    let public = key.verifying_key();
    let probe = b"AWS4-X509-MLDSA key check";
    let consistent = key.sign_deterministic(probe, &[]).is_ok_and(|sig| public.verify_with_context(probe, &[], &sig));
    if !consistent {
        return Err(malformed);
    }
    Ok(key)
}

/// Verifies a pure ML-DSA signature with an empty context (what `AWS4-X509-MLDSA` signs, and
/// what ML-DSA certificates are signed with, RFC 9881): `public_key` is the encoded key of the
/// certificate's SPKI ([`crate::PublicKey::MlDsa`]). False for a key or signature of the wrong
/// length, or a key type that is not ML-DSA. For verifiers such as the stand-in.
pub fn verify_ml_dsa(key_type: KeyType, public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    fn verify<P: MlDsaParams>(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
        let (Ok(key), Ok(sig)) =
            (EncodedVerifyingKey::<P>::try_from(public_key), EncodedSignature::<P>::try_from(signature))
        else {
            return false;
        };
        let Some(sig) = Signature::<P>::decode(&sig) else { return false };
        VerifyingKey::<P>::decode(&key).verify_with_context(message, &[], &sig)
    }
    match key_type {
        KeyType::MlDsa44 => verify::<MlDsa44>(public_key, message, signature),
        KeyType::MlDsa65 => verify::<MlDsa65>(public_key, message, signature),
        KeyType::MlDsa87 => verify::<MlDsa87>(public_key, message, signature),
        _ => false,
    }
}
