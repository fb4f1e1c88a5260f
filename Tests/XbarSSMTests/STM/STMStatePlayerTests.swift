import Foundation
import Testing
import XbarBoard
import XbarDevice
import XbarInstrument
import XbarJobs
@testable import XbarSSM

/// The STM state player on the simulated `usb-4x64-multitau` board the shipped calibration was
/// measured on (seed 1): states held on node pairs, read back through the read converter.
@Suite("states on STM nodes")
struct STMStatePlayerTests {
    static let calibrationPath = Examples.path("usb-4x64-multitau.calibration.json")

    static func instrument() throws -> Instrument {
        try InstrumentCatalog(directory: Examples.root.appendingPathComponent("instruments").path).resolve("usb-4x64-multitau")
    }

    static func nodes(_ instrument: Instrument) throws -> STMNodeModel {
        let bytes = try #require(FileManager.default.contents(atPath: calibrationPath))
        return try STMNodeModel(calibration: CalibrationFile.load(path: calibrationPath),
                                calibrationSHA256: SHA256Hex.digest([UInt8](bytes)), instrument: instrument)
    }

    /// A burst of increments on the first block's states of the board-trained event-digit model:
    /// its own nodes and scales, the first sample's event times, increments `B E[channel]`.
    static func burst() throws -> (model: SSMModel, times: [Double], increments: [[Double]]) {
        let model = try Examples.model("event_digits_event_ssm_usb-4x64-multitau")
        let sample = try #require(Examples.testData(of: model).samples.first)
        let events = Array(sample.events.prefix(120))
        let E = try #require(model.embedding)
        let d = model.modelWidth
        let increments = events.map { e in model.layers[0].B.times(Array(E.values[(e.channel * d)..<((e.channel + 1) * d)])) }
        return (model, events.map(\.timeSeconds), increments)
    }

    static func relativeError(_ a: [[Double]], _ b: [[Double]]) -> Double {
        var e = 0.0, s = 0.0
        for (x, y) in zip(a.joined(), b.joined()) {
            e += (x - y) * (x - y)
            s += y * y
        }
        return (e / s).squareRoot()
    }

    /// Measured: 27 % rms off the ideal recursion at the nodes' calibrated time constants, most of
    /// it what the ideal recursion leaves out and the board-trained model learned: the pulses'
    /// 30 % cycle-to-cycle spread (one 50 ns pulse per increment), the slow component and read
    /// disturb; the read steps (0.13 uS in the 16 uA range) add little. The same board seed with
    /// every class decaying three times slower is 48 % off: the states come from the nodes'
    /// decay, not from the host.
    @Test("states read from the nodes follow the ideal recursion at the calibrated time constants within 32 % rms, and nodes that decay three times slower are at least 10 points further off")
    func statesFollowNodeDecay() throws {
        let instrument = try Self.instrument()
        let (model, times, increments) = try Self.burst()
        #expect(model.boardBinding?.instrument == "usb-4x64-multitau")
        let pairs = try #require(model.layers[0].stmNodes), sigma = try #require(model.layers[0].stmSiemensPerUnit)
        let ideal = model.idealStates(layer: 0, timesSeconds: times, increments: increments)

        let board = SimulatedBoard(instrument: instrument, seed: 1)
        let player = try STMStatePlayer(board: board, nodes: try Self.nodes(instrument), instrument: instrument, model: model)
        let states = try player.states(pairs: pairs, siemensPerUnit: sigma, timesSeconds: times, increments: increments)
        let error = Self.relativeError(states, ideal)
        print("STM states vs ideal: \(error) rms; \(player.statistics.pulses) pulses, \(player.statistics.reads) reads, cut short \(player.statistics.incrementsCutShort)")
        #expect(states.count == times.count)
        #expect(error < 0.32)
        #expect(player.statistics.reads == (times.count + player.baselineReads) * pairs.count)
        #expect(player.statistics.incrementsCutShort == 0)
        #expect(player.statistics.largestBaselineResidualSiemens < 1e-6)

        // The same board seed with every class decaying three times slower.
        var slow = instrument.device
        for (name, var p) in slow.shortTermMemoryClasses {
            p.tauSeconds.mean *= 3
            slow.shortTermMemoryClasses[name] = p
        }
        let broken = SimulatedBoard(instrument: instrument, parameters: slow, seed: 1)
        let other = try STMStatePlayer(board: broken, nodes: try Self.nodes(instrument), instrument: instrument, model: model)
        let moved = try other.states(pairs: pairs, siemensPerUnit: sigma, timesSeconds: times, increments: increments)
        let brokenError = Self.relativeError(moved, ideal)
        print("STM states on nodes three times slower vs ideal: \(brokenError) rms")
        #expect(brokenError > error + 0.10)
    }

