# scripts/lib.sh: shared helpers for scripts/setup, scripts/test and later scripts.
# shellcheck shell=bash
# Source it (`. "$(dirname "$0")/lib.sh"`); it only defines variables and functions.
#
#   REPO_ROOT            absolute path of the repository root
#   rustup_has_wasm      true if rustup's active toolchain has wasm32-unknown-unknown (never
#                        calls `rustup target add`: that hangs on machines without rustup's server)
#   wasm_env             exports what a wasm32-unknown-unknown cargo build needs (see below)
#
# Typical use, in a subshell so the variables do not leak into host builds:
#   ( wasm_env; cargo build --target wasm32-unknown-unknown --no-default-features $BUILD_STD_CORE )
# BUILD_STD_* are deliberately unquoted so that they vanish when empty.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

WASM_TARGET=wasm32-unknown-unknown

# rustup_has_wasm: exit status 0 when rustup's active toolchain (for this repo) has the wasm32
# target installed. `rustup target list --installed` is local, but guard it with a timeout in case
# a toolchain file ever makes rustup try to download a toolchain.
rustup_has_wasm() {
    command -v rustup >/dev/null 2>&1 || return 1
    (cd "$REPO_ROOT" && timeout 30 rustup target list --installed 2>/dev/null) |
        grep -qx "$WASM_TARGET"
}

# wasm_env: export the environment for a wasm32-unknown-unknown build.
#   With rustup's wasm32 target: nothing special, BUILD_STD_CORE / BUILD_STD_STD are empty.
#   Otherwise (Debian 12 `rustc-web rust-web-src lld-19`): RUSTC/RUSTDOC=/usr/bin/rustc{,doc},
#   RUSTC_BOOTSTRAP=1 (for -Zbuild-std on a stable cargo), linker wasm-ld-19,
#   BUILD_STD_CORE="-Zbuild-std=core,alloc" (no_std crates), BUILD_STD_STD="-Zbuild-std=std,panic_abort"
#   (std crates, cdylibs), and CARGO_TARGET_DIR=<target>/wasm-debian so the Debian rustc's artifacts
#   never invalidate rustup's cache in target/.
# Always exports WASM_TOOLCHAIN (rustup|debian) and WASM_TARGET_DIR (where the wasm32-unknown-unknown/
# directory with the build output ends up).
wasm_env() {
    local base_target="${CARGO_TARGET_DIR:-$REPO_ROOT/target}"
    if rustup_has_wasm; then
        export WASM_TOOLCHAIN=rustup
        export BUILD_STD_CORE="" BUILD_STD_STD=""
        export WASM_TARGET_DIR="$base_target"
    else
        if [ ! -x /usr/bin/rustc ] || ! command -v wasm-ld-19 >/dev/null 2>&1 ||
            [ ! -d /usr/lib/rustlib/src/rust/library ]; then
            echo "wasm_env: no wasm32 toolchain: neither rustup's $WASM_TARGET target nor" \
                "Debian's rustc-web rust-web-src lld-19 (run scripts/setup)" >&2
            return 1
        fi
        export WASM_TOOLCHAIN=debian
        export RUSTC=/usr/bin/rustc
        export RUSTDOC=/usr/bin/rustdoc
        export RUSTC_BOOTSTRAP=1
        export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-19
        export BUILD_STD_CORE="-Zbuild-std=core,alloc"
        export BUILD_STD_STD="-Zbuild-std=std,panic_abort"
        export CARGO_TARGET_DIR="$base_target/wasm-debian"
        export WASM_TARGET_DIR="$CARGO_TARGET_DIR"
    fi
}

# ---- progress lines and the log ----------------------------------------------------------------
# Long steps (installs, builds) print one line each with their elapsed time and send their own
# output to a log file. Logs hold build and install output only, never key material.
#   log_open NAME        LOG=$ROLESANYWHERE_LOG when a calling script opened one (this script then
#                        appends to it), else <target>/logs/NAME.log, emptied, and exported as
#                        ROLESANYWHERE_LOG so the scripts this one runs log to the same file.
#                        LOG_OWNER=1 when this script opened it.
#   show_path PATH       PATH relative to the directory the script was started from, when below it
#   logged PREFIX DESC CMD...
#                        prints "PREFIX: DESC ... ", runs CMD (a program, not a shell function:
#                        errexit is off inside `||`) with its output appended to the log, then
#                        "ok (Ns)"; on failure "FAILED (exit N after Ns)", the log's last lines and
#                        its path on stderr; returns CMD's status
#   log_tail PREFIX      the log's last lines and its path, on stderr

START_DIR="$PWD"

# shellcheck disable=SC2034 # LOG_OWNER is read by the scripts that source this file
log_open() {
    LOG_OWNER=0
    if [ -z "${ROLESANYWHERE_LOG:-}" ]; then
        local dir="${CARGO_TARGET_DIR:-$REPO_ROOT/target}/logs"
        mkdir -p "$dir"
        ROLESANYWHERE_LOG="$dir/$1.log"
        : >"$ROLESANYWHERE_LOG"
        export ROLESANYWHERE_LOG
        LOG_OWNER=1
    fi
    LOG="$ROLESANYWHERE_LOG"
}

