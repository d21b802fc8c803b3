// The runtime-independent part of the package: option handling, WebCrypto signing and fetch.
// The protocol itself (checks, canonical request, string to sign, Authorization header, reading
// AWS's answer) is all in the wasm core; this file only moves values between it and the host.
import * as wasm from "./glue/rolesanywhere.js";
import { decode, decodeRecord, decodeReply, encode, replies } from "./wire.js";

let loader = null;
let ready = null;
let preferWasm = [];
let signerList = null;
let optionNames = null;
let lastRecord = null; // {values, record}: optionsRecord's last record
let limits = null;

/**
 * Sets how the runtime entry loads the wasm module (called once by `web.js`, `node.js`,
 * `workerd.js`, when they are imported), and for which key types the default signer is the
 * in-wasm one (where the runtime's WebCrypto is slower than it, and the build has it). Internal.
 * The load starts here rather than at the first call, so that reading and compiling the .wasm
 * overlap with what the caller does in between (reading its certificate, importing a key). A
 * failure goes to the calls waiting for it, never as an unhandled rejection; a later call loads
 * again.
 * @param {() => unknown} load
 * @param {{preferWasm?: string[]}} [options]
 */
export function setLoader(load, options = {}) {
    loader = load;
    ready = null;
    signerList = null;
    optionNames = null;
    lastRecord = null;
    limits = null;
    preferWasm = options.preferWasm ?? [];
    loaded().catch(() => {});
}

/** The build's in-wasm signers (after `loaded()`). */
function buildSigners() {
    return (signerList ??= decode(wasm.wasmSigners()));
}

/** Resolves once the wasm module is ready. Internal (used by the other modules of the package). */
export function loaded() {
    if (ready === null) {
        ready = Promise.resolve()
            .then(() => loader())
            .catch((e) => {
                ready = null;
                throw e;
            });
    }
    return ready;
}

/**
 * An `Error` with a stable `code`.
 * @param {string} code
 * @param {string} message
 * @param {unknown} [cause]
 */
export function fail(code, message, cause) {
    const error = cause === undefined ? new Error(message) : new Error(message, { cause });
    error.code = code;
    return error;
}

const subtle = () => globalThis.crypto?.subtle;

function isCryptoKey(key) {
    if (typeof CryptoKey === "function" && key instanceof CryptoKey) return true;
    return key !== null && typeof key === "object" && !ArrayBuffer.isView(key) &&
        typeof key.type === "string" && typeof key.algorithm === "object";
}

/** Throws `InvalidOptions` unless `options` is an object. */
export function checkObject(options) {
    if (options === null || typeof options !== "object") throw fail("InvalidOptions", "options must be an object");
}

/**
 * The signing time of `options.date` in ms: a Date, ms since 1970, or now; anything else is NaN,
 * which the core refuses with `InvalidOptions`.
 */
export function dateOf(options) {
    const date = options.date;
    if (date === undefined) return Date.now();
    if (date instanceof Date) return date.getTime();
    return typeof date === "number" ? date : NaN;
}

// ---- options and results across the wasm boundary (one message each way, wire.js) ---------

/**
 * The request options as the core takes them: a record of each name the core lists
 * (`CreateSessionOptions::NAMES`) with the caller's value, whose type the core checks. The last
 * record made of primitive values is reused while the values stay the same (`Object.is`): a client
 * signing again with the same options skips encoding them, and the core finds the request
 * template it built for that record (`Certificates::template`).
 */
function optionsRecord(options) {
    optionNames ??= decode(wasm.createSessionOptionNames());
    const values = optionNames.map((name) => options[name]);
    const last = lastRecord;
    if (last !== null && values.every((v, i) => Object.is(v, last.values[i]))) return last.record;
    const record = encode(optionNames.flatMap((name, i) => [name, values[i]]));
    const primitive = (v) => v === null || (typeof v !== "object" && typeof v !== "function");
    // A copy: `encode` writes small messages into a scratch buffer that the next one reuses.
    lastRecord = values.every(primitive) ? { values, record: record.slice() } : null;
    return record;
}

/** `{method, url, headers, body}` from wasm's reply: method, URL, body, then header names and
 * values in signing order (as the CLI prints them). */
