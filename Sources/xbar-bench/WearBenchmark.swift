import ArgumentParser
import Foundation
import XbarBoard
import XbarInstrument
import XbarJobs
import XbarStore
import XbarWire

/// What retention, endurance and disturb cost on a 64x64 tile: board time, wire bytes and round
/// trips as the commands run them (board-timed), against one request per point timed by the
/// host, and the wall time each would take on a 921600-baud serial line and over USB.
struct WearBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wear",
        abstract: "Retention, endurance, disturb: board time and wire bytes, board-timed against host-timed.",
        discussion: """
            Runs each module on the in-process simulated board behind a meter that frames every \
            request and reply with the wire codec (exact bytes), and prints the simulation's own \
            wall time. The host-timed figures count the frames one request per point would take \
            (a PULSE per cell and pulse, a READ per cell and read), from the same codec. Wall \
            time on a link = board time + wire bytes / link rate + round trips x link latency; \
            the link models are printed with the figures. Run in a release build:
              swift build -c release --product xbar-bench && .build/release/xbar-bench wear
            """)

    @Option(help: "SET/RESET cycles per cell of the endurance run.")
    var cycles: Int = 100_000
    @Option(help: "Cycles between the endurance run's window reads.")
    var readEvery: Int = 10_000
    @Option(help: "Seconds after programming of the retention run's last read.")
    var retentionSeconds: Double = 3600
    @Option(help: "Pulses on the disturbing cell, per bias scheme.")
    var disturbPulses: Int = 4096

    /// A link: sustained payload rate and the latency every round trip adds.
    struct Link {
        var name: String
        var bytesPerSecond: Double
        var roundTripSeconds: Double
    }

    static let links = [
        // 8N1: ten bits per byte; a USB-serial adapter with its latency timer at 1 ms.
        Link(name: "serial 921600 baud", bytesPerSecond: 92_160, roundTripSeconds: 1e-3),
        // USB 2.0 high-speed bulk: about 30 MB/s sustained; a request and its reply each wait
        // for a 125 us microframe.
        Link(name: "USB 2.0 bulk", bytesPerSecond: 30e6, roundTripSeconds: 0.25e-3),
    ]

    /// What one way of running a measurement costs.
    struct Cost {
        var boardSeconds: Double
        var bytes: Double
        var roundTrips: Double

        func wallSeconds(_ link: Link) -> Double { boardSeconds + bytes / link.bytesPerSecond + roundTrips * link.roundTripSeconds }
    }

    func run() throws {
        let catalog = try InstrumentCatalog.locate()
        let usb = try catalog.resolve("usb-4x64")
        var tile = usb
        tile.tiles = [usb.weightTiles[0]]
        let cells = (0..<4096).map { CellIndex(row: UInt16($0 / 64), column: UInt16($0 % 64)) }
        let maxPulses = ProgrammingSettings.maxPulsesPerBatch(maxPayloadBytes: Int(Instrument.maxPayloadBytes))
        let timing = SimulatedTiming()
        say("== Device characterization on a 64x64 tile (usb-4x64 tile 0; disturb on serial-32x32's 32x32 passive tile)")
        say("   links: " + Self.links.map { String(format: "%@ (%.3g MB/s, %.3g ms per round trip)", $0.name, $0.bytesPerSecond / 1e6, $0.roundTripSeconds * 1e3) }.joined(separator: "; "))

        // Endurance.
        do {
            let board = SimulatedBoard(instrument: tile, seed: 1)
            let meter = WireMeter(board)
            let pair = try usb.device.nonVolatile.switchingPair(limits: usb.limits)
            let job = EnduranceJob(board: meter, tile: 0, cells: cells, set: pair.set, reset: pair.reset, cycles: cycles, readEvery: readEvery,
                                   readVolts: usb.defaultReadVolts, averages: 16, scheme: .grounded, failureWindowFraction: 0.25,
                                   maxPulsesPerBatch: maxPulses)
            var reads = 0
            let started = ContinuousClock.now
            try job.run { reads += $0.count }
            let simulated = LinkBenchmark.seconds(ContinuousClock.now - started)
            let measured = Cost(boardSeconds: Double(board.boardTimeNanoseconds) * 1e-9, bytes: Double(meter.requestBytes + meter.replyBytes),
                                roundTrips: Double(meter.roundTrips))
            let pulses = Double(board.pulsesApplied)
            let perPulse = Self.frameBytes(.pulse(PulseCells(cells: .cell(tile: 0, cells[0]), amplitudeVolts: 2.5, widthSeconds: 1e-6, scheme: .grounded)),
                                           .pulsed(PulseReceipt(boardTimeNanoseconds: 1, appliedCount: 1, complianceHits: 0, verifyAmperes: [])))
            let perRead = Self.frameBytes(.read(ReadCells(cells: .cell(tile: 0, cells[0]), readVolts: 0.2, averages: 16)),
                                          .currents(Currents(boardTimeNanoseconds: 1, amperes: [1e-5])))
            let hostTimed = Cost(boardSeconds: measured.boardSeconds + (pulses + Double(reads)) * timing.requestOverheadSeconds,
                                 bytes: pulses * perPulse + Double(reads) * perRead, roundTrips: pulses + Double(reads))
            say("-- endurance: 4096 cells x \(cycles) cycles, window read every \(readEvery) (\(Int(pulses)) pulses, \(reads) cell reads); simulated in \(String(format: "%.1f", simulated)) s")
            Self.print("PULSE_BATCH, board-timed (xbar endurance)", measured)
            Self.print("one PULSE per cell and pulse, host-timed", hostTimed)
        }

        // Retention.
        do {
            let board = SimulatedBoard(instrument: tile, seed: 2)
            let meter = WireMeter(board)
            let schedule = try RetentionSchedule(firstSeconds: 0.1, lastSeconds: retentionSeconds, pointsPerDecade: 4)
            let job = RetentionJob(board: meter, tile: 0, cells: cells, schedule: schedule, boardTimedSeconds: retentionSeconds,
                                   readVolts: usb.defaultReadVolts, averages: 64)
            let started = ContinuousClock.now
            let programmed = try job.prepare(try usb.device.nonVolatile.midRangePulses(limits: usb.limits), scheme: .grounded, maxPulsesPerBatch: maxPulses)
            let prepared = Cost(boardSeconds: Double(board.boardTimeNanoseconds) * 1e-9, bytes: Double(meter.requestBytes + meter.replyBytes),
                                roundTrips: Double(meter.roundTrips))
            var series: [CellSeries] = []
            try job.measure(programmedAtBoardNanoseconds: programmed, programmedAt: Date()) { series += $0 }
            let simulated = LinkBenchmark.seconds(ContinuousClock.now - started)
            let measured = Cost(boardSeconds: Double(board.boardTimeNanoseconds) * 1e-9 - prepared.boardSeconds,
                                bytes: Double(meter.requestBytes + meter.replyBytes) - prepared.bytes, roundTrips: Double(meter.roundTrips) - prepared.roundTrips)
            let reads = Double(series.count)
            let perRead = Self.frameBytes(.read(ReadCells(cells: .cell(tile: 0, cells[0]), readVolts: 0.2, averages: 64)),
                                          .currents(Currents(boardTimeNanoseconds: 1, amperes: [1e-5])))
            // The host waits between points on its own clock (no board time), and reads cell by cell.
            let hostTimed = Cost(boardSeconds: retentionSeconds + reads * (64 * timing.readSeconds + timing.requestOverheadSeconds),
                                 bytes: reads * perRead, roundTrips: reads)
            say("-- retention: 4096 cells, \(schedule.times.count) reads each from 0.1 s to \(Int(retentionSeconds)) s (after programming); simulated in \(String(format: "%.1f", simulated)) s")
            Self.print("READ of the tile, waits board-timed (xbar retention)", measured)
            Self.print("one READ per cell and point, host-timed", hostTimed)
            let spread = 4096.0 * (64 * timing.readSeconds + timing.requestOverheadSeconds)
            say(String(format: "   host-timed, the 4096 reads of one point spread over %.2f s of board time plus %.1f s of round trips on serial: the early points lose their time", spread, 4096 * Self.links[0].roundTripSeconds))
        }

        // Disturb.
        do {
            let serial = try catalog.resolve("serial-32x32")
            let board = SimulatedBoard(instrument: serial, seed: 3)
            let meter = WireMeter(board)
            let nv = serial.device.nonVolatile
            let stress = try ModulePulse(volts: 1.8 * nv.setThresholdVolts.mean, seconds: nv.referenceWidthSeconds, "stress", limits: serial.limits)
            let aggressor = CellIndex(row: 16, column: 16)
            let victims = DisturbJob.neighbours(of: aggressor, columns: 32, count: 8)
            let job = DisturbJob(board: meter, tile: 0, aggressor: aggressor, victims: victims, stress: stress, scheme: .halfVoltage,
                                 maxPulses: disturbPulses, readVolts: serial.defaultReadVolts, averages: 64, maxPulsesPerBatch: maxPulses)
            var rounds = 0
            let started = ContinuousClock.now
            try job.run(preparation: try nv.midRangePulses(limits: serial.limits)) { _ in rounds += 1 }
            let simulated = LinkBenchmark.seconds(ContinuousClock.now - started)
            let measured = Cost(boardSeconds: Double(board.boardTimeNanoseconds) * 1e-9, bytes: Double(meter.requestBytes + meter.replyBytes),
                                roundTrips: Double(meter.roundTrips))
            let perPulse = Self.frameBytes(.pulse(PulseCells(cells: .cell(tile: 0, aggressor), amplitudeVolts: 2.5, widthSeconds: 1e-6, scheme: .halfVoltage)),
                                           .pulsed(PulseReceipt(boardTimeNanoseconds: 1, appliedCount: 1, complianceHits: 0, verifyAmperes: [])))
            let perRead = Self.frameBytes(.read(ReadCells(cells: .cell(tile: 0, aggressor), readVolts: 0.2, averages: 64)),
                                          .currents(Currents(boardTimeNanoseconds: 1, amperes: [1e-5])))
            let reads = Double(rounds * victims.count)
            let hostTimed = Cost(boardSeconds: measured.boardSeconds + (Double(disturbPulses) + reads) * timing.requestOverheadSeconds,
                                 bytes: Double(disturbPulses) * perPulse + reads * perRead, roundTrips: Double(disturbPulses) + reads)
            say("-- disturb: \(disturbPulses) V/2 pulses on one cell, \(victims.count) row neighbours read after each of \(rounds - 1) doubling rounds; simulated in \(String(format: "%.2f", simulated)) s")
            Self.print("PULSE_BATCH rounds, board-timed (xbar disturb)", measured)
            Self.print("one PULSE per pulse, one READ per cell, host-timed", hostTimed)
        }
    }

    /// Wire bytes of a request and its reply, as the codec frames them.
    static func frameBytes(_ request: Request, _ reply: Reply) -> Double {
        Double(WireCodec.encode(request, sequence: 1).count + WireCodec.encode(reply, sequence: 1).count)
    }

    static func print(_ label: String, _ cost: Cost) {
        var line = "   " + label.padding(toLength: 52, withPad: " ", startingAt: 0)
            + String(format: " board %9.3g s, %10.4g wire bytes, %9.0f round trips;", cost.boardSeconds, cost.bytes, cost.roundTrips)
        for link in links { line += String(format: " %@ %9.3g s;", link.name, cost.wallSeconds(link)) }
        say(line)
    }
}
