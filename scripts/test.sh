#!/usr/bin/env bash
# Install Refrain with its test dependencies (pip and Debian's chromium) and run the whole test suite.
# Extra arguments go to pytest, e.g.: bash scripts/test.sh -k search
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
exec .venv/bin/python -m pytest "$@"
