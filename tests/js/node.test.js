// The suite in Node (`node --test`), through the package's "node" export condition (the bundle
// scripts/bundle-node.mjs makes of the shims, which must be fresh).
// ROLESANYWHERE_JS_PKG=DIR runs it against a copy of pkg/ holding another build's glue
// (scripts/test makes target/js-pkg-host/ and target/js-pkg-p256/); the build's name is in
// DIR/glue/VARIANT, and the signers it must have are checked against it.
import { test } from "node:test";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { pathToFileURL } from "node:url";
import { join, resolve } from "node:path";
import { suite } from "./suite.js";
import { fixturePath } from "./paths.js";
import { staleBundles } from "../../scripts/bundle-node.mjs";

const dir = process.env.ROLESANYWHERE_JS_PKG ? resolve(process.env.ROLESANYWHERE_JS_PKG) : resolve(import.meta.dirname, "../../pkg");
const stale = await staleBundles();
if (stale.length) throw new Error(`stale or missing: ${stale.join(", ")}: run scripts/build-wasm (or node scripts/bundle-node.mjs)`);
const entry = JSON.parse(readFileSync(`${dir}/package.json`, "utf8")).exports["."].node;
const api = await import(pathToFileURL(`${dir}/${entry}`).href);
const wire = await import(pathToFileURL(`${dir}/wire.js`).href);
const variant = readFileSync(`${dir}/glue/VARIANT`, "utf8").trim();
const expectedSigners = { host: [], p256: ["P-256"], full: ["P-256", "P-384", "RSA", "ML-DSA-44", "ML-DSA-65", "ML-DSA-87"] }[variant];

const fixture = JSON.parse(readFileSync(fixturePath(), "utf8"));
test(`node [${variant}]: wasmSigners() is the build's`, async () => {
    const actual = JSON.stringify(await api.wasmSigners());
    if (actual !== JSON.stringify(expectedSigners)) throw new Error(`${variant}: wasmSigners() = ${actual}`);
});
test(`node [${variant}]: rolesanywhere/inspect resolves to the runtime entries, with its own types`, () => {
    const { exports } = JSON.parse(readFileSync(`${dir}/package.json`, "utf8"));
    const { types, ...entries } = exports["./inspect"];
    const { types: _, ...main } = exports["."];
    if (JSON.stringify(entries) !== JSON.stringify(main)) throw new Error(`./inspect: ${JSON.stringify(entries)}`);
    if (types !== "./inspect.d.ts" || !readFileSync(resolve(import.meta.dirname, "../../pkg/inspect.d.ts"), "utf8").includes("export function prepareCreateSession")) {
        throw new Error(`./inspect types: ${types}`);
    }
});
test(`node [${variant}]: a .wasm that fails to load from the import is the first call's error (not an unhandled rejection), and the next call loads it`, () => {
    const tmp = mkdtempSync(join(tmpdir(), "rolesanywhere-load-"));
    try {
        mkdirSync(`${tmp}/glue`);
        for (const f of readdirSync(dir)) if (f.endsWith(".js") || f === "package.json") copyFileSync(`${dir}/${f}`, `${tmp}/${f}`);
        copyFileSync(`${dir}/glue/rolesanywhere.js`, `${tmp}/glue/rolesanywhere.js`);
        // A fresh process: an unhandled rejection ends it with a non-zero status.
        const script = `
            const api = await import(${JSON.stringify(pathToFileURL(`${tmp}/${entry}`).href)});
            await new Promise((r) => setTimeout(r, 200)); // the load started by the import fails meanwhile
            const first = await api.wasmSigners().then(() => "loaded", (e) => e.code);
            (await import("node:fs")).copyFileSync(${JSON.stringify(`${dir}/glue/rolesanywhere_bg.wasm`)}, ${JSON.stringify(`${tmp}/glue/rolesanywhere_bg.wasm`)});
            console.log(JSON.stringify({ first, second: await api.wasmSigners() }));`;
        const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
        if (run.status !== 0) throw new Error(`exit ${run.status}: ${run.stderr}`);
        const out = JSON.parse(run.stdout);
        if (out.first !== "ENOENT" || JSON.stringify(out.second) !== JSON.stringify(expectedSigners)) throw new Error(run.stdout);
    } finally {
        rmSync(tmp, { recursive: true, force: true });
    }
});
for (const t of suite(api, fixture, wire)) test(`node [${variant}]: ${t.name}`, t.fn);
