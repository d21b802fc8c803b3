// A Worker of tests/js/broker.test.mjs and scripts/bench-fleet, run in miniflare as several
// scripts bound to one CredentialBroker namespace. Each request gets credentials from the
// isolate's provider at module scope: through the broker (env.BROKER), or, with MODE=direct,
// each isolate signing in for itself as the plain provider does. It answers with the access key
// id and whether this isolate had no credentials yet when the request came; with `?reveal` (the
// tests' check that storage holds no secret) also the secret key and session token: a test
// Worker only, never a pattern for a real one.
import { createCredentialProvider } from "../../pkg/workerd.js";
import { CredentialBroker, fromCredentialBroker } from "../../pkg/workers.js";

export { CredentialBroker };

/** A broker whose object always throws: the isolates fall back to signing in themselves. */
export class BrokenBroker extends CredentialBroker {
    async credentials() {
        throw new Error("the broker is down");
    }
}

let provider = null;
let ready = false;

/** The sign-in options from the environment, as the broker's alarm reads them. */
function options(env) {
    return {
        ...CredentialBroker.signInOptions(env),
        ...(env.REFRESH_MARGIN_SECONDS ? { refreshMarginSeconds: Number(env.REFRESH_MARGIN_SECONDS) } : {}),
    };
}

export default {
    async fetch(request, env) {
        provider ??= env.MODE === "direct" ? createCredentialProvider(options(env)) : fromCredentialBroker(env.BROKER, options(env));
        const cold = !ready;
        try {
            const credentials = await provider({ signal: request.signal });
            ready = true;
            const answer = { accessKeyId: credentials.accessKeyId, cold };
            if (new URL(request.url).searchParams.has("reveal")) Object.assign(answer, credentials);
            return Response.json(answer);
        } catch (e) {
            return Response.json({ error: e?.code ?? "Internal", message: String(e?.message ?? e), cold }, { status: 502 });
        }
    },
};
