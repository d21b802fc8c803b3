// The one encoding of the values that cross between JavaScript and wasm, in both directions: the
// JavaScript half of src/wasm/wire.rs, which documents the format. Round-trip vectors in
// tests/vectors/wire.json are checked on both sides.
//
// A message: count (u32 LE), one entry per value (tag, then a u32 LE length for text and bytes
// or an f64 LE for a number), the UTF-8 of all texts back to back, then all bytes back to back.
// The texts are encoded with one `encodeInto` of their concatenation and decoded with one
// `TextDecoder` call, sliced when ASCII: a call per field would cost more than signing.

const ABSENT = 0;
const FALSE = 1;
const TRUE = 2;
const NUMBER = 3;
const TEXT = 4;
const BYTES = 5;
/** Tag of a value of another type (an object, a function…): carried so that wasm names the type error. */
const OTHER_TAG = 6;

/** What a decoded OTHER value is (and encodes back to OTHER, like any object). */
export const OTHER = Object.freeze({ other: true });

const encoder = new TextEncoder();
// The texts of a message from wasm are UTF-8 (Rust strings): one lenient decode of them all is
// the fast path; the strict decoder checks them field by field when they are not all ASCII (and
// refuses a malformed message). Strict decoding is several times slower in some runtimes (Deno).
const lenient = new TextDecoder();
const strict = new TextDecoder("utf-8", { fatal: true });

// Messages are written into one reused buffer and handed to wasm at once; a message that held a
// secret is zeroed by its caller right after.
const SCRATCH_SIZE = 16384;
let scratch = null;
let scratchView = null;
let scratchTail = null;
let scratchTailAt = -1;
const lengths = [];

/** `buffer.subarray(at)`; for the scratch buffer, made once per `at` (a message of the same shape
 * as the last one reuses it: making a view costs about as much as encoding a short text). */
function tail(buffer, at) {
    if (buffer !== scratch) return buffer.subarray(at);
    if (scratchTailAt !== at) {
        scratchTail = scratch.subarray(at);
        scratchTailAt = at;
    }
    return scratchTail;
}

function setU32(buffer, at, n) {
    buffer[at] = n;
    buffer[at + 1] = n >>> 8;
    buffer[at + 2] = n >>> 16;
    buffer[at + 3] = n >>> 24;
}

function getU32(buffer, at) {
    return (buffer[at] | (buffer[at + 1] << 8) | (buffer[at + 2] << 16) | (buffer[at + 3] << 24)) >>> 0;
}

/** An `Error` with the `Internal` code: only a bug on one side of the boundary makes one. */
function malformed() {
    const error = new Error("malformed message between wasm and the JS shim");
    error.code = "Internal";
    return error;
}

/**
 * Encodes `values` (strings, numbers, booleans, `undefined`/`null`, Uint8Array or ArrayBuffer;
 * anything else as OTHER) into a message. Returns a view of a reused buffer, valid until the next
 * `encode`: pass it to wasm at once, then `fill(0)` it if it held a secret.
 * @param {unknown[]} values
 * @returns {Uint8Array}
 */
export function encode(values) {
    const n = values.length;
    let head = 4;
    let bytesSize = 0;
    let joined = "";
    let texts = 0;
    for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v === "string") {
            head += 5;
            joined += v;
            texts++;
        } else if (typeof v === "number") {
            head += 9;
        } else if (v instanceof Uint8Array || v instanceof ArrayBuffer) {
            head += 5;
            bytesSize += v.byteLength;
        } else {
            head += 1;
        }
    }
    const max = head + 3 * joined.length + bytesSize; // at most 3 UTF-8 bytes per UTF-16 unit
    let buffer = null;
    let view = null; // for numbers
    if (max <= SCRATCH_SIZE) {
        buffer = scratch ??= new Uint8Array(SCRATCH_SIZE);
        view = scratchView ??= new DataView(scratch.buffer);
    } else {
        buffer = new Uint8Array(max);
    }
    // The texts: one encodeInto of them all; when that was ASCII (as many bytes as UTF-16
    // units), each length is its string's; otherwise each is encoded again on its own.
    let at = head;
    let ascii = true;
    if (texts > 0) {
        const written = encoder.encodeInto(joined, tail(buffer, head)).written;
        ascii = written === joined.length;
        if (!ascii) {
            lengths.length = 0;
            for (let i = 0; i < n; i++) {
                const v = values[i];
                if (typeof v !== "string") continue;
                const w = encoder.encodeInto(v, buffer.subarray(at)).written;
                lengths.push(w);
                at += w;
            }
        } else {
            at += written;
        }
    }
    setU32(buffer, 0, n);
    let entry = 4;
    let text = 0;
    for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v === "string") {
            buffer[entry] = TEXT;
            setU32(buffer, entry + 1, ascii ? v.length : lengths[text++]);
            entry += 5;
        } else if (typeof v === "number") {
            buffer[entry] = NUMBER;
            view ??= new DataView(buffer.buffer);
            view.setFloat64(entry + 1, v, true);
            entry += 9;
        } else if (v instanceof Uint8Array || v instanceof ArrayBuffer) {
            const bytes = v instanceof Uint8Array ? v : new Uint8Array(v);
            buffer[entry] = BYTES;
            setU32(buffer, entry + 1, bytes.length);
            entry += 5;
            buffer.set(bytes, at);
            at += bytes.length;
        } else {
            buffer[entry++] = v === undefined || v === null ? ABSENT : v === true ? TRUE : v === false ? FALSE : OTHER_TAG;
        }
    }
    return buffer.subarray(0, at);
}

