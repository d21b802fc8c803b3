// The browser page (www/) in headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core, as browser.test.js does), served by www/serve.mjs, against the stand-in with
// the guide's setup: the p256 leaf walks through all five steps; the prj-other leaf ends in
// AccessDenied in step 4; bad input fails in its step with its code; each other input form (an
// encrypted PKCS#8 key, a PKCS#12 file, a full-chain certificate, ML-DSA-44/65/87 keys made by
// tests/js/mldsa.mjs) signs in with its algorithm shown, and a wrong password fails with its code.
// CHROMIUM=path overrides the browser.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { X509Certificate } from "node:crypto";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { arns, makePki, root, startStandIn } from "../../www/stand-in.mjs";
import { startServer } from "../../www/serve.mjs";
import { mlDsaCases } from "./mldsa.mjs";

const pki = makePki();
// ML-DSA leaves issued by the PKI's intermediate (its openssl has no ML-DSA): [] without
// python3 + dilithium-py, which the ML-DSA test then reports.
const mlDsa = mlDsaCases(pki.dir);
const standIn = await startStandIn(pki.dir);
const server = await startServer();
const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
after(async () => {
    await browser.close();
    await server.close();
    standIn.stop();
    pki.remove();
});

/** Hides WebCrypto's ML-DSA from a page (run there before its scripts), as in a browser without it. */
function hideMlDsa() {
    const subtle = SubtleCrypto.prototype;
    for (const method of ["generateKey", "importKey", "sign", "verify"]) {
        const original = subtle[method];
        subtle[method] = function (...args) {
            const algorithm = method === "importKey" ? args[2] : args[0];
            const name = typeof algorithm === "string" ? algorithm : algorithm?.name;
            if (/^ML-DSA/i.test(name ?? "")) return Promise.reject(new DOMException("Unrecognized algorithm name", "NotSupportedError"));
            return original.apply(this, args);
        };
    }
}

/**
 * A fresh page on the server; `problems` collects console errors and page errors (CSP too).
 * `withoutMlDsa`: WebCrypto's ML-DSA hidden from the page (hideMlDsa).
 */
async function openPage({ withoutMlDsa = false } = {}) {
    const page = await browser.newPage();
    if (withoutMlDsa) await page.addInitScript(hideMlDsa);
    const problems = [];
    page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
    page.on("pageerror", (e) => problems.push(String(e)));
    // The CreateSession answers as they come over the wire, to check the page never shows the secrets.
    const answers = [];
    page.on("response", async (r) => {
        if (r.request().method() === "POST" && new URL(r.url()).pathname === "/sessions") answers.push(r.text());
    });
    await page.goto(server.url);
    return { page, problems, answers };
}

/** Fills the form with a leaf of the test PKI: pasted into the text areas, or picked as files. */
async function fill(page, leaf, how = "paste") {
    const files = { certificate: `${leaf}.pem`, "private-key": `${leaf}.pkcs8.pem`, intermediates: "chain.pem" };
    for (const [id, file] of Object.entries(files)) {
        if (how === "paste") {
            await page.fill(`#${id}`, pki.material(leaf)[{ certificate: "certificate", "private-key": "privateKey", intermediates: "intermediates" }[id]]);
        } else {
            await page.setInputFiles(`#${id}-file`, join(pki.dir, file));
            await page.waitForFunction((id) => document.getElementById(id).value.includes("-----BEGIN"), id);
        }
    }
    await fillArns(page);
}

/** Fills the ARNs and the stand-in's endpoint. */
async function fillArns(page) {
    await page.fill("#trust-anchor-arn", arns.trustAnchorArn);
    await page.fill("#profile-arn", arns.profileArn);
    await page.fill("#role-arn", arns.roleArn);
    await page.fill("#endpoint", standIn.endpoint);
}

/** Fills the PEM form with files of the test PKI (the intermediates: chain.pem unless null). */
async function fillPem(page, certFile, keyFile, { password = "", intermediates = "chain.pem" } = {}) {
    await page.check('input[name="form"][value="pem"]');
    await page.fill("#certificate", readFileSync(join(pki.dir, certFile), "utf8"));
    await page.fill("#private-key", readFileSync(join(pki.dir, keyFile), "utf8"));
    await page.fill("#key-password", password);
    await page.fill("#intermediates", intermediates ? readFileSync(join(pki.dir, intermediates), "utf8") : "");
    await fillArns(page);
}

