// Credentials that stay fresh: a caching provider over `getCredentials`, with the refresh rule
// and backoff of the core (`rolesanywhere::refresh`): refresh at half the session lifetime, or
// earlier when less than a margin is left or the certificate is about to expire; retries with
// full-jitter backoff on throttling, server and network errors only; old credentials served
// while a refresh fails and they are still valid.
import * as wasm from "./glue/rolesanywhere.js";
import { fail, getCredentialsDetailed, loaded } from "./core.js";

const WORKERD = typeof navigator !== "undefined" && navigator.userAgent === "Cloudflare-Workers";
/** How long a Workers refresh may be "in progress" before another request may start one. */
const WORKERS_REFRESH_TIMEOUT_MS = 30_000;

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
        refreshMarginSeconds = 300,
        maxRetries = 3,
        baseDelayMs = 100,
        maxDelayMs = 20_000,
        now = () => Date.now(),
        sleep = defaultSleep,
        random = Math.random,
        shareRefresh = !WORKERD,
        ...sessionOptions
    } = options;
    if (source !== undefined && typeof source !== "function") throw fail("InvalidOptions", "options.source must be a function");
    for (const [name, value] of Object.entries({ refreshMarginSeconds, maxRetries, baseDelayMs, maxDelayMs })) {
        if (!Number.isInteger(value) || value < 0) throw fail("InvalidOptions", `options.${name} must be a non-negative integer`);
    }

    let cached = null; // {credentials, refreshAt: ms}
    let pending = null; // shared refresh (not in Workers)
    let refreshingSince = 0; // Workers: a plain timestamp, never a promise
    let retryAfter = 0;
    let failures = 0;

    const usable = (c, t) => c !== null && t + 1000 < c.credentials.expiration.getTime();
    const jitter = () => Math.floor(random() * 2 ** 32) >>> 0;

    async function fetchOnce(signal) {
        for (let retry = 0; ; retry++) {
            const material = source ? await source() : {};
            const issued = now();
            try {
                const { credentials, certificateNotAfter } = await getCredentialsDetailed({ ...sessionOptions, ...material, date: new Date(issued), signal });
                const refreshAt = wasm.refreshAt(issued, credentials.expiration.getTime(), certificateNotAfter, refreshMarginSeconds);
                return { credentials, refreshAt };
            } catch (e) {
                if (signal?.aborted || retry >= maxRetries || !wasm.isRetryable(String(e?.code))) throw e;
                await sleep(wasm.backoffDelay(retry, jitter(), baseDelayMs, maxDelayMs), signal);
            }
        }
    }

    async function refresh(signal) {
        try {
            const fresh = await fetchOnce(signal);
            cached = fresh;
            failures = 0;
            retryAfter = 0;
            return fresh.credentials;
        } catch (e) {
            const t = now();
            if (!signal?.aborted && usable(cached, t)) {
                // Stale while refreshing: the old credentials still work; try again later.
                retryAfter = t + Math.max(1000, wasm.backoffDelay(failures, jitter(), baseDelayMs, maxDelayMs));
                failures++;
                return cached.credentials;
            }
            throw e;
        }
    }

    return async function credentials({ signal } = {}) {
        const t = now();
        if (cached !== null && t < cached.refreshAt && usable(cached, t)) return cached.credentials;
        await loaded();
        if (usable(cached, t) && (t < retryAfter || (!shareRefresh && refreshingSince !== 0 && t - refreshingSince < WORKERS_REFRESH_TIMEOUT_MS))) {
            return cached.credentials;
        }
        if (shareRefresh) {
            pending ??= refresh().finally(() => (pending = null));
            return raceAbort(pending, signal);
        }
        refreshingSince = t;
        try {
            return await refresh(signal);
        } finally {
            refreshingSince = 0;
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