function requestFrom(reply) {
    const values = decodeReply(reply);
    const headers = {};
    for (let i = 3; i < values.length; i += 2) headers[values[i]] = values[i + 1];
    return { method: values[0], url: values[1], headers, body: values[2] };
}

// ---- keys held by the host (WebCrypto) ---------------------------------------------------

/** Whether the key type is an ML-DSA set (`ML-DSA-44`, `-65`, `-87`). */
const isMlDsa = (keyType) => keyType.startsWith("ML-DSA-");

/** WebCrypto parameters for the certificate's key type (`P-256`, `P-384`, `RSA`, `ML-DSA-NN`
 * as the WebCrypto draft for ML-DSA names them, which no runtime is assumed to have: an import
 * that fails sends the key to the in-wasm signer). */
function importParams(keyType) {
    if (isMlDsa(keyType)) return { name: keyType };
    return keyType === "RSA"
        ? { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }
        : { name: "ECDSA", namedCurve: keyType };
}

function signParams(keyType) {
    // Pure ML-DSA over the string to sign with the empty context, the draft's default
    // (AWS4-X509-MLDSA); CreateSession hashes with SHA-256 on every curve (AWS4-X509-ECDSA-SHA256).
    if (isMlDsa(keyType)) return { name: keyType };
    return keyType === "RSA" ? { name: "RSASSA-PKCS1-v1_5" } : { name: "ECDSA", hash: "SHA-256" };
}

function checkKeyAlgorithm(key, keyType) {
    const alg = key.algorithm ?? {};
    const ok = isMlDsa(keyType) ? alg.name === keyType : keyType === "RSA"
        ? alg.name === "RSASSA-PKCS1-v1_5" && alg.hash?.name === "SHA-256"
        : alg.name === "ECDSA" && alg.namedCurve === keyType;
    if (!ok || key.type !== "private" || !key.usages?.includes("sign")) {
        const what = isMlDsa(keyType) ? `an ${keyType}` : keyType === "RSA" ? "an RSASSA-PKCS1-v1_5 SHA-256" : `an ECDSA ${keyType}`;
        throw fail("KeyMismatch", `the certificate needs ${what} private key with the "sign" usage`);
    }
}

/** CryptoKeys already checked against a certificate's public key: key -> Set of the public keys
 * (as `PendingRequest.facts` gives them; a serial number would not do: two CAs can issue one). */
const checkedKeys = new WeakMap();

/**
 * The certificate's public key, imported for the one-time check of a (key, certificate) pair
 * (`checkKeyOnce`); null once the pair is checked. Started while WebCrypto signs, so that the
 * import and the signature overlap.
 */
function publicKeyToCheck(key, prepared) {
    if (checkedKeys.get(key)?.has(prepared.keyId)) return null;
    const jwk = decodeRecord(prepared.pending.publicKeyJwk());
    const publicKey = subtle().importKey("jwk", jwk, importParams(prepared.keyType), false, ["verify"]);
    publicKey.catch(() => {}); // awaited by checkKeyOnce, unless signing failed first
    return publicKey;
}

/** Records that `key` belongs to the public key `keyId`. */
function markChecked(key, keyId) {
    let keyIds = checkedKeys.get(key);
    if (!keyIds) checkedKeys.set(key, (keyIds = new Set()));
    keyIds.add(keyId);
}

/** Verifies the first signature of each (key, certificate) pair with the certificate's public
 * key (`publicKey`, from `publicKeyToCheck`), so that a wrong pairing fails here with
 * `KeyMismatch` rather than at AWS. */
async function checkKeyOnce(key, prepared, signature, publicKey) {
    if (publicKey === null) return;
    const { keyType, keyId, message } = prepared;
    if (!(await subtle().verify(signParams(keyType), await publicKey, signature, message))) {
        throw fail("KeyMismatch", "the private key does not match the certificate's public key");
    }
    markChecked(key, keyId);
}

/**
 * The one-time check of a CryptoKey imported from `privateKey` (PEM text or DER bytes), done by
 * the core from the public key those bytes carry (`PendingRequest.checkKey`): throws
 * `KeyMismatch` for a wrong pairing; a pair it has checked skips `checkKeyOnce`'s WebCrypto
 * import and verify, and one it cannot tell (a key written without its public key) goes to them.
 */
