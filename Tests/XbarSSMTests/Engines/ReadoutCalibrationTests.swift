import Foundation
import Testing
import XbarBoard
@testable import XbarSSM

/// The errors these tests put on columns are to be the board's only readout errors, so the
/// boards have an ideal array periphery; the engine on the shipped periphery is tested in
/// ChipInLoopEngineTests.
@Suite("readout calibration")
struct ReadoutCalibrationTests {
    /// Columns 10 and 11 of tile 0 hold output 5 of `layers.0.B` of the event-digits int8 model.
    static let errors: [Int: (gain: Double, offsetAmperes: Double)] = [10: (1.10, 4e-6), 11: (0.93, -3e-6)]

    /// A board programmed with the model's targets, read back, its readout measured.
    static func calibrated(_ board: any Board, _ simulated: SimulatedBoard, model: SSMModel)
        throws -> (map: WeightMap, believed: [UInt8: [Double]], calibration: ReadoutCalibration) {
        let instrument = try Examples.instrument()
        let map = try WeightMap(model: model, instrument: instrument)
        _ = try WeightProgramming.program(map, on: simulated, with: DirectSimulatedProgrammer())
        let believed = map.believedConductances(readBack: try TileReadback(instrument: instrument).read(map, on: board),
                                                toleranceSiemens: 3e-6)
        let calibration = try ReadoutProbe().measure(on: board, map: map, instrument: instrument, believedSiemens: believed)
        return (map, believed, calibration)
    }

