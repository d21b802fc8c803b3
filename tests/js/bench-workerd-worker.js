// The workerd bench's Worker (driven by bench-workerd.mjs): GET /?case=C&mode=M&n=N makes N
// calls of one scenario of bench-lib.js in a row and answers how long they took, by the
// Worker's own clocks. workerd's Date.now() and performance.now() only move across I/O, so the
// batch is bracketed by awaited timers (I/O for workerd) and timed as a whole.
import * as api from "../../pkg/workerd.js";
import { scenarios, unsupported } from "./bench-lib.js";

const prepared = new Map();
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

export default {
    async fetch(request, env) {
        const q = new URL(request.url).searchParams;
        const name = q.get("case");
        const n = Number(q.get("n"));
        let fns = prepared.get(name);
        if (!fns) prepared.set(name, (fns = await scenarios(api, env.FIXTURE, name)));
        const fn = fns[q.get("mode")];
        if (await unsupported(fn)) return Response.json({ unsupported: true });
        await tick();
        const d0 = Date.now();
        const p0 = performance.now();
        for (let i = 0; i < n; i++) await fn();
        await tick();
        return Response.json({ dateMs: Date.now() - d0, perfMs: performance.now() - p0 });
    },
};
