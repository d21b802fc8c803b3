// Presigned S3 URLs from signRequest with the defaults (no `unsignedPayload`: the core's
// UNSIGNED-PAYLOAD for presigned S3 URLs) against the AWS SDK for JavaScript's own S3 presigner
// (@aws-sdk/s3-request-presigner `getSignedUrl` with @aws-sdk/client-s3), on generated object
// keys, buckets, regions, methods, expiries and credentials. The SDK's URL without its signature
// parameters is the request; ours must carry the same parameters and signature.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { signRequest } from "../../pkg/node.js";

/** A small seeded generator (mulberry32), so that a failure names a case that can be replayed. */
function generator(seed) {
    let a = seed >>> 0;
    const next = () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    };
    const int = (n) => Math.floor(next() * n);
    const pick = (list) => list[int(list.length)];
    return { int, pick };
}

// Object keys are any UTF-8 (S3 User Guide, "Naming objects"), including the characters that
// need special handling: spaces, & $ @ = ; : + , ?, non-ASCII, and slashes (also doubled, and
// `.`/`..` segments, which S3 keeps as they are).
const KEY_PIECES = ["photos", "2026", "a b", "ü", "日本", "x+y", "a=b", "q?", "&amp", "$", "@", ";", ":", ",", "~tilde", "*", "'", "(1)", "!",
    "%41", "..", ".", "", "dir/", "//", "-_.", "emoji😀", "tab\t", "é"];
const REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2", "sa-east-1"];
const COMMANDS = { GET: GetObjectCommand, PUT: PutObjectCommand, HEAD: HeadObjectCommand, DELETE: DeleteObjectCommand };
const SIGNATURE_PARAMS = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Security-Token", "X-Amz-Signature"];

function generateCase(random, n) {
    const { int, pick } = random;
    const pieces = Array.from({ length: 1 + int(5) }, () => pick(KEY_PIECES));
    let key = pieces.join(pick(["/", "", "/"]));
    if (key === "") key = "k";
    const bucket = `${pick(["data", "logs", "my-bucket", "b0"])}-${n}${pick(["", ".with.dots"])}`;
    const method = pick(Object.keys(COMMANDS));
    return {
        key,
        bucket,
        method,
        region: pick(REGIONS),
        forcePathStyle: int(3) === 0,
        expiresIn: pick([1, 60, 900, 3600, 86400, 604800, 1 + int(604800)]),
        credentials: { accessKeyId: `ASIA${n}`, secretAccessKey: `secret/${int(1e9)}+key`, ...(int(2) ? { sessionToken: `token${int(1e9)}==` } : {}) },
        date: new Date(Date.UTC(2026, int(12), 1 + int(28), int(24), int(60), int(60))),
        // A body, which a presigned URL must not sign (UNSIGNED-PAYLOAD).
        body: method === "PUT" ? `payload ${int(1e9)}` : undefined,
        inferScope: int(2) === 0,
    };
}

function params(url) {
    return [...new URL(url).searchParams.entries()].map(([k, v]) => `${k}=${v}`).sort();
}

test("S3 presigned URLs with the defaults match @aws-sdk/s3-request-presigner on 400 generated requests", async () => {
    const seed = Number(process.env.PRESIGN_SEED ?? 20261130);
    const random = generator(seed);
    let inferred = 0;
    for (let n = 0; n < 400; n++) {
        const c = generateCase(random, n);
        const what = `seed ${seed}, case ${n}: ${JSON.stringify({ ...c, credentials: undefined })}`;
        const client = new S3Client({ region: c.region, forcePathStyle: c.forcePathStyle, credentials: c.credentials });
        const expected = await getSignedUrl(client, new COMMANDS[c.method]({ Bucket: c.bucket, Key: c.key }),
            { expiresIn: c.expiresIn, signingDate: c.date });
        // The request: the SDK's URL without its signature parameters.
        const request = new URL(expected);
        for (const name of SIGNATURE_PARAMS) request.searchParams.delete(name);
        const query = request.search;
        const target = `${expected.slice(0, expected.indexOf("?"))}${query}`;
        // Service and region from the host when the SDK's host names them (virtual-hosted style
        // without dots, or path style), as aws4fetch infers them.
        const scope = c.inferScope ? {} : { service: "s3", region: c.region };
        if (c.inferScope) inferred++;
        const signed = await signRequest({ method: c.method, url: target, body: c.body }, c.credentials,
            { ...scope, date: c.date, presign: true, expiresIn: c.expiresIn });
        assert.deepEqual(params(signed.url), params(expected), what);
        assert.equal(signed.url.slice(0, signed.url.indexOf("?")), expected.slice(0, expected.indexOf("?")), what);
        assert.deepEqual(signed.headers, {}, `${what}: no header to send besides host`);
    }
    assert.ok(inferred > 100, `${inferred} cases inferred their scope`);
});

test("presigned S3 URLs: unsignedPayload false signs the body's hash; true, like the default, UNSIGNED-PAYLOAD", async () => {
    const credentials = { accessKeyId: "AKID", secretAccessKey: "secret" };
    const options = { service: "s3", region: "us-west-2", date: new Date(Date.UTC(2026, 10, 25)), presign: true };
    const signature = async (body, extra) => {
        const request = { method: "PUT", url: "https://bucket.s3.us-west-2.amazonaws.com/k", body };
        return new URL((await signRequest(request, credentials, { ...options, ...extra })).url).searchParams.get("X-Amz-Signature");
    };
    const byDefault = await signature("hello", {});
    assert.equal(await signature("other", {}), byDefault, "the default does not sign the body");
    assert.equal(await signature("hello", { unsignedPayload: true }), byDefault);
    const hashed = await signature("hello", { unsignedPayload: false });
    assert.notEqual(hashed, byDefault);
    assert.notEqual(await signature("other", { unsignedPayload: false }), hashed, "unsignedPayload false signs the body");
});
