// getCredentials and the credential provider against scripted upstreams on a real loopback HTTP
// server (Node's fetch, not an injected one): an endpoint that never answers (or stops halfway
// through its answer), one that answers with credentials already expired, 429 and 503 with
// Retry-After, and a 50 MB answer, whose reading must stop at the core's 256 KiB limit.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { createCredentialProvider, getCredentials } from "../../pkg/node.js";
import { arns, makePki } from "../../www/stand-in.mjs";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc");

let pki;
let material;
let server;
let endpoint;
/** How the server answers the next requests: `(req, res) => void`. */
let upstream = null;
/** Every socket the server accepted, to end hung ones after each test. */
const sockets = new Set();

before(async () => {
    pki = makePki();
    material = pki.material("p256");
    server = createServer((req, res) => {
        req.resume();
        req.on("end", () => upstream(req, res));
    });
    server.on("connection", (socket) => {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
    });
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    endpoint = `http://127.0.0.1:${server.address().port}`;
});
after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
    pki.remove();
});

const options = (extra = {}) => ({ ...material, ...arns, endpoint, ...extra });

/** A CreateSession answer whose credentials expire `lifetimeMs` after `from` (ms since 1970). */
function credentialsBody(from, lifetimeMs) {
    const expiration = new Date(from + lifetimeMs).toISOString().replace(/\.\d+Z$/, "Z");
    return JSON.stringify({ credentialSet: [{ credentials: { accessKeyId: "ASIAEXAMPLE", secretAccessKey: "secret", sessionToken: "token", expiration } }] });
}

function answer(status, body, headers = {}) {
    return (req, res) => res.writeHead(status, { "content-type": "application/json", ...headers }).end(body);
}

function dropHungSockets() {
    for (const socket of sockets) socket.destroy();
}

test("an endpoint that never answers: Network after timeoutMs, not Node's 300 s", { timeout: 30_000 }, async () => {
    upstream = () => {}; // accepts the request, never answers
    const started = Date.now();
    const error = await getCredentials(options({ timeoutMs: 400 })).catch((e) => e);
    assert.equal(error.code, "Network", String(error));
    assert.match(error.message, /within 400 ms/);
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
    dropHungSockets();
});

test("an endpoint that sends its headers, then stalls in the body: Network after timeoutMs", { timeout: 30_000 }, async () => {
    upstream = (req, res) => {
        res.writeHead(201, { "content-type": "application/json" });
        res.write('{"credentialSet":[');
    };
    const started = Date.now();
    await assert.rejects(getCredentials(options({ timeoutMs: 400 })), { code: "Network" });
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
    dropHungSockets();
});

test("the caller's abort ends a hung exchange at once, with its reason", { timeout: 30_000 }, async () => {
    upstream = () => {};
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("caller gave up")), 100);
    const started = Date.now();
    await assert.rejects(getCredentials(options({ signal: controller.signal })), /caller gave up/);
    assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
    dropHungSockets();
});

test("timeoutMs must be a positive number of milliseconds", async () => {
    for (const timeoutMs of [0, -1, "30", Infinity, NaN, 2 ** 31]) {
        await assert.rejects(getCredentials(options({ timeoutMs })), { code: "InvalidOptions" }, String(timeoutMs));
    }
});

test("credentials already expired at the signing time are InvalidResponse, from getCredentials and the provider", async () => {
    const date = Date.now();
    for (const lifetimeMs of [-3600_000, -1000, 0, 500]) {
        upstream = answer(201, credentialsBody(date, lifetimeMs));
        const error = await getCredentials(options({ date })).catch((e) => e);
        assert.equal(error.code, "InvalidResponse", `lifetime ${lifetimeMs} ms: ${error}`);
        assert.match(error.message, /expire/);
    }
    // Valid ones still pass.
    upstream = answer(201, credentialsBody(date, 3600_000));
    assert.equal((await getCredentials(options({ date }))).accessKeyId, "ASIAEXAMPLE");
    // The provider refuses them as well, without retrying.
    let calls = 0;
    upstream = (req, res) => {
        calls++;
        answer(201, credentialsBody(Date.now(), -60_000))(req, res);
    };
    await assert.rejects(createCredentialProvider(options())(), { code: "InvalidResponse" });
    assert.equal(calls, 1);
});

test("429 and 503 carry their Retry-After as retryAfterMs (seconds or an HTTP-date)", async () => {
    upstream = answer(429, '{"message":"slow down"}', { "x-amzn-errortype": "ThrottlingException", "retry-after": "7" });
    const throttled = await getCredentials(options()).catch((e) => e);
    assert.equal(throttled.code, "Throttled");
    assert.equal(throttled.retryAfterMs, 7000);

    const at = new Date(Math.floor(Date.now() / 1000) * 1000 + 20_000);
    upstream = answer(503, '{"message":"busy"}', { "retry-after": at.toUTCString() });
    const busy = await getCredentials(options()).catch((e) => e);
    assert.equal(busy.code, "Server");
    assert.ok(busy.retryAfterMs > 15_000 && busy.retryAfterMs <= 20_000, String(busy.retryAfterMs));

    // Only 429 and 503 carry one; a value of another form is ignored.
    upstream = answer(500, '{"message":"oops"}', { "retry-after": "7" });
    assert.equal((await getCredentials(options()).catch((e) => e)).retryAfterMs, undefined);
    upstream = answer(429, "{}", { "retry-after": "soon" });
    assert.equal((await getCredentials(options()).catch((e) => e)).retryAfterMs, undefined);
});

