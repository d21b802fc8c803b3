#!/usr/bin/env bash
# Generate the test PKI used by the integration tests.
#
#   tests/pki/generate.sh OUTDIR
#
# Needs only the `openssl` command line (OpenSSL 3.0 or later; override
# with OPENSSL=/path/to/openssl) and python3 (for manifest.json).
# File names are fixed; keys and serials are random on every run.
# See tests/pki/README.md for what every file is for.
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi

OPENSSL=${OPENSSL:-openssl}
PYTHON=${PYTHON:-python3}
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rolesanywhere-pki.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# Keep the generation independent of the user's openssl.cnf.
export OPENSSL_CONF="$WORK/openssl.cnf"

# --------------------------------------------------------------------------
# helpers

# Run openssl; on failure show the command and its stderr, then stop.
ossl() {
    local err="$WORK/err.$BASHPID"
    if ! "$OPENSSL" "$@" 2>"$err"; then
        echo "generate.sh: openssl $* failed:" >&2
        cat "$err" >&2
        exit 1
    fi
}

# A random 16-byte positive serial whose DER encoding is exactly 16 bytes
# (first byte 0x40..0x7f).
serial16() {
    local h
    h=$("$OPENSSL" rand -hex 16)
    printf '%02x%s\n' $(( (0x${h:0:2} & 0x7f) | 0x40 )) "${h:2}"
}

# A 20-byte serial starting 0x7f: the largest serial RFC 5280 allows.
serial20() {
    printf '7f%s\n' "$("$OPENSSL" rand -hex 19)"
}

# A 16-byte serial with the top bit set: DER needs a leading 0x00 (17 bytes).
serial_highbit() {
    local h
    h=$("$OPENSSL" rand -hex 16)
    printf '%02x%s\n' $(( 0x${h:0:2} | 0x80 )) "${h:2}"
}

# gen_ec CURVE OUTFILE: PKCS#8 PEM EC key on a named curve.
gen_ec() {
    ossl genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:$1" \
        -pkeyopt ec_param_enc:named_curve -out "$2"
}

# gen_rsa BITS OUTFILE: PKCS#8 PEM RSA key.
gen_rsa() {
    ossl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$1" -out "$2"
}

# issue OUT KEY SUBJECT EXT ISSUER(self|CERT) ISSUER_KEY START END SERIAL [MD [POLICY]]
# Issue a certificate with `openssl ca` (the only OpenSSL 3.0 command that
# takes explicit start and end dates).  EXT is an extensions section of the
# config below, or "none" for an X.509 v1 certificate without extensions.
# POLICY is a DN policy section of the config (default test_policy, which
# requires a CN; no_cn_policy takes a subject without one).
issue() {
    local out=$1 key=$2 subj=$3 ext=$4 issuer=$5 ikey=$6 start=$7 end=$8 serial=$9
    local md=${10:-sha256} policy=${11:-test_policy}
    local csr="$WORK/$(basename "$out").csr"
    ossl req -new -config "$CFG" -key "$key" -subj "$subj" -out "$csr"
    echo "$serial" >"$WORK/serial"
    local args=(ca -batch -config "$CFG" -notext -preserveDN -md "$md" -policy "$policy"
        -keyfile "$ikey" -in "$csr" -out "$out"
        -startdate "$start" -enddate "$end")
    if [ "$issuer" = self ]; then
        args+=(-selfsign)
    else
        args+=(-cert "$issuer")
    fi
    if [ "$ext" != none ]; then
        args+=(-extensions "$ext")
    fi
    ossl "${args[@]}"
}

