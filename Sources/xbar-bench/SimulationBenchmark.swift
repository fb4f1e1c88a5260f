import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import XbarBoard
import XbarDevice
import XbarInstrument
import XbarWire

/// Throughput of the simulated board on one core: cell-pulses per second through PULSE_BATCH
/// and 64x64 matrix-vector products per second through batched MVM requests.
struct SimulationBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Measure the simulated board's cell-pulses per second and 64x64 MVMs per second.",
        discussion: """
            Runs PULSE_BATCH requests of 4096 cell-pulses (every cell of a 64x64 tile, SET and RESET \
            above threshold) and MVM requests of 64 vectors through SimulatedBoard.perform, on one \
            thread, for at least --seconds of wall time each, and prints the rates per second of the \
            benchmark thread's CPU time (one core) and per wall-clock second (lower when the machine \
            is shared). Targets, per core: 1,000,000 cell-pulses/s and 100,000 MVMs/s. Runs twice, \
            on an ideal array periphery and on the instrument's (line resistance, column amplifiers, \
            converter non-linearity, sneak currents), and prints both side by side.

            Example: swift run -c release xbar-bench sim --seconds 2
            """)

    @Option(help: "Minimum wall time per measurement, seconds.")
    var seconds: Double = 1

    @Option(help: "Seed of the simulated board.")
    var seed: UInt64 = 1

    @Option(help: "Instrument name or file; its first non-volatile tile is used.")
    var instrument: String = "usb-4x64"

    @Option(help: "Folder of instrument files (default: $XBAR_INSTRUMENTS, ./instruments, or beside the executable).")
    var instrumentsDir: String?

    func run() throws {
        let instrument = try InstrumentCatalog.resolve(self.instrument, instrumentsDirectory: instrumentsDir)
        guard let tile = instrument.weightTiles.first else {
            throw ValidationError("instrument \(instrument.name) has no non-volatile tile to benchmark")
        }
        print("simulated board: \(instrument.name) (\(instrument.model)), tile \(tile.index) \(tile.rows)x\(tile.columns), seed \(seed)")
        let ideal = try measureBoard(instrument, tile, periphery: .ideal, label: "ideal periphery")
        let physics = try measureBoard(instrument, tile, periphery: nil, label: "instrument's array periphery")
        print("\n| operation | ideal periphery (per core) | array periphery (per core) | ratio |")
        print("|---|---|---|---|")
        for (a, b) in zip(ideal, physics) {
            print("| \(a.what) | \(Int(a.rate.cpu.rounded())) \(a.unit) | \(Int(b.rate.cpu.rounded())) \(b.unit) | "
                  + String(format: "%.2f |", b.rate.cpu / a.rate.cpu))
        }
    }

    private struct Measured {
        var what: String
        var unit: String
        var rate: Rate
    }

    private func measureBoard(_ instrument: Instrument, _ tile: TileInfo, periphery: ArrayPeripheryParameters?,
                              label: String) throws -> [Measured] {
        let board = SimulatedBoard(instrument: instrument, periphery: periphery, seed: seed)
        print("\n\(label):")
        var generator = Xoshiro256StarStar(seed: seed)
        let rows = Int(tile.rows), columns = Int(tile.columns)
        let setThreshold = instrument.device.nonVolatile.setThresholdVolts.mean
        let resetThreshold = instrument.device.nonVolatile.resetThresholdVolts.mean
        let batches = (0..<8).map { _ in
            PulseBatch(tile: tile.index, scheme: .grounded, verify: nil, pulses: (0..<(rows * columns)).map { k in
                let set = generator.next() & 1 == 0
                // 0.3-0.9 V above the mean threshold of the polarity, within the limits.
                let overdrive = 0.3 + 0.6 * generator.nextOpenUnit()
                let volts = set ? Float(min(setThreshold + overdrive, Double(instrument.limits.maxSetVolts)))
                    : -Float(min(resetThreshold + overdrive, Double(instrument.limits.maxResetVolts)))
                return CellPulse(cell: CellIndex(row: UInt16(k / columns), column: UInt16(k % columns)),
                                 amplitudeVolts: volts, widthSeconds: 1e-6)
            })
        }
        let pulses = try measure(seconds: seconds) { k in
            _ = try board.perform(.pulseBatch(batches[k % batches.count]))
            return rows * columns
        }
        let pulseLabel = "PULSE_BATCH of \(rows * columns), grounded, no verify"
        report(pulseLabel, pulses, unit: "cell-pulses/s", target: 1_000_000)

        let verified = batches.map { b in
            var b = b
            b.verify = VerifyRead(readVolts: Float(instrument.defaultReadVolts))
            return b
        }
        let verifiedPulses = try measure(seconds: seconds) { k in
            _ = try board.perform(.pulseBatch(verified[k % verified.count]))
            return rows * columns
        }
        let verifiedLabel = "PULSE_BATCH of \(rows * columns) with verify read"
        report(verifiedLabel, verifiedPulses, unit: "cell-pulses/s", target: nil)

        let vectors = 64
        let fullScale = Double(min(instrument.dac.fullScaleVolts, instrument.limits.maxMVMVolts))
        let requests = (0..<8).map { _ in
            Request.mvm(MatrixVectorProduct(tile: tile.index, encoding: .voltage, readVolts: 0, inputLength: tile.rows,
                                            inputs: (0..<(vectors * rows)).map { _ in
                                                Float((2 * generator.nextOpenUnit() - 1) * fullScale)
                                            }))
        }
        let products = try measure(seconds: seconds) { k in
            _ = try board.perform(requests[k % requests.count])
            return vectors
        }
        let productLabel = "MVM, \(vectors) vectors of \(rows) per request, \(rows)x\(columns) tile"
        report(productLabel, products, unit: "MVMs/s", target: 100_000)
        print("multiply-accumulates: \(Int((products.cpu * Double(rows * columns)).rounded())) per second on one core")
        // Programming and MVMs in turn: every MVM after a pulse recomputes the lines' effective conductances.
        let mixed = try measure(seconds: seconds) { k in
            _ = try board.perform(.pulseBatch(PulseBatch(tile: tile.index, scheme: .grounded, verify: nil,
                                                         pulses: Array(batches[k % batches.count].pulses.prefix(64)))))
            _ = try board.perform(requests[k % requests.count])
            return vectors
        }
        let mixedLabel = "MVM request of \(vectors) vectors after each PULSE_BATCH of 64"
        report(mixedLabel, mixed, unit: "MVMs/s", target: nil)
        return [Measured(what: pulseLabel, unit: "cell-pulses/s", rate: pulses),
                Measured(what: verifiedLabel, unit: "cell-pulses/s", rate: verifiedPulses),
                Measured(what: productLabel, unit: "MVMs/s", rate: products),
                Measured(what: mixedLabel, unit: "MVMs/s", rate: mixed)]
    }

    /// Runs `body` until at least `seconds` of wall time have passed; returns items per second
    /// of wall time and per second of this thread's CPU time (one core, whatever else runs).
    private func measure(seconds: Double, _ body: (Int) throws -> Int) throws -> Rate {
        let clock = ContinuousClock()
        _ = try body(0)
        var items = 0, calls = 0
        let start = clock.now
        let cpuStart = threadCPUSeconds()
        var elapsed = 0.0
        repeat {
            items += try body(calls)
            calls += 1
            let (s, atto) = (clock.now - start).components
            elapsed = Double(s) + Double(atto) * 1e-18
        } while elapsed < seconds
        let cpu = threadCPUSeconds() - cpuStart
        return Rate(wall: Double(items) / elapsed, cpu: Double(items) / cpu)
    }

    private func report(_ what: String, _ rate: Rate, unit: String, target: Double?) {
        let verdict = target.map { rate.cpu >= $0 ? "  (target \(Int($0)): met)" : "  (target \(Int($0)): NOT met)" } ?? ""
        print("\(what): \(Int(rate.cpu.rounded())) \(unit) on one core\(verdict); \(Int(rate.wall.rounded())) per wall-clock second")
    }
}

struct Rate {
    /// Items per second of wall time (lower when other processes share the core).
    var wall: Double
    /// Items per second of the benchmark thread's CPU time.
    var cpu: Double
}

/// CPU time consumed by the calling thread, seconds.
func threadCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}