function checkKeyBytes(key, prepared, privateKey) {
    if (checkedKeys.get(key)?.has(prepared.keyId)) return;
    const message = encode([privateKey]);
    try {
        if (prepared.pending.checkKey(message)) markChecked(key, prepared.keyId);
    } finally {
        message.fill(0);
    }
}

/** Signs the prepared request (see `withPending`) with a WebCrypto key and lets the core
 * finish it. */
async function signWithCryptoKey(prepared, key) {
    const { pending, keyType, message } = prepared;
    checkKeyAlgorithm(key, keyType);
    const signing = (async () => subtle().sign(signParams(keyType), key, message))();
    signing.catch(() => {}); // awaited below, unless the public key's import throws first
    const publicKey = publicKeyToCheck(key, prepared);
    let signature;
    try {
        signature = new Uint8Array(await signing);
    } catch (e) {
        throw fail("InvalidKey", `WebCrypto could not sign with the key: ${e?.message ?? e}`, e);
    }
    await checkKeyOnce(key, prepared, signature, publicKey);
    return requestFrom(pending.finish(signature, replies()));
}

// PEM/DER keys on the default path: imported once into a non-extractable CryptoKey.
const pemKeys = new Map(); // `${keyType}\n${pem}` -> Promise<CryptoKey | null>
const derKeys = new WeakMap(); // Uint8Array -> Map(keyType -> Promise<CryptoKey | null>)
const MAX_PEM_KEYS = 32;

/** The PKCS#8 DER of a `PRIVATE KEY` PEM block; null for other key formats (SEC1, PKCS#1). */
function pkcs8FromPem(pem) {
    const m = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/.exec(pem);
    if (!m) throw fail("InvalidKey", "no PEM private key found in options.privateKey");
    if (m[1] === "ENCRYPTED PRIVATE KEY" || /Proc-Type:\s*4,ENCRYPTED/.test(m[2])) {
        throw fail("EncryptedKey", "the private key is encrypted: give its password as options.pkcs8Password");
    }
    if (m[1] !== "PRIVATE KEY") return null;
    try {
        return Uint8Array.from(atob(m[2].replace(/\s+/g, "")), (c) => c.charCodeAt(0));
    } catch (e) {
        throw fail("InvalidKey", "the PEM private key is not valid base64", e);
    }
}

/** Imports a PKCS#8 key, or resolves to null when WebCrypto cannot take it (other formats,
 * other curves): the caller then falls back to the in-wasm signer. */
async function importPkcs8(der, keyType) {
    if (!der || !subtle()) return null;
    try {
        return await subtle().importKey("pkcs8", der, importParams(keyType), false, ["sign"]);
    } catch {
        return null;
    }
}

function cryptoKeyFor(privateKey, keyType) {
    if (typeof privateKey === "string") {
        const id = `${keyType}\n${privateKey}`;
        let p = pemKeys.get(id);
        if (!p) {
            p = Promise.resolve().then(() => importPkcs8(pkcs8FromPem(privateKey), keyType));
            p.catch(() => pemKeys.delete(id));
            if (pemKeys.size >= MAX_PEM_KEYS) pemKeys.delete(pemKeys.keys().next().value);
            pemKeys.set(id, p);
        }
        return p;
    }
    let byType = derKeys.get(privateKey);
    if (!byType) derKeys.set(privateKey, (byType = new Map()));
    let p = byType.get(keyType);
    if (!p) {
        p = importPkcs8(privateKey.slice(), keyType);
        byType.set(keyType, p);
    }
    return p;
}

// ---- parsed inputs kept in wasm ------------------------------------------------------------
// Parsing a certificate (PEM, base64, DER) or a key (and deriving its public key) costs more
// than the rest of a request, so the wasm objects are kept per input string, like the
// CryptoKeys above; evicted ones are freed (a key's secret is zeroized then). Byte inputs
// (Uint8Array) are parsed on every call: their contents can change under the same object.
const MAX_PARSED = 32;

function remember(cache, id, make) {
    let v = cache.get(id);
    if (v === undefined) {
        v = make();
        if (cache.size >= MAX_PARSED) {
            const [oldId, old] = cache.entries().next().value;
            cache.delete(oldId);
            if (lastCertificates?.certs === old) lastCertificates = null;
            old.free();
        }
        cache.set(id, v);
    }
    return v;
}

