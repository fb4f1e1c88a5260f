import Foundation
import Testing
import XbarBoard
import XbarDevice
import XbarWire

@Suite("the simulated chip's state across an emulator restart")
struct ChipStateFileTests {
    let instrument = TestInstrument.usb4x64()

    func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("xbar-chip-\(UUID().uuidString).state").path
    }

    @Test("a chip restored from its state file has the conductances it was saved with, a new session and a counter from 0")
    func roundTrip() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let before = SimulatedBoard(instrument: instrument, seed: 4)
        let cells = CellSet.row(tile: 1, row: 7)
        try before.pulse(cells, amplitudeVolts: 2.2, widthSeconds: 1e-6, scheme: .grounded)
        try ChipStateFile(path: path).save(before)
        let after = SimulatedBoard(instrument: instrument, seed: 4)
        let fresh = after.trueConductance(tile: 1, row: 7, column: 3)
        try ChipStateFile(path: path).restore(into: after)
        for column in 0..<64 {
            #expect(after.trueConductance(tile: 1, row: 7, column: column) == before.trueConductance(tile: 1, row: 7, column: column))
        }
        // The pulse moved the cell: the restore is not the fresh chip's value.
        #expect(after.trueConductance(tile: 1, row: 7, column: 3) != fresh)
        #expect(after.sessionID != before.sessionID)
        #expect(try after.status().pulsesApplied == 0)
    }

    @Test("a pristine chip keeps its forming across a restart: pristine cells stay pristine, formed cells keep their conductance, over-formed ones stay stuck")
    func formingRoundTrip() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let before = SimulatedBoard(instrument: instrument, seed: 4)
        before.makePristine()
        // Row 2 of tile 0 ramped to 3.5 V in 0.1 V steps under 100 uA: every cell that can form does.
        _ = try before.sweep(VoltageSweep(mode: .forming, stepWidthSeconds: 1e-6, stepVolts: 0.1, complianceAmperes: 100e-6,
                                          readVolts: 0.2, verticesVolts: [3.5], cells: .row(tile: 0, row: 2)))
        try ChipStateFile(path: path).save(before)
        let after = SimulatedBoard(instrument: instrument, seed: 4)
        try ChipStateFile(path: path).restore(into: after)
        for row in [1, 2] {
            for column in 0..<64 {
                #expect(after.formingState(tile: 0, row: row, column: column) == before.formingState(tile: 0, row: row, column: column))
                #expect(after.trueConductance(tile: 0, row: row, column: column) == before.trueConductance(tile: 0, row: row, column: column))
                #expect(after.isStuck(tile: 0, row: row, column: column) == before.isStuck(tile: 0, row: row, column: column))
            }
        }
        // Row 1 was never ramped: still pristine, a few nanosiemens.
        #expect(after.formingState(tile: 0, row: 1, column: 0) == .pristine)
        #expect(after.trueConductance(tile: 0, row: 1, column: 0) < 1e-7)
        #expect(before.formingState(tile: 0, row: 2, column: 0) == .formed || before.formingDraw(tile: 0, row: 2, column: 0)?.outcome == .neverForms)
    }

    @Test("a state file of another seed, or not a state file, is refused naming the file")
    func refusals() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ChipStateFile(path: path).save(SimulatedBoard(instrument: instrument, seed: 4))
        #expect {
            try ChipStateFile(path: path).restore(into: SimulatedBoard(instrument: instrument, seed: 5))
        } throws: { "\($0)".contains(path) && "\($0)".contains("seed 4") }
        try Data("hello".utf8).write(to: URL(fileURLWithPath: path))
        #expect {
            try ChipStateFile(path: path).restore(into: SimulatedBoard(instrument: instrument, seed: 4))
        } throws: { "\($0)".contains("not a chip state file") }
    }

    @Test("a board kept by ChipStateKeeper saves after each pulsed request, not after reads")
    func keeperSaves() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let chip = SimulatedBoard(instrument: instrument, seed: 4)
        let keeper = ChipStateKeeper(board: chip, file: ChipStateFile(path: path)) { Issue.record("save failed: \($0)") }
        _ = try keeper.readConductances(.row(tile: 0, row: 0), readVolts: 0.2)
        #expect(!FileManager.default.fileExists(atPath: path))
        try keeper.pulse(.cell(tile: 0, CellIndex(row: 2, column: 2)), amplitudeVolts: 2.2, widthSeconds: 1e-6, scheme: .grounded)
        let restored = SimulatedBoard(instrument: instrument, seed: 4)
        try ChipStateFile(path: path).restore(into: restored)
        #expect(restored.trueConductance(tile: 0, row: 2, column: 2) == chip.trueConductance(tile: 0, row: 2, column: 2))
    }
}
