// scripts/bench-fleet's measurements (a benchmark, not a test): a fleet against the stand-in with
// its CreateSession quota on (10 per second), each case with a stand-in of its own so that its
// bucket starts full and its log counts that case alone.
//
// - Workers: ISOLATES Worker scripts in one miniflare (tests/js/fleet.mjs), REQUESTS requests at
//   CONCURRENCY, with the broker (one CredentialBroker namespace) and without (MODE=direct: each
//   isolate's own provider, which in workerd does not share a pending refresh between requests).
// - Deno: PROCESSES `deno run` processes started together, with one Deno KV store and without.
//
// For each: CreateSessions the stand-in made, throttled answers it gave, callers that got an
// error, and the time to credentials (p50/p99) of the callers that got them: of a request that
// found its isolate cold (no credentials yet), and of every request; for Deno, of each process
// from the agreed start.
//   node tests/js/bench-fleet.mjs [ISOLATES=8] [REQUESTS=10000] [CONCURRENCY=200] [PROCESSES=8]
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { arns, makePki, root, startStandIn } from "../../www/stand-in.mjs";
import { drive, sessions, settleLog, startFleet } from "./fleet.mjs";

const [isolates = 8, requests = 10_000, concurrency = 200, processes = 8] = process.argv.slice(2).map(Number);
const SECRET = "bench-fleet-secret-0123456789abcdefghijklmnop";

/** The `q` quantile of `values` (nearest rank), in ms with one decimal, or "-" for none. */
function quantile(values, q) {
    if (values.length === 0) return "-";
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)].toFixed(1);
}

/** Runs `body(standIn)` against a stand-in of its own; returns body's result with the stand-in's counts. */
async function withStandIn(pki, body) {
    const standIn = await startStandIn(pki.dir);
    try {
        const result = await body(standIn);
        await settleLog(standIn.log);
        return { ...result, ...sessions(standIn.log) };
    } finally {
        await standIn.stop();
    }
}

async function workers(pki, material, broker) {
    return withStandIn(pki, async (standIn) => {
        const fleet = startFleet({ material, endpoint: standIn.endpoint, isolates, bindings: broker ? { BROKER_SECRET: SECRET } : { MODE: "direct" } });
        try {
            const results = await drive(fleet, { requests, concurrency });
            const got = results.filter((r) => r.status === 200);
            return { errors: requests - got.length, cold: got.filter((r) => r.body.cold).map((r) => r.ms), all: got.map((r) => r.ms) };
        } finally {
            await fleet.dispose();
        }
    });
}

async function deno(pki, store) {
    const dir = mkdtempSync(join(tmpdir(), "rolesanywhere-bench-fleet-"));
    try {
        return await withStandIn(pki, async (standIn) => {
            const start = Date.now() + 3000; // after every process has started
            const run = () => promisify(execFile)(join(root, "node_modules/.bin/deno"), [
                "run", "--quiet", "--unstable-kv", `--allow-read=${root},${pki.dir},${dir}`, `--allow-write=${dir}`,
                "--allow-net=127.0.0.1", "--allow-env=STORE_SECRET", join(root, "tests/js/deno-kv-client.js"),
                store ? join(dir, "kv.sqlite") : "-", pki.dir, standIn.endpoint, JSON.stringify(arns), String(start),
            ], { env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", STORE_SECRET: SECRET } }).then(({ stdout }) => JSON.parse(stdout).ms);
            const outcomes = await Promise.allSettled(Array.from({ length: processes }, run));
            const ms = outcomes.filter((o) => o.status === "fulfilled").map((o) => o.value);
            return { errors: processes - ms.length, cold: ms, all: ms };
        });
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

const pki = makePki();
try {
    const material = pki.material("p256");
    const rows = [];
    for (const broker of [true, false]) {
        rows.push({ what: `Workers, ${isolates} isolates, ${requests} requests at ${concurrency}, ${broker ? "broker" : "no broker"}`, requests, ...(await workers(pki, material, broker)) });
        await new Promise((r) => setTimeout(r, 1500)); // the CPU settles between cases
    }
    for (const store of [true, false]) {
        rows.push({ what: `Deno, ${processes} processes, ${store ? "Deno KV store" : "no store"}`, requests: processes, ...(await deno(pki, store)) });
    }
    console.log("| case | CreateSessions | throttled answers | callers failed | cold: time to credentials p50 / p99 (ms) | every request p50 / p99 (ms) |");
    console.log("|---|---:|---:|---:|---:|---:|");
    for (const r of rows) {
        console.log(`| ${r.what} | ${r.created} | ${r.throttled} | ${r.errors} | ${quantile(r.cold, 0.5)} / ${quantile(r.cold, 0.99)} (n=${r.cold.length}) | ${quantile(r.all, 0.5)} / ${quantile(r.all, 0.99)} |`);
    }
} finally {
    pki.remove();
}