const certCache = new Map(); // certificate + intermediates text -> wasm Certificates
// The last string inputs found in certCache and their entry: the next request with the same
// certificate (and intermediates string) skips building and hashing the cache key, ~1.5 KB of
// text per request (~2 µs in Node). Cleared when the entry is evicted.
let lastCertificates = null; // {certificate, intermediates, certs}
const wasmKeys = new Map(); // PEM text -> wasm WasmKey

/** The certificate and intermediates as the core parses them: the leaf, then each intermediate
 * input (a PEM bundle or DER bytes). */
function certificatesMessage(certificate, intermediates) {
    if (intermediates === undefined || intermediates === null) return encode([certificate]);
    return encode(Array.isArray(intermediates) ? [certificate, ...intermediates] : [certificate, intermediates]);
}

/** Calls `use(certificates)` with the parsed `options.certificate` and `options.intermediates`. */
export function withCertificates(options, use) {
    const { certificate, intermediates } = options;
    const chain = intermediates === undefined || intermediates === null ? "" : intermediates;
    const last = lastCertificates;
    if (last !== null && last.certificate === certificate && last.intermediates === chain) return use(last.certs);
    const texts = Array.isArray(chain) ? chain : [chain];
    const parse = () => wasm.parseCertificates(certificatesMessage(certificate, intermediates));
    if (typeof certificate === "string" && texts.every((t) => typeof t === "string")) {
        const id = `${certificate}\0${texts.join("\0")}`;
        const certs = remember(certCache, id, parse);
        // Arrays can change under the same object: only string inputs are remembered this way.
        if (typeof chain === "string") lastCertificates = { certificate, intermediates: chain, certs };
        return use(certs);
    }
    const certs = parse();
    try {
        return use(certs);
    } finally {
        certs.free();
    }
}

/** A private key parsed for the in-wasm signer; the message that carried it is zeroed. */
function parseKey(privateKey) {
    const message = encode([privateKey]);
    try {
        return wasm.parseKey(message);
    } finally {
        message.fill(0);
    }
}

/**
 * The PKCS#8 DER of `privateKey` decrypted with `password` (`options.pkcs8Password`) in wasm, or
 * null when there is no password or the key is not encrypted. The caller zeroes it after use.
 */
function decryptedKey(privateKey, password) {
    if (password === undefined) return null;
    if (typeof password !== "string" && !(password instanceof Uint8Array)) {
        throw fail("InvalidOptions", "options.pkcs8Password must be a string or bytes (Uint8Array)");
    }
    if (typeof privateKey !== "string" && !(privateKey instanceof Uint8Array)) return null;
    const message = encode([privateKey, password]);
    try {
        return wasm.decryptKey(message) ?? null;
    } finally {
        message.fill(0);
    }
}

/**
 * `options` with `options.pkcs12` opened in wasm (with `options.pkcs12Password`) into the
 * certificate, private key (PKCS#8 DER) and intermediates it holds, signed with as if given
 * apart; intermediates also given in `options.intermediates` come after the file's. Null without
 * `options.pkcs12`. The caller calls `zero()` after use: the key's bytes are in `reply`.
 */
export function openPkcs12(options) {
    const { pkcs12, pkcs12Password } = options;
    if (pkcs12 === undefined) {
        if (pkcs12Password !== undefined) throw fail("InvalidOptions", "options.pkcs12Password is given without options.pkcs12");
        return null;
    }
    if (options.certificate !== undefined || options.privateKey !== undefined) {
        throw fail("InvalidOptions", "options.pkcs12 holds the certificate and its private key: omit options.certificate and options.privateKey");
    }
    if (options.pkcs8Password !== undefined) {
        throw fail("InvalidOptions", "options.pkcs8Password: the key comes from options.pkcs12; give its password as options.pkcs12Password");
    }
    if (pkcs12Password !== undefined && typeof pkcs12Password !== "string" && !(pkcs12Password instanceof Uint8Array)) {
        throw fail("InvalidOptions", "options.pkcs12Password must be a string or bytes (Uint8Array)");
    }
    const message = encode([pkcs12, pkcs12Password]);
    let reply;
    try {
        reply = wasm.openPkcs12(message);
    } finally {
        message.fill(0);
    }
    const [certificate, privateKey, ...chain] = decode(reply);
    const given = options.intermediates;
    const intermediates = given === undefined || given === null ? chain : chain.concat(given);
    return {
        options: { ...options, certificate, privateKey, intermediates, pkcs12: undefined, pkcs12Password: undefined },
        zero: () => reply.fill(0),
    };
}

