// Types for the `rolesanywhere` package: the same API in Cloudflare Workers, Deno, browsers and Node.

/** A PEM string, or DER (or PEM) bytes. */
export type CertificateInput = string | Uint8Array | ArrayBuffer;

/** Options of {@link createSessionRequest}. */
export interface CreateSessionOptions {
    /**
     * The leaf certificate: PEM string or DER bytes. A full-chain PEM (the leaf first, then its
     * intermediates, as cert-manager's `tls.crt` and ACME clients write it) is taken too: the
     * rest join {@link intermediates}, before the ones given there, each certificate once.
     * Required unless {@link pkcs12} is given, which holds it.
     */
    certificate?: CertificateInput;
    /**
     * The certificate's private key: a PEM string or DER bytes (PKCS#8; SEC1 and PKCS#1 go to the
     * in-wasm signer when the build has one), or a WebCrypto `CryptoKey` (ECDSA P-256/P-384 or
     * RSASSA-PKCS1-v1_5 with SHA-256, or ML-DSA-44/65/87 where the runtime's WebCrypto has it;
     * usage "sign", may be non-extractable), whose bytes never enter wasm memory. Required unless
     * {@link pkcs12} is given, which holds it.
     *
     * Importing a PKCS#8 PEM as a non-extractable key (the same code in Workers, Deno, browsers
     * and Node >= 20):
     * ```js
     * const der = Uint8Array.from(atob(pem.replace(/-----[^-]+-----|\s/g, "")), (c) => c.charCodeAt(0));
     * const key = await crypto.subtle.importKey("pkcs8", der,
     *     { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);  // RSA: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }
     * ```
     * SEC1 (`EC PRIVATE KEY`) and PKCS#1 (`RSA PRIVATE KEY`) keys: `openssl pkcs8 -topk8 -nocrypt` first.
     *
     * ML-DSA-44/65/87 keys (PKCS#8, `AWS4-X509-MLDSA`) are imported into WebCrypto where the
     * runtime has ML-DSA (the import is tried, never assumed), else signed in wasm in a build with
     * the signer (`full`, see {@link wasmSigners}), else rejected with `UnsupportedSigner`.
     */
    privateKey?: CertificateInput | CryptoKey;
    /**
     * The password of an encrypted PKCS#8 key (`ENCRYPTED PRIVATE KEY` PEM or DER: PBES2 with
     * PBKDF2-HMAC-SHA-1/SHA-256 or scrypt, AES-CBC/GCM, as `openssl pkcs8 -topk8` and ACM export
     * write it), as text (its UTF-8 bytes) or bytes. The key is decrypted in wasm, then signed as
     * a plain PKCS#8 key. A key that is not encrypted is used as it is. Errors: `WrongPassword`;
     * `EncryptedKey` without a password, or in a build without the `encrypted-keys` feature (only
     * the `full` build has it, see README); `InvalidKey` for other schemes (PBES1, 3DES).
     */
    pkcs8Password?: string | Uint8Array;
    /**
     * A PKCS#12 file (`.p12`/`.pfx`: DER bytes) holding the certificate, its private key and its
     * chain, given instead of {@link certificate} and {@link privateKey} (giving either with it is
     * `InvalidOptions`). It is opened in wasm with {@link pkcs12Password}, then signed with as if
     * the three were given apart (the key through WebCrypto or the in-wasm signer, as a PKCS#8 key
     * would be); certificates also given in {@link intermediates} come after the file's. Read:
     * PBES2 encryption (AES, PBKDF2 or scrypt) with a SHA-2 MAC, as `openssl pkcs12 -export`
     * writes by default since OpenSSL 3.0; the file is opened on every sign-in. Errors:
     * `WrongPassword`; `EncryptedKey` for a file with a password when none is given;
     * `InvalidPkcs12` for legacy files (RC2, 3DES, a SHA-1 MAC: `openssl pkcs12 -legacy`), a file
     * with no key or no certificate for it, and in builds without the `pkcs12` feature (only
     * `full` has it, see README).
     */
    pkcs12?: Uint8Array | ArrayBuffer;
    /** The password of {@link pkcs12}, as text (its UTF-8 bytes) or bytes; default: the empty
     * password (a file exported with `-passout pass:`). Given without `pkcs12`: `InvalidOptions`. */
    pkcs12Password?: string | Uint8Array;
    /** Intermediate CA certificates sent in `X-Amz-X509-Chain`, issuer of the leaf first (at most 5):
     * a PEM bundle, DER bytes, or an array of those. */
    intermediates?: CertificateInput | CertificateInput[];
    /** ARN of the trust anchor. */
    trustAnchorArn: string;
    /** ARN of the Roles Anywhere profile. */
    profileArn: string;
    /** ARN of the IAM role to assume. */
    roleArn: string;
    /** Region to sign for; default: the trust anchor ARN's region. */
    region?: string;
    /** Base URL to send to instead of `https://rolesanywhere.{region}.amazonaws.com` (e.g. a local stand-in). */
    endpoint?: string;
    /** Use the FIPS endpoint `rolesanywhere-fips.{region}…`. */
    fips?: boolean;
    /** Session duration, 900 to 43200 seconds. */
    durationSeconds?: number;
    /** Role session name (the profile must accept custom names). */
    roleSessionName?: string;
    /** Signing time (a Date, or ms since 1970); default: now. */
    date?: Date | number;
    /**
     * Who signs a PEM/DER key. Default (`undefined`): WebCrypto, through a non-extractable
     * `CryptoKey` imported once and cached, falling back to the in-wasm signer for key formats
     * WebCrypto cannot import; in Deno, whose WebCrypto ECDSA is slower than the in-wasm signer,
     * EC keys are signed in wasm when the build has the signer. `"webcrypto"`: WebCrypto only. `"wasm"`: the
     * in-wasm signer, deterministic (RFC 6979 ECDSA, PKCS#1 v1.5 RSA, deterministic ML-DSA): the
     * same bytes as the CLI's `sign-request`. A build without an in-wasm signer for the key type
     * (see {@link wasmSigners}) rejects with `UnsupportedSigner` where it would need one.
     */
    signer?: "wasm" | "webcrypto";
}

