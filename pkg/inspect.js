// `rolesanywhere/inspect`: the facts of each step of the sign-in, read-only, for pages and tools
// that show how it works (www/): the certificate as the core reads it, the request up to its
// string to sign, and AWS's answer read as `getCredentials` reads it. The CLI's `--explain`
// prints the same facts. Exported by the runtime entries, so that it shares their wasm module.
import { decode, decodeRecord } from "./wire.js";
import { checkObject, credentialsFrom, dateOf, exchangeLimits, loaded, openPkcs12, readBody, withCertificates, withPendingRequest } from "./core.js";

/** Calls `use(options)` with `options.pkcs12` opened into the certificate and chain it holds, as
 * `createSessionRequest` opens it (the key it also holds is zeroed after use). */
async function withPkcs12(options, use) {
    const opened = openPkcs12(options);
    if (!opened) return use(options);
    try {
        return await use(opened.options);
    } finally {
        opened.zero();
    }
}

/**
 * The leaf certificate's facts as the sign-in uses them: from `options.certificate`, or from the
 * PKCS#12 file `options.pkcs12` opened with `options.pkcs12Password`.
 * @param {Parameters<typeof import("./inspect.d.ts").inspectCertificate>[0]} options
 * @returns {Promise<import("./inspect.d.ts").CertificateFacts>}
 */
export async function inspectCertificate(options) {
    await loaded();
    checkObject(options);
    return withPkcs12(options, (opened) => withCertificates(opened, (certs) => ({
        serialNumber: certs.serialNumber,
        serialHex: certs.serialHex,
        subjectCommonName: certs.subjectCommonName,
        uriSans: certs.uriSans,
        keyType: certs.keyType,
        notAfter: new Date(certs.notAfter),
        intermediates: certs.intermediateCount,
    })));
}

/**
 * The `CreateSession` request of `createSessionRequest(options)` (without the key) built up to
 * its string to sign: the canonical request, the string to sign, the signed headers and scope,
 * and the certificate's public key as a JWK (to verify a signature with).
 * @param {Omit<import("./index.d.ts").CreateSessionOptions, "privateKey" | "signer">} options
 * @returns {Promise<import("./inspect.d.ts").PreparedCreateSession>}
 */
export async function prepareCreateSession(options) {
    await loaded();
    checkObject(options);
    const date = dateOf(options);
    return withPkcs12(options, (opened) => withPendingRequest(opened, date, (pending) => {
        const [keyType, serialNumber] = decode(pending.facts());
        return { ...decodeRecord(pending.steps()), keyType, serialNumber, publicKeyJwk: decodeRecord(pending.publicKeyJwk()), date: new Date(date) };
    }));
}

/**
 * Reads AWS's answer to `CreateSession` as `getCredentials` does (at most the core's
 * `MAX_RESPONSE_LEN` of it): the credentials, or an `Error` with the service's code
 * (`AccessDenied`, `Validation`, …) and `retryAfterMs`. No signing time is known here, so an
 * expired `expiration` is returned as it is.
 * @param {Response} response
 * @returns {Promise<import("./index.d.ts").Credentials>}
 */
export async function readCreateSessionResponse(response) {
    await loaded();
    const body = await readBody(response, exchangeLimits().maxResponseLen);
    try {
        return credentialsFrom(response, body);
    } finally {
        body?.fill(0);
    }
}
