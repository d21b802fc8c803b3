// The browser page that shows the IAM Roles Anywhere sign-in step by step (www/index.html).
// Plain ES module, no dependencies, no build step: served with pkg/ by www/serve.mjs.
//
// What comes from where, all through the package's public entry for browsers (pkg/web.js, which
// `rolesanywhere` and `rolesanywhere/inspect` resolve to):
// - `rolesanywhere/inspect`: `inspectCertificate` (step 1's facts), `prepareCreateSession` (step
//   2's canonical request and string to sign, step 3's public key) and
//   `readCreateSessionResponse` (reading the answer to the very request step 3 shows, as
//   `getCredentials` reads it);
// - `rolesanywhere`: `createSessionRequest` signs (step 3) with the CryptoKey, or with what the
//   package opens and signs itself (an encrypted PKCS#8 key with `pkcs8Password`, a PKCS#12 file
//   with `pkcs12Password`, an ML-DSA key with `signer: "wasm"`), `wasmSigners` says what this
//   build signs in wasm, `AwsClient` signs the STS call (step 5);
// - WebCrypto: a plain PKCS#8 key is imported non-extractable; the signature is checked against
//   the certificate's public key over step 2's string to sign where WebCrypto has the algorithm
//   (ML-DSA is feature-detected, never assumed; without it the page says it did not check).
// The secret access key, the session token and the passwords are kept in variables and form
// fields, never written to the page.
import { AwsClient, createSessionRequest, inspectCertificate, prepareCreateSession, readCreateSessionResponse, wasmSigners } from "/pkg/web.js";

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

/** The PKCS#12 file picked (`{name, bytes}`), or null. */
let pkcs12File = null;

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

/** Which input form is chosen: `"pem"` (certificate and key) or `"pkcs12"` (one file). */
function chosenForm() {
    return document.querySelector('input[name="form"]:checked')?.value ?? "pem";
}

/** Checks the radio button of input form `form` and shows its fields only. */
function setForm(form) {
    for (const radio of document.querySelectorAll('input[name="form"]')) radio.checked = radio.value === form;
    $("pem-inputs").hidden = form !== "pem";
    $("pkcs12-inputs").hidden = form !== "pkcs12";
}

function inputs() {
    const v = (id) => $(id).value.trim();
    const intermediates = v("intermediates");
    // Passwords are taken as typed (not trimmed); an empty field gives none.
    const password = (id) => ($(id).value === "" ? undefined : $(id).value);
    return {
        form: chosenForm(),
        certificate: v("certificate"),
        privateKeyPem: v("private-key"),
        keyPassword: password("key-password"),
        pkcs12: pkcs12File,
        pkcs12Password: password("pkcs12-password"),
        intermediates: intermediates === "" ? undefined : intermediates,
        trustAnchorArn: v("trust-anchor-arn"),
        profileArn: v("profile-arn"),
        roleArn: v("role-arn"),
        endpoint: v("endpoint") === "" ? undefined : v("endpoint"),
    };
}

/** Where the certificate comes from, as the package takes it: the PEM text, or the PKCS#12 file
 * with its password. */
function certificateOptions(i) {
    if (i.form !== "pkcs12") return { certificate: i.certificate, intermediates: i.intermediates };
    if (!i.pkcs12) throw fail("InvalidOptions", "no PKCS#12 file picked (.p12/.pfx)");
    return { pkcs12: i.pkcs12.bytes, pkcs12Password: i.pkcs12Password, intermediates: i.intermediates };
}

/** The request options the package takes (without the key). */
function requestOptions(i, date) {
    const { trustAnchorArn, profileArn, roleArn, endpoint } = i;
    return { ...certificateOptions(i), trustAnchorArn, profileArn, roleArn, endpoint, date };
}

/** The region of an ARN (`arn:aws:rolesanywhere:REGION:…`). */
function regionOf(arn) {
    return arn.split(":")[3] || "us-east-1";
}

// ---- step 1: certificate facts and the key --------------------------------------------------

/** Whether the key type is an ML-DSA set (`ML-DSA-44`, `-65`, `-87`). */
const isMlDsa = (keyType) => keyType.startsWith("ML-DSA-");

/** WebCrypto parameters to import a key of the certificate's key type (ML-DSA as the WebCrypto
 * draft names it). */
function importParams(keyType) {
    if (isMlDsa(keyType)) return { name: keyType };
    return keyType === "RSA" ? { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } : { name: "ECDSA", namedCurve: keyType };
}

const webCryptoSupport = new Map(); // key type -> Promise<boolean>

