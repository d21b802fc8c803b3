// Where the time of createSessionRequest with a CryptoKey goes (a bench, not a test), shared by
// bench-cryptokey-split.mjs (Node) and bench-cryptokey-split-worker.js (workerd): for fixture
// case p256-pkcs8, the same P-256 crypto.subtle.sign of the string to sign timed
//   bare          alone, back to back (the baseline of bench-js);
//   wasm          the flow's synchronous wasm work alone: the options record, prepareCreateSession,
//                 facts, finish with a signature made up front, the reply decoded;
//   wasmThenSign  that wasm work, then the bare sign: against bare + wasm, what the sign costs
//                 more when other work ran between two signs;
//   flow          createSessionRequest({...options, privateKey: cryptoKey}): against wasmThenSign,
//                 the shim's own JavaScript (option checks, promise chain, DER conversion).

/**
 * The four calls to time: `{bare, wasm, wasmThenSign, flow}`, each an async function.
 * `deps`: `{api, wasm, wire}` (the package entry, its glue, pkg/wire.js).
 */
export async function splitScenarios({ api, wasm, wire }, fixture) {
    const c = fixture.cases.find((x) => x.name === "p256-pkcs8");
    const der = (pem) => Uint8Array.from(atob(pem.replace(/-----[^-]+-----|\s/g, "")), (ch) => ch.charCodeAt(0));
    const key = await crypto.subtle.importKey("pkcs8", der(c.options.privateKey), { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
    const options = { ...c.options, date: fixture.dateMs, privateKey: key };
    await api.createSessionRequest(options); // loads the package, checks the key once
    const names = wire.decode(wasm.createSessionOptionNames());
    const record = () => {
        const values = [];
        for (const name of names) values.push(name, options[name]);
        return wire.encode(values);
    };
    const certificates = wasm.parseCertificates(wire.encode([options.certificate]));
    const message = new TextEncoder().encode(c.stringToSign);
    const algorithm = { name: "ECDSA", hash: "SHA-256" };
    const signature = new Uint8Array(await crypto.subtle.sign(algorithm, key, message));
    const wasmWork = () => {
        const pending = wasm.prepareCreateSession(record(), fixture.dateMs, certificates);
        try {
            wire.decode(pending.facts());
            wire.decodeReply(pending.finish(signature, wire.replies()));
        } finally {
            pending.free();
        }
    };
    return {
        bare: () => crypto.subtle.sign(algorithm, key, message),
        wasm: async () => wasmWork(),
        wasmThenSign: async () => {
            wasmWork();
            await crypto.subtle.sign(algorithm, key, message);
        },
        flow: () => api.createSessionRequest({ ...options }),
    };
}

/** Modes in report order. */
export const SPLIT_MODES = ["bare", "wasm", "wasmThenSign", "flow"];

/** The report lines from medians in µs per call (`cpu`: optional CPU µs per call). */
export function splitReport(label, us, cpu) {
    const f = (m) => `${us[m].toFixed(1)} µs${cpu ? ` (cpu ${cpu[m].toFixed(1)})` : ""}`;
    const extraSign = us.wasmThenSign - us.wasm - us.bare;
    const shim = us.flow - us.wasmThenSign;
    return [
        `${label}: bare sign ${f("bare")} | wasm work ${f("wasm")} | wasm work then sign ${f("wasmThenSign")} | createSessionRequest ${f("flow")} (${(us.flow / us.bare).toFixed(2)}x bare)`,
        `  flow = bare ${us.bare.toFixed(1)} + wasm ${us.wasm.toFixed(1)} + sign slower after other work ${extraSign.toFixed(1)} + shim JS ${shim.toFixed(1)} µs`,
    ].join("\n");
}
