#!/usr/bin/env bash
# Fuzzes the readers of outside bytes with libFuzzer: wire frames and messages, instrument
# files, target maps (NPY, CSV), model and data set files (safetensors).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Each target starts from its seed corpus in Fuzz/corpus/<target> (never written to: new
# inputs go to .build-fuzz/corpus/<target>), runs for the budget, and prints executions and
# coverage. A crash stops the script with libFuzzer's report and the crashing input under
# .build-fuzz/crashes/<target>/; rerun it with `.build-fuzz/debug/<target> FILE`.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(FuzzWire FuzzInstrument FuzzMaps FuzzSafeTensors)

export XBAR_FUZZ=1
for t in "${targets[@]}"; do
    swift build --build-path .build-fuzz -Xswiftc -sanitize=fuzzer --product "$t" 2>&1 | grep -v "^\[" || true
    [ -x ".build-fuzz/debug/$t" ] || { echo "fuzz: $t did not build" >&2; exit 1; }
done

status=0
for t in "${targets[@]}"; do
    mkdir -p ".build-fuzz/corpus/$t" ".build-fuzz/crashes/$t"
    seeds=()
    [ -d "Fuzz/corpus/$t" ] && seeds=("Fuzz/corpus/$t")
    # The shipped files are seeds too: instrument files, and the example models that fit.
    case $t in
        FuzzInstrument) seeds+=(instruments) ;;
        FuzzSafeTensors)
            mkdir -p .build-fuzz/seeds/$t
            find examples -name '*ssm*.safetensors' -size -64k -exec cp {} .build-fuzz/seeds/$t/ \;
            seeds+=(.build-fuzz/seeds/$t) ;;
    esac
    echo "fuzz: $t for ${seconds} s"
    # Swift's backtracer would hold a crashed process; libFuzzer reports the crash itself.
    if SWIFT_BACKTRACE=enable=no ".build-fuzz/debug/$t" ".build-fuzz/corpus/$t" "${seeds[@]}" \
        -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
        -artifact_prefix=".build-fuzz/crashes/$t/" -print_final_stats=1 \
        >".build-fuzz/$t.log" 2>&1; then
        grep -E "stat::number_of_executed_units|cov:" ".build-fuzz/$t.log" | tail -2 | sed "s/^/fuzz: $t: /"
    else
        status=1
        echo "fuzz: $t CRASHED; report:" >&2
        grep -v "^#" ".build-fuzz/$t.log" | tail -40 >&2
        ls ".build-fuzz/crashes/$t/" >&2
    fi
done
exit $status
