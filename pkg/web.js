// @ts-self-types="./index.d.ts"
// Entry for browsers, Deno and any runtime with `fetch` + `WebAssembly.instantiateStreaming`:
// the .wasm next to this file is fetched and compiled while it streams in (Deno reads a local one
// from disk), from the import on (setLoader starts it).
import init from "./glue/rolesanywhere.js";
import { setLoader } from "./core.js";

// Deno's WebCrypto signs ECDSA slower than the in-wasm signer (P-256: ~530 µs against ~210 µs,
// scripts/bench-js), so there PEM/DER EC keys are signed in wasm by default when the build has
// the signer: the output is then the CLI's, byte for byte. Browsers keep WebCrypto (not measured
// against wasm here).
const deno = typeof globalThis.Deno === "object" ? globalThis.Deno : null;
const preferWasm = deno ? ["P-256", "P-384"] : [];
const wasmUrl = new URL("./glue/rolesanywhere_bg.wasm", import.meta.url);
// Deno reads a file: URL (a local checkout, node_modules) with Deno.readFile: its first fetch of a
// file: URL in a process takes some 30 ms more (scripts/bench-cold). Other URLs are fetched.
setLoader(() => init({ module_or_path: deno && wasmUrl.protocol === "file:" ? deno.readFile(wasmUrl) : wasmUrl }), { preferWasm });

export { createSessionRequest, getCredentials, wasmSigners } from "./core.js";
export { AwsClient, signRequest } from "./sigv4.js";
export { createCredentialProvider, fromRolesAnywhere } from "./provider.js";
export { inspectCertificate, prepareCreateSession, readCreateSessionResponse } from "./inspect.js";
