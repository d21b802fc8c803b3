// The browser page (www/) in headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core, as browser.test.js does), served by www/serve.mjs, against the stand-in with
// the guide's setup: the p256 leaf walks through all five steps; the prj-other leaf ends in
// AccessDenied in step 4; bad input fails in its step with its code. CHROMIUM=path overrides the
// browser.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { arns, makePki, root, startStandIn } from "../../www/stand-in.mjs";
import { startServer } from "../../www/serve.mjs";

const pki = makePki();
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

/** A fresh page on the server; `problems` collects console errors and page errors (CSP too). */
async function openPage() {
    const page = await browser.newPage();
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
    await page.fill("#trust-anchor-arn", arns.trustAnchorArn);
    await page.fill("#profile-arn", arns.profileArn);
    await page.fill("#role-arn", arns.roleArn);
    await page.fill("#endpoint", standIn.endpoint);
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
