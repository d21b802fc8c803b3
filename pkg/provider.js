// Credentials that stay fresh: a caching provider over `getCredentials`, driven by the core's
// provider state machine (`rolesanywhere::Provider`, a wasm `Provider`), which decides when to
// refresh (at half the session lifetime, or earlier near the credentials' or the certificate's
// expiry), one refresh at a time, stale-while-refresh, which errors to retry and how long to back
// off, and until when a refresh may run. This file keeps the credentials and does the I/O: the
// clock, the sign-in, the sleeps, stopping a refresh at its deadline, sharing a pending refresh
// among callers, and a shared store (`store`) that processes use to sign in once for all of them.
// The Workers broker (broker.js, workers.js) drives the same machine through `createDriver`.
import * as wasm from "./glue/rolesanywhere.js";
import { MAX_TIMER_MS, abortReason, fail, getCredentialsDetailed, loaded, sleep as defaultSleep, untilAborted } from "./core.js";
import { sealer, secretList } from "./sealed.js";
import { decode } from "./wire.js";

const WORKERD = typeof navigator !== "undefined" && navigator.userAgent === "Cloudflare-Workers";
const Action = wasm.ProviderAction;

/** A signal that aborts when either does. */
function eitherSignal(a, b) {
    if (typeof AbortSignal.any === "function") return AbortSignal.any([a, b]);
    const controller = new AbortController();
    for (const s of [a, b]) {
        if (s.aborted) controller.abort(s.reason);
        else s.addEventListener("abort", () => controller.abort(s.reason), { once: true });
    }
    return controller.signal;
}

/**
 * Splits a provider's options into the driver's (the machine's timing, the clock, the sleeps,
 * the jitter, whether callers share a refresh), the certificate `source`, and the rest: the
 * sign-in options of `getCredentials`. Internal (the broker takes the same options).
 */
export function providerOptions(options) {
    if (options === null || typeof options !== "object") throw fail("InvalidOptions", "options must be an object");
    const {
        source,
        refreshMarginSeconds,
        maxRetries,
        baseDelayMs,
        maxDelayMs,
        refreshTimeoutMs,
        now = () => Date.now(),
        sleep = defaultSleep,
        random = Math.random,
        shareRefresh = !WORKERD,
        ...signIn
    } = options;
    if (source !== undefined && typeof source !== "function") throw fail("InvalidOptions", "options.source must be a function");
    const timing = { refreshMarginSeconds, maxRetries, baseDelayMs, maxDelayMs, refreshTimeoutMs };
    for (const [name, value] of Object.entries(timing)) {
        if (value !== undefined && !(Number.isInteger(value) && value >= 0)) throw fail("InvalidOptions", `options.${name} must be a non-negative integer`);
    }
    if (refreshTimeoutMs === 0) throw fail("InvalidOptions", "options.refreshTimeoutMs must be at least 1");
    return { driver: { timing, now, sleep, random, shareRefresh }, source, signIn };
}

/** The sign-in options of one refresh: the fixed ones, with the source's certificate and key. */
export async function materialOf(source, signIn) {
    return source ? { ...signIn, ...(await source()) } : signIn;
}

/**
 * One sign-in attempt at the driver's clock: what `Run.attempts` reports to the machine.
 * Internal.
 */
export async function signInOnce(options, now, signal) {
    const issued = now();
    const got = await getCredentialsDetailed({ ...options, date: new Date(issued), signal });
    return { credentials: got.credentials, issued, certificateNotAfter: got.certificateNotAfter };
}

let optionNames = null;

/**
 * The identity of the credentials a sign-in gets, as a SHA-256 hex string: the store key of a
 * shared store's entry and the name of a broker's Durable Object. It hashes the leaf certificate
 * as given (its PEM text or DER bytes, or the bytes of the PKCS#12 file that holds it) and every
 * `CreateSession` option the core reads (the core lists them: ARNs, region, endpoint, FIPS,
 * duration, session name), each length-prefixed. The
 * private key and the intermediates are left out: the key must match the leaf, and Roles
 * Anywhere derives the session from the leaf alone. Internal.
 */
