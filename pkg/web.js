// Entry for browsers, Deno and any runtime with `fetch` + `WebAssembly.instantiateStreaming`:
// the .wasm is fetched next to this file on first use.
import init from "./glue/rolesanywhere.js";
import { setLoader } from "./core.js";

setLoader(() => init({ module_or_path: new URL("./glue/rolesanywhere_bg.wasm", import.meta.url) }));

export { createSessionRequest, getCredentials, wasmSigners } from "./core.js";
