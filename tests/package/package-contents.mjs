// The files the npm and JSR packages would publish, checked against what they must hold: exactly
// the module graph of their exports (every file an entry imports, directly or through
// `new URL("./x", import.meta.url)`, and every .d.ts their types import), plus package.json,
// README.md and LICENSE. So the built .wasm and the wasm-bindgen glue must be in, and tests,
// sources, the other builds' glue (pkg/glue/<variant>/) and anything no entry reaches must be
// out. Also: pkg/LICENSE is the repository's LICENSE, jsr.json's name, version and licence agree
// with package.json's, and tests/types/package.ts names every export of the package's .d.ts
// files (so the tsc check covers new exports).
//   node tests/package/package-contents.mjs npm             # `npm pack --dry-run` in pkg/
//   node tests/package/package-contents.mjs jsr FILE        # FILE: `deno publish --dry-run` output
// Exit 0 when the contents are right, 1 with the differences otherwise.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const pkg = join(root, "pkg");
const manifest = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8"));
const jsr = JSON.parse(readFileSync(join(pkg, "jsr.json"), "utf8"));
const problems = [];

/** Every string target of an `exports` value (conditions nested to any depth). */
function targets(value) {
    if (typeof value === "string") return [value];
    if (value && typeof value === "object") return Object.values(value).flatMap(targets);
    return [];
}

// Relative specifiers in a module: static imports and re-exports (`import type` included; also
// minified, as in the Node bundles: `import{a}from"./x"`, `export*from"./x"`), dynamic
// `import("./x")` (JSDoc types too), and `new URL("./x", import.meta.url)`.
const SPECIFIERS = [
    /\b(?:import|export)(?:\s|(?=[{*]))[^;]*?\bfrom\s*["'](\.{1,2}\/[^"']+)["']/g,
    /\bimport\s*["'](\.{1,2}\/[^"']+)["']/g,
    /\bimport\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g,
    /\bnew URL\(\s*["'](\.{1,2}\/[^"']+)["']\s*,\s*import\.meta\.url\s*\)/g,
    /@ts-self-types="(\.{1,2}\/[^"]+)"/g,
];

/** The files reachable from `entries` (paths relative to pkg/). */
function graph(entries) {
    const seen = new Set();
    const todo = entries.map((e) => normalize(e));
    while (todo.length) {
        const file = todo.pop();
        if (seen.has(file)) continue;
        seen.add(file);
        if (!/\.(m?js|d\.ts)$/.test(file)) continue;
        let text;
        try {
            text = readFileSync(join(pkg, file), "utf8");
        } catch {
            problems.push(`${file}: reached from the exports but missing on disk (run scripts/build-wasm?)`);
            continue;
        }
        for (const re of SPECIFIERS) {
            for (const m of text.matchAll(re)) todo.push(normalize(join(dirname(file), m[1])));
        }
    }
    return seen;
}

function compare(what, actual, expected) {
    const missing = [...expected].filter((f) => !actual.has(f)).sort();
    const unexpected = [...actual].filter((f) => !expected.has(f)).sort();
    for (const f of missing) problems.push(`${what}: missing ${f}`);
    for (const f of unexpected) problems.push(`${what}: unexpected ${f} (no export reaches it)`);
    console.log(`${what}: ${actual.size} files:`);
    for (const f of [...actual].sort()) console.log(`  ${f}`);
}

const ALWAYS = ["package.json", "README.md", "LICENSE"];

function checkNpm() {
    const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: pkg, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    const [report] = JSON.parse(out);
    const files = new Map(report.files.map((f) => [normalize(f.path), f.size]));
    const expected = new Set([...graph(targets(manifest.exports).filter((t) => t !== "./package.json")), ...ALWAYS]);
    compare("npm pack", new Set(files.keys()), expected);
    console.log(`npm pack: ${report.filename}, ${report.size} bytes packed, ${report.unpackedSize} unpacked`);

    const wasmPath = join(pkg, "glue/rolesanywhere_bg.wasm");
    const wasm = existsSync(wasmPath) ? readFileSync(wasmPath) : Buffer.alloc(0);
    if (!wasm.subarray(0, 4).equals(Buffer.from([0, 0x61, 0x73, 0x6d]))) problems.push("pkg/glue/rolesanywhere_bg.wasm is not a WebAssembly module");
    else if (files.get("glue/rolesanywhere_bg.wasm") !== wasm.length) problems.push("npm pack: glue/rolesanywhere_bg.wasm is not the built file (size differs)");
    if (!readFileSync(join(pkg, "LICENSE")).equals(readFileSync(join(root, "LICENSE")))) problems.push("pkg/LICENSE differs from the repository's LICENSE");
    for (const key of ["version", "license"]) {
        if (jsr[key] !== manifest[key]) problems.push(`jsr.json ${key} ${jsr[key]} differs from package.json's ${manifest[key]}`);
    }
    if (jsr.name.split("/")[1] !== manifest.name) problems.push(`jsr.json name ${jsr.name} is not @<scope>/${manifest.name}`);

    // Every export of the .d.ts files the `types` conditions name is used by tests/types.
    const typesTest = readFileSync(join(root, "tests/types/package.ts"), "utf8");
    const dts = [...new Set(targets(manifest.exports).filter((t) => t.endsWith(".d.ts")).map((t) => normalize(t)))];
    for (const file of dts) {
        const text = readFileSync(join(pkg, file), "utf8");
        const names = [...text.matchAll(/^export\s+(?:declare\s+)?(?:abstract\s+)?(?:function|interface|type|class|const|let|enum)\s+([A-Za-z_$][\w$]*)/gm)].map((m) => m[1]);
        // `export { a, b as c } [from "…"]` and `export type { … }`: the exported names.
        for (const m of text.matchAll(/^export\s+(?:type\s+)?\{([^}]*)\}/gm)) {
            names.push(...m[1].split(",").map((n) => n.trim().split(/\s+as\s+/).pop().replace(/^type\s+/, "")).filter(Boolean));
        }
        if (/^export\s+\*/m.test(text)) problems.push(`pkg/${file}: \`export *\` hides which names tests/types must use; name them`);
        for (const name of names) {
            if (!new RegExp(`\\b${name.replaceAll("$", "\\$")}\\b`).test(typesTest)) problems.push(`tests/types/package.ts does not use ${name} (exported by pkg/${file})`);
        }
    }
}

function checkJsr(outputFile) {
    // `deno publish --dry-run` lists the files after "Simulating publish of ... with files:", one
    // per line as a file: URL with its size.
    const text = readFileSync(outputFile, "utf8").replace(/\x1b\[[0-9;]*m/g, "");
    const files = new Set();
    for (const m of text.matchAll(/^\s+file:\/\/(\S+)/gm)) files.add(relative(pkg, decodeURIComponent(m[1])));
    if (!/Simulating publish of/.test(text)) problems.push("deno publish --dry-run printed no file list");
    const entries = typeof jsr.exports === "string" ? [jsr.exports] : Object.values(jsr.exports);
    compare("deno publish", files, new Set([...graph(entries), ...ALWAYS.filter((f) => f !== "package.json"), "jsr.json"]));
}

const [mode, file] = process.argv.slice(2);
if (mode === "npm") checkNpm();
else if (mode === "jsr" && file) checkJsr(file);
else {
    console.error("usage: package-contents.mjs npm | jsr DENO-OUTPUT-FILE");
    process.exit(2);
}
if (problems.length) {
    for (const p of problems) console.error(`package-contents: ${p}`);
    process.exit(1);
}
console.log(`package-contents: ${mode}: ok`);