    /// The board's ranged PLAY reads put a node in the 16 uA range at 0.5 V (32 uS, steps of
    /// 0.13 uS instead of the ADC's 0.31 uS) when its base plus 70 % of its ceiling fits there:
    /// 58 of the first block's 64 nodes (bases of 1.5-3 uS, ceilings of 20-44 uS). Measured: the
    /// states are about as far off the ideal recursion either way (27 % and 28 %); the read steps
    /// are not what separates them from it.
    @Test("nodes whose base and 70 % of their ceiling fit in the 16 µA range read in it, the others at the ADC's own full scale, and the states stay as close to the ideal recursion")
    func nodesReadInTheirRange() throws {
        let instrument = try Self.instrument()
        let (model, times, increments) = try Self.burst()
        let pairs = try #require(model.layers[0].stmNodes), sigma = try #require(model.layers[0].stmSiemensPerUnit)
        let ideal = model.idealStates(layer: 0, timesSeconds: times, increments: increments)
        let nodes = try Self.nodes(instrument)
        var errors: [Bool: Double] = [:]
        for ranged in [true, false] {
            let board = SimulatedBoard(instrument: instrument, seed: 1)
            let player = try STMStatePlayer(board: board, nodes: nodes, instrument: instrument, model: model)
            player.usesSenseRanges = ranged
            var inRange = 0
            for node in pairs {
                let draw = nodes.draws[node]
                let fits = 0.5 * (draw.baseSiemens + 0.7 * draw.ceilingSiemens) <= 16e-6
                let expected: UInt8? = ranged && fits ? 3 : nil
                #expect(player.senseRangeIndex(ofNode: node) == expected, "node \(node)")
                let step = expected == nil ? 40e-6 / 255 / 0.5 : 16e-6 / 255 / 0.5
                #expect(abs(player.readStepSiemens(ofNode: node) - step) < 1e-12)
                if expected != nil { inRange += 1 }
            }
            #expect(inRange == (ranged ? 58 : 0))
            let states = try player.states(pairs: pairs, siemensPerUnit: sigma, timesSeconds: times, increments: increments)
            errors[ranged] = Self.relativeError(states, ideal)
        }
        let ranged = try #require(errors[true]), plain = try #require(errors[false])
        print("STM states vs ideal: \(ranged) rms in ranges, \(plain) at the ADC's full scale")
        #expect(ranged < 0.32 && abs(ranged - plain) < 0.03)
    }

    @Test("a second program waits on the board's clock until the nodes have rested, and its baseline reads find them at rest")
    func nodesRestBetweenPrograms() throws {
        let instrument = try Self.instrument()
        let (model, times, increments) = try Self.burst()
        let pairs = try #require(model.layers[0].stmNodes), sigma = try #require(model.layers[0].stmSiemensPerUnit)
        let board = SimulatedBoard(instrument: instrument, seed: 1)
        let player = try STMStatePlayer(board: board, nodes: try Self.nodes(instrument), instrument: instrument, readVolts: 0.5)
        let first = try player.states(pairs: pairs, siemensPerUnit: sigma, timesSeconds: times, increments: increments)
        let second = try player.states(pairs: pairs, siemensPerUnit: sigma, timesSeconds: times, increments: increments)
        #expect(player.statistics.programs == 2)
        #expect(player.statistics.restBoardSeconds > 0.1)
        #expect(player.statistics.largestBaselineResidualSiemens < 1e-6)
        // Same schedule on rested nodes: the two programs differ by the pulses' noise alone
        // (the states themselves are about 27 % off the ideal recursion).
        #expect(Self.relativeError(second, first) < 0.40)
    }

    @Test("a read voltage above the instrument's read limit is refused, naming the limit")
    func readLimitRefused() throws {
        let instrument = try Self.instrument()
        let board = SimulatedBoard(instrument: instrument, seed: 1)
        #expect {
            _ = try STMStatePlayer(board: board, nodes: try Self.nodes(instrument), instrument: instrument, readVolts: 0.9)
        } throws: { error in
            String(describing: error).contains("limits.max_read_volts")
        }
    }
}
