// Runs the example Worker (examples/worker.js) once in workerd, Cloudflare's runtime, through
// miniflare (no account, no network beyond what the Worker itself fetches), with the
// certificate and key as secrets, the ARNs and endpoints as vars, and its credential broker (a
// Durable Object, kept in memory, sealed under a secret made for this run) as in wrangler.toml;
// prints its JSON answer and exits non-zero when the Worker answered with an error. Used by
// scripts/demo.
//
//   node examples/run-worker.mjs --certificate app.pem --private-key app.key [--intermediates chain.pem] \
//     --trust-anchor-arn ARN --profile-arn ARN --role-arn ARN [--endpoint URL] [--sts-endpoint URL]
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Miniflare } from "miniflare";

const { values } = parseArgs({
    options: Object.fromEntries(
        ["certificate", "private-key", "intermediates", "trust-anchor-arn", "profile-arn", "role-arn", "endpoint", "sts-endpoint"].map((name) => [
            name,
            { type: "string" },
        ]),
    ),
});
for (const required of ["certificate", "private-key", "trust-anchor-arn", "profile-arn", "role-arn"]) {
    if (!values[required]) {
        console.error(`error: --${required} is required`);
        process.exit(2);
    }
}

const root = fileURLToPath(new URL("..", import.meta.url));
const bindings = {
    CERTIFICATE: readFileSync(values.certificate, "utf8"),
    PRIVATE_KEY: readFileSync(values["private-key"], "utf8"),
    TRUST_ANCHOR_ARN: values["trust-anchor-arn"],
    PROFILE_ARN: values["profile-arn"],
    ROLE_ARN: values["role-arn"],
    BROKER_SECRET: randomBytes(32).toString("base64"),
};
if (values.intermediates) bindings.INTERMEDIATES = readFileSync(values.intermediates, "utf8");
if (values.endpoint) bindings.ROLESANYWHERE_ENDPOINT = values.endpoint;
if (values["sts-endpoint"]) bindings.STS_ENDPOINT = values["sts-endpoint"];

const mf = new Miniflare({
    modules: true,
    scriptPath: fileURLToPath(new URL("./worker.js", import.meta.url)),
    modulesRoot: root,
    modulesRules: [
        { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
        { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: "2025-09-01",
    bindings,
    durableObjects: { BROKER: { className: "CredentialBroker", useSQLite: true } },
});
try {
    const response = await mf.dispatchFetch("http://localhost/");
    const text = await response.text();
    console.log(JSON.stringify(JSON.parse(text), null, 2));
    process.exitCode = response.ok ? 0 : 1;
} finally {
    await mf.dispose();
}
