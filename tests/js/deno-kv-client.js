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
const kv = kvPath === "-" ? null : await Deno.openKv(kvPath);
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
