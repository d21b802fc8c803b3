// Cold-start bench (not a test; scripts/bench-cold runs it): the package's first signed
// CreateSession request in a fresh Node process, Deno process and workerd isolate, for each build,
// against a bare WebCrypto import of the PKCS#8 P-256 key and one sign in the same kind of fresh
// process, interleaved run by run so both see the same machine state.
//   node tests/js/bench-cold.mjs RUNS WORK_DIR
// WORK_DIR: an empty directory for the copies of pkg/ (one per build, pkg/glue/<build>/ as its
// glue), the workerd modules and the wrangler bundle of the example Worker; the caller removes it.
// Environment (optional):
//   BENCH_COLD_BASELINE=DIR  also run each package row with DIR, a copy of an earlier pkg/ (its
//                            own glue/<build>/ dirs), interleaved with the current one run by run:
//                            rows "<build> base"; the A/B of a change to the package
//   BENCH_COLD_BUILDS="host full"  these builds only (default: host p256 full)
//   BENCH_COLD_RUNTIMES="node workerd"  these runtimes only (default: node deno workerd)
// Rows and steps: bench-cold-lib.js. What each runtime's numbers are:
// - Node, Deno: one process per run (bench-cold-run.js); each step timed with performance.now()
//   in that process, from before the package's import; the process's own start-up not counted.
// - workerd: one fresh workerd (miniflare 4) per run, so a fresh isolate. workerd's clocks stand
//   still while JS runs and move only across I/O (a Spectre mitigation), so each step is one
//   request whose handler runs the step, awaits a timer (I/O), and answers Date.now() after it
//   less Date.now() at its start: real elapsed time, in whole ms. The package is loaded by a
//   dynamic import() in the `import` step (as `wrangler check startup` does), so its module
//   evaluation and the wasm instantiation are timed there; workerd compiles the .wasm (a
//   CompiledWasm module, as in a deployed Worker) when it loads the Worker, which the `startup`
//   column holds: time from `new Miniflare()` to `ready`, measured outside (workerd process
//   start included; compare with the bare row's). Medians of whole ms are coarse: the mean is
//   given too (unbiased for quantised times).
// - workerd, the example Worker (examples/worker.js) as `wrangler deploy --dry-run` bundles it:
//   `startup` as above, and `import`: the dynamic import() of the bundle's main module.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { ROWS, steps } from "./bench-cold-lib.js";
import { fixturePath } from "./paths.js";

const RUNS = Number(process.argv[2] ?? 30);
const work = process.argv[3];
if (!(RUNS >= 1) || !work) throw new Error("usage: node tests/js/bench-cold.mjs RUNS WORK_DIR");
const repo = fileURLToPath(new URL("../..", import.meta.url));
/** The words of environment variable `name` (space- or comma-separated), each one of `all`;
 * `all` when it is unset or empty. */
function words(name, all) {
    const given = (process.env[name] ?? "").split(/[\s,]+/).filter(Boolean);
    const unknown = given.filter((w) => !all.includes(w));
    if (unknown.length) throw new Error(`${name}: unknown ${unknown.join(", ")} (expected some of: ${all.join(" ")})`);
    return given.length ? given : all;
}
const BUILDS = words("BENCH_COLD_BUILDS", ["host", "p256", "full"]);
const RUNTIMES = words("BENCH_COLD_RUNTIMES", ["node", "deno", "workerd"]);
const baseline = process.env.BENCH_COLD_BASELINE;
const fixtureFile = fixturePath();
const fixture = JSON.parse(readFileSync(fixtureFile, "utf8"));
const deno = `${repo}node_modules/.bin/deno`;

/** The packages: one copy of pkg/ per build, as scripts/test's js group makes them, and of the
 * baseline's; `dir` is the copy's directory in WORK_DIR. */
