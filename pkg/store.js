// @ts-self-types="./store.d.ts"
// `rolesanywhere/store`: shared stores for `createCredentialProvider({store, storeSecret})`, so
// that the processes and isolates that share one make one `CreateSession` per refresh between
// them. The provider seals what it writes (pkg/sealed.js); a store only keeps bytes, and a lock.
import { fail, sleep } from "./core.js";

/**
 * Runs `op` again when it throws, up to 5 tries with waits of 10, 20, 40, 80 ms between them,
 * then throws its last error. Processes that share one local KV file (SQLite) see
 * "database is locked" while another one writes; a lock or entry lost to that would make each of
 * them sign in for itself.
 */
async function retried(op) {
    for (let attempt = 0; ; attempt++) {
        try {
            return await op();
        } catch (e) {
            if (attempt === 4) throw e;
            await sleep(10 * 2 ** attempt);
        }
    }
}

/**
 * A store on Deno KV (`await Deno.openKv(path)`; `deno run --unstable-kv`), shared by the Deno
 * processes that open the same database and by the isolates of a Deno Deploy project. The
 * entry expires with its credentials (`expireIn`); the lock is an atomic check-and-set of a key
 * that must be absent or expired, holding its owner and end, so that one process signs in while
 * the others wait for its entry. Works with the same API from npm (`@deno/kv`'s `openKv`) in Node.
 *
 * @param {object} kv a `Deno.Kv`
 * @param {{prefix?: unknown[]}} [options] where the keys go (default `["rolesanywhere"]`)
 * @returns {import("./index.d.ts").SharedStore}
 */
export function denoKvStore(kv, { prefix = ["rolesanywhere"] } = {}) {
    if (kv === null || typeof kv !== "object" || typeof kv.get !== "function" || typeof kv.set !== "function" || typeof kv.atomic !== "function") {
        throw fail("InvalidOptions", "denoKvStore takes a Deno.Kv (await Deno.openKv(path))");
    }
    if (!Array.isArray(prefix)) throw fail("InvalidOptions", "options.prefix must be an array of Deno KV key parts");
    const entryKey = (key) => [...prefix, "credentials", key];
    const lockKey = (key) => [...prefix, "lock", key];
    const expireIn = (ms) => Math.max(1, Math.ceil(ms));
    return {
        async get(key) {
            const { value } = await retried(() => kv.get(entryKey(key)));
            return value instanceof Uint8Array ? value : null;
        },
        async set(key, value, { expiresAt }) {
            await retried(() => kv.set(entryKey(key), value, { expireIn: expireIn(expiresAt - Date.now()) }));
        },
        async lock(key, { ttlMs }) {
            const k = lockKey(key);
            const owner = crypto.randomUUID();
            const taken = await retried(async () => {
                const held = await kv.get(k);
                // Deno KV deletes expired keys eventually, not at once: the lock's own end decides.
                // Ours already when a commit that threw was written after all.
                if (held.value !== null && typeof held.value === "object" && held.value.until > Date.now()) return held.value.owner === owner;
                const { ok } = await kv.atomic().check(held).set(k, { owner, until: Date.now() + ttlMs }, { expireIn: expireIn(ttlMs) }).commit();
                return ok;
            });
            if (!taken) return null;
            return () =>
                retried(async () => {
                    const now = await kv.get(k);
                    if (now.value?.owner === owner) await kv.atomic().check(now).delete(k).commit();
                });
        },
    };
}
