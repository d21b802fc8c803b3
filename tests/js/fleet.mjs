// A fleet of Worker isolates in one miniflare: N scripts (tests/js/broker-worker.js), each an
// isolate of its own, all bound to one CredentialBroker namespace whose class lives in the first
// script, as Workers of one account share a Durable Object namespace. Shared by
// tests/js/broker.test.mjs and scripts/bench-fleet.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { arns } from "../../www/stand-in.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));

/**
 * Starts `isolates` Workers named app0…appN-1.
 * @param {object} o
 * @param {{certificate: string, privateKey: string, intermediates?: string}} o.material
 * @param {string} o.endpoint the stand-in
 * @param {number} [o.isolates]
 * @param {string} [o.persist] a directory for the Durable Objects' storage (default: in memory)
 * @param {string} [o.className] the broker class (`BrokenBroker`: one that always throws)
 * @param {Record<string, string>} [o.bindings] more vars (BROKER_SECRET, MODE, REFRESH_MARGIN_SECONDS…)
 */
export function startFleet({ material, endpoint, isolates = 8, persist, className = "CredentialBroker", bindings = {} }) {
    const vars = {
        CERTIFICATE: material.certificate,
        PRIVATE_KEY: material.privateKey,
        INTERMEDIATES: material.intermediates ?? "",
        TRUST_ANCHOR_ARN: arns.trustAnchorArn,
        PROFILE_ARN: arns.profileArn,
        ROLE_ARN: arns.roleArn,
        ROLESANYWHERE_ENDPOINT: endpoint,
        ...bindings,
    };
    const workers = Array.from({ length: isolates }, (_, i) => ({
        name: `app${i}`,
        modules: true,
        scriptPath: join(root, "tests/js/broker-worker.js"),
        modulesRoot: root,
        modulesRules: [
            { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
            { type: "CompiledWasm", include: ["**/*.wasm"] },
        ],
        compatibilityDate: "2025-09-01",
        bindings: vars,
        durableObjects: { BROKER: { className, scriptName: "app0", useSQLite: true } },
    }));
    const mf = new Miniflare({ workers, durableObjectsPersist: persist ?? false });
    const names = workers.map((w) => w.name);
    return {
        mf,
        names,
        /** One request to isolate `i`: `{status, body, ms}`. */
        async request(i, query = "") {
            const worker = await mf.getWorker(names[i % names.length]);
            const started = performance.now();
            const response = await worker.fetch(`http://fleet.test/${query}`);
            const body = await response.json();
            return { status: response.status, body, ms: performance.now() - started };
        },
        dispose: () => mf.dispose(),
    };
}

/**
 * `requests` requests spread over the isolates in turn, `concurrency` at a time; their results
 * in order.
 */
export async function drive(fleet, { requests, concurrency }) {
    await Promise.all(fleet.names.map((name) => fleet.mf.getWorker(name))); // started, not yet asked
    const results = new Array(requests);
    let next = 0;
    const lane = async () => {
        for (let i = next++; i < requests; i = next++) results[i] = await fleet.request(i);
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, requests) }, lane));
    return results;
}

/** Every file under `dir`, with its bytes (the persisted Durable Object storage). */
export function filesUnder(dir) {
    const out = [];
    for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) out.push(...filesUnder(path));
        else out.push({ path, bytes: readFileSync(path) });
    }
    return out;
}

/** The stand-in's CreateSession answers so far: `{created, throttled}` (its log has one line per request). */
export function sessions(log) {
    return {
        created: log.filter((l) => l.startsWith("POST /sessions -> 201")).length,
        throttled: log.filter((l) => l.startsWith("POST /sessions") && l.endsWith(" throttled")).length,
    };
}

/** Waits until the stand-in's log has taken its last lines (it logs after answering). */
export async function settleLog(log) {
    let seen = -1;
    while (seen !== log.length) {
        seen = log.length;
        await new Promise((r) => setTimeout(r, 150));
    }
}
