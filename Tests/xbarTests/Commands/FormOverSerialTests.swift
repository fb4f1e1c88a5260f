import Foundation
import Testing
import XbarInstrument
import XbarStore

@Suite("xbar form, sweep and program through the board emulator on a pseudo-terminal", .serialized)
struct FormOverSerialTests {
    @Test("a pristine tile formed over the emulator reaches the instrument's forming yield within 2 points, program refuses the unformed cells by name, and a sweep finds SET near 1.0 V")
    func formThenProgram() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        let link = lab.path("board")
        let emulator = try BoardEmulatorProcess(instrument: "usb-4x64", extraArguments: ["--seed", "9", "--link", link, "--pristine"])
        defer { _ = emulator.stop() }

        let form = try lab.run(["form", "--board", "serial:\(link)", "--instrument", "usb-4x64", "--tile", "0", "--json", "-q"])
        #expect(form.status == 0, "\(form)")
        let store = try RunStore(path: lab.storePath)
        let results = try store.formingResults(run: 1)
        #expect(results.count == 4096)
        let instrument = try InstrumentCatalog.resolve("usb-4x64", instrumentsDirectory: XbarExecutable.instrumentsFolder)
        let expected = instrument.device.nonVolatile.forming!.expectedYield(of: instrument.device.nonVolatile)
        let formed = Double(results.filter { $0.outcome == "formed" }.count) / 4096
        #expect(abs(formed - expected) < 0.02, "formed \(formed), the instrument's yield \(expected)")
        // No ramp passed the forming limit (3.5 V), and every formed cell formed above SET.
        let curves = try store.ivCurves(run: 1)
        #expect(curves.allSatisfy { $0.volts.allSatisfy { $0 <= 3.5 } })
        #expect(results.compactMap(\.formingVolts).allSatisfy { $0 > 1.5 && $0 <= 3.5 })
        #expect(form.standardOutput.contains("\"event\":\"summary\""), "\(form)")

        let targets = try lab.python("import numpy; numpy.save('t.npy', numpy.full((64, 64), 20e-6))")
        #expect(targets.status == 0, "\(targets)")
        let program = try lab.run(["program", "--board", "serial:\(link)", "--instrument", "usb-4x64", "--target", "t.npy", "--tile", "0", "-q"])
        #expect(program.status == 64, "\(program)")
        let unformed = results.filter { $0.outcome != "formed" }
        #expect(program.standardError.contains("\(unformed.count) targeted cells are not formed"), "\(program)")
        let first = try #require(unformed.first)
        #expect(program.standardError.contains("tile 0 cell \(first.row):\(first.column) \(first.outcome)"), "\(program)")
        // A fresh in-process chip is its own: the emulator chip's forming records do not bind it,
        // and a fresh pristine one has nothing formed to program.
        let fresh = try lab.run(["program", "--board", "sim", "--instrument", "usb-4x64", "--target", "t.npy", "--tile", "0", "-q"])
        #expect(fresh.status == 0, "\(fresh)")
        let pristine = try lab.run(["program", "--board", "sim", "--pristine", "--instrument", "usb-4x64", "--target", "t.npy", "--tile", "0", "-q"])
        #expect(pristine.status == 64 && pristine.standardError.contains("a fresh pristine chip has no formed cell to program"), "\(pristine)")

        let sweep = try lab.run(["sweep", "--board", "serial:\(link)", "--instrument", "usb-4x64", "--tile", "0", "--cells", "row:1", "-q"])
        #expect(sweep.status == 0, "\(sweep)")
        // The refused programs recorded no run: after the form run and the fresh chip's program,
        // the sweep is run 3.
        let sweepRun = try #require(try store.runs().first { $0.draft.kind == "sweep" })
        #expect(sweepRun.id == 3)
        let sets = try store.ivCurves(run: sweepRun.id).compactMap(\.setVolts).sorted()
        // The instrument's SET threshold is 1.0 V with a 10 % spread.
        #expect(sets.count >= 58)
        #expect(abs(sets[sets.count / 2] - 1.0) < 0.1, "median SET \(sets[sets.count / 2]) V")
    }
}
