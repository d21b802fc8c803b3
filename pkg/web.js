// @ts-self-types="./index.d.ts"
// Entry for browsers, Deno and any runtime with `fetch` + `WebAssembly.instantiateStreaming`:
// the .wasm is fetched next to this file on first use.
import init from "./glue/rolesanywhere.js";
import { setLoader } from "./core.js";

// Deno's WebCrypto signs ECDSA slower than the in-wasm signer (P-256: ~530 µs against ~210 µs,
// scripts/bench-js), so there PEM/DER EC keys are signed in wasm by default when the build has
// the signer: the output is then the CLI's, byte for byte. Browsers keep WebCrypto (not measured
// against wasm here).
const preferWasm = typeof globalThis.Deno === "object" ? ["P-256", "P-384"] : [];
setLoader(() => init({ module_or_path: new URL("./glue/rolesanywhere_bg.wasm", import.meta.url) }), { preferWasm });

export { createSessionRequest, getCredentials, wasmSigners } from "./core.js";
export { AwsClient, signRequest } from "./sigv4.js";
export { createCredentialProvider, fromRolesAnywhere } from "./provider.js";
export { inspectCertificate, prepareCreateSession, readCreateSessionResponse } from "./inspect.js";
