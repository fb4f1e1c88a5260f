import Foundation
import Testing
import XbarBoard
import XbarInstrument
import XbarWire

/// The board of the specification's examples is the shipped `usb-4x64`, and the emulator's
/// refusals that the specification describes happen as described.
@Suite("specification: the example board and the MVM refusal beyond the DAC")
struct SpecificationBoardTests {
    let instrument = TestInstrument.usb4x64()

    /// The wire bytes of one worked example of `protocols/xbar-wire-v1.md`.
    static func exampleWireBytes(_ name: String) throws -> [UInt8] {
        let path = TestInstrument.instrumentsFolder.deletingLastPathComponent()
            .appendingPathComponent("protocols/xbar-wire-v1.md").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let marker = try #require(text.range(of: "<!-- example: \(name) -->"))
        var bytes: [UInt8] = []
        var inWire = false
        for line in text[marker.upperBound...].split(separator: "\n").dropFirst(1) {
            if line.hasPrefix("```") { break }
            let tokens = line.split(separator: " ")
            if let label = tokens.first, label.count > 2 { inWire = label == "wire" }
            if inWire { bytes += tokens.compactMap { $0.count == 2 ? UInt8($0, radix: 16) : nil } }
        }
        return bytes
    }

    @Test("the IDENTITY of section 9.2 is what a usb-4x64 board reports: the shipped file accepts it")
    func exampleBoardIsTheShippedOne() throws {
        var receiver = FrameReceiver()
        receiver.append(try Self.exampleWireBytes("identify-reply"))
        let frame = try #require(try receiver.next()?.get())
        guard case .identity(let identity) = try WireCodec.decodeReply(frame) else {
            Issue.record("the identify-reply example is no IDENTITY"); return
        }
        #expect(instrument.mismatches(with: identity) == [])
        #expect(identity.tiles == instrument.tiles)
        // IDENTITY carries every limit but the forming limit, which protocol 1's layout predates.
        var wireLimits = instrument.limits
        wireLimits.maxFormingVolts = nil
        #expect(identity.limits == wireLimits)
        #expect(identity.capabilities == SimulatedBoard(instrument: instrument, seed: 1).identity.capabilities)
    }

    @Test("an MVM voltage between the DAC's full scale (0.25 V) and the MVM limit (0.3 V) is refused with badArgument, never clipped")
    func mvmBeyondTheDAC() throws {
        let board = SimulatedBoard(instrument: instrument, seed: 1)
        #expect(instrument.dac.fullScaleVolts == 0.25 && instrument.limits.maxMVMVolts == 0.3)
        var inputs = [Float](repeating: 0.1, count: 64)
        inputs[7] = 0.28
        let fault = try #require(refusal(board, .mvm(MatrixVectorProduct(tile: 0, encoding: .voltage, readVolts: 0, inputLength: 64, inputs: inputs))))
        #expect(fault.code == .badArgument)
        #expect(fault.message.contains("input 7") && fault.message.contains("0.25"))
        inputs[7] = 0.31
        #expect(refusal(board, .mvm(MatrixVectorProduct(tile: 0, encoding: .voltage, readVolts: 0, inputLength: 64, inputs: inputs)))?.limit == .mvmVolts)
        inputs[7] = -0.25
        #expect(refusal(board, .mvm(MatrixVectorProduct(tile: 0, encoding: .voltage, readVolts: 0, inputLength: 64, inputs: inputs))) == nil)
    }

    @Test("the host refuses an MVM voltage beyond the DAC's full scale the same way, without sending it")
    func hostRefusesBeyondTheDAC() throws {
        let served = ServedBoard(instrument: instrument)
        defer { served.shutDown() }
        let host = try RemoteBoard(transport: served.host, instrument: instrument, description: "link",
                                   policy: RemoteBoard.RetryPolicy(replyTimeoutSeconds: 0.5, attempts: 2))
        var inputs = [Float](repeating: 0.1, count: 64)
        inputs[7] = 0.28
        let sent = host.bytesSent
        let error = #expect(throws: BoardError.self) {
            _ = try host.perform(.mvm(MatrixVectorProduct(tile: 0, encoding: .voltage, readVolts: 0, inputLength: 64, inputs: inputs)))
        }
        let fault = try #require(error?.fault)
        #expect(fault.code == .badArgument)
        #expect(fault.message.contains("input 7") && fault.message.contains("0.25"))
        #expect(host.bytesSent == sent)
        inputs[7] = 0.25
        _ = try host.perform(.mvm(MatrixVectorProduct(tile: 0, encoding: .voltage, readVolts: 0, inputLength: 64, inputs: inputs)))
        #expect(host.bytesSent > sent)
    }
}
