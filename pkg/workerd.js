// Entry for Cloudflare Workers (workerd): the bundler hands the .wasm over as a compiled
// WebAssembly.Module (compiling bytes at run time is not allowed there), instantiated
// synchronously at load.
import wasmModule from "./glue/rolesanywhere_bg.wasm";
import { initSync } from "./glue/rolesanywhere.js";
import { setLoader } from "./core.js";

initSync({ module: wasmModule });
setLoader(() => {});

export { createSessionRequest, getCredentials, wasmSigners } from "./core.js";
export { AwsClient, signRequest } from "./sigv4.js";
export { createCredentialProvider, fromRolesAnywhere } from "./provider.js";
export { inspectCertificate, prepareCreateSession, readCreateSessionResponse } from "./inspect.js";