/** Picks a PKCS#12 file of the test PKI with its password. */
async function fillPkcs12(page, file, password) {
    await page.check('input[name="form"][value="pkcs12"]');
    assert.equal(await page.locator("#pkcs12-inputs").isVisible(), true, "the PKCS#12 fields are shown");
    assert.equal(await page.locator("#pem-inputs").isVisible(), false, "the PEM fields are hidden");
    await page.setInputFiles("#pkcs12-file", join(pki.dir, file));
    await page.waitForFunction((file) => document.getElementById("pkcs12-status").textContent.includes(file), file);
    await page.fill("#pkcs12-password", password);
    await page.fill("#intermediates", "");
    await fillArns(page);
}

/** Runs steps 1 to `last`, each of which must succeed; their `{ok, text}`. */
async function steps(page, last = 5) {
    const out = [];
    for (let n = 1; n <= last; n++) {
        const s = await step(page, n);
        assert.ok(s.ok, `step ${n}: ${s.text}`);
        out.push(s);
    }
    return out;
}

/** Clicks step n's button, waits for it to end; `{ok, text}` of its panel. */
async function step(page, n) {
    const button = page.locator(`button[data-step="${n}"]`);
    assert.equal(await button.isEnabled(), true, `step ${n}'s button is enabled`);
    await button.click();
    await page.waitForFunction((n) => document.getElementById(`step-${n}`).matches(".done, .failed"), n, { timeout: 20000 });
    const ok = await page.locator(`#step-${n}`).evaluate((el) => el.classList.contains("done"));
    return { ok, text: await page.locator(`#step-${n}-output`).innerText() };
}

/** The certificate's serial in decimal (or another radix), from openssl. */
function serialOf(leaf, radix = 10) {
    const out = execFileSync("openssl", ["x509", "-in", join(pki.dir, `${leaf}.pem`), "-noout", "-serial"], { encoding: "utf8" });
    return BigInt(`0x${out.trim().split("=")[1]}`).toString(radix);
}

test("the server serves www/ and pkg/ (wasm as application/wasm) and nothing else", async () => {
    const get = (path) => fetch(new URL(path, server.url));
    const index = await get("/");
    assert.equal(index.status, 200);
    assert.match(index.headers.get("content-type"), /^text\/html/);
    assert.match(index.headers.get("content-security-policy"), /script-src 'self' 'wasm-unsafe-eval'/);
    const wasm = await get("/pkg/glue/rolesanywhere_bg.wasm");
    assert.equal(wasm.headers.get("content-type"), "application/wasm");
    assert.equal((await get("/pkg/web.js")).headers.get("content-type"), "text/javascript; charset=utf-8");
    for (const path of ["/../Cargo.toml", "/%2e%2e/Cargo.toml", "/pkg/../Cargo.toml", "/pkg/%2e%2e/Cargo.toml", "/.git/HEAD", "/demo/p256.pkcs8.pem"]) {
        assert.equal((await get(path)).status, 404, path);
    }
    assert.deepEqual(await (await get("/demo.json")).json(), {}, "no demo without --stand-in");
});

test("www/ uses only the package's public entry: no glue, no internal module, nothing under tests/", () => {
    const specifiers = (file) => [...readFileSync(join(root, "www", file), "utf8").matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)"([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(specifiers("app.js"), ["/pkg/web.js"], "the page imports the browser entry only (what `rolesanywhere` and `rolesanywhere/inspect` resolve to)");
    for (const file of ["serve.mjs", "stand-in.mjs"]) {
        for (const s of specifiers(file)) assert.ok(s.startsWith("node:") || s === "./stand-in.mjs", `${file} imports ${s}`);
    }
});