/** Options of {@link getCredentials}. */
export interface GetCredentialsOptions extends CreateSessionOptions {
    /** The `fetch` to send with; default: `globalThis.fetch`. */
    fetch?: (input: string, init: RequestInit) => Promise<Response>;
    /** Aborts the request; the abort reason is thrown as is. */
    signal?: AbortSignal;
    /**
     * How long the exchange (connecting, sending, reading the answer) may take, in ms (1 to
     * 2147483647); after that it is aborted with a `Network` error. Default: the core's
     * `REQUEST_TIMEOUT_MS`, 30000. An answer larger than the core's `MAX_RESPONSE_LEN` (256 KiB)
     * is not read past that size and is an `InvalidResponse` error.
     */
    timeoutMs?: number;
}

/** A signed `CreateSession` request: what the CLI's `sign-request` prints. */
export interface SignedRequest {
    /** Always `"POST"`. */
    method: "POST";
    /** `https://rolesanywhere.{region}.amazonaws.com/sessions`, or the endpoint's equivalent. */
    url: string;
    /** Headers in signing order, then `Authorization`. */
    headers: Record<string, string>;
    /** The JSON body. */
    body: string;
}

/** Temporary AWS credentials, in the shape aws-sdk-js-v3 takes as `credentials`. */
export interface Credentials {
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken: string;
    expiration: Date;
    /**
     * The AWS account the credentials belong to: the account of the assumed-role ARN in AWS's
     * answer (the core's `Session::account_id`), as aws-sdk-js-v3's `AwsCredentialIdentity`
     * carries it; absent when the answer names no role ARN.
     */
    accountId?: string;
}

/**
 * Stable error codes on the `code` property of every `Error` this package throws: the core's
 * `ErrorCode` (src/error.rs), one list for every runtime and the CLI (tests/error_codes.rs fails
 * when this union and the core's list differ). `InvalidInput` is the CLI's (unreadable files).
 */
