// The JS suite, run unchanged in Node, Deno, workerd and Chromium. It imports nothing: each
// runner hands it the package's API (loaded the runtime's own way) and the fixture that
// tests/js/fixture.mjs made from the native CLI. Returns [{name, fn}]; a test fails by throwing.

class AssertionError extends Error {}

function ok(cond, message) {
    if (!cond) throw new AssertionError(message);
}

function equal(actual, expected, what) {
    if (actual !== expected) {
        throw new AssertionError(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
    }
}

async function rejectsWithCode(promiseOrFn, codes, what) {
    let error;
    try {
        await (typeof promiseOrFn === "function" ? promiseOrFn() : promiseOrFn);
    } catch (e) {
        error = e;
    }
    ok(error !== undefined, `${what}: expected a rejection, got success`);
    ok(error instanceof Error, `${what}: rejected with a non-Error: ${String(error)}`);
    ok(!(error instanceof WebAssembly.RuntimeError), `${what}: wasm trap: ${error.message}`);
    codes = [].concat(codes);
    ok(typeof error.code === "string" && codes.includes(error.code),
        `${what}: expected code ${codes.join("|")}, got ${JSON.stringify(error.code)} (${error.message})`);
    ok(typeof error.message === "string" && error.message.length > 0, `${what}: empty message`);
    return error;
}

const fromBase64 = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
const fromHex = (hex) => Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

function pemBody(pem) {
    return fromBase64(pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""));
}

/** DER Ecdsa-Sig-Value to IEEE P1363 r||s of `size` bytes each. */
function derToP1363(der, size) {
    let i = 2;
    if (der[1] & 0x80) i += der[1] & 0x7f;
    const out = new Uint8Array(size * 2);
    for (let k = 0; k < 2; k++) {
        equal(der[i], 0x02, "DER INTEGER tag");
        const len = der[i + 1];
        let v = der.subarray(i + 2, i + 2 + len);
        while (v.length > size && v[0] === 0) v = v.subarray(1);
        out.set(v, k * size + size - v.length);
        i += 2 + len;
    }
    return out;
}

function params(keyType) {
    return keyType === "RSA"
        ? { import: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, sign: { name: "RSASSA-PKCS1-v1_5" } }
        : { import: { name: "ECDSA", namedCurve: keyType }, sign: { name: "ECDSA", hash: "SHA-256" } };
}

/** Every byte equals the CLI's except the signature, which must verify over the string to sign. */
async function checkWebCryptoSigned(actual, c) {
    const exp = c.expected;
    equal(actual.method, exp.method, "method");
    equal(actual.url, exp.url, "url");
    equal(actual.body, exp.body, "body");
    equal(JSON.stringify(Object.keys(actual.headers)), JSON.stringify(Object.keys(exp.headers)), "header names and order");
    for (const [name, value] of Object.entries(exp.headers)) {
        if (name !== "Authorization") equal(actual.headers[name], value, `header ${name}`);
    }
    const [head, sigHex] = actual.headers.Authorization.split("Signature=");
    equal(head, exp.headers.Authorization.split("Signature=")[0], "Authorization up to the signature");
    const p = params(c.keyType);
    const publicKey = await crypto.subtle.importKey("jwk", c.publicJwk, p.import, false, ["verify"]);
    let sig = fromHex(sigHex);
    if (c.keyType !== "RSA") sig = derToP1363(sig, c.keyType === "P-256" ? 32 : 48);
    const verified = await crypto.subtle.verify(p.sign, publicKey, sig, new TextEncoder().encode(c.stringToSign));
    ok(verified, "signature verifies with the certificate's public key over the CLI's string to sign");
}

/**
 * The suite runs against every build of the package (`host`: no signer in wasm, `p256`, `full`):
 * where the build has no in-wasm signer for a key, the test asserts the `UnsupportedSigner`
 * rejection instead of the signature.
 *
 * @param {{createSessionRequest: Function, getCredentials: Function, wasmSigners: Function}} api
 * @param {object} fixture tests/js/fixture.mjs output
 * @param {{encode: Function, decode: Function, OTHER: object}} wire the package's pkg/wire.js
 */
