import Foundation
import XbarBoard
import XbarStore
import XbarWire

/// Carries out logged operations on a board: logs the intent, sends the request, logs the
/// result. Between the two logs the operation is in doubt; see ``RunReconciler``.
public final class OperationRunner {
    public let board: any Board
    public let journal: any OperationJournal
    /// Waits for conductances to relax, seconds; nil waits on the board's own clock
    /// (``wait(seconds:tile:on:)``).
    public let settle: ((Double) throws -> Void)?

    public init(board: any Board, journal: any OperationJournal, settle: ((Double) throws -> Void)? = nil) {
        self.board = board
        self.journal = journal
        self.settle = settle
    }

    /// Read voltage of the reads that time a wait: low enough for any instrument's limits, and
    /// a read does not move a non-volatile cell.
    public static let waitReadVolts = 0.1

    /// Waits `seconds` on the board's clock: a simulated board advances its clock; any other
    /// board runs read trains on the first cell of `tile` (``Board/settle(seconds:referenceCell:readVolts:sliceSeconds:readsPerTrain:)``).
    /// A host sleep would jitter on hardware and leave an emulator's clock where it was.
    ///
    /// - Throws: ``BoardError`` from the read trains.
    public static func wait(seconds: Double, tile: Int, on board: any Board) throws {
        guard seconds > 0 else { return }
        if let sim = board as? SimulatedBoard { return sim.advanceTime(seconds: seconds) }
        _ = try board.settle(seconds: seconds, referenceCell: .list(tile: UInt8(clamping: tile), [CellIndex(row: 0, column: 0)]),
                             readVolts: waitReadVolts)
    }

    /// Logs, performs and logs the result of one operation; returns the measured conductances.
    ///
    /// On a board with sequence numbers the intent records the number the request will carry
    /// and the board session, so that a resumed run can ask the board what became of it.
    ///
    /// - Throws: ``BoardError`` from the board, ``ProgrammingError/badReply(_:)`` when the reply
    ///   does not carry one value per cell, or a store error. After a throw the operation stays
    ///   logged as intent (in doubt).
    @discardableResult
    public func perform(_ operation: JournalOperation) throws -> (measured: [Double], at: Date) {
        // A wait longer than any board can time is refused before it is logged.
        if case .settle(_, let seconds) = operation { try WaitLimit.check(seconds: seconds, "settle time") }
        let request = try Self.request(for: operation)
        let link = request == nil ? nil : board as? SequencedBoard
        let seq = try journal.logIntent(operation, wireSequence: link.map { Int($0.upcomingSequence) },
                                        boardSession: link?.sessionID)
        let measured: [Double]
        if let request {
            measured = try Self.measurements(board.perform(request), for: operation)
        } else if case .settle(let tile, let seconds) = operation {
            if let settle { try settle(seconds) } else { try Self.wait(seconds: seconds, tile: tile, on: board) }
            measured = []
        } else {
            measured = []
        }
        let now = Date()
        try journal.logResult(seq: seq, measuredSiemens: measured, at: now)
        return (measured, now)
    }

    /// Sends an operation to a board without logging it (also used to replay a ledger).
    public static func execute(_ operation: JournalOperation, on board: any Board,
                               settle: (Double) throws -> Void) throws -> [Double] {
        guard let request = try request(for: operation) else {
            if case .settle(_, let seconds) = operation {
                try WaitLimit.check(seconds: seconds, "settle time")
                try settle(seconds)
            }
            return []
        }
        return try measurements(board.perform(request), for: operation)
    }