# crl OUT ISSUER_CERT ISSUER_KEY LAST_UPDATE NEXT_UPDATE SERIAL...
# A v2 CRL (it carries a CRL number) signed by ISSUER listing the SERIALs (hex)
# as revoked on LAST_UPDATE, with explicit lastUpdate and nextUpdate. Each CRL
# gets its own CA database, so it lists exactly these serials.
crl() {
    local out=$1 cert=$2 key=$3 last=$4 next=$5
    shift 5
    local db
    db="$WORK/crl-$(basename "$out")"
    mkdir -p "$db"
    : >"$db/index.txt"
    local serial
    for serial in "$@"; do
        printf 'R\t340101000000Z\t%s\t%s\tunknown\t/CN=revoked\n' "${last:2}" \
            "$(echo "$serial" | tr a-f A-F)" >>"$db/index.txt"
    done
    echo 01 >"$db/crlnumber"
    sed -e "s|^database .*|database = $db/index.txt|" \
        -e "s|^serial .*|serial = $db/serial\ncrlnumber = $db/crlnumber|" "$CFG" >"$db/openssl.cnf"
    ossl ca -batch -config "$db/openssl.cnf" -gencrl -md sha256 -cert "$cert" -keyfile "$key" \
        -crl_lastupdate "$last" -crl_nextupdate "$next" -out "$out"
}

# --------------------------------------------------------------------------
# openssl config: a minimal CA plus one extensions section per profile.

CFG="$WORK/openssl.cnf"
mkdir -p "$WORK/newcerts"
: >"$WORK/index.txt"
cat >"$CFG" <<EOF
[ ca ]
default_ca = test_ca

[ test_ca ]
dir            = $WORK
database       = $WORK/index.txt
new_certs_dir  = $WORK/newcerts
serial         = $WORK/serial
default_md     = sha256
policy         = test_policy
unique_subject = no
email_in_dn    = no
copy_extensions = none

[ test_policy ]
commonName       = supplied
organizationName = optional

[ no_cn_policy ]
organizationName = optional

[ req ]
distinguished_name = req_dn
prompt             = no

[ req_dn ]
CN = unused

[ v3_root ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash

[ v3_int ]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_chain_ca ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ leaf ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = clientAuth
subjectAltName         = URI:spiffe://ORG.aws-us-west.example.io/ns/prj-demo/app, DNS:app.example.test
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ leaf_ca ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = clientAuth
subjectAltName         = URI:spiffe://ORG.aws-us-west.example.io/ns/prj-demo/app, DNS:app.example.test
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ leaf_no_digsig ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, keyEncipherment
extendedKeyUsage       = clientAuth
subjectAltName         = URI:spiffe://ORG.aws-us-west.example.io/ns/prj-demo/app, DNS:app.example.test
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ leaf_prj_other ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = clientAuth
subjectAltName         = URI:spiffe://ORG.aws-us-west.example.io/ns/prj-other/app, DNS:app.example.test
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ leaf_attrs ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = clientAuth
subjectAltName         = email:app@example.test, DNS:first.example.test, DNS:second.example.test, dirName:san_dir, URI:spiffe://ORG.aws-us-west.example.io/ns/prj-demo/app, dirName:san_dir2
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ san_dir ]
CN = san-name
OU = san-unit

[ san_dir2 ]
CN = second-name
EOF

cd "$OUT"
mkdir -p leaf-der

# --------------------------------------------------------------------------
# keys (RSA generation is the slow part: run it in the background)

gen_rsa 2048 rsa2048.pkcs8.pem & rsa2048_job=$!
gen_rsa 1024 rsa1024.pkcs8.pem & rsa1024_job=$!
gen_rsa 2048 other-rsa2048.pkcs8.pem & other_rsa_job=$!

gen_ec P-256 root.key
gen_ec P-256 int.key
gen_ec P-256 root2.key
gen_ec P-256 p256.pkcs8.pem
gen_ec P-384 p384.pkcs8.pem
gen_ec P-256 other.pkcs8.pem
gen_ec P-256 prj-other.pkcs8.pem
gen_ec P-384 other-p384.pkcs8.pem
gen_ec secp256k1 secp256k1.pkcs8.pem
ossl genpkey -algorithm ED25519 -out ed25519.key
for i in 1 2 3 4 5 6; do gen_ec P-256 "$WORK/chain$i.key"; done

