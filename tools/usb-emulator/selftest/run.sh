#!/bin/bash
# Self-test of tools/usb-emulator/usb_board_emulator.py.
#
# Builds libusb_echo.c, starts a PTY echo server (the "board"), and runs the
# client inside the emulated USB testbed: enumeration + strings + echo,
# timeout, unplug (--unplug-after and SIGUSR1), unix-socket board, exit-code
# pass-through, missing-dependency exit 77, no leftover testbeds, and a
# benchmark (round trips/s and throughput for 64 B and 16 KiB).
#
# Exit 0 if all passed, 1 if any failed, 77 if the prerequisites are missing.
# BENCH_SECONDS (default 2) sets the duration of each benchmark.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
EMU="$HERE/../usb_board_emulator.py"
PY=/usr/bin/python3
VID=1209
PID=58BA
APT="apt-get install -y umockdev gir1.2-umockdev-1.0 python3-gi libusb-1.0-0-dev pkg-config gcc"

if ! "$PY" -c 'import gi; gi.require_version("UMockdev", "1.0"); from gi.repository import UMockdev' 2>/dev/null \
   || ! pkg-config --exists libusb-1.0 || ! command -v cc >/dev/null; then
    echo "SKIP: prerequisites missing; install with: $APT" >&2
    exit 77
fi

WORK=$(mktemp -d /tmp/usbemu-selftest.XXXXXX)
SERVERS=()
cleanup() {
    for p in "${SERVERS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    rm -rf "$WORK"
}
trap cleanup EXIT

PASS=0
FAIL=0
ok()   { echo "PASS: $1"; PASS=$((PASS + 1)); }
bad()  { echo "FAIL: $1"; FAIL=$((FAIL + 1)); }

cc -O2 -Wall -Wextra -pthread -o "$WORK/libusb_echo" "$HERE/libusb_echo.c" $(pkg-config --cflags --libs libusb-1.0) || {
    echo "FAIL: cannot compile libusb_echo.c"; exit 1; }
CLIENT="$WORK/libusb_echo"

# start_server [--unix PATH] -> sets BOARD to the endpoint path
start_server() {
    "$PY" "$HERE/pty_echo_server.py" "$@" > "$WORK/server.out" &
    SERVERS+=($!)
    for _ in $(seq 100); do
        BOARD=$(head -n1 "$WORK/server.out" 2>/dev/null)
        [ -n "$BOARD" ] && return 0
        sleep 0.05
    done
    echo "FAIL: echo server did not start"; exit 1
}

emu() {  # emu [emulator options] -- cmd...
    timeout 60 "$PY" "$EMU" --vid 0x$VID --pid 0x$PID --serial XB0001 \
        --out-ep 0x01 --in-ep 0x81 "$@"
}

before=$(ls -d /tmp/umockdev.* 2>/dev/null | sort)

start_server
PTY_BOARD=$BOARD
echo "== board echo server on $PTY_BOARD"

echo "== 1. enumerate, descriptors, strings, echo over the PTY board"
out=$(emu --board "$PTY_BOARD" -- "$CLIENT" echo $VID $PID 2>&1); rc=$?
echo "$out" | sed 's/^/   /'
if [ $rc -eq 0 ] && grep -q '^serial: XB0001$' <<<"$out" && grep -q '^echo OK' <<<"$out"; then
    ok "echo + serial string"; else bad "echo (rc=$rc)"; fi

echo "== 2. bulk IN timeout, then the emulator still works"
out=$(emu --board "$PTY_BOARD" -- "$CLIENT" timeout $VID $PID 2>&1); rc=$?
echo "$out" | sed 's/^/   /'
if [ $rc -eq 0 ] && grep -q 'LIBUSB_ERROR_TIMEOUT' <<<"$out"; then
    ok "timeout"; else bad "timeout (rc=$rc)"; fi

echo "== 3. unplug after 1 s (--unplug-after) while a bulk IN is pending"
t0=$(date +%s%N)
out=$(emu --board "$PTY_BOARD" --unplug-after 1 -- "$CLIENT" unplug $VID $PID 2>&1); rc=$?
t1=$(date +%s%N)
echo "$out" | sed 's/^/   /'
if [ $rc -eq 0 ] && grep -q 'pending bulk IN at unplug: LIBUSB_ERROR_NO_DEVICE' <<<"$out"; then
    ok "unplug (--unplug-after), whole run $(( (t1 - t0) / 1000000 )) ms"
else bad "unplug --unplug-after (rc=$rc)"; fi

