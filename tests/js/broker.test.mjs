// The Workers credential broker (`rolesanywhere/workers`): a fleet of 8 Worker scripts in one
// miniflare, bound to one CredentialBroker namespace, against the stand-in with its
// CreateSession quota (10 per second): one CreateSession for 2,000 requests; the object evicted
// and restarted works from its sealed storage, which holds no secret; a wrong secret is an
// empty store; a rotated one still opens; the alarm refreshes at the refresh time, also after a
// restart, with no request;
// isolates sign in themselves when the object throws. Then, in Node with a stand-in namespace,
// the isolate's provider: falling back with backoff, and an error the object reports.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import "../../pkg/node.js";
import { fromCredentialBroker } from "../../pkg/broker.js";
import { sharedKey } from "../../pkg/provider.js";
import { arns, makePki, startStandIn } from "../../www/stand-in.mjs";
import { drive, filesUnder, sessions, settleLog, startFleet } from "./fleet.mjs";

const SECRET = "test-broker-secret-0123456789abcdefghijklmnop";
const OTHER_SECRET = "another-broker-secret-0123456789abcdefghijklm";

let pki;
let material;
let standIn;
let dirs = [];
before(async () => {
    pki = makePki();
    material = pki.material("p256");
    standIn = await startStandIn(pki.dir);
});
after(async () => {
    await standIn.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    pki.remove();
});

function tempDir() {
    const dir = mkdtempSync(join(tmpdir(), "rolesanywhere-broker-"));
    dirs.push(dir);
    return dir;
}

/** The stand-in's CreateSessions since `mark` (a `sessions()` count). */
async function since(mark) {
    await settleLog(standIn.log);
    const now = sessions(standIn.log);
    return { created: now.created - mark.created, throttled: now.throttled - mark.throttled };
}

/** One request to each isolate; asserts they all got credentials, returns their access key ids. */
async function oneEach(fleet, query = "") {
    const answers = await Promise.all(fleet.names.map((_, i) => fleet.request(i, query)));
    for (const a of answers) assert.equal(a.status, 200, JSON.stringify(a.body));
    return answers.map((a) => a.body);
}

test("8 isolates, one broker: 2,000 requests at concurrency 200 make one CreateSession and see no throttling; storage is sealed and survives a restart", async () => {
    const persist = tempDir();
    const mark = sessions(standIn.log);
    let fleet = startFleet({ material, endpoint: standIn.endpoint, persist, bindings: { BROKER_SECRET: SECRET } });
    let revealed;
    try {
        const results = await drive(fleet, { requests: 2000, concurrency: 200 });
        const failed = results.filter((r) => r.status !== 200);
        assert.deepEqual(failed.slice(0, 3), [], `${failed.length} requests failed`);
        const ids = new Set(results.map((r) => r.body.accessKeyId));
        assert.equal(ids.size, 1, [...ids].join(" "));
        assert.match([...ids][0], /^ASIA/);
        assert.deepEqual(await since(mark), { created: 1, throttled: 0 }, standIn.log.join("\n"));
        revealed = (await fleet.request(3, "?reveal")).body;
        assert.equal(revealed.accessKeyId, [...ids][0]);
    } finally {
        await fleet.dispose();
    }

    // The storage, read back: the object's name is there (this is its storage), the secret key,
    // the session token, the private key and the broker secret are not.
    const files = filesUnder(persist);
    const all = Buffer.concat(files.map((f) => f.bytes));
    const name = await sharedKey({ ...material, ...arns, endpoint: standIn.endpoint });
    assert.ok(all.includes(name), `the object's name in ${files.map((f) => f.path).join(", ")}`);
    for (const [what, secret] of [
        ["secret access key", revealed.secretAccessKey],
        ["session token", revealed.sessionToken],
        ["session token (a part)", revealed.sessionToken.slice(0, 24)],
        ["private key", material.privateKey.split("\n")[1]],
        ["broker secret", SECRET],
    ]) {
        assert.ok(secret.length >= 16, what);
        assert.ok(!all.includes(secret), `${what} in the persisted storage`);
    }

    // Evicted and restarted (a new workerd, new isolates): the object restores the credentials
    // from its sealed storage, with no CreateSession.
    fleet = startFleet({ material, endpoint: standIn.endpoint, persist, bindings: { BROKER_SECRET: SECRET } });
    try {
        const answers = await oneEach(fleet);
        assert.ok(answers.every((a) => a.accessKeyId === revealed.accessKeyId && a.cold), JSON.stringify(answers));
        assert.deepEqual(await since(mark), { created: 1, throttled: 0 });
    } finally {
        await fleet.dispose();
    }
});

