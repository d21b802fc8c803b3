#!/usr/bin/env bash
# tests/scripts/leaves-nothing.sh CASE: runs a README command as a user would, in a session of its
# own, and checks its exit status and that it leaves nothing behind:
#   - no new entry in $TMPDIR (pointed at a fresh, empty directory for the run),
#   - no process it started: none that carries this run's marker in its environment (whatever
#     session or process group it moved to), none left in the session it ran in.
# Cases:
#   demo        scripts/demo runs to the end: exit 0
#   demo-fail   the stand-in fails to start (ROLESANYWHERE_CLI is a wrapper that refuses
#               `stand-in`): exit non-zero
#   demo-term   SIGTERM to scripts/demo while the Worker runs in workerd: exit 143
#   demo-int    SIGINT to its process group (Ctrl-C in a terminal) while the Worker runs: exit 130
#   www         scripts/www --port 0 serves the page, the package and the demo PKI; Ctrl-C: exit 0
#   www-fail    scripts/www on a port already taken: exit non-zero
# Needs what the scripts build (the release CLI, pkg/glue/); they build it themselves if missing.
# SKIP_SETUP=1 is passed on (the scripts then skip scripts/setup). Used by `scripts/test scripts`.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
case="${1:?usage: tests/scripts/leaves-nothing.sh demo|demo-fail|demo-term|demo-int|www|www-fail}"

mkdir -p target
base="$(mktemp -d "$root/target/leaves-nothing.XXXXXX")" # this test's own files, not in $TMPDIR
pid=""
holder=""
finish() {
    local rc=$?
    # Never leave the command under test running, whatever happened to this test.
    [ -z "$pid" ] || kill -KILL -- "-$pid" 2>/dev/null || true
    [ -z "$holder" ] || kill "$holder" 2>/dev/null || true
    rm -rf "$base"
    exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
    echo "leaves-nothing [$case]: FAILED: $*" >&2
    echo "---- output of the command:" >&2
    cat "$base/out" >&2 2>/dev/null || true
    exit 1
}

tmp="$base/tmp"
mkdir "$tmp"
marker="ROLESANYWHERE_LEAVES_NOTHING=$$.$RANDOM.$SECONDS"

# start CMD...: CMD in a new session (its pid is the session's and process group's id), with the
# marker and the fresh TMPDIR, output to $base/out. SIGINT and SIGQUIT back to their defaults, as
# in a terminal: a background job of a script starts with them ignored, and bash cannot trap a
# signal ignored when it starts.
start() {
    env "$marker" TMPDIR="$tmp" python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
signal.signal(signal.SIGQUIT, signal.SIG_DFL)
os.setsid()
os.execvp(sys.argv[1], sys.argv[1:])' "$@" </dev/null >"$base/out" 2>&1 &
    pid=$!
}

# finished SECONDS: wait up to SECONDS for the command to end; its exit status in $status.
status=""
finished() {
    local deadline=$((SECONDS + $1))
    while kill -0 "$pid" 2>/dev/null; do
        [ "$SECONDS" -lt "$deadline" ] || fail "still running after $1 s"
        # A zombie still answers kill -0: wait reaps it (only once it has exited).
        if [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" = Z ]; then break; fi
        sleep 0.2
    done
    status=0
    wait "$pid" || status=$?
    local sid="$pid"
    pid=""
    check_nothing_left "$sid"
}

# until_output TEXT SECONDS: wait until the command's output holds TEXT.
until_output() {
    local deadline=$((SECONDS + $2))
    until grep -qF -- "$1" "$base/out"; do
        kill -0 "$pid" 2>/dev/null || fail "ended before printing '$1'"
        [ "$SECONDS" -lt "$deadline" ] || fail "did not print '$1' within $2 s"
        sleep 0.1
    done
}

# marked: the live processes (not zombies) with the marker in their environment, "pid args" each.
marked() {
    local f p
    { grep -lszxF -- "$marker" /proc/[0-9]*/environ || true; } | while read -r f; do
        p="${f#/proc/}"
        p="${p%/environ}"
        ps -o stat=,pid=,args= -p "$p" 2>/dev/null | awk '$1 !~ /^Z/ { $1 = ""; print substr($0, 2) }' || true
    done
}

check_nothing_left() {
    local sid="$1" left
    left="$(ls -A "$tmp")"
    [ -z "$left" ] || fail "left in \$TMPDIR: $(echo "$left" | tr '\n' ' ')"
    left="$(marked)"
    [ -z "$left" ] || fail "processes left running:"$'\n'"$left"
    left="$(ps -e -o sid=,stat=,pid=,args= | awk -v s="$sid" '$1 == s && $2 !~ /^Z/')"
    [ -z "$left" ] || fail "processes left in its session:"$'\n'"$left"
}

expect_status() { # expect_status WANT|nonzero
    case "$1" in
    nonzero) [ "$status" -ne 0 ] || fail "exit status 0; want non-zero" ;;
    *) [ "$status" -eq "$1" ] || fail "exit status $status; want $1" ;;
    esac
}

