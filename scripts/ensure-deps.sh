#!/usr/bin/env bash
# Installs what building and testing XbarLab needs, when it is missing.
# As root it installs; otherwise it prints the exact command and fails.
set -euo pipefail

apt_packages=(
    pkg-config libusb-1.0-0-dev libserialport-dev libsqlite3-dev
    umockdev libumockdev-dev gir1.2-umockdev-1.0 python3-gi
    chromium
)
missing=()
for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing[*]}"
    if [ "$(id -u)" -eq 0 ]; then
        echo "ensure-deps: installing ${missing[*]}"
        sh -c "$cmd" >/tmp/xbarlab-apt.log 2>&1 || { echo "ensure-deps: apt failed, see /tmp/xbarlab-apt.log; command was: $cmd" >&2; exit 1; }
    else
        echo "ensure-deps: missing Debian packages. Run as root:" >&2
        echo "  $cmd" >&2
        exit 1
    fi
fi

if ! command -v swift >/dev/null 2>&1; then
    echo "ensure-deps: the Swift toolchain (6.0 or newer) is not on PATH; install it from swift.org and re-run." >&2
    exit 1
fi

# Python packages for the tools and for tests that write files with the real libraries.
py=${PYTHON:-python3}
if [ -f tools/requirements-test.txt ]; then
    if ! "$py" -c "import numpy, scipy, safetensors, pytest, pandas" >/dev/null 2>&1; then
        echo "ensure-deps: installing Python test packages"
        "$py" -m pip install -q -r tools/requirements-test.txt || {
            echo "ensure-deps: pip failed; run: $py -m pip install -r tools/requirements-test.txt" >&2; exit 1; }
    fi
fi
