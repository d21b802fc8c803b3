// ML-DSA leaves for a test PKI (tests/pki/generate.sh) whose openssl (3.0) has no ML-DSA: used by
// the JS suite's fixture (tests/js/fixture.mjs) and the browser page's test (tests/js/www.test.mjs).
import { spawnSync } from "node:child_process";
import { X509Certificate, createPrivateKey, randomBytes, sign } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * ML-DSA-44/65/87 keys and leaf certificates written into the test PKI's `dir` (as
 * tests/common/mldsa.rs writes them for the Rust tests): each key's public key comes from Python
 * `dilithium-py` (tests/requirements.txt; ML-DSA.KeyGen_internal of a random seed), its PKCS#8
 * (`seed` form) and the certificate (`CN=mldsaNN, O=Test`, the prj-demo SPIFFE ID, issued by
 * int.pem with ECDSA-SHA256) are DER written here; the core's check that the key (expanded from
 * its seed by the `ml-dsa` crate) matches the certificate's public key (dilithium-py's) then
 * cross-checks the two key generations. Returns `[]`, with a note why, when python3 or
 * dilithium-py is missing: the suite's ML-DSA test then fails and points at that note.
 */
export function mlDsaCases(dir) {
    const sets = [["mldsa44", "ML-DSA-44", 17], ["mldsa65", "ML-DSA-65", 18], ["mldsa87", "ML-DSA-87", 19]];
    const seeds = sets.map(() => randomBytes(32));
    const python = `
import json, sys
from dilithium_py.ml_dsa import ML_DSA_44, ML_DSA_65, ML_DSA_87
sets = [ML_DSA_44, ML_DSA_65, ML_DSA_87]
json.dump([m.key_derive(bytes.fromhex(s))[0].hex() for m, s in zip(sets, json.load(sys.stdin))], sys.stdout)
`;
    const run = spawnSync(process.env.PYTHON ?? "python3", ["-c", python], { input: JSON.stringify(seeds.map((s) => s.toString("hex"))), encoding: "utf8" });
    if (run.status !== 0) {
        console.error(`fixture: no ML-DSA cases (python3 with dilithium-py: pip install -r tests/requirements.txt): ${run.error?.message ?? run.stderr}`);
        return [];
    }
    const publicKeys = JSON.parse(run.stdout).map((hex) => Buffer.from(hex, "hex"));
    const tlv = (tag, ...parts) => {
        const body = Buffer.concat(parts);
        const n = body.length;
        const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
        return Buffer.concat([Buffer.from([tag, ...len]), body]);
    };
    const seq = (...parts) => tlv(0x30, ...parts);
    const oid = (dotted) => {
        const [a, b, ...rest] = dotted.split(".").map(Number);
        const bytes = [40 * a + b];
        for (const arc of rest) {
            const groups = [];
            for (let v = arc; groups.length === 0 || v > 0; v = Math.floor(v / 128)) groups.unshift(v % 128);
            bytes.push(...groups.map((g, i) => (i < groups.length - 1 ? g | 0x80 : g)));
        }
        return tlv(0x06, Buffer.from(bytes));
    };
    const bitString = (bytes) => tlv(0x03, Buffer.from([0]), bytes);
    const name = (cn) => seq(
        tlv(0x31, seq(oid("2.5.4.3"), tlv(0x0c, Buffer.from(cn)))),
        tlv(0x31, seq(oid("2.5.4.10"), tlv(0x0c, Buffer.from("Test")))));
    const pemOf = (label, der) => `-----BEGIN ${label}-----\n${der.toString("base64").match(/.{1,64}/g).join("\n")}\n-----END ${label}-----\n`;
    const extension = (id, critical, value) => seq(oid(id), ...(critical ? [Buffer.from([0x01, 0x01, 0xff])] : []), tlv(0x04, value));
    const san = seq(tlv(0x86, Buffer.from("spiffe://ORG.aws-us-west.example.io/ns/prj-demo/app")), tlv(0x82, Buffer.from("app.example.test")));
    const extensions = seq(
        extension("2.5.29.19", true, seq()),
        extension("2.5.29.15", true, Buffer.from([0x03, 0x02, 0x07, 0x80])),
        extension("2.5.29.37", false, seq(oid("1.3.6.1.5.5.7.3.2"))),
        extension("2.5.29.17", false, san));
    const ecdsaSha256 = seq(oid("1.2.840.10045.4.3.2"));
    const intCert = new X509Certificate(readFileSync(join(dir, "int.pem")));
    const intKey = createPrivateKey(readFileSync(join(dir, "int.key")));
    // The issuer name as int.pem's subject is written: CN=Test Intermediate CA, O=Test.
    const issuer = name("Test Intermediate CA");
    if (intCert.subject !== "CN=Test Intermediate CA\nO=Test") throw new Error(`int.pem's subject is ${intCert.subject}`);
    return sets.map(([file, keyType, arc], i) => {
        const algorithm = seq(oid(`2.16.840.1.101.3.4.3.${arc}`));
        const serial = randomBytes(16);
        serial[0] = (serial[0] & 0x3f) | 0x40;
        const tbs = seq(
            tlv(0xa0, Buffer.from([0x02, 0x01, 0x02])), tlv(0x02, serial), ecdsaSha256, issuer,
            seq(tlv(0x17, Buffer.from("240101000000Z")), tlv(0x17, Buffer.from("340101000000Z"))),
            name(file), seq(algorithm, bitString(publicKeys[i])), tlv(0xa3, extensions));
        const certificate = seq(tbs, ecdsaSha256, bitString(sign("sha256", tbs, intKey)));
        const pkcs8 = seq(Buffer.from([0x02, 0x01, 0x00]), algorithm, tlv(0x04, tlv(0x80, seeds[i])));
        writeFileSync(join(dir, `${file}.pem`), pemOf("CERTIFICATE", certificate));
        writeFileSync(join(dir, `${file}.seed.pem`), pemOf("PRIVATE KEY", pkcs8));
        return { name: `${file}-seed`, keyType, cert: `${file}.pem`, key: `${file}.seed.pem`, publicKey: publicKeys[i] };
    });
}