export function suite(api, fixture, wire) {
    const tests = [];
    const test = (name, fn) => tests.push({ name, fn });

    // ---- the encoding between JS and wasm: the vectors src/wasm/wire.rs checks too ----
    test("wire: every vector encodes to its bytes and decodes back (tests/vectors/wire.json)", () => {
        const { vectors } = fixture.wire;
        ok(vectors.length >= 8, "the vectors are in the fixture");
        const value = (v) => (v === null ? undefined : typeof v !== "object" ? v : "bytes" in v ? fromHex(v.bytes) : wire.OTHER);
        const shown = (v) => (v instanceof Uint8Array ? `bytes ${toHex(v)}` : v === wire.OTHER ? "other" : JSON.stringify(v) ?? "absent");
        for (const c of vectors) {
            const values = c.values.map(value);
            equal(toHex(wire.encode(values)), c.hex, `${c.name}: encode`);
            equal(wire.decode(fromHex(c.hex)).map(shown).join(", "), values.map(shown).join(", "), `${c.name}: decode`);
        }
        // What the runtimes hand over as bytes and as other values.
        equal(toHex(wire.encode([new Uint8Array([1, 2]).buffer, () => 1, 1n, Symbol("s")])), "0400000005020000000606060102", "ArrayBuffer, function, bigint, symbol");
    });
    test("wire: every malformed message is refused with Internal (tests/vectors/wire.json)", async () => {
        const { malformed } = fixture.wire;
        ok(malformed.length >= 8, "the malformed vectors are in the fixture");
        for (const c of malformed) await rejectsWithCode(() => wire.decode(fromHex(c.hex)), "Internal", c.name);
    });
    const base = (c, extra = {}) => ({ ...c.options, date: fixture.dateMs, ...extra });
    const p256 = fixture.cases.find((c) => c.name === "p256-pkcs8");
    let signers = null;
    /** Whether this build signs `keyType` keys in wasm. */
    const inWasm = async (keyType) => (await (signers ??= api.wasmSigners())).includes(keyType);
    const isPkcs8 = (c) => c.options.privateKey.includes("BEGIN PRIVATE KEY");

    test("wasmSigners lists known key types", async () => {
        const list = await api.wasmSigners();
        const known = ["P-256", "P-384", "RSA", "ML-DSA-44", "ML-DSA-65", "ML-DSA-87"];
        ok(Array.isArray(list) && list.every((t) => known.includes(t)), JSON.stringify(list));
    });
    for (const c of fixture.cases) {
        test(`signer "wasm" is byte-identical to the CLI (or UnsupportedSigner): ${c.name}`, async () => {
            const options = base(c, { signer: "wasm" });
            if (!(await inWasm(c.keyType))) {
                return void await rejectsWithCode(() => api.createSessionRequest(options), "UnsupportedSigner", c.name);
            }
            const actual = await api.createSessionRequest(options);
            equal(JSON.stringify(actual), JSON.stringify(c.expected), "request");
            // Second call: the key and certificate parsed once and kept.
            const again = await api.createSessionRequest(base(c, { signer: "wasm" }));
            equal(JSON.stringify(again), JSON.stringify(c.expected), "request, second call");
        });
        test(`default (WebCrypto) signing verifies, rest equals the CLI: ${c.name}`, async () => {
            // WebCrypto imports PKCS#8 only; other key formats need the in-wasm signer.
            if (!isPkcs8(c) && !(await inWasm(c.keyType))) {
                return void await rejectsWithCode(api.createSessionRequest(base(c)), "UnsupportedSigner", c.name);
            }
            await checkWebCryptoSigned(await api.createSessionRequest(base(c)), c);
            // Second call: the cached CryptoKey.
            await checkWebCryptoSigned(await api.createSessionRequest(base(c)), c);
        });
        if (c.options.privateKey.includes("BEGIN PRIVATE KEY")) {
            test(`non-extractable CryptoKey signing verifies, rest equals the CLI: ${c.name}`, async () => {
                const key = await crypto.subtle.importKey("pkcs8", pemBody(c.options.privateKey),
                    params(c.keyType).import, false, ["sign"]);
                await checkWebCryptoSigned(await api.createSessionRequest(base(c, { privateKey: key })), c);
            });
        }
    }

    test("a request after one at another date and with other options is still the CLI's (only X-Amz-Date and Authorization change)", async () => {
        // The next day, so that the credential scope's date changes too.
        const later = fixture.dateMs + 86_400_000 + 1000;
        const laterAmzDate = new Date(later).toISOString().replace(/[-:]|\.\d+/g, "");
        let checked = 0;
        for (const c of fixture.cases) {
            const cryptoKey = isPkcs8(c)
                ? await crypto.subtle.importKey("pkcs8", pemBody(c.options.privateKey), params(c.keyType).import, false, ["sign"])
                : null;
            const modes = [];
            if (await inWasm(c.keyType)) modes.push({ signer: "wasm" });
            if (cryptoKey) modes.push({ privateKey: cryptoKey });
            for (const mode of modes) {
                const what = `${c.name}, ${mode.signer ?? "CryptoKey"}`;
                // Other options first, then these options twice at the later date, then at the fixture's.
                await api.createSessionRequest(base(c, { ...mode, durationSeconds: 901 }));
                for (let i = 0; i < 2; i++) {
                    const earlier = await api.createSessionRequest(base(c, { ...mode, date: later }));
                    equal(earlier.headers["X-Amz-Date"], laterAmzDate, `${what}: X-Amz-Date at the later date`);
                    ok(earlier.headers.Authorization.includes(`/${laterAmzDate.slice(0, 8)}/`), `${what}: scope at the later date`);
                    equal(JSON.stringify(Object.keys(earlier.headers)), JSON.stringify(Object.keys(c.expected.headers)), `${what}: header order`);
                    // What the caller does with its object stays out of the next requests.
                    earlier.headers.Host = "changed.example";
                    earlier.headers["X-Amz-X509"] = "changed";
                    earlier.url = "https://changed.example/";
                }
                for (let i = 0; i < 2; i++) {
                    const actual = await api.createSessionRequest(base(c, mode));
                    if (mode.signer === "wasm") equal(JSON.stringify(actual), JSON.stringify(c.expected), what);
                    else await checkWebCryptoSigned(actual, c);
                }
                checked++;
            }
        }
        ok(checked > 0, "some case has a signer");
    });
    test("a full-chain certificate (leaf, then intermediates) signs as leaf + intermediates; duplicates dropped", async () => {
        let checked = 0;
        for (const c of fixture.cases.filter((c) => typeof c.options.intermediates === "string")) {
            const fullChain = `${c.options.certificate.trimEnd()}\n${c.options.intermediates}`;
            for (const intermediates of [undefined, c.options.intermediates, [c.options.certificate, c.options.intermediates]]) {
                const options = { ...base(c), certificate: fullChain, intermediates };
                if (await inWasm(c.keyType)) {
                    const actual = await api.createSessionRequest({ ...options, signer: "wasm" });
                    equal(JSON.stringify(actual), JSON.stringify(c.expected), `${c.name}: request`);
                } else if (isPkcs8(c)) {
                    await checkWebCryptoSigned(await api.createSessionRequest(options), c);
                } else {
                    continue;
                }
                checked++;
            }
        }
        ok(checked > 0, "some case has intermediates and a signer");
    });
    test("pkcs8Password: encrypted PKCS#8 (each PBES2 PRF and cipher, scrypt, DER) signs as the plain key", async () => {
        const p384 = fixture.cases.find((c) => c.name === "p384-pkcs8");
        const { p256: pems, p384Der, pbes1 } = fixture.encryptedKeys;
        const keys = [...pems.map(({ name, pem }) => [name, p256, pem]), ["p384 DER", p384, fromBase64(p384Der)]];
        // The full build (the one with the RSA signer) carries encrypted-keys (scripts/build-wasm).
        const carried = await inWasm("RSA");
        for (const [name, c, privateKey] of keys) {
            // (Without a password a DER key goes to the in-wasm signer, which a smaller build may lack.)
            if (typeof privateKey === "string" || carried) {
                await rejectsWithCode(api.createSessionRequest(base(c, { privateKey })), "EncryptedKey", `${name}: no password`);
            }
            if (!carried) {
                const e = await rejectsWithCode(api.createSessionRequest(base(c, { privateKey, pkcs8Password: "test" })), "EncryptedKey", name);
                ok(/not enabled in this build/.test(e.message), e.message);
                continue;
            }
            const wrong = await rejectsWithCode(api.createSessionRequest(base(c, { privateKey, pkcs8Password: "tset" })), "WrongPassword", name);
            ok(!wrong.message.includes("tset"), `no password in the message: ${wrong.message}`);
            const actual = await api.createSessionRequest(base(c, { privateKey, pkcs8Password: "test", signer: "wasm" }));
            equal(JSON.stringify(actual), JSON.stringify(c.expected), `${name}: signer wasm`);
            await checkWebCryptoSigned(await api.createSessionRequest(base(c, { privateKey, pkcs8Password: new TextEncoder().encode("test") })), c);
        }
        if (carried) await rejectsWithCode(api.createSessionRequest(base(p256, { privateKey: pbes1, pkcs8Password: "test" })), "InvalidKey", "PBES1");
        // A key that is not encrypted is used as it is, whatever the password.
        if (await inWasm("P-256")) {
            equal(JSON.stringify(await api.createSessionRequest(base(p256, { pkcs8Password: "any", signer: "wasm" }))), JSON.stringify(p256.expected), "plain key");
        }
        await rejectsWithCode(api.createSessionRequest(base(p256, { privateKey: pems[0].pem, pkcs8Password: 5 })), "InvalidOptions", "password type");
    });
    test("pkcs12: a .p12 (AES-256, SHA-256 MAC; unencrypted bags) signs as the CLI's --certificate FILE.p12", async () => {
        const { cases, legacy, noKey } = fixture.pkcs12;
        // The full build (the one with the RSA signer) carries pkcs12 (scripts/build-wasm).
        const carried = await inWasm("RSA");
        for (const c of cases) {
            const options = (extra = {}) => ({ ...base(c), pkcs12: fromBase64(c.pkcs12), pkcs12Password: "test", ...extra });
            if (!carried) {
                const e = await rejectsWithCode(api.createSessionRequest(options()), "InvalidPkcs12", c.name);
                ok(/not enabled in this build/.test(e.message), e.message);
                continue;
            }
            equal(JSON.stringify(await api.createSessionRequest(options({ signer: "wasm" }))), JSON.stringify(c.expected), `${c.name}: signer wasm`);
            // The default path: the key imported into WebCrypto as a PKCS#8 key would be.
            await checkWebCryptoSigned(await api.createSessionRequest(options()), c);
            // An ArrayBuffer and a password as bytes.
            const buffer = fromBase64(c.pkcs12).buffer;
            const bytesPassword = new TextEncoder().encode("test");
            equal(JSON.stringify(await api.createSessionRequest(options({ pkcs12: buffer, pkcs12Password: bytesPassword, signer: "wasm" }))),
                JSON.stringify(c.expected), `${c.name}: ArrayBuffer`);
            const wrong = await rejectsWithCode(api.createSessionRequest(options({ pkcs12Password: "tset" })), "WrongPassword", `${c.name}: wrong password`);
            ok(!wrong.message.includes("tset"), `no password in the message: ${wrong.message}`);
            await rejectsWithCode(api.createSessionRequest(options({ pkcs12Password: undefined })), "EncryptedKey", `${c.name}: no password`);
        }
        if (carried) {
            for (const l of legacy) {
                const e = await rejectsWithCode(api.createSessionRequest({ ...base(p256), certificate: undefined, privateKey: undefined,
                    pkcs12: fromBase64(l.pkcs12), pkcs12Password: "test" }), "InvalidPkcs12", l.name);
                ok(/legacy/.test(e.message), e.message);
            }
            await rejectsWithCode(api.createSessionRequest({ ...base(p256), certificate: undefined, privateKey: undefined,
                pkcs12: fromBase64(noKey), pkcs12Password: "test" }), "InvalidPkcs12", "no key");
        }
        // Options that contradict the file, checked before it is read.
        const p12 = fromBase64(cases[0].pkcs12);
        const without = { ...base(p256), certificate: undefined, privateKey: undefined };
        await rejectsWithCode(api.createSessionRequest({ ...base(p256), pkcs12: p12, pkcs12Password: "test" }), "InvalidOptions", "with certificate and key");
        await rejectsWithCode(api.createSessionRequest({ ...without, pkcs12: p12, pkcs12Password: "test", pkcs8Password: "test" }), "InvalidOptions", "with pkcs8Password");
        await rejectsWithCode(api.createSessionRequest({ ...without, pkcs12: p12, pkcs12Password: 5 }), "InvalidOptions", "password type");
        await rejectsWithCode(api.createSessionRequest({ ...without, pkcs12: "not bytes", pkcs12Password: "test" }), "InvalidOptions", "pkcs12 type");
        await rejectsWithCode(api.createSessionRequest(base(p256, { pkcs12Password: "test" })), "InvalidOptions", "password without pkcs12");
    });
    test("pkcs12: getCredentials signs in with a .p12 (injected fetch sees the CLI's request)", async () => {
        const c = fixture.pkcs12.cases[0];
        const options = { ...base(c), pkcs12: fromBase64(c.pkcs12), pkcs12Password: "test", signer: "wasm" };
        if (!(await inWasm("RSA"))) return void await rejectsWithCode(api.getCredentials(options), "InvalidPkcs12", "not in this build");
        let seen = null;
        const creds = await api.getCredentials({ ...options, fetch: async (url, init) => {
            seen = { method: init.method, url, headers: init.headers, body: init.body };
            return new Response(JSON.stringify({ credentialSet: [{ credentials: { accessKeyId: "ASIAEXAMPLE", secretAccessKey: "secret",
                sessionToken: "token", expiration: "2026-03-01T13:34:56Z" } }] }), { status: 201 });
        } });
        equal(creds.accessKeyId, "ASIAEXAMPLE", "accessKeyId");
        equal(JSON.stringify(seen), JSON.stringify(c.expected), "the request sent");
    });

    // ---- ML-DSA: no runtime here is assumed to have it in WebCrypto; the in-wasm signer is the
    // core's, whose deterministic signature must equal the CLI's byte for byte.
    /** Whether this runtime's WebCrypto imports an ML-DSA PKCS#8 key (the package's own check). */
    const webCryptoHas = async (c) => {
        try {
            await crypto.subtle.importKey("pkcs8", pemBody(c.options.privateKey), { name: c.keyType }, false, ["sign"]);
            return true;
        } catch {
            return false;
        }
    };
    test("ML-DSA-44/65/87: signed in wasm (full build) byte-identical to the CLI, else UnsupportedSigner", async () => {
        // (tests/js/fixture.mjs makes the cases with python3 + dilithium-py; without them it says so.)
        ok(fixture.mlDsa.length === 3, `the fixture has the three ML-DSA cases (got ${fixture.mlDsa.length}; see the fixture's output)`);
        for (const c of fixture.mlDsa) {
            const options = base(c);
            if (!(await inWasm(c.keyType))) {
                await rejectsWithCode(api.createSessionRequest({ ...options, signer: "wasm" }), "UnsupportedSigner", `${c.name}: wasm`);
                if (!(await webCryptoHas(c))) await rejectsWithCode(api.createSessionRequest(options), "UnsupportedSigner", `${c.name}: default`);
                continue;
            }
            equal(JSON.stringify(await api.createSessionRequest({ ...options, signer: "wasm" })), JSON.stringify(c.expected), `${c.name}: signer wasm`);
            ok(c.expected.headers.Authorization.startsWith("AWS4-X509-MLDSA "), c.expected.headers.Authorization);
            const auto = await api.createSessionRequest(options);
            if (await webCryptoHas(c)) {
                // WebCrypto's ML-DSA may be hedged (randomised): the rest must equal the CLI's.
                equal(auto.body, c.expected.body, `${c.name}: body`);
                equal(auto.headers.Authorization.split("Signature=")[0], c.expected.headers.Authorization.split("Signature=")[0], `${c.name}: Authorization`);
            } else {
                equal(JSON.stringify(auto), JSON.stringify(c.expected), `${c.name}: default signer (wasm, WebCrypto has no ${c.keyType})`);
                await rejectsWithCode(api.createSessionRequest({ ...options, signer: "webcrypto" }), "UnsupportedSigner", `${c.name}: signer webcrypto`);
            }
        }
        // A key of another set than the certificate's.
        const [c44, c65] = fixture.mlDsa;
        if (await inWasm("ML-DSA-65")) {
            await rejectsWithCode(api.createSessionRequest(base(c65, { privateKey: c44.options.privateKey, signer: "wasm" })),
                "KeyMismatch", "ML-DSA-44 key, ML-DSA-65 certificate");
        }
    });
    test("DER certificate and key bytes, Date object: same bytes as the CLI", async () => {
        // fixture.p256KeyDer is SEC1 DER, which WebCrypto cannot import: the in-wasm signer's.
        const der = { certificate: fromBase64(fixture.p256CertDer), date: new Date(fixture.dateMs) };
        const privateKey = fromBase64(fixture.p256KeyDer);
        if (await inWasm("P-256")) {
            const actual = await api.createSessionRequest(base(p256, { ...der, privateKey, signer: "wasm" }));
            equal(JSON.stringify(actual), JSON.stringify(p256.expected), "request");
            await checkWebCryptoSigned(await api.createSessionRequest(base(p256, { ...der, privateKey })), p256);
        } else {
            for (const signer of ["wasm", undefined]) {
                await rejectsWithCode(() => api.createSessionRequest(base(p256, { ...der, privateKey, signer })),
                    "UnsupportedSigner", `signer ${signer}`);
            }
            const key = await crypto.subtle.importKey("pkcs8", pemBody(p256.options.privateKey),
                params("P-256").import, false, ["sign"]);
            await checkWebCryptoSigned(await api.createSessionRequest(base(p256, { ...der, privateKey: key })), p256);
        }
    });

    test("options changed between requests with the same certificate: each request has its own options", async () => {
        // The package keeps what it built from the last options (the core's RequestTemplate);
        // a change of any option must reach the next request, and the old options come back as
        // they were.
        const arns = JSON.parse(p256.expected.body);
        const region = arns.trustAnchorArn.split(":")[3];
        const changes = [
            { durationSeconds: 3600, roleSessionName: "session-1" },
            { endpoint: "http://127.0.0.1:8080/base/", region },
            { fips: true },
        ];
        for (const change of changes) {
            await checkWebCryptoSigned(await api.createSessionRequest(base(p256)), p256);
            const changed = await api.createSessionRequest(base(p256, change));
            const body = JSON.parse(changed.body);
            equal(body.durationSeconds, change.durationSeconds, "durationSeconds in the body");
            equal(body.roleSessionName, change.roleSessionName, "roleSessionName in the body");
            const url = change.endpoint ? "http://127.0.0.1:8080/base/sessions"
                : change.fips ? p256.expected.url.replace("rolesanywhere.", "rolesanywhere-fips.") : p256.expected.url;
            equal(changed.url, url, "url");
            equal(changed.headers.Host, new URL(url).host, "Host");
        }
        await checkWebCryptoSigned(await api.createSessionRequest(base(p256)), p256);
    });

    // ---- bad input: an Error with a code, never a trap or a string ----
    const bad = (name, make, codes) => test(`bad input rejects with a code: ${name}`, async () =>
        rejectsWithCode(() => api.createSessionRequest(make()), typeof codes === "function" ? await codes() : codes, name));
    // What an in-wasm P-256 signing error becomes in a build without that signer.
    const p256Wasm = (code) => async () => (await inWasm("P-256")) ? code : "UnsupportedSigner";
    bad("options not an object", () => "nope", "InvalidOptions");
    bad("options null", () => null, "InvalidOptions");
    bad("certificate is a number", () => base(p256, { certificate: 42 }), "InvalidOptions");
    bad("privateKey is a number", () => base(p256, { privateKey: 42 }), "InvalidOptions");
    bad("privateKey missing", () => base(p256, { privateKey: undefined }), "InvalidOptions");
    bad("date is a string", () => base(p256, { date: "yesterday" }), "InvalidOptions");
    bad("date is an invalid Date", () => base(p256, { date: new Date(NaN) }), "InvalidOptions");
    bad("durationSeconds is a string", () => base(p256, { durationSeconds: "900" }), "InvalidOptions");
    bad("roleArn missing", () => base(p256, { roleArn: undefined }), ["InvalidOptions", "InvalidRequest"]);
    bad("trustAnchorArn missing", () => base(p256, { trustAnchorArn: undefined }), ["InvalidOptions", "InvalidRequest"]);
    bad("profileArn is not an ARN", () => base(p256, { profileArn: "profile/123" }), "InvalidRequest");
    bad("durationSeconds out of range", () => base(p256, { durationSeconds: 60 }), "InvalidRequest");
    bad("garbage certificate PEM", () => base(p256, { certificate: fixture.garbageCert }), "InvalidCertificate");
    bad("garbage certificate bytes", () => base(p256, { certificate: new Uint8Array([1, 2, 3]) }), "InvalidCertificate");
    bad("certificate expired at the date", () => base(p256, { date: Date.UTC(2040, 0, 1) }), "InvalidCertificate");
    bad("garbage key PEM", () => base(p256, { privateKey: "-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----\n" }), "InvalidKey");
    bad("garbage key PEM, signer wasm", () => base(p256, { signer: "wasm", privateKey: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" }), p256Wasm("InvalidKey"));
    bad("not a PEM key at all", () => base(p256, { privateKey: "hello" }), "InvalidKey");
    bad("mismatched key (default path)", () => base(p256, { privateKey: fixture.otherKey }), "KeyMismatch");
    bad("mismatched key, signer wasm", () => base(p256, { privateKey: fixture.otherKey, signer: "wasm" }), p256Wasm("KeyMismatch"));
    bad("unknown signer", () => base(p256, { signer: "hsm" }), "InvalidOptions");
    // The one-time check of a PEM or DER key: the core's, from the public key the key carries,
    // or a WebCrypto verify of the first signature when it carries none (`nopub`).
    const caseOf = (k) => fixture.cases.find((c) => c.name === k.case);
    for (const k of fixture.keyCheck.mismatched) {
        for (const signer of [undefined, "webcrypto"]) {
            bad(`mismatched key ${k.file}, ${k.case}, signer ${signer}`, () => base(caseOf(k), { privateKey: k.privateKey, signer }), "KeyMismatch");
        }
        bad(`mismatched key ${k.file} as DER bytes, ${k.case}`, () => base(caseOf(k), { privateKey: pemBody(k.privateKey) }), "KeyMismatch");
    }
    test("a key without its public key, or with it compressed, signs for its certificate", async () => {
        for (const k of fixture.keyCheck.matching) {
            for (const privateKey of [k.privateKey, pemBody(k.privateKey)]) {
                for (const signer of [undefined, "webcrypto"]) {
                    await checkWebCryptoSigned(await api.createSessionRequest(base(caseOf(k), { privateKey, signer })), caseOf(k));
                }
            }
        }
    });
    test("the key check imports the certificate's key into WebCrypto only for a key without a public key", async () => {
        const subtle = crypto.subtle;
        const importKey = subtle.importKey;
        const own = Object.getOwnPropertyDescriptor(subtle, "importKey");
        let jwkImports = 0;
        subtle.importKey = function (format, ...rest) {
            if (format === "jwk") jwkImports++;
            return importKey.call(this, format, ...rest);
        };
        try {
            ok(subtle.importKey !== importKey, "crypto.subtle.importKey can be wrapped to count its calls");
            let fresh = 0;
            /** The JWK imports of one signed request with a PEM text not seen before (trailing
             * newlines): a new CryptoKey, checked anew. */
            const imports = async (c, privateKey) => {
                const before = jwkImports;
                const options = base(c, { privateKey: `${privateKey}${"\n".repeat(++fresh)}`, signer: "webcrypto" });
                const request = await api.createSessionRequest(options);
                const count = jwkImports - before;
                await checkWebCryptoSigned(request, c);
                return count;
            };
            for (const c of fixture.cases.filter(isPkcs8)) equal(await imports(c, c.options.privateKey), 0, `${c.name}: JWK imports`);
            const [nopub] = fixture.keyCheck.matching;
            equal(await imports(caseOf(nopub), nopub.privateKey), 1, `${nopub.file}: JWK imports`);
            await rejectsWithCode(api.createSessionRequest(base(p256, { privateKey: `${fixture.otherKey}\n\n\n`, signer: "webcrypto" })), "KeyMismatch", "other key");
        } finally {
            if (own) Object.defineProperty(subtle, "importKey", own);
            else delete subtle.importKey;
        }
    });
    test("a key checked for one certificate is checked again for another with the same serial number", async () => {
        const cryptoKey = await crypto.subtle.importKey("pkcs8", pemBody(fixture.otherKey),
            { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
        // `fixture.otherKey` with "\n" appended: a PEM text (and so a CryptoKey) no other test uses.
        for (const privateKey of [cryptoKey, `${fixture.otherKey}\n`]) {
            const own = base(p256, { certificate: fixture.sameSerialCert, privateKey, intermediates: undefined });
            ok((await api.createSessionRequest(own)).headers.Authorization, "signed for the key's own certificate");
            await rejectsWithCode(api.createSessionRequest(base(p256, { privateKey })), "KeyMismatch", "p256.pem, same serial");
        }
    });
    test("bad input rejects with a code: mismatched CryptoKey", async () => {
        const key = await crypto.subtle.importKey("pkcs8", pemBody(fixture.otherKey),
            { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
        await rejectsWithCode(api.createSessionRequest(base(p256, { privateKey: key })), "KeyMismatch", "other key");
    });
    test("bad input rejects with a code: CryptoKey of the wrong curve", async () => {
        const p384 = fixture.cases.find((c) => c.name === "p384-pkcs8");
        const key = await crypto.subtle.importKey("pkcs8", pemBody(p384.options.privateKey),
            { name: "ECDSA", namedCurve: "P-384" }, false, ["sign"]);
        await rejectsWithCode(api.createSessionRequest(base(p256, { privateKey: key })), "KeyMismatch", "P-384 key");
    });
    test("still works after all the errors (no poisoned wasm state)", async () => {
        if (await inWasm("P-256")) {
            const actual = await api.createSessionRequest(base(p256, { signer: "wasm" }));
            equal(JSON.stringify(actual), JSON.stringify(p256.expected), "request");
        }
        await checkWebCryptoSigned(await api.createSessionRequest(base(p256)), p256);
    });

    // ---- getCredentials with an injected fetch (no network) ----
    const answer = (status, body, headers = {}) => async (url, init) => {
        equal(url, p256.expected.url, "fetched URL");
        equal(init.method, "POST", "method");
        equal(init.body, p256.expected.body, "body");
        return new Response(typeof body === "string" ? body : JSON.stringify(body), {
            status, headers: { "content-type": "application/json", ...headers },
        });
    };
    test("getCredentials: parses the credentials", async () => {
        const creds = await api.getCredentials(base(p256, {
            fetch: answer(201, { credentialSet: [{ credentials: {
                accessKeyId: "ASIAEXAMPLE", secretAccessKey: "secret", sessionToken: "token",
                expiration: "2026-03-01T13:34:56Z",
            } }] }),
        }));
        equal(creds.accessKeyId, "ASIAEXAMPLE", "accessKeyId");
        equal(creds.secretAccessKey, "secret", "secretAccessKey");
        equal(creds.sessionToken, "token", "sessionToken");
        ok(creds.expiration instanceof Date, "expiration is a Date");
        equal(creds.expiration.toISOString(), "2026-03-01T13:34:56.000Z", "expiration");
    });
    const awsError = (name, status, type, code) => test(`getCredentials: ${name} -> ${code}`, async () => {
        const e = await rejectsWithCode(api.getCredentials(base(p256, {
            fetch: answer(status, { message: "nope: " + name }, type ? { "x-amzn-errortype": type } : {}),
        })), code, name);
        ok(e.message.includes("nope: " + name), `AWS message kept: ${e.message}`);
    });
    awsError("access denied", 403, "AccessDeniedException:http://internal", "AccessDenied");
    awsError("validation", 400, "ValidationException", "Validation");
    awsError("not found", 404, "ResourceNotFoundException", "NotFound");
    awsError("throttled", 429, undefined, "Throttled");
    awsError("server", 503, undefined, "Server");
    test("getCredentials: fetch failure -> Network", async () => {
        await rejectsWithCode(api.getCredentials(base(p256, {
            fetch: async () => { throw new TypeError("connection refused"); },
        })), "Network", "network");
    });
    test("getCredentials: 200 with junk -> InvalidResponse", async () => {
        await rejectsWithCode(api.getCredentials(base(p256, { fetch: answer(200, "<html>") })), "InvalidResponse", "junk");
    });
    test("getCredentials: accountId from the assumed-role ARN, else the role ARN, else none", async () => {
        const item = (extra) => ({ credentialSet: [{ credentials: {
            accessKeyId: "ASIAEXAMPLE", secretAccessKey: "secret", sessionToken: "token", expiration: "2026-03-01T13:34:56Z",
        }, ...extra }] });
        const assumed = { assumedRoleUser: { arn: "arn:aws:sts::123456789012:assumed-role/Role/session", assumedRoleId: "AROAEXAMPLE:session" } };
        equal((await api.getCredentials(base(p256, { fetch: answer(201, item(assumed)) }))).accountId, "123456789012", "assumed role");
        equal((await api.getCredentials(base(p256, { fetch: answer(201, item({ roleArn: "arn:aws:iam::210987654321:role/R" })) }))).accountId,
            "210987654321", "role ARN");
        ok(!("accountId" in await api.getCredentials(base(p256, { fetch: answer(201, item({})) }))), "no ARN: no accountId");
    });
    test("getCredentials: credentials already expired at the signing time -> InvalidResponse", async () => {
        for (const expiration of ["2026-03-01T12:34:56Z", "2026-03-01T11:00:00Z", "2020-01-01T00:00:00Z"]) {
            const e = await rejectsWithCode(api.getCredentials(base(p256, {
                fetch: answer(201, { credentialSet: [{ credentials: { accessKeyId: "ASIAEXAMPLE", secretAccessKey: "secret", sessionToken: "token", expiration } }] }),
            })), "InvalidResponse", expiration);
            ok(!e.message.includes("secret") && !e.message.includes("token"), `no secret in the message: ${e.message}`);
        }
    });
    test("getCredentials: a fetch that never settles -> Network after timeoutMs", async () => {
        const started = Date.now();
        const e = await rejectsWithCode(api.getCredentials(base(p256, { timeoutMs: 200, fetch: () => new Promise(() => {}) })), "Network", "hang");
        ok(/within 200 ms/.test(e.message), e.message);
        ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
        await rejectsWithCode(api.getCredentials(base(p256, { timeoutMs: "soon" })), "InvalidOptions", "timeoutMs");
    });
    test("getCredentials: a body that stalls -> Network after timeoutMs", async () => {
        const stalled = async () => new Response(new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode("{")); } }), { status: 201 });
        await rejectsWithCode(api.getCredentials(base(p256, { timeoutMs: 200, fetch: stalled })), "Network", "stalled body");
    });
    test("getCredentials: an answer over 256 KiB -> InvalidResponse, its stream cancelled there", async () => {
        let pulled = 0;
        let cancelled = false;
        const chunk = new Uint8Array(64 * 1024).fill(0x20);
        const endless = async () => new Response(new ReadableStream({
            pull(c) { pulled += chunk.length; c.enqueue(chunk); },
            cancel() { cancelled = true; },
        }), { status: 201 });
        const e = await rejectsWithCode(api.getCredentials(base(p256, { fetch: endless })), "InvalidResponse", "endless");
        ok(/larger than 262144 bytes/.test(e.message), e.message);
        ok(cancelled && pulled <= 512 * 1024, `cancelled ${cancelled} after ${pulled} bytes`);
    });
    test("getCredentials: 429 and 503 carry Retry-After as retryAfterMs", async () => {
        const e = await rejectsWithCode(api.getCredentials(base(p256, { fetch: answer(429, { message: "slow" }, { "retry-after": "4" }) })), "Throttled", "429");
        equal(e.retryAfterMs, 4000, "retryAfterMs");
        const e503 = await rejectsWithCode(api.getCredentials(base(p256, { fetch: answer(503, { message: "busy" }, { "retry-after": "0" }) })), "Server", "503");
        equal(e503.retryAfterMs, 0, "retryAfterMs");
    });
    // ---- rolesanywhere/inspect: the facts of each step, as the CLI's --explain prints them ----
    test("inspect: certificate facts match the CLI's request", async () => {
        for (const c of fixture.cases) {
            const facts = await api.inspectCertificate(c.options);
            const credential = c.expected.headers.Authorization.split("Credential=")[1].split("/")[0];
            equal(facts.serialNumber, credential, `${c.name}: serial number`);
            equal(facts.keyType, c.keyType, `${c.name}: key type`);
            ok(facts.notAfter instanceof Date && facts.notAfter.getTime() > fixture.dateMs, `${c.name}: notAfter`);
            ok(Array.isArray(facts.uriSans), `${c.name}: uriSans`);
            const chain = c.expected.headers["X-Amz-X509-Chain"];
            equal(facts.intermediates, chain ? chain.split(",").length : 0, `${c.name}: intermediates`);
        }
        await rejectsWithCode(() => api.inspectCertificate({ certificate: 42 }), "InvalidOptions", "certificate is a number");
        await rejectsWithCode(() => api.inspectCertificate({ certificate: fixture.garbageCert }), "InvalidCertificate", "garbage");
    });
    test("inspect: the prepared request is the CLI's, up to its string to sign", async () => {
        for (const c of fixture.cases) {
            const { privateKey, ...options } = base(c);
            const p = await api.prepareCreateSession(options);
            equal(p.stringToSign, c.stringToSign, `${c.name}: string to sign`);
            const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(p.canonicalRequest)));
            equal(toHex(digest), c.stringToSign.split("\n").at(-1), `${c.name}: the string to sign hashes the canonical request`);
            const auth = c.expected.headers.Authorization;
            ok(auth.startsWith(`${p.algorithm} Credential=${p.serialNumber}/${p.credentialScope}, SignedHeaders=${p.signedHeaders}, `), `${c.name}: ${auth}`);
            equal(p.keyType, c.keyType, `${c.name}: key type`);
            equal(p.date.getTime(), fixture.dateMs, `${c.name}: date`);
            for (const k of Object.keys(c.publicJwk)) equal(p.publicKeyJwk[k], c.publicJwk[k], `${c.name}: JWK ${k}`);
        }
        await rejectsWithCode(() => api.prepareCreateSession(base(p256, { profileArn: "profile/123" })), "InvalidRequest", "bad ARN");
    });
    test("inspect: a PKCS#12 file's certificate and request, opened as createSessionRequest opens it", async () => {
        const c = fixture.pkcs12.cases[0];
        const options = base(c, { pkcs12: fromBase64(c.pkcs12), pkcs12Password: "test" });
        // The full build (the one with the RSA signer) carries pkcs12 (scripts/build-wasm).
        if (!(await inWasm("RSA"))) {
            await rejectsWithCode(() => api.inspectCertificate(options), "InvalidPkcs12", "a build without pkcs12");
            return;
        }
        const facts = await api.inspectCertificate(options);
        equal(facts.serialNumber, c.expected.headers.Authorization.split("Credential=")[1].split("/")[0], "serial number");
        equal(facts.keyType, c.keyType, "key type");
        equal(facts.intermediates, c.expected.headers["X-Amz-X509-Chain"].split(",").length, "the file's chain");
        const p = await api.prepareCreateSession(options);
        equal(p.stringToSign, c.stringToSign, "string to sign");
        const wrong = await rejectsWithCode(() => api.inspectCertificate({ ...options, pkcs12Password: "tset" }), "WrongPassword", "wrong password");
        ok(!wrong.message.includes("tset"), `no password in the message: ${wrong.message}`);
        await rejectsWithCode(() => api.prepareCreateSession({ ...options, certificate: c.expected.headers["X-Amz-X509"] }), "InvalidOptions", "pkcs12 and certificate");
    });
    test("inspect: AWS's answer read as getCredentials reads it", async () => {
        const body = { credentialSet: [{ credentials: { accessKeyId: "ASIAEXAMPLE", secretAccessKey: "secret", sessionToken: "token", expiration: "2026-03-01T13:34:56Z" } }] };
        const creds = await api.readCreateSessionResponse(new Response(JSON.stringify(body), { status: 201 }));
        equal(JSON.stringify(creds), JSON.stringify({ ...body.credentialSet[0].credentials, expiration: "2026-03-01T13:34:56.000Z" }), "credentials");
        ok(creds.expiration instanceof Date, "expiration is a Date");
        await rejectsWithCode(() => api.readCreateSessionResponse(new Response("{\"message\":\"no\"}", { status: 403, headers: { "x-amzn-errortype": "AccessDeniedException" } })),
            "AccessDenied", "403");
    });
    for (const c of fixture.sigv4 ?? []) {
        test(`signRequest reproduces the AWS SigV4 suite: ${c.name}`, async () => {
            const options = { ...c.options, date: new Date(c.options.dateMs) };
            const signed = await api.signRequest(c.request, c.credentials, options);
            equal(signed.headers.authorization, c.authorization, "Authorization");
            const presigned = await api.signRequest(c.request, c.credentials, { ...options, presign: true });
            equal(presigned.url.slice(presigned.url.indexOf("?") + 1), c.presignedQuery, "presigned query");
        });
    }
    test("signRequest: service and region left out come from the URL's host, else InvalidOptions", async () => {
        const creds = { accessKeyId: "AKID", secretAccessKey: "secret" };
        const date = new Date(Date.UTC(2026, 2, 1, 12));
        const hosts = [
            ["sts.us-west-2.amazonaws.com", "sts", "us-west-2"], ["sts.amazonaws.com", "sts", "us-east-1"],
            ["bucket.s3.eu-west-1.amazonaws.com", "s3", "eu-west-1"], ["bucket.s3.amazonaws.com", "s3", "us-east-1"],
            ["abc123.execute-api.us-east-2.amazonaws.com", "execute-api", "us-east-2"],
            ["xyz.lambda-url.ap-south-1.on.aws", "lambda", "ap-south-1"], ["dynamodb.eu-central-1.api.aws", "dynamodb", "eu-central-1"],
        ];
        for (const [host, service, region] of hosts) {
            const request = { url: `https://${host}/a/b?x=1` };
            const explicit = await api.signRequest(request, creds, { service, region, date });
            ok(explicit.headers.authorization.includes(`/${region}/${service}/aws4_request`), `${host}: ${explicit.headers.authorization}`);
            equal(JSON.stringify(await api.signRequest(request, creds, { date })), JSON.stringify(explicit), `${host}: both inferred`);
            equal(JSON.stringify(await api.signRequest(request, creds, { service, date })), JSON.stringify(explicit), `${host}: region inferred`);
        }
        for (const url of ["https://example.com/", "http://127.0.0.1:8080/", "https://foo.amazonaws.com/"]) {
            await rejectsWithCode(api.signRequest({ url }, creds, { date }), "InvalidOptions", url);
            await rejectsWithCode(api.signRequest({ url }, creds, { service: "sts", date }), "InvalidOptions", `${url}, region left out`);
        }
    });
    test("signRequest: bad input rejects with a code", async () => {
        const creds = { accessKeyId: "AKID", secretAccessKey: "secret" };
        const request = { url: "https://sts.amazonaws.com/" };
        await rejectsWithCode(api.signRequest(request, {}, { service: "sts", region: "us-east-1" }), "InvalidOptions", "no credentials");
        await rejectsWithCode(api.signRequest({ url: "https://example.com/" }, creds, {}), "InvalidOptions", "no service");
        await rejectsWithCode(api.signRequest({ url: "ftp://x/" }, creds, { service: "sts", region: "us-east-1" }), "InvalidRequest", "bad URL");
        await rejectsWithCode(api.signRequest({ ...request, headers: { "x-a": "1\r\nx-b: 2" } }, creds, { service: "sts", region: "us-east-1" }),
            ["InvalidRequest", "InvalidOptions"], "header injection");
        await rejectsWithCode(api.signRequest(request, creds, { service: "sts", region: "us-east-1", presign: true, expiresIn: 604801 }),
            "InvalidOptions", "expiresIn");
        await rejectsWithCode(api.signRequest({ ...request, method: 5 }, creds, { service: "sts", region: "us-east-1" }), "InvalidOptions", "method is a number");
        await rejectsWithCode(api.signRequest({ ...request, headers: [5] }, creds, { service: "sts", region: "us-east-1" }), "InvalidOptions", "a header that is no pair");
        await rejectsWithCode(api.signRequest(request, creds, { service: "sts", region: "us-east-1", date: "today" }), "InvalidOptions", "date is a string");
    });
    return tests;
}

/** Runs the suite, returning [{name, ok, error?}] (for runners without a test framework). */
export async function runAll(tests) {
    const results = [];
    for (const t of tests) {
        try {
            await t.fn();
            results.push({ name: t.name, ok: true });
        } catch (e) {
            results.push({ name: t.name, ok: false, error: `${e?.name}: ${e?.message}\n${e?.stack ?? ""}` });
        }
    }
    return results;
}
