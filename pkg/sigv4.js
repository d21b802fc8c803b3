// SigV4 for any AWS request, signed in the wasm core (`rolesanywhere::sigv4`): `signRequest`
// signs a request-like object, `AwsClient` signs and sends with `fetch`. One call into wasm per
// request, one message each way (wire.js); the signing key is derived once per secret, day,
// region and service and kept there.
import * as wasm from "./glue/rolesanywhere.js";
import { fail, loaded, sleep } from "./core.js";
import { decodeReply, encode, replies } from "./wire.js";

let signer = null; // wasm SigV4Signer, made on first use
/** Where the headers start in the message `SigV4Signer.sign` takes (src/wasm/sigv4.rs). */
const HEADERS = 13;

/** Appends the headers to `out` as name, value, name, value…, from a `Headers`, an array of
 * pairs or a record. */
function appendHeaders(out, headers) {
    if (headers == null) return;
    if (typeof headers !== "object") throw fail("InvalidOptions", "request.headers must be a Headers, an array of [name, value] pairs or a record");
    if (typeof headers.entries !== "function" && !Array.isArray(headers)) {
        // A record: its own enumerable string keys, as Object.entries has them, without a pair
        // array per header.
        for (const name of Object.keys(headers)) {
            const value = headers[name];
            if (value !== undefined) out.push(name, String(value));
        }
        return;
    }
    const entries = Array.isArray(headers) ? headers : headers.entries();
    for (const entry of entries) {
        if (!Array.isArray(entry) || entry.length !== 2) throw fail("InvalidOptions", "request.headers must be a Headers, an array of [name, value] pairs or a record");
        const [name, value] = entry;
        if (value === undefined) continue;
        out.push(String(name), String(value));
    }
}

/** `name` as the literal string of the same text when it is one of the headers the core adds:
 * a name decoded from the reply is a new string, which V8 looks up in its string table (hashing
 * it) each time it becomes an object key: 2 % of a signed request in Node's profile. */
function literalName(name) {
    switch (name) {
        case "x-amz-date": return "x-amz-date";
        case "x-amz-security-token": return "x-amz-security-token";
        case "x-amz-content-sha256": return "x-amz-content-sha256";
        case "authorization": return "authorization";
        default: return name;
    }
}

/** The body to hash: a string, bytes, or `null` for none. */
function bodyValue(body) {
    if (body == null) return null;
    if (typeof body === "string" || body instanceof Uint8Array) return body;
    if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    if (body instanceof ArrayBuffer) return new Uint8Array(body);
    if (typeof URLSearchParams === "function" && body instanceof URLSearchParams) return body.toString();
    throw fail("InvalidOptions", "request.body must be a string, bytes, URLSearchParams or null (streams: use unsignedPayload)");
}

/**
 * Signs an AWS request with SigV4 (`AWS4-HMAC-SHA256`): returns the same request with the
 * `x-amz-date`, `x-amz-security-token`, `x-amz-content-sha256` (S3) and `authorization`
 * headers added, or with `presign: true` a presigned URL (`X-Amz-*` query parameters).
 * `service` and `region` left out are inferred from the URL's host by the core
 * (`sigv4::infer_scope`, aws4fetch's rule), an `InvalidOptions` error when the host names
 * neither. Presigned S3 URLs sign `UNSIGNED-PAYLOAD` unless `unsignedPayload` is `false`.
 * @param {{method?: string, url: string | URL, headers?: HeadersInit, body?: string | BufferSource | URLSearchParams | null}} request
 * @param {{accessKeyId: string, secretAccessKey: string, sessionToken?: string}} credentials
 * @param {{service?: string, region?: string, date?: Date, presign?: boolean, expiresIn?: number, unsignedPayload?: boolean, signSessionToken?: boolean}} options
 * @returns {Promise<{method: string, url: string, headers: Record<string, string>, body: any}>}
 */
export async function signRequest(request, credentials, options) {
    if (signer === null) await loaded(); // made once the wasm is loaded
    if (request === null || typeof request !== "object") throw fail("InvalidOptions", "request must be an object with url");
    const { service, region, date, presign = false, expiresIn = 3600, unsignedPayload, signSessionToken = true } = options ?? {};
    const { accessKeyId, secretAccessKey, sessionToken } = credentials ?? {};
    if (request.method !== undefined && typeof request.method !== "string") throw fail("InvalidOptions", "request.method must be a string");
    const method = (request.method ?? "GET").toUpperCase();
    const url = String(request.url);
    const when = date === undefined ? Date.now() : date instanceof Date ? date.getTime() : NaN;
    // The message of src/wasm/sigv4.rs, in its order; the core checks the types and values.
    const values = [method, url, accessKeyId, secretAccessKey, sessionToken, service, region, when, !!presign, expiresIn,
        unsignedPayload === undefined ? undefined : !!unsignedPayload, !!signSessionToken, unsignedPayload ? null : bodyValue(request.body)];
    appendHeaders(values, request.headers);
    signer ??= new wasm.SigV4Signer();
    const message = encode(values);
    let result;
    try {
        const answer = signer.sign(message, replies());
        if (answer instanceof Error) throw answer; // returned, not thrown (src/wasm/sigv4.rs)
        result = decodeReply(answer);
    } finally {
        message.fill(0); // it held the secret
    }
    // The presigned URL (absent for the Authorization header), then the headers to add (for a
    // presigned URL: the signed headers to send with it, x-amz-* ones moved into the query); a
    // value left out is the session token, which the core does not send back.
    const headers = {};
    if (result[0] === undefined) {
        for (let i = HEADERS; i < values.length; i += 2) headers[values[i]] = values[i + 1];
    }
    for (let i = 1; i < result.length; i += 2) headers[literalName(result[i])] = result[i + 1] ?? sessionToken;
    return { method, url: result[0] ?? url, headers, body: request.body ?? null };
}