/** Signs in wasm with the key parsed once per PEM text. */
function signInWasm(options, date, privateKey) {
    return withCertificates(options, (certs) => {
        const sign = (key) => requestFrom(wasm.signCreateSession(optionsRecord(options), date, certs, key, replies()));
        if (typeof privateKey === "string") return sign(remember(wasmKeys, privateKey, () => parseKey(privateKey)));
        const key = parseKey(privateKey);
        try {
            return sign(key);
        } finally {
            key.free();
        }
    });
}

/** Runs `use(pending)` on the request prepared up to its string to sign (a wasm
 * `PendingRequest`), then frees it. */
export async function withPendingRequest(options, date, use) {
    const pending = withCertificates(options, (certs) => wasm.prepareCreateSession(optionsRecord(options), date, certs));
    try {
        return await use(pending);
    } finally {
        pending.free();
    }
}

/** `withPendingRequest`, with what signing needs: `{pending, keyType, message, keyId}`
 * (`message`: the UTF-8 bytes of the string to sign, what the key signs; `keyId`: the
 * certificate's public key as text, which the one-time key check remembers). */
function withPending(options, date, use) {
    return withPendingRequest(options, date, (pending) => {
        const [keyType, , message, keyId] = decode(pending.facts());
        return use({ pending, keyType, message, keyId });
    });
}

// ---- public API ----------------------------------------------------------------------------

/**
 * Builds and signs an IAM Roles Anywhere `CreateSession` request. Sends nothing.
 *
 * @param {import("./index.d.ts").CreateSessionOptions} options
 * @returns {Promise<import("./index.d.ts").SignedRequest>} `{method, url, headers, body}`, the
 *   object the CLI's `sign-request` prints.
 */
export async function createSessionRequest(options) {
    await loaded();
    checkObject(options);
    const opened = openPkcs12(options);
    if (opened) {
        try {
            return await createSessionRequest(opened.options);
        } finally {
            opened.zero();
        }
    }
    const date = dateOf(options);
    let privateKey = options.privateKey;
    if (privateKey instanceof ArrayBuffer) privateKey = new Uint8Array(privateKey);
    const plain = decryptedKey(privateKey, options.pkcs8Password);
    if (plain) {
        try {
            return await createSessionRequest({ ...options, privateKey: plain, pkcs8Password: undefined });
        } finally {
            plain.fill(0);
        }
    }
    const signer = options.signer ?? "auto";
    if (signer !== "auto" && signer !== "wasm" && signer !== "webcrypto") {
        throw fail("InvalidOptions", 'options.signer must be "wasm", "webcrypto" or undefined');
    }
    if (isCryptoKey(privateKey)) {
        if (signer === "wasm") throw fail("InvalidOptions", 'signer "wasm" needs a PEM or DER private key, not a CryptoKey');
        if (!subtle()) throw fail("InvalidKey", "a CryptoKey was given but crypto.subtle is missing");
        return withPending(options, date, (prepared) => signWithCryptoKey(prepared, privateKey));
    }
    if (typeof privateKey !== "string" && !(privateKey instanceof Uint8Array)) {
        throw fail("InvalidOptions", "options.privateKey must be a PEM string, DER bytes (Uint8Array) or a CryptoKey");
    }
    if (signer === "wasm") return signInWasm(options, date, privateKey);

    // Default: sign with WebCrypto through a cached non-extractable CryptoKey; keys WebCrypto
    // cannot import (SEC1, PKCS#1) go to the in-wasm signer when this build has one, and so do
    // the key types the runtime entry prefers in wasm (Deno's ECDSA).
    const signed = await withPending(options, date, async (prepared) => {
        const keyType = prepared.keyType;
        if (signer === "auto" && preferWasm.includes(keyType) && buildSigners().includes(keyType)) return null;
        const key = await cryptoKeyFor(privateKey, keyType);
        if (key) {
            checkKeyBytes(key, prepared, privateKey);
            return signWithCryptoKey(prepared, key);
        }
        if (signer === "webcrypto" || !buildSigners().includes(keyType)) {
            const why = isMlDsa(keyType)
                ? `this runtime's WebCrypto has no ${keyType}`
                : "WebCrypto cannot import this private key (it takes unencrypted PKCS#8: convert with `openssl pkcs8 -topk8 -nocrypt`)";
            throw fail("UnsupportedSigner", `${why}, and ${signer === "webcrypto" ? 'signer "webcrypto" was asked for' : "this build has no in-wasm signer for it"}`);
        }
        return null;
    });
    return signed ?? signInWasm(options, date, privateKey);
}

