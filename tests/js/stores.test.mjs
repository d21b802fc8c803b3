// Shared stores (`createCredentialProvider({store, storeSecret})`, `rolesanywhere/store`): the
// sealing of entries (pkg/sealed.js), providers of separate processes sharing one store sign in
// once (the lock holder signs in, the others take what it writes, or sign in once its lock
// expires), a store that fails or holds another secret's entries is no store, and the Deno KV
// store: three `deno run` processes on one KV file make one CreateSession at the stand-in.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createCredentialProvider } from "../../pkg/node.js";
import { sealer } from "../../pkg/sealed.js";
import { sharedKey } from "../../pkg/provider.js";
import { denoKvStore } from "../../pkg/store.js";
import { arns, makePki, root, startStandIn } from "../../www/stand-in.mjs";
import { sessions, settleLog } from "./fleet.mjs";

const SECRET = "test-store-secret-0123456789abcdefghijklmnopq";
const OTHER = "other-store-secret-0123456789abcdefghijklmnop";

let pki;
let material;
before(() => {
    pki = makePki();
    material = pki.material("p256");
});
after(() => pki.remove());

/** A store in this process's memory, as a separate process would see a shared one. */
function memoryStore() {
    const entries = new Map();
    const locks = new Map();
    return {
        entries,
        async get(key) {
            return entries.get(key)?.value.slice() ?? null;
        },
        async set(key, value, { expiresAt }) {
            entries.set(key, { value: value.slice(), expiresAt });
        },
        async lock(key, { ttlMs }) {
            if ((locks.get(key)?.until ?? 0) > Date.now()) return null;
            const held = { until: Date.now() + ttlMs };
            locks.set(key, held);
            return async () => {
                if (locks.get(key) === held) locks.delete(key);
            };
        },
    };
}

/** A CreateSession endpoint as a `fetch` (after `delayMs`), counting its calls. */
function countingFetch({ delayMs = 0, status } = {}) {
    const calls = [];
    const fetch = async () => {
        calls.push(Date.now());
        await new Promise((r) => setTimeout(r, delayMs));
        if (status) return new Response(JSON.stringify({ message: "no" }), { status, headers: { "x-amzn-errortype": "InternalServerException" } });
        const expiration = new Date(Date.now() + 3600_000).toISOString();
        const body = { credentialSet: [{ credentials: { accessKeyId: `ASIA${calls.length}${Math.random().toString(36).slice(2, 8)}`, secretAccessKey: "secret-of-the-test", sessionToken: "token-of-the-test", expiration } }] };
        return new Response(JSON.stringify(body), { status: 201 });
    };
    return { fetch, calls };
}

const options = (extra) => ({ ...material, ...arns, storeSecret: SECRET, ...extra });

test("sealed entries: they open only with their identity and a secret of the list; the plaintext is not in them", async () => {
    const entry = {
        credentials: { accessKeyId: "ASIAX", secretAccessKey: "the-secret-access-key", sessionToken: "the-session-token", expiration: new Date(2_000_000_000_000) },
        lease: { expiration: 2_000_000_000_000, refreshAt: 1_999_998_200_000 },
    };
    const current = await sealer(SECRET, "s");
    const sealed = await current.seal("id-1", entry);
    const text = Buffer.from(sealed).toString("latin1");
    for (const secret of ["ASIAX", "the-secret-access-key", "the-session-token"]) assert.ok(!text.includes(secret), secret);
    const opened = await current.open("id-1", sealed);
    assert.deepEqual(opened, { entry, current: true });
    assert.equal(await current.open("id-2", sealed), null, "another identity");
    assert.equal(await (await sealer(OTHER, "s")).open("id-1", sealed), null, "another secret");
    assert.deepEqual(await (await sealer([OTHER, SECRET], "s")).open("id-1", sealed), { entry, current: false }, "a previous secret");
    for (let i = 0; i < sealed.length; i += 7) {
        const tampered = sealed.slice();
        tampered[i] ^= 1;
        assert.equal(await current.open("id-1", tampered), null, `byte ${i} changed`);
    }
    assert.equal(await current.open("id-1", sealed.subarray(0, 20)), null);
    assert.equal(await current.open("id-1", "not bytes"), null);
    assert.notDeepEqual(await current.seal("id-1", entry), sealed, "a fresh IV each time");
    await assert.rejects(sealer("short", "options.storeSecret"), { code: "InvalidOptions" });
    await assert.rejects(sealer([], "options.storeSecret"), { code: "InvalidOptions" });
});

test("the store's options are checked", () => {
    const store = memoryStore();
    assert.throws(() => createCredentialProvider({ ...material, ...arns, store }), { code: "InvalidOptions" });
    assert.throws(() => createCredentialProvider(options({ store, storeSecret: "short" })), { code: "InvalidOptions" });
    assert.throws(() => createCredentialProvider(options({ store: { get() {} } })), { code: "InvalidOptions" });
    assert.throws(() => createCredentialProvider({ ...material, ...arns, storeSecret: SECRET }), { code: "InvalidOptions" });
    assert.throws(() => createCredentialProvider(options({ store, refreshTimeoutMs: 0 })), { code: "InvalidOptions" });
});

