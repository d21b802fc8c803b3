// The suite in Deno (`deno test --allow-read`), through the package's web entry (the "deno"
// export condition), which fetches the .wasm with a file: URL.
import { suite } from "./suite.js";
import * as api from "../../pkg/web.js";
import * as wire from "../../pkg/wire.js";

const path = Deno.env.get("ROLESANYWHERE_JS_FIXTURE") ?? new URL("../../target/js-fixture.json", import.meta.url);
const fixture = JSON.parse(await Deno.readTextFile(path));
for (const t of suite(api, fixture, wire)) Deno.test(`deno: ${t.name}`, t.fn);
