// Node side of benches/bench_iam_rolesanywhere_session.py (not a test): reads lines `MODE N` on stdin,
// makes N calls of that scenario of bench-lib.js for fixture case p256-pkcs8
// (createSessionRequest with a CryptoKey, with the PEM key on the default path, with signer
// "wasm"; `bare`: crypto.subtle.sign alone), timed one at a time, and answers one line: the JSON array of µs per call. `show`
// answers the request built (headers and body) once.
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import * as api from "../../pkg/node.js";
import { fixturePath } from "./paths.js";
import { scenarios } from "./bench-lib.js";

const fixture = JSON.parse(readFileSync(fixturePath(), "utf8"));
const fns = await scenarios(api, fixture, "p256-pkcs8");
for await (const line of createInterface({ input: process.stdin })) {
    const [mode, n] = line.trim().split(/\s+/);
    if (mode === "show") {
        const c = fixture.cases.find((x) => x.name === "p256-pkcs8");
        console.log(JSON.stringify(await api.createSessionRequest(c.options)));
        continue;
    }
    const xs = [];
    for (let i = 0; i < Number(n); i++) {
        const t = performance.now();
        await fns[mode]();
        xs.push((performance.now() - t) * 1000);
    }
    console.log(JSON.stringify(xs));
}