/**
 * Whether this browser's WebCrypto signs and verifies `keyType`. ECDSA P-256/P-384 and RSA are
 * WebCrypto's own; ML-DSA is a draft no browser is assumed to have, so it is tried (a key pair
 * generated once), as the package tries it.
 */
function webCryptoHas(keyType) {
    if (!isMlDsa(keyType)) return Promise.resolve(true);
    let p = webCryptoSupport.get(keyType);
    if (!p) {
        p = crypto.subtle.generateKey({ name: keyType }, false, ["sign", "verify"]).then(() => true, () => false);
        webCryptoSupport.set(keyType, p);
    }
    return p;
}

/** The first PEM block of `pem`: `{label, body}`. */
function pemBlock(pem) {
    const m = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/.exec(pem);
    if (!m) throw fail("InvalidKey", "no PEM private key found: paste a PKCS#8 key (-----BEGIN PRIVATE KEY-----)");
    return { label: m[1], body: m[2] };
}

/** The DER of a PKCS#8 `PRIVATE KEY` PEM block. */
function pkcs8Der({ label, body }) {
    if (/Proc-Type:\s*4,ENCRYPTED/.test(body)) {
        throw fail("EncryptedKey", "the private key is in OpenSSL's legacy PEM encryption; convert it to an ENCRYPTED PRIVATE KEY (openssl pkcs8 -topk8) or decrypt it");
    }
    if (label !== "PRIVATE KEY") {
        throw fail("InvalidKey", `a ${label} block: WebCrypto imports PKCS#8 only (openssl pkcs8 -topk8 -nocrypt -in the.key)`);
    }
    try {
        return Uint8Array.from(atob(body.replace(/\s+/g, "")), (c) => c.charCodeAt(0));
    } catch {
        throw fail("InvalidKey", "the PEM private key is not valid base64");
    }
}

/** Who signs a key the package opens itself (a decrypted PKCS#8 key, a PKCS#12 file's key), as
 * the package decides: WebCrypto when it imports the key, else the package's in-wasm signer.
 * `{signedBy, text}`. */
async function packageSigner(keyType) {
    const wasm = "the package's in-wasm signer";
    if (!isMlDsa(keyType)) return { signedBy: "WebCrypto", text: "then imported by the package into WebCrypto as a non-extractable CryptoKey, which signs" };
    if (await webCryptoHas(keyType)) {
        return { signedBy: `WebCrypto if it imports the key, else ${wasm}`, text: `then signed by the package: through WebCrypto where it imports the key, else in WebAssembly` };
    }
    if (!(await wasmSigners()).includes(keyType)) {
        return { signedBy: "none", text: `this browser's WebCrypto has no ${keyType} and this build of the package signs none in WebAssembly` };
    }
    return { signedBy: wasm, text: `then signed in WebAssembly by the package's in-wasm signer: this browser's WebCrypto has no ${keyType}` };
}

/**
 * The key as step 3 signs with it: `{form, signing, signedBy, described}`, where `form` names
 * the input form, `signing` holds the options the package takes for it and `signedBy` says who
 * signs.
 */
