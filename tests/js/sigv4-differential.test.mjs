// Differential test (Node): the package's `signRequest` against two SigV4 signers this project
// did not write, `@smithy/signature-v4` (the AWS SDK for JavaScript v3) and `aws4fetch`, on a
// few thousand generated requests: methods, paths with odd characters and repeated slashes,
// repeated query keys, headers with inner and outer spaces, empty, text and binary bodies,
// session tokens, and presigned URLs. A mismatch prints the request.
//
// What is generated stays inside what all three define the same way (documented differences
// of policy, not bugs, are avoided): no `.`/`..` path segments (smithy drops a trailing slash
// that URL parsing keeps), no empty query keys (aws4fetch drops them), no unsignable headers
// (aws4fetch signs every header when `allHeaders` is set), and aws4fetch presigning is
// compared for S3 only (for other services it adds no `X-Amz-Expires`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { SignatureV4 } from "@smithy/signature-v4";
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { AwsV4Signer } from "aws4fetch";
import { signRequest } from "../../pkg/node.js";

const COUNT = Number(process.env.DIFFERENTIAL_COUNT ?? 3000);

/** xorshift32: the same requests on every run (seed printed with any mismatch). */
function rng(seed) {
    let x = seed >>> 0 || 1;
    const next = () => {
        x ^= x << 13;
        x >>>= 0;
        x ^= x >>> 17;
        x ^= x << 5;
        x >>>= 0;
        return x;
    };
    return {
        int: (n) => next() % n,
        pick: (list) => list[next() % list.length],
        chance: (p) => next() / 2 ** 32 < p,
    };
}

/** RFC 3986 encoding of one component, as SigV4 and the URL of every request here use. */
const encode = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());

const SEGMENT_CHARS = ["a", "Z", "0", "-", "_", "~", ".", " ", "+", "=", "&", "@", ":", "$", "!", "'", "(", ")", "*", "%", "é", "ሴ", "😀", ",", ";"];
const QUERY_KEYS = ["a", "B", "list-type", "prefix", "x y", "k+", "é", "Action", "max"];
const VALUE_CHARS = [...SEGMENT_CHARS, "/", "?", "#", "[", "]"];
const HEADER_NAMES = ["x-amz-meta-one", "X-Custom", "content-type", "x-amz-target", "accept"];

function word(r, chars, max) {
    let s = "";
    const n = r.int(max + 1);
    for (let i = 0; i < n; i++) s += r.pick(chars);
    return s;
}

function generate(seed) {
    const r = rng(seed);
    const method = r.pick(["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"]);
    const segments = [];
    for (let i = r.int(4); i >= 0; i--) {
        let s = word(r, SEGMENT_CHARS, 6);
        if (s === "." || s === "..") s += "x";
        segments.push(s);
    }
    let path = "/" + segments.map(encode).join(r.chance(0.15) ? "//" : "/");
    if (r.chance(0.2)) path += "/";
    const query = [];
    for (let i = r.int(5); i > 0; i--) query.push([r.pick(QUERY_KEYS), word(r, VALUE_CHARS, 5)]);
    const headers = {};
    for (let i = r.int(4); i > 0; i--) {
        const name = r.pick(HEADER_NAMES);
        headers[name] = (r.chance(0.3) ? "  " : "") + word(r, ["a", "b", " ", "  ", "\t", "1", "=", ";", "/"], 8).trim() + "v" + (r.chance(0.3) ? " " : "");
    }
    let body = "";
    const kind = r.int(3);
    if (kind === 1) body = word(r, VALUE_CHARS, 40);
    if (kind === 2) body = Uint8Array.from({ length: r.int(64) }, () => r.int(256));
    const token = r.chance(0.5) ? "FwoGZXIvYXdzE" + word(r, ["A", "b", "/", "+", "="], 30) : undefined;
    const date = new Date(Date.UTC(2020 + r.int(8), r.int(12), 1 + r.int(28), r.int(24), r.int(60), r.int(60)));
    const expiresIn = 1 + r.int(604800);
    return { method, host: r.pick(["example.amazonaws.com", "sts.us-east-1.amazonaws.com", "127.0.0.1:8080"]), path, query, headers, body, token, date, expiresIn };
}

