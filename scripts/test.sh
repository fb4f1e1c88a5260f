#!/usr/bin/env bash
# The whole test suite: Swift tests (unit, end to end over pseudo-terminals and emulated USB),
# then the Python tools' tests.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests
swift build --product xbar
swift test --skip-build --parallel --num-workers 2
if [ -d tools/tests ]; then
    python3 -m pytest -q tools/tests
fi
# The Python reader of run stores, against stores the built xbar records.
python3 -m pytest -q -rs python/tests
# The USB emulator harness that the end-to-end USB tests stand on.
BENCH_SECONDS=0.3 tools/usb-emulator/selftest/run.sh
# Every reader of outside bytes under libFuzzer for a short budget, from the committed seeds
# (inputs that once crashed included); a longer run: scripts/fuzz.sh 600.
scripts/fuzz.sh "${FUZZ_SECONDS:-30}"