echo "== 4. unplug by SIGUSR1 to the emulator"
# (started without `timeout` so that $! is the emulator itself; it re-execs
# itself once, keeping its PID)
"$PY" "$EMU" --vid 0x$VID --pid 0x$PID --board "$PTY_BOARD" -- "$CLIENT" unplug $VID $PID > "$WORK/u2.out" 2>&1 &
epid=$!
( sleep 60; kill "$epid" 2>/dev/null ) & watchdog=$!
sleep 1.5
kill -USR1 "$epid"
wait "$epid"; rc=$?
kill "$watchdog" 2>/dev/null; wait "$watchdog" 2>/dev/null
sed 's/^/   /' "$WORK/u2.out"
if [ $rc -eq 0 ] && grep -q 'unplug OK' "$WORK/u2.out"; then
    ok "unplug (SIGUSR1)"; else bad "unplug SIGUSR1 (rc=$rc)"; fi

echo "== 5. unix stream socket as board endpoint"
start_server --unix "$WORK/board.sock"
out=$(emu --board "$WORK/board.sock" -- "$CLIENT" echo $VID $PID 2>&1); rc=$?
echo "$out" | tail -n1 | sed 's/^/   /'
if [ $rc -eq 0 ] && grep -q '^echo OK' <<<"$out"; then
    ok "unix socket board"; else bad "unix socket board (rc=$rc)"; fi

echo "== 6. child exit code and output pass through"
out=$(emu --board "$PTY_BOARD" -- sh -c 'echo to-stdout; echo to-stderr >&2; test -n "$UMOCKDEV_DIR" && exit 3' 2>&1); rc=$?
if [ $rc -eq 3 ] && grep -q to-stdout <<<"$out" && grep -q to-stderr <<<"$out"; then
    ok "exit code 3 passed through"; else bad "exit code pass-through (rc=$rc)"; fi

echo "== 7. missing umockdev/gi gives exit 77 and the apt command"
mkdir -p "$WORK/fakegi/gi"
echo 'raise ImportError("No module named gi (simulated)")' > "$WORK/fakegi/gi/__init__.py"
out=$(PYTHONPATH="$WORK/fakegi" "$PY" "$EMU" --vid 0x$VID --pid 0x$PID --board "$PTY_BOARD" -- true 2>&1); rc=$?
echo "$out" | sed 's/^/   /'
if [ $rc -eq 77 ] && grep -q 'apt-get install -y umockdev' <<<"$out"; then
    ok "exit 77 + apt hint"; else bad "missing-dependency handling (rc=$rc)"; fi

echo "== 8. benchmark (BENCH_SECONDS=${BENCH_SECONDS:-2} per size)"
out=$(emu --board "$PTY_BOARD" -- "$CLIENT" bench $VID $PID 2>&1); rc=$?
echo "$out" | sed 's/^/   /'
if [ $rc -eq 0 ] && [ "$(grep -c '^BENCH' <<<"$out")" -eq 2 ]; then
    ok "benchmark"; else bad "benchmark (rc=$rc)"; fi

echo "== 8b. same with a separate libusb event thread (ioctls from two threads)"
out=$(emu --board "$PTY_BOARD" -- "$CLIENT" threaded $VID $PID 2>&1); rc=$?
echo "$out" | sed 's/^/   /'
if [ $rc -eq 0 ] && grep -q '^BENCH' <<<"$out"; then
    ok "threaded event loop"; else bad "threaded event loop (rc=$rc)"; fi

echo "== 9. --unplug-on-board-eof: the board process dies while a bulk IN is pending"
start_server
EOF_BOARD=$BOARD
eofsrv=${SERVERS[-1]}
"$PY" "$EMU" --vid 0x$VID --pid 0x$PID --board "$EOF_BOARD" --unplug-on-board-eof -- "$CLIENT" unplug $VID $PID > "$WORK/u3.out" 2>&1 &
epid=$!
( sleep 60; kill "$epid" 2>/dev/null ) & watchdog=$!
sleep 1.5
kill "$eofsrv"
wait "$epid"; rc=$?
kill "$watchdog" 2>/dev/null; wait "$watchdog" 2>/dev/null
sed 's/^/   /' "$WORK/u3.out"
if [ $rc -eq 0 ] && grep -q 'unplug OK' "$WORK/u3.out"; then
    ok "unplug on board EOF"; else bad "unplug on board EOF (rc=$rc)"; fi

echo "== 10. no testbed directories left behind"
after=$(ls -d /tmp/umockdev.* 2>/dev/null | sort)
leaked=$(comm -13 <(echo "$before") <(echo "$after") | grep . || true)
if [ -z "$leaked" ]; then ok "no leftover /tmp/umockdev.*"; else bad "leftover testbeds: $leaked"; fi

echo
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
