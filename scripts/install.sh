#!/usr/bin/env bash
# Create .venv and install Refrain's dependencies into it (again only when a requirements file changed).
# Usage: bash scripts/install.sh [--test]   (--test adds the test dependencies, Ray for the Ray engine's tests,
#                                           and Debian's chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
want_test=0
[ "${1:-}" = "--test" ] && want_test=1

if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
stamp=".venv/.refrain-installed"
files="requirements.txt pyproject.toml"
[ "$want_test" = 1 ] && files="$files requirements-test.txt requirements-ray.txt"
digest=$(cat $files | sha256sum | cut -c1-16)-$want_test
if [ ! -f "$stamp" ] || ! grep -qx "$digest" "$stamp"; then
    .venv/bin/python -m pip install --quiet --upgrade pip setuptools==84.2.1
    # torch first, alone: the CPU wheel. A plain 'torch' requirement would pull a multi-GB CUDA build.
    .venv/bin/python -m pip install --quiet torch==2.13.0
    .venv/bin/python -m pip install --quiet -r requirements.txt
    if [ "$want_test" = 1 ]; then
        # Ray is optional for users (`build --engine ray`); the tests use it (about 10 s on top of the rest)
        .venv/bin/python -m pip install --quiet -r requirements-test.txt -r requirements-ray.txt
    fi
    # Refrain itself, editable: the `refrain` command, and `index`/`explorer` importable from anywhere
    .venv/bin/python -m pip install --quiet --no-deps --no-build-isolation -e .
    echo "$digest" > "$stamp"
fi

if [ "$want_test" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" != 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver >/dev/null
fi