# Every format of the P-256 and P-384 keys.
for k in p256 p384; do
    ossl pkey -in "$k.pkcs8.pem" -outform DER -out "$k.pkcs8.der"
    ossl ec -in "$k.pkcs8.pem" -out "$k.sec1.pem"
    ossl ec -in "$k.pkcs8.pem" -outform DER -out "$k.sec1.der"
done
# The p256 and other keys written without their optional public key (`-no_public`) and with it
# compressed (`-conv_form compressed`), as SEC1 and PKCS#8.
for k in p256 other; do
    ossl ec -in "$k.pkcs8.pem" -no_public -out "$k.sec1-nopub.pem"
    ossl pkcs8 -topk8 -nocrypt -in "$k.sec1-nopub.pem" -out "$k.pkcs8-nopub.pem"
    ossl ec -in "$k.pkcs8.pem" -conv_form compressed -out "$k.sec1-compressed.pem"
    ossl pkcs8 -topk8 -nocrypt -in "$k.sec1-compressed.pem" -out "$k.pkcs8-compressed.pem"
done
# `openssl ecparam -genkey` style: EC PARAMETERS block, then EC PRIVATE KEY.
ossl ecparam -name prime256v1 -out "$WORK/p256.params.pem"
cat "$WORK/p256.params.pem" p256.sec1.pem >p256.sec1-params.pem

# Encrypted keys (password "test").
ossl pkcs8 -topk8 -in p256.pkcs8.pem -v2 aes-256-cbc -v2prf hmacWithSHA256 \
    -passout pass:test -out p256.pkcs8-encrypted.pem
ossl ec -in p256.pkcs8.pem -aes256 -passout pass:test -out p256.sec1-encrypted.pem
# PBES2 variants as `openssl pkcs8 -topk8` and ACM export write them: each PRF and cipher, scrypt.
ossl pkcs8 -topk8 -in p256.pkcs8.pem -v2 aes-128-cbc -v2prf hmacWithSHA256 \
    -passout pass:test -out p256.pkcs8-aes128-sha256.pem
ossl pkcs8 -topk8 -in p256.pkcs8.pem -v2 aes-256-cbc -v2prf hmacWithSHA1 \
    -passout pass:test -out p256.pkcs8-aes256-sha1.pem
ossl pkcs8 -topk8 -in p256.pkcs8.pem -v2 aes-128-cbc -v2prf hmacWithSHA1 \
    -passout pass:test -out p256.pkcs8-aes128-sha1.pem
ossl pkcs8 -topk8 -in p256.pkcs8.pem -scrypt -passout pass:test -out p256.pkcs8-scrypt.pem
ossl pkcs8 -topk8 -in p384.pkcs8.pem -v2 aes-256-cbc -v2prf hmacWithSHA256 \
    -passout pass:test -outform DER -out p384.pkcs8-encrypted.der
# Schemes refused with a clear error: PBES1 (PKCS#12 PBE, 3DES) and PBES2 with 3DES.
ossl pkcs8 -topk8 -in p256.pkcs8.pem -v1 PBE-SHA1-3DES -passout pass:test -out p256.pkcs8-pbes1.pem
ossl pkcs8 -topk8 -in p256.pkcs8.pem -v2 des3 -passout pass:test -out p256.pkcs8-pbes2-3des.pem

# --------------------------------------------------------------------------
# CAs

START=20240101000000Z
END=20340101000000Z
CA_START=20230101000000Z
CA_END=20450101000000Z

issue root.pem root.key "/CN=Test Root CA" v3_root self root.key \
    "$CA_START" "$CA_END" "$(serial16)"
issue int.pem int.key "/CN=Test Intermediate CA/O=Test" v3_int root.pem root.key \
    "$CA_START" "$CA_END" "$(serial16)"
issue root2.pem root2.key "/CN=Test Secondary Root CA" v3_root self root2.key \
    "$CA_START" "$CA_END" "$(serial16)"
cat root.pem root2.pem >bundle.pem
cp int.pem chain.pem

