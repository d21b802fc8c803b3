// @aws-sdk/client-sts with fromRolesAnywhere inside workerd (miniflare): tests/js/sdk-worker.js,
// bundled by wrangler (as a user's Worker would be, with nodejs_compat for the SDK), gets
// credentials from the stand-in through the package and calls STS GetCallerIdentity.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { account, arns, makePki, region, root, startStandIn } from "../../www/stand-in.mjs";

let pki;
before(() => (pki = makePki()));
after(() => pki.remove());

const COMPATIBILITY = { date: "2025-09-01", flags: ["nodejs_compat"] };

/** Bundles the test Worker with wrangler (no account: --dry-run) into a directory. */
function bundle() {
    const out = join(root, "target/sdk-worker");
    const config = join(pki.dir, "wrangler.toml");
    writeFileSync(config, [
        'name = "sdk-worker-test"',
        `main = ${JSON.stringify(join(root, "tests/js/sdk-worker.js"))}`,
        `compatibility_date = "${COMPATIBILITY.date}"`,
        `compatibility_flags = ${JSON.stringify(COMPATIBILITY.flags)}`,
        // The SDK's browser XML parser needs DOMParser, which workerd lacks; its portable one is
        // in the package's CJS build (the README's Worker section says the same).
        "[alias]",
        `"@aws-sdk/xml-builder" = ${JSON.stringify(join(root, "node_modules/@aws-sdk/xml-builder/dist-cjs/index.js"))}`,
    ].join("\n"));
    execFileSync(join(root, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--config", config, "--outdir", out], {
        env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
        stdio: ["ignore", "ignore", "inherit"],
    });
    return out;
}

test("workerd: @aws-sdk/client-sts GetCallerIdentity with fromRolesAnywhere", async () => {
    const out = bundle();
    assert.ok(readdirSync(out).some((f) => f.endsWith(".wasm")), "the bundle keeps the .wasm as a module");
    const standIn = await startStandIn(pki.dir);
    const mf = new Miniflare({
        modules: true,
        scriptPath: join(out, "sdk-worker.js"),
        modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
        compatibilityDate: COMPATIBILITY.date,
        compatibilityFlags: COMPATIBILITY.flags,
        bindings: {
            CERTIFICATE: pki.material("p256").certificate,
            PRIVATE_KEY: pki.material("p256").privateKey,
            INTERMEDIATES: pki.material("p256").intermediates,
            TRUST_ANCHOR_ARN: arns.trustAnchorArn,
            PROFILE_ARN: arns.profileArn,
            ROLE_ARN: arns.roleArn,
            REGION: region,
            ROLESANYWHERE_ENDPOINT: standIn.endpoint,
            STS_ENDPOINT: `${standIn.endpoint}/`,
        },
    });
    try {
        const response = await mf.dispatchFetch("http://localhost/");
        const answer = await response.json();
        assert.equal(response.status, 200, JSON.stringify(answer));
        assert.equal(answer.account, account);
        assert.match(answer.arn, new RegExp(`^arn:aws:sts::${account}:assumed-role/prj-demo-app/[0-9a-f]+$`));
    } finally {
        await mf.dispose();
        standIn.stop();
    }
});
