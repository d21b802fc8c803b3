# scripts/lib.sh: shared helpers for scripts/setup, scripts/test and later scripts.
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