export type ErrorCode =
    | "InvalidOptions" | "InvalidInput" | "InvalidCertificate" | "InvalidKey" | "EncryptedKey" | "WrongPassword"
    | "KeyMismatch" | "InvalidPkcs12" | "UnsupportedSigner" | "InvalidRequest" | "InvalidTime" | "AccessDenied"
    | "Validation" | "NotFound" | "Throttled" | "Server" | "Other" | "InvalidResponse" | "Network" | "Aborted"
    | "Internal";

/** An `Error` with a stable {@link ErrorCode}; the message is human-readable and holds no key material. */
export interface RolesAnywhereError extends Error {
    code: ErrorCode;
    /**
     * On a 429 or 503 answer that carries `Retry-After` (delay-seconds or an HTTP-date): the wait
     * it asks for, in ms (at most the core's `MAX_RETRY_AFTER_MS`, one hour). The credential
     * provider waits at least this long before its next attempt.
     */
    retryAfterMs?: number;
}

/**
 * Builds and signs an IAM Roles Anywhere `CreateSession` request; sends nothing.
 * Rejects with a {@link RolesAnywhereError}.
 */
export function createSessionRequest(options: CreateSessionOptions): Promise<SignedRequest>;

/**
 * Gets temporary AWS credentials: signs `CreateSession`, sends it with `fetch`, and reads AWS's
 * answer. Rejects with a {@link RolesAnywhereError} (`AccessDenied`, `Validation`, `NotFound`,
 * `Throttled`, `Server`, `Network`, `InvalidCertificate`, `InvalidKey`, …); credentials that are
 * already expired at the signing time are `InvalidResponse`, never returned.
 */
export function getCredentials(options: GetCredentialsOptions): Promise<Credentials>;

/**
 * The key types this build of the package signs in wasm (`signer: "wasm"`, and the fallback for
 * keys WebCrypto cannot import, which includes ML-DSA wherever the runtime's WebCrypto lacks it):
 * `[]` in the `host` build, `["P-256"]` in `p256`, `["P-256", "P-384", "RSA", "ML-DSA-44",
 * "ML-DSA-65", "ML-DSA-87"]` in `full`.
 */
export function wasmSigners(): Promise<Array<"P-256" | "P-384" | "RSA" | "ML-DSA-44" | "ML-DSA-65" | "ML-DSA-87">>;

/** Access keys to sign AWS requests with: temporary ones from {@link getCredentials}, or any others. */
export interface AwsCredentials {
    accessKeyId: string;
    secretAccessKey: string;
    /** The session token of temporary credentials, sent as `X-Amz-Security-Token`. */
    sessionToken?: string;
    expiration?: Date;
}

/** A request to sign with {@link signRequest}. */
export interface SigV4Request {
    /** Default `"GET"`. */
    method?: string;
    /** `https://host[:port]/path?query`; the path and query are signed as written. */
    url: string | URL;
    /** All are signed except hop-by-hop and agent headers (`user-agent`, `connection`, `proxy-*`, `sec-*`, …). */
    headers?: HeadersInit;
    /** Hashed into the signature; streams need `unsignedPayload`. */
    body?: string | ArrayBuffer | ArrayBufferView | URLSearchParams | null;
}

/** Options of {@link signRequest}. */
export interface SigV4Options {
    /**
     * Signing name of the service: `"sts"`, `"s3"`, `"execute-api"`, … (S3 gets its own path
     * rules and `x-amz-content-sha256`). Left out (with `region` or alone): inferred from the
     * URL's host as aws4fetch does (`sts.us-west-2.amazonaws.com`, `bucket.s3.amazonaws.com`,
     * `SERVICE.REGION.api.aws`, API Gateway, Lambda function URLs); a host that names no service
     * and region rejects with `InvalidOptions`.
     */
    service?: string;
    /** Region, e.g. `"us-east-1"`; left out: inferred from the URL's host, as `service` is. */
    region?: string;
    /** Signing time; default now. */
    date?: Date;
    /** Presign: put the signature in the URL's query instead of `Authorization`. */
    presign?: boolean;
    /** How long a presigned URL stays valid, 1 to 604800 seconds; default 3600. */
    expiresIn?: number;
    /**
     * `true`: sign `UNSIGNED-PAYLOAD` instead of the body's hash (S3). `false`: sign the body's
     * hash, also in a presigned S3 URL. Left out: the service's default, which is the body's hash
     * except in presigned S3 URLs, which sign `UNSIGNED-PAYLOAD` as S3 checks them (S3 API
     * reference, "Authenticating Requests: Using Query Parameters") and the AWS SDKs' S3
     * presigners sign them.
     */
    unsignedPayload?: boolean;
    /** Sign `X-Amz-Security-Token` (default); `false` adds it after signing, as a few services want. */
    signSessionToken?: boolean;
}