/**
 * The key types this build of the package can sign in wasm (`signer: "wasm"`, and keys that
 * WebCrypto cannot import): a subset of `["P-256", "P-384", "RSA", "ML-DSA-44", "ML-DSA-65",
 * "ML-DSA-87"]`, empty for the `host` build.
 *
 * @returns {Promise<string[]>}
 */
export async function wasmSigners() {
    await loaded();
    return [...buildSigners()];
}

/** The core's limits on one `CreateSession` exchange: `{maxResponseLen, requestTimeoutMs}`. */
export function exchangeLimits() {
    if (limits === null) {
        const [maxResponseLen, requestTimeoutMs] = decode(wasm.exchangeLimits());
        limits = { maxResponseLen, requestTimeoutMs };
    }
    return limits;
}

/** The rejection of `signal`: its reason, or an `Aborted` error when it gave none. */
export function abortReason(signal) {
    return signal.reason ?? fail("Aborted", "aborted");
}

/**
 * `promise`, or a rejection with the abort reason as soon as `signal` (optional) aborts (the
 * promise itself goes on): so that an abort reaches the caller even through a `fetch` or a stream
 * that ignores the signal.
 */
export function untilAborted(promise, signal) {
    if (!signal) return promise;
    if (signal.aborted) return Promise.reject(abortReason(signal));
    return new Promise((resolve, reject) => {
        const onAbort = () => reject(abortReason(signal));
        signal.addEventListener("abort", onAbort, { once: true });
        promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
}

/** Waits `ms`, or rejects with the abort reason as soon as `signal` (optional) aborts. */
export function sleep(ms, signal) {
    return new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(abortReason(signal));
        const timer = setTimeout(() => {
            signal?.removeEventListener("abort", onAbort);
            resolve();
        }, ms);
        const onAbort = () => {
            clearTimeout(timer);
            reject(abortReason(signal));
        };
        signal?.addEventListener("abort", onAbort, { once: true });
    });
}

/**
 * Reads a response's body up to `max` bytes: the bytes, or `undefined` when the body is larger
 * (the `Content-Length` says so, or the stream goes past `max`), in which case reading stops
 * there and the rest is never fetched. `signal` (optional) cancels the read.
 * @returns {Promise<Uint8Array | undefined>}
 */
export async function readBody(response, max, signal) {
    signal ??= new AbortController().signal;
    const declared = response.headers.get("content-length");
    const stream = response.body;
    if (declared !== null && Number(declared) > max) {
        stream?.cancel().catch(() => {});
        return undefined;
    }
    if (!stream) return new Uint8Array(0);
    const reader = stream.getReader();
    const onAbort = () => reader.cancel(signal.reason).catch(() => {});
    signal.addEventListener("abort", onAbort, { once: true });
    const chunks = [];
    let size = 0;
    try {
        for (;;) {
            const { done, value } = await untilAborted(reader.read(), signal);
            if (done) break;
            size += value.byteLength;
            if (size > max) {
                reader.cancel().catch(() => {});
                return undefined;
            }
            chunks.push(value);
        }
    } finally {
        signal.removeEventListener("abort", onAbort);
    }
    if (chunks.length === 1) return chunks[0];
    const body = new Uint8Array(size);
    let at = 0;
    for (const chunk of chunks) {
        body.set(chunk, at);
        at += chunk.byteLength;
        chunk.fill(0); // it held part of the secret
    }
    return body;
}

