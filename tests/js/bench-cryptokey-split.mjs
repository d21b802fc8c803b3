// Where the time of createSessionRequest with a CryptoKey goes, in Node and workerd (a bench, not
// a test; bench-cryptokey-split-lib.js says what each scenario times). Batches of calls per
// scenario, 9 rounds over the scenarios so that load hits them alike; medians per call. Node also
// reports the process CPU time per call (main thread and libuv threadpool, process.cpuUsage).
//   node tests/js/bench-cryptokey-split.mjs [BATCH=1000]   (needs target/js-fixture.json and pkg/glue/)
import { readFileSync } from "node:fs";
import * as api from "../../pkg/node.js";
import * as wasm from "../../pkg/glue/rolesanywhere.js";
import * as wire from "../../pkg/wire.js";
import { workerInRepo } from "./miniflare.mjs";
import { fixturePath } from "./paths.js";
import { median } from "./bench-lib.js";
import { SPLIT_MODES, splitReport, splitScenarios } from "./bench-cryptokey-split-lib.js";

// Batches of 200 left workerd's 1 ms clock steps and the load's swings in the medians.
const BATCH = Number(process.argv[2] ?? 1000);
const ROUNDS = 9;
const fixture = JSON.parse(readFileSync(fixturePath(), "utf8"));

const fns = await splitScenarios({ api, wasm, wire }, fixture);
const wall = Object.fromEntries(SPLIT_MODES.map((m) => [m, []]));
const cpu = Object.fromEntries(SPLIT_MODES.map((m) => [m, []]));
for (let r = 0; r < ROUNDS; r++) {
    for (const m of SPLIT_MODES) {
        for (let i = 0; i < 10; i++) await fns[m]();
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        for (let i = 0; i < BATCH; i++) await fns[m]();
        const t1 = performance.now();
        const c = process.cpuUsage(c0);
        wall[m].push(((t1 - t0) * 1000) / BATCH);
        cpu[m].push((c.user + c.system) / BATCH);
    }
}
const med = (xs) => Object.fromEntries(SPLIT_MODES.map((m) => [m, median(xs[m])]));
console.log(splitReport(`node ${process.version}, batches of ${BATCH}, ${ROUNDS} rounds`, med(wall), med(cpu)));

const mf = workerInRepo("bench-cryptokey-split-worker.js", { bindings: { FIXTURE: fixture } });
try {
    const inside = Object.fromEntries(SPLIT_MODES.map((m) => [m, []]));
    // Batches of about the same length: the Worker's clock has 1 ms steps.
    const n = { bare: 5 * BATCH, wasm: 2 * BATCH, wasmThenSign: BATCH, flow: BATCH };
    const batch = async (mode, count) => (await mf.dispatchFetch(`http://localhost/?mode=${mode}&n=${count}`)).json();
    for (const m of SPLIT_MODES) await batch(m, BATCH); // warm-up (JIT tiers)
    for (let r = 0; r < ROUNDS; r++) {
        for (const m of SPLIT_MODES) inside[m].push(((await batch(m, n[m])).ms * 1000) / n[m]);
    }
    console.log(splitReport(`workerd (miniflare), batches of ${n.flow}-${n.bare}, ${ROUNDS} rounds, timed inside the Worker`, med(inside)));
} finally {
    await mf.dispose();
}