/**
 * The values of a message from wasm (the first `size` bytes of `message`): strings, numbers,
 * booleans, `undefined` for absent, Uint8Arrays for bytes (views of `message`, or copies with
 * `copyBytes`), and {@link OTHER}. Throws an `Internal` error for a malformed one.
 * @param {Uint8Array} message
 * @param {number} [size]
 * @param {boolean} [copyBytes]
 * @returns {unknown[]}
 */
export function decode(message, size = message.length, copyBytes = false) {
    if (size < 4) throw malformed();
    const count = getU32(message, 0);
    if (count > size - 4) throw malformed();
    // First pass: the entries, and where the texts and the bytes start.
    let at = 4;
    let textsSize = 0;
    let bytesSize = 0;
    for (let i = 0; i < count; i++) {
        if (at >= size) throw malformed();
        const tag = message[at++];
        if (tag === TEXT || tag === BYTES) {
            if (at + 4 > size) throw malformed();
            if (tag === TEXT) textsSize += getU32(message, at);
            else bytesSize += getU32(message, at);
            at += 4;
        } else if (tag === NUMBER) {
            if (at + 8 > size) throw malformed();
            at += 8;
        } else if (tag > OTHER_TAG) {
            throw malformed();
        }
    }
    const textsAt = at;
    let bytesAt = textsAt + textsSize;
    if (bytesAt + bytesSize !== size) throw malformed();
    // Valid UTF-8 is shorter in UTF-16 units than in bytes unless it is all ASCII; invalid bytes
    // decode to U+FFFD, which the check below sends to the strict decoder.
    const all = textsSize > 0 ? lenient.decode(message.subarray(textsAt, bytesAt)) : "";
    const ascii = all.length === textsSize && !all.includes("\uFFFD");
    // Second pass: the values.
    const values = new Array(count);
    let view = null;
    let text = 0;
    at = 4;
    for (let i = 0; i < count; i++) {
        const tag = message[at++];
        if (tag === TEXT) {
            const n = getU32(message, at);
            at += 4;
            values[i] = ascii ? all.slice(text, text + n) : strictText(message.subarray(textsAt + text, textsAt + text + n));
            text += n;
        } else if (tag === BYTES) {
            const n = getU32(message, at);
            at += 4;
            values[i] = copyBytes ? message.slice(bytesAt, bytesAt + n) : message.subarray(bytesAt, bytesAt + n);
            bytesAt += n;
        } else if (tag === NUMBER) {
            view ??= new DataView(message.buffer, message.byteOffset, message.length);
            values[i] = view.getFloat64(at, true);
            at += 8;
        } else {
            values[i] = tag === ABSENT ? undefined : tag === TRUE ? true : tag === FALSE ? false : OTHER;
        }
    }
    return values;
}

function strictText(bytes) {
    try {
        return strict.decode(bytes);
    } catch {
        throw malformed();
    }
}

// Replies that fit are copied by wasm into one reused buffer (src/wasm/mod.rs `deliver`): a new
// typed array per call costs about a microsecond in V8 and Deno.
const REPLY_SIZE = 16384;
let replyBuffer = null;

/** The buffer to hand to an export that delivers its reply (a `ReplyBuffer` parameter). */
export function replies() {
    return (replyBuffer ??= new Uint8Array(REPLY_SIZE));
}

/**
 * The values of a delivered reply: `answer` is its length in {@link replies}, or a Uint8Array of
 * its own when it did not fit. The shared buffer is zeroed once read (a reply may hold a token),
 * so bytes values come as copies.
 * @param {number | Uint8Array} answer
 * @returns {unknown[]}
 */
export function decodeReply(answer) {
    if (typeof answer !== "number") return decode(answer);
    try {
        return decode(replyBuffer, answer, true);
    } finally {
        replyBuffer.fill(0, 0, answer);
    }
}

/**
 * The object of a record message (name/value pairs).
 * @param {Uint8Array} message
 * @returns {Record<string, unknown>}
 */
export function decodeRecord(message) {
    const values = decode(message);
    if (values.length % 2 !== 0) throw malformed();
    const out = {};
    for (let i = 0; i < values.length; i += 2) {
        if (typeof values[i] !== "string") throw malformed();
        out[values[i]] = values[i + 1];
    }
    return out;
}