test("p256 leaf: certificate facts, canonical request, signed headers, credentials, assumed role", async () => {
    const { page, problems, answers } = await openPage();
    try {
        await fill(page, "p256");
        const serial = serialOf("p256");

        const s1 = await step(page, 1);
        assert.ok(s1.ok, s1.text);
        assert.match(s1.text, /spiffe:\/\/ORG\.aws-us-west\.example\.io\/ns\/prj-demo\/app/);
        assert.ok(s1.text.includes(serial), `serial ${serial} in decimal: ${s1.text}`);
        const hex = serialOf("p256", 16);
        assert.match(s1.text, new RegExp(`Serial number \\(hex\\): the role session name\\s+${hex}\\n`), `serial ${hex} in hex: ${s1.text}`);
        assert.match(s1.text, /P-256/);
        assert.match(s1.text, /Subject CN\s+p256\n/);
        assert.match(s1.text, /extractable: false/);

        const s2 = await step(page, 2);
        assert.ok(s2.ok, s2.text);
        const [canonical, toSign] = await page.locator("#step-2-output pre").allInnerTexts();
        assert.match(canonical, /^POST\n\/sessions\n/);
        assert.match(canonical, /\ncontent-type;host;x-amz-date;x-amz-x509;x-amz-x509-chain\n[0-9a-f]{64}$/);
        assert.match(toSign, /^AWS4-X509-ECDSA-SHA256\n\d{8}T\d{6}Z\n\d{8}\/us-west-2\/rolesanywhere\/aws4_request\n[0-9a-f]{64}$/);

        const s3 = await step(page, 3);
        assert.ok(s3.ok, s3.text);
        assert.ok(s3.text.includes(`AWS4-X509-ECDSA-SHA256 Credential=${serial}/`), s3.text);
        assert.match(s3.text, /SignedHeaders=content-type;host;x-amz-date;x-amz-x509;x-amz-x509-chain/);
        assert.match(s3.text, /X-Amz-X509\b/);
        assert.match(s3.text, /X-Amz-X509-Chain/);
        assert.match(s3.text, /✓ The signature verifies/);

        const s4 = await step(page, 4);
        assert.ok(s4.ok, s4.text);
        assert.match(s4.text, /ASIA[A-Z0-9]{12,}/);
        assert.match(s4.text, /not shown/);

        const s5 = await step(page, 5);
        assert.ok(s5.ok, s5.text);
        assert.match(s5.text, /arn:aws:sts::123456789012:assumed-role\/prj-demo-app\/\S+/);
        assert.ok(s5.text.includes(`assumed-role/prj-demo-app/${hex}`), `the session is named by the serial in hex: ${s5.text}`);

        // The secrets came over the wire but are nowhere in the page: text, HTML, or form values.
        assert.equal(answers.length, 1);
        const { credentials } = JSON.parse(await answers[0]).credentialSet[0];
        assert.match(s4.text, new RegExp(credentials.accessKeyId));
        const shown = [
            await page.locator("body").innerText(),
            await page.content(),
            ...(await page.locator("input, textarea").evaluateAll((els) => els.map((e) => e.value))),
        ].join("\n");
        for (const secret of [credentials.secretAccessKey, credentials.sessionToken]) {
            assert.ok(secret.length > 10);
            assert.ok(!shown.includes(secret), "a secret is shown in the page");
        }
        assert.deepEqual(problems, []);
    } finally {
        await page.close();
    }
});

test("prj-other leaf (picked as files): refused with AccessDenied in step 4", async () => {
    const { page, problems } = await openPage();
    try {
        await fill(page, "prj-other", "files");
        const s1 = await step(page, 1);
        assert.ok(s1.ok, s1.text);
        assert.match(s1.text, /spiffe:\/\/ORG\.aws-us-west\.example\.io\/ns\/prj-other\/app/);
        for (const n of [2, 3]) {
            const s = await step(page, n);
            assert.ok(s.ok, s.text);
        }
        const s4 = await step(page, 4);
        assert.equal(s4.ok, false, s4.text);
        assert.match(s4.text, /AccessDenied/);
        assert.match(s4.text, /trust policy|not authorized|denied/i);
        assert.equal(await page.locator('#step-4-output [role="alert"]').count(), 1);
        assert.equal(await page.locator('button[data-step="5"]').isDisabled(), true);
        // The stand-in's own failures (403) are logged by Chromium as a console error; nothing else.
        assert.ok(problems.every((p) => /status of 403/.test(p)), problems.join("\n"));
    } finally {
        await page.close();
    }
});

