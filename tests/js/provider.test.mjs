// The credential provider, AwsClient and fromRolesAnywhere (Node): timing rules with a fake clock
// and a scripted CreateSession endpoint, then real round trips through the stand-in
// (`rolesanywhere stand-in`): one CreateSession for 100 concurrent callers, STS
// GetCallerIdentity signed by AwsClient, and @aws-sdk/client-sts with fromRolesAnywhere; then a
// refresh's deadline against an endpoint that never answers, a caller's abort, and the stand-in's
// CreateSession quota (a burst throttled, the provider's retries getting through); a .p12 signing
// in through the stand-in.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { AwsClient, createCredentialProvider, fromRolesAnywhere, getCredentials } from "../../pkg/node.js";
import { account, arns, makePki, region, startStandIn } from "../../www/stand-in.mjs";
import { settleLog } from "./fleet.mjs";

let pki;
let dir;
let material;
before(() => {
    pki = makePki();
    dir = pki.dir;
    material = pki.material("p256");
});
after(() => pki.remove());

/** A CreateSession endpoint as a `fetch`: answers from `script` (the last entry repeats). */
function scriptedFetch(script, clock) {
    const calls = [];
    const fetch = async (url, init) => {
        const step = script[Math.min(calls.length, script.length - 1)];
        calls.push({ url, init });
        if (step.status === undefined) {
            const expiration = new Date(clock.t + step.lifetime * 1000).toISOString();
            const body = { credentialSet: [{ credentials: { accessKeyId: `ASIA${calls.length}`, secretAccessKey: "s", sessionToken: "t", expiration } }] };
            return new Response(JSON.stringify(body), { status: 201 });
        }
        if (step.status === "network") throw new TypeError("connection refused");
        return new Response(JSON.stringify({ message: step.type }), { status: step.status, headers: { "x-amzn-errortype": step.type } });
    };
    return { fetch, calls };
}

function fakeWorld(script, extra = {}) {
    const clock = { t: Date.now() };
    const { fetch, calls } = scriptedFetch(script, clock);
    const sleeps = [];
    const provider = createCredentialProvider({
        ...material,
        ...arns,
        fetch,
        now: () => clock.t,
        sleep: async (ms) => void sleeps.push(ms),
        random: () => 0.999999,
        ...extra,
    });
    return { provider, clock, calls, sleeps };
}

test("credentials are cached until half their lifetime, then refreshed", async () => {
    const w = fakeWorld([{ lifetime: 3600 }]);
    assert.equal((await w.provider()).accessKeyId, "ASIA1");
    w.clock.t += 1799_000;
    assert.equal((await w.provider()).accessKeyId, "ASIA1");
    assert.equal(w.calls.length, 1);
    w.clock.t += 1000;
    assert.equal((await w.provider()).accessKeyId, "ASIA2");
    assert.equal(w.calls.length, 2);
});

test("a refresh margin longer than half the lifetime comes first", async () => {
    const w = fakeWorld([{ lifetime: 900 }], { refreshMarginSeconds: 600 });
    await w.provider();
    w.clock.t += 299_000;
    await w.provider();
    assert.equal(w.calls.length, 1);
    w.clock.t += 1000;
    await w.provider();
    assert.equal(w.calls.length, 2);
});

test("a failed refresh serves the old credentials while they are valid, and retries later", async () => {
    const w = fakeWorld([{ lifetime: 3600 }, { status: 500, type: "InternalServerException" }, { lifetime: 3600 }], { maxRetries: 0 });
    await w.provider();
    w.clock.t += 2000_000;
    assert.equal((await w.provider()).accessKeyId, "ASIA1");
    assert.equal(w.calls.length, 2);
    assert.equal((await w.provider()).accessKeyId, "ASIA1", "no new attempt inside the backoff window");
    assert.equal(w.calls.length, 2);
    w.clock.t += 60_000;
    assert.equal((await w.provider()).accessKeyId, "ASIA3");
    // Expired credentials are never served: the error comes through instead.
    const expired = fakeWorld([{ lifetime: 3600 }, { status: 503, type: "ServiceUnavailable" }], { maxRetries: 0 });
    await expired.provider();
    expired.clock.t += 3600_000;
    await assert.rejects(expired.provider(), { code: "Server" });
});

