// Deno bench (not a test), the same calls as bench-node.mjs through the package's web entry:
//   deno run --allow-read=. --allow-env tests/js/bench-deno.mjs [N=300]   (scripts/bench-js runs it)
import * as api from "../../pkg/web.js";
import { CASES, mlDsaScenarios, report, reportMlDsa, scenarios, timeModes } from "./bench-lib.js";

const N = Number(Deno.args[0] ?? 300);
const path = Deno.env.get("ROLESANYWHERE_JS_FIXTURE") ?? new URL("../../target/js-fixture.json", import.meta.url);
const fixture = JSON.parse(await Deno.readTextFile(path));
console.log(`deno ${Deno.version.deno}, ${N} runs each (3 rounds of blocks)`);
for (const name of CASES) {
    const fns = await scenarios(api, fixture, name);
    console.log(report(name, await timeModes(fns, N)));
}
const mlDsa = await mlDsaScenarios(api, fixture);
console.log(reportMlDsa(await timeModes(mlDsa, N, { order: Object.keys(mlDsa) })));