show_path() {
    case "$1" in
    "$START_DIR"/*) echo "${1#"$START_DIR"/}" ;;
    *) echo "$1" ;;
    esac
}

logged() {
    local prefix="$1" desc="$2"
    shift 2
    local t0=$SECONDS rc=0
    printf '%s: %s ... ' "$prefix" "$desc"
    printf '\n==== %s %s: %s\n+ %s\n' "$(date '+%F %T')" "$prefix" "$desc" "$*" >>"$LOG"
    "$@" </dev/null >>"$LOG" 2>&1 || rc=$?
    if [ "$rc" -eq 0 ]; then
        echo "ok ($((SECONDS - t0))s)"
        return 0
    fi
    echo "FAILED (exit $rc after $((SECONDS - t0))s)"
    echo "==== exit $rc" >>"$LOG"
    log_tail "$prefix"
    return "$rc"
}

log_tail() {
    {
        echo "$1: the last lines of $(show_path "$LOG"):"
        tail -n 40 "$LOG" | sed 's/^/  | /'
        echo "$1: the whole log: $(show_path "$LOG")"
    } >&2
}

# ---- processes and temporary files: leave nothing behind ---------------------------------------
# For scripts that start processes or make temporary files. After `cleanup_on_exit`, every exit
# (normal, failure, Ctrl-C, SIGTERM, SIGHUP) stops every process group started by `spawn` or
# `run_spawned` (SIGTERM, SIGKILL after 5 s, then reaped), removes every directory made by
# `temp_dir`, and keeps the script's exit status (130, 143, 129 for INT, TERM, HUP).
#   cleanup_on_exit       installs the traps (EXIT, INT, TERM, HUP)
#   temp_dir VAR PREFIX   VAR=a new directory $TMPDIR/PREFIX.XXXXXX (mktemp -d), removed on exit
#   spawn CMD...          CMD (a program) in the background, in a session and process group of its
#                         own (setsid), stdin from /dev/null; SPAWNED_PID is its pid = its group's id
#   run_spawned CMD...    spawn CMD, wait for it, stop anything its group left; returns CMD's status.
#                         Unlike a foreground command, a signal to the script stops it at once,
#                         children (e.g. node's workerd) included.
#   stop_spawned PID...   stop_groups, and forget them (before the exit, e.g. to say so)
#   stop_groups PGID...   SIGTERM to each process group, SIGKILL to what is left after 5 s, reap
# Call these in the script's own shell, not in a pipeline or $(...): they keep their lists in
# shell variables.

_CLEANUP_GROUPS=()
_CLEANUP_PATHS=()

cleanup_on_exit() {
    trap _cleanup_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP
}

_cleanup_exit() {
    local rc=$?
    trap '' INT TERM HUP
    set +e
    [ ${#_CLEANUP_GROUPS[@]} -eq 0 ] || stop_groups "${_CLEANUP_GROUPS[@]}"
    [ ${#_CLEANUP_PATHS[@]} -eq 0 ] || rm -rf -- "${_CLEANUP_PATHS[@]}"
    exit "$rc"
}

temp_dir() {
    local dir
    dir="$(mktemp -d "${TMPDIR:-/tmp}/$2.XXXXXX")"
    _CLEANUP_PATHS+=("$dir")
    printf -v "$1" '%s' "$dir"
}

spawn() {
    # A background child of a shell without job control is never a process group leader, so
    # setsid(1) does not fork: the pid is the new session's and group's id.
    setsid "$@" </dev/null &
    SPAWNED_PID=$!
    _CLEANUP_GROUPS+=("$SPAWNED_PID")
}

run_spawned() {
    spawn "$@"
    local pid="$SPAWNED_PID" rc=0
    wait "$pid" || rc=$?
    stop_spawned "$pid"
    return "$rc"
}

stop_spawned() {
    stop_groups "$@"
    local g kept=()
    for g in "${_CLEANUP_GROUPS[@]}"; do
        case " $* " in
        *" $g "*) ;;
        *) kept+=("$g") ;;
        esac
    done
    _CLEANUP_GROUPS=("${kept[@]}")
}

# _groups_alive PGID...: true while a process of one of these groups (or with one of these pids)
# is alive; zombies do not count.
_groups_alive() {
    ps -e -o pid=,pgid=,stat= | awk -v ids=" $* " '
        index(ids, " " $1 " ") || index(ids, " " $2 " ") { if ($3 !~ /^Z/) alive = 1 }
        END { exit !alive }'
}

stop_groups() {
    local g
    for g; do
        # The group, and the pid itself in case setsid has not run yet.
        kill -TERM -- "-$g" "$g" 2>/dev/null || true
    done
    for _ in $(seq 50); do
        _groups_alive "$@" || break
        sleep 0.1
    done
    if _groups_alive "$@"; then
        for g; do kill -KILL -- "-$g" "$g" 2>/dev/null || true; done
    fi
    for g; do wait "$g" 2>/dev/null || true; done
}
