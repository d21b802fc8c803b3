// Node bench (not a test): medians over N runs of createSessionRequest with a CryptoKey, with a
// PEM key on the default path, and with signer "wasm", against a bare crypto.subtle.sign of the
// same string to sign.   node tests/js/bench-node.mjs [N=300]   (needs target/js-fixture.json)
import { readFileSync } from "node:fs";
import { createSessionRequest } from "../../pkg/node.js";
import { fixturePath } from "./paths.js";

const N = Number(process.argv[2] ?? 300);
const fixture = JSON.parse(readFileSync(fixturePath(), "utf8"));
const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
async function time(fn) {
    for (let i = 0; i < 20; i++) await fn();
    const xs = [];
    for (let i = 0; i < N; i++) {
        const t = performance.now();
        await fn();
        xs.push((performance.now() - t) * 1000);
    }
    return median(xs);
}
const der = (pem) => Uint8Array.from(atob(pem.replace(/-----[^-]+-----|\s/g, "")), (c) => c.charCodeAt(0));
for (const name of ["p256-pkcs8", "p384-pkcs8", "rsa2048-pkcs8"]) {
    const c = fixture.cases.find((x) => x.name === name);
    const imp = c.keyType === "RSA" ? { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } : { name: "ECDSA", namedCurve: c.keyType };
    const sig = c.keyType === "RSA" ? { name: "RSASSA-PKCS1-v1_5" } : { name: "ECDSA", hash: "SHA-256" };
    const key = await crypto.subtle.importKey("pkcs8", der(c.options.privateKey), imp, false, ["sign"]);
    const msg = new TextEncoder().encode(c.stringToSign);
    const opts = { ...c.options, date: fixture.dateMs };
    const bare = await time(() => crypto.subtle.sign(sig, key, msg));
    const withKey = await time(() => createSessionRequest({ ...opts, privateKey: key }));
    const pem = await time(() => createSessionRequest(opts));
    const inWasm = await time(() => createSessionRequest({ ...opts, signer: "wasm" }));
    const f = (x) => `${x.toFixed(0)} µs`;
    console.log(`${name}: bare subtle.sign ${f(bare)} | CryptoKey ${f(withKey)} (${(withKey / bare).toFixed(2)}x) | ` +
        `PEM default ${f(pem)} (${(pem / bare).toFixed(2)}x) | signer wasm ${f(inWasm)} (${(inWasm / bare).toFixed(2)}x)`);
}
