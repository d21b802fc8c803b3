// What the SigV4 benches time (not a test), shared by bench-sigv4-node.mjs, bench-sigv4-deno.mjs
// and bench-sigv4-workerd-worker.js so the three runtimes time the same calls: one signed STS
// request (POST https://sts.us-east-1.amazonaws.com/, form body GetCallerIdentity, a
// content-type header, a 432-character session token) signed by ours (`signRequest`), by
// aws4fetch (`new AwsV4Signer({...}).sign()`, `allHeaders` so that it signs content-type as the
// others do; with and without the signing-key cache that its AwsClient shares between signers)
// and by `@smithy/signature-v4` (one SignatureV4 made up front, a new HttpRequest per call, as
// the SDK does); and a cached hit of `createCredentialProvider`.
//
// Every signer uses the current time (no fixed date), as users call them; `checkSameSignature`
// first makes sure all of them sign the request identically at a fixed date.

/** SigV4 scenario names, in report order; `ours` is the numerator of the ratios. */
export const SIGV4_MODES = ["ours", "aws4fetch", "aws4fetchCached", "smithy"];

export const STS = {
    method: "POST",
    url: "https://sts.us-east-1.amazonaws.com/",
    host: "sts.us-east-1.amazonaws.com",
    headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
    body: "Action=GetCallerIdentity&Version=2011-06-15",
};
export const CREDENTIALS = {
    accessKeyId: "ASIAEXAMPLEEXAMPLE12",
    secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    sessionToken: "FwoGZXIvYXdzEBYaDExampleSessionTokenForTheBenchOnly/+=".repeat(8),
};
const REGION = "us-east-1";
const SERVICE = "sts";

/**
 * The calls to time: `{ours, aws4fetch, aws4fetchCached, smithy}`, each an async function
 * signing the STS request once and returning the Authorization header. `libs`: `{signRequest,
 * AwsV4Signer, SignatureV4, HttpRequest, sha256}` (`sha256`: smithy's hash constructor for the
 * runtime).
 */
export function sigv4Scenarios({ signRequest, AwsV4Signer, SignatureV4, HttpRequest, sha256 }, date) {
    const smithy = new SignatureV4({ credentials: CREDENTIALS, region: REGION, service: SERVICE, sha256, applyChecksum: false });
    const a4fCache = new Map();
    const datetime = date && date.toISOString().replace(/[:-]|\.\d{3}/g, "");
    const a4f = (cache) => async () => {
        const signed = await new AwsV4Signer({ ...STS, ...CREDENTIALS, service: SERVICE, region: REGION, cache, datetime, allHeaders: true }).sign();
        return signed.headers.get("authorization");
    };
    return {
        ours: async () => (await signRequest(STS, CREDENTIALS, { service: SERVICE, region: REGION, date })).headers.authorization,
        aws4fetch: a4f(undefined),
        aws4fetchCached: a4f(a4fCache),
        smithy: async () => {
            const request = new HttpRequest({ method: STS.method, protocol: "https:", hostname: STS.host, path: "/", headers: { host: STS.host, ...STS.headers }, body: STS.body });
            return (await smithy.sign(request, { signingDate: date })).headers.authorization;
        },
    };
}

/** Throws unless the four scenarios sign the request identically (at a fixed date). */
export async function checkSameSignature(libs) {
    const fns = sigv4Scenarios(libs, new Date(Date.UTC(2026, 2, 1, 12, 34, 56)));
    const auth = {};
    for (const m of SIGV4_MODES) auth[m] = await fns[m]();
    if (new Set(Object.values(auth)).size !== 1) throw new Error(`the signers disagree: ${JSON.stringify(auth, null, 1)}`);
    return auth.ours;
}

/**
 * A warm `createCredentialProvider` (first call made) over a scripted CreateSession endpoint
 * (a `fetch` answering 201 with one-hour credentials), for fixture case `p256-pkcs8`: calling
 * the returned function is a cached hit.
 */
export async function warmProvider(api, fixture) {
    const c = fixture.cases.find((x) => x.name === "p256-pkcs8");
    let calls = 0;
    const fetch = async () => {
        calls++;
        const expiration = new Date(Date.now() + 3600_000).toISOString();
        const body = { credentialSet: [{ credentials: { accessKeyId: "ASIAEXAMPLE", secretAccessKey: "s", sessionToken: "t", expiration } }] };
        return new Response(JSON.stringify(body), { status: 201 });
    };
    const provider = api.createCredentialProvider({ ...c.options, fetch });
    const first = await provider();
    if (first.accessKeyId !== "ASIAEXAMPLE" || calls !== 1) throw new Error("the provider did not fetch credentials");
    const hit = () => provider();
    hit.calls = () => calls;
    return hit;
}

/** Medians in µs per call of `n`-call batches of `fn` (for calls shorter than a timer tick). */
export async function timeBatches(fn, { n = 1000, batches = 31, now = () => performance.now() } = {}) {
    for (let i = 0; i < n; i++) await fn();
    const xs = [];
    for (let b = 0; b < batches; b++) {
        const t = now();
        for (let i = 0; i < n; i++) await fn();
        xs.push(((now() - t) * 1000) / n);
    }
    return [...xs].sort((a, b) => a - b)[xs.length >> 1];
}

/**
 * Inside a Worker: the time in ms, by the Worker's clock, of `n` calls of `fn` in a row. workerd's
 * clocks only move across I/O, so the batch is bracketed by awaited timers and timed as a whole.
 */
export async function workerBatchMs(fn, n) {
    const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
    await tick();
    const d0 = Date.now();
    for (let i = 0; i < n; i++) await fn();
    await tick();
    return Date.now() - d0;
}

const us = (x) => (x < 10 ? `${x.toFixed(2)} µs` : x < 100 ? `${x.toFixed(1)} µs` : `${x.toFixed(0)} µs`);
const ops = (x) => `${Math.round(1e6 / x).toLocaleString("en-US")} ops/s`;

/** The report: one line per signer (median µs/op, ops/s), the ratios, the provider hit. */
export function sigv4Report(t, providerUs) {
    const label = {
        ours: "ours (signRequest)",
        aws4fetch: "aws4fetch (new AwsV4Signer, no key cache)",
        aws4fetchCached: "aws4fetch (shared key cache, as AwsClient)",
        smithy: "@smithy/signature-v4",
    };
    const lines = SIGV4_MODES.map((m) => `  ${label[m].padEnd(44)} ${us(t[m]).padStart(10)}  ${ops(t[m]).padStart(15)}`);
    const r = (m) => `${(t.ours / t[m]).toFixed(3)}x time (${(t[m] / t.ours).toFixed(1)}x faster)`;
    lines.push(`  ratio ours:aws4fetch ${r("aws4fetch")} | ours:aws4fetch cached ${r("aws4fetchCached")} | ours:smithy ${r("smithy")}`);
    if (providerUs !== undefined) lines.push(`  cached credential provider hit (await provider()): ${us(providerUs)}`);
    return lines.join("\n");
}
