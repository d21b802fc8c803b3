// SigV4 bench, Node (not a test): one signed STS request by ours, aws4fetch and
// @smithy/signature-v4 (+ @smithy/hash-node), medians over N calls each in interleaved blocks,
// ratios measured in the same run; and a cached credential-provider hit (bench-sigv4-lib.js).
//   node tests/js/bench-sigv4-node.mjs [N=3000]   (needs target/js-fixture.json; scripts/bench-sigv4 runs it)
import { readFileSync } from "node:fs";
import { SignatureV4 } from "@smithy/signature-v4";
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { AwsV4Signer } from "aws4fetch";
import * as api from "../../pkg/node.js";
import { fixturePath } from "./paths.js";
import { timeModes } from "./bench-lib.js";
import { SIGV4_MODES, checkSameSignature, sigv4Report, sigv4Scenarios, timeBatches, warmProvider } from "./bench-sigv4-lib.js";

const N = Number(process.argv[2] ?? 3000);
const libs = { signRequest: api.signRequest, AwsV4Signer, SignatureV4, HttpRequest, sha256: Hash.bind(null, "sha256") };
await checkSameSignature(libs);
const fixture = JSON.parse(readFileSync(fixturePath(), "utf8"));
console.log(`node ${process.version}: signed STS request, median of ${N} calls each (3 rounds of blocks); smithy hashes with @smithy/hash-node`);
const t = await timeModes(sigv4Scenarios(libs), N, { order: SIGV4_MODES });
const hit = await warmProvider(api, fixture);
console.log(sigv4Report(t, await timeBatches(hit)));
if (hit.calls() !== 1) throw new Error("the provider refetched during the bench");