/** A signed request: the input with the signature headers added, or the presigned URL. */
export interface SigV4SignedRequest {
    method: string;
    url: string;
    /** The request's headers plus `x-amz-date`, `x-amz-security-token`, `x-amz-content-sha256` (S3), `authorization`; for a presigned URL, the signed headers to send with it. */
    headers: Record<string, string>;
    body: unknown;
}

/**
 * Signs any AWS request with SigV4 (`AWS4-HMAC-SHA256`), in the wasm core; the signing key is
 * derived once per secret, day, region and service. Rejects with a {@link RolesAnywhereError}
 * (`InvalidOptions`, `InvalidRequest`).
 */
export function signRequest(request: SigV4Request, credentials: AwsCredentials, options: SigV4Options): Promise<SigV4SignedRequest>;

/** A credentials object, or a provider asked before every request (e.g. {@link fromRolesAnywhere}). */
export type CredentialsOrProvider = AwsCredentials | ((options?: { signal?: AbortSignal }) => Promise<AwsCredentials>);

/**
 * A `fetch` that signs every request with SigV4, like aws4fetch's `AwsClient`, and repeats
 * requests that may be repeated (idempotent methods: GET, HEAD, PUT, DELETE, OPTIONS, TRACE; or
 * `idempotent: true`) after 429, 5xx and network errors, signing each attempt anew. A
 * `Retry-After` longer than the backoff's 20 s cap returns the answer at once; the request's
 * `signal` ends a wait with its reason.
 */
export class AwsClient {
    constructor(options: {
        /** Credentials, or a provider asked before every attempt. */
        credentials: CredentialsOrProvider;
        /** Signing name of the service; left out: inferred from each request's URL (see {@link SigV4Options.service}). */
        service?: string;
        /** Region; left out: inferred from each request's URL. */
        region?: string;
        /** The `fetch` to send with; default `globalThis.fetch`. */
        fetch?: typeof fetch;
        /**
         * How many times a request that may be repeated is sent again after a 429, a 5xx or a
         * network error (integer >= 0); default: the core's `Backoff`, 3.
         */
        retries?: number;
        /**
         * The ceiling of the first backoff in ms (integer 0 to 20000); it doubles per retry up to
         * 20 s, the wait being a uniform random time below it (full jitter), and at least the
         * answer's `Retry-After`. Default 100.
         */
        initialRetryMs?: number;
        /** aws4fetch's name for `initialRetryMs`. */
        initRetryMs?: number;
    });
    /** Signs `input`/`init` as `fetch` takes them and returns the signed `Request`. */
    sign(input: RequestInfo | URL, init?: RequestInit & { date?: Date; presign?: boolean; expiresIn?: number; unsignedPayload?: boolean }): Promise<Request>;
    /**
     * Signs and sends, retrying as the class describes. Resolves to the last answer (also an
     * error status); rejects with a `Network` {@link RolesAnywhereError} when the last attempt
     * got no answer, or with the signal's reason on abort.
     */
    fetch(input: RequestInfo | URL, init?: RequestInit & {
        /** Repeat this request even though its method is not idempotent (e.g. a POST that only reads). */
        idempotent?: boolean;
    }): Promise<Response>;
}

/** The certificate and key for one refresh, from {@link ProviderOptions.source}. */
export interface CertificateMaterial {
    certificate: CertificateInput;
    privateKey: CertificateInput | CryptoKey;
    intermediates?: CertificateInput | CertificateInput[];
}

