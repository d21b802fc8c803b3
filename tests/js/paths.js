// Where the runners find the fixture: $ROLESANYWHERE_JS_FIXTURE or target/js-fixture.json.
import { fileURLToPath } from "node:url";

export function fixturePath() {
    return process.env.ROLESANYWHERE_JS_FIXTURE ?? fileURLToPath(new URL("../../target/js-fixture.json", import.meta.url));
}