    /// 1024 probes span column currents of about +-0.4 mA; one conversion errs by an ADC step
    /// over sqrt(12) (2.3 uA) plus read noise, so the fit's standard errors are about 0.05 % in
    /// gain and 0.1 uA in offset. What the fit cannot tell apart from a gain is a column's cells
    /// sitting off their believed conductances: on clean columns the fitted gains stay within
    /// 1 % of 1 (measured: 0.990 to 1.018 over four tiles). Hence 1.5 % in gain and 0.5 uA
    /// (five standard errors) in offset.
    @Test("probe vectors recover a 10 % gain and 4 uA offset error put on one column pair, within 1.5 % and 0.5 uA, and leave clean columns near 1 and 0")
    func recoversColumnErrors() throws {
        let model = try Examples.model("event_digits_event_ssm_int8")
        let simulated = SimulatedBoard(instrument: try Examples.instrument(), periphery: .ideal, seed: 21)
        let board = ColumnGainErrorBoard(simulated, tile: 0, errors: Self.errors)
        let (_, _, calibration) = try Self.calibrated(board, simulated, model: model)
        let tile = try #require(calibration.tile(0))
        for (column, e) in Self.errors {
            #expect(abs(tile.gains[column] - e.gain) <= 0.015, "column \(column): gain \(tile.gains[column]), put \(e.gain)")
            #expect(abs(tile.offsetsAmperes[column] - e.offsetAmperes) <= 0.5e-6,
                    "column \(column): offset \(tile.offsetsAmperes[column]) A, put \(e.offsetAmperes) A")
        }
        for c in tile.gains.indices where Self.errors[c] == nil {
            #expect(abs(tile.gains[c] - 1) <= 0.02, "clean column \(c): gain \(tile.gains[c])")
            #expect(abs(tile.offsetsAmperes[c]) <= 0.5e-6, "clean column \(c): offset \(tile.offsetsAmperes[c]) A")
        }
        #expect(calibration.boardSerial == simulated.serialNumber && calibration.instrument == "usb-4x64")
        let clean = tile.gains.indices.filter { Self.errors[$0] == nil }
        print("recovered: column 10 gain \(tile.gains[10]) offset \(tile.offsetsAmperes[10]) A; column 11 gain \(tile.gains[11]) offset \(tile.offsetsAmperes[11]) A; clean columns' gains \(clean.map { tile.gains[$0] }.min() ?? 0)...\(clean.map { tile.gains[$0] }.max() ?? 0)")
    }

    /// The output on the faulty pair: uncorrected, its error is dominated by the 10 % and 7 %
    /// gain errors and the 7 uA offset difference (almost one ADC step, against signals of a
    /// few steps), several times the other outputs' error; corrected, it is like any other
    /// output's (the median's error, 5 %, is the ADC's resolution; twice that allows for the
    /// spread between outputs).
    @Test("with the calibration the output on the faulty pair is as accurate as the others; without, several times worse")
    func correctsProducts() throws {
        let model = try Examples.model("event_digits_event_ssm_int8")
        let instrument = try Examples.instrument()
        let simulated = SimulatedBoard(instrument: instrument, periphery: .ideal, seed: 22)
        let board = ColumnGainErrorBoard(simulated, tile: 0, errors: Self.errors)
        let (map, believed, calibration) = try Self.calibrated(board, simulated, model: model)
        let defects = PairDefects(map: map, measured: believed, thresholdSiemens: 3e-6)
        let W = try #require(model.matrix(named: "layers.0.B"))
        var random = SystemRandomNumberGenerator()
        let inputs = (0..<200).map { _ in (0..<W.columns).map { _ in Double.random(in: -1...1, using: &random) } }

        func outputErrors(_ calibration: ReadoutCalibration?) throws -> [Double] {
            var backend = ChipInLoopBackend(board: board, model: model, map: map, instrument: instrument,
                                            maxPayloadBytes: SimulatedBoard.maxPayloadBytes, settings: .ranged,
                                            calibration: calibration, defects: defects)
            let got = try backend.products(of: "layers.0.B", inputs: inputs, inputRange: nil)
            var squares = [Double](repeating: 0, count: W.rows), exact = [Double](repeating: 0, count: W.rows)
            for (g, x) in zip(got, inputs) {
                for (j, (a, b)) in zip(g, W.times(x)).enumerated() {
                    squares[j] += (a - b) * (a - b)
                    exact[j] += b * b
                }
            }
            return zip(squares, exact).map { ($0 / $1).squareRoot() }
        }

        let faulty = 5
        let corrected = try outputErrors(calibration)
        let others = corrected.enumerated().filter { $0.offset != faulty }.map(\.element).sorted()
        let median = others[others.count / 2]
        #expect(corrected[faulty] <= 2 * median, "corrected: faulty output \(corrected[faulty]), median \(median)")
        let uncorrected = try outputErrors(nil)
        #expect(uncorrected[faulty] >= 4 * median, "uncorrected: faulty output \(uncorrected[faulty]), median \(median)")
        print("faulty output's rms error: corrected \(corrected[faulty]), uncorrected \(uncorrected[faulty]); median of the others \(median)")
    }

    /// Without readout errors, every gain and offset the fit cannot tell from none (three
    /// standard errors) is left at exactly 1 and 0; the rest are cells off their belief, within
    /// the 2 % and 0.5 uA above.
    @Test("on a board without readout errors the calibration changes little: gains within 2 % of 1, offsets within 0.5 uA")
    func cleanBoardNearIdentity() throws {
        let model = try Examples.model("spoken_digits_s4d_ternary")
        // Without readout errors: an ideal array periphery.
        let simulated = SimulatedBoard(instrument: try Examples.instrument(), periphery: .ideal, seed: 23)
        let (_, _, calibration) = try Self.calibrated(simulated, simulated, model: model)
        #expect(calibration.tiles.map(\.tile) == [0, 1, 2, 3])
        for t in calibration.tiles {
            #expect(t.gains.allSatisfy { abs($0 - 1) <= 0.02 }, "tile \(t.tile): gains \(t.gains.min() ?? 0)...\(t.gains.max() ?? 0)")
            #expect(t.offsetsAmperes.allSatisfy { abs($0) <= 0.5e-6 }, "tile \(t.tile): offsets \(t.offsetsAmperes)")
            #expect(t.gains.filter { $0 == 1 }.count >= t.gains.count / 2, "tile \(t.tile): most gains cannot be told from 1")
        }
    }

    @Test("a readout calibration written as JSON reads back equal; a file of another format is refused naming the file")
    func fileRoundTrip() throws {
        let folder = try Python.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let calibration = ReadoutCalibration(instrument: "usb-4x64", boardSerial: "SIM-0001", probeVectors: 1024, tiles: [
            .init(tile: 0, gains: [1, 1.1], offsetsAmperes: [0, 4e-6], residualAmperes: [2.3e-6, 2.4e-6]),
        ])
        let path = folder.appendingPathComponent("readout.json").path
        try calibration.write(to: path)
        #expect(try ReadoutCalibration(contentsOf: path) == calibration)

        let other = folder.appendingPathComponent("other.json").path
        try Data(#"{"format": "something-else"}"#.utf8).write(to: URL(fileURLWithPath: other))
        #expect {
            try ReadoutCalibration(contentsOf: other)
        } throws: { error in
            (error as? SSMFileError)?.file == other
        }
    }
}
