import Foundation
import Testing
import XbarBoard
import XbarDevice
import XbarInstrument
import XbarWire

@Suite("the digital twin holds the chip's recorded state")
struct DigitalTwinTests {
    /// The shipped board with an ideal periphery: what is tested here is the cells' recorded
    /// state; column gains and converter non-linearity reach a twin through a calibration's
    /// periphery (tested with the calibration of the array).
    let instrument: Instrument = {
        var i = TestInstrument.usb4x64()
        i.periphery = .ideal
        return i
    }()

    /// A "chip" with a seed the twin never sees, its tile 0 set to random conductances; returns
    /// the chip and the conductances as a ledger would record them.
    func chip(seed: UInt64) throws -> (SimulatedBoard, [Double]) {
        let chip = SimulatedBoard(instrument: instrument, seed: seed)
        var random = Xoshiro256StarStar(seed: seed ^ 0x5EED)
        try chip.setConductances(tile: 0, siemens: (0..<4096).map { _ in 5e-6 + 80e-6 * random.nextOpenUnit() })
        let recorded = (0..<4096).map { chip.trueConductance(tile: 0, row: $0 / 64, column: $0 % 64) }
        return (chip, recorded)
    }

    @Test("the twin's cells hold the recorded conductances exactly, and stuck cells stay stuck when pulsed",
          arguments: [UInt64(11), 12, 13])
    func recordedState(hiddenSeed: UInt64) throws {
        let (chip, recorded) = try chip(seed: hiddenSeed)
        var stuck = [StuckState](repeating: .none, count: 4096)
        for i in 0..<4096 where chip.isStuck(tile: 0, row: i / 64, column: i % 64) {
            stuck[i] = recorded[i] < 50e-6 ? .atMin : .atMax
        }
        let twin = try DigitalTwin(instrument: instrument, device: instrument.device,
                                   tiles: [0: .init(siemens: recorded, stuck: stuck)], seed: 99, chipSerial: "SIM-0001",
                                   description: "twin")
        let truth = (0..<4096).map { twin.board.trueConductance(tile: 0, row: $0 / 64, column: $0 % 64) }
        // Exactly: bounds are widened to hold the record, nothing relaxes.
        #expect(zip(truth, recorded).allSatisfy { $0 == $1 })
        #expect(try twin.identify().serialNumber == "twin-SIM-0001")
        // Only recorded stuck cells are stuck, whatever the population's stuck rate.
        let stuckInTwin = (0..<4096).filter { twin.board.isStuck(tile: 0, row: $0 / 64, column: $0 % 64) }
        #expect(stuckInTwin == stuck.indices.filter { stuck[$0] != .none })
        if let s = stuckInTwin.first {
            let cell = CellSet.cell(tile: 0, CellIndex(row: UInt16(s / 64), column: UInt16(s % 64)))
            try twin.pulse(cell, amplitudeVolts: 2.5, widthSeconds: 1e-6, scheme: .grounded)
            #expect(twin.board.trueConductance(tile: 0, row: s / 64, column: s % 64) == recorded[s])
        }
    }

    @Test("matrix products on the twin match the chip's within read noise and one ADC step, over hidden draws",
          arguments: [UInt64(21), 22, 23])
    func productsMatch(hiddenSeed: UInt64) throws {
        let (chip, recorded) = try chip(seed: hiddenSeed)
        let twin = try DigitalTwin(instrument: instrument, device: instrument.device,
                                   tiles: [0: .init(siemens: recorded, stuck: .init(repeating: .none, count: 4096))],
                                   seed: 5, chipSerial: "SIM-0001", description: "twin")
        var random = Xoshiro256StarStar(seed: hiddenSeed)
        let vectors = 32
        let volts = (0..<(vectors * 64)).map { _ in Float(0.2 * (2 * random.nextOpenUnit() - 1)) }
        let request = MatrixVectorProduct(tile: 0, encoding: .voltage, readVolts: 0, inputLength: 64, inputs: volts)
        let onChip = try chip.mvm(request).amperes, onTwin = try twin.mvm(request).amperes
        let fullScale = Double(instrument.adc.mvmFullScaleAmperes)
        let rms = (zip(onChip, onTwin).map { let d = Double($0 - $1); return d * d }.reduce(0, +) / Double(onChip.count)).squareRoot()
        // Column currents of 64 rows at up to 0.2 V over 5-85 uS spread over about 4e-5 A, five
        // ADC steps (7.9 uA). Both sides convert the same analog sum up to read noise (1.5 % of
        // each cell's current, under 1e-6 A per column), so they differ by at most one step at a
        // conversion: RMS under 0.5 % of full scale. A twin of fresh draws would miss by ~4 %.
        #expect(rms / fullScale < 0.005, "RMS difference \(rms / fullScale * 100) % of full scale")
        let fresh = SimulatedBoard(instrument: instrument, seed: 5)
        try fresh.setConductances(tile: 0, siemens: (0..<4096).map { _ in 5e-6 + 80e-6 * random.nextOpenUnit() })
        let onFresh = try fresh.mvm(request).amperes
        let freshRMS = (zip(onChip, onFresh).map { let d = Double($0 - $1); return d * d }.reduce(0, +) / Double(onChip.count)).squareRoot()
        #expect(freshRMS > 4 * rms, "a board of other conductances differs by \(freshRMS / fullScale * 100) % only")
    }
}

@Suite("the digital twin's stuck cells the records cannot tell")
struct DigitalTwinUntestedCellTests {
    @Test("an untested cell is stuck at the calibrated rate, at the bound it sits near; a cell the records saw respond never is")
    func untestedCellsDrawStuck() throws {
        var instrument = TestInstrument.usb4x64()
        instrument.periphery = .ideal
        var device = instrument.device
        device.nonVolatile.stuckAtMinRate = 0.1
        device.nonVolatile.stuckAtMaxRate = 0.05
        // Half the cells sit low (5-20 uS), half high (70-85 uS); the first half of each untested.
        var random = Xoshiro256StarStar(seed: 3)
        let siemens = (0..<4096).map { i in (i % 2 == 0 ? 5e-6 : 70e-6) + 15e-6 * random.nextOpenUnit() }
        let untested = (0..<4096).map { $0 < 2048 }
        let twin = try DigitalTwin(instrument: instrument, device: device,
                                   tiles: [0: .init(siemens: siemens, stuck: .init(repeating: .none, count: 4096), untested: untested)],
                                   seed: 8, chipSerial: "SIM-0001", description: "twin")
        let stuck = (0..<4096).filter { twin.board.isStuck(tile: 0, row: $0 / 64, column: $0 % 64) }
        #expect(stuck.allSatisfy { $0 < 2048 }, "only untested cells")
        let low = stuck.filter { $0 % 2 == 0 }, high = stuck.filter { $0 % 2 == 1 }
        // 1024 untested cells on each side: 102 stuck low expected (binomial sigma 10), 51 stuck
        // high (sigma 7); four sigma either way.
        #expect((62...142).contains(low.count), "\(low.count) stuck low")
        #expect((23...79).contains(high.count), "\(high.count) stuck high")
        // Each held where it was recorded, and pulses do not move it.
        for i in low + high { #expect(twin.board.trueConductance(tile: 0, row: i / 64, column: i % 64) == siemens[i]) }
        let s = try #require(low.first)
        try twin.pulse(.cell(tile: 0, CellIndex(row: UInt16(s / 64), column: UInt16(s % 64))), amplitudeVolts: 2.5, widthSeconds: 1e-6, scheme: .grounded)
        #expect(twin.board.trueConductance(tile: 0, row: s / 64, column: s % 64) == siemens[s])
    }
}
