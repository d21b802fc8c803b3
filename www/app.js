// The browser page that shows the IAM Roles Anywhere sign-in step by step (www/index.html).
// Plain ES module, no dependencies, no build step: served with pkg/ by www/serve.mjs.
//
// What comes from where, all through the package's public entry for browsers (pkg/web.js, which
// `rolesanywhere` and `rolesanywhere/inspect` resolve to):
// - `rolesanywhere/inspect`: `inspectCertificate` (step 1's facts), `prepareCreateSession` (step
//   2's canonical request and string to sign, step 3's public key) and
//   `readCreateSessionResponse` (reading the answer to the very request step 3 shows, as
//   `getCredentials` reads it);
// - `rolesanywhere`: `createSessionRequest` signs with the CryptoKey (step 3), `AwsClient` signs
//   the STS call (step 5);
// - WebCrypto: the PKCS#8 key is imported non-extractable; the signature is checked against the
//   certificate's public key over step 2's string to sign.
// The secret access key and the session token are kept in a variable, never written to the page.
import { AwsClient, createSessionRequest, inspectCertificate, prepareCreateSession, readCreateSessionResponse } from "/pkg/web.js";

const $ = (id) => document.getElementById(id);

// Defaults: the setup guide's ARNs, as the stand-in (`scripts/www`) is configured.
const defaults = {
    trustAnchorArn: "arn:aws:rolesanywhere:us-west-2:123456789012:trust-anchor/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
    profileArn: "arn:aws:rolesanywhere:us-west-2:123456789012:profile/a1b2c3d4-5678-90ab-cdef-EXAMPLE22222",
    roleArn: "arn:aws:iam::123456789012:role/prj-demo-app",
    endpoint: "http://127.0.0.1:8080",
};
const fields = { trustAnchorArn: "trust-anchor-arn", profileArn: "profile-arn", roleArn: "role-arn", endpoint: "endpoint" };

/** What the steps have produced so far; reset when an input changes. */
let state = {};

// ---- small DOM helpers -------------------------------------------------------------------

/** An element with children (strings become text nodes: nothing is parsed as HTML). */
function h(tag, attrs = {}, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    el.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined));
    return el;
}

