#!/usr/bin/env bash
# The main job on the simulated board.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(swift build -c release --show-bin-path)
"$bin/xbar" --help
