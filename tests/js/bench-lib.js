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

/**
 * The ML-DSA calls to time (fixture.mlDsa, made by tests/js/fixture.mjs): createSessionRequest
 * with signer "wasm" for each set (the runtimes here have no ML-DSA in WebCrypto), with P-256's
 * bare `crypto.subtle.sign` and P-256 signer "wasm" as the baselines of the same run.
 * `{bare, "P-256 wasm", "ML-DSA-44", "ML-DSA-65", "ML-DSA-87"}`. Each ML-DSA call signs at a
 * new second: deterministic ML-DSA repeats its rejection loop a number of times fixed by the
 * message, so one message would time one draw of that count rather than its spread.
 */
export async function mlDsaScenarios(api, fixture) {
    const p256 = await scenarios(api, fixture, "p256-pkcs8");
    const fns = { bare: p256.bare, "P-256 wasm": p256.wasm };
    for (const c of fixture.mlDsa ?? []) {
        let date = fixture.dateMs;
        fns[c.keyType] = () => api.createSessionRequest({ ...c.options, date: (date += 1000), signer: "wasm" });
    }
    return fns;
}

/** The ML-DSA report line: medians in µs and ratios to P-256's bare sign, same run. */
export function reportMlDsa(us) {
    const parts = Object.entries(us).filter(([m]) => m !== "bare").map(([m, x]) =>
        `${m} ${Number.isNaN(x) ? "n/a (no signer in this build)" : `${x.toFixed(0)} µs (${(x / us.bare).toFixed(2)}x)`}`);
    return `ML-DSA, signer wasm: bare P-256 subtle.sign ${us.bare.toFixed(0)} µs | ${parts.join(" | ")}`;
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

/**
 * Medians in µs of `n` calls of each scenario of `fns` (`{mode: fn}`), timed one call at a time
 * in blocks: `rounds` rounds of bare, cryptoKey, pem, wasm, each block n/rounds calls after 10
 * warm-up calls. Blocks keep a mode's caches warm (interleaving call by call made the bare sign
 * pay for the other modes' cache misses, flattering the ratios); rounds spread every mode over
 * the run, so a change in machine load hits them alike. NaN for a mode the build cannot run
 * (UnsupportedSigner). `now()` in ms; `order`: the modes to time (bench-sigv4-lib.js passes its
 * own).
 */
export async function timeModes(fns, n, { rounds = 3, now = () => performance.now(), order = MODES } = {}) {
    const modes = [];
    const out = {};
    for (const m of order) {
        if (await unsupported(fns[m])) out[m] = NaN;
        else modes.push(m);
    }
    const xs = Object.fromEntries(modes.map((m) => [m, []]));
    const perBlock = Math.ceil(n / rounds);
    for (let r = 0; r < rounds; r++) {
        for (const m of modes) {
            for (let i = 0; i < 10; i++) await fns[m]();
            for (let i = 0; i < perBlock; i++) {
                const t = now();
                await fns[m]();
                xs[m].push((now() - t) * 1000);
            }
        }
    }
    for (const m of modes) out[m] = median(xs[m]);
    return out;
}

/** One report line: medians in µs and ratios to `bare`, measured in the same run. */
export function report(name, us, extra = "") {
    const f = (x) => `${x.toFixed(0)} µs`;
    const r = (m) => (Number.isNaN(us[m]) ? "n/a (no signer in this build)" : `${f(us[m])} (${(us[m] / us.bare).toFixed(2)}x)`);
    return `${name}: bare subtle.sign ${f(us.bare)} | CryptoKey ${r("cryptoKey")} | PEM default ${r("pem")} | ` +
        `signer wasm ${r("wasm")}${extra}`;
}