const rawQuery = (query) => query.map(([k, v]) => `${encode(k)}=${encode(v)}`).join("&");
const url = (g, query = g.query) => `https://${g.host}${g.path}${query.length ? "?" + rawQuery(query) : ""}`;
const credentials = (g) => ({ accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: g.token });

function smithySigner(g, service) {
    return new SignatureV4({ credentials: credentials(g), region: "us-east-1", service, sha256: Hash.bind(null, "sha256"), applyChecksum: false });
}

function smithyRequest(g) {
    const query = {};
    for (const [k, v] of g.query) query[k] = k in query ? [].concat(query[k], v) : v;
    return new HttpRequest({
        method: g.method,
        protocol: "https:",
        hostname: g.host,
        path: g.path,
        query,
        headers: { host: g.host, ...g.headers },
        body: g.body,
    });
}

const show = (seed, g) => `seed ${seed}: ${JSON.stringify({ ...g, body: g.body instanceof Uint8Array ? [...g.body] : g.body })}`;
const lower = (headers) => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));

test(`signRequest matches @smithy/signature-v4 and aws4fetch on ${COUNT} generated requests`, async () => {
    let compared = 0;
    for (let seed = 1; seed <= COUNT; seed++) {
        const g = generate(seed);
        const request = { method: g.method, url: url(g), headers: g.headers, body: g.body };
        const options = { service: "execute-api", region: "us-east-1", date: g.date };

        // Authorization header vs smithy and aws4fetch.
        const ours = lower((await signRequest(request, credentials(g), options)).headers);
        const smithy = await smithySigner(g, "execute-api").sign(smithyRequest(g), { signingDate: g.date });
        assert.equal(ours.authorization, smithy.headers.authorization, `Authorization differs from @smithy: ${show(seed, g)}`);
        const datetime = g.date.toISOString().replace(/[:-]|\.\d{3}/g, "");
        const a4f = await new AwsV4Signer({ ...request, ...credentials(g), service: "execute-api", region: "us-east-1", datetime, allHeaders: true }).sign();
        assert.equal(ours.authorization, a4f.headers.get("authorization"), `Authorization differs from aws4fetch: ${show(seed, g)}`);

        // Presigned URL vs smithy: same signature and the same query parameters.
        const presigned = await signRequest(request, credentials(g), { ...options, presign: true, expiresIn: g.expiresIn });
        const smithyPresigned = await smithySigner(g, "execute-api").presign(smithyRequest(g), { signingDate: g.date, expiresIn: g.expiresIn });
        const ourParams = new URL(presigned.url).searchParams;
        assert.equal(ourParams.get("X-Amz-Signature"), smithyPresigned.query["X-Amz-Signature"], `presigned signature differs from @smithy: ${show(seed, g)}`);
        for (const [k, v] of Object.entries(smithyPresigned.query)) {
            assert.deepEqual(ourParams.getAll(k), [].concat(v), `presigned parameter ${k} differs from @smithy: ${show(seed, g)}`);
        }

        // Presigned S3 URL vs aws4fetch (unique query keys: aws4fetch keeps the first of each
        // for S3; no x-amz-* headers: aws4fetch signs them as headers where the SDKs, and we,
        // move them into the query; UNSIGNED-PAYLOAD; X-Amz-Expires 86400, its default for S3).
        const seen = new Set();
        const s3 = { ...g, query: g.query.filter(([k]) => !seen.has(k) && seen.add(k)) };
        const s3Headers = Object.fromEntries(Object.entries(g.headers).filter(([k]) => !k.toLowerCase().startsWith("x-amz-")));
        const s3Request = { method: g.method, url: url(s3), headers: s3Headers };
        const ourS3 = await signRequest(s3Request, credentials(g), { service: "s3", region: "us-east-1", date: g.date, presign: true, expiresIn: 86400, unsignedPayload: true });
        const a4fS3 = await new AwsV4Signer({ ...s3Request, ...credentials(g), service: "s3", region: "us-east-1", datetime, allHeaders: true, signQuery: true }).sign();
        assert.equal(new URL(ourS3.url).searchParams.get("X-Amz-Signature"), a4fS3.url.searchParams.get("X-Amz-Signature"), `presigned S3 signature differs from aws4fetch: ${show(seed, s3)}`);
        compared++;
    }
    assert.equal(compared, COUNT);
});