async function keyFor(i, keyType) {
    if (i.form === "pkcs12") {
        const signer = await packageSigner(keyType);
        return {
            form: "a PKCS#12 file with its password (pkcs12, pkcs12Password)",
            signing: {},
            signedBy: signer.signedBy,
            described: `${keyType} key from the PKCS#12 file ${i.pkcs12.name}, opened in WebAssembly with its password; ${signer.text}`,
        };
    }
    const block = pemBlock(i.privateKeyPem);
    if (block.label === "ENCRYPTED PRIVATE KEY") {
        const signer = await packageSigner(keyType);
        return {
            form: "an encrypted PKCS#8 key with its password (pkcs8Password)",
            signing: { privateKey: i.privateKeyPem, pkcs8Password: i.keyPassword },
            signedBy: signer.signedBy,
            described: `Encrypted PKCS#8 (ENCRYPTED PRIVATE KEY), decrypted in WebAssembly with its password when step 3 signs; ${signer.text}`,
        };
    }
    const der = pkcs8Der(block);
    let key, importError;
    try {
        // ML-DSA is tried only where WebCrypto has it; elsewhere the import fails as for a key of the wrong type.
        if (!(await webCryptoHas(keyType))) throw new Error(`this browser's WebCrypto has no ${keyType}`);
        key = await crypto.subtle.importKey("pkcs8", der, importParams(keyType), false, ["sign"]);
    } catch (e) {
        importError = e;
    }
    // An ML-DSA key WebCrypto does not take goes to the package's in-wasm signer, as the package
    // itself sends it there; a build without that signer fails in step 3 with the package's code.
    if (!key && isMlDsa(keyType)) {
        const inWasm = (await wasmSigners()).includes(keyType);
        return {
            form: `an ${keyType} PKCS#8 key, signed in WebAssembly (signer: "wasm")`,
            signing: inWasm ? { privateKey: i.privateKeyPem, signer: "wasm" } : { privateKey: i.privateKeyPem },
            signedBy: inWasm ? "the package's in-wasm signer" : "none",
            described: inWasm
                ? `PKCS#8 ${keyType} key, signed by the package's in-wasm signer (signer: "wasm"): ${importError.message}, so the key's bytes enter WebAssembly memory`
                : `PKCS#8 ${keyType} key: ${importError.message} and this build of the package signs none in WebAssembly`,
        };
    }
    if (!key) {
        const what = keyType === "RSA" ? "an RSA" : `an ECDSA ${keyType}`;
        throw fail("InvalidKey", `WebCrypto could not import the key as ${what} signing key (the certificate's key type): ${importError.message}`);
    }
    const a = key.algorithm;
    const algorithm = a.name === "ECDSA" ? `ECDSA ${a.namedCurve}` : a.hash ? `${a.name} ${a.hash.name}` : a.name;
    return {
        form: "a PKCS#8 key imported as a non-extractable WebCrypto CryptoKey",
        signing: { privateKey: key },
        signedBy: "WebCrypto",
        described: h("span", {}, `CryptoKey: ${algorithm}, extractable: `, code(String(key.extractable)), `, usages: ${key.usages.join(", ")}`),
    };
}

