#!/usr/bin/env bash
# Build the one-folder texpaint app with PyInstaller and smoke-test it.
#
#   bash packaging/build.sh              build from .venv into dist/texpaint (+ dist/texpaint.app
#                                        on macOS), then run packaging/smoke_test.py on it
#   bash packaging/build.sh --cpu        the same from build/venv-cpu, an environment with
#                                        torch's CPU-only wheel (a ~1 GB app instead of ~4.5 GB)
#   bash packaging/build.sh --no-test    skip the smoke test (combines with --cpu)
#
# The default build takes whatever torch .venv has: on Linux the PyPI wheel is the CUDA build,
# whose NVIDIA libraries (~3 GB) the app needs to start at all. --cpu creates build/venv-cpu on
# first use: $TEXPAINT_TORCH_SPEC (default "torch torchvision"; spandrel needs torchvision, and
# its compiled ops must match torch's build) from the index $TEXPAINT_TORCH_INDEX when set (the
# PyTorch CPU index, see packaging/README.md), then the other dependencies with torch and
# torchvision held at the versions installed. PyInstaller is installed into the build
# environment if missing. Takes several minutes and a few GB of disk.
set -euo pipefail
cd "$(dirname "$0")/.."

cpu=0 test=1
for arg in "$@"; do
    case "$arg" in
    --cpu) cpu=1 ;;
    --no-test) test=0 ;;
    *) echo "usage: bash packaging/build.sh [--cpu] [--no-test]" >&2; exit 2 ;;
    esac
done

venv_python() {  # the interpreter of a virtual environment, POSIX or Windows layout
    if [[ -x $1/bin/python ]]; then echo "$1/bin/python"; else echo "$1/Scripts/python.exe"; fi
}

if [[ $cpu == 1 ]]; then
    venv=build/venv-cpu
    py=$(venv_python "$venv")
    if [[ ! -x $py ]]; then
        base=$(venv_python .venv)  # same Python as .venv (venv uses its base interpreter)
        [[ -x $base ]] || base=python3
        "$base" -m venv "$venv"
        py=$(venv_python "$venv")
        "$py" -m pip install -q --upgrade pip
        index=()
        [[ -n ${TEXPAINT_TORCH_INDEX:-} ]] && index=(--index-url "$TEXPAINT_TORCH_INDEX")
        # shellcheck disable=SC2086  # the spec is a list of requirements
        "$py" -m pip install ${index[@]+"${index[@]}"} ${TEXPAINT_TORCH_SPEC:-torch torchvision}
        # hold torch and torchvision where they are (a plain resolve would fetch the CUDA wheels)
        "$py" -m pip list --format=freeze | grep -E '^(torch|torchvision)==' \
            >"$venv/torch-constraint.txt"
        "$py" -m pip install -c "$venv/torch-constraint.txt" -e . "pyinstaller>=6.3"
    fi
    if "$py" -c 'import sys, torch; sys.exit(0 if torch.version.cuda is None else 1)'; then :; else
        echo "build.sh --cpu: $venv has a CUDA torch ($("$py" -c 'import torch; print(torch.__version__)')); remove $venv and set TEXPAINT_TORCH_INDEX or TEXPAINT_TORCH_SPEC" >&2
        exit 2
    fi
    if ! "$py" -c 'import torch, torchvision; torch.ops.torchvision.nms' 2>/dev/null; then
        echo "build.sh --cpu: warning: torchvision's compiled ops do not load with this torch" \
            "(a CUDA torchvision beside the CPU torch?); importing community models will fail" >&2
    fi
    workpath=build/pyinstaller-cpu
else
    py=$(venv_python .venv)
    [[ -x $py ]] || { echo "no .venv: run bash packaging/bootstrap.sh test first" >&2; exit 2; }
    workpath=build/pyinstaller
fi

"$py" -m PyInstaller --version >/dev/null 2>&1 || "$py" -m pip install "pyinstaller>=6.3"
QT_QPA_PLATFORM=offscreen "$py" packaging/make_icons.py
start=$SECONDS
"$py" -m PyInstaller --noconfirm --clean --distpath dist --workpath "$workpath" \
    packaging/texpaint.spec
echo "build.sh: PyInstaller took $((SECONDS - start)) s; dist/texpaint is $(du -sh dist/texpaint | cut -f1)" \
    "(torch $("$py" -c 'import torch; print(torch.__version__)'))"

if [[ $test == 1 ]]; then
    "$py" packaging/smoke_test.py
fi
echo "built: dist/texpaint/"
