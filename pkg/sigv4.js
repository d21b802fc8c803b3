// SigV4 for any AWS request, signed in the wasm core (`rolesanywhere::sigv4`): `signRequest`
// signs a request-like object, `AwsClient` signs and sends with `fetch`. One call into wasm per
// request; the signing key is derived once per secret, day, region and service and kept there.
import * as wasm from "./glue/rolesanywhere.js";
import { fail, loaded } from "./core.js";

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);
/** Bytes of the reusable buffer that carries a request's strings into wasm. */
const SCRATCH_SIZE = 16384;
let scratch = null;
let signer = null; // wasm SigV4Signer, made on first use

/** Headers as `[name, value, name, value, …]`, from a `Headers`, an array of pairs or a record. */
function flatHeaders(headers) {
    const flat = [];
    if (headers == null) return flat;
    const entries = typeof headers.entries === "function" && !Array.isArray(headers) ? headers.entries() : Array.isArray(headers) ? headers : Object.entries(headers);
    for (const [name, value] of entries) {
        if (value === undefined) continue;
        flat.push(String(name), String(value));
    }
    return flat;
}

/** The body as bytes to hash, or `null` for none. */
function bodyBytes(body) {
    if (body == null) return null;
    if (typeof body === "string") return encoder.encode(body);
    if (body instanceof Uint8Array) return body;
    if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    if (body instanceof ArrayBuffer) return new Uint8Array(body);
    if (typeof URLSearchParams === "function" && body instanceof URLSearchParams) return encoder.encode(body.toString());
    throw fail("InvalidOptions", "request.body must be a string, bytes, URLSearchParams or null (streams: use unsignedPayload)");
}

function checkCredentials(credentials) {
    if (credentials === null || typeof credentials !== "object" || typeof credentials.accessKeyId !== "string" || typeof credentials.secretAccessKey !== "string") {
        throw fail("InvalidOptions", "credentials must have string accessKeyId and secretAccessKey");
    }
    if (credentials.sessionToken != null && typeof credentials.sessionToken !== "string") {
        throw fail("InvalidOptions", "credentials.sessionToken must be a string");
    }
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
    checkCredentials(credentials);
    const { service, region, date, presign = false, expiresIn = 3600, unsignedPayload = false, signSessionToken = true } = options ?? {};
    if (typeof service !== "string" || typeof region !== "string") throw fail("InvalidOptions", "options.service and options.region must be strings");
    if (date !== undefined && !(date instanceof Date && !Number.isNaN(date.getTime()))) throw fail("InvalidOptions", "options.date must be a valid Date");
    if (presign && !(Number.isInteger(expiresIn) && expiresIn >= 1 && expiresIn <= 604800)) {
        throw fail("InvalidOptions", "options.expiresIn must be an integer from 1 to 604800 seconds");
    }
    const method = (request.method ?? "GET").toUpperCase();
    const url = String(request.url);
    const headers = flatHeaders(request.headers);
    const body = unsignedPayload ? null : request.body;
    const textBody = typeof body === "string";
    const bytes = textBody ? null : bodyBytes(body);
    const { accessKeyId, secretAccessKey, sessionToken = "" } = credentials;
    // One call into wasm, one buffer each way: the strings NUL-joined (a string body last,
    // where it may hold NULs) and UTF-8 encoded with encodeInto into a scratch buffer (that
    // wasm-bindgen copies with one memcpy, where it copies a string one character at a time in
    // JS), and one string back (`count\0name\0value…[\0url]`). A NUL anywhere else would
    // shift the fields; no header, URL or credential may hold one.
    const strings = [method, url, accessKeyId, secretAccessKey, sessionToken ?? "", service, region, ...headers];
    if (strings.some((s) => s.includes("\0"))) throw fail("InvalidRequest", "the request (method, URL, headers) or the credentials contain a NUL character");
    const fields = strings.join("\0");
    const text = textBody ? fields + "\0" + body : fields;
    // At most 3 UTF-8 bytes per UTF-16 unit; longer texts (large bodies) are encoded on their own.
    let buffer, written;
    if (text.length * 3 <= SCRATCH_SIZE) {
        buffer = scratch ??= new Uint8Array(SCRATCH_SIZE);
        written = encoder.encodeInto(text, buffer).written;
    } else {
        buffer = encoder.encode(text);
        written = buffer.length;
    }
    signer ??= new wasm.SigV4Signer();
    let result;
    try {
        result = signer.sign(
            buffer.subarray(0, written),
            headers.length >> 1,
            textBody,
            bytes ?? EMPTY,
            unsignedPayload,
            signSessionToken,
            date === undefined ? Date.now() : date.getTime(),
            presign ? expiresIn : 0,
        );
    } finally {
        buffer.fill(0, 0, written); // it held the secret
    }
    const parts = result.split("\0");
    const end = 1 + 2 * Number(parts[0]);
    const out = {};
    if (presign) {
        // The URL (last) and the signed headers to send with it (x-amz-* ones moved into the query).
        for (let i = 1; i < end; i += 2) out[parts[i]] = parts[i + 1];
        return { method, url: parts.slice(end).join("\0"), headers: out, body: request.body ?? null };
    }
    for (let i = 0; i < headers.length; i += 2) out[headers[i]] = headers[i + 1];
    for (let i = 1; i < end; i += 2) out[parts[i]] = parts[i + 1];
    return { method, url, headers: out, body: request.body ?? null };
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
