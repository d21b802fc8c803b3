// Credentials that stay fresh: a caching provider over `getCredentials`, driven by the core's
// provider state machine (`rolesanywhere::Provider`, a wasm `Provider`), which decides when to
// refresh (at half the session lifetime, or earlier near the credentials' or the certificate's
// expiry), one refresh at a time, stale-while-refresh, which errors to retry and how long to back
// off. This file keeps the credentials and does the I/O: the clock, the sign-in, the sleeps, and
// sharing a pending refresh among callers.
import * as wasm from "./glue/rolesanywhere.js";
import { fail, getCredentialsDetailed, loaded } from "./core.js";

const WORKERD = typeof navigator !== "undefined" && navigator.userAgent === "Cloudflare-Workers";

function abortError(signal) {
    return signal.reason ?? fail("Aborted", "aborted");
}

/** Waits `ms`, or rejects when `signal` aborts. */
function defaultSleep(ms, signal) {
    return new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(abortError(signal));
        const timer = setTimeout(() => {
            signal?.removeEventListener("abort", onAbort);
            resolve();
        }, ms);
        const onAbort = () => {
            clearTimeout(timer);
            reject(abortError(signal));
        };
        signal?.addEventListener("abort", onAbort, { once: true });
    });
}

/** `promise`, or a rejection as soon as `signal` aborts (the promise itself goes on). */
function raceAbort(promise, signal) {
    if (!signal) return promise;
    if (signal.aborted) return Promise.reject(abortError(signal));
    return new Promise((resolve, reject) => {
        const onAbort = () => reject(abortError(signal));
        signal.addEventListener("abort", onAbort, { once: true });
        promise.then(
            (v) => {
                signal.removeEventListener("abort", onAbort);
                resolve(v);
            },
            (e) => {
                signal.removeEventListener("abort", onAbort);
                reject(e);
            },
        );
    });
}

/**
 * A credential provider: an async function returning `{accessKeyId, secretAccessKey,
 * sessionToken, expiration}` that caches, refreshes and shares one refresh among concurrent
 * callers. Options are those of `getCredentials`, or a `source` that supplies the certificate
 * and key on each refresh (for rotating certificates), plus timing options.
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
    if (options === null || typeof options !== "object") throw fail("InvalidOptions", "options must be an object");
    const {
        source,
        refreshMarginSeconds,
        maxRetries,
        baseDelayMs,
        maxDelayMs,
        now = () => Date.now(),
        sleep = defaultSleep,
        random = Math.random,
        shareRefresh = !WORKERD,
        ...sessionOptions
    } = options;
    if (source !== undefined && typeof source !== "function") throw fail("InvalidOptions", "options.source must be a function");
    for (const [name, value] of Object.entries({ refreshMarginSeconds, maxRetries, baseDelayMs, maxDelayMs })) {
        if (value !== undefined && !(Number.isInteger(value) && value >= 0)) throw fail("InvalidOptions", `options.${name} must be a non-negative integer`);
    }

    let machine = null; // the wasm Provider, made on first use
    let cached = null; // the credentials
    let freshUntil = 0; // ms: until then `cached` is served without asking the machine
    let pending = null; // the shared refresh (not in Workers)
    let lastError = null; // the error of the last failed refresh

    const jitter = () => Math.floor(random() * 2 ** 32) >>> 0;

    /** The end of a failed refresh: the cached credentials while they are usable, else the error. */
    function failedRefresh(error, t) {
        lastError = error;
        if (machine.poll(t) === wasm.ProviderAction.UseCached) return cached;
        throw error;
    }

    /** One refresh: attempts until one succeeds or the machine gives up. */
    async function refresh(signal) {
        machine.started(now());
        for (;;) {
            let issued, got;
            try {
                const material = source ? await source() : {};
                issued = now();
                got = await getCredentialsDetailed({ ...sessionOptions, ...material, date: new Date(issued), signal });
            } catch (error) {
                if (signal?.aborted) {
                    machine.abandoned();
                    throw error;
                }
                const t = now();
                const retryAt = machine.failed(t, String(error?.code), jitter(), error?.retryAfterMs);
                if (retryAt === undefined) return failedRefresh(error, t);
                try {
                    await sleep(retryAt - t, signal);
                } catch (e) {
                    machine.abandoned();
                    throw e;
                }
                continue;
            }
            try {
                freshUntil = machine.succeeded(issued, got.credentials.expiration.getTime(), got.certificateNotAfter);
            } catch (e) {
                // Credentials already expired or about to: the machine ended the refresh as failed.
                return failedRefresh(e, now());
            }
            cached = got.credentials;
            lastError = null;
            return cached;
        }
    }

    /** A refresh that concurrent callers share. */
    function sharedRefresh() {
        const p = refresh().finally(() => {
            if (pending === p) pending = null;
        });
        return (pending = p);
    }

    return async function credentials({ signal } = {}) {
        const t = now();
        if (t < freshUntil) return cached;
        await loaded();
        machine ??= new wasm.Provider(refreshMarginSeconds, maxRetries, baseDelayMs, maxDelayMs);
        switch (machine.poll(t)) {
            case wasm.ProviderAction.UseCached:
                return cached;
            case wasm.ProviderAction.Fail:
                throw lastError ?? fail(machine.failure, "the credentials refresh under way has not finished in time");
            case wasm.ProviderAction.Join:
                if (shareRefresh && pending !== null) return raceAbort(pending, signal);
                // Where callers cannot share a refresh (Workers), each refreshes on its own.
                return refresh(signal);
            default:
                return shareRefresh ? raceAbort(sharedRefresh(), signal) : refresh(signal);
        }
    };
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
