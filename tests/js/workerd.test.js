// The suite in workerd (Cloudflare's runtime, via miniflare; no account, no network): loads
// workerd-worker.js with the package's "workerd" entry and reports each result as a node test.
import { test, after } from "node:test";
import { readFileSync } from "node:fs";
import { workerInRepo } from "./miniflare.mjs";
import { fixturePath } from "./paths.js";

const fixture = JSON.parse(readFileSync(fixturePath(), "utf8"));
const mf = workerInRepo("workerd-worker.js", { bindings: { FIXTURE: fixture } });
after(() => mf.dispose());
const response = await mf.dispatchFetch("http://localhost/");
const text = await response.text();
let results;
try {
    results = JSON.parse(text);
} catch {
    throw new Error(`workerd answered ${response.status}: ${text.slice(0, 2000)}`);
}
for (const r of results) {
    test(`workerd: ${r.name}`, () => {
        if (!r.ok) throw new Error(r.error);
    });
}
