import Testing
import XbarWire

/// The worked examples of section 9 tell one session, and their text agrees with their bytes:
/// sequence numbers as section 4 numbers them, board time that only moves forward, read times
/// that follow the READ_TRAIN's interval, requests that fit the example board's tiles and limits.
@Suite("specification examples: one consistent session")
struct SpecSessionTests {
    /// The examples as the specification holds them, decoded from their wire bytes, in document order.
    static func decodedExamples() throws -> [(name: String, frame: Frame)] {
        let spec = try SpecExampleTests.parseSpec()
        return try SpecExamples.all.map { name, _ in
            let wire = try #require(spec[name]?["wire"], "example \(name) is missing")
            var receiver = FrameReceiver()
            receiver.append(wire)
            guard case .success(let frame)? = receiver.next() else { throw ExampleError.doesNotFrame(name) }
            return (name, frame)
        }
    }

    enum ExampleError: Error { case doesNotFrame(String) }

    @Test("requests are numbered from STATUS's nextSequence, IDENTIFY and STATUS consume none, replies carry their request's")
    func numbering() throws {
        let examples = try Self.decodedExamples()
        var next: UInt16?
        // Requests sent and not yet answered, oldest first (two only while ABORT stops a READ_TRAIN).
        var outstanding: [UInt16] = []
        for (name, frame) in examples {
            if frame.header.opcode.isReply {
                if case .status(let status) = try WireCodec.decodeReply(frame) { next = status.nextSequence }
                if !outstanding.isEmpty {
                    #expect(frame.header.sequence == outstanding[0], "\(name) answers \(frame.header.sequence), not the oldest outstanding request")
                    if case .fault(let f) = try WireCodec.decodeReply(frame), f.code == .unknownOpcode {} else { outstanding.removeFirst() }
                }
                continue
            }
            if frame.header.opcode.isReadOnlyRequest { continue }
            if frame.header.flags.contains(.retry) {
                #expect(outstanding.contains(frame.header.sequence), "\(name) retries under another number")
                continue
            }
            let expected = try #require(next, "\(name) comes before the STATUS reply that tells where to start")
            #expect(frame.header.sequence == expected, "\(name) should take sequence \(expected)")
            // Only ABORT may be sent while a request (a READ_TRAIN) is outstanding.
            #expect(outstanding.isEmpty || frame.header.opcode == .abort, "\(name) sent while \(outstanding) is outstanding")
            outstanding.append(frame.header.sequence)
            next = frame.header.sequence &+ 1
        }
        #expect(outstanding.isEmpty, "requests never answered: \(outstanding)")
    }

    @Test("board time only moves forward, and the READ_TRAIN's reads come intervalSeconds after its pulse and apart")
    func boardTimes() throws {
        var times: [UInt64] = []
        var train: ReadTrain?
        for (name, frame) in try Self.decodedExamples() {
            if !frame.header.opcode.isReply {
                if case .readTrain(let t) = try WireCodec.decodeRequest(frame) { train = t }
                continue
            }
            switch try WireCodec.decodeReply(frame) {
            case .status(let s): times.append(s.boardTimeNanoseconds)
            case .pulsed(let p): times.append(p.boardTimeNanoseconds)
            case .currents(let c): times.append(c.boardTimeNanoseconds)
            case .readTrain(let data):
                let t = try #require(train, "\(name) answers no READ_TRAIN")
                let interval = UInt64((Double(t.intervalSeconds) * 1e9).rounded())
                let pulse = UInt64((Double(t.pulse?.widthSeconds ?? 0) * 1e9).rounded())
                let stamps = data.timestampsNanoseconds
                try #require(stamps.count == Int(t.readCount))
                for k in 1..<stamps.count { #expect(stamps[k] - stamps[k - 1] == interval, "read \(k) of \(name)") }
                // The train starts after the previous reply; its first read comes a pulse and an interval later.
                let previous = try #require(times.last)
                #expect(stamps[0] >= previous + pulse + interval)
                #expect(data.amperes.count == stamps.count * 2)
                times += stamps
            default: break
            }
        }
        #expect(times.count >= 4)
        #expect(times == times.sorted(), "board times go back: \(times)")
    }

    @Test("every example request fits the example board's tiles; all but the FAULT example pass its limits")
    func requestsFitTheBoard() throws {
        let identity = SpecExamples.identity
        for (name, frame) in try Self.decodedExamples() where !frame.header.opcode.isReply {
            let request = try WireCodec.decodeRequest(frame)
            let cells: CellSet?
            switch request {
            case .read(let r): cells = r.cells
            case .pulse(let p): cells = p.cells
            case .readTrain(let t): cells = t.cells
            case .pulseBatch(let b):
                cells = .list(tile: b.tile, b.pulses.map(\.cell))
            default: cells = nil
            }
            if let cells {
                let tile = try #require(identity.tiles.first { $0.index == cells.tile }, "\(name): no tile \(cells.tile)")
                #expect(throws: Never.self, "\(name)") { _ = try cells.cells(rows: Int(tile.rows), columns: Int(tile.columns)) }
                if case .readTrain = request { #expect(tile.kind == .shortTermMemory, "\(name) reads a non-STM tile") }
            }
            let fault = identity.limits.check(request)
            if name == "pulse-request" {
                #expect(fault?.limit == .setVolts)
            } else {
                #expect(fault == nil, "\(name) breaks the example board's limits: \(String(describing: fault))")
            }
        }
    }

    @Test("the example board offers what its tiles need: MVM for weight tiles, trains, programs and node actions for STM")
    func capabilities() {
        let identity = SpecExamples.identity
        #expect(identity.tiles.contains { $0.kind == .nonVolatile1T1R } && identity.capabilities.contains([.mvm, .pulseBatch]))
        #expect(identity.tiles.contains { $0.kind == .shortTermMemory }
                && identity.capabilities.contains([.readTrain, .play, .simultaneousNodeActions]))
        // The DAC spans less than the MVM limit, as 8.6 says of this board.
        #expect(identity.dac.fullScaleVolts < identity.limits.maxMVMVolts)
    }
}