    /// The request that carries out `operation`; nil for a settle wait, which sends none.
    ///
    /// - Throws: ``JournalConversionError`` when a
    ///   logged value has no wire form (a bias scheme the protocol does not define, a count
    ///   beyond 16 bits): a logged operation is sent as logged or not at all.
    public static func request(for operation: JournalOperation) throws(JournalConversionError) -> Request? {
        func u16(_ value: Int, _ what: String) throws(JournalConversionError) -> UInt16 {
            guard let v = UInt16(exactly: value) else { throw JournalConversionError(field: what, value: "\(value)", expected: "0 to 65535") }
            return v
        }
        func tileIndex(_ tile: Int) throws(JournalConversionError) -> UInt8 {
            guard let t = UInt8(exactly: tile) else { throw JournalConversionError(field: "tile", value: "\(tile)", expected: "0 to 255") }
            return t
        }
        switch operation {
        case .settle:
            return nil
        case let .read(tile, cells, _, _, volts, averages, range):
            let t = try tileIndex(tile)
            var list: [CellIndex]?
            if let cells {
                var converted: [CellIndex] = []
                converted.reserveCapacity(cells.count)
                for c in cells { converted.append(CellIndex(row: try u16(c.row, "row"), column: try u16(c.column, "column"))) }
                list = converted
            }
            let set: CellSet = list.map { .list(tile: t, $0) } ?? .tile(t)
            let senseRange = try range.map { r throws(JournalConversionError) in
                guard let index = UInt8(exactly: r) else { throw JournalConversionError(field: "senseRange", value: "\(r)", expected: "0 to 255") }
                return index
            }
            return .read(ReadCells(cells: set, readVolts: Float(volts), averages: try u16(averages, "averages"), senseRange: senseRange))
        case let .pulseBatch(tile, scheme, verifyVolts, averages, pulses):
            guard let rawScheme = UInt8(exactly: scheme), let bias = BiasScheme(rawValue: rawScheme) else {
                throw JournalConversionError(field: "scheme", value: "\(scheme)", expected: "a bias scheme: 0 grounded, 1 half voltage, 2 third voltage")
            }
            var cellPulses: [CellPulse] = []
            cellPulses.reserveCapacity(pulses.count)
            for p in pulses {
                cellPulses.append(CellPulse(cell: CellIndex(row: try u16(p.row, "row"), column: try u16(p.column, "column")),
                                            amplitudeVolts: Float(p.amplitudeVolts), widthSeconds: Float(p.widthSeconds)))
            }
            var verify = try verifyVolts.map { v throws(JournalConversionError) in VerifyRead(readVolts: Float(v), averages: try u16(averages, "averages")) }
            if let v = verifyVolts, operation.isRangedVerify {
                // Runs of consecutive pulses verified alike go out as one group each.
                var groups: [VerifyGroup] = []
                for p in pulses {
                    guard let how = p.verify else { continue }
                    let range = try how.senseRange.map { r throws(JournalConversionError) in
                        guard let index = UInt8(exactly: r), index != VerifyGroup.readFullScaleIndex else {
                            throw JournalConversionError(field: "verify senseRange", value: "\(r)", expected: "0 to 254")
                        }
                        return index
                    }
                    let n = try u16(how.averages, "verify averages")
                    if let last = groups.last, last.senseRange == range, last.averages == n, last.pulseCount < UInt16.max {
                        groups[groups.count - 1].pulseCount += 1
                    } else {
                        groups.append(VerifyGroup(pulseCount: 1, senseRange: range, averages: n))
                    }
                }
                verify = VerifyRead(readVolts: Float(v), groups: groups)
            }
            return .pulseBatch(PulseBatch(tile: try tileIndex(tile), scheme: bias, verify: verify, pulses: cellPulses))
        }
    }

    /// The conductances a reply to `operation`'s request carries, siemens, in the operation's
    /// cell order (a batch's verify reads; none without a verify read). A cell a ranged read
    /// (or a batch's verify in ranges) flags as saturated is `+infinity`: its current was beyond the range, and the full-scale
    /// value the board sends for it is no measurement.
    ///
    /// - Throws: ``ProgrammingError/badReply(_:)`` when the reply is not the kind the request
    ///   expects, does not carry one value per cell, or a ranged read's reply has no saturation
    ///   flags for its cells.
    public static func measurements(_ reply: Reply, for operation: JournalOperation) throws(ProgrammingError) -> [Double] {
        switch (operation, reply) {
        case let (.read(tile, _, _, _, volts, _, range), .currents(c)):
            if c.amperes.count != operation.cells.count {
                throw .badReply("READ of \(operation.cells.count) cells of tile \(tile) returned \(c.amperes.count) values")
            }
            guard let range else { return c.amperes.map { Double($0) / volts } }
            guard let flags = c.saturated, flags.count == c.amperes.count else {
                throw .badReply("READ of \(operation.cells.count) cells of tile \(tile) in sense range \(range) returned no saturation flags")
            }
            return zip(c.amperes, flags).map { $1 ? .infinity : Double($0) / volts }
        case let (.pulseBatch(tile, _, verifyVolts, _, pulses), .pulsed(receipt)):
            guard let volts = verifyVolts else { return [] }
            if receipt.verifyAmperes.count != pulses.count {
                throw .badReply("PULSE_BATCH of \(pulses.count) pulses on tile \(tile) returned \(receipt.verifyAmperes.count) verify reads")
            }
            guard operation.isRangedVerify else { return receipt.verifyAmperes.map { Double($0) / volts } }
            guard let flags = receipt.verifySaturated, flags.count == pulses.count else {
                throw .badReply("PULSE_BATCH of \(pulses.count) pulses on tile \(tile) verified in sense ranges returned no saturation flags")
            }
            return zip(receipt.verifyAmperes, flags).map { $1 ? .infinity : Double($0) / volts }
        default:
            throw .badReply("\(operation.kindName) answered with \(reply.opcode.name)")
        }
    }
}

/// A logged operation holds a value its request cannot carry.
public struct JournalConversionError: Error, Hashable, Sendable, CustomStringConvertible {
    public var field: String
    public var value: String
    public var expected: String
    public var description: String { "logged operation: \(field) \(value) cannot be sent: expected \(expected)" }
}