test("throttling, server and network errors are retried with bounded full-jitter backoff; AccessDenied is not", async () => {
    const w = fakeWorld([{ status: 429, type: "ThrottlingException" }, { status: 500, type: "InternalServerException" }, { status: "network" }, { lifetime: 3600 }]);
    assert.equal((await w.provider()).accessKeyId, "ASIA4");
    assert.equal(w.calls.length, 4);
    // random() ≈ 1: each wait is at its ceiling min(20 s, 100 ms · 2^n).
    assert.deepEqual(w.sleeps, [100, 200, 400]);

    const capped = fakeWorld([{ status: 429, type: "ThrottlingException" }], { maxRetries: 8, baseDelayMs: 1000, maxDelayMs: 5000 });
    await assert.rejects(capped.provider(), { code: "Throttled" });
    assert.equal(capped.calls.length, 9);
    assert.ok(capped.sleeps.every((ms, n) => ms >= 0 && ms <= Math.min(5000, 1000 * 2 ** n)), String(capped.sleeps));
    assert.equal(Math.max(...capped.sleeps), 5000);

    const denied = fakeWorld([{ status: 403, type: "AccessDeniedException" }, { lifetime: 3600 }]);
    await assert.rejects(denied.provider(), { code: "AccessDenied" });
    assert.equal(denied.calls.length, 1);
    assert.deepEqual(denied.sleeps, []);
});

test("credentials that expire within the refresh margin are a failed refresh (InvalidResponse), never served", async () => {
    const w = fakeWorld([{ lifetime: 200 }]);
    await assert.rejects(w.provider(), { code: "InvalidResponse" });
    assert.equal(w.calls.length, 1, "not retried");
    const kept = fakeWorld([{ lifetime: 3600 }, { lifetime: 200 }, { lifetime: 3600 }]);
    await kept.provider();
    kept.clock.t += 1800_000;
    assert.equal((await kept.provider()).accessKeyId, "ASIA1", "the valid ones are kept");
    assert.equal(kept.calls.length, 2);
    kept.clock.t += 60_000;
    assert.equal((await kept.provider()).accessKeyId, "ASIA3");
});

test("an AbortSignal cancels the wait for credentials", async () => {
    const clock = { t: Date.now() };
    const { fetch } = scriptedFetch([{ status: 429, type: "ThrottlingException" }], clock);
    const provider = createCredentialProvider({ ...material, ...arns, fetch, now: () => clock.t, shareRefresh: false, baseDelayMs: 60_000 });
    const controller = new AbortController();
    const pending = provider({ signal: controller.signal });
    setTimeout(() => controller.abort(new Error("caller gave up")), 20);
    const started = Date.now();
    await assert.rejects(pending, /caller gave up/);
    assert.ok(Date.now() - started < 10_000, "aborted long before the 60 s backoff");
});

test("a rotated certificate from a source is used on the next refresh", async () => {
    const other = { certificate: readFileSync(join(dir, "p384.pem"), "utf8"), privateKey: readFileSync(join(dir, "p384.pkcs8.pem"), "utf8") };
    let current = material;
    const w = fakeWorld([{ lifetime: 3600 }], { certificate: undefined, privateKey: undefined, intermediates: undefined, source: async () => current });
    await w.provider();
    current = other;
    w.clock.t += 1800_000;
    await w.provider();
    const algorithm = (call) => call.init.headers.Authorization.split(" ")[0];
    assert.equal(algorithm(w.calls[0]), "AWS4-X509-ECDSA-SHA256");
    assert.match(w.calls[0].init.headers["X-Amz-X509"], /^MII/);
    assert.notEqual(w.calls[0].init.headers["X-Amz-X509"], w.calls[1].init.headers["X-Amz-X509"]);
});

// ---- through the stand-in ----------------------------------------------------------------------

