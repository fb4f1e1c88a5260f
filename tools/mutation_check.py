#!/usr/bin/env python3
"""Mutation check: do the tests see realistic single faults in the code?

Applies one mutation at a time (a single textual change to one source file), runs the Swift
tests that should notice it (`swift test --filter`), restores the file, and reports for each
mutation whether the tests caught it. Prints the score: caught / (caught + survived).

The tree is always restored: each mutated file's original bytes are kept in memory and in
`.build/mutation-backup/` before the change, restored after the test run, on Ctrl-C and
SIGTERM, and at the next start if a previous run was killed outright.

Usage (from the package root; slow, since every mutation rebuilds what depends on it):

    python3 tools/mutation_check.py               # every mutation
    python3 tools/mutation_check.py --list        # list them
    python3 tools/mutation_check.py --check       # only check every mutation still applies
    python3 tools/mutation_check.py ID [ID ...]   # some of them

Exit status: 0 when the score reaches --target (default 0.9) and every mutation applied, else 1.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BACKUP = ROOT / ".build" / "mutation-backup"


@dataclass(frozen=True)
class Mutation:
    id: str
    path: str
    find: str
    replace: str
    tests: str
    what: str


M = Mutation
MUTATIONS = [
    # Framing and codec.
    M("frame-max-payload", "Sources/XbarWire/Framing/FrameHeader.swift",
      "guard length <= maxPayloadBytes else", "guard length < maxPayloadBytes else",
      "FrameSizeLimitTests", "a payload of exactly 64 KiB refused"),
    M("receiver-limit", "Sources/XbarWire/Framing/FrameReceiver.swift",
      "self.maxFrameBytes = max(maxFrameBytes, 1)", "self.maxFrameBytes = max(maxFrameBytes - 1, 1)",
      "FrameSizeLimitTests|FrameReceiverTests", "the receiver's stuffed-size limit one byte short"),
    M("crc-ignored", "Sources/XbarWire/Framing/FrameHeader.swift",
      "guard sent == computed else", "guard sent == computed || sent != computed else",
      "FrameReceiverTests|WireErrorTests", "CRC mismatch accepted"),
    M("version-ignored", "Sources/XbarWire/Framing/FrameHeader.swift",
      "guard version == FrameLayout.version else", "guard version == FrameLayout.version || version == 2 else",
      "WireErrorTests|ReceiptCheckTests", "version 2 accepted"),
    M("reply-flag-ignored", "Sources/XbarWire/Framing/FrameHeader.swift",
      "guard flags.contains(.reply) == opcode.isReply else", "guard flags.contains(.reply) == opcode.isReply || true else",
      "ReceiptCheckTests|WireErrorTests|FrameLevelFaultTests", "opcode and reply flag may disagree"),
    M("reserved-not-zero", "Sources/XbarWire/Codec/WireBytes.swift",
      "guard bytes[start..<start + count].allSatisfy({ $0 == 0 }) else", "guard bytes[start..<start + count].allSatisfy({ $0 == 0 }) || true else",
      "ReservedFieldTests", "reserved bytes not checked"),
    M("mask-bits-ignored", "Sources/XbarWire/Codec/CellSet+Wire.swift",
      "last >> UInt8(cellCount % 8) != 0", "last >> UInt8(cellCount % 8) != 0 && false",
      "ReservedFieldTests", "unused mask bits ignored"),
    M("mvm-readvolts-ignored", "Sources/XbarWire/Codec/Request+Wire.swift",
      "            if encoding == .voltage {\n                try r.zero", "            if encoding == .voltage && false {\n                try r.zero",
      "ReservedFieldTests", "MVM readVolts with voltage encoding not checked"),
    M("unexpected-opcode-code", "Sources/XbarWire/Codec/WireError.swift",
      "case .unknownOpcode, .unexpectedOpcode: return .unknownOpcode",
      "case .unknownOpcode: return .unknownOpcode\n        case .unexpectedOpcode: return .badArgument",
      "ReceiptCheckTests|FrameLevelFaultTests", "a reply opcode at the board answered badArgument"),
    # Board server and reply cache.
    M("looped-reply-cached", "Sources/XbarBoard/Server/BoardServer.swift",
      "guard !frame.header.opcode.isReply else {", "guard !frame.header.opcode.isReply || true else {",
      "FrameLevelFaultTests|SpecExampleExchangeTests", "a looped-back reply executed and its FAULT cached"),
    M("abort-ignored-by-train", "Sources/XbarBoard/Simulated/SimulatedBoard+Reads.swift",
      "if stopped(before: start + UInt64(k) * interval) {", "if false && stopped(before: start + UInt64(k) * interval) {",
      "ReadTrainAbortTests|SpecExampleExchangeTests", "ABORT does not stop a READ_TRAIN"),
    M("server-deaf-during-train", "Sources/XbarBoard/Server/BoardServer.swift",
      "if case .readTrain = request, let stoppable", "if false, case .readTrain = request, let stoppable",
      "ReadTrainAbortTests|SpecExampleExchangeTests", "the server does not listen while a train runs"),
    M("cache-stale-boundary", "Sources/XbarBoard/Server/ReplyCache.swift",
      "return ahead != 0 && ahead < 0x8000", "return ahead != 0 && ahead <= 0x8000",
      "ReplyCacheTests|ReplyWindowSpecTests|ExactlyOnceTests", "the half-way number taken as new instead of stale"),
    M("cache-no-replay", "Sources/XbarBoard/Server/ReplyCache.swift",
      "if let bytes = replies[sequence] { return .replay(bytes) }", "if false, let bytes = replies[sequence] { return .replay(bytes) }",
      "ReplyCacheTests|ExactlyOnceTests", "a retried request executed again"),
    # Electrical limits, host and board.
    M("energy-unchecked", "Sources/XbarWire/Limits/ElectricalLimits.swift",
      "if energy > maxPulseEnergyJoules {", "if energy > maxPulseEnergyJoules * 1000 {",
      "ElectricalLimitsTests|LimitRefusalMatrixTests", "pulse energy limit skipped"),
    M("reset-against-set", "Sources/XbarWire/Limits/ElectricalLimits.swift",
      "if -v > maxResetVolts {", "if -v > maxSetVolts {",
      "ElectricalLimitsTests|LimitRefusalMatrixTests", "RESET amplitude checked against the SET limit"),
    M("host-limits-skipped", "Sources/XbarBoard/Remote/RemoteBoard.swift",
      "if let fault = instrument.limits.check(request) { throw BoardError.fault(fault) }\n        if case .mvm(let m) = request",
      "if false, let fault = instrument.limits.check(request) { throw BoardError.fault(fault) }\n        if case .mvm(let m) = request",
      "LimitRefusalMatrixTests", "the host sends requests outside the limits"),
    M("board-pulse-limits", "Sources/XbarBoard/Simulated/SimulatedBoard+Pulses.swift",
      "        let selected = try cells(p.cells, of: tile)\n        try pass(limits)\n",
      "        let selected = try cells(p.cells, of: tile)\n",
      "LimitRefusalMatrixTests|SimulatedBoardProtocolTests", "PULSE not limit-checked on the board"),
    M("board-batch-limits", "Sources/XbarBoard/Simulated/SimulatedBoard+Pulses.swift",
      "PULSE_BATCH verify of \\(b.pulses.count) cells\")\n        }\n        try pass(limits)\n",
      "PULSE_BATCH verify of \\(b.pulses.count) cells\")\n        }\n",
      "LimitRefusalMatrixTests|SimulatedBoardProtocolTests", "PULSE_BATCH not limit-checked on the board"),
    M("board-train-limits", "Sources/XbarBoard/Simulated/SimulatedBoard+Reads.swift",
      "reads of \\(selected.count) cells\")\n        try pass(limits)\n",
      "reads of \\(selected.count) cells\")\n",
      "LimitRefusalMatrixTests", "READ_TRAIN not limit-checked on the board"),
    M("board-play-limits", "Sources/XbarBoard/Simulated/SimulatedBoard+Play.swift",
      "        try pass(limits)\n        clock.advance(by: timing.requestOverheadSeconds.wholeNanoseconds)\n        if l.chunkIndex == 0 { run = nil }",
      "        clock.advance(by: timing.requestOverheadSeconds.wholeNanoseconds)\n        if l.chunkIndex == 0 { run = nil }",
      "LimitRefusalMatrixTests", "PLAY_LOAD actions not limit-checked on the board"),
    M("board-mvm-limits", "Sources/XbarBoard/Simulated/SimulatedBoard+MatrixVectorProduct.swift",
      "let range = try senseRange(m.senseRange, \"MVM\")\n        try pass(limits)\n", "let range = try senseRange(m.senseRange, \"MVM\")\n",
      "LimitRefusalMatrixTests", "MVM not limit-checked on the board"),
    M("program-length-boundary", "Sources/XbarBoard/Simulated/SimulatedBoard+Play.swift",
      "if total > Int(instrument.limits.maxProgramActions) {", "if total >= Int(instrument.limits.maxProgramActions) {",
      "LimitRefusalMatrixTests", "a program of exactly the limit refused"),
    M("train-length-boundary", "Sources/XbarWire/Limits/ElectricalLimits.swift",
      "t.readCount > maxReadTrainLength {", "t.readCount > maxReadTrainLength + 1 {",
      "LimitRefusalMatrixTests|ElectricalLimitsTests", "a train one read over the limit accepted"),
    M("batch-verify-unchecked", "Sources/XbarWire/Limits/ElectricalLimits.swift",
      "if let f = checkRead(readVolts: v.readVolts, averages: averages)", "if false, let f = checkRead(readVolts: v.readVolts, averages: averages)",
      "LimitRefusalMatrixTests|ElectricalLimitsTests", "a batch's verify read not limit-checked"),
    M("mvm-beyond-dac", "Sources/XbarWire/Limits/DACInfo+Range.swift",
      "firstIndex(where: { abs($0) > fullScaleVolts })", "firstIndex(where: { abs($0) > 2 * fullScaleVolts })",
      "SpecificationBoardTests", "an MVM input beyond the DAC's full scale applied"),
    M("board-dac-unchecked", "Sources/XbarBoard/Simulated/SimulatedBoard+MatrixVectorProduct.swift",
      "if let beyond = instrument.dac.checkInputs(of: m) { throw BoardError.fault(beyond) }", "",
      "SpecificationBoardTests", "the board applies MVM inputs beyond its DAC"),
    M("host-dac-unchecked", "Sources/XbarBoard/Remote/RemoteBoard.swift",
      "if case .mvm(let m) = request, let fault = instrument.dac.checkInputs(of: m) { throw BoardError.fault(fault) }", "",
      "SpecificationBoardTests", "the host sends MVM inputs beyond the DAC"),
    # Host: replies and identity.
    M("reply-sequence-unchecked", "Sources/XbarBoard/Remote/RemoteBoard.swift",
      "guard frame.header.sequence == sequence, frame.header.flags.contains(.reply),",
      "guard frame.header.flags.contains(.reply),",
      "ReplyMatchingTests|ExactlyOnceTests", "the host takes a reply to another sequence number"),
    M("reply-opcode-unchecked", "Sources/XbarBoard/Remote/RemoteBoard.swift",
      "frame.header.opcode == expectedReply || frame.header.opcode == .fault else { continue }",
      "true else { continue }",
      "ReplyMatchingTests", "the host takes a reply of the wrong kind"),
    M("identity-compliance", "Sources/XbarInstrument/Instrument+Identity.swift",
      '(.complianceCurrent, "\\(limits.complianceAmperes)", "\\(board.complianceAmperes)"),',
      '(.complianceCurrent, "\\(limits.complianceAmperes)", "\\(limits.complianceAmperes)"),',
      "LimitMismatchTests", "IDENTIFY ignores the compliance"),
    M("identity-energy", "Sources/XbarInstrument/Instrument+Identity.swift",
      '(.pulseEnergy, "\\(limits.maxPulseEnergyJoules)", "\\(board.maxPulseEnergyJoules)"),',
      '(.pulseEnergy, "\\(limits.maxPulseEnergyJoules)", "\\(limits.maxPulseEnergyJoules)"),',
      "LimitMismatchTests", "IDENTIFY ignores the energy limit"),
    # Programming.
    M("batch-split-skipped", "Sources/XbarJobs/Programming/WriteVerifyProgrammer.swift",
      "if open.count > settings.maxPulsesPerBatch {", "if open.count > settings.maxPulsesPerBatch && false {",
      "BatchSizingTests", "batches not split at the board's payload"),
    M("batch-split-unfair", "Sources/XbarJobs/Programming/WriteVerifyProgrammer.swift",
      "open.sort { (pulses[$0], $0) < (pulses[$1], $1) }", "open.sort { $0 < $1 }",
      "BatchSizingTests", "split batches always take the same cells first"),
    M("pulses-per-payload", "Sources/XbarJobs/Programming/ProgrammingSettings.swift",
      "max(1, (maxPayloadBytes - 16) / 12)", "max(1, (maxPayloadBytes - 16) / 11)",
      "BatchSizingTests", "batches sized beyond the payload"),
    M("relaxation-passes-skipped", "Sources/XbarJobs/Programming/WriteVerifyProgrammer.swift",
      "if relaxationPassesDone < settings.relaxationPasses { return .relaxationWait }",
      "if false && relaxationPassesDone < settings.relaxationPasses { return .relaxationWait }",
      "RelaxationPassTests", "the run ends without its relaxation passes"),
    M("verify-averages-quarter", "Sources/XbarJobs/Programming/ProgrammingSettings.swift",
      "let wanted = (8 * sigma / toleranceSiemens).squared.rounded(.up)",
      "let wanted = (4 * sigma / toleranceSiemens).squared.rounded(.up)",
      "BatchSizingTests", "verify averaging four times too small"),
    M("envelope-reset-as-set", "Sources/XbarJobs/Programming/PulseEnvelope.swift",
      "(up ? maxSetVolts : maxResetVolts) * (1 - 1e-5)", "maxSetVolts * (1 - 1e-5)",
      "BatchSizingTests", "programming RESET amplitudes bounded by the SET limit"),
    M("envelope-energy-skipped", "Sources/XbarJobs/Programming/PulseEnvelope.swift",
      "let energyBound = complianceAmperes > 0 ? maxEnergyJoules / (abs(volts) * complianceAmperes) : .infinity",
      "let energyBound = Double.infinity",
      "BatchSizingTests", "programming widths ignore the energy limit"),
    # Calibration.
    M("fit-overdrive-guess", "Sources/XbarDevice/Fitting/SwitchingLawFit.swift",
      "overdriveScaleVolts: fitOverdriveScale ? p[0] : guess.overdriveScaleVolts,",
      "overdriveScaleVolts: guess.overdriveScaleVolts,",
      "FarGuessRecoveryTests", "the fit returns its starting overdrive scale"),
    M("fit-exponent-guess", "Sources/XbarDevice/Fitting/SwitchingLawFit.swift",
      "widthExponent: fitWidthExponent ? p[1] : guess.widthExponent, widthExponentUncertainty",
      "widthExponent: guess.widthExponent, widthExponentUncertainty",
      "FarGuessRecoveryTests", "the fit returns its starting width exponent"),
    M("calibration-overdrive-dropped", "Sources/XbarJobs/Calibration/NonVolatileAnalysis.swift",
      "        p.overdriveScaleVolts = law.overdriveScaleVolts\n", "",
      "FarGuessRecoveryTests", "the calibration file keeps the default overdrive scale"),
    # Command line.
    M("cli-third-as-half", "Sources/xbar/Options/BiasSchemeArgument.swift",
      "case .third: return .thirdVoltage", "case .third: return .halfVoltage",
      "BiasSchemeToBoardTests", "--bias-scheme third reaches the board as V/2"),
    M("cli-third-parsed-as-half", "Sources/xbar/Options/BiasSchemeArgument.swift",
      'case "third", "third-voltage": self = .third', 'case "third", "third-voltage": self = .half',
      "BiasSchemeToBoardTests", "third parsed as half"),
]


def restore_leftovers():
    """Puts back files a killed earlier run left mutated."""
    if not BACKUP.exists():
        return
    for saved in BACKUP.rglob("*"):
        if saved.is_file():
            original = ROOT / saved.relative_to(BACKUP)
            original.write_bytes(saved.read_bytes())
            saved.unlink()
            print(f"restored {original.relative_to(ROOT)} left mutated by an interrupted run", flush=True)


class Applied:
    """One mutation applied to the tree; restores the file when the block ends, however it ends."""

    current = None

    def __init__(self, mutation):
        self.mutation = mutation
        self.path = ROOT / mutation.path
        self.backup = BACKUP / mutation.path

    def __enter__(self):
        self.original = self.path.read_bytes()
        self.backup.parent.mkdir(parents=True, exist_ok=True)
        self.backup.write_bytes(self.original)
        text = self.original.decode()
        self.path.write_text(text.replace(self.mutation.find, self.mutation.replace, 1))
        Applied.current = self
        return self

    def restore(self):
        self.path.write_bytes(self.original)
        if self.backup.exists():
            self.backup.unlink()
        Applied.current = None

    def __exit__(self, *exc):
        self.restore()
        return False


RUNNING = []


def on_signal(number, frame):
    for process in RUNNING:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if Applied.current is not None:
        Applied.current.restore()
    print(f"\ninterrupted (signal {number}); the tree is restored", flush=True)
    sys.exit(130)


def problem(mutation):
    """Why a mutation cannot be applied, or None."""
    path = ROOT / mutation.path
    if not path.exists():
        return f"{mutation.path} does not exist"
    count = path.read_text().count(mutation.find)
    if count != 1:
        return f"the text to change occurs {count} times in {mutation.path}"
    return None


def run(command, timeout):
    """(exit status, seconds, last lines of output); status None on timeout."""
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)
    RUNNING.append(process)
    try:
        output, _ = process.communicate(timeout=timeout)
        return process.returncode, time.monotonic() - started, output
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        return None, time.monotonic() - started, output
    finally:
        RUNNING.remove(process)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("ids", nargs="*", help="mutations to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    parser.add_argument("--check", action="store_true", help="check that every mutation applies, build nothing")
    parser.add_argument("--timeout", type=float, default=1200, help="seconds per build and per test run (default 1200)")
    parser.add_argument("--target", type=float, default=0.9, help="score to reach (default 0.9)")
    args = parser.parse_args()

    restore_leftovers()
    known = {m.id: m for m in MUTATIONS}
    unknown = [i for i in args.ids if i not in known]
    if unknown:
        parser.error(f"unknown mutations: {', '.join(unknown)}")
    chosen = [known[i] for i in args.ids] if args.ids else MUTATIONS

    if args.list:
        for m in chosen:
            print(f"{m.id:32} {m.path}  [{m.tests}]  {m.what}")
        return 0

    problems = {m.id: p for m in chosen if (p := problem(m))}
    for id_, p in problems.items():
        print(f"NOT APPLICABLE {id_}: {p}", flush=True)
    if args.check:
        print(f"{len(chosen) - len(problems)} of {len(chosen)} mutations apply")
        return 1 if problems else 0

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    caught, survived, broken = [], [], []
    for n, m in enumerate(chosen, 1):
        if m.id in problems:
            continue
        with Applied(m):
            status, build_seconds, output = run(["swift", "build", "--build-tests"], args.timeout)
            if status != 0:
                # A mutation that does not compile says nothing about the tests.
                broken.append(m)
                tail = "\n".join(l for l in output.splitlines() if "error:" in l)[:600]
                print(f"[{n}/{len(chosen)}] BROKEN   {m.id}: does not build\n{tail}", flush=True)
                continue
            status, test_seconds, output = run(["swift", "test", "--skip-build", "--filter", m.tests], args.timeout)
        ran = "Test run with 0 tests" not in output and "No matching test cases" not in output
        if not ran:
            broken.append(m)
            verdict = "BROKEN   (no test matched the filter)"
        elif status == 0:
            survived.append(m)
            verdict = "SURVIVED"
        else:
            caught.append(m)
            verdict = "caught  " if status is not None else "caught   (timeout)"
        print(f"[{n}/{len(chosen)}] {verdict} {m.id}: {m.what} "
              f"(build {build_seconds:.0f} s, tests {test_seconds:.0f} s)", flush=True)

    if BACKUP.exists() and not any(p.is_file() for p in BACKUP.rglob("*")):
        shutil.rmtree(BACKUP, ignore_errors=True)
    judged = len(caught) + len(survived)
    score = len(caught) / judged if judged else 0.0
    print(f"\n{len(caught)} caught, {len(survived)} survived, {len(broken)} broken, "
          f"{len(problems)} not applicable: score {100 * score:.0f} % of {judged}")
    for m in survived:
        print(f"  survived: {m.id} ({m.path}): {m.what}")
    ok = score >= args.target and not problems and not broken
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
