// Entry for Node (>= 20): the .wasm is read from disk next to this file and compiled as soon as
// this module is imported, so that the read and the compilation (off the main thread) overlap
// with whatever the caller does before its first call (reading its certificate, importing a key).
import { readFile } from "node:fs/promises";
import { initSync } from "./glue/rolesanywhere.js";
import { setLoader } from "./core.js";

const load = async () => {
    const bytes = await readFile(new URL("./glue/rolesanywhere_bg.wasm", import.meta.url));
    initSync({ module: await WebAssembly.compile(bytes) });
};
// Started here; a failure is reported to the first call (never as an unhandled rejection), and
// the calls after it load again.
let early = load();
early.catch(() => {});
setLoader(() => {
    const loading = early ?? load();
    early = null;
    return loading;
});

export { createSessionRequest, getCredentials, wasmSigners } from "./core.js";
export { AwsClient, signRequest } from "./sigv4.js";
export { createCredentialProvider, fromRolesAnywhere } from "./provider.js";
export { inspectCertificate, prepareCreateSession, readCreateSessionResponse } from "./inspect.js";
