// One run of the cold-start bench (scripts/bench-cold) in a fresh Node or Deno process: the
// steps of one row (bench-cold-lib.js), timed with performance.now() from before the package's
// import (the process's own start-up is not counted); prints `{step: ms, ...}` as one JSON line.
//   node tests/js/bench-cold-run.js ROW PKG_DIR FIXTURE
//   deno run --allow-read tests/js/bench-cold-run.js ROW PKG_DIR FIXTURE
// PKG_DIR: a copy of pkg/ with one build's glue; Node imports the entry of its "node" export
// condition (the bundle of the shims), Deno its web.js.
import { steps } from "./bench-cold-lib.js";

const deno = typeof globalThis.Deno === "object";
const [row, pkgDir, fixturePath] = deno ? Deno.args : process.argv.slice(2);
const read = deno ? (path) => Deno.readTextFile(path) : async (path) => (await import("node:fs/promises")).readFile(path, "utf8");
const fixture = JSON.parse(await read(fixturePath));
const base = new URL(`file://${pkgDir.replace(/\/?$/, "/")}`);
const entry = new URL(deno ? "web.js" : JSON.parse(await read(new URL("package.json", base))).exports["."].node, base).href;

const out = {};
for (const [name, fn] of steps(row, fixture, () => import(entry))) {
    const t = performance.now();
    await fn();
    out[name] = performance.now() - t;
}
console.log(JSON.stringify(out));
