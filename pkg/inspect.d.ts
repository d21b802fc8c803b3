// Types for `rolesanywhere/inspect`: the facts of each step of the sign-in, read-only, for pages
// and tools that show how it works. The same wasm core as the main entry (`rolesanywhere`).

import type { CreateSessionOptions, Credentials } from "./index.d.ts";

/** The leaf certificate as the sign-in uses it. */
export interface CertificateFacts {
    /** Serial number in decimal: the `Credential` of the `Authorization` header. */
    serialNumber: string;
    /**
     * Serial number in lower-case hex without leading zeros (`-` before a negative one): the
     * role session name when the request gives none (user guide, *Role trusts*), so the last
     * part of the assumed-role ARN.
     */
    serialHex: string;
    /** Subject common name, if any. */
    subjectCommonName?: string;
    /** URI SANs (e.g. a SPIFFE ID, for a trust policy's `aws:PrincipalTag/x509SAN/URI`). */
    uriSans: string[];
    /** The key type, as WebCrypto names it. */
    keyType: "P-256" | "P-384" | "RSA" | "ML-DSA-44" | "ML-DSA-65" | "ML-DSA-87";
    /** When the certificate expires. */
    notAfter: Date;
    /** How many intermediate certificates go in `X-Amz-X509-Chain`. */
    intermediates: number;
}

/**
 * Parses the certificate and intermediates as {@link createSessionRequest} does: `certificate`
 * (a full-chain PEM too), or the PKCS#12 file `pkcs12` opened with `pkcs12Password`. Rejects
 * with a `RolesAnywhereError` (`InvalidOptions`, `InvalidCertificate`, `InvalidPkcs12`,
 * `WrongPassword`, `EncryptedKey`).
 */
export function inspectCertificate(options: Pick<CreateSessionOptions, "certificate" | "intermediates" | "pkcs12" | "pkcs12Password">): Promise<CertificateFacts>;

/** A `CreateSession` request built up to its string to sign. */
export interface PreparedCreateSession {
    /** `AWS4-X509-ECDSA-SHA256`, `AWS4-X509-RSA-SHA256` or `AWS4-X509-MLDSA`. */
    algorithm: string;
    /** The SigV4 canonical request. */
    canonicalRequest: string;
    /** The signed headers, e.g. `content-type;host;x-amz-date;x-amz-x509`. */
    signedHeaders: string;
    /** `YYYYMMDD/region/rolesanywhere/aws4_request`. */
    credentialScope: string;
    /** The string to sign: what the private key signs (its UTF-8 bytes). */
    stringToSign: string;
    /** The certificate's key type, which the private key must match. */
    keyType: "P-256" | "P-384" | "RSA" | "ML-DSA-44" | "ML-DSA-65" | "ML-DSA-87";
    /** The certificate's serial number in decimal. */
    serialNumber: string;
    /** The certificate's public key, to verify a signature with (`crypto.subtle.importKey("jwk", …)`);
     * for ML-DSA the WebCrypto draft's `{kty: "AKP", alg: "ML-DSA-65", pub}`. */
    publicKeyJwk: JsonWebKey;
    /** The signing time (`X-Amz-Date`). */
    date: Date;
}

/**
 * The request `createSessionRequest(options)` signs, up to its string to sign (no key needed;
 * a `pkcs12` file is opened with `pkcs12Password` for its certificate and chain).
 * Rejects with a `RolesAnywhereError` (`InvalidOptions`, `InvalidCertificate`, `InvalidRequest`, …).
 */
export function prepareCreateSession(options: Omit<CreateSessionOptions, "privateKey" | "signer">): Promise<PreparedCreateSession>;

/**
 * Reads AWS's answer to `CreateSession` as {@link getCredentials} does: the credentials, or
 * rejects with the service's code (`AccessDenied`, `Validation`, `NotFound`, `Throttled`,
 * `Server`, `Other`, `InvalidResponse`).
 */
export function readCreateSessionResponse(response: Response): Promise<Credentials>;
