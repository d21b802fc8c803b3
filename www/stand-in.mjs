// The setup guide's AWS side, offline: a fresh demo PKI (tests/pki/generate.sh), the ARNs of the
// guide's trust anchor, role and profile, and `rolesanywhere stand-in` started on a free loopback
// port with that configuration. Used by the page's demo (`node www/serve.mjs --stand-in`) and by
// the JS tests that talk to the stand-in.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";

export const root = resolve(import.meta.dirname, "..");
const cli = process.env.ROLESANYWHERE_CLI ?? join(root, "target/release/rolesanywhere");
export const region = "us-west-2";
export const account = "123456789012";
export const arns = {
    trustAnchorArn: `arn:aws:rolesanywhere:${region}:${account}:trust-anchor/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111`,
    profileArn: `arn:aws:rolesanywhere:${region}:${account}:profile/a1b2c3d4-5678-90ab-cdef-EXAMPLE22222`,
    roleArn: `arn:aws:iam::${account}:role/prj-demo-app`,
};

/**
 * A fresh test PKI in a temporary directory. `remove()` deletes it; so does the process's exit,
 * should a test fail before its own cleanup runs (its keys never stay behind).
 */
export function makePki() {
    const dir = mkdtempSync(join(tmpdir(), "rolesanywhere-js-pki-"));
    const remove = () => {
        rmSync(dir, { recursive: true, force: true });
        process.off("exit", remove);
    };
    process.on("exit", remove);
    try {
        execFileSync("bash", [join(root, "tests/pki/generate.sh"), dir], { stdio: ["ignore", "ignore", "inherit"] });
    } catch (e) {
        remove();
        throw e;
    }
    const text = (f) => readFileSync(join(dir, f), "utf8");
    return {
        dir,
        /** `{certificate, privateKey, intermediates}` of a leaf (`p256`, `p384`, `rsa2048`, `prj-other`). */
        material: (leaf) => ({ certificate: text(`${leaf}.pem`), privateKey: text(`${leaf}.pkcs8.pem`), intermediates: text("chain.pem") }),
        remove,
    };
}

/**
 * Starts the stand-in with the guide's setup (anchor = the PKI's two-root bundle, trust policy on
 * aws:SourceArn and the prj-demo SPIFFE prefix, a one-hour profile). Returns its endpoint, its
 * stderr lines (one per request) and `stop()`, which sends SIGTERM and returns a promise of its
 * exit. The process's exit stops it too, should a test fail before its own cleanup runs.
 */
export async function startStandIn(dir) {
    const config = {
        trustAnchors: [{ arn: arns.trustAnchorArn, certificateBundleFile: "bundle.pem" }],
        roles: [{
            arn: arns.roleArn,
            trustPolicy: {
                Version: "2012-10-17",
                Statement: [{
                    Effect: "Allow",
                    Principal: { Service: "rolesanywhere.amazonaws.com" },
                    Action: ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
                    Condition: {
                        StringEquals: { "aws:SourceArn": arns.trustAnchorArn },
                        StringLike: { "aws:PrincipalTag/x509SAN/URI": "spiffe://ORG.aws-us-west.example.io/ns/prj-demo/*" },
                    },
                }],
            },
        }],
        profiles: [{ arn: arns.profileArn, roleArns: [arns.roleArn], durationSeconds: 3600 }],
    };
    writeFileSync(join(dir, "stand-in.json"), JSON.stringify(config));
    const child = spawn(cli, ["stand-in", "--config", join(dir, "stand-in.json"), "--listen", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "pipe"] });
    const kill = () => child.kill();
    process.on("exit", kill);
    const exited = new Promise((resolve) => child.once("exit", resolve)).finally(() => process.off("exit", kill));
    const log = [];
    createInterface({ input: child.stderr }).on("line", (line) => log.push(line));
    const [first] = await new Promise((resolve, reject) => {
        child.once("error", reject);
        child.once("exit", (code) => reject(new Error(`stand-in exited (${code}): ${log.join("\n")}`)));
        createInterface({ input: child.stdout }).once("line", (line) => resolve([line]));
    });
    const endpoint = first.replace(/^listening on /, "");
    const stop = () => {
        if (child.exitCode === null && child.signalCode === null) child.kill();
        return exited;
    };
    return { endpoint, log, stop };
}