# Six CA certificates: root -> chain1 -> ... -> chain6, written chain6 first
# (nearest a leaf first, as in an x-amz-x509-chain).
prev_cert=root.pem prev_key=root.key
for i in 1 2 3 4 5 6; do
    issue "$WORK/chain$i.pem" "$WORK/chain$i.key" "/CN=Test Chain CA $i/O=Test" \
        v3_chain_ca "$prev_cert" "$prev_key" "$CA_START" "$CA_END" "$(serial16)"
    prev_cert="$WORK/chain$i.pem" prev_key="$WORK/chain$i.key"
done
for i in 6 5 4 3 2 1; do cat "$WORK/chain$i.pem"; done >six-intermediates.pem

# --------------------------------------------------------------------------
# leaves, all signed by the intermediate

# MANIFEST rows: name<TAB>cert<TAB>keys(comma)<TAB>key_type<TAB>good<TAB>encrypted_keys(comma)
: >"$WORK/manifest.tsv"
leaf() { # leaf NAME KEY EXT START END SERIAL MD KEYS KEY_TYPE GOOD [ENCRYPTED_KEYS]
    issue "$1.pem" "$2" "/CN=$1/O=Test" "$3" int.pem int.key "$4" "$5" "$6" "$7"
    ossl x509 -in "$1.pem" -outform DER -out "leaf-der/$1.der"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$1.pem" "$8" "$9" "${10}" "${11:-}" \
        >>"$WORK/manifest.tsv"
}

P256_KEYS=p256.pkcs8.pem,p256.pkcs8.der,p256.sec1.pem,p256.sec1.der,p256.sec1-params.pem
P384_KEYS=p384.pkcs8.pem,p384.pkcs8.der,p384.sec1.pem,p384.sec1.der

p256_serial=$(serial16)
leaf p256 p256.pkcs8.pem leaf "$START" "$END" "$p256_serial" sha256 \
    "$P256_KEYS" p256 true p256.pkcs8-encrypted.pem,p256.sec1-encrypted.pem
leaf p384 p384.pkcs8.pem leaf "$START" "$END" "$(serial16)" sha256 \
    "$P384_KEYS" p384 true
leaf prj-other prj-other.pkcs8.pem leaf_prj_other "$START" "$END" "$(serial16)" sha256 \
    prj-other.pkcs8.pem p256 true
leaf serial20 p256.pkcs8.pem leaf "$START" "$END" "$(serial20)" sha256 \
    "$P256_KEYS" p256 true
leaf serial-highbit p256.pkcs8.pem leaf "$START" "$END" "$(serial_highbit)" sha256 \
    "$P256_KEYS" p256 true

# CA rotation: a workload certificate with the same SPIFFE ID issued by the secondary root
# directly (bundle.pem holds both roots). Not in the manifest: no intermediate leads to it.
gen_ec P-256 rotated.pkcs8.pem
issue rotated.pem rotated.pkcs8.pem "/CN=rotated/O=Test" leaf root2.pem root2.key \
    "$START" "$END" "$(serial16)"
# Another CA's certificate with p256.pem's serial number and the other key: the client's one-time
# key check remembers a checked key by the certificate's public key, not by its serial.
# `openssl ca` keeps one database for every issuer here and refuses a serial it has issued, so
# this one is issued with an empty database in its place.
mv "$WORK/index.txt" "$WORK/index.main" && : >"$WORK/index.txt"
issue same-serial.pem other.pkcs8.pem "/CN=same-serial/O=Test" leaf root2.pem root2.key \
    "$START" "$END" "$p256_serial"
mv "$WORK/index.main" "$WORK/index.txt"

# Certificates for the stand-in's AWS rules (session name, source identity, principal tags,
# revocation). Not in the manifest: their rules are the stand-in's, not the client's.
# attrs: UID, two DCs, three OUs, a value outside STS's tag pattern (L), and a SAN with an email
# address, two DNS names, two directory names and a URI (the first of each type is mapped).
issue attrs.pem p256.pkcs8.pem \
    "/DC=test/DC=example/UID=app-42/OU=Security/OU=Engineering/OU=Research/L=bad*value/O=Test/CN=attrs" \
    leaf_attrs int.pem int.key "$START" "$END" "$(serial16)"
