// SigV4 for any AWS request, signed in the wasm core (`rolesanywhere::sigv4`): `signRequest`
// signs a request-like object, `AwsClient` signs and sends with `fetch`. One call into wasm per
// request, one message each way (wire.js); the signing key is derived once per secret, day,
// region and service and kept there.
import * as wasm from "./glue/rolesanywhere.js";
import { fail, loaded } from "./core.js";
import { decodeReply, encode, replies } from "./wire.js";

let signer = null; // wasm SigV4Signer, made on first use
/** Where the headers start in the message `SigV4Signer.sign` takes (src/wasm/sigv4.rs). */
const HEADERS = 13;

/** Appends the headers to `out` as name, value, name, value…, from a `Headers`, an array of
 * pairs or a record. */
function appendHeaders(out, headers) {
    if (headers == null) return;
    const entries = typeof headers.entries === "function" && !Array.isArray(headers) ? headers.entries() : Array.isArray(headers) ? headers : Object.entries(headers);
    for (const [name, value] of entries) {
        if (value === undefined) continue;
        out.push(String(name), String(value));
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
 * @param {{method?: string, url: string | URL, headers?: HeadersInit, body?: string | BufferSource | URLSearchParams | null}} request
 * @param {{accessKeyId: string, secretAccessKey: string, sessionToken?: string}} credentials
 * @param {{service: string, region: string, date?: Date, presign?: boolean, expiresIn?: number, unsignedPayload?: boolean, signSessionToken?: boolean}} options
 * @returns {Promise<{method: string, url: string, headers: Record<string, string>, body: any}>}
 */
export async function signRequest(request, credentials, options) {
    await loaded();
    if (request === null || typeof request !== "object") throw fail("InvalidOptions", "request must be an object with url");
    const { service, region, date, presign = false, expiresIn = 3600, unsignedPayload = false, signSessionToken = true } = options ?? {};
    const { accessKeyId, secretAccessKey, sessionToken } = credentials ?? {};
    const method = (request.method ?? "GET").toUpperCase();
    const url = String(request.url);
    const when = date === undefined ? Date.now() : date instanceof Date ? date.getTime() : NaN;
    // The message of src/wasm/sigv4.rs, in its order; the core checks the types and values.
    const values = [method, url, accessKeyId, secretAccessKey, sessionToken, service, region, when, !!presign, expiresIn,
        !!unsignedPayload, !!signSessionToken, unsignedPayload ? null : bodyValue(request.body)];
    appendHeaders(values, request.headers);
    signer ??= new wasm.SigV4Signer();
    const message = encode(values);
    let result;
    try {
        result = decodeReply(signer.sign(message, replies()));
    } finally {
        message.fill(0); // it held the secret
    }
    // The presigned URL (absent for the Authorization header), then the headers to add (for a
    // presigned URL: the signed headers to send with it, x-amz-* ones moved into the query).
    const headers = {};
    if (result[0] === undefined) {
        for (let i = HEADERS; i < values.length; i += 2) headers[values[i]] = values[i + 1];
    }
    for (let i = 1; i < result.length; i += 2) headers[result[i]] = result[i + 1];
    return { method, url: result[0] ?? url, headers, body: request.body ?? null };
}

/**
 * A `fetch` that signs every request with SigV4, like aws4fetch's `AwsClient`. `credentials` is
 * a credentials object or a provider (`() => Promise<credentials>`, e.g. `fromRolesAnywhere`),
 * asked before every request so that refreshed credentials are used.
 */
export class AwsClient {
    /**
     * @param {{credentials: object | ((options?: {signal?: AbortSignal}) => Promise<object>), service: string, region: string, fetch?: typeof fetch}} options
     */
    constructor({ credentials, service, region, fetch: fetchImpl } = {}) {
        if (credentials == null) throw fail("InvalidOptions", "AwsClient needs credentials (an object or a provider)");
        if (typeof service !== "string" || typeof region !== "string") throw fail("InvalidOptions", "AwsClient needs service and region");
        this.credentials = credentials;
        this.service = service;
        this.region = region;
        this.fetchImpl = fetchImpl ?? ((...args) => globalThis.fetch(...args));
    }

    /**
     * Signs `input`/`init` as `fetch` takes them; returns a `Request` ready to send.
     * @param {RequestInfo | URL} input
     * @param {RequestInit & {date?: Date, presign?: boolean, expiresIn?: number, unsignedPayload?: boolean}} [init]
     */
    async sign(input, init = {}) {
        const request = input instanceof Request ? new Request(input, init) : new Request(String(input), init);
        const body = init.body != null && !(init.body instanceof ReadableStream) ? init.body : request.body ? new Uint8Array(await request.clone().arrayBuffer()) : null;
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
    }

    /**
     * Signs and sends, like `fetch`.
     * @param {RequestInfo | URL} input
     * @param {RequestInit} [init]
     * @returns {Promise<Response>}
     */
    async fetch(input, init) {
        return this.fetchImpl(await this.sign(input, init));
    }
}