/** How the certificate was given: PEM, a full-chain PEM (its blocks counted), or the PKCS#12 file. */
function certificateForm(i, cert) {
    if (i.form === "pkcs12") return `from the PKCS#12 file (the leaf and ${cert.intermediates} intermediate${cert.intermediates === 1 ? "" : "s"} in all)`;
    const blocks = (i.certificate.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length;
    if (blocks <= 1) return "a PEM certificate";
    return `a full-chain PEM: the leaf, then ${blocks - 1} intermediate${blocks === 2 ? "" : "s"} (joined with the intermediates field)`;
}

async function step1(i) {
    const cert = await inspectCertificate(certificateOptions(i));
    const key = await keyFor(i, cert.keyType);
    show(1, facts([
        ["Input form", `${certificateForm(i, cert)}; ${key.form}`],
        ["Serial number (decimal)", code(cert.serialNumber)],
        ["Serial number (hex): the role session name", code(cert.serialHex)],
        ["Subject CN", cert.subjectCommonName ?? "(none)"],
        ["URI SAN (SPIFFE ID)", cert.uriSans.length ? h("span", {}, cert.uriSans.map((u, n) => [n ? ", " : "", code(u)])) : "(none)"],
        ["Key type", cert.keyType],
        ["Valid until", cert.notAfter.toISOString()],
        ["Intermediates", String(cert.intermediates)],
        ["Private key", key.described],
    ]));
    return { cert, key };
}

// ---- step 2: canonical request and string to sign -------------------------------------------

async function step2(i) {
    const prepared = await prepareCreateSession(requestOptions(i, new Date()));
    show(2,
        facts([["Algorithm", code(prepared.algorithm)], ["Signing time (X-Amz-Date)", prepared.date.toISOString()]]),
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

/** Whether the Authorization header's signature verifies over step 2's string to sign; null when
 * this browser's WebCrypto cannot verify the key type (ML-DSA without the draft). */
async function verifies(authorization, prepared, keyType) {
    if (!(await webCryptoHas(keyType))) return null;
    const signature = fromHex(/Signature=([0-9a-f]+)/.exec(authorization)?.[1] ?? "");
    const params = importParams(keyType);
    const publicKey = await crypto.subtle.importKey("jwk", prepared.publicKeyJwk, params, false, ["verify"]);
    const message = new TextEncoder().encode(prepared.stringToSign);
    // Pure ML-DSA with the empty context (AWS4-X509-MLDSA); RSA PKCS#1 v1.5 over SHA-256.
    if (isMlDsa(keyType) || keyType === "RSA") return crypto.subtle.verify(params, publicKey, signature, message);
    const size = keyType === "P-256" ? 32 : 48;
    return crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, publicKey, derToP1363(signature, size), message);
}

async function step3(i) {
    const { key, cert } = state.step1;
    const prepared = state.step2;
    // The same inputs and the same date as step 2: the package prepares the same string to sign,
    // signs it (with the CryptoKey, checking it against the certificate once; or opening and
    // signing the key itself) and finishes the Authorization header in wasm.
    const signed = await createSessionRequest({ ...requestOptions(i, prepared.date), ...key.signing });
    const verified = await verifies(signed.headers.Authorization, prepared, cert.keyType);
    const rows = Object.entries(signed.headers).map(([name, value]) =>
        h("tr", {}, h("th", { scope: "row" }, name), h("td", {}, name === "Authorization" ? h("pre", {}, value.replace(/, /g, ",\n  ")) : long(value))));
    show(3,
        h("p", {}, code(`${signed.method} ${signed.url}`)),
        h("table", {}, h("caption", {}, "Headers"), h("tbody", {}, rows)),
        h("h3", {}, "Body"), pre(signed.body, "Body"),
        facts([["Algorithm", code(prepared.algorithm)], ["Signed by", key.signedBy]]),
        verified === null
            ? h("p", { class: "note" }, `Not checked in this page: this browser's WebCrypto has no ${cert.keyType} to verify with. `,
                "Roles Anywhere checks it when step 4 sends it (with scripts/www, the local stand-in, which checks ML-DSA signatures too); step 4 shows its verdict.")
            : h("p", { class: verified ? "ok" : "error" }, verified
                ? "✓ The signature verifies with the certificate's public key over the string to sign of step 2 (WebCrypto, in this page)."
                : "✗ The signature does not verify over the string to sign of step 2."));
    return { signed, verified };
}

// ---- step 4: send it --------------------------------------------------------------------------

async function step4() {
    const { signed, verified } = state.step3;
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
        // The answer is the endpoint's verdict on a signature this page could not check (step 3).
        ...(verified === null ? [["Signature", h("span", { class: "ok" }, `✓ Accepted: the endpoint verified the ${state.step1.cert.keyType} signature before answering ${response.status}`)]] : []),
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

// The input form's radio buttons show its fields only.
for (const radio of document.querySelectorAll('input[name="form"]')) radio.addEventListener("change", () => setForm(chosenForm()));

/** Keeps a picked PKCS#12 file's bytes (the file input is then cleared, its name shown). */
function usePkcs12(name, bytes) {
    pkcs12File = { name, bytes };
    $("pkcs12-status").textContent = `${name} (${bytes.length} bytes) read`;
    resetFrom(1);
}
$("pkcs12-file").addEventListener("change", async () => {
    const f = $("pkcs12-file").files?.[0];
    if (!f) return;
    usePkcs12(f.name, new Uint8Array(await f.arrayBuffer()));
    $("pkcs12-file").value = "";
});

// File inputs fill their textarea.
for (const file of document.querySelectorAll('input[type="file"][data-target]')) {
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
    const text = async (name) => (await fetch(`/demo/${name}`)).text();
    /** Fills the PEM fields: the certificate file, the key file and its password, and chain.pem
     * as the intermediates unless the certificate file is a full chain. */
    const load = async (certFile, keyFile, { password = "", fullChain = false } = {}) => {
        setForm("pem");
        $("certificate").value = await text(certFile);
        $("private-key").value = await text(keyFile);
        $("key-password").value = password;
        $("intermediates").value = fullChain ? "" : await text("chain.pem");
        $("demo-status").textContent = `Loaded the demo ${certFile}${fullChain ? " (the leaf, then its chain)" : " and chain.pem"}, ${keyFile}${password ? ` and its password ${password}` : ""}.`;
        resetFrom(1);
    };
    $("demo-p256").addEventListener("click", () => load("p256.pem", "p256.pkcs8.pem"));
    $("demo-other").addEventListener("click", () => load("prj-other.pem", "prj-other.pkcs8.pem"));
    $("demo-encrypted").addEventListener("click", () => load("p256.pem", "p256.pkcs8-encrypted.pem", { password: "test" }));
    $("demo-full-chain").addEventListener("click", () => load("p256-fullchain.pem", "p256.pkcs8.pem", { fullChain: true }));
    $("demo-pkcs12").addEventListener("click", async () => {
        setForm("pkcs12");
        $("pkcs12-password").value = "test";
        $("intermediates").value = "";
        usePkcs12("p256.p12", new Uint8Array(await (await fetch("/demo/p256.p12")).arrayBuffer()));
        $("demo-status").textContent = "Loaded the demo PKCS#12 file p256.p12 (certificate, key and chain) and its password test.";
    });
    $("demo-row").hidden = false;
})();
setForm(chosenForm());
resetFrom(1);
