// The Workers credential broker's two sides, apart from the Durable Object class itself
// (workers.js, which needs `cloudflare:workers`): the provider each isolate keeps
// (`fromCredentialBroker`), and the request and answer that cross between an isolate and the
// object. Both sides drive the core's machine through provider.js's driver: the isolate adopts
// the object's credentials with the lease the object's machine gave them, so that no refresh rule
// is written twice.
import { fail, untilAborted } from "./core.js";
import { createDriver, materialOf, providerOptions, sharedKey, signInOnce } from "./provider.js";

/** The machine's timing options, sent along so that the object refreshes as its callers do. */
const TIMING = ["refreshMarginSeconds", "maxRetries", "baseDelayMs", "maxDelayMs", "refreshTimeoutMs"];
/** Options that stay in the isolate: its own `fetch`, and what belongs to one call. */
const LOCAL = ["fetch", "signal", "date"];

const isBytes = (v) => v instanceof Uint8Array || v instanceof ArrayBuffer;
const isInput = (v) => typeof v === "string" || isBytes(v);

/**
 * What an isolate sends the object: the sign-in options (the certificate and a PEM or DER key:
 * a `CryptoKey` cannot be sent, and each isolate's `fetch` stays its own) and the timing.
 * Internal.
 */
export function brokerRequest(options, timing) {
    if (!isInput(options.certificate)) throw fail("InvalidOptions", "options.certificate must be a PEM string or DER bytes");
    if (!isInput(options.privateKey)) {
        throw fail("InvalidOptions", "the credential broker needs the private key as a PEM string or DER bytes (a CryptoKey cannot be sent to it)");
    }
    const sent = {};
    for (const [name, value] of Object.entries(options)) {
        if (value !== undefined && typeof value !== "function" && !LOCAL.includes(name)) sent[name] = value;
    }
    const sentTiming = {};
    for (const name of TIMING) if (timing[name] !== undefined) sentTiming[name] = timing[name];
    return { options: sent, timing: sentTiming };
}

/** Checks what an object received (from an isolate of the same Worker, but over a boundary). Internal. */
export function checkBrokerRequest(request) {
    if (request === null || typeof request !== "object" || request.options === null || typeof request.options !== "object") {
        throw fail("InvalidOptions", "a broker request is {options, timing}");
    }
    const timing = {};
    for (const name of TIMING) {
        const value = request.timing?.[name];
        if (value !== undefined && !(Number.isInteger(value) && value >= 0)) throw fail("InvalidOptions", `timing.${name} must be a non-negative integer`);
        timing[name] = value;
    }
    if (timing.refreshTimeoutMs === 0) timing.refreshTimeoutMs = undefined;
    return { options: request.options, timing };
}

/** The object's answer: the credentials with their lease (times in ms), or an error. Internal. */
export function brokerAnswer(credentials, lease) {
    const { accessKeyId, secretAccessKey, sessionToken, expiration } = credentials;
    return { credentials: { accessKeyId, secretAccessKey, sessionToken, expiration: expiration.getTime() }, lease: { ...lease } };
}

/** The object's answer for an error: its code and message (never a secret: the package's errors hold none). Internal. */
export function brokerError(error) {
    return { error: { code: typeof error?.code === "string" ? error.code : "Internal", message: String(error?.message ?? error) } };
}

/** What an answer holds: `{credentials, lease}`, a thrown error with the object's code, or null if it is no answer. */
function readAnswer(answer) {
    if (answer?.error && typeof answer.error.code === "string") throw fail(answer.error.code, `credential broker: ${answer.error.message}`);
    const c = answer?.credentials;
    const l = answer?.lease;
    const time = (t) => Number.isSafeInteger(t) && t > 0;
    if (!c || !l || typeof c.accessKeyId !== "string" || typeof c.secretAccessKey !== "string" || typeof c.sessionToken !== "string" ||
        !time(c.expiration) || !time(l.expiration) || !time(l.refreshAt)) {
        return null;
    }
    const credentials = { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken, expiration: new Date(c.expiration) };
    return { credentials, lease: { expiration: l.expiration, refreshAt: l.refreshAt } };
}

/**
 * A credential provider that gets its credentials from a `CredentialBroker` Durable Object (see
 * workers.js), one object per certificate and request options, named by `sharedKey`: the isolate
 * keeps the credentials until the object's lease says they are due, then asks the object again.
 * When the object cannot be reached (or answers with something else than an answer), the
 * isolate signs in directly; the machine's retries and backoff apply to both. An error the object
 * reports (its own sign-in was refused or throttled) is this provider's error, with its code.
 *
 * @param {{idFromName(name: string): unknown, get(id: unknown): object}} namespace the Durable Object binding
 * @param {object} options those of `createCredentialProvider` (no `store`)
 */
export function fromCredentialBroker(namespace, options) {
    if (namespace === null || typeof namespace !== "object" || typeof namespace.idFromName !== "function" || typeof namespace.get !== "function") {
        throw fail("InvalidOptions", "fromCredentialBroker takes a Durable Object namespace binding (env.BROKER) first");
    }
    const { driver, source, signIn } = providerOptions(options);
    if (signIn.store !== undefined || signIn.storeSecret !== undefined) throw fail("InvalidOptions", "the credential broker is the store: no options.store");
    if (!source) brokerRequest(signIn, driver.timing); // the options' errors, at once
    const attempt = async (signal) => {
        const material = await materialOf(source, signIn);
        const request = brokerRequest(material, driver.timing);
        const name = await sharedKey(material);
        let answer;
        try {
            const stub = namespace.get(namespace.idFromName(name));
            answer = await untilAborted(Promise.resolve(stub.credentials(request)), signal);
        } catch (e) {
            if (signal.aborted) throw e;
            answer = null; // unreachable, or the object threw
        }
        return readAnswer(answer) ?? signInOnce(material, driver.now, signal);
    };
    const provider = createDriver(driver, (run) => run.attempts(attempt)).credentials;
    // The same function serves as an aws-sdk-js-v3 credential provider (it reads `signal` only).
    return (identityProperties) => provider({ signal: identityProperties?.signal });
}