/** A definition list from [term, value] pairs (value: string or node). */
function facts(pairs) {
    return h("dl", {}, pairs.flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
}

function pre(text, label) {
    return h("pre", { tabindex: "0", "aria-label": label }, text);
}

function code(text) {
    return h("code", {}, text);
}

/** A long value shown shortened, the whole of it in a disclosure. */
function long(text, keep = 48) {
    if (text.length <= keep * 2) return code(text);
    return h("details", {}, h("summary", {}, code(`${text.slice(0, keep)}…`), ` (${text.length} characters)`), h("pre", {}, text));
}

/** `•••• (40 characters, not shown)` */
function redacted(value) {
    return h("span", { class: "redacted" }, `•••••••• (${value.length} characters, not shown)`);
}

function output(step) {
    return $(`step-${step}-output`);
}

function show(step, ...nodes) {
    output(step).replaceChildren(...nodes);
}

function showError(step, error) {
    const codeName = error?.code ?? error?.name ?? "Error";
    show(step, h("div", { class: "error", role: "alert" },
        h("p", {}, h("strong", {}, "Failed: "), code(codeName)),
        h("p", { class: "message" }, String(error?.message ?? error))));
}

/** An `Error` with a `code`, like the package's. */
function fail(codeName, message) {
    const e = new Error(message);
    e.code = codeName;
    return e;
}

// ---- inputs --------------------------------------------------------------------------------

function inputs() {
    const v = (id) => $(id).value.trim();
    const intermediates = v("intermediates");
    return {
        certificate: v("certificate"),
        privateKeyPem: v("private-key"),
        intermediates: intermediates === "" ? undefined : intermediates,
        trustAnchorArn: v("trust-anchor-arn"),
        profileArn: v("profile-arn"),
        roleArn: v("role-arn"),
        endpoint: v("endpoint") === "" ? undefined : v("endpoint"),
    };
}

/** The request options the package takes (without the key). */
function requestOptions(i, date) {
    const { certificate, intermediates, trustAnchorArn, profileArn, roleArn, endpoint } = i;
    return { certificate, intermediates, trustAnchorArn, profileArn, roleArn, endpoint, date };
}

/** The region of an ARN (`arn:aws:rolesanywhere:REGION:…`). */
function regionOf(arn) {
    return arn.split(":")[3] || "us-east-1";
}

// ---- step 1: certificate facts and the non-extractable key -----------------------------------

function importParams(keyType) {
    return keyType === "RSA" ? { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } : { name: "ECDSA", namedCurve: keyType };
}

/** The DER of a PKCS#8 `PRIVATE KEY` PEM block. */
function pkcs8Der(pem) {
    const m = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/.exec(pem);
    if (!m) throw fail("InvalidKey", "no PEM private key found: paste a PKCS#8 key (-----BEGIN PRIVATE KEY-----)");
    if (m[1] === "ENCRYPTED PRIVATE KEY" || /Proc-Type:\s*4,ENCRYPTED/.test(m[2])) {
        throw fail("EncryptedKey", "the private key is encrypted; decrypt it first (openssl pkcs8 -topk8 -nocrypt)");
    }
    if (m[1] !== "PRIVATE KEY") {
        throw fail("InvalidKey", `a ${m[1]} block: WebCrypto imports PKCS#8 only (openssl pkcs8 -topk8 -nocrypt -in the.key)`);
    }
    try {
        return Uint8Array.from(atob(m[2].replace(/\s+/g, "")), (c) => c.charCodeAt(0));
    } catch {
        throw fail("InvalidKey", "the PEM private key is not valid base64");
    }
}

async function step1(i) {
    const cert = await inspectCertificate({ certificate: i.certificate, intermediates: i.intermediates });
    let key;
    try {
        key = await crypto.subtle.importKey("pkcs8", pkcs8Der(i.privateKeyPem), importParams(cert.keyType), false, ["sign"]);
    } catch (e) {
        if (e.code) throw e;
        throw fail("InvalidKey", `WebCrypto could not import the key as ${cert.keyType === "RSA" ? "an RSA" : `an ECDSA ${cert.keyType}`} signing key (the certificate's key type): ${e.message}`);
    }
    const algorithm = key.algorithm.name === "ECDSA" ? `ECDSA ${key.algorithm.namedCurve}` : `${key.algorithm.name} ${key.algorithm.hash.name}`;
    show(1, facts([
        ["Serial number (decimal)", code(cert.serialNumber)],
        ["Serial number (hex): the role session name", code(cert.serialHex)],
        ["Subject CN", cert.subjectCommonName ?? "(none)"],
        ["URI SAN (SPIFFE ID)", cert.uriSans.length ? h("span", {}, cert.uriSans.map((u, n) => [n ? ", " : "", code(u)])) : "(none)"],
        ["Key type", `${cert.keyType} (${cert.keyType === "RSA" ? "AWS4-X509-RSA-SHA256" : "AWS4-X509-ECDSA-SHA256"})`],
        ["Valid until", cert.notAfter.toISOString()],
        ["Intermediates", String(cert.intermediates)],
        ["Private key", h("span", {}, `CryptoKey: ${algorithm}, extractable: `, code(String(key.extractable)), `, usages: ${key.usages.join(", ")}`)],
    ]));
    return { cert, key };
}

// ---- step 2: canonical request and string to sign -------------------------------------------

async function step2(i) {
    const prepared = await prepareCreateSession(requestOptions(i, new Date()));
    show(2,
        facts([["Signing time (X-Amz-Date)", prepared.date.toISOString()]]),
        h("h3", {}, "Canonical request"), pre(prepared.canonicalRequest, "Canonical request"),
        h("h3", {}, "String to sign"), pre(prepared.stringToSign, "String to sign"));
    return prepared;
}

// ---- step 3: signed request -------------------------------------------------------------------

/** DER `Ecdsa-Sig-Value` to WebCrypto's `r‖s` (each half `size` bytes). */
function derToP1363(der, size) {
    const out = new Uint8Array(2 * size);
    let at = der[1] & 0x80 ? 2 + (der[1] & 0x7f) : 2;
    for (let half = 0; half < 2; half++) {
        if (der[at] !== 0x02) throw new Error("not a DER ECDSA signature");
        let int = der.subarray(at + 2, at + 2 + der[at + 1]);
        while (int.length > size && int[0] === 0) int = int.subarray(1);
        out.set(int, half * size + size - int.length);
        at += 2 + der[at + 1];
    }
    return out;
}

function fromHex(hex) {
    return Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));
}