test("the provider waits at least the Retry-After before its retry", async () => {
    const statuses = [];
    const script = [
        answer(429, "{}", { "x-amzn-errortype": "ThrottlingException", "retry-after": "2" }),
        answer(503, "{}", { "retry-after": "3" }),
    ];
    upstream = (req, res) => {
        const step = script[statuses.length];
        statuses.push(step ? "error" : "ok");
        (step ?? answer(201, credentialsBody(Date.now(), 3600_000)))(req, res);
    };
    const sleeps = [];
    const provider = createCredentialProvider(options({ sleep: async (ms) => void sleeps.push(ms), random: () => 0 }));
    assert.equal((await provider()).accessKeyId, "ASIAEXAMPLE");
    assert.deepEqual(statuses, ["error", "error", "ok"]);
    // random() = 0: the backoff alone would not wait at all.
    assert.deepEqual(sleeps, [2000, 3000]);
});

test("a Retry-After beyond the refresh's deadline ends the refresh, and no new one starts before it", async () => {
    let calls = 0;
    upstream = (req, res) => {
        calls++;
        answer(429, "{}", { "x-amzn-errortype": "ThrottlingException", "retry-after": "600" })(req, res);
    };
    const sleeps = [];
    const provider = createCredentialProvider(options({ sleep: async (ms) => void sleeps.push(ms) }));
    await assert.rejects(provider(), { code: "Throttled" });
    assert.equal(calls, 1);
    assert.deepEqual(sleeps, [], "no wait past the refresh's two minutes");
    await assert.rejects(provider(), { code: "Throttled" });
    assert.equal(calls, 1, "within the Retry-After the failure is reported without a request");
});

/** The package's wasm memory: the glue's `initSync` hands back the instance it already made. */
async function wasmMemory() {
    const glue = await import("../../pkg/glue/rolesanywhere.js");
    return glue.initSync({ module: new Uint8Array(0) }).memory;
}

/** Runs `fn` while sampling the JS heap and array buffers; resolves to its result and the peak growth in bytes. */
async function peakGrowth(fn) {
    gc();
    const use = () => {
        const m = process.memoryUsage();
        return m.heapUsed + m.arrayBuffers;
    };
    const base = use();
    let peak = base;
    const sampler = setInterval(() => (peak = Math.max(peak, use())), 2);
    try {
        const result = await fn();
        peak = Math.max(peak, use());
        return { result, growth: peak - base };
    } finally {
        clearInterval(sampler);
    }
}

/** Answers 201 with `size` bytes of body in 64 KiB chunks, counting what the socket took. */
function hugeAnswer(size, { declareLength }) {
    const sent = { bytes: 0, done: null };
    const handler = (req, res) => {
        sent.done = new Promise((resolve) => {
            res.writeHead(201, { "content-type": "application/json", ...(declareLength ? { "content-length": String(size) } : {}) });
            const chunk = Buffer.alloc(65536, 0x20);
            let closed = false;
            res.on("close", () => {
                closed = true;
                resolve();
            });
            const pump = () => {
                while (!closed && sent.bytes < size) {
                    sent.bytes += chunk.length;
                    if (!res.write(chunk)) return void res.once("drain", pump);
                }
                if (!closed) res.end();
            };
            pump();
        });
    };
    return { handler, sent };
}

for (const declareLength of [false, true]) {
    test(`a 50 MB answer${declareLength ? " with its Content-Length" : ", streamed"}: InvalidResponse, read no further than the limit`, { timeout: 60_000 }, async () => {
        const size = 50 * 1024 * 1024;
        const memory = await wasmMemory();
        // Warm up: one exchange of a normal size, so that the wasm heap has what a request needs.
        upstream = answer(201, credentialsBody(Date.now(), 3600_000));
        await getCredentials(options());
        const wasmBefore = memory.buffer.byteLength;
        const huge = hugeAnswer(size, { declareLength });
        upstream = huge.handler;
        const { result: error, growth } = await peakGrowth(() => getCredentials(options()).catch((e) => e));
        assert.equal(error.code, "InvalidResponse", String(error));
        assert.match(error.message, /larger than 262144 bytes/);
        await huge.sent.done;
        assert.ok(huge.sent.bytes < 16 * 1024 * 1024, `the server got to send ${huge.sent.bytes} bytes`);
        const wasmGrowth = memory.buffer.byteLength - wasmBefore;
        assert.ok(wasmGrowth <= 1024 * 1024, `wasm memory grew by ${wasmGrowth} bytes`);
        assert.ok(growth < 24 * 1024 * 1024, `JS heap and buffers grew by up to ${growth} bytes`);
    });
}
