// AwsClient's retries against a scripted loopback HTTP server (Node's fetch): 429 with and
// without Retry-After, 503, a reset connection, success on the n-th attempt, an abort during the
// backoff, and a POST that is repeated only when the caller marks it idempotent. Every attempt
// is signed anew.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { AwsClient } from "../../pkg/node.js";

let server;
let url;
/** What the server answers, in order (the last entry repeats): a status and headers, or "reset". */
let script = [];
/** The requests it got: method, Authorization header, arrival time (ms). */
let seen = [];

before(async () => {
    server = createServer((req, res) => {
        req.resume();
        req.on("end", () => {
            const step = script[Math.min(seen.length, script.length - 1)];
            seen.push({ method: req.method, authorization: req.headers.authorization, at: Date.now() });
            if (step === "reset") return void req.socket.destroy();
            res.writeHead(step.status, step.headers ?? {}).end(step.status < 300 ? "ok" : "<Error/>");
        });
    });
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${server.address().port}/path`;
});
after(() => server.close());

function run(steps) {
    script = steps;
    seen = [];
}

/** A client whose credentials change on every call, so that each attempt's signature differs. */
function client(options = {}) {
    let n = 0;
    const credentials = async () => ({ accessKeyId: `AKID${++n}`, secretAccessKey: "secret" });
    return new AwsClient({ credentials, service: "execute-api", region: "us-east-1", initialRetryMs: 10, ...options });
}

const credentialOf = (authorization) => /Credential=([^/]+)\//.exec(authorization)?.[1];

test("429 without Retry-After is retried with a short backoff, and every attempt is signed again", async () => {
    run([{ status: 429 }, { status: 429 }, { status: 200 }]);
    const response = await client().fetch(url);
    assert.equal(response.status, 200);
    assert.equal(seen.length, 3);
    assert.deepEqual(seen.map((s) => credentialOf(s.authorization)), ["AKID1", "AKID2", "AKID3"]);
    // initialRetryMs 10: the waits are at most 10 and 20 ms (full jitter).
    assert.ok(seen[2].at - seen[0].at < 1000, `${seen[2].at - seen[0].at} ms`);
});

test("429 with Retry-After waits at least that long", async () => {
    run([{ status: 429, headers: { "retry-after": "1" } }, { status: 200 }]);
    const response = await client().fetch(url);
    assert.equal(response.status, 200);
    assert.equal(seen.length, 2);
    assert.ok(seen[1].at - seen[0].at >= 990, `retried after ${seen[1].at - seen[0].at} ms`);
});

test("a Retry-After longer than the longest backoff is not waited for: the answer comes back", async () => {
    run([{ status: 503, headers: { "retry-after": "3600" } }, { status: 200 }]);
    const started = Date.now();
    const response = await client().fetch(url);
    assert.equal(response.status, 503);
    assert.equal(seen.length, 1);
    assert.ok(Date.now() - started < 5000);
});

test("503 and a reset connection are retried; success on the n-th attempt", async () => {
    run([{ status: 503 }, "reset", { status: 502 }, { status: 200 }]);
    const response = await client().fetch(url);
    assert.equal(response.status, 200);
    assert.equal(seen.length, 4);
});

test("retries are bounded: after `retries` the last answer, or the network error, comes back", async () => {
    run([{ status: 500 }]);
    assert.equal((await client({ retries: 2 }).fetch(url)).status, 500);
    assert.equal(seen.length, 3);
    run([{ status: 500 }]);
    assert.equal((await client({ retries: 0 }).fetch(url)).status, 500);
    assert.equal(seen.length, 1);
    run(["reset"]);
    await assert.rejects(client({ retries: 1 }).fetch(url), { code: "Network" });
    assert.equal(seen.length, 2);
    // The default: the core's backoff, three retries.
    run([{ status: 503 }]);
    assert.equal((await client({ initialRetryMs: 1 }).fetch(url)).status, 503);
    assert.equal(seen.length, 4);
});

test("errors that a retry cannot fix are not retried", async () => {
    for (const status of [400, 401, 403, 404]) {
        run([{ status }, { status: 200 }]);
        assert.equal((await client().fetch(url)).status, status);
        assert.equal(seen.length, 1, `status ${status}`);
    }
});

test("an abort during the backoff ends the wait at once, with the signal's reason", async () => {
    run([{ status: 429, headers: { "retry-after": "10" } }, { status: 200 }]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("caller gave up")), 200);
    const started = Date.now();
    await assert.rejects(client().fetch(url, { signal: controller.signal }), /caller gave up/);
    assert.ok(Date.now() - started < 5000, `${Date.now() - started} ms`);
    assert.equal(seen.length, 1);
});

test("a POST is not repeated unless the caller marks it idempotent", async () => {
    run([{ status: 503 }, { status: 200 }]);
    const post = { method: "POST", body: "Action=GetCallerIdentity&Version=2011-06-15", headers: { "content-type": "application/x-www-form-urlencoded" } };
    assert.equal((await client().fetch(url, post)).status, 503);
    assert.equal(seen.length, 1);
    run([{ status: 503 }, "reset", { status: 200 }]);
    assert.equal((await client().fetch(url, { ...post, idempotent: true })).status, 200);
    assert.deepEqual(seen.map((s) => s.method), ["POST", "POST", "POST"]);
    // The idempotent methods are repeated on their own (RFC 9110 §9.2.2).
    for (const method of ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]) {
        run([{ status: 503 }, { status: 200 }]);
        assert.equal((await client().fetch(url, { method, ...(method === "PUT" ? { body: "x" } : {}) })).status, 200, method);
        assert.equal(seen.length, 2, method);
    }
});

test("retry options are checked", () => {
    const credentials = { accessKeyId: "AKID", secretAccessKey: "secret" };
    for (const bad of [{ retries: -1 }, { retries: 1.5 }, { retries: "3" }, { initialRetryMs: -5 }, { initRetryMs: "50" }]) {
        assert.throws(() => new AwsClient({ credentials, service: "sts", region: "us-east-1", ...bad }), { code: "InvalidOptions" }, JSON.stringify(bad));
    }
    // aws4fetch's name for the first backoff ceiling is taken too.
    assert.doesNotThrow(() => new AwsClient({ credentials, service: "sts", region: "us-east-1", retries: 10, initRetryMs: 50 }));
});
