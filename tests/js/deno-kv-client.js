// One process of tests/js/stores.test.mjs's Deno KV test and of scripts/bench-fleet: a provider
// with the package's Deno KV store on the KV file shared by every process of the run (or, with
// KV_PATH `-`, no store: the process signs in for itself), started at an agreed moment so that
// the processes ask at once; prints the access key id it got and the ms from that moment to it.
//
//   deno run --unstable-kv --allow-read --allow-write=DIR --allow-net=127.0.0.1 --allow-env=STORE_SECRET \
//     tests/js/deno-kv-client.js KV_PATH PKI_DIR ENDPOINT ARNS_JSON START_MS
import { createCredentialProvider } from "../../pkg/web.js";
import { denoKvStore } from "../../pkg/store.js";

const [kvPath, pkiDir, endpoint, arns, start] = Deno.args;
const read = (name) => Deno.readTextFile(`${pkiDir}/${name}`);
/** `Deno.openKv`, again while another process of the run holds the new file's lock: the first
 * opens of one new KV file race to set it up, and SQLite answers "database is locked" to the
 * others at once (about one round in 25 of three processes). Bounded: 40 tries, 25 ms apart. */
async function openKv(path) {
    for (let attempt = 1; ; attempt++) {
        try {
            return await Deno.openKv(path);
        } catch (e) {
            if (attempt >= 40 || !String(e?.message).includes("database is locked")) throw e;
            await new Promise((resolve) => setTimeout(resolve, 25));
        }
    }
}

const kv = kvPath === "-" ? null : await openKv(kvPath);
try {
    const provider = createCredentialProvider({
        certificate: await read("p256.pem"),
        privateKey: await read("p256.pkcs8.pem"),
        intermediates: await read("chain.pem"),
        ...JSON.parse(arns),
        endpoint,
        ...(kv ? { store: denoKvStore(kv), storeSecret: Deno.env.get("STORE_SECRET") } : {}),
    });
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(start) - Date.now())));
    const credentials = await provider();
    console.log(JSON.stringify({ accessKeyId: credentials.accessKeyId, ms: Date.now() - Number(start) }));
} finally {
    kv?.close();
}