test("a wrong broker secret is an empty store (a new sign-in, no error); a rotated secret still opens", async () => {
    const persist = tempDir();
    const mark = sessions(standIn.log);
    const run = async (bindings) => {
        const fleet = startFleet({ material, endpoint: standIn.endpoint, persist, isolates: 2, bindings });
        try {
            const ids = new Set((await oneEach(fleet)).map((a) => a.accessKeyId));
            assert.equal(ids.size, 1);
            return [...ids][0];
        } finally {
            await fleet.dispose();
        }
    };
    const a = await run({ BROKER_SECRET: SECRET });
    assert.deepEqual(await since(mark), { created: 1, throttled: 0 });
    // Another secret: the storage does not open, the object signs in and overwrites it.
    const b = await run({ BROKER_SECRET: OTHER_SECRET });
    assert.notEqual(b, a);
    assert.deepEqual(await since(mark), { created: 2, throttled: 0 });
    // Rotation: the new secret current, the old one previous: it opens (no sign-in) and is
    // sealed again with the new one, so that the old one can go.
    const c = await run({ BROKER_SECRET: SECRET, BROKER_PREVIOUS_SECRET: OTHER_SECRET });
    assert.equal(c, b);
    const d = await run({ BROKER_SECRET: SECRET });
    assert.equal(d, b);
    assert.deepEqual(await since(mark), { created: 2, throttled: 0 });
});