const packages = [];
for (const b of BUILDS) {
    for (const [from, dir, build] of [[`${repo}pkg`, `pkg-${b}`, b], ...(baseline ? [[baseline, `base-${b}`, `${b} base`]] : [])]) {
        mkdirSync(`${work}/${dir}/glue`, { recursive: true });
        for (const f of readdirSync(from)) if (f.endsWith(".js") || f === "package.json") cpSync(`${from}/${f}`, `${work}/${dir}/${f}`);
        for (const f of ["rolesanywhere.js", "rolesanywhere_bg.wasm"]) cpSync(`${from}/glue/${b}/${f}`, `${work}/${dir}/glue/${f}`);
        writeFileSync(`${work}/${dir}/glue/VARIANT`, `${b}\n`);
        packages.push({ dir, build });
    }
}

/** Every (row, package) pair run once per round: bare first, then each package's rows (a build's
 * baseline right after it). */
const jobs = [{ row: "bare", build: "-", dir: packages[0].dir }];
for (const p of packages) for (const row of ROWS.slice(1)) jobs.push({ row, ...p });

const q = (xs, p) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const COLS = ["startup", "import", "wasm", "key", "first", "sign", "second"];
const TOTAL = ["import", "wasm", "key", "first", "sign"]; // before the import to the first signature

/**
 * Prints one table: per (row, build), the median of each step (with `showMean`, "median (mean)"),
 * the p90 of the total, and the total less the bare row's (of the means with `showMean`); with a
 * `startup` column, also the median startup less the bare row's.
 */
function table(title, results, { showMean = false } = {}) {
    console.log(`== ${title}; load average ${loadavg()}`);
    const cols = COLS.filter((c) => results.some((r) => r.runs[0]?.[c] !== undefined));
    const f = (x) => (x === undefined ? "" : x.toFixed(1));
    const plus = (x) => `${x >= 0 ? "+" : ""}${f(x)}`;
    const startup = cols.includes("startup");
    const head = ["row", "build", ...cols, "total", "total p90", "over bare", ...(startup ? ["startup over bare"] : [])];
    const lines = [head];
    let bare;
    for (const { job, runs } of results) {
        if (!runs.length) continue;
        const totals = runs.map((r) => TOTAL.reduce((a, c) => a + (r[c] ?? 0), 0));
        const cell = (xs) => (showMean ? `${f(q(xs, 0.5))} (${f(mean(xs))})` : f(q(xs, 0.5)));
        const line = [job.row, job.build];
        for (const c of cols) line.push(runs[0][c] === undefined ? "" : cell(runs.map((r) => r[c])));
        const total = showMean ? mean(totals) : q(totals, 0.5);
        const up = startup ? q(runs.map((r) => r.startup), 0.5) : undefined;
        if (job.row === "bare") bare = { total, up };
        const other = job.row !== "bare" && bare !== undefined;
        // The example Worker's row has no request: its total is its import alone.
        line.push(cell(totals), f(q(totals, 0.9)), other && job.row !== "example" ? plus(total - bare.total) : "");
        if (startup) line.push(other ? plus(up - bare.up) : "");
        lines.push(line);
    }
    const w = head.map((_, i) => Math.max(...lines.map((l) => String(l[i] ?? "").length)));
    for (const l of lines) console.log(l.map((x, i) => String(x ?? "").padStart(i < 2 ? 0 : w[i]).padEnd(i < 2 ? w[i] : 0)).join("  "));
}

/** Runs every job RUNS times, one fresh process (or workerd) per run, round by round. */
async function rounds(runOne, all = jobs) {
    const results = all.map((job) => ({ job, runs: [] }));
    for (let i = 0; i < RUNS; i++) for (const r of results) r.runs.push(await runOne(r.job));
    return results;
}

function runProcess(cmd, args, { row, build, dir }) {
    const p = spawnSync(cmd, [...args, row, `${work}/${dir}`, fixtureFile], {
        encoding: "utf8",
        env: { ...process.env, DENO_NO_UPDATE_CHECK: "1" },
    });
    if (p.status !== 0) throw new Error(`${cmd} ${row} ${build}: exit ${p.status}: ${p.stderr}`);
    return JSON.parse(p.stdout.trim().split("\n").at(-1));
}

