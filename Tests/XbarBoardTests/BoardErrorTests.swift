import Foundation
import Testing
import XbarBoard
import XbarInstrument
import XbarTransport
import XbarWire

@Suite("board errors tell a lost board from a refused request")
struct BoardErrorTests {
    let instrument = TestInstrument.usb4x64()
    let fast = RemoteBoard.RetryPolicy(replyTimeoutSeconds: 0.2, attempts: 3)
    let cell = CellSet.cell(tile: 0, CellIndex(row: 1, column: 2))

    @Test("a board whose link closes mid-session surfaces the transport's disconnect, typed, as a lost board")
    func closedLink() throws {
        let served = ServedBoard(instrument: instrument)
        let board = try RemoteBoard(transport: served.host, instrument: instrument, description: "link", policy: fast)
        _ = try board.status()
        served.shutDown()
        let error = #expect(throws: BoardError.self) {
            _ = try board.read(.tile(0), readVolts: 0.2)
        }
        guard case .transport(let name, _, let cause)? = error else {
            Issue.record("expected a transport error, got \(String(describing: error))"); return
        }
        #expect(name == "link")
        #expect(cause.isDisconnect, "\(cause)")
        #expect(error?.isBoardLost == true)
    }

    @Test("a silent board is a lost board once every attempt timed out")
    func silentBoard() throws {
        let (hostEnd, boardEnd) = InMemoryTransport.pair()
        defer { _ = boardEnd; hostEnd.close() }
        let error = #expect(throws: BoardError.self) {
            _ = try RemoteBoard(transport: hostEnd, instrument: instrument, description: "link", policy: fast)
        }
        guard case .timeout(_, let seconds, let attempts)? = error else {
            Issue.record("expected a timeout, got \(String(describing: error))"); return
        }
        #expect(attempts == 3 && seconds >= 0.2)
        #expect(error?.isBoardLost == true)
    }

    @Test("a link that damages every frame is a lost board; the request never ran")
    func damagedEveryTime() throws {
        // The host writes: 0 STATUS, 1 IDENTIFY, 2 IDENTIFY of the sense ranges, then the PULSE
        // three times, each damaged.
        let served = ServedBoard(instrument: instrument, hostDamage: [3: .flipBit, 4: .flipBit, 5: .flipBit])
        defer { served.shutDown() }
        let board = try RemoteBoard(transport: served.host, instrument: instrument, description: "link", policy: fast)
        let error = #expect(throws: BoardError.self) {
            try board.pulse(cell, amplitudeVolts: 2.0, widthSeconds: 1e-6, scheme: .grounded)
        }
        guard case .damagedFrames(_, let fault, let attempts)? = error else {
            Issue.record("expected damaged frames, got \(String(describing: error))"); return
        }
        #expect(fault.code == .badCRC && attempts == 3)
        #expect(error?.isBoardLost == true)
        #expect(try board.status().pulsesApplied == 0)
    }

    @Test("limit refusals, bad arguments and a busy board are refused requests, not lost boards")
    func refusals() throws {
        let served = ServedBoard(instrument: instrument)
        defer { served.shutDown() }
        let board = try RemoteBoard(transport: served.host, instrument: instrument, description: "link", policy: fast)
        let limit = #expect(throws: BoardError.self) {
            try board.pulse(cell, amplitudeVolts: 3.4, widthSeconds: 1e-6, scheme: .grounded)
        }
        #expect(limit?.isBoardLost == false)
        let badTile = #expect(throws: BoardError.self) {
            _ = try board.read(.tile(9), readVolts: 0.2)
        }
        guard case .fault(let fault)? = badTile else { Issue.record("expected a fault, got \(String(describing: badTile))"); return }
        #expect(fault.code == .badArgument)
        #expect(badTile?.isBoardLost == false)
        for code in [FaultCode.busy, .unsupported, .outOfLimits, .complianceTrip] {
            #expect(!BoardError.fault(BoardFault(code: code, message: "")).isBoardLost, "\(code)")
        }
        #expect(BoardError.fault(BoardFault(code: .internalError, message: "")).isBoardLost)
        // Opening problems the user fixes are not losses either.
        #expect(!BoardError.transport(board: "serial:/dev/ttyUSB0", operation: "opening the port",
                                      .inUse(path: "/dev/ttyUSB0", holder: nil)).isBoardLost)
        #expect(!BoardError.transport(board: "usb:1209:58BA", operation: "opening the device", .notFound(what: "usb:1209:58BA")).isBoardLost)
    }
}
