// Entry for Node (>= 20): the .wasm is read from disk next to this file and compiled (off the
// main thread) from the import on (setLoader starts it).
import { readFile } from "node:fs/promises";
import { initSync } from "./glue/rolesanywhere.js";
import { setLoader } from "./core.js";

setLoader(async () => {
    const bytes = await readFile(new URL("./glue/rolesanywhere_bg.wasm", import.meta.url));
    initSync({ module: await WebAssembly.compile(bytes) });
});

export { createSessionRequest, getCredentials, wasmSigners } from "./core.js";
export { AwsClient, signRequest } from "./sigv4.js";
export { createCredentialProvider, fromRolesAnywhere } from "./provider.js";
export { inspectCertificate, prepareCreateSession, readCreateSessionResponse } from "./inspect.js";
