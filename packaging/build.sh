#!/usr/bin/env bash
# Build the one-folder texpaint app with PyInstaller and smoke-test it.
#
#   bash packaging/build.sh            build into dist/texpaint (and dist/texpaint.app on macOS)
#   bash packaging/build.sh --no-test  skip the smoke test
#
# Needs the project's virtual environment (.venv, see packaging/bootstrap.sh); installs
# PyInstaller into it if missing. Takes several minutes and a few GB of disk (torch).
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
[[ -x $py ]] || py=.venv/Scripts/python.exe   # Windows (Git Bash)
[[ -x $py ]] || { echo "no .venv: run bash packaging/bootstrap.sh test first" >&2; exit 2; }

"$py" -m PyInstaller --version >/dev/null 2>&1 || "$py" -m pip install "pyinstaller>=6.3"
QT_QPA_PLATFORM=offscreen "$py" packaging/make_icons.py
"$py" -m PyInstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller \
    packaging/texpaint.spec

if [[ ${1:-} != --no-test ]]; then
    "$py" packaging/smoke_test.py
fi
echo "built: dist/texpaint/"
