import ArgumentParser
import Foundation
import XbarBoard
import XbarDevice
import XbarInstrument
import XbarJobs
import XbarWire

/// `xbar-bench program`: write-verify quality and cost, ISPP baseline against adaptive.
struct ProgrammingBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "program",
        abstract: "Program a 64x64 tile of the simulated board with both algorithms and print yield, pulses, round trips, bytes and time.",
        discussion: """
            Targets are uniform in the programmable range (fixed seed); tolerance is +/-1 % of the \
            nominal range. Yield is judged on the simulated board's true conductances over cells \
            that are not stuck. Run twice: with the instrument's default device parameters, and \
            with the noisiest of the realistic ranges (cycle-to-cycle 50 %, read noise 3 %, \
            device-to-device 30 % on the step fractions, 2 % stuck cells).

            Example:
              swift run -c release xbar-bench program
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
    @Option(help: "Settle wait before the final re-verify, seconds of board time (relaxation).")
    var settleSeconds = 50.0
    @Option(help: "Full-tile verify rounds before the settle wait.")
    var verifyRounds = 1
    @Option(help: "Verify read averaging (default: from the read noise and tolerance).")
    var averages: Int?
    @Flag(help: "Print each operation's progress to standard error.")
    var verbose = false

    func run() throws {
        let inst = try InstrumentCatalog.resolve(instrument, instrumentsDirectory: nil)
        print("xbar-bench program: \(inst.name), tile \(tile), board seed \(seed), target seed \(targetSeed); "
              + "\(verifyRounds) verify round(s), then \(settleSeconds) s settle and re-verify")
        var noisy = inst.device
        noisy.nonVolatile.cycleToCycleSpread = 0.5
        noisy.nonVolatile.readNoiseSpread = 0.03
        noisy.nonVolatile.setStepFraction.spread = 0.3
        noisy.nonVolatile.resetStepFraction.spread = 0.3
        noisy.nonVolatile.stuckAtMinRate = 0.01
        noisy.nonVolatile.stuckAtMaxRate = 0.01
        for (label, device) in [("instrument defaults", inst.device), ("noisiest realistic", noisy)] {
            print("\n== \(label): c2c \(percent(device.nonVolatile.cycleToCycleSpread)), read noise \(percent(device.nonVolatile.readNoiseSpread)), step d2d \(percent(device.nonVolatile.setStepFraction.spread)), stuck \(percent(device.nonVolatile.stuckAtMinRate + device.nonVolatile.stuckAtMaxRate))")
            let results = try ProgrammingAlgorithmKind.allCases.map { try measure($0, instrument: inst, device: device) }
            printTable(results)
            fflush(nil)
        }
    }

    struct Result {
        var algorithm: ProgrammingAlgorithmKind
        var cells: Int
        var nonStuck: Int
        var withinTolerance: Int
        var meanPulses: Double
        var p99Pulses: Int
        var roundTrips: Int
        var wireBytes: Int
        var wallSeconds: Double
        var wireSeconds: Double
        var reportedStuck: Int
        var reportedStuckTrue: Int
        var trulyStuck: Int
        var outOfPulses: Int
        var verifyAverages: Int
        var readVolts: Double
    }

    func measure(_ algorithm: ProgrammingAlgorithmKind, instrument inst: Instrument, device: DeviceParameters) throws -> Result {
        guard let info = inst.tile(UInt8(tile)), info.kind.isNonVolatile else {
            throw ValidationError("tile \(tile) of \(inst.name) is not a non-volatile tile")
        }
        let board = SimulatedBoard(instrument: inst, parameters: device, seed: seed)
        let meter = WireMeter(board)
        let range = ProgrammableRange(device: device.nonVolatile)
        var rng = Xoshiro256StarStar(seed: targetSeed)
        let targets = (0..<info.cellCount).map { _ in
            range.lowSiemens + (range.highSiemens - range.lowSiemens) * rng.nextOpenUnit()
        }
        var settings = ProgrammingSettings.standard(
            tolerance: .percentOfRange(1), scheme: inst.defaultBiasScheme, device: device.nonVolatile, limits: inst.limits,
            adcFullScaleAmperes: Double(inst.adc.readFullScaleAmperes), maxPayloadBytes: SimulatedBoard.maxPayloadBytes)
        settings.settleSeconds = settleSeconds
        settings.verifyRounds = verifyRounds
        if let averages { settings.verifyAverages = averages }
        let runner = OperationRunner(board: meter, journal: DiscardingJournal(), settle: { board.advanceTime(seconds: $0) })
        let job = ProgrammingJob(targets: ProgrammingTargets(tiles: [(info, targets)]), algorithm: algorithm, settings: settings,
                                 device: device.nonVolatile, envelope: PulseEnvelope(limits: inst.limits), runner: runner)
        if verbose {
            job.onOperation = { _, r in
                FileHandle.standardError.write(Data("\(algorithm.rawValue) t=\(Double(board.boardTimeNanoseconds) / 1e9): round trip \(r.roundTrips), open \(r.outcomes.count - r.count(.converged) - r.count(.stuck)), pulses \(r.pulses.reduce(0, +))\n".utf8))
            }
        }
        let start = Date()
        let report = try job.run()[0]
        let wall = Date().timeIntervalSince(start)

        if verbose {
            let again = try board.readConductances(.tile(info.index), readVolts: settings.readVolts, averages: settings.verifyAverages)
            var worstRead = 0.0, worstVerified = 0.0
            for i in 0..<info.cellCount where report.outcomes[i] == .converged {
                let g = board.trueConductance(tile: info.index, row: i / Int(info.columns), column: i % Int(info.columns))
                worstRead = max(worstRead, abs(again[i] - g))
                worstVerified = max(worstVerified, abs(report.verifiedSiemens[i] - g))
            }
            FileHandle.standardError.write(Data("worst |read - true| \(worstRead), worst |verified - true| \(worstVerified)\n".utf8))
        }
        var nonStuck = 0, within = 0, trulyStuck = 0, reportedStuckTrue = 0
        for i in 0..<info.cellCount {
            let r = i / Int(info.columns), c = i % Int(info.columns)
            let stuck = board.isStuck(tile: info.index, row: r, column: c)
            if stuck {
                trulyStuck += 1
                if report.outcomes[i] == .stuck { reportedStuckTrue += 1 }
                continue
            }
            nonStuck += 1
            let g = board.trueConductance(tile: info.index, row: r, column: c)
            if abs(g - targets[i]) <= settings.toleranceSiemens { within += 1 }
            else if verbose {
                FileHandle.standardError.write(Data("miss \(i): target \(targets[i]) true \(g) verified \(report.verifiedSiemens[i]) pulses \(report.pulses[i]) \(report.outcomes[i]) \(board.cellParameters(tile: 0, row: r, column: c))\n".utf8))
            }
        }
        let sorted = report.pulses.sorted()
        return Result(algorithm: algorithm, cells: info.cellCount, nonStuck: nonStuck, withinTolerance: within,
                      meanPulses: Double(report.pulses.reduce(0, +)) / Double(info.cellCount),
                      p99Pulses: sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.99).rounded(.up)) - 1)],
                      roundTrips: meter.roundTrips, wireBytes: meter.requestBytes + meter.replyBytes,
                      wallSeconds: wall, wireSeconds: meter.wireSeconds(baud: baud),
                      reportedStuck: report.count(.stuck), reportedStuckTrue: reportedStuckTrue, trulyStuck: trulyStuck,
                      outOfPulses: report.count(.outOfPulses), verifyAverages: settings.verifyAverages, readVolts: settings.readVolts)
    }

    func printTable(_ results: [Result]) {
        func row(_ name: String, _ f: (Result) -> String) {
            print(name.padding(toLength: 36, withPad: " ", startingAt: 0)
                  + results.map { f($0).padding(toLength: 18, withPad: " ", startingAt: 0) }.joined())
        }
        row("", { $0.algorithm.rawValue })
        row("yield within +/-1 % (true G)", { String(format: "%.2f %%", 100 * Double($0.withinTolerance) / Double($0.nonStuck)) })
        row("  cells within / non-stuck", { "\($0.withinTolerance) / \($0.nonStuck)" })
        row("mean pulses per cell", { String(format: "%.2f", $0.meanPulses) })
        row("99th percentile pulses per cell", { "\($0.p99Pulses)" })
        row("round trips per cell", { String(format: "%.4f (%d)", Double($0.roundTrips) / Double($0.cells), $0.roundTrips) })
        row("wire bytes per cell", { String(format: "%.1f", Double($0.wireBytes) / Double($0.cells)) })
        row("wall time", { String(format: "%.3f s", $0.wallSeconds) })
        row("modelled wire time @ \(Int(baud)) Bd", { String(format: "%.3f s", $0.wireSeconds) })
        row("reported stuck (truly stuck)", { "\($0.reportedStuck) (\($0.reportedStuckTrue))" })
        row("truly stuck cells found", { "\($0.reportedStuckTrue) of \($0.trulyStuck)" })
        row("out of pulses", { "\($0.outOfPulses)" })
        row("verify read", { String(format: "%.2f V x %d", $0.readVolts, $0.verifyAverages) })
    }

    func percent(_ x: Double) -> String { String(format: "%g %%", 100 * x) }
}
