// Credentials sealed for a shared store (a Durable Object's storage, Deno KV, any `SharedStore`):
// AES-256-GCM with a key derived by HKDF-SHA-256 from a secret the user configures (a Worker
// secret, an environment variable), a random 96-bit IV per write, and the entry's identity (its
// store key or Durable Object name) as additional data, so that an entry copied under another
// identity does not open. Only WebCrypto: the same in Workers, Deno, Node and browsers.
//
// Rotation: `secrets` lists the current secret first, then the previous ones; entries open with
// any of them and are always sealed with the first. An entry that does not open (another secret,
// damaged, another format) or does not hold credentials is no entry at all: the caller signs in
// and overwrites it. The plaintext (the secret access key and session token) exists only in
// memory, never in what `seal` returns.
import { fail } from "./core.js";

/** The first byte of a sealed entry: its format. */
const FORMAT = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Secrets shorter than this are refused: the key is only as strong as the secret. */
const MIN_SECRET_LENGTH = 32;
/** A sealed entry larger than this is not opened (credentials take about 2 KB). */
const MAX_SEALED_BYTES = 64 * 1024;
const LABEL = "rolesanywhere sealed credentials 1";
const utf8 = new TextEncoder();

/**
 * The secrets as a list, current first: a string, or an array of strings (the current one, then
 * previous ones still accepted for reading). Throws `InvalidOptions` naming `what`.
 * @param {string | string[]} secrets
 * @param {string} what the option's name, for the error
 * @returns {string[]}
 */
export function secretList(secrets, what) {
    const list = typeof secrets === "string" ? [secrets] : secrets;
    if (!Array.isArray(list) || list.length === 0) {
        throw fail("InvalidOptions", `${what} must be a secret string, or an array of them (the current one first)`);
    }
    for (const secret of list) {
        if (typeof secret !== "string" || secret.length < MIN_SECRET_LENGTH) {
            throw fail("InvalidOptions", `${what}: each secret must be a string of at least ${MIN_SECRET_LENGTH} characters (e.g. \`openssl rand -base64 32\`)`);
        }
    }
    return list;
}

/** The AES-256-GCM key of one secret. */
async function deriveKey(secret) {
    const base = await crypto.subtle.importKey("raw", utf8.encode(secret), "HKDF", false, ["deriveKey"]);
    return crypto.subtle.deriveKey(
        { name: "HKDF", hash: "SHA-256", salt: utf8.encode(LABEL), info: utf8.encode("AES-256-GCM key") },
        base,
        { name: "AES-GCM", length: 256 },
        false,
        ["encrypt", "decrypt"],
    );
}

/** The additional data of the entry named `identity`. */
const additionalData = (identity) => utf8.encode(`${LABEL}\0${identity}`);

/** Credentials and their lease as the entry's plaintext (JSON; times in ms since 1970). */
function encodeEntry({ credentials, lease }) {
    return utf8.encode(JSON.stringify({
        accessKeyId: credentials.accessKeyId,
        secretAccessKey: credentials.secretAccessKey,
        sessionToken: credentials.sessionToken,
        expiration: lease.expiration,
        refreshAt: lease.refreshAt,
    }));
}

/** The entry of a plaintext, or null when it does not hold credentials and a lease. */
function decodeEntry(bytes) {
    let v;
    try {
        v = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    } catch {
        return null;
    }
    const text = (s) => typeof s === "string" && s.length > 0;
    const time = (t) => Number.isSafeInteger(t) && t > 0;
    if (v === null || typeof v !== "object" || !text(v.accessKeyId) || !text(v.secretAccessKey) || !text(v.sessionToken) ||
        !time(v.expiration) || !time(v.refreshAt) || v.refreshAt > v.expiration) {
        return null;
    }
    return {
        credentials: { accessKeyId: v.accessKeyId, secretAccessKey: v.secretAccessKey, sessionToken: v.sessionToken, expiration: new Date(v.expiration) },
        lease: { expiration: v.expiration, refreshAt: v.refreshAt },
    };
}

/**
 * Seals and opens entries with keys derived from `secrets` (see {@link secretList}).
 * @param {string | string[]} secrets
 * @param {string} what the option's name, for errors
 */
export async function sealer(secrets, what) {
    const keys = await Promise.all(secretList(secrets, what).map(deriveKey));
    return {
        /**
         * The sealed bytes of `{credentials, lease}` under `identity`: format byte, IV,
         * ciphertext and tag.
         * @returns {Promise<Uint8Array>}
         */
        async seal(identity, entry) {
            const plaintext = encodeEntry(entry);
            const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
            try {
                const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: additionalData(identity) }, keys[0], plaintext));
                const out = new Uint8Array(1 + IV_BYTES + sealed.length);
                out[0] = FORMAT;
                out.set(iv, 1);
                out.set(sealed, 1 + IV_BYTES);
                return out;
            } finally {
                plaintext.fill(0);
            }
        },
        /**
         * The entry sealed under `identity`, and whether it was sealed with the current secret;
         * null for anything that does not open to credentials (never an error).
         * @returns {Promise<{entry: {credentials: object, lease: {expiration: number, refreshAt: number}}, current: boolean} | null>}
         */
        async open(identity, sealed) {
            if (sealed instanceof ArrayBuffer) sealed = new Uint8Array(sealed);
            if (!(sealed instanceof Uint8Array) || sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed.length > MAX_SEALED_BYTES || sealed[0] !== FORMAT) {
                return null;
            }
            const iv = sealed.subarray(1, 1 + IV_BYTES);
            const data = sealed.subarray(1 + IV_BYTES);
            for (let i = 0; i < keys.length; i++) {
                let plaintext;
                try {
                    plaintext = new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData: additionalData(identity) }, keys[i], data));
                } catch {
                    continue; // another key, or not ours
                }
                try {
                    const entry = decodeEntry(plaintext);
                    return entry && { entry, current: i === 0 };
                } finally {
                    plaintext.fill(0);
                }
            }
            return null;
        },
    };
}