test("a running broker refreshes at the credentials' refresh time with its alarm, before any isolate asks", async () => {
    const mark = sessions(standIn.log);
    // Credentials due three seconds after they are issued (a margin three seconds short of the hour).
    const fleet = startFleet({ material, endpoint: standIn.endpoint, isolates: 2, bindings: { BROKER_SECRET: SECRET, REFRESH_MARGIN_SECONDS: "3597" } });
    try {
        const [{ accessKeyId: first }] = await oneEach(fleet);
        assert.deepEqual(await since(mark), { created: 1, throttled: 0 });
        // Nobody asks: the object's alarm signs in again at the refresh time.
        const deadline = Date.now() + 20_000;
        while (sessions(standIn.log).created - mark.created < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        assert.equal(sessions(standIn.log).created - mark.created, 2, standIn.log.join("\n"));
        // The isolates' copies are due too: they ask the object and get its new credentials.
        const answers = await oneEach(fleet);
        assert.ok(answers.every((a) => a.accessKeyId !== first && !a.cold), JSON.stringify(answers));
    } finally {
        await fleet.dispose();
    }
});

test("after a restart the alarm refreshes the credentials ahead, with no request, from the Worker's environment", async () => {
    const persist = tempDir();
    const mark = sessions(standIn.log);
    // Credentials due two seconds after they are issued (a margin two seconds short of the hour).
    let fleet = startFleet({ material, endpoint: standIn.endpoint, persist, isolates: 2, bindings: { BROKER_SECRET: SECRET, REFRESH_MARGIN_SECONDS: "3598" } });
    let before;
    try {
        [{ accessKeyId: before }] = await oneEach(fleet);
    } finally {
        await fleet.dispose();
    }
    fleet = startFleet({ material, endpoint: standIn.endpoint, persist, isolates: 2, bindings: { BROKER_SECRET: SECRET } });
    try {
        // Nobody asks: the persisted alarm fires in the new runtime and the object signs in.
        const deadline = Date.now() + 20_000;
        while (sessions(standIn.log).created - mark.created < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        assert.deepEqual(await since(mark), { created: 2, throttled: 0 }, standIn.log.join("\n"));
        const answers = await oneEach(fleet);
        assert.ok(answers.every((a) => a.accessKeyId !== before), "the isolates get the refreshed credentials");
        assert.deepEqual(await since(mark), { created: 2, throttled: 0 });
    } finally {
        await fleet.dispose();
    }
});

test("when the object throws, each isolate signs in for itself", async () => {
    const mark = sessions(standIn.log);
    const fleet = startFleet({ material, endpoint: standIn.endpoint, isolates: 2, className: "BrokenBroker", bindings: { BROKER_SECRET: SECRET } });
    try {
        const answers = await oneEach(fleet);
        assert.ok(answers.every((a) => /^ASIA/.test(a.accessKeyId)));
        assert.notEqual(answers[0].accessKeyId, answers[1].accessKeyId);
        assert.deepEqual(await since(mark), { created: 2, throttled: 0 });
    } finally {
        await fleet.dispose();
    }
});

test("a broker without BROKER_SECRET reports InvalidOptions (and signs nothing)", async () => {
    const mark = sessions(standIn.log);
    const fleet = startFleet({ material, endpoint: standIn.endpoint, isolates: 1 });
    try {
        const answer = await fleet.request(0);
        assert.equal(answer.status, 502);
        assert.equal(answer.body.error, "InvalidOptions");
        assert.match(answer.body.message, /BROKER_SECRET/);
        assert.deepEqual(await since(mark), { created: 0, throttled: 0 });
    } finally {
        await fleet.dispose();
    }
});

// ---- the isolate's provider, in Node, with a namespace of our own ---------------------------

/** A CreateSession endpoint as a `fetch` answering from `script` (the last entry repeats). */
function scriptedFetch(script) {
    const calls = [];
    const fetch = async () => {
        const step = script[Math.min(calls.length, script.length - 1)];
        calls.push(step);
        if (step.status === undefined) {
            const expiration = new Date(Date.now() + 3600_000).toISOString();
            return new Response(JSON.stringify({ credentialSet: [{ credentials: { accessKeyId: `ASIADIRECT${calls.length}`, secretAccessKey: "s", sessionToken: "t", expiration } }] }), { status: 201 });
        }
        return new Response(JSON.stringify({ message: step.type }), { status: step.status, headers: { "x-amzn-errortype": step.type } });
    };
    return { fetch, calls };
}

/** A namespace whose objects answer with `answer()`. */
function namespace(answer) {
    const asked = [];
    return {
        asked,
        idFromName: (name) => ({ name }),
        get: (id) => ({
            credentials: async (request) => {
                asked.push({ name: id.name, request });
                return answer(request);
            },
        }),
    };
}

test("the isolate's provider: the object's credentials are kept until their lease is due; the name is the identity's", async () => {
    const expiration = Date.now() + 3600_000;
    let n = 0;
    const ns = namespace(() => ({
        credentials: { accessKeyId: `ASIABROKER${++n}`, secretAccessKey: "s", sessionToken: "t", expiration },
        lease: { expiration, refreshAt: Date.now() + 60_000 },
    }));
    const { fetch, calls } = scriptedFetch([{}]);
    const provider = fromCredentialBroker(ns, { ...material, ...arns, fetch, refreshMarginSeconds: 600 });
    assert.equal((await provider()).accessKeyId, "ASIABROKER1");
    assert.equal((await provider()).accessKeyId, "ASIABROKER1");
    assert.equal(ns.asked.length, 1);
    assert.equal(calls.length, 0);
    assert.equal(ns.asked[0].name, await sharedKey({ ...material, ...arns }));
    // What crosses to the object: the sign-in options and the timing, never the isolate's fetch.
    assert.equal(ns.asked[0].request.options.privateKey, material.privateKey);
    assert.equal(ns.asked[0].request.options.fetch, undefined);
    assert.deepEqual(ns.asked[0].request.timing, { refreshMarginSeconds: 600 });
});

test("the isolate's provider: an unreachable object means signing in directly, with the machine's backoff", async () => {
    const ns = { idFromName: () => ({}), get: () => ({ credentials: async () => { throw new Error("Durable Object reset"); } }) };
    const { fetch, calls } = scriptedFetch([{ status: 400, type: "ThrottlingException" }, {}]);
    const sleeps = [];
    const provider = fromCredentialBroker(ns, { ...material, ...arns, fetch, random: () => 0.999999, sleep: async (ms) => void sleeps.push(ms) });
    assert.equal((await provider()).accessKeyId, "ASIADIRECT2");
    assert.equal(calls.length, 2);
    assert.deepEqual(sleeps, [100]);
});

test("the isolate's provider: an error the object reports is the provider's, with no direct sign-in", async () => {
    const ns = namespace(() => ({ error: { code: "AccessDenied", message: "trust policy" } }));
    const { fetch, calls } = scriptedFetch([{}]);
    const provider = fromCredentialBroker(ns, { ...material, ...arns, fetch });
    await assert.rejects(provider(), { code: "AccessDenied" });
    assert.equal(calls.length, 0);
    assert.throws(() => fromCredentialBroker({}, { ...material, ...arns }), { code: "InvalidOptions" });
    const key = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
    assert.throws(() => fromCredentialBroker(ns, { ...material, ...arns, privateKey: key.privateKey }), { code: "InvalidOptions" });
});
