// What the JS benches time (not a test): for one fixture case, a bare `crypto.subtle.sign` of
// the case's string to sign, and createSessionRequest with a CryptoKey, with the PEM key on the
// default path, and with signer "wasm". Shared by bench-node.mjs, bench-deno.mjs and
// bench-workerd-worker.js, so the three runtimes time the same calls.

/** The cases benched: one per key type the package signs. */
export const CASES = ["p256-pkcs8", "p384-pkcs8", "rsa2048-pkcs8"];
/** Scenario names, in report order; `bare` is the baseline of the ratios. */
export const MODES = ["bare", "cryptoKey", "pem", "wasm"];

const der = (pem) => Uint8Array.from(atob(pem.replace(/-----[^-]+-----|\s/g, "")), (c) => c.charCodeAt(0));

/**
 * The calls to time for fixture case `name`: `{bare, cryptoKey, pem, wasm}`, each an async
 * function making one signature.
 */
export async function scenarios(api, fixture, name) {
    const c = fixture.cases.find((x) => x.name === name);
    const imp = c.keyType === "RSA" ? { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } : { name: "ECDSA", namedCurve: c.keyType };
    const sig = c.keyType === "RSA" ? { name: "RSASSA-PKCS1-v1_5" } : { name: "ECDSA", hash: "SHA-256" };
    const key = await crypto.subtle.importKey("pkcs8", der(c.options.privateKey), imp, false, ["sign"]);
    const msg = new TextEncoder().encode(c.stringToSign);
    const opts = { ...c.options, date: fixture.dateMs };
    return {
        bare: () => crypto.subtle.sign(sig, key, msg),
        cryptoKey: () => api.createSessionRequest({ ...opts, privateKey: key }),
        pem: () => api.createSessionRequest(opts),
        wasm: () => api.createSessionRequest({ ...opts, signer: "wasm" }),
    };
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Whether `fn` rejects with UnsupportedSigner (signer "wasm" in a build without that signer). */
export async function unsupported(fn) {
    try {
        await fn();
        return false;
    } catch (e) {
        if (e?.code === "UnsupportedSigner") return true;
        throw e;
    }
}

/** Median of `n` single calls of `fn` in µs, after 20 warm-up calls; `now()` in ms. NaN when
 * the build cannot make the call (UnsupportedSigner). */
export async function timeEach(fn, n, now = () => performance.now()) {
    if (await unsupported(fn)) return NaN;
    for (let i = 0; i < 20; i++) await fn();
    const xs = [];
    for (let i = 0; i < n; i++) {
        const t = now();
        await fn();
        xs.push((now() - t) * 1000);
    }
    return median(xs);
}

/** One report line: medians in µs and ratios to `bare`, measured in the same run. */
export function report(name, us, extra = "") {
    const f = (x) => `${x.toFixed(0)} µs`;
    const r = (m) => (Number.isNaN(us[m]) ? "n/a (no signer in this build)" : `${f(us[m])} (${(us[m] / us.bare).toFixed(2)}x)`);
    return `${name}: bare subtle.sign ${f(us.bare)} | CryptoKey ${r("cryptoKey")} | PEM default ${r("pem")} | ` +
        `signer wasm ${r("wasm")}${extra}`;
}
