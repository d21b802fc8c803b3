// Types for `rolesanywhere/store`: shared stores for `createCredentialProvider({store, storeSecret})`.

import type { SharedStore } from "./index.d.ts";

export type { SharedStore };

/** What {@link denoKvStore} needs of a `Deno.Kv` (also `@deno/kv`'s `openKv` in Node). */
export interface DenoKvLike {
    get(key: unknown[]): Promise<{ value: unknown; versionstamp: string | null }>;
    set(key: unknown[], value: unknown, options?: { expireIn?: number }): Promise<unknown>;
    delete(key: unknown[]): Promise<void>;
    atomic(): unknown;
}

/**
 * A {@link SharedStore} on Deno KV (`await Deno.openKv(path)`, `deno run --unstable-kv`), shared
 * by the Deno processes that open the same database and by the isolates of a Deno Deploy project.
 * Entries expire with their credentials; the lock is an atomic check-and-set of a key that holds
 * its owner and end, so one process signs in while the others wait for its entry.
 * @param kv a `Deno.Kv`
 * @param options `prefix`: the first parts of every key, default `["rolesanywhere"]`
 * @throws `InvalidOptions` when `kv` is not a `Deno.Kv`
 */
export function denoKvStore(kv: DenoKvLike, options?: { prefix?: unknown[] }): SharedStore;