test("three processes on one store sign in once (the stand-in sees one CreateSession); the store holds no secret", async () => {
    const standIn = await startStandIn(pki.dir);
    try {
        const store = memoryStore();
        const providers = [0, 1, 2].map(() => createCredentialProvider(options({ store, endpoint: standIn.endpoint })));
        const results = await Promise.all(providers.flatMap((p) => [p(), p(), p()]));
        assert.equal(new Set(results.map((c) => c.accessKeyId)).size, 1);
        await settleLog(standIn.log);
        assert.deepEqual(sessions(standIn.log), { created: 1, throttled: 0 }, standIn.log.join("\n"));
        const key = await sharedKey({ ...material, ...arns, endpoint: standIn.endpoint });
        assert.deepEqual([...store.entries.keys()], [key]);
        const { value, expiresAt } = store.entries.get(key);
        assert.equal(expiresAt, results[0].expiration.getTime());
        const bytes = Buffer.from(value);
        for (const secret of [results[0].secretAccessKey, results[0].sessionToken, results[0].accessKeyId, SECRET]) {
            assert.ok(!bytes.includes(secret), "plaintext in the store");
        }
    } finally {
        await standIn.stop();
    }
});

test("while one process signs in, the others wait for its entry instead of signing in", async () => {
    const store = memoryStore();
    const holder = countingFetch({ delayMs: 400 });
    const waiter = countingFetch();
    const first = createCredentialProvider(options({ store, fetch: holder.fetch }))();
    await new Promise((r) => setTimeout(r, 100)); // the first holds the lock now
    const second = await createCredentialProvider(options({ store, fetch: waiter.fetch }))();
    assert.equal(second.accessKeyId, (await first).accessKeyId);
    assert.equal(holder.calls.length, 1);
    assert.equal(waiter.calls.length, 0);
});

test("a lock whose holder died is taken once it expires; a store that fails is no store", async () => {
    const store = memoryStore();
    await store.lock(await sharedKey({ ...material, ...arns }), { ttlMs: 500 }); // never released
    const fetch = countingFetch();
    const started = Date.now();
    await createCredentialProvider(options({ store, fetch: fetch.fetch }))();
    assert.equal(fetch.calls.length, 1);
    assert.ok(fetch.calls[0] - started >= 400, `signed in after ${fetch.calls[0] - started} ms`);

    const broken = { get: async () => { throw new Error("down"); }, set: async () => { throw new Error("down"); }, lock: async () => { throw new Error("down"); } };
    const direct = countingFetch();
    assert.match((await createCredentialProvider(options({ store: broken, fetch: direct.fetch }))()).accessKeyId, /^ASIA/);
    assert.equal(direct.calls.length, 1);
});

test("an entry sealed with another secret is no entry: the provider signs in and replaces it", async () => {
    const store = memoryStore();
    const a = countingFetch();
    const first = await createCredentialProvider(options({ store, fetch: a.fetch, storeSecret: OTHER }))();
    const b = countingFetch();
    const second = await createCredentialProvider(options({ store, fetch: b.fetch }))();
    assert.notEqual(second.accessKeyId, first.accessKeyId);
    assert.equal(b.calls.length, 1);
    // Rotation: with another secret current and this one listed after it, the entry still opens.
    const c = countingFetch();
    const third = await createCredentialProvider(options({ store, fetch: c.fetch, storeSecret: [OTHER, SECRET] }))();
    assert.equal(third.accessKeyId, second.accessKeyId);
    assert.equal(c.calls.length, 0);
});

test("Deno KV: three deno processes on one KV file make one CreateSession", async () => {
    const standIn = await startStandIn(pki.dir);
    const dir = mkdtempSync(join(tmpdir(), "rolesanywhere-kv-"));
    try {
        const start = Date.now() + 2500; // after every process has started
        const run = () => promisify(execFile)(join(root, "node_modules/.bin/deno"), [
            "run", "--quiet", "--unstable-kv", `--allow-read=${root},${pki.dir},${dir}`, `--allow-write=${dir}`,
            "--allow-net=127.0.0.1", "--allow-env=STORE_SECRET", join(root, "tests/js/deno-kv-client.js"),
            join(dir, "kv.sqlite"), pki.dir, standIn.endpoint, JSON.stringify(arns), String(start),
        ], { env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", STORE_SECRET: SECRET } });
        const outputs = await Promise.all([run(), run(), run()]);
        const ids = outputs.map(({ stdout }) => JSON.parse(stdout).accessKeyId);
        assert.equal(new Set(ids).size, 1, ids.join(" "));
        await settleLog(standIn.log);
        assert.deepEqual(sessions(standIn.log), { created: 1, throttled: 0 }, standIn.log.join("\n"));
    } finally {
        await standIn.stop();
        rmSync(dir, { recursive: true, force: true });
    }
});

test("denoKvStore takes a Deno.Kv", () => {
    assert.throws(() => denoKvStore({}), { code: "InvalidOptions" });
});
