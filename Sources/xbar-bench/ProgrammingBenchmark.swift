import ArgumentParser
import Foundation
import XbarBoard
import XbarDevice
import XbarInstrument
import XbarJobs
import XbarWire

/// `xbar-bench program`: write-verify quality and cost, the baselines (ISPP, width ramp, identical
/// pulses) against adaptive, each with and without the relaxation passes, judged as a lab judges
/// it: by a read-back after the run.
struct ProgrammingBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "program",
        abstract: "Program a 64x64 tile of the simulated board with each algorithm, with and without the relaxation passes, and print read-back yield, pulses, conversions, round trips, bytes and time.",
        discussion: """
            Targets are uniform in the programmable range (fixed seed). Every algorithm runs on \
            the same simulated chip (same seed) over the same metered wire. Yield is judged as a \
            lab judges it: by an independent read of the whole tile after the run has ended \
            (averaged like a verify read), right after the run and one hour of board time later, \
            over the cells that are truly not stuck; beside it the relaxation floor (the share of \
            cells relaxation alone leaves within tolerance at that time, had every cell been \
            exactly on target when last pulsed) and the yield on the true conductances at the end. \
            Board time is what the board spends on pulses and conversions at the simulated \
            instrument's durations, and separately its waits. Run with the instrument's default \
            device parameters at each tolerance, and with the noisiest of the realistic ranges \
            (cycle-to-cycle 50 %, read noise 3 %, device-to-device 30 % on the step fractions, 2 % \
            stuck cells) at the first.

            Example:
              swift build -c release --product xbar-bench && .build/release/xbar-bench program
            """)

    @Option(help: "Instrument name or file.")
    var instrument = "usb-4x64"
    @Option(help: "Seed of the simulated board.")
    var seed: UInt64 = 7
    @Option(help: "Seed of the random target map.")
    var targetSeed: UInt64 = 11
    @Option(help: "Tile to program.")
    var tile = 0
    @Option(help: "Serial line rate for the modelled wire time, baud (10 bits per byte).")
    var baud = 921_600.0
    @Option(help: "Tolerances, comma-separated: percent of the nominal range or siemens.")
    var tolerances = "1%,0.68uS"
    @Option(help: "Settle wait before the final re-verify, seconds of board time (0: none).")
    var settleSeconds = 0.0
    @Option(help: "Full-tile verify rounds before the relaxation passes.")
    var verifyRounds = 3
    @Option(help: "Relaxation passes when on (they are also run off).")
    var relaxationPasses = 2
    @Option(help: "Wait before the last relaxation pass, seconds of board time.")
    var relaxationWait = 10.0
    @Option(help: "Board time between the end of the run and the later read-back, seconds (more than 10: a read-back 10 s after the run comes between).")
    var laterSeconds = 3600.0
    @Option(help: "Verify read averaging (default: from the read noise and tolerance).")
    var averages: Int?
    @Option(help: "Algorithms to run, comma-separated (default: all); adaptive also runs with verify reads in the board's sense ranges, in the batch's own verify and by READs after it.")
    var algorithms: String?
    @Option(help: "With verify in ranges: bands of the full verify reads (each distinct range and averaging is a READ).")
    var fullReadBands = 8
    @Flag(help: "Print each operation's progress to standard error.")
    var verbose = false

    func run() throws {
        let inst = try InstrumentCatalog.resolve(instrument, instrumentsDirectory: nil)
        let tolerances = try self.tolerances.split(separator: ",").map { try Tolerance(parsing: String($0)) }
        guard !tolerances.isEmpty else { throw ValidationError("--tolerances: give at least one") }
        guard laterSeconds > 10, laterSeconds <= 604_800 else { throw ValidationError("--later-seconds \(laterSeconds): expected more than 10 s and at most a week") }
        print("xbar-bench program: \(inst.name), tile \(tile), board seed \(seed), target seed \(targetSeed); "
              + "\(verifyRounds) verify round(s), settle \(settleSeconds) s; relaxation passes \(relaxationPasses) "
              + "(last after \(relaxationWait) s) or none; read back right after the run and \(laterSeconds) s later")
        var noisy = inst.device
        noisy.nonVolatile.cycleToCycleSpread = 0.5
        noisy.nonVolatile.readNoiseSpread = 0.03
        noisy.nonVolatile.setStepFraction.spread = 0.3
        noisy.nonVolatile.resetStepFraction.spread = 0.3
        noisy.nonVolatile.stuckAtMinRate = 0.01
        noisy.nonVolatile.stuckAtMaxRate = 0.01
        let cases = tolerances.map { ("instrument defaults", inst.device, $0) } + [("noisiest realistic", noisy, tolerances[0])]
        for (label, device, tolerance) in cases {
            let nv = device.nonVolatile
            let tol = tolerance.siemens(rangeSiemens: ProgrammableRange(device: nv).nominalRangeSiemens)
            print("\n== \(label), tolerance \(tolerance) (+/-\(String(format: "%.3g", tol * 1e6)) uS): c2c \(percent(nv.cycleToCycleSpread)), read noise \(percent(nv.readNoiseSpread)), step d2d \(percent(nv.setStepFraction.spread)), stuck \(percent(nv.stuckAtMinRate + nv.stuckAtMaxRate)), relaxation \(percent(nv.relaxationSpreadPerDecade)) of the range per decade")
            var results: [Result] = []
            for algorithm in try chosenAlgorithms() {
                for passes in [relaxationPasses, 0] {
                    results.append(try measure(algorithm, passes: passes, tolerance: tolerance, instrument: inst, device: device))
                    if algorithm == .adaptive && passes > 0 {
                        // In the batch's own verify (the board has the capability), and as a board
                        // without it: the batch unverified, then a READ per band.
                        for inBatch in [true, false] {
                            results.append(try measure(algorithm, passes: passes, tolerance: tolerance, instrument: inst, device: device,
                                                       inRanges: true, inBatch: inBatch))
                        }
                    }
                }
            }
            printTable(results)
            fflush(nil)
        }
    }

    func chosenAlgorithms() throws -> [ProgrammingAlgorithmKind] {
        guard let algorithms else { return ProgrammingAlgorithmKind.allCases }
        return try algorithms.split(separator: ",").map {
            guard let kind = ProgrammingAlgorithmKind(rawValue: String($0)) else {
                throw ValidationError("--algorithms \($0): expected \(ProgrammingAlgorithmKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return kind
        }
    }

    struct Result {
        var label: String
        var cells: Int
        var nonStuck: Int
        var withinTrue: Int
        var withinNow: Int
        var withinSoon: Int
        var withinLater: Int
        var floorNow: Double
        var floorSoon: Double
        var floorLater: Double
        var meanPulses: Double
        var p99Pulses: Int
        var conversions: Int
        var roundTrips: Int
        var wireBytes: Int
        var wallSeconds: Double
        var wireSeconds: Double
        var boardSeconds: Double
        var waitSeconds: Double
        var relaxationPulses: Int
        var relaxationConversions: Int
        var relaxationBoardSeconds: Double
        var reportedStuck: Int
        var reportedStuckTrue: Int
        var trulyStuck: Int
        var outOfPulses: Int
        var verifyAverages: Int
        var readVolts: Double
        var inRanges: Bool
    }

    func measure(_ algorithm: ProgrammingAlgorithmKind, passes: Int, tolerance: Tolerance, instrument inst: Instrument,
                 device: DeviceParameters, inRanges: Bool = false, inBatch: Bool = true) throws -> Result {
        guard let info = inst.tile(UInt8(tile)), info.kind.isNonVolatile else {
            throw ValidationError("tile \(tile) of \(inst.name) is not a non-volatile tile")
        }
        let board = SimulatedBoard(instrument: inst, parameters: device, seed: seed)
        let clock = PulseClock(board)
        let meter = WireMeter(clock)
        let range = ProgrammableRange(device: device.nonVolatile)
        var rng = Xoshiro256StarStar(seed: targetSeed)
        let targets = (0..<info.cellCount).map { _ in
            range.lowSiemens + (range.highSiemens - range.lowSiemens) * rng.nextOpenUnit()
        }
        var settings = ProgrammingSettings.standard(
            tolerance: tolerance, scheme: inst.defaultBiasScheme, device: device.nonVolatile, limits: inst.limits,
            adcFullScaleAmperes: Double(inst.adc.readFullScaleAmperes), maxPayloadBytes: SimulatedBoard.maxPayloadBytes)
        settings.settleSeconds = settleSeconds
        settings.verifyRounds = verifyRounds
        settings.relaxationPasses = passes
        settings.relaxationWaitSeconds = relaxationWait
        // The benchmark reads back itself, the same way for every configuration.
        settings.readBack = false
        if let averages { settings.verifyAverages = averages }
        // The same chip and wire; only where the verify reads convert changes.
        if inRanges {
            settings.verifyRanges = try VerifyRanges(board: board.identify())
            settings.verifyRanges?.inBatch = inBatch
            settings.verifyRanges?.fullReadBands = fullReadBands
        }
        var waits = 0.0, waitCount = 0
        var passesStart: UInt64?
        let settleWaits = settleSeconds > 0 ? 1 : 0
        let runner = OperationRunner(board: meter, journal: DiscardingJournal(), settle: { seconds in
            // The waits after the settle wait are the relaxation passes'.
            waitCount += 1
            if passes > 0, passesStart == nil, waitCount > settleWaits { passesStart = board.boardTimeNanoseconds }
            waits += seconds
            board.advanceTime(seconds: seconds)
        })
        let job = ProgrammingJob(targets: ProgrammingTargets(tiles: [(info, targets)]), algorithm: algorithm, settings: settings,
                                 device: device.nonVolatile, envelope: PulseEnvelope(limits: inst.limits), runner: runner)
        if verbose {
            job.onOperation = { _, r in
                FileHandle.standardError.write(Data("\(algorithm.rawValue) t=\(Double(board.boardTimeNanoseconds) / 1e9): round trip \(r.roundTrips), open \(r.outcomes.count - r.count(.converged) - r.count(.stuck)), pulses \(r.pulses.reduce(0, +))\n".utf8))
            }
        }
        let startBoard = board.boardTimeNanoseconds
        let start = Date()
        let report = try job.run()[0]
        let wall = Date().timeIntervalSince(start)
        let endBoard = board.boardTimeNanoseconds
        let totalBoard = Double(endBoard - startBoard) / 1e9

        var nonStuck = 0, withinTrue = 0, trulyStuck = 0, reportedStuckTrue = 0
        var stuck = [Bool](repeating: false, count: info.cellCount)
        for i in 0..<info.cellCount {
            let r = i / Int(info.columns), c = i % Int(info.columns)
            stuck[i] = board.isStuck(tile: info.index, row: r, column: c)
            if stuck[i] {
                trulyStuck += 1
                if report.outcomes[i] == .stuck { reportedStuckTrue += 1 }
                continue
            }
            nonStuck += 1
            if abs(board.trueConductance(tile: info.index, row: r, column: c) - targets[i]) <= settings.toleranceSiemens { withinTrue += 1 }
        }
        // The lab's judgement: a whole-tile read after the run, then again after the wait.
        func readBack() throws -> (within: Int, floor: Double) {
            let now = Double(board.boardTimeNanoseconds) / 1e9
            let read = try board.readConductances(.tile(info.index), readVolts: settings.readVolts, averages: settings.verifyAverages)
            var within = 0
            var ages: [Double] = []
            for i in 0..<info.cellCount where !stuck[i] {
                if abs(read[i] - targets[i]) <= settings.toleranceSiemens { within += 1 }
                ages.append(now - (clock.lastPulseSeconds[i] ?? 0))
            }
            return (within, device.nonVolatile.relaxationFloor(toleranceSiemens: settings.toleranceSiemens, ageSeconds: ages))
        }
        let now = try readBack()
        // Ten seconds on: the cells the last pass touched up are relaxing fastest then.
        board.advanceTime(seconds: 10)
        let soon = try readBack()
        board.advanceTime(seconds: laterSeconds - 10)
        let later = try readBack()

        let sorted = report.pulses.sorted()
        return Result(label: algorithm.rawValue + (inRanges ? (inBatch ? ", ranges in batch" : ", ranges by READ") : passes > 0 ? "" : ", no passes"), cells: info.cellCount, nonStuck: nonStuck,
                      withinTrue: withinTrue, withinNow: now.within, withinSoon: soon.within, withinLater: later.within, floorNow: now.floor, floorSoon: soon.floor, floorLater: later.floor,
                      meanPulses: Double(report.pulses.reduce(0, +)) / Double(info.cellCount),
                      p99Pulses: sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.99).rounded(.up)) - 1)],
                      conversions: report.conversions, roundTrips: meter.roundTrips, wireBytes: meter.requestBytes + meter.replyBytes,
                      wallSeconds: wall, wireSeconds: meter.wireSeconds(baud: baud), boardSeconds: totalBoard - waits, waitSeconds: waits,
                      relaxationPulses: report.relaxationPulses, relaxationConversions: report.relaxationConversions,
                      relaxationBoardSeconds: passesStart.map { Double(endBoard - $0) / 1e9 } ?? 0,
                      reportedStuck: report.count(.stuck), reportedStuckTrue: reportedStuckTrue, trulyStuck: trulyStuck,
                      outOfPulses: report.count(.outOfPulses), verifyAverages: settings.verifyAverages, readVolts: settings.readVolts, inRanges: inRanges)
    }

    func printTable(_ results: [Result]) {
        func row(_ name: String, _ f: (Result) -> String) {
            print(name.padding(toLength: 44, withPad: " ", startingAt: 0)
                  + results.map { f($0).padding(toLength: 28, withPad: " ", startingAt: 0) }.joined())
        }
        func share(_ n: Int, _ r: Result) -> String { String(format: "%.2f %%", 100 * Double(n) / Double(max(r.nonStuck, 1))) }
        let later = laterSeconds == 3600 ? "1 h" : String(format: "%g s", laterSeconds)
        row("", { $0.label })
        row("read-back yield right after the run", { share($0.withinNow, $0) })
        row("  relaxation floor then", { String(format: "%.2f %%", 100 * $0.floorNow) })
        row("read-back yield 10 s later", { share($0.withinSoon, $0) })
        row("  relaxation floor then", { String(format: "%.2f %%", 100 * $0.floorSoon) })
        row("read-back yield \(later) later", { share($0.withinLater, $0) })
        row("  relaxation floor then", { String(format: "%.2f %%", 100 * $0.floorLater) })
        row("yield on true G at the end of the run", { share($0.withinTrue, $0) })
        row("  non-stuck cells", { "\($0.nonStuck)" })
        row("mean pulses per cell", { String(format: "%.2f", $0.meanPulses) })
        row("99th percentile pulses per cell", { "\($0.p99Pulses)" })
        row("conversions per cell", { String(format: "%.0f", Double($0.conversions) / Double($0.cells)) })
        row("board time per tile: pulses, conversions", { String(format: "%.2f s", $0.boardSeconds) })
        row("board time per tile: waits", { String(format: "%.0f s", $0.waitSeconds) })
        row("relaxation passes: pulses per cell", { String(format: "%.2f", Double($0.relaxationPulses) / Double($0.cells)) })
        row("relaxation passes: conversions per cell", { String(format: "%.0f", Double($0.relaxationConversions) / Double($0.cells)) })
        row("relaxation passes: board time", { String(format: "%.1f s", $0.relaxationBoardSeconds) })
        row("round trips per cell", { String(format: "%.4f (%d)", Double($0.roundTrips) / Double($0.cells), $0.roundTrips) })
        row("wire bytes per cell", { String(format: "%.1f", Double($0.wireBytes) / Double($0.cells)) })
        row("wall time", { String(format: "%.3f s", $0.wallSeconds) })
        row("modelled wire time @ \(Int(baud)) Bd", { String(format: "%.3f s", $0.wireSeconds) })
        row("reported stuck (truly stuck)", { "\($0.reportedStuck) (\($0.reportedStuckTrue))" })
        row("truly stuck cells found", { "\($0.reportedStuckTrue) of \($0.trulyStuck)" })
        row("out of pulses", { "\($0.outOfPulses)" })
        row("verify read", { String(format: $0.inRanges ? "%.2f V, bands x ≤%d" : "%.2f V x %d", $0.readVolts, $0.verifyAverages) })
    }

    func percent(_ x: Double) -> String { String(format: "%g %%", 100 * x) }
}

/// A board wrapper that notes when each cell of a tile was last pulsed, in seconds of the
/// simulated board's clock (the start of the request that pulsed it: pulses come first in a
/// batch, microseconds apart), for the relaxation floor.
final class PulseClock: Board {
    let inner: SimulatedBoard
    private(set) var lastPulseSeconds: [Int: Double] = [:]
    init(_ inner: SimulatedBoard) { self.inner = inner }
    var backendDescription: String { inner.backendDescription }

    func perform(_ request: Request) throws(BoardError) -> Reply {
        if case .pulseBatch(let batch) = request, let info = inner.instrument.tile(batch.tile) {
            let now = Double(inner.boardTimeNanoseconds) / 1e9
            for p in batch.pulses { lastPulseSeconds[Int(p.cell.row) * Int(info.columns) + Int(p.cell.column)] = now }
        }
        return try inner.perform(request)
    }
}