# no-cn: no CN, and a serial whose first byte is 0x0a (its minimal hex has an odd length).
issue no-cn.pem p256.pkcs8.pem "/O=Test/OU=no-cn" leaf int.pem int.key "$START" "$END" \
    "0a$("$OPENSSL" rand -hex 15)" sha256 no_cn_policy
# CNs of 61, 62 and 64 characters: the limits of the source identity's CN= prefix.
for n in 61 62 64; do
    cn="cn$n-$(printf '%*s' $((n - 5)) '' | tr ' ' x)"
    issue "cn$n.pem" p256.pkcs8.pem "/CN=$cn/O=Test" leaf int.pem int.key "$START" "$END" "$(serial16)"
done
# Revocation: a leaf revoked by the intermediate (current, DER, expired CRLs), the same serial
# listed by the secondary root (which did not issue it), and an intermediate revoked by the
# root with a leaf under it.
revoked_serial=$(serial16)
issue revoked.pem p256.pkcs8.pem "/CN=revoked/O=Test" leaf int.pem int.key "$START" "$END" "$revoked_serial"
gen_ec P-256 int-revoked.key
int_revoked_serial=$(serial16)
issue int-revoked.pem int-revoked.key "/CN=Test Revoked Intermediate CA/O=Test" v3_int root.pem root.key \
    "$CA_START" "$CA_END" "$int_revoked_serial"
issue under-revoked-int.pem p256.pkcs8.pem "/CN=under-revoked-int/O=Test" leaf int-revoked.pem \
    int-revoked.key "$START" "$END" "$(serial16)"
crl int.crl.pem int.pem int.key 20240101000000Z 20340101000000Z "$revoked_serial"
ossl crl -in int.crl.pem -outform DER -out int.crl.der
crl int-expired.crl.pem int.pem int.key 20200101000000Z 20210101000000Z "$revoked_serial"
crl root2-same-serial.crl.pem root2.pem root2.key 20240101000000Z 20340101000000Z "$revoked_serial"
crl root.crl.pem root.pem root.key 20240101000000Z 20340101000000Z "$int_revoked_serial"

# Bad leaves: each differs from p256.pem in one property.
leaf expired p256.pkcs8.pem leaf 20200101000000Z 20210101000000Z "$(serial16)" sha256 \
    "$P256_KEYS" p256 false
leaf notyet p256.pkcs8.pem leaf 20400101000000Z 20410101000000Z "$(serial16)" sha256 \
    "$P256_KEYS" p256 false
leaf ca-leaf p256.pkcs8.pem leaf_ca "$START" "$END" "$(serial16)" sha256 \
    "$P256_KEYS" p256 false
leaf no-digsig p256.pkcs8.pem leaf_no_digsig "$START" "$END" "$(serial16)" sha256 \
    "$P256_KEYS" p256 false
leaf v1 p256.pkcs8.pem none "$START" "$END" "$(serial16)" sha256 \
    "$P256_KEYS" p256 false
leaf sha1 p256.pkcs8.pem leaf "$START" "$END" "$(serial16)" sha1 \
    "$P256_KEYS" p256 false
leaf ed25519 ed25519.key leaf "$START" "$END" "$(serial16)" sha256 \
    ed25519.key ed25519 false
leaf secp256k1 secp256k1.pkcs8.pem leaf "$START" "$END" "$(serial16)" sha256 \
    secp256k1.pkcs8.pem secp256k1 false

