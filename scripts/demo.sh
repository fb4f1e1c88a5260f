#!/usr/bin/env bash
# The main job on the simulated board, the way a lab runs it on hardware: the board emulator
# runs as its own process behind a pseudo-terminal (a real serial device), and every step talks
# to it through the serial transport and wire protocol v1.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(swift build -c "${CONFIGURATION:-release}" --show-bin-path)
xbar() { "$bin/xbar" "$@"; }
step() { printf '\n==> %s\n' "$*"; }

work=$(mktemp -d /tmp/xbarlab-demo.XXXXXX)
store="$work/lab.sqlite"
board="serial:$work/board"
instrument=usb-4x64
# The report outlives the demo's scratch folder.
report="${REPORT:-out/demo-report.html}"
mkdir -p "$(dirname "$report")"

step "Board types in instruments/"
xbar instruments

step "Start the simulated $instrument board behind a pseudo-terminal ($work/board), its chip pristine as from the fab"
"$bin/xbar" sim --instrument "$instrument" --pty --link "$work/board" --seed 2026 --pristine >"$work/sim.out" 2>"$work/sim.err" &
sim=$!
cleanup() {
    kill "$sim" 2>/dev/null || true
    wait "$sim" 2>/dev/null || true
    cat "$work/sim.err"
    rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 100); do [ -e "$work/board" ] && break; sleep 0.05; done

step "Who is on the line"
xbar identify --board "$board" --instrument "$instrument"

model=examples/event_digits_s4d_ternary.safetensors
data=examples/event_digits_test.safetensors

step "The event-digits S4D (ternary weights) in the digital reference; its weights as conductance targets"
xbar infer --engine reference --model "$model" --data "$data" --instrument "$instrument" --limit 50 --map-out "$work/weights.npy"
target="$work/weights.npy"

step "Form the pristine chip: board-timed ramps under compliance, each cell stopped once formed"
for tile in 0 1 2 3; do
    xbar form --board "$board" --instrument "$instrument" --tile "$tile" --store "$store"
done

step "I-V curves of one row: SET and RESET voltages, on/off ratio"
xbar sweep --board "$board" --instrument "$instrument" --tile 0 --cells row:0 --shape bipolar --store "$store"

step "Write-verify the targets (adaptive algorithm), every batch logged in $store; the cells forming left unformed are programmed too, and end stuck"
xbar program --board "$board" --instrument "$instrument" --target "$target" --store "$store" --allow-unformed

step "The run store"
xbar runs list --store "$store"
program_run=$(xbar runs list --store "$store" | awk '$2 == "program" { print $1; exit }')
xbar runs show "$program_run" --store "$store"
xbar runs export "$program_run" --format npy --out "$work/shadow.npy" --store "$store"

step "Read the array back"
xbar read --board "$board" --instrument "$instrument" --tile 0 --averages 16 --out "$work/tile0.npy" --store "$store"

step "Chip-in-loop inference on the programmed board (matrix products on its tiles), against the reference"
xbar infer --engine both --model "$model" --data "$data" --board "$board" --instrument "$instrument" --limit 50 --store "$store"

step "Calibrate the device model from measurements (a small sample)"
xbar calibrate --board "$board" --instrument "$instrument" --cell-count 16 --node-count 32 --out "$work/calibration.json" --store "$store"

step "The calibrated model stands in for the board: the same job on the simulated board"
python3 -c "import numpy as np, sys; np.save(sys.argv[1], np.random.default_rng(1).uniform(5e-6, 60e-6, (64, 64)))" "$work/tile-target.npy"
xbar program --board sim --instrument "$instrument" --calibration "$work/calibration.json" --target "$work/tile-target.npy" --tile 0 --store "$store"
xbar runs list --store "$store"

step "Co-design: the event-digit SSM trained for usb-4x64-multitau's STM nodes (3/10/30/90 ms classes), its states held on the nodes"
"$bin/xbar" sim --instrument usb-4x64-multitau --pty --link "$work/stm-board" --seed 1 >"$work/sim2.out" 2>"$work/sim2.err" &
sim2=$!
trap 'kill "$sim2" 2>/dev/null || true; wait "$sim2" 2>/dev/null || true; cleanup' EXIT
for _ in $(seq 100); do [ -e "$work/stm-board" ] && break; sleep 0.05; done
xbar infer --engine both --program --board "serial:$work/stm-board" --instrument usb-4x64-multitau \
    --model examples/event_digits_event_ssm_usb-4x64-multitau.safetensors --data "$data" --limit 20 --compare-states --store "$store"

step "A report of every run in the store: one HTML file with the figures"
runs=$(xbar runs list --store "$store" | awk 'NR > 1 { print $1 }' | sort -n | tr '\n' ' ')
# shellcheck disable=SC2086
xbar report $runs --out "$report" --store "$store"