test("100 concurrent callers share one CreateSession (seen by the stand-in)", async () => {
    const standIn = await startStandIn(dir);
    try {
        const provider = createCredentialProvider({ ...material, ...arns, endpoint: standIn.endpoint });
        const results = await Promise.all(Array.from({ length: 100 }, () => provider()));
        assert.ok(results.every((c) => c.accessKeyId === results[0].accessKeyId && c.accessKeyId.startsWith("ASIA")));
        // The stand-in logs one stderr line per request; give the line time to arrive.
        const sessions = () => standIn.log.filter((l) => l.includes("/sessions")).length;
        for (let i = 0; i < 100 && sessions() === 0; i++) await new Promise((r) => setTimeout(r, 20));
        await new Promise((r) => setTimeout(r, 100));
        assert.equal(sessions(), 1, standIn.log.join("\n"));

        // AwsClient signs GetCallerIdentity with the provider's credentials.
        const sts = new AwsClient({ credentials: provider, service: "sts", region });
        const answer = await sts.fetch(`${standIn.endpoint}/`, {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
            body: "Action=GetCallerIdentity&Version=2011-06-15",
        });
        const xml = await answer.text();
        assert.equal(answer.status, 200, xml);
        assert.match(xml, new RegExp(`<Arn>arn:aws:sts::${account}:assumed-role/prj-demo-app/[0-9a-f]+</Arn>`));
    } finally {
        standIn.stop();
    }
});

test("@aws-sdk/client-sts GetCallerIdentity with fromRolesAnywhere", async () => {
    const standIn = await startStandIn(dir);
    try {
        const client = new STSClient({
            region,
            endpoint: `${standIn.endpoint}/`,
            credentials: fromRolesAnywhere({ ...material, ...arns, endpoint: standIn.endpoint }),
        });
        const identity = await client.send(new GetCallerIdentityCommand({}));
        assert.equal(identity.Account, account);
        assert.match(identity.Arn, new RegExp(`^arn:aws:sts::${account}:assumed-role/prj-demo-app/[0-9a-f]+$`));
    } finally {
        standIn.stop();
    }
});

test("a .p12 (pkcs12 + pkcs12Password) signs in to the stand-in: getCredentials, and a provider; a wrong password is WrongPassword", async () => {
    const standIn = await startStandIn(dir);
    try {
        const p12 = { pkcs12: new Uint8Array(readFileSync(join(dir, "p256.p12"))), pkcs12Password: "test", ...arns, endpoint: standIn.endpoint };
        const credentials = await getCredentials(p12);
        assert.match(credentials.accessKeyId, /^ASIA/);
        assert.equal(credentials.accountId, account);
        const provider = createCredentialProvider(p12);
        assert.match((await provider()).accessKeyId, /^ASIA/);
        await assert.rejects(getCredentials({ ...p12, pkcs12Password: "wrong" }), (e) => e.code === "WrongPassword" && !e.message.includes("wrong"));
        await assert.rejects(getCredentials({ ...p12, pkcs12: new Uint8Array(readFileSync(join(dir, "p256-legacy.p12"))) }), (e) => e.code === "InvalidPkcs12");
    } finally {
        standIn.stop();
    }
});

test("a CA rotation: the provider picks up a certificate from the secondary CA of the same trust anchor", async () => {
    const standIn = await startStandIn(dir);
    try {
        // Before the rotation: the leaf from the primary root (through the intermediate); after
        // it, a leaf issued by the secondary root, which the anchor's bundle holds too.
        let current = material;
        const rotated = { certificate: readFileSync(join(dir, "rotated.pem"), "utf8"), privateKey: readFileSync(join(dir, "rotated.pkcs8.pem"), "utf8") };
        // A margin two seconds short of the one-hour session makes the credentials due two
        // seconds after they are issued, on the real clock (the stand-in checks the signing
        // date). A margin as long as the session would refuse them: they expire within it.
        const provider = createCredentialProvider({ ...arns, endpoint: standIn.endpoint, source: async () => current, refreshMarginSeconds: 3598 });
        const first = await provider();
        current = rotated;
        await new Promise((resolve) => setTimeout(resolve, 3000));
        const second = await provider();
        assert.notEqual(second.accessKeyId, first.accessKeyId);
        const sts = new AwsClient({ credentials: provider, service: "sts", region });
        const answer = await sts.fetch(`${standIn.endpoint}/`, {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
            body: "Action=GetCallerIdentity&Version=2011-06-15",
        });
        assert.equal(answer.status, 200, await answer.clone().text());
    } finally {
        standIn.stop();
    }
});

// ---- the refresh's deadline and a caller's abort -----------------------------------------------

/** A `fetch` that never answers; `honours` says whether it rejects when its signal aborts. */
function silentFetch({ honours }) {
    const signals = [];
    const fetch = (url, init) => {
        signals.push(init.signal);
        return new Promise((_, reject) => {
            if (honours) init.signal?.addEventListener("abort", () => reject(init.signal.reason));
        });
    };
    return { fetch, signals };
}

