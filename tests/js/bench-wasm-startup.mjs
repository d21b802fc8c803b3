// The startup cost of wasm builds in Node: compiling the bytes, asynchronously
// (`WebAssembly.compile`, as the package's Node and browser entries do) and synchronously
// (`new WebAssembly.Module`, in another process: V8 caches a compiled module by its bytes),
// then instantiation through the build's own glue (`initSync({ module })`, which runs
// `__wbindgen_start`), each timed in a fresh process. A benchmark, not a test: medians of
// RUNS fresh processes per build, the builds interleaved run by run so that a machine's drift
// hits them alike; compare builds within one run only.
//
//   node tests/js/bench-wasm-startup.mjs [--runs N] NAME=DIR ...
//
// Each DIR holds `rolesanywhere_bg.wasm` and its glue `rolesanywhere.js` (pkg/glue/<variant>/,
// or a copy of an earlier build kept for the comparison). Prints one line per build: gzip -9
// size, then the medians in milliseconds of the asynchronous compile, instantiation, their sum,
// and the synchronous compile.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";

if (process.argv[2] === "--child") {
  const [mode, dir] = process.argv.slice(3);
  const glue = await import(pathToFileURL(join(dir, "rolesanywhere.js")).href);
  const bytes = readFileSync(join(dir, "rolesanywhere_bg.wasm"));
  const t0 = performance.now();
  const module = mode === "sync" ? new WebAssembly.Module(bytes) : await WebAssembly.compile(bytes);
  const t1 = performance.now();
  glue.initSync({ module });
  const t2 = performance.now();
  process.stdout.write(JSON.stringify({ compile: t1 - t0, instantiate: t2 - t1 }));
  process.exit(0);
}

let runs = 31;
const builds = [];
for (let i = 2; i < process.argv.length; i++) {
  const arg = process.argv[i];
  if (arg === "--runs") {
    runs = Number(process.argv[++i]);
    if (!(runs >= 1)) throw new Error("--runs needs a positive number");
  } else {
    const eq = arg.indexOf("=");
    if (eq < 1) throw new Error(`expected NAME=DIR, got ${arg}`);
    builds.push({ name: arg.slice(0, eq), dir: resolve(arg.slice(eq + 1)), times: [], sync: [] });
  }
}
if (builds.length === 0) {
  console.error("usage: node tests/js/bench-wasm-startup.mjs [--runs N] NAME=DIR ...");
  process.exit(2);
}

const self = new URL(import.meta.url).pathname;
for (let run = 0; run < runs; run++) {
  for (const build of builds) {
    for (const mode of ["async", "sync"]) {
      const out = execFileSync(process.execPath, [self, "--child", mode, build.dir], { encoding: "utf8" });
      (mode === "sync" ? build.sync : build.times).push(JSON.parse(out));
    }
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
console.log(`Node ${process.version}, ${runs} fresh processes per build, medians (ms)`);
console.log("build".padEnd(14), "gzip-9".padStart(8), "compile".padStart(8), "inst.".padStart(8), "total".padStart(8), "sync".padStart(8));
for (const { name, dir, times, sync } of builds) {
  const gz = gzipSync(readFileSync(join(dir, "rolesanywhere_bg.wasm")), { level: 9 }).length;
  const c = median(times.map((t) => t.compile));
  const i = median(times.map((t) => t.instantiate));
  const total = median(times.map((t) => t.compile + t.instantiate));
  const s = median(sync.map((t) => t.compile));
  const cells = [c, i, total, s].map((x) => x.toFixed(2).padStart(8));
  console.log(name.padEnd(14), String(gz).padStart(8), ...cells);
}
