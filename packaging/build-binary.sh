#!/usr/bin/env bash
# Builds the server as one executable, for a box with no Python: Python, dashsnap and its libraries inside.
#   packaging/build-binary.sh [OUTPUT_DIR]      (default: dist; the binary is OUTPUT_DIR/dashsnap)
# PYTHON names the interpreter to build with; it needs requirements.txt and requirements-build.txt installed (the
# server's libraries and PyInstaller, at their locked versions: it refuses others). Default: .venv/bin/python,
# else python3.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
output="$(realpath -m "${1:-$root/dist}")"
python="${PYTHON:-}"
if [[ -z "$python" ]]; then
    if [[ -x "$root/.venv/bin/python" ]]; then python="$root/.venv/bin/python"; else python=python3; fi
fi
if ! "$python" -c 'import PyInstaller' 2>/dev/null; then
    echo "PyInstaller is not installed for $python: pip install -r requirements.txt -r requirements-build.txt" >&2
    exit 1
fi
if ! "$python" "$root/packaging/locked.py" "$root/requirements.txt" "$root/requirements-build.txt"; then
    echo "$python has other versions than the locks: pip install -r requirements.txt -r requirements-build.txt" >&2
    exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$python" -m PyInstaller --noconfirm --log-level WARN --distpath "$output" --workpath "$work" \
    "$root/packaging/dashsnap.spec"
echo "built $output/dashsnap"