# RSA leaves (wait for the background key generation).
wait "$rsa2048_job"
wait "$rsa1024_job"
wait "$other_rsa_job"
ossl rsa -in other-rsa2048.pkcs8.pem -traditional -out other-rsa2048.pkcs1.pem
ossl pkey -in rsa2048.pkcs8.pem -outform DER -out rsa2048.pkcs8.der
ossl rsa -in rsa2048.pkcs8.pem -traditional -out rsa2048.pkcs1.pem
ossl rsa -in rsa2048.pkcs8.pem -traditional -outform DER -out rsa2048.pkcs1.der
ossl rsa -in rsa2048.pkcs8.pem -traditional -aes256 -passout pass:test \
    -out rsa2048.pkcs1-encrypted.pem
leaf rsa2048 rsa2048.pkcs8.pem leaf "$START" "$END" "$(serial16)" sha256 \
    rsa2048.pkcs8.pem,rsa2048.pkcs8.der,rsa2048.pkcs1.pem,rsa2048.pkcs1.der rsa2048 true \
    rsa2048.pkcs1-encrypted.pem
leaf rsa1024 rsa1024.pkcs8.pem leaf "$START" "$END" "$(serial16)" sha256 \
    rsa1024.pkcs8.pem rsa1024 false

for k in p256 p384 rsa2048; do
    cp "leaf-der/$k.der" "$k.cert.der"
done

# Full-chain certificate files (leaf first, then its intermediates), as cert-manager and ACME
# clients write them.
cat p256.pem chain.pem >p256-fullchain.pem
cat rsa2048.pem int.pem root.pem >rsa2048-fullchain-root.pem

# PKCS#12 (password "test"): OpenSSL 3 defaults (AES-256-CBC, PBKDF2-HMAC-SHA256, SHA-256
# MAC), unencrypted bags, and the legacy schemes: 3DES bags under a SHA-256 MAC, and `-legacy`
# (RC2-40 certificates, 3DES key, SHA-1 MAC).
ossl pkcs12 -export -in p256.pem -inkey p256.pkcs8.pem -certfile chain.pem \
    -passout pass:test -out p256.p12
ossl pkcs12 -export -in rsa2048.pem -inkey rsa2048.pkcs8.pem -certfile chain.pem \
    -passout pass:test -out rsa2048.p12
ossl pkcs12 -export -in p384.pem -inkey p384.pkcs8.pem \
    -keypbe NONE -certpbe NONE -passout pass:test -out p384-plain.p12
ossl pkcs12 -export -in p256.pem -inkey p256.pkcs8.pem -certfile chain.pem \
    -keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES -passout pass:test \
    -out p256-3des.p12
ossl pkcs12 -export -legacy -in p256.pem -inkey p256.pkcs8.pem -certfile chain.pem \
    -passout pass:test -out p256-legacy.p12
ossl pkcs12 -export -nokeys -in p256.pem -certfile chain.pem -passout pass:test \
    -out p256-nokey.p12
ossl pkcs12 -export -nocerts -inkey p256.pkcs8.pem -certfile chain.pem -passout pass:test \
    -out p256-nocert.p12

# --------------------------------------------------------------------------
# manifest.json

while IFS=$'\t' read -r name cert keys key_type good enc; do
    serial=$("$OPENSSL" x509 -in "$cert" -noout -serial)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
        "$name" "$cert" "$keys" "$key_type" "$good" "$enc" "${serial#serial=}"
done <"$WORK/manifest.tsv" >"$WORK/manifest2.tsv"

"$PYTHON" - "$WORK/manifest2.tsv" >manifest.json <<'EOF'
import json, sys

leaves = []
with open(sys.argv[1]) as f:
    for line in f:
        name, cert, keys, key_type, good, enc, serial_hex = line.rstrip("\n").split("\t")
        leaves.append({
            "name": name,
            "cert": cert,
            "cert_der": "leaf-der/%s.der" % name,
            "keys": keys.split(","),
            "encrypted_keys": enc.split(",") if enc else [],
            "password": "test",
            "serial_hex": serial_hex.lower(),
            "serial_decimal": str(int(serial_hex, 16)),
            "key_type": key_type,
            "good": good == "true",
        })
json.dump(leaves, sys.stdout, indent=2)
sys.stdout.write("\n")
EOF