/** Whether the Authorization header's signature verifies over step 2's string to sign. */
async function verifies(authorization, prepared, keyType) {
    const signature = fromHex(/Signature=([0-9a-f]+)/.exec(authorization)?.[1] ?? "");
    const params = importParams(keyType);
    const publicKey = await crypto.subtle.importKey("jwk", prepared.publicKeyJwk, params, false, ["verify"]);
    const message = new TextEncoder().encode(prepared.stringToSign);
    if (keyType === "RSA") return crypto.subtle.verify(params, publicKey, signature, message);
    const size = keyType === "P-256" ? 32 : 48;
    return crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, publicKey, derToP1363(signature, size), message);
}

async function step3(i) {
    const { key, cert } = state.step1;
    const prepared = state.step2;
    // The same inputs and the same date as step 2: the package prepares the same string to sign,
    // signs it with the CryptoKey (checking the key against the certificate once) and finishes
    // the Authorization header in wasm.
    const signed = await createSessionRequest({ ...requestOptions(i, prepared.date), privateKey: key });
    const ok = await verifies(signed.headers.Authorization, prepared, cert.keyType);
    const rows = Object.entries(signed.headers).map(([name, value]) =>
        h("tr", {}, h("th", { scope: "row" }, name), h("td", {}, name === "Authorization" ? h("pre", {}, value.replace(/, /g, ",\n  ")) : long(value))));
    show(3,
        h("p", {}, code(`${signed.method} ${signed.url}`)),
        h("table", {}, h("caption", {}, "Headers"), h("tbody", {}, rows)),
        h("h3", {}, "Body"), pre(signed.body, "Body"),
        h("p", { class: ok ? "ok" : "error" }, ok
            ? "✓ The signature verifies with the certificate's public key over the string to sign of step 2."
            : "✗ The signature does not verify over the string to sign of step 2."));
    return signed;
}

// ---- step 4: send it --------------------------------------------------------------------------

async function step4() {
    const signed = state.step3;
    let response;
    try {
        // `Host` is set by the browser itself (it is the endpoint's host, which was signed).
        response = await fetch(signed.url, { method: signed.method, headers: signed.headers, body: signed.body });
    } catch (e) {
        throw fail("Network", `CreateSession request to ${signed.url} failed: ${e?.message ?? e}`);
    }
    // The package's own reading of the answer (what getCredentials does): credentials, or an
    // Error whose code comes from X-Amzn-ErrorType.
    const credentials = await readCreateSessionResponse(response);
    const minutes = Math.round((credentials.expiration - Date.now()) / 60000);
    show(4, facts([
        ["HTTP status", String(response.status)],
        ["Access key ID", code(credentials.accessKeyId)],
        ["Secret access key", redacted(credentials.secretAccessKey)],
        ["Session token", redacted(credentials.sessionToken)],
        ["Expires", `${credentials.expiration.toISOString()} (in ${minutes} minutes)`],
    ]));
    return credentials;
}

// ---- step 5: STS GetCallerIdentity ------------------------------------------------------------