export async function sharedKey(options) {
    await loaded();
    optionNames ??= decode(wasm.createSessionOptionNames());
    // A PKCS#12 file stands for its leaf: its bytes as given.
    const certificate = options.certificate ?? options.pkcs12;
    let leaf;
    if (typeof certificate === "string") leaf = new TextEncoder().encode(certificate);
    else if (certificate instanceof Uint8Array) leaf = certificate;
    else if (certificate instanceof ArrayBuffer) leaf = new Uint8Array(certificate);
    else throw fail("InvalidOptions", "options.certificate must be a PEM string or DER bytes (Uint8Array)");
    const parts = [new TextEncoder().encode("rolesanywhere shared credentials 1"), leaf];
    for (const name of optionNames) parts.push(new TextEncoder().encode(`${name}=${JSON.stringify(options[name] ?? null)}`));
    const message = new Uint8Array(parts.reduce((n, p) => n + 4 + p.length, 0));
    let at = 0;
    for (const part of parts) {
        new DataView(message.buffer).setUint32(at, part.length);
        message.set(part, at + 4);
        at += 4 + part.length;
    }
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", message));
    return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The driver of the core's machine that every provider of this package shares: the cached
 * credentials and their lease, the fast path, the dispatch on the machine's action, one
 * refresh shared by concurrent callers (or one per caller where they cannot share), the retry
 * loop, and the refresh's deadline. What one refresh does is `body(run)`: sign in (the plain
 * provider), look in a shared store first, or ask a broker. Internal.
 *
 * A refresh ends at the machine's deadline (`refreshTimeoutMs`, two minutes by default): its
 * request is aborted then, and the machine counts it as failed. A shared refresh belongs to no
 * caller, so a caller's `signal` only ends that caller's wait; where callers do not share (Workers),
 * the refresh is the caller's own and its signal aborts it.
 *
 * @param {{timing: object, now: () => number, sleep: Function, random: () => number, shareRefresh: boolean, background?: boolean}} config
 *   `background`: when the cached credentials are due but still usable, return them at once and
 *   refresh in the background (a Durable Object can; a Worker's request cannot).
 * @param {(run: object) => Promise<object>} body one refresh; it calls `run.attempts(attempt)`
 */
export function createDriver(config, body) {
    const { timing, now, sleep, random, shareRefresh, background = false } = config;
    let machine = null; // the wasm Provider, made on first use
    let cached = null; // the credentials
    let lease = null; // their {expiration, refreshAt}
    let freshUntil = 0; // ms: until then `cached` is served without asking the machine
    let pending = null; // the shared refresh
    let lastError = null; // the error of the last failed refresh
    let runs = 0; // refreshes started (numbers them)
    let current = 0; // the number of the refresh the machine is running, 0 for none

    const jitter = () => Math.floor(random() * 2 ** 32) >>> 0;
    const ensureMachine = () =>
        (machine ??= new wasm.Provider(timing.refreshMarginSeconds, timing.maxRetries, timing.baseDelayMs, timing.maxDelayMs, timing.refreshTimeoutMs));

    /** The end of a refresh that got nothing new: the cached credentials while usable, else its error. */
    function fallBack(error, t) {
        const action = machine.poll(t);
        if (action === Action.UseCached || action === Action.RefreshWhileUsable) return cached;
        throw error;
    }

    /** Keeps credentials the machine took, usable without asking it until `until`. */
    function keep(credentials, until) {
        cached = credentials;
        lease = { expiration: credentials.expiration.getTime(), refreshAt: machine.refreshAt };
        freshUntil = until;
        lastError = null;
        current = 0;
        return credentials;
    }

    /** Credentials from elsewhere, newer than the cached ones or not: the machine takes the newer. */
    function adopt(credentials, theirs) {
        const newer = lease === null || theirs.expiration >= lease.expiration;
        const [c, l] = newer ? [credentials, theirs] : [cached, lease];
        return keep(c, machine.adopt(l.expiration, l.refreshAt));
    }

    /**
     * What an attempt of refresh `run` got: a sign-in (`{credentials, issued,
     * certificateNotAfter}`), credentials from elsewhere (`{credentials, lease}`), or credentials
     * already kept (`{kept}`). While another refresh runs the machine, they go to this one's
     * callers only.
     */
    function record(run, got) {
        if (got.kept) return got.kept;
        if (current !== run.id && current !== 0) return got.credentials;
        if (got.lease) return adopt(got.credentials, got.lease);
        let until;
        try {
            until = machine.succeeded(got.issued, got.credentials.expiration.getTime(), got.certificateNotAfter);
        } catch (e) {
            // Credentials already expired or about to: the machine ended the refresh as failed.
            current = 0;
            lastError = e;
            return fallBack(e, now());
        }
        run.fresh = true;
        return keep(got.credentials, until);
    }

    /** Attempts of refresh `run` until one succeeds or the machine gives up. */
    async function attempts(run, attempt) {
        for (;;) {
            let got;
            try {
                // Past the deadline or the caller's abort (which may end a wait between
                // attempts), no attempt starts; one under way ends with the signal even where its
                // I/O ignores it.
                if (run.signal.aborted) throw abortReason(run.signal);
                got = await untilAborted(attempt(run.signal), run.signal);
            } catch (error) {
                const t = now();
                if (current !== run.id) return fallBack(error, t); // the machine is past this refresh
                if (run.cancelled()) {
                    machine.abandoned();
                    current = 0;
                    throw error;
                }
                const retryAt = machine.failed(t, String(error?.code), jitter(), error?.retryAfterMs);
                if (retryAt === undefined) {
                    current = 0;
                    lastError = error;
                    return fallBack(error, t);
                }
                await sleep(retryAt - t, run.signal).catch(() => {});
                continue;
            }
            return record(run, got);
        }
    }

    /**
     * Credentials from a shared store, offered during refresh `run`: fresh ones end it (returned);
     * due ones that are still newer than the cached ones are kept to fall back on while it goes on
     * (null returned).
     */
    function offer(run, entry) {
        if (entry === null || current !== run.id || (lease !== null && entry.lease.expiration <= lease.expiration)) return null;
        adopt(entry.credentials, entry.lease);
        if (now() < freshUntil) return cached;
        // Adopting ended the machine's refresh; this one goes on, with the same deadline.
        machine.started(run.startedAt);
        current = run.id;
        return null;
    }

    /** One refresh; `callerSignal` where it is one caller's own (not shared). */
    async function refresh(callerSignal) {
        const id = ++runs;
        const startedAt = now();
        const deadline = machine.started(startedAt);
        current = id;
        const controller = new AbortController();
        const seconds = Math.round((deadline - startedAt) / 1000);
        const timedOut = fail("Network", `the credentials refresh did not finish within ${seconds} s`);
        const onDeadline = () => {
            if (current === id) {
                machine.poll(now()); // past the deadline the machine gives up on the refresh
                if (!machine.refreshing) {
                    current = 0;
                    lastError = timedOut;
                }
            }
            controller.abort(timedOut);
        };
        const timer = deadline - startedAt <= MAX_TIMER_MS ? setTimeout(onDeadline, Math.max(0, deadline - startedAt)) : undefined;
        const run = {
            id,
            startedAt,
            deadline,
            fresh: false,
            signal: callerSignal ? eitherSignal(controller.signal, callerSignal) : controller.signal,
            cancelled: () => callerSignal?.aborted === true,
            attempts: (attempt) => attempts(run, attempt),
            offer: (entry) => offer(run, entry),
            lease: () => lease,
        };
        try {
            return await body(run);
        } catch (error) {
            // An error outside the attempts (a bug, a store that broke its contract) ends the
            // refresh as failed; `Internal` is never retried.
            if (current === id) {
                machine.failed(now(), "Internal", jitter());
                current = 0;
                lastError = error;
            }
            throw error;
        } finally {
            clearTimeout(timer);
        }
    }

    /** A refresh that concurrent callers share. */
    function sharedRefresh() {
        const p = refresh().finally(() => {
            if (pending === p) pending = null;
        });
        return (pending = p);
    }

    async function credentials({ signal } = {}) {
        const t = now();
        if (t < freshUntil) return cached;
        await loaded();
        ensureMachine();
        const wasRefreshing = machine.refreshing;
        const action = machine.poll(t);
        if (wasRefreshing && !machine.refreshing) {
            // The refresh under way outlived its deadline: the machine gave up on it.
            current = 0;
            lastError = fail("Network", "the credentials refresh under way did not finish in time");
        }
        switch (action) {
            case Action.UseCached:
                return cached;
            case Action.Fail:
                throw lastError ?? fail(machine.failure, "the last credentials refresh failed");
            case Action.Join:
                if (shareRefresh && pending !== null) return untilAborted(pending, signal);
                // Where callers cannot share a refresh (Workers), each refreshes on its own.
                return refresh(signal);
            case Action.RefreshWhileUsable:
                if (background) {
                    sharedRefresh().catch(() => {}); // its outcome reaches the machine
                    return cached;
                }
            // falls through
            default:
                return shareRefresh ? untilAborted(sharedRefresh(), signal) : refresh(signal);
        }
    }

    return {
        credentials,
        /** The cached credentials, or null. */
        get cached() {
            return cached;
        },
        /** The cached credentials' `{expiration, refreshAt}` (ms), or null. */
        get lease() {
            return lease;
        },
        /** Until when the cached credentials are used without asking the machine (ms). */
        get freshUntil() {
            return freshUntil;
        },
        /** The refresh under way that callers share, or null. */
        get pending() {
            return pending;
        },
        /** The error of the last failed refresh, or null. */
        get lastError() {
            return lastError;
        },
        /** Takes over credentials obtained elsewhere (restored from storage) with their lease. */
        async adopt(credentials, theirs) {
            await loaded();
            ensureMachine();
            return adopt(credentials, theirs);
        },
    };
}

// ---- a shared store ------------------------------------------------------------------------

/** How long a store lock lasts at most: a holder that died stops blocking the others then. */
const LOCK_TTL_MS = 30_000;
/** Waits between looks at the store while another process signs in: doubling, capped. */
const POLL_FIRST_MS = 20;
const POLL_MAX_MS = 1000;
/** Most looks at the store in one refresh (the deadline and the lock's TTL end them first). */
const MAX_POLLS = 64;

/** Throws `InvalidOptions` unless `store` has `get`, `set` and `lock`. */
function checkStore(store) {
    if (store === null || typeof store !== "object" || !["get", "set", "lock"].every((m) => typeof store[m] === "function")) {
        throw fail("InvalidOptions", "options.store must have get(key), set(key, value, {expiresAt}) and lock(key, {ttlMs}) methods");
    }
}

/**
 * One refresh through a shared store: take the store's credentials when they are fresh;
 * otherwise take the store's lock, look again, sign in (with the machine's retries, holding the
 * lock), write the sealed credentials, and unlock. While another process holds the lock, look at
 * the store with growing waits and take what it writes, or take the lock once it is free (its
 * holder finished without writing, or died and the lock expired). A store that fails is no
 * store: the refresh signs in.
 */
async function storeRefresh(run, { store, seal, material, now, sleep }) {
    let options = null;
    let key = null;
    let unlock = null;
    let done = false; // the refresh ended (an attempt cut short by the deadline may still run)
    const read = async () => {
        try {
            const bytes = await store.get(key);
            return bytes ? (await (await seal).open(key, bytes))?.entry ?? null : null;
        } catch {
            return null;
        }
    };
    const lock = async () => {
        try {
            return await store.lock(key, { ttlMs: Math.max(1, Math.min(LOCK_TTL_MS, run.deadline - now())) });
        } catch {
            return async () => {}; // no lock to be had: sign in without one
        }
    };
    const attempt = async (signal) => {
        options ??= await material();
        key ??= await sharedKey(options);
        for (let poll = 0; unlock === null; poll++) {
            const found = run.offer(await read());
            if (found) return { kept: found };
            unlock = await lock();
            if (done && unlock) await Promise.resolve().then(unlock).catch(() => {});
            if (unlock) {
                const again = run.offer(await read());
                if (again) return { kept: again };
                break;
            }
            if (poll >= MAX_POLLS) unlock = async () => {};
            else await sleep(Math.min(POLL_MAX_MS, POLL_FIRST_MS * 2 ** poll), signal);
        }
        return signInOnce(options, now, signal);
    };
    try {
        const credentials = await run.attempts(attempt);
        const lease = run.lease();
        if (run.fresh && lease !== null) {
            try {
                await store.set(key, await (await seal).seal(key, { credentials, lease }), { expiresAt: lease.expiration });
            } catch {
                // The credentials are good; the others will sign in for themselves.
            }
        }
        return credentials;
    } finally {
        done = true;
        if (unlock) await Promise.resolve().then(unlock).catch(() => {});
    }
}

// ---- the public providers ------------------------------------------------------------------

/**
 * A credential provider: an async function returning `{accessKeyId, secretAccessKey,
 * sessionToken, expiration}` that caches, refreshes and shares one refresh among concurrent
 * callers. Options are those of `getCredentials`, or a `source` that supplies the certificate
 * and key on each refresh (for rotating certificates), plus timing options; with `store` and
 * `storeSecret`, processes that share the store sign in once for all of them.
 *
 * In Cloudflare Workers a promise must not be awaited by a request other than the one that made
 * it, so there (`shareRefresh: false`, the default in workerd) callers never share a pending
 * refresh: while one request refreshes, the others keep the still-valid credentials; only when
 * none are valid does each request fetch its own.
 *
 * @param {object} options
 * @returns {(options?: {signal?: AbortSignal}) => Promise<{accessKeyId: string, secretAccessKey: string, sessionToken: string, expiration: Date}>}
 */
export function createCredentialProvider(options) {
    const { driver, source, signIn: rest } = providerOptions(options);
    const { store, storeSecret, ...signIn } = rest;
    const material = () => materialOf(source, signIn);
    if (store === undefined) {
        if (storeSecret !== undefined) throw fail("InvalidOptions", "options.storeSecret needs options.store");
        return createDriver(driver, (run) => run.attempts(async (signal) => signInOnce(await material(), driver.now, signal))).credentials;
    }
    checkStore(store);
    secretList(storeSecret, "options.storeSecret");
    let seal = null;
    return createDriver(driver, (run) => {
        seal ??= sealer(storeSecret, "options.storeSecret");
        return storeRefresh(run, { store, seal, material, now: driver.now, sleep: driver.sleep });
    }).credentials;
}

/**
 * An AWS SDK for JavaScript v3 credential provider (`AwsCredentialIdentityProvider`) signing in
 * through IAM Roles Anywhere: `new STSClient({ credentials: fromRolesAnywhere({...}) })`.
 * Takes the options of `createCredentialProvider`.
 */
export function fromRolesAnywhere(options) {
    const provider = createCredentialProvider(options);
    return (identityProperties) => provider({ signal: identityProperties?.signal });
}
