// SigV4 bench, Deno (not a test): the calls of bench-sigv4-node.mjs through the package's web
// entry; @smithy/signature-v4 hashes with @smithy/hash-node through Deno's node:crypto.
//   deno run --allow-read=. --allow-env tests/js/bench-sigv4-deno.mjs [N=3000]   (scripts/bench-sigv4 runs it)
import { SignatureV4 } from "@smithy/signature-v4";
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { AwsV4Signer } from "aws4fetch";
import * as api from "../../pkg/web.js";
import { timeModes } from "./bench-lib.js";
import { SIGV4_MODES, checkSameSignature, sigv4Report, sigv4Scenarios, timeBatches, warmProvider } from "./bench-sigv4-lib.js";

const N = Number(Deno.args[0] ?? 3000);
const path = Deno.env.get("ROLESANYWHERE_JS_FIXTURE") ?? new URL("../../target/js-fixture.json", import.meta.url);
const fixture = JSON.parse(await Deno.readTextFile(path));
const libs = { signRequest: api.signRequest, AwsV4Signer, SignatureV4, HttpRequest, sha256: Hash.bind(null, "sha256") };
await checkSameSignature(libs);
console.log(`deno ${Deno.version.deno}: signed STS request, median of ${N} calls each (3 rounds of blocks); smithy hashes with @smithy/hash-node (node:crypto)`);
const t = await timeModes(sigv4Scenarios(libs), N, { order: SIGV4_MODES });
const hit = await warmProvider(api, fixture);
console.log(sigv4Report(t, await timeBatches(hit)));
if (hit.calls() !== 1) throw new Error("the provider refetched during the bench");
