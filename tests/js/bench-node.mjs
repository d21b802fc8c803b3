// Node bench (not a test): medians over N runs of createSessionRequest with a CryptoKey, with a
// PEM key on the default path, and with signer "wasm", against a bare crypto.subtle.sign of the
// same string to sign; then ML-DSA-44/65/87 with signer "wasm" against P-256 (tests/js/bench-lib.js).
//   node tests/js/bench-node.mjs [N=300]   (needs target/js-fixture.json; scripts/bench-js runs it)
import { readFileSync } from "node:fs";
import * as api from "../../pkg/node.js";
import { fixturePath } from "./paths.js";
import { CASES, mlDsaScenarios, report, reportMlDsa, scenarios, timeModes } from "./bench-lib.js";

const N = Number(process.argv[2] ?? 300);
const fixture = JSON.parse(readFileSync(fixturePath(), "utf8"));
console.log(`node ${process.version}, ${N} runs each (3 rounds of blocks), build ${readFileSync(new URL("../../pkg/glue/VARIANT", import.meta.url), "utf8").trim()}`);
for (const name of CASES) {
    const fns = await scenarios(api, fixture, name);
    console.log(report(name, await timeModes(fns, N)));
}
const mlDsa = await mlDsaScenarios(api, fixture);
console.log(reportMlDsa(await timeModes(mlDsa, N, { order: Object.keys(mlDsa) })));
