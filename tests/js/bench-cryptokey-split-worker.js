// The workerd half of bench-cryptokey-split.mjs: GET /?mode=M&n=N makes N calls of one scenario of
// bench-cryptokey-split-lib.js and answers how long they took by the Worker's clock
// (bench-sigv4-lib.js's workerBatchMs).
import * as api from "../../pkg/workerd.js";
import * as wasm from "../../pkg/glue/rolesanywhere.js";
import * as wire from "../../pkg/wire.js";
import { splitScenarios } from "./bench-cryptokey-split-lib.js";
import { workerBatchMs } from "./bench-sigv4-lib.js";

let fns = null;

export default {
    async fetch(request, env) {
        const q = new URL(request.url).searchParams;
        fns ??= await splitScenarios({ api, wasm, wire }, env.FIXTURE);
        return Response.json({ ms: await workerBatchMs(fns[q.get("mode")], Number(q.get("n"))) });
    },
};