/** Options of {@link createCredentialProvider}: those of {@link getCredentials}, plus timing. */
export interface ProviderOptions extends Omit<GetCredentialsOptions, "certificate" | "privateKey" | "date" | "signal"> {
    certificate?: CertificateInput;
    privateKey?: CertificateInput | CryptoKey;
    /** Supplies the certificate and key on every refresh (rotating certificates); overrides the fixed ones. */
    source?: () => Promise<CertificateMaterial>;
    /** Refresh at the latest this long before the credentials or the certificate expire; default 300. */
    refreshMarginSeconds?: number;
    /** Retries after throttling, server and network errors; default 3. */
    maxRetries?: number;
    /** First backoff ceiling, default 100 ms; doubles up to `maxDelayMs` (default 20000). */
    baseDelayMs?: number;
    maxDelayMs?: number;
    /** Clock in ms (tests); default `Date.now`. */
    now?: () => number;
    /** Waits before a retry (tests); default `setTimeout`, cancelled by the caller's signal. */
    sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
    /** Random number in [0, 1) for the jitter (tests); default `Math.random`. */
    random?: () => number;
    /** Share one pending refresh among concurrent callers; default true, false in workerd (see README). */
    shareRefresh?: boolean;
    /**
     * How long one refresh may run, all its attempts included, default 120000 ms (the core's
     * `ProviderConfig::refresh_timeout_ms`): then its request is aborted, its waiters get a
     * `Network` error, and later callers start a new refresh instead of joining the hung one.
     * A caller's own `signal` ends only that caller's wait on a shared refresh.
     */
    refreshTimeoutMs?: number;
    /**
     * A store shared by processes or isolates (Deno KV: `denoKvStore` from `rolesanywhere/store`),
     * so that they make one `CreateSession` per refresh between them: the provider takes the
     * store's credentials while they are fresh, and otherwise takes the store's lock, signs in
     * and writes them, sealed with `storeSecret`, while the others wait for that entry. A store
     * that fails is no store (the provider signs in itself). Needs `storeSecret`.
     */
    store?: SharedStore;
    /**
     * The secret that seals the store's entries (AES-256-GCM, key by HKDF-SHA-256, at least 32
     * characters), or a list: the current secret first, then previous ones still accepted for
     * reading while rotating. An entry that does not open is no entry.
     */
    storeSecret?: string | string[];
}

/**
 * A store shared by the providers of several processes or isolates (`ProviderOptions.store`). It
 * keeps opaque bytes (sealed credentials: never a plaintext secret) under keys that name an
 * identity (a SHA-256 hex string of the certificate and the sign-in options), and a lock per key.
 */
export interface SharedStore {
    /** The bytes under `key`, or null. */
    get(key: string): Promise<Uint8Array | null>;
    /** Keeps `value` under `key`; it may be dropped after `expiresAt` (ms since 1970). */
    set(key: string, value: Uint8Array, options: { expiresAt: number }): Promise<void>;
    /**
     * Takes the lock of `key` for at most `ttlMs` (a holder that dies stops blocking others then)
     * if no one holds it, atomically across everything sharing the store: returns the function
     * that releases it, or null while another holds it.
     */
    lock(key: string, options: { ttlMs: number }): Promise<(() => Promise<void>) | null>;
}

/** A caching credential provider. */
export type CredentialProvider = (options?: { signal?: AbortSignal }) => Promise<Credentials>;

/**
 * A provider that caches credentials, refreshes them at half their lifetime (or earlier: margin,
 * certificate expiry), shares one refresh among concurrent callers, serves the old credentials
 * while a refresh fails and they are valid, and retries throttling/5xx/network errors with
 * full-jitter backoff.
 */
export function createCredentialProvider(options: ProviderOptions): CredentialProvider;

/** An aws-sdk-js-v3 credential provider: `new STSClient({ credentials: fromRolesAnywhere({...}) })`. */
export function fromRolesAnywhere(options: ProviderOptions): (identityProperties?: { signal?: AbortSignal }) => Promise<Credentials>;
