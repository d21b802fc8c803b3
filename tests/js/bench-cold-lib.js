// What the cold-start bench (scripts/bench-cold) does in one fresh process or isolate: the steps
// of one row, each a function run once, in order, timed by the caller. Shared by
// bench-cold-run.js (Node, Deno: one process per row) and the workerd Worker that
// bench-cold.mjs generates (one fresh workerd per row, one request per step).

/** Rows, in report order; `bare` (WebCrypto import of the PKCS#8 key and one sign) is the
 * baseline. `pem`: the package's default path with the PEM key; `cryptoKey`: the caller imports
 * the key with WebCrypto and passes the CryptoKey; `direct`: `pem` as a user writes it, the
 * first call straight after the import (no step of its own for the wasm). */
export const ROWS = ["bare", "pem", "cryptoKey", "direct"];

const der = (pem) => Uint8Array.from(atob(pem.replace(/-----[^-]+-----|\s/g, "")), (c) => c.charCodeAt(0));
const ECDSA = { name: "ECDSA", namedCurve: "P-256" };

/**
 * The steps of `row` for the P-256 PKCS#8 case of the fixture: `[[name, fn], ...]`, run in order,
 * each once. `load()` imports the package entry (returns its namespace). Step names: `import`
 * (module graph loaded and evaluated), `wasm` (awaiting the wasm module's load: compile and
 * instantiate where the entry does it on first use), `key` (crypto.subtle.importKey of the
 * PKCS#8 key), `first` (the first createSessionRequest, with the one-time key check, and for
 * `pem` the package's own key import), `second` (the next request, for scale), `sign` (bare: one
 * crypto.subtle.sign of the string to sign).
 */
export function steps(row, fixture, load) {
    const c = fixture.cases.find((x) => x.name === "p256-pkcs8");
    const options = { ...c.options, date: fixture.dateMs };
    const s = {};
    const importKey = async () => {
        s.key = await crypto.subtle.importKey("pkcs8", der(c.options.privateKey), ECDSA, false, ["sign"]);
    };
    const request = (privateKey) => async () => {
        const r = await s.api.createSessionRequest(privateKey ? { ...options, privateKey: s.key } : options);
        if (!r.headers.Authorization) throw new Error("no Authorization header");
    };
    const imp = async () => {
        s.api = await load();
    };
    const wasm = async () => {
        await s.api.wasmSigners();
    };
    switch (row) {
        case "bare":
            return [["key", importKey], ["sign", async () => {
                await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, s.key, new TextEncoder().encode(c.stringToSign));
            }]];
        case "pem":
            return [["import", imp], ["wasm", wasm], ["first", request(false)], ["second", request(false)]];
        case "cryptoKey":
            return [["import", imp], ["wasm", wasm], ["key", importKey], ["first", request(true)], ["second", request(true)]];
        case "direct":
            return [["import", imp], ["first", request(false)]];
    }
    throw new Error(`unknown row ${row}`);
}