async function step5(i) {
    const region = regionOf(i.trustAnchorArn);
    const url = i.endpoint ? `${i.endpoint.replace(/\/+$/, "")}/` : `https://sts.${region}.amazonaws.com/`;
    const sts = new AwsClient({ credentials: state.step4, service: "sts", region });
    let response, text;
    try {
        response = await sts.fetch(url, {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: "Action=GetCallerIdentity&Version=2011-06-15",
        });
        text = await response.text();
    } catch (e) {
        if (e?.code) throw e;
        throw fail("Network", `STS request to ${url} failed: ${e?.message ?? e}`);
    }
    const xml = new DOMParser().parseFromString(text, "application/xml");
    const get = (tag) => xml.getElementsByTagName(tag)[0]?.textContent ?? "";
    if (!response.ok) throw fail(get("Code") || `HTTP ${response.status}`, get("Message") || text.slice(0, 300));
    show(5, facts([
        ["Assumed role (Arn)", code(get("Arn"))],
        ["UserId", code(get("UserId"))],
        ["Account", code(get("Account"))],
        ["Signed with", `AwsClient, service sts, region ${region}, ${url}`],
    ]));
    return get("Arn");
}

// ---- wiring -----------------------------------------------------------------------------------

const steps = [step1, step2, step3, step4, step5];

function buttonFor(n) {
    return document.querySelector(`button[data-step="${n}"]`);
}

/** Clears steps from `first` on and enables only the next one to run. */
function resetFrom(first) {
    for (let n = first; n <= steps.length; n++) {
        delete state[`step${n}`];
        output(n).replaceChildren();
        output(n).closest(".step").classList.remove("done", "failed");
    }
    resetButtons();
}

/** Enables step n's button once step n - 1 has succeeded. */
function resetButtons() {
    for (let n = 1; n <= steps.length; n++) buttonFor(n).disabled = n > 1 && !state[`step${n - 1}`];
}

/** Runs step `n`; true when it succeeded. */
async function run(n) {
    resetFrom(n);
    const button = buttonFor(n);
    const section = output(n).closest(".step");
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    show(n, h("p", { class: "busy" }, "Working…"));
    try {
        state[`step${n}`] = await steps[n - 1](inputs());
        section.classList.add("done");
        return true;
    } catch (e) {
        section.classList.add("failed");
        showError(n, e);
        return false;
    } finally {
        button.removeAttribute("aria-busy");
        resetButtons();
    }
}

for (let n = 1; n <= steps.length; n++) buttonFor(n).addEventListener("click", () => run(n));

$("run-all").addEventListener("click", async () => {
    for (let n = 1; n <= steps.length; n++) if (!(await run(n))) break;
});
$("reset").addEventListener("click", () => resetFrom(1));

// Any change to the inputs invalidates what the steps built.
$("inputs").addEventListener("input", () => resetFrom(1));

// File inputs fill their textarea.
for (const file of document.querySelectorAll('input[type="file"]')) {
    file.addEventListener("change", async () => {
        const f = file.files?.[0];
        if (!f) return;
        $(file.dataset.target).value = await f.text();
        file.value = "";
        resetFrom(1);
    });
}

// Defaults, then the demo served by `scripts/www` (its stand-in's endpoint and demo PKI), if any.
for (const [k, id] of Object.entries(fields)) $(id).value = defaults[k];
(async () => {
    let demo;
    try {
        const r = await fetch("/demo.json");
        if (!r.ok) return;
        demo = await r.json();
    } catch {
        return;
    }
    if (typeof demo?.endpoint !== "string") return; // served without --stand-in
    for (const [k, id] of Object.entries(fields)) if (typeof demo[k] === "string") $(id).value = demo[k];
    const load = async (leaf) => {
        const text = async (name) => (await fetch(`/demo/${name}`)).text();
        $("certificate").value = await text(`${leaf}.pem`);
        $("private-key").value = await text(`${leaf}.pkcs8.pem`);
        $("intermediates").value = await text("chain.pem");
        $("demo-status").textContent = `Loaded the demo ${leaf} certificate, key and chain.`;
        resetFrom(1);
    };
    $("demo-p256").addEventListener("click", () => load("p256"));
    $("demo-other").addEventListener("click", () => load("prj-other"));
    $("demo-row").hidden = false;
})();
resetFrom(1);