const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
console.log(`${RUNS} runs per row, one fresh process/isolate each; ms; P-256 PKCS#8 key (PEM); ${cpus().length} CPUs`);
console.log(`total: from before the package's import to the first signed request (import + wasm + key + first;` +
    ` bare: key + sign); over bare: total less the bare row's, same run`);

if (RUNTIMES.includes("node")) {
    const node = await rounds((job) => runProcess(process.execPath, [`${repo}tests/js/bench-cold-run.js`], job));
    table(`Node ${process.version}`, node);
}

if (RUNTIMES.includes("deno")) {
    const denoResults = await rounds((job) => runProcess(deno, ["run", "--quiet", "--no-check", `--allow-read`, `${repo}tests/js/bench-cold-run.js`], job));
    table(`Deno ${execFileSync(deno, ["--version"], { encoding: "utf8" }).split("\n")[0].replace(/^deno /, "")}`, denoResults);
}

// ---- workerd ----------------------------------------------------------------------------------
cpSync(`${repo}tests/js/bench-cold-lib.js`, `${work}/bench-cold-lib.js`);

/** The Worker of one run: GET /?step=NAME runs that step of the row (see the header). */
function worker(row, entry) {
    return `import { steps } from "./bench-cold-lib.js";
let todo;
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
export default {
    async fetch(request, env) {
        const step = new URL(request.url).searchParams.get("step");
        todo ??= new Map(${row === "example" ? `[["import", () => import(${JSON.stringify(entry)})]]`
            : `steps(${JSON.stringify(row)}, env.FIXTURE, () => import(${JSON.stringify(entry)}))`});
        const t = Date.now();
        await todo.get(step)();
        await tick();
        return new Response(String(Date.now() - t));
    },
};`;
}

function modulesOf(dir) {
    return readdirSync(`${work}/${dir}`, { recursive: true })
        .filter((f) => /\.(m?js|wasm)$/.test(f) && !f.endsWith(".bundle.js")) // the bundles are Node's
        .map((f) => ({ type: f.endsWith(".wasm") ? "CompiledWasm" : "ESModule", path: `${work}/${dir}/${f}` }));
}

async function runWorkerd(row, names, entry, modules) {
    const t = performance.now();
    const mf = new Miniflare({
        modulesRoot: work,
        modules: [
            { type: "ESModule", path: `${work}/cold-worker.js`, contents: worker(row, entry) },
            { type: "ESModule", path: `${work}/bench-cold-lib.js` },
            ...modules,
        ],
        compatibilityDate: "2025-09-01",
        bindings: { FIXTURE: fixture },
    });
    try {
        await mf.ready;
        const out = { startup: performance.now() - t };
        for (const name of names) {
            const response = await mf.dispatchFetch(`http://localhost/?step=${name}`);
            const text = await response.text();
            if (!response.ok) throw new Error(`workerd ${row} ${name}: ${response.status}: ${text.slice(0, 2000)}`);
            out[name] = Number(text);
        }
        return out;
    } finally {
        await mf.dispose();
    }
}

if (RUNTIMES.includes("workerd")) {
    const mods = Object.fromEntries(packages.map(({ dir }) => [dir, modulesOf(dir)]));
    mods.example = modulesOf("example"); // scripts/bench-cold bundles it there
    const exampleMain = readdirSync(`${work}/example`).find((f) => f.endsWith(".js"));
    const workerd = await rounds(({ row, dir }) => {
        if (row === "example") return runWorkerd(row, ["import"], `./example/${exampleMain}`, mods.example);
        const names = steps(row, fixture, null).map(([n]) => n);
        return runWorkerd(row, names, `./${dir}/workerd.js`, row === "bare" ? [] : mods[dir]);
    }, [...jobs, { row: "example", build: "wrangler", dir: "example" }]);
    table(`workerd ${execFileSync(`${repo}node_modules/.bin/workerd`, ["--version"], { encoding: "utf8" }).trim().replace(/^workerd /, "")} (miniflare; median (mean), whole ms inside; startup from outside)`, workerd, { showMean: true });
}
