// Makes the JS suite's fixture: a fresh test PKI (tests/pki/generate.sh) and, for each case, the
// inputs plus the native CLI's `sign-request` output for the same inputs and --date.
//   node tests/js/fixture.mjs OUT.json [CLI]     (CLI default: target/release/rolesanywhere)
import { execFileSync, spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { mlDsaCases } from "./mldsa.mjs";

const root = resolve(import.meta.dirname, "../..");
const out = process.argv[2] ?? join(root, "target/js-fixture.json");
const cli = process.argv[3] ?? join(root, "target/release/rolesanywhere");
const dir = mkdtempSync(join(tmpdir(), "rolesanywhere-pki-"));
try {
    execFileSync("bash", [join(root, "tests/pki/generate.sh"), dir], { stdio: ["ignore", "ignore", "inherit"] });
    const text = (f) => readFileSync(join(dir, f), "utf8");
    const b64 = (f) => readFileSync(join(dir, f)).toString("base64");

    const arns = {
        trustAnchorArn: "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/0f5e0c9a-3f4b-4c2d-9c5e-2a7f3b1d8e6a",
        profileArn: "arn:aws:rolesanywhere:us-east-1:123456789012:profile/6d1b0f7e-9a2c-4e3b-8f1d-5c7a2e9b4d30",
        roleArn: "arn:aws:iam::123456789012:role/demo-app",
    };
    const date = "2026-03-01T12:34:56Z";
    // name, certificate, key file, key type, extra CLI flags + matching JS options
    const cases = [
        { name: "p256-pkcs8", cert: "p256.pem", key: "p256.pkcs8.pem", keyType: "P-256" },
        { name: "p256-sec1-chain", cert: "p256.pem", key: "p256.sec1.pem", keyType: "P-256", chain: true,
          opts: { durationSeconds: 1800, roleSessionName: "js-suite" } },
        { name: "p384-pkcs8", cert: "p384.pem", key: "p384.pkcs8.pem", keyType: "P-384", chain: true },
        { name: "rsa2048-pkcs8", cert: "rsa2048.pem", key: "rsa2048.pkcs8.pem", keyType: "RSA", chain: true },
        { name: "rsa2048-pkcs1-endpoint", cert: "rsa2048.pem", key: "rsa2048.pkcs1.pem", keyType: "RSA",
          opts: { endpoint: "http://127.0.0.1:9999/ra", region: "us-east-1" } },
    ];
    const fixture = {
        date, dateMs: Date.parse(date), arns,
        otherKey: text("other.pkcs8.pem"),
        // Another CA's certificate for otherKey with the p256 case's serial number.
        sameSerialCert: text("same-serial.pem"),
        // The one-time key check (tests/pki/README.md): PKCS#8 keys that do not belong to their
        // case's certificate, and the p256 case's own key without its public key or with it
        // compressed.
        keyCheck: {
            mismatched: [["p256-pkcs8", "other.pkcs8-compressed.pem"], ["p256-pkcs8", "other.pkcs8-nopub.pem"],
                ["p384-pkcs8", "other-p384.pkcs8.pem"], ["rsa2048-pkcs8", "other-rsa2048.pkcs8.pem"]]
                .map(([c, file]) => ({ case: c, file, privateKey: text(file) })),
            matching: ["p256.pkcs8-nopub.pem", "p256.pkcs8-compressed.pem"].map((file) => ({ case: "p256-pkcs8", file, privateKey: text(file) })),
        },
        garbageCert: "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n",
        p256KeyDer: b64("p256.pkcs8.der"),
        p256CertDer: b64("p256.cert.der"),
        // The p256 and p384 cases' keys encrypted with the password "test" (tests/pki/generate.sh).
        encryptedKeys: {
            p256: ["p256.pkcs8-encrypted.pem", "p256.pkcs8-aes128-sha256.pem", "p256.pkcs8-aes256-sha1.pem",
                "p256.pkcs8-aes128-sha1.pem", "p256.pkcs8-scrypt.pem"].map((f) => ({ name: f, pem: text(f) })),
            p384Der: b64("p384.pkcs8-encrypted.der"),
            pbes1: text("p256.pkcs8-pbes1.pem"),
        },
        cases: [],
    };
    for (const c of cases) {
        const args = ["sign-request", "--certificate", join(dir, c.cert), "--private-key", join(dir, c.key),
            "--trust-anchor-arn", arns.trustAnchorArn, "--profile-arn", arns.profileArn, "--role-arn", arns.roleArn,
            "--date", date];
        if (c.chain) args.push("--intermediates", join(dir, "chain.pem"));
        const o = c.opts ?? {};
        if (o.durationSeconds) args.push("--session-duration", String(o.durationSeconds));
        if (o.roleSessionName) args.push("--role-session-name", o.roleSessionName);
        if (o.endpoint) args.push("--endpoint", o.endpoint);
        if (o.region) args.push("--region", o.region);
        const run = spawnSync(cli, [...args, "--explain"], { encoding: "utf8" });
        if (run.status !== 0) throw new Error(`${cli} failed: ${run.stderr}`);
        const expected = JSON.parse(run.stdout);
        const stringToSign = run.stderr.split("== string to sign\n")[1].replace(/\n$/, "");
        const publicJwk = new X509Certificate(readFileSync(join(dir, c.cert))).publicKey.export({ format: "jwk" });
        fixture.cases.push({
            name: c.name, keyType: c.keyType,
            options: { certificate: text(c.cert), privateKey: text(c.key),
                ...(c.chain ? { intermediates: text("chain.pem") } : {}), ...arns, ...o },
            expected, stringToSign, publicJwk,
        });
    }
    // PKCS#12 files (tests/pki/generate.sh, password "test"): the modern ones with the CLI's
    // request for `--certificate FILE.p12`, and the legacy ones the core refuses.
    const signRequest = (cert, extra) => {
        const args = ["sign-request", "--certificate", join(dir, cert), "--trust-anchor-arn", arns.trustAnchorArn,
            "--profile-arn", arns.profileArn, "--role-arn", arns.roleArn, "--date", date, ...extra, "--explain"];
        const run = spawnSync(cli, args, { encoding: "utf8" });
        if (run.status !== 0) throw new Error(`${cli} ${args.join(" ")} failed: ${run.stderr}`);
        return { expected: JSON.parse(run.stdout), stringToSign: run.stderr.split("== string to sign\n")[1].replace(/\n$/, "") };
    };
    fixture.pkcs12 = {
        cases: [["p256.p12", "p256.pem", "P-256"], ["rsa2048.p12", "rsa2048.pem", "RSA"], ["p384-plain.p12", "p384.pem", "P-384"]]
            .map(([file, leaf, keyType]) => ({
                name: file, keyType, pkcs12: b64(file), options: { ...arns },
                ...signRequest(file, ["--pkcs12-password", "test"]),
                publicJwk: new X509Certificate(readFileSync(join(dir, leaf))).publicKey.export({ format: "jwk" }),
            })),
        legacy: ["p256-legacy.p12", "p256-3des.p12"].map((f) => ({ name: f, pkcs12: b64(f) })),
        noKey: b64("p256-nokey.p12"),
    };
    // ML-DSA leaves issued by int.pem (OpenSSL 3.0 has no ML-DSA: see mlDsaCases), with the CLI's
    // request for each: the core's own deterministic signature.
    const mlDsa = mlDsaCases(dir);
    fixture.mlDsa = mlDsa.map(({ name, keyType, cert, key }) => ({
        name, keyType, options: { certificate: text(cert), privateKey: text(key), ...arns },
        ...signRequest(cert, ["--private-key", join(dir, key)]),
    }));
    // The CLI's signatures (which the suite's in-wasm ones must equal) verify with dilithium-py.
    const verify = spawnSync(process.env.PYTHON ?? "python3", ["-c", `
import json, sys
from dilithium_py.ml_dsa import ML_DSA_44, ML_DSA_65, ML_DSA_87
sets = {"ML-DSA-44": ML_DSA_44, "ML-DSA-65": ML_DSA_65, "ML-DSA-87": ML_DSA_87}
print(all(sets[c["set"]].verify(bytes.fromhex(c["pk"]), c["message"].encode(), bytes.fromhex(c["sig"])) for c in json.load(sys.stdin)))
`], { input: JSON.stringify(fixture.mlDsa.map((c, i) => ({ set: c.keyType, pk: mlDsa[i].publicKey.toString("hex"),
        message: c.stringToSign, sig: c.expected.headers.Authorization.split("Signature=")[1] }))), encoding: "utf8" });
    if (fixture.mlDsa.length > 0 && verify.stdout.trim() !== "True") throw new Error(`dilithium-py does not verify the CLI's ML-DSA signatures: ${verify.stdout}${verify.stderr}`);
    fixture.sigv4 = sigv4Cases();
    fixture.wire = JSON.parse(readFileSync(join(root, "tests/vectors/wire.json"), "utf8"));
    writeFileSync(out, JSON.stringify(fixture, null, 1));
    console.log(`fixture: ${fixture.cases.length} cases -> ${out}`);
} finally {
    rmSync(dir, { recursive: true, force: true });
}

/**
 * Cases of the AWS SigV4 test suite (tests/vectors/aws-sigv4-suite, Apache-2.0) for `signRequest`:
 * the request, the signer's settings, and the expected `Authorization` header and presigned
 * query, from the suite's own files.
 */
function sigv4Cases() {
    const suite = join(root, "tests/vectors/aws-sigv4-suite/v4");
    const names = ["get-vanilla", "get-vanilla-query-order-key-case", "get-utf8", "get-vanilla-utf8-query",
        "get-vanilla-with-session-token", "post-sts-header-after", "post-header-value-case", "post-vanilla-query"];
    return names.map((name) => {
        const read = (f) => readFileSync(join(suite, name, f), "utf8");
        const context = JSON.parse(read("context.json"));
        const [head, body = ""] = read("request.txt").split(/\r?\n\r?\n/);
        const [requestLine, ...headerLines] = head.split(/\r?\n/);
        const [method, target] = [requestLine.slice(0, requestLine.indexOf(" ")), requestLine.slice(requestLine.indexOf(" ") + 1, requestLine.lastIndexOf(" "))];
        const headers = headerLines.filter((l) => l !== "").map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1)]).filter(([n]) => n.toLowerCase() !== "x-amz-date");
        const host = headers.find(([n]) => n.toLowerCase() === "host")[1];
        const authorization = read("header-signed-request.txt").split(/\r?\n/).find((l) => l.startsWith("Authorization:")).slice("Authorization:".length);
        const presigned = read("query-signed-request.txt").split(/\r?\n/)[0];
        const presignedTarget = presigned.slice(presigned.indexOf(" ") + 1, presigned.lastIndexOf(" "));
        return {
            name,
            request: { method, url: `https://${host}${target}`, headers, body },
            credentials: { accessKeyId: context.credentials.access_key_id, secretAccessKey: context.credentials.secret_access_key, sessionToken: context.credentials.token },
            options: { service: context.service, region: context.region, dateMs: Date.parse(context.timestamp), expiresIn: context.expiration_in_seconds, signSessionToken: !context.omit_session_token },
            authorization,
            presignedQuery: presignedTarget.slice(presignedTarget.indexOf("?") + 1),
        };
    });
}