test("bad input fails in its step with its code: a non-certificate, a key of another type, another P-256 key", async () => {
    const { page } = await openPage();
    try {
        await fill(page, "p256");
        await page.fill("#certificate", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        let s1 = await step(page, 1);
        assert.equal(s1.ok, false);
        assert.match(s1.text, /InvalidCertificate/);
        assert.equal(await page.locator('button[data-step="2"]').isDisabled(), true);

        await page.fill("#certificate", pki.material("p256").certificate);
        await page.fill("#private-key", pki.material("p384").privateKey);
        s1 = await step(page, 1);
        assert.equal(s1.ok, false);
        assert.match(s1.text, /InvalidKey/);

        // A P-256 key of another certificate imports fine; signing finds the mismatch.
        await page.fill("#private-key", readFileSync(join(pki.dir, "other.pkcs8.pem"), "utf8"));
        for (const n of [1, 2]) assert.ok((await step(page, n)).ok);
        const s3 = await step(page, 3);
        assert.equal(s3.ok, false);
        assert.match(s3.text, /KeyMismatch/);
    } finally {
        await page.close();
    }
});

test("encrypted PKCS#8 key with its password: decrypted in wasm, signed, verified, signed in (AWS4-X509-ECDSA-SHA256)", async () => {
    const { page, problems } = await openPage();
    try {
        await fillPem(page, "p256.pem", "p256.pkcs8-encrypted.pem", { password: "test" });
        const [s1, s2, s3, s4, s5] = await steps(page);
        assert.match(s1.text, /Input form\s+a PEM certificate; an encrypted PKCS#8 key with its password \(pkcs8Password\)/);
        assert.match(s1.text, /decrypted in WebAssembly with its password/);
        assert.match(s2.text, /Algorithm\s+AWS4-X509-ECDSA-SHA256\n/);
        assert.ok(s3.text.includes(`AWS4-X509-ECDSA-SHA256 Credential=${serialOf("p256")}/`), s3.text);
        assert.match(s3.text, /✓ The signature verifies/);
        assert.match(s4.text, /ASIA[A-Z0-9]{12,}/);
        assert.match(s5.text, /assumed-role\/prj-demo-app\//);
        assert.deepEqual(problems, []);
    } finally {
        await page.close();
    }
});

test("PKCS#12 file picked with its password: certificate, key and chain from the one file (AWS4-X509-RSA-SHA256)", async () => {
    const { page, problems } = await openPage();
    try {
        await fillPkcs12(page, "rsa2048.p12", "test");
        const [s1, s2, s3, s4, s5] = await steps(page);
        assert.match(s1.text, /Input form\s+from the PKCS#12 file \(the leaf and 1 intermediate in all\); a PKCS#12 file with its password \(pkcs12, pkcs12Password\)/);
        assert.match(s1.text, /Key type\s+RSA\n/);
        assert.match(s1.text, /Intermediates\s+1\n/);
        assert.ok(s1.text.includes(serialOf("rsa2048")), s1.text);
        assert.match(s2.text, /Algorithm\s+AWS4-X509-RSA-SHA256\n/);
        assert.ok(s3.text.includes(`AWS4-X509-RSA-SHA256 Credential=${serialOf("rsa2048")}/`), s3.text);
        assert.match(s3.text, /SignedHeaders=content-type;host;x-amz-date;x-amz-x509;x-amz-x509-chain/);
        assert.match(s3.text, /✓ The signature verifies/);
        assert.match(s4.text, /ASIA[A-Z0-9]{12,}/);
        assert.ok(s5.text.includes(`assumed-role/prj-demo-app/${serialOf("rsa2048", 16)}`), s5.text);
        assert.deepEqual(problems, []);
    } finally {
        await page.close();
    }
});

test("full-chain certificate PEM: the leaf, then its intermediate, sent in X-Amz-X509-Chain", async () => {
    const { page, problems } = await openPage();
    try {
        await fillPem(page, "p256-fullchain.pem", "p256.pkcs8.pem", { intermediates: null });
        const [s1, , s3, s4] = await steps(page, 4);
        assert.match(s1.text, /Input form\s+a full-chain PEM: the leaf, then 1 intermediate/);
        assert.match(s1.text, /Subject CN\s+p256\n/);
        assert.match(s1.text, /Intermediates\s+1\n/);
        assert.match(s1.text, /extractable: false/);
        const int = execFileSync("openssl", ["x509", "-in", join(pki.dir, "int.pem"), "-outform", "DER"]).toString("base64");
        assert.ok(s3.text.includes("X-Amz-X509-Chain"), s3.text);
        const chain = await page.locator("#step-3-output th").evaluateAll((ths) => {
            const td = ths.find((th) => th.textContent === "X-Amz-X509-Chain")?.nextElementSibling;
            return td?.querySelector("pre")?.textContent ?? td?.textContent;
        });
        assert.equal(chain, int, "the chain header is the intermediate's DER");
        assert.match(s3.text, /✓ The signature verifies/);
        assert.match(s4.text, /ASIA[A-Z0-9]{12,}/);
        assert.deepEqual(problems, []);
    } finally {
        await page.close();
    }
});

for (const withoutMlDsa of [false, true]) {
    const where = withoutMlDsa ? "WebCrypto's ML-DSA hidden: signed in wasm, verified by the stand-in only" : "this Chromium's own WebCrypto";
    test(`ML-DSA-44/65/87 (${where}): AWS4-X509-MLDSA signs in, the page's verdict honest`, async () => {
        assert.equal(mlDsa.length, 3, "ML-DSA leaves (python3 with dilithium-py: pip install -r tests/requirements.txt)");
        const { page, problems } = await openPage({ withoutMlDsa });
        const answered = () => standIn.log.filter((l) => /^POST \/sessions -> 201\b/.test(l)).length;
        try {
            for (const { keyType, cert, key } of mlDsa) {
                // The test's own feature detection, independent of the page's.
                const inWebCrypto = await page.evaluate((name) => crypto.subtle.generateKey({ name }, false, ["sign", "verify"]).then(() => true, () => false), keyType);
                if (withoutMlDsa) assert.equal(inWebCrypto, false, "ML-DSA hidden");
                await fillPem(page, cert, key);
                const before = answered();
                const [s1, s2, s3, s4, s5] = await steps(page);
                assert.match(s1.text, new RegExp(`Key type\\s+${keyType}\\n`));
                assert.match(s2.text, /Algorithm\s+AWS4-X509-MLDSA\n/);
                const [, toSign] = await page.locator("#step-2-output pre").allInnerTexts();
                assert.match(toSign, /^AWS4-X509-MLDSA\n/);
                const serial = BigInt(`0x${new X509Certificate(readFileSync(join(pki.dir, cert))).serialNumber}`).toString();
                assert.ok(s3.text.includes(`AWS4-X509-MLDSA Credential=${serial}/`), s3.text);
                if (inWebCrypto) {
                    assert.match(s1.text, new RegExp(`CryptoKey: ${keyType}, extractable: false`));
                    assert.match(s3.text, /Signed by\s+WebCrypto/);
                    assert.match(s3.text, /✓ The signature verifies/);
                    assert.doesNotMatch(s4.text, /Accepted: the endpoint verified/);
                } else {
                    assert.match(s1.text, new RegExp(`Input form\\s+a PEM certificate; an ${keyType} PKCS#8 key, signed in WebAssembly \\(signer: "wasm"\\)`));
                    assert.match(s3.text, /Signed by\s+the package's in-wasm signer/);
                    // Not verified in the page, and not said to be.
                    assert.match(s3.text, new RegExp(`Not checked in this page: this browser's WebCrypto has no ${keyType}`));
                    assert.ok(!/✓|verifies/.test(s3.text), s3.text);
                    assert.match(s4.text, new RegExp(`Signature\\s+✓ Accepted: the endpoint verified the ${keyType} signature before answering 201`));
                }
                assert.equal(answered(), before + 1, "the stand-in answered this CreateSession with credentials");
                assert.match(s4.text, /ASIA[A-Z0-9]{12,}/);
                assert.match(s5.text, /assumed-role\/prj-demo-app\//);
            }
            // A key of another ML-DSA set: WebCrypto (where it has ML-DSA) does not import it as
            // the certificate's set, so the in-wasm signer takes it and finds the mismatch before
            // anything is sent.
            await fillPem(page, mlDsa[1].cert, mlDsa[0].key);
            const before = standIn.log.length;
            for (const n of [1, 2]) {
                const s = await step(page, n);
                assert.ok(s.ok, s.text);
            }
            const s3 = await step(page, 3);
            assert.equal(s3.ok, false, s3.text);
            assert.match(s3.text, /KeyMismatch/);
            assert.equal(standIn.log.length, before, "nothing sent");
            assert.deepEqual(problems, []);
        } finally {
            await page.close();
        }
    });
}

test("a wrong or missing password fails with its code, the password in no text", async () => {
    const { page } = await openPage();
    const password = "Wr0ng-Passw0rd-5e1f";
    const shown = async () => [await page.locator("body").innerText(), await page.content()].join("\n");
    try {
        await fillPem(page, "p256.pem", "p256.pkcs8-encrypted.pem", { password });
        for (const n of [1, 2]) assert.ok((await step(page, n)).ok);
        let s3 = await step(page, 3);
        assert.equal(s3.ok, false, s3.text);
        assert.match(s3.text, /WrongPassword/);
        assert.ok(!(await shown()).includes(password), "the password is shown");

        await page.fill("#key-password", "");
        for (const n of [1, 2]) assert.ok((await step(page, n)).ok);
        s3 = await step(page, 3);
        assert.equal(s3.ok, false, s3.text);
        assert.match(s3.text, /EncryptedKey/);

        await fillPkcs12(page, "p256.p12", password);
        const s1 = await step(page, 1);
        assert.equal(s1.ok, false, s1.text);
        assert.match(s1.text, /WrongPassword/);
        assert.equal(await page.locator('#step-1-output [role="alert"]').count(), 1);
        assert.ok(!(await shown()).includes(password), "the password is shown");
    } finally {
        await page.close();
    }
});

test("the demo buttons (served with --stand-in's files): encrypted key, full chain and PKCS#12 sign in with Run all", async () => {
    const names = ["p256.pem", "p256.pkcs8.pem", "chain.pem", "p256.pkcs8-encrypted.pem", "p256-fullchain.pem", "p256.p12"];
    const demo = { endpoint: standIn.endpoint, arns, files: Object.fromEntries(names.map((n) => [n, join(pki.dir, n)])) };
    const demoServer = await startServer({ demo });
    const page = await browser.newPage();
    try {
        const p12 = await fetch(new URL("/demo/p256.p12", demoServer.url));
        assert.equal(p12.headers.get("content-type"), "application/x-pkcs12");
        assert.deepEqual(new Uint8Array(await p12.arrayBuffer()), new Uint8Array(readFileSync(join(pki.dir, "p256.p12"))));
        await page.goto(demoServer.url);
        await page.waitForFunction(() => !document.getElementById("demo-row").hidden);
        for (const [button, form] of [["demo-encrypted", /encrypted PKCS#8 key/], ["demo-full-chain", /full-chain PEM/], ["demo-pkcs12", /PKCS#12 file/]]) {
            await page.click(`#${button}`);
            await page.waitForFunction(() => document.getElementById("demo-status").textContent.startsWith("Loaded"));
            await page.click("#run-all");
            await page.waitForFunction(() => document.querySelectorAll(".step.done, .step.failed").length === 5 || document.querySelector(".step.failed"), null, { timeout: 30000 });
            const text = await page.locator("ol.steps").innerText();
            assert.equal(await page.locator(".step.done").count(), 5, `${button}: ${text}`);
            assert.match(await page.locator("#step-1-output").innerText(), form, button);
            assert.match(text, /AWS4-X509-ECDSA-SHA256/);
            await page.evaluate(() => { document.getElementById("demo-status").textContent = ""; });
        }
    } finally {
        await page.close();
        await demoServer.close();
    }
});