test("against an upstream that never answers, a refresh ends at its deadline and its request is aborted", async () => {
    for (const honours of [true, false]) {
        const { fetch, signals } = silentFetch({ honours });
        const provider = createCredentialProvider({ ...material, ...arns, fetch, refreshTimeoutMs: 300 });
        const started = Date.now();
        const waiting = [provider(), provider(), provider()];
        for (const p of waiting) await assert.rejects(p, { code: "Network" });
        const took = Date.now() - started;
        assert.ok(took >= 250 && took < 5_000, `ended after ${took} ms`);
        assert.equal(signals.length, 1, "the callers shared one refresh");
        assert.ok(signals[0].aborted, "its request was aborted at the deadline");
        // Later callers do not join the ended refresh: they get its failure at once (the machine's
        // short negative cache), then a new refresh.
        const t0 = Date.now();
        await assert.rejects(provider(), { code: "Network" });
        assert.ok(Date.now() - t0 < 200);
        assert.equal(signals.length, 1);
    }
});

test("a caller's abort ends its own wait only: the shared refresh goes on for the others", async () => {
    const clock = { t: Date.now() };
    const { fetch: answer, calls } = scriptedFetch([{ lifetime: 3600 }], clock);
    const signals = [];
    const fetch = async (url, init) => {
        signals.push(init.signal);
        await new Promise((r) => setTimeout(r, 300));
        return answer(url, init);
    };
    const provider = createCredentialProvider({ ...material, ...arns, fetch });
    const controller = new AbortController();
    const impatient = provider({ signal: controller.signal });
    const patient = provider();
    setTimeout(() => controller.abort(new Error("caller gave up")), 50);
    await assert.rejects(impatient, /caller gave up/);
    assert.equal((await patient).accessKeyId, "ASIA1");
    assert.equal(calls.length, 1);
    assert.equal(signals[0].aborted, false, "the shared request was not aborted by one caller");
    assert.throws(() => createCredentialProvider({ ...material, ...arns, refreshTimeoutMs: 0 }), { code: "InvalidOptions" });
    assert.throws(() => createCredentialProvider({ ...material, ...arns, refreshTimeoutMs: 1.5 }), { code: "InvalidOptions" });
});

// ---- the stand-in's CreateSession quota, from JS -----------------------------------------------

test("a burst of sign-ins above the quota is throttled; the provider retries with backoff and succeeds", async () => {
    const standIn = await startStandIn(dir);
    try {
        // 40 at once against 10 per second (a bucket of 10): most are throttled.
        const burst = await Promise.allSettled(Array.from({ length: 40 }, () => getCredentials({ ...material, ...arns, endpoint: standIn.endpoint })));
        const throttled = burst.filter((r) => r.status === "rejected" && r.reason.code === "Throttled");
        assert.ok(throttled.length >= 10, `${throttled.length} of 40 throttled`);
        assert.ok(burst.every((r) => r.status === "fulfilled" || r.reason.code === "Throttled"));
        assert.match(throttled[0].reason.message, /Rate exceeded/);
        // The provider's first attempt meets an empty bucket (its request is sent again, the
        // answers dropped, until the stand-in throttles it: with no gap between the throttled
        // answer and the one the provider gets, in which a token could come back), and a retry
        // after the backoff (the jitter at its ceiling: 100, 200, 400 ms, a token every 100 ms)
        // gets through.
        const answers = [];
        const fetch = async (url, init) => {
            let response = await globalThis.fetch(url, init);
            const throttled = () => response.headers.get("x-amzn-errortype") === "ThrottlingException";
            for (let tries = 1; answers.length === 0 && !throttled() && tries < 50; tries++) {
                await response.arrayBuffer();
                response = await globalThis.fetch(url, init);
            }
            answers.push(`${response.status} ${response.headers.get("x-amzn-errortype") ?? ""}`.trim());
            return response;
        };
        const credentials = await createCredentialProvider({ ...material, ...arns, endpoint: standIn.endpoint, fetch, random: () => 0.999999 })();
        assert.match(credentials.accessKeyId, /^ASIA/);
        assert.equal(answers[0], "400 ThrottlingException", answers.join(", "));
        assert.equal(answers.at(-1), "201");
        await settleLog(standIn.log);
        assert.ok(standIn.log.some((l) => l.endsWith(" throttled")), "the stand-in logs `throttled`");
    } finally {
        await standIn.stop();
    }
});
