#!/usr/bin/env python3
"""CreateSession build+sign: AWS Labs' iam-rolesanywhere-session against this package.

A benchmark, not a test (scripts/bench-sigv4 runs it):
    python3 benches/bench_iam_rolesanywhere_session.py [RUNS=300]

Both sides build and sign the same CreateSession request (fixture case p256-pkcs8 of
target/js-fixture.json: the same ECDSA P-256 certificate and PKCS#8 key, the same ARNs, region
us-east-1, no chain, durationSeconds 3600) without sending it, key and certificate parsed once
up front on both sides:

- iam-rolesanywhere-session (pinned in tests/requirements.txt; Python, botocore, `cryptography`
  over OpenSSL): what IAMRolesAnywhereSession's credential refresh does before `send`:
  json.dumps of `_build_session_request_body()`, `AWSRequest`, `IAMRolesAnywhereSigner.add_auth`
  (timestamp, headers incl. base64 of the certificate DER, canonical request, SHA-256, ECDSA
  sign, Authorization) and `prepare()`.
- ours, in Node (tests/js/bench-session-serve.mjs, a child process): `createSessionRequest`
  with a CryptoKey (WebCrypto signs), with the PEM key on the default path (cached CryptoKey),
  and with signer "wasm" (the whole request built and signed in the wasm core); and a bare
  crypto.subtle.sign of the same string to sign, the floor of the CryptoKey paths in Node.

Timed one call at a time; RUNS calls of each, in 3 rounds of interleaved blocks (Python, then
each Node mode) so that machine load hits them alike; medians in µs, ratios ours:Python.
"""
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from botocore.awsrequest import AWSRequest
from iam_rolesanywhere_session import IAMRolesAnywhereSession

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 300
ROUNDS = 3
NODE_MODES = ["bare", "cryptoKey", "pem", "wasm"]

fixture = json.loads(Path(os.environ.get("ROLESANYWHERE_JS_FIXTURE", ROOT / "target/js-fixture.json")).read_text())
case = next(c for c in fixture["cases"] if c["name"] == "p256-pkcs8")
opts = case["options"]
session = IAMRolesAnywhereSession(
    profile_arn=opts["profileArn"],
    role_arn=opts["roleArn"],
    trust_anchor_arn=opts["trustAnchorArn"],
    certificate=opts["certificate"].encode(),
    private_key=opts["privateKey"].encode(),
    region="us-east-1",
)
signer = session._request_signer
url = f"https://{session.endpoint}/sessions"


def python_build_and_sign():
    request = AWSRequest(method="POST", url=url, data=json.dumps(session._build_session_request_body()))
    signer.add_auth(request)
    return request.prepare()


node = subprocess.Popen(
    ["node", str(ROOT / "tests/js/bench-session-serve.mjs")],
    stdin=subprocess.PIPE,
    stdout=subprocess.PIPE,
    text=True,
    cwd=ROOT,
)


def ask(line):
    node.stdin.write(line + "\n")
    node.stdin.flush()
    return json.loads(node.stdout.readline())


try:
    # The same request on both sides: signed headers, certificate, URL and body (signatures
    # differ: ECDSA is randomised; Python's body also states durationSeconds 3600, the default
    # that ours leaves out; prepare() adds an unsigned Content-Length, as fetch does when sending).
    ours = ask("show")
    theirs = python_build_and_sign()
    signed = lambda auth: auth.split("SignedHeaders=")[1].split(",")[0]  # noqa: E731
    ours_body = json.loads(ours["body"])
    their_body = json.loads(theirs.body)
    if signed(ours["headers"]["Authorization"]) != signed(theirs.headers["Authorization"]) or {"durationSeconds": 3600, **ours_body} != their_body:
        sys.exit(f"not the same request:\nours   {ours['headers']} {ours['body']}\ntheirs {dict(theirs.headers)} {theirs.body}")
    if ours["headers"]["X-Amz-X509"] != theirs.headers["X-Amz-X509"] or ours["url"] != theirs.url:
        sys.exit("not the same certificate header or URL")

    times = {m: [] for m in ["python"] + NODE_MODES}
    per_block = -(-RUNS // ROUNDS)
    for _ in range(ROUNDS):
        for _ in range(10):
            python_build_and_sign()
        for _ in range(per_block):
            t = time.perf_counter_ns()
            python_build_and_sign()
            times["python"].append((time.perf_counter_ns() - t) / 1000)
        for mode in NODE_MODES:
            ask(f"{mode} 10")
            times[mode] += ask(f"{mode} {per_block}")
finally:
    node.stdin.close()
    node.wait()

med = {m: statistics.median(xs) for m, xs in times.items()}
import botocore, cryptography, iam_rolesanywhere_session  # noqa: E402  (versions for the report)

print(
    f"CreateSession build+sign (ECDSA P-256, same certificate/key/ARNs, not sent), median of {RUNS} calls each, "
    f"{ROUNDS} rounds of interleaved blocks; python {sys.version.split()[0]}, iam-rolesanywhere-session "
    f"{getattr(iam_rolesanywhere_session, '__version__', '3.0.0')}, botocore {botocore.__version__}, cryptography {cryptography.__version__}"
)
label = {
    "python": "iam-rolesanywhere-session (add_auth + prepare)",
    "bare": "Node crypto.subtle.sign alone (floor of CryptoKey)",
    "cryptoKey": "ours, Node, CryptoKey",
    "pem": "ours, Node, PEM key (default path)",
    "wasm": 'ours, Node, signer "wasm"',
}
for m in ["python"] + NODE_MODES:
    ratio = "" if m == "python" else f"  ours:python {med[m] / med['python']:.2f}x time ({med['python'] / med[m]:.1f}x faster)"
    print(f"  {label[m]:<48} {med[m]:8.1f} µs{ratio}")