/** The methods a request may be repeated with on its own (RFC 9110 §9.2.2, "Idempotent Methods"). */
const IDEMPOTENT = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"]);

/** `value` when it is undefined or a non-negative integer (at most `max`), else `InvalidOptions` naming `name`. */
function count(value, name, max) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 0 && value <= max)) {
        throw fail("InvalidOptions", `AwsClient's ${name} must be an integer from 0 to ${max}`);
    }
    return value;
}

/**
 * A `fetch` that signs every request with SigV4, like aws4fetch's `AwsClient`. `credentials` is
 * a credentials object or a provider (`() => Promise<credentials>`, e.g. `fromRolesAnywhere`),
 * asked before every request so that refreshed credentials are used. `service` and `region` left
 * out are inferred from each URL's host.
 *
 * Requests with an idempotent method (GET, HEAD, PUT, DELETE, OPTIONS, TRACE), or marked
 * `idempotent: true`, are repeated after 429, 5xx and network errors, up to `retries` times
 * (default: the core's `Backoff`, 3), each signed anew, after a full-jitter backoff whose first
 * ceiling is `initialRetryMs` (default 100; aws4fetch's `initRetryMs` is taken too) and at least
 * the answer's `Retry-After`; a `Retry-After` longer than the backoff's cap (20 s) returns the
 * answer at once. The request's `signal` ends the waits.
 */
export class AwsClient {
    /**
     * @param {{credentials: object | ((options?: {signal?: AbortSignal}) => Promise<object>), service?: string, region?: string, fetch?: typeof fetch, retries?: number, initialRetryMs?: number, initRetryMs?: number}} options
     */
    constructor({ credentials, service, region, fetch: fetchImpl, retries, initialRetryMs, initRetryMs } = {}) {
        if (credentials == null) throw fail("InvalidOptions", "AwsClient needs credentials (an object or a provider)");
        if ((service !== undefined && typeof service !== "string") || (region !== undefined && typeof region !== "string")) {
            throw fail("InvalidOptions", "AwsClient's service and region must be strings (or left out, to infer them from each URL)");
        }
        this.credentials = credentials;
        this.service = service;
        this.region = region;
        this.fetchImpl = fetchImpl ?? ((...args) => globalThis.fetch(...args));
        this.retries = count(retries, "retries", 2 ** 31 - 1);
        // The backoff's first ceiling; the longest wait, 20 s, is the core's.
        this.initialRetryMs = count(initialRetryMs ?? initRetryMs, initialRetryMs === undefined ? "initRetryMs" : "initialRetryMs", 20_000);
    }

    /**
     * Signs `input`/`init` as `fetch` takes them; returns a `Request` ready to send.
     * @param {RequestInfo | URL} input
     * @param {RequestInit & {date?: Date, presign?: boolean, expiresIn?: number, unsignedPayload?: boolean}} [init]
     */
    async sign(input, init = {}) {
        return (await this.#prepare(input, init)).sign();
    }

    /** The request of `input`/`init` with its body read once; `sign()` signs it anew each time. */
    async #prepare(input, init) {
        const request = input instanceof Request ? new Request(input, init) : new Request(String(input), init);
        // A stream body is read once into bytes, so that every attempt can send it.
        const body = init.body != null && !(init.body instanceof ReadableStream) ? init.body : request.body ? new Uint8Array(await request.clone().arrayBuffer()) : null;
        const sign = async () => {
            const credentials = typeof this.credentials === "function" ? await this.credentials({ signal: init.signal }) : this.credentials;
            const signed = await signRequest({ method: request.method, url: request.url, headers: request.headers, body }, credentials, {
                service: this.service,
                region: this.region,
                date: init.date,
                presign: init.presign,
                expiresIn: init.expiresIn,
                unsignedPayload: init.unsignedPayload,
            });
            const hasBody = body != null && request.method !== "GET" && request.method !== "HEAD";
            return new Request(signed.url, { method: signed.method, headers: signed.headers, body: hasBody ? body : undefined, signal: init.signal, redirect: request.redirect });
        };
        const repeatable = init.idempotent === true || IDEMPOTENT.has(request.method);
        return { sign, repeatable, origin: new URL(request.url).origin };
    }

    /**
     * Signs and sends, like `fetch`, repeating an idempotent request (or one marked
     * `idempotent: true`) after 429, 5xx and network errors as the class describes. A network
     * error that is not repeated rejects with a `Network` error (the cause on `cause`); an
     * abort rejects with the signal's reason.
     * @param {RequestInfo | URL} input
     * @param {RequestInit & {idempotent?: boolean}} [init]
     * @returns {Promise<Response>}
     */
    async fetch(input, init = {}) {
        const { sign, repeatable, origin } = await this.#prepare(input, init);
        const signal = init.signal ?? undefined;
        for (let retry = 0; ; retry++) {
            const signed = await sign(); // its errors (credentials, signing) are not retried here
            let response = null;
            let error = null;
            try {
                response = await this.fetchImpl(signed);
            } catch (e) {
                if (signal?.aborted) throw signal.reason ?? e;
                error = e;
            }
            const status = response?.status ?? 0;
            const delay = !repeatable
                ? undefined
                : wasm.retryDelay(retry, status, response?.headers.get("retry-after") ?? undefined, Date.now(),
                    Math.floor(Math.random() * 2 ** 32) >>> 0, this.retries, this.initialRetryMs);
            if (delay === undefined) {
                if (error) throw fail("Network", `request to ${origin} failed: ${error?.message ?? error}`, error);
                return response;
            }
            await response?.body?.cancel().catch(() => {});
            await sleep(delay, signal);
        }
    }
}