# During the Worker step: the stand-in and the Worker's node (and workerd) are running.
at_worker_step() {
    until_output "== 5. " 1800
    local deadline=$((SECONDS + 10))
    until marked | grep -q "run-worker.mjs"; do
        [ "$SECONDS" -lt "$deadline" ] || fail "the Worker (node examples/run-worker.mjs) was not seen running"
        sleep 0.05
    done
    marked | grep -q "rolesanywhere stand-in" || fail "the stand-in was not seen running during the Worker step"
}

case "$case" in
demo)
    start scripts/demo
    finished 1800
    expect_status 0
    grep -q "^Done: stand-in stopped" "$base/out" || fail "no 'Done' line"
    grep -q "Verified OK" "$base/out" || fail "openssl did not verify the signature"
    ;;
demo-fail)
    cat >"$base/rolesanywhere" <<EOF
#!/bin/sh
if [ "\$1" = stand-in ]; then echo "stand-in: refusing to start (tests/scripts/leaves-nothing.sh)" >&2; exit 3; fi
exec "$root/target/release/rolesanywhere" "\$@"
EOF
    chmod +x "$base/rolesanywhere"
    start env ROLESANYWHERE_CLI="$base/rolesanywhere" scripts/demo
    finished 1800
    expect_status nonzero
    grep -q "the stand-in did not start" "$base/out" || fail "no message about the stand-in"
    ;;
demo-term)
    start scripts/demo
    at_worker_step
    kill -TERM "$pid"
    finished 30
    expect_status 143
    ;;
demo-int)
    start scripts/demo
    at_worker_step
    kill -INT -- "-$pid"
    finished 30
    expect_status 130
    ;;
www)
    start scripts/www --port 0
    until_output "Ctrl-C stops everything." 1800
    url="$(sed -n 's/^page: *//p' "$base/out")"
    [ -n "$url" ] || fail "no 'page:' line"
    for path in "" app.js pkg/glue/rolesanywhere_bg.wasm demo.json demo/p256.pem; do
        curl -fsS -o /dev/null "$url$path" || fail "GET $url$path failed"
    done
    [ -n "$(ls -A "$tmp")" ] || fail "no demo PKI in \$TMPDIR while it runs (is this test still right?)"
    marked | grep -q "rolesanywhere stand-in" || fail "the stand-in was not seen running"
    kill -INT -- "-$pid"
    finished 30
    expect_status 0
    ;;
www-fail)
    # A port that is taken: this test listens on it.
    python3 -c 'import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); print(s.getsockname()[1], flush=True)
time.sleep(3600)' >"$base/port" </dev/null &
    holder=$!
    for _ in $(seq 50); do [ -s "$base/port" ] && break; sleep 0.1; done
    port="$(cat "$base/port")"
    [ -n "$port" ] || fail "could not take a port for the test"
    start scripts/www --port "$port"
    finished 1800
    kill "$holder" 2>/dev/null || true
    wait "$holder" 2>/dev/null || true
    holder=""
    expect_status nonzero
    grep -q "EADDRINUSE" "$base/out" || fail "no EADDRINUSE in the output"
    ;;
*)
    echo "leaves-nothing: unknown case '$case'" >&2
    exit 2
    ;;
esac
echo "leaves-nothing [$case]: exit $status as expected; nothing left in \$TMPDIR, no process left"