/** The longest `setTimeout` delay, 2^31 - 1 ms (about 24.8 days; longer ones fire at once). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** `options.timeoutMs`, or the core's default; `InvalidOptions` unless a positive number of ms. */
function timeoutOf(options) {
    const timeoutMs = options.timeoutMs ?? exchangeLimits().requestTimeoutMs;
    if (typeof timeoutMs !== "number" || !(timeoutMs > 0 && timeoutMs <= MAX_TIMER_MS)) {
        throw fail("InvalidOptions", `options.timeoutMs must be a number of milliseconds from 1 to ${MAX_TIMER_MS}`);
    }
    return timeoutMs;
}

/**
 * Gets temporary AWS credentials: signs `CreateSession`, sends it with `fetch`, and reads the
 * answer. The result is what aws-sdk-js-v3 takes as `credentials`. The exchange (connecting,
 * sending, reading at most the core's `MAX_RESPONSE_LEN` of answer) is aborted after
 * `options.timeoutMs` (default: the core's `REQUEST_TIMEOUT_MS`, 30 s) with a `Network` error,
 * and by `options.signal` with its reason. Credentials that are already expired at the signing
 * time are an `InvalidResponse` error. An error answer's `Retry-After` (429, 503) is on the
 * error as `retryAfterMs`.
 *
 * @param {import("./index.d.ts").GetCredentialsOptions} options
 * @returns {Promise<import("./index.d.ts").Credentials>}
 */
export async function getCredentials(options) {
    await loaded();
    checkObject(options);
    const date = dateOf(options);
    const timeoutMs = timeoutOf(options);
    const doFetch = options.fetch ?? globalThis.fetch;
    if (typeof doFetch !== "function") throw fail("InvalidOptions", "options.fetch must be a function");
    const signal = options.signal;
    if (signal !== undefined && typeof signal?.addEventListener !== "function") throw fail("InvalidOptions", "options.signal must be an AbortSignal");
    if (signal?.aborted) throw abortReason(signal);
    const request = await createSessionRequest(options.date === undefined ? { ...options, date } : options);

    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
    }, timeoutMs);
    const onAbort = () => controller.abort(signal.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    let response, body;
    try {
        response = await untilAborted(doFetch(request.url, {
            method: request.method,
            headers: request.headers,
            body: request.body,
            signal: controller.signal,
        }), controller.signal);
        body = await readBody(response, exchangeLimits().maxResponseLen, controller.signal);
    } catch (e) {
        if (signal?.aborted) throw abortReason(signal);
        if (timedOut) throw fail("Network", `CreateSession request to ${request.url} got no complete answer within ${timeoutMs} ms`);
        throw fail("Network", `CreateSession request to ${request.url} failed: ${e?.message ?? e}`, e);
    } finally {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
    }
    try {
        return credentialsFrom(response, body, date);
    } finally {
        body?.fill(0);
    }
}

/**
 * The credentials of AWS's answer to `CreateSession` (the response and its body, `undefined`
 * when it was too large), or its error with the service's code (`AccessDenied`, `Validation`,
 * `NotFound`, `Throttled`, `Server`, …) and, when the answer asks for one, the `Retry-After`
 * wait in ms as `retryAfterMs`. With `date` (the signing time, ms), credentials already
 * expired then are an `InvalidResponse` error.
 */
export function credentialsFrom(response, body, date) {
    let record;
    try {
        record = wasm.parseResponse(response.status, response.headers.get("x-amzn-errortype") ?? undefined, body, date);
    } catch (error) {
        const retryAfter = response.headers.get("retry-after");
        const ms = retryAfter === null ? undefined : wasm.retryAfter(response.status, retryAfter, Date.now());
        if (ms !== undefined && error && typeof error === "object") error.retryAfterMs = ms;
        throw error;
    }
    const credentials = decodeRecord(record);
    record.fill(0);
    credentials.expiration = new Date(credentials.expiration);
    return credentials;
}

/**
 * `getCredentials`, plus when the leaf certificate expires (ms since 1970), for the provider.
 * Internal.
 * @returns {Promise<{credentials: import("./index.d.ts").Credentials, certificateNotAfter: number}>}
 */
export async function getCredentialsDetailed(options) {
    await loaded();
    checkObject(options);
    const opened = openPkcs12(options);
    try {
        const material = opened?.options ?? options;
        const credentials = await getCredentials(material);
        const certificateNotAfter = withCertificates(material, (certs) => certs.notAfter);
        return { credentials, certificateNotAfter };
    } finally {
        opened?.zero();
    }
}
