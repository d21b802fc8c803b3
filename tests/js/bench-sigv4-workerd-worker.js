// The workerd SigV4 bench's Worker (driven by bench-sigv4-workerd.mjs): GET /?mode=M&n=N makes
// N calls of one scenario of bench-sigv4-lib.js in a row (M: a SigV4 signer, or `providerHit`)
// and answers how long they took by the Worker's clock (workerBatchMs). The third-party signers
// come bundled by the driver into target/bench-sigv4/vendor.js (smithy hashes with
// @smithy/hash-node over nodejs_compat).
import * as api from "../../pkg/workerd.js";
import { AwsV4Signer, Hash, HttpRequest, SignatureV4 } from "../../target/bench-sigv4/vendor.js";
import { checkSameSignature, sigv4Scenarios, warmProvider, workerBatchMs } from "./bench-sigv4-lib.js";

const libs = { signRequest: api.signRequest, AwsV4Signer, SignatureV4, HttpRequest, sha256: Hash.bind(null, "sha256") };
let fns = null;

export default {
    async fetch(request, env) {
        const q = new URL(request.url).searchParams;
        if (q.get("check")) return Response.json({ authorization: await checkSameSignature(libs) });
        if (!fns) fns = { ...sigv4Scenarios(libs), providerHit: await warmProvider(api, env.FIXTURE) };
        const dateMs = await workerBatchMs(fns[q.get("mode")], Number(q.get("n")));
        return Response.json({ dateMs, providerFetches: fns.providerHit.calls() });
    },
};
