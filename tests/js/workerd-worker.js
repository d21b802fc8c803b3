// The suite inside workerd: the Worker runs it on request (randomness and WebCrypto are only
// allowed inside a handler) and answers with the results as JSON. Driven by workerd.test.js.
import { suite, runAll } from "./suite.js";
import * as api from "../../pkg/workerd.js";
import * as wire from "../../pkg/wire.js";

export default {
    async fetch(request, env) {
        const results = await runAll(suite(api, env.FIXTURE, wire));
        return Response.json(results);
    },
};
