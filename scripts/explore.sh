#!/usr/bin/env bash
# Install Refrain and open the explorer on the bundled sample corpus (built on first start).
# Extra arguments go to `refrain explore`, e.g.: bash scripts/explore.sh --index /path/to/index
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/refrain explore "$@"
