// A Worker script of tests/js run in workerd through miniflare, with the repository as its
// modules root: ES modules load as they are and the package's .wasm as a compiled module, as
// a bundler hands it to Workers. Shared by the workerd test and the workerd benches.
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";

const root = fileURLToPath(new URL("../..", import.meta.url));

/**
 * @param {string} script file name in tests/js, e.g. "workerd-worker.js"
 * @param {{bindings?: object, compatibilityFlags?: string[]}} [options]
 */
export function workerInRepo(script, { bindings = {}, compatibilityFlags = [] } = {}) {
    return new Miniflare({
        modules: true,
        scriptPath: fileURLToPath(new URL(`./${script}`, import.meta.url)),
        modulesRoot: root,
        modulesRules: [
            { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
            { type: "CompiledWasm", include: ["**/*.wasm"] },
        ],
        compatibilityDate: "2025-09-01",
        compatibilityFlags,
        bindings,
    });
}
