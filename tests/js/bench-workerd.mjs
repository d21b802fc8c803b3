// workerd bench (not a test): the calls of bench-lib.js inside workerd (miniflare 4), timed in
// batches by the Worker (bench-workerd-worker.js), and checked against the wall time of each
// batch measured here, outside, less the median time of an empty batch.
//   node tests/js/bench-workerd.mjs [RUNS=300]   (scripts/bench-js runs it)
// Each scenario runs in batches of n calls (n chosen so that a batch takes >= 25 ms, since the
// Worker's clock has 1 ms steps), at least RUNS calls in all; reported: median over the batches
// of the per-call time inside, and the same from outside.
import { readFileSync } from "node:fs";
import { workerInRepo } from "./miniflare.mjs";
import { fixturePath } from "./paths.js";
import { CASES, MODES, median, report } from "./bench-lib.js";

const RUNS = Number(process.argv[2] ?? 300);
const fixture = JSON.parse(readFileSync(fixturePath(), "utf8"));
const mf = workerInRepo("bench-workerd-worker.js", { bindings: { FIXTURE: fixture } });

async function batch(name, mode, n) {
    const t = performance.now();
    const response = await mf.dispatchFetch(`http://localhost/?case=${name}&mode=${mode}&n=${n}`);
    const text = await response.text();
    const wallMs = performance.now() - t;
    if (!response.ok) throw new Error(`workerd answered ${response.status}: ${text.slice(0, 2000)}`);
    return { ...JSON.parse(text), wallMs };
}

try {
    console.log(`workerd (miniflare), >= ${RUNS} runs each, in batches timed inside the Worker; [outside: wall time per call]`);
    for (const name of CASES) {
        const inside = {};
        const outside = {};
        for (const mode of MODES) {
            const warm = await batch(name, mode, 20); // warm-up, and the key/certificate caches
            if (warm.unsupported) {
                inside[mode] = outside[mode] = NaN;
                continue;
            }
            const empty = [];
            for (let i = 0; i < 15; i++) empty.push((await batch(name, mode, 0)).wallMs);
            const overhead = median(empty);
            const probe = await batch(name, mode, 20);
            const perCall = Math.max(probe.wallMs - overhead, 0.5) / 20;
            const n = Math.max(Math.ceil(25 / perCall), 10);
            const batches = Math.max(Math.ceil(RUNS / n), 15);
            const ins = [];
            const outs = [];
            for (let i = 0; i < batches; i++) {
                const b = await batch(name, mode, n);
                ins.push((b.dateMs * 1000) / n);
                outs.push(((b.wallMs - overhead) * 1000) / n);
            }
            inside[mode] = median(ins);
            outside[mode] = median(outs);
        }
        const o = MODES.filter((m) => !Number.isNaN(outside[m])).map((m) => `${m} ${outside[m].toFixed(0)}`).join(", ");
        console.log(report(name, inside, ` [outside, µs/call: ${o}]`));
    }
} finally {
    await mf.dispose();
}
