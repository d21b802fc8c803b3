// SigV4 bench, workerd (not a test): the calls of bench-sigv4-lib.js inside workerd (miniflare
// 4, nodejs_compat for @smithy/hash-node), timed in batches by the Worker
// (bench-sigv4-workerd-worker.js) and checked against the wall time of each batch measured here,
// outside, less the median time of an empty batch.
//   node tests/js/bench-sigv4-workerd.mjs [RUNS=3000]   (scripts/bench-sigv4 runs it)
// Each scenario runs in batches of n calls (n such that a batch takes >= 50 ms: the Worker's clock
// has 1 ms steps), at least RUNS calls and 15 batches in all, in 3 rounds over the scenarios so
// that load hits them alike; reported: the median over batches of the per-call time inside
// [and outside]. aws4fetch, @smithy/signature-v4 and @smithy/hash-node are bundled first with
// esbuild (pinned in package.json at the version wrangler uses) into target/bench-sigv4/vendor.js.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { workerInRepo } from "./miniflare.mjs";
import { fixturePath } from "./paths.js";
import { median } from "./bench-lib.js";
import { SIGV4_MODES, sigv4Report } from "./bench-sigv4-lib.js";

const RUNS = Number(process.argv[2] ?? 3000);
const ROUNDS = 3;
const root = fileURLToPath(new URL("../..", import.meta.url));
await esbuild.build({
    stdin: {
        contents: ['export { SignatureV4 } from "@smithy/signature-v4";', 'export { Hash } from "@smithy/hash-node";', 'export { HttpRequest } from "@smithy/protocol-http";', 'export { AwsV4Signer } from "aws4fetch";'].join("\n"),
        resolveDir: root,
        loader: "js",
    },
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    external: ["node:*"],
    outfile: `${root}/target/bench-sigv4/vendor.js`,
    logLevel: "warning",
});
const fixture = JSON.parse(readFileSync(fixturePath(), "utf8"));
const mf = workerInRepo("bench-sigv4-workerd-worker.js", {
    bindings: { FIXTURE: fixture },
    compatibilityFlags: ["nodejs_compat"],
});

async function batch(query) {
    const t = performance.now();
    const response = await mf.dispatchFetch(`http://localhost/?${query}`);
    const text = await response.text();
    const wallMs = performance.now() - t;
    if (!response.ok) throw new Error(`workerd answered ${response.status}: ${text.slice(0, 2000)}`);
    return { ...JSON.parse(text), wallMs };
}

try {
    await batch("check=1"); // the four signers agree (throws otherwise)
    const modes = [...SIGV4_MODES, "providerHit"];
    const plan = {};
    for (const mode of modes) {
        await batch(`mode=${mode}&n=${mode === "providerHit" ? 20000 : 1000}`); // warm-up (JIT tiers)
        const empty = [];
        for (let i = 0; i < 15; i++) empty.push((await batch(`mode=${mode}&n=0`)).wallMs);
        const overhead = median(empty);
        const probeN = mode === "providerHit" ? 20000 : 200;
        const probe = await batch(`mode=${mode}&n=${probeN}`);
        const perCall = Math.max(probe.wallMs - overhead, 0.5) / probeN;
        const n = Math.max(Math.ceil(50 / perCall), 10);
        plan[mode] = { overhead, n, batches: Math.ceil(Math.max(Math.ceil(RUNS / n), 15) / ROUNDS), ins: [], outs: [] };
    }
    let fetches = 0;
    for (let r = 0; r < ROUNDS; r++) {
        for (const mode of modes) {
            const p = plan[mode];
            for (let i = 0; i < p.batches; i++) {
                const b = await batch(`mode=${mode}&n=${p.n}`);
                p.ins.push((b.dateMs * 1000) / p.n);
                p.outs.push(((b.wallMs - p.overhead) * 1000) / p.n);
                fetches = b.providerFetches;
            }
        }
    }
    if (fetches !== 1) throw new Error(`the provider fetched ${fetches} times (1 expected)`);
    const inside = Object.fromEntries(modes.map((m) => [m, median(plan[m].ins)]));
    const o = modes.map((m) => `${m} ${median(plan[m].outs).toFixed(m === "providerHit" ? 2 : 1)}`).join(", ");
    const sizes = modes.map((m) => `${m} ${plan[m].ins.length}x${plan[m].n}`).join(", ");
    console.log(`workerd (miniflare): signed STS request, median over batches timed inside the Worker (${sizes}); smithy hashes with @smithy/hash-node (nodejs_compat)`);
    console.log(sigv4Report(inside, inside.providerHit));
    console.log(`  [outside, wall time per call less an empty batch, µs: ${o}]`);
} finally {
    await mf.dispose();
}
