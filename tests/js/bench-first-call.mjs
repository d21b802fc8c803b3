// What V8 compiles in the first request (a bench, not a test; issue 16): fresh Node processes run
// the cold-start bench's `pem` row (bench-cold-lib.js) with --trace-wasm-compilation-times, and
// this prints, per build and step, how many wasm functions V8 compiled and their bytecode size
// (Liftoff: compiled lazily on a function's first call; TurboFan: dynamic tier-up of hot ones),
// then the largest functions the first request compiles, named from target/wasm-named/<build>.wasm
// (scripts/build-wasm writes it beside pkg/glue/<build>/, with the same function indices).
//   node tests/js/bench-first-call.mjs [RUNS=3] [BUILD...]     (builds: host p256 full by default)
// The counts are the same from run to run unless tier-up timing differs; the per-function times
// V8 prints are whole milliseconds in Node 20 (workerd's V8 prints microseconds), so this reports
// sizes, not times: time the first request with scripts/bench-cold.
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { steps } from "./bench-cold-lib.js";
import { fixturePath } from "./paths.js";

const repo = fileURLToPath(new URL("../..", import.meta.url));

if (process.argv[2] === "--child") {
    // One fresh process: the `pem` row's steps, each preceded by a marker line on stdout, where
    // V8 writes its trace too (both unbuffered, so they interleave in order).
    const [pkgDir] = process.argv.slice(3);
    const fixture = JSON.parse(readFileSync(fixturePath(), "utf8"));
    const { node } = JSON.parse(readFileSync(`${pkgDir}/package.json`, "utf8")).exports["."];
    const entry = new URL(node, `file://${pkgDir}/`).href;
    for (const [name, fn] of steps("pem", fixture, () => import(entry))) {
        writeSync(1, `STEP ${name}\n`);
        await fn();
    }
    process.exit(0);
}

const RUNS = Number(process.argv[2] ?? 3);
if (!(RUNS >= 1)) throw new Error("usage: node tests/js/bench-first-call.mjs [RUNS=3] [BUILD...]");
const BUILDS = process.argv.length > 3 ? process.argv.slice(3) : ["host", "p256", "full"];

/** Function index -> name, from the wasm name section (function indices count imports first). */
function functionNames(bytes) {
    let p = 8;
    const leb = () => {
        let r = 0;
        let shift = 0;
        let b;
        do {
            b = bytes[p++];
            r += (b & 0x7f) * 2 ** shift;
            shift += 7;
        } while (b & 0x80 && shift < 35);
        return r;
    };
    const names = new Map();
    while (p < bytes.length) {
        const id = bytes[p++];
        const end = leb() + p;
        if (id === 0) {
            const len = leb();
            const section = new TextDecoder().decode(bytes.subarray(p, p + len));
            p += len;
            while (section === "name" && p < end) {
                const sub = bytes[p++];
                const subEnd = leb() + p;
                if (sub === 1) {
                    for (let n = leb(); n > 0; n--) {
                        const index = leb();
                        const l = leb();
                        names.set(index, new TextDecoder().decode(bytes.subarray(p, p + l)));
                        p += l;
                    }
                }
                p = subEnd;
            }
        }
        p = end;
    }
    return names;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const work = mkdtempSync(join(tmpdir(), "rolesanywhere-first-call-"));
try {
    console.log(`Node ${process.version}, ${RUNS} fresh process(es) per build; row pem (P-256 PKCS#8 PEM key); sizes are function body bytes`);
    for (const build of BUILDS) {
        // A copy of pkg/ with this build's glue, as scripts/bench-cold makes them.
        const dir = join(work, build);
        cpSync(join(repo, "pkg"), dir, { recursive: true, filter: (f) => !f.includes("/glue/") || f.endsWith("/glue") });
        for (const f of ["rolesanywhere.js", "rolesanywhere_bg.wasm"]) cpSync(join(repo, "pkg/glue", build, f), join(dir, "glue", f));
        writeFileSync(join(dir, "glue/VARIANT"), `${build}\n`);
        const counts = new Map(); // "step tier" -> [{n, bytes}] per run
        let firstFns = [];
        for (let run = 0; run < RUNS; run++) {
            const child = spawnSync(process.execPath, ["--trace-wasm-compilation-times", fileURLToPath(import.meta.url), "--child", dir], { encoding: "utf8" });
            if (child.status !== 0) throw new Error(`${build}: child exited ${child.status}: ${child.stderr}`);
            let step = "";
            const seen = new Map();
            const fns = [];
            for (const line of child.stdout.split("\n")) {
                if (line.startsWith("STEP ")) step = line.slice(5);
                const m = /#(\d+) using (\w+),.* bodysize (\d+)/.exec(line);
                if (!m) continue;
                const key = `${step} ${m[2]}`;
                const c = seen.get(key) ?? { n: 0, bytes: 0 };
                c.n++;
                c.bytes += Number(m[3]);
                seen.set(key, c);
                if (step === "first" && m[2] === "Liftoff") fns.push({ index: Number(m[1]), bytes: Number(m[3]) });
            }
            for (const [k, c] of seen) counts.set(k, [...(counts.get(k) ?? []), c]);
            firstFns = fns;
        }
        const raw = readFileSync(join(dir, "glue/rolesanywhere_bg.wasm")).length;
        console.log(`== ${build} (.wasm ${raw} B raw)`);
        for (const [k, cs] of counts) {
            const [step, tier] = k.split(" ");
            console.log(`  ${step.padEnd(7)} ${tier.padEnd(8)} ${String(median(cs.map((c) => c.n))).padStart(4)} functions ${String(median(cs.map((c) => c.bytes))).padStart(7)} B`);
        }
        let names = new Map();
        try {
            names = functionNames(readFileSync(join(repo, "target/wasm-named", `${build}.wasm`)));
        } catch {
            console.log(`  (no target/wasm-named/${build}.wasm: functions by index only)`);
        }
        const total = firstFns.reduce((a, f) => a + f.bytes, 0);
        firstFns.sort((a, b) => b.bytes - a.bytes);
        const top = firstFns.slice(0, 12);
        console.log(`  largest functions compiled in the first request (top ${top.length}: ${top.reduce((a, f) => a + f.bytes, 0)} of ${total} B):`);
        for (const f of top) console.log(`    ${String(f.bytes).padStart(6)}  #${f.index} ${(names.get(f.index) ?? "").slice(0, 100)}`);
    }
} finally {
    rmSync(work, { recursive: true, force: true });
}
