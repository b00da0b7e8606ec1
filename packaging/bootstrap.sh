#!/usr/bin/env bash
# Set up texpaint from a fresh checkout and run the app or the tests.
#
#   bash packaging/bootstrap.sh app [FILE]          open the painter (default: a bundled sample)
#   bash packaging/bootstrap.sh test [PYTEST ARGS]  run the test suite (Qt offscreen)
#
# Steps, all non-interactive and safe to repeat:
#   1. install the system libraries Qt needs, if missing and if we are root or have
#      passwordless sudo (otherwise print the apt-get command and go on);
#   2. create .venv in the repository with Python >= 3.11, if missing;
#   3. pip install -e ".[test]" (again only when pyproject.toml changed).
# "test" runs ruff check, ruff format --check, lint-imports and mypy before pytest.
# Environment: TEXPAINT_PYTHON=python3.12 picks the interpreter; TEXPAINT_TORCH_INDEX sets
# a pip index for torch (default: the same index as every other package).
set -euo pipefail

usage() {
    echo "usage: bash packaging/bootstrap.sh app [FILE] | test [PYTEST ARGS]" >&2
    exit 2
}

[[ $# -ge 1 ]] || usage
mode=$1
shift
case "$mode" in app | test) ;; *) usage ;; esac

# A FILE given relative to the caller's folder must be resolved before we cd.
file_arg=""
if [[ $mode == app && $# -ge 1 ]]; then
    file_arg=$(realpath -- "$1")
    shift
fi

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

log() { echo "bootstrap: $*" >&2; }

# ---- 1. system libraries ---------------------------------------------------------------
# shared library -> Debian/Ubuntu package. The first group is needed by QtGui itself (also on
# the offscreen platform used by the tests); the xcb group only by the X11 window platform.
declare -A gui_libs=(
    [libEGL.so.1]=libegl1 [libGL.so.1]=libgl1 [libfontconfig.so.1]=libfontconfig1
    [libglib-2.0.so.0]=libglib2.0-0 [libdbus-1.so.3]=libdbus-1-3
    [libxkbcommon.so.0]=libxkbcommon0
)
declare -A xcb_libs=(
    [libxkbcommon-x11.so.0]=libxkbcommon-x11-0 [libxcb-cursor.so.0]=libxcb-cursor0
    [libxcb-icccm.so.4]=libxcb-icccm4 [libxcb-keysyms.so.1]=libxcb-keysyms1
    [libxcb-shape.so.0]=libxcb-shape0 [libxcb-randr.so.0]=libxcb-randr0
    [libxcb-render-util.so.0]=libxcb-render-util0 [libxcb-image.so.0]=libxcb-image0
    [libX11-xcb.so.1]=libx11-xcb1 [libxcb-xkb.so.1]=libxcb-xkb1
)

missing_packages() {
    local -n libs=$1
    local known lib
    # "ldconfig -p" lines read "<TAB>libEGL.so.1 (libc6,x86-64) => /lib/...".
    known=$({ ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null || true; } | awk '{print $1}')
    for lib in "${!libs[@]}"; do
        grep -q -x -F "$lib" <<<"$known" || echo "${libs[$lib]}"
    done
}

install_system_libs() {
    command -v apt-get >/dev/null 2>&1 || { log "no apt-get; install Qt's system libraries yourself if Qt fails to start"; return 0; }
    local pkgs
    pkgs=$(missing_packages gui_libs)
    if [[ $mode == app ]]; then pkgs="$pkgs $(missing_packages xcb_libs)"; fi
    pkgs=$(echo $pkgs | tr ' ' '\n' | sort -u | tr '\n' ' ')
    [[ -n ${pkgs// /} ]] || return 0
    local sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            sudo=(sudo -n)
        else
            log "missing system libraries for Qt; please run:"
            log "  sudo apt-get install -y --no-install-recommends $pkgs"
            return 0
        fi
    fi
    log "installing system libraries: $pkgs"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    # shellcheck disable=SC2086
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $pkgs
}

# ---- 2. virtual environment ------------------------------------------------------------
find_python() {
    local candidates=("${TEXPAINT_PYTHON:-}" python3.13 python3.12 python3.11 python3)
    local py
    for py in "${candidates[@]}"; do
        [[ -n $py ]] || continue
        command -v "$py" >/dev/null 2>&1 || continue
        if "$py" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
            echo "$py"
            return 0
        fi
    done
    return 1
}

make_venv() {
    if [[ -x .venv/bin/python ]]; then return 0; fi
    local py
    py=$(find_python) || { log "error: Python 3.11 or newer is needed (set TEXPAINT_PYTHON)"; exit 1; }
    log "creating .venv with $py"
    "$py" -m venv .venv || { log "error: '$py -m venv' failed (on Debian/Ubuntu: apt-get install python3-venv)"; exit 1; }
}

install_package() {
    local stamp=.venv/.texpaint-install-stamp want
    want=$(sha256sum pyproject.toml | cut -d' ' -f1)
    if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then return 0; fi
    .venv/bin/python -m pip install -q --upgrade pip
    # torch comes from the configured package index like every other dependency; set
    # TEXPAINT_TORCH_INDEX (e.g. https://download.pytorch.org/whl/cpu) to take it from elsewhere.
    if [[ -n ${TEXPAINT_TORCH_INDEX:-} ]] && ! .venv/bin/python -c 'import torch' 2>/dev/null; then
        log "installing torch from $TEXPAINT_TORCH_INDEX"
        .venv/bin/python -m pip install -q "torch>=2.2,<=2.14.1" --index-url "$TEXPAINT_TORCH_INDEX"
    fi
    log "installing texpaint and its test dependencies"
    .venv/bin/python -m pip install -q -e ".[test]"
    echo "$want" >"$stamp"
}

if [[ $mode == app && -z ${DISPLAY:-} && -z ${WAYLAND_DISPLAY:-} ]]; then
    log "error: no display (neither DISPLAY nor WAYLAND_DISPLAY is set)."
    log "On a headless machine run it under a virtual X server (a screen wider than the"
    log "1400 px window; xvfb-run's default 1280x1024 is too narrow):"
    log "  sudo apt-get install -y xvfb xauth"
    log "  xvfb-run -a -s \"-screen 0 1600x1000x24\" bash packaging/bootstrap.sh app"
    exit 1
fi

install_system_libs
make_venv
install_package

# ---- 3. run ----------------------------------------------------------------------------
case "$mode" in
app)
    exec .venv/bin/texpaint "${file_arg:-resources/samples/polyhaven__brick_wall_005_diff_1k.jpg}"
    ;;
test)
    # The checks first (any failure stops here): lint, formatting, the import-linter layer
    # contracts and the type checker over the packages listed in pyproject's [tool.mypy].
    log "checks: ruff check, ruff format --check, lint-imports, mypy"
    .venv/bin/ruff check .
    .venv/bin/ruff format --check .
    .venv/bin/lint-imports
    .venv/bin/mypy
    QT_QPA_PLATFORM=offscreen exec .venv/bin/python -m pytest -q "$@"
    ;;
esac
