import Foundation
import XbarWire

/// The non-volatile state of a simulated chip, as a file: what a real chip keeps across a
/// power cycle. It holds the conductance of every non-volatile cell; everything else of the
/// chip (each cell's drawn parameters, stuck cells) follows from the instrument and the seed,
/// which the file records so that it is never restored onto another chip. What a power cycle
/// loses is not in it: STM states decay to their base, the board clock, the reply cache and the
/// pulse counter (which counts since power-up) start afresh, and the board draws a new session.
///
/// Layout: the line `xbar-chip-state 1`, a line of JSON (instrument name, seed, tiles with
/// their cell counts), then each tile's conductances as little-endian float64, siemens, row-major.
public struct ChipStateFile: Sendable {
    public struct Header: Codable, Sendable, Equatable {
        public var instrument: String
        public var seed: UInt64
        public var tiles: [TileCells]
        /// Which cells are still pristine and which over-formed, for a chip simulated pristine;
        /// nil for a chip formed from the start (and in files saved before forming existed).
        public var forming: FormingRecord? = nil
    }
    /// A pristine chip's forming so far: cell positions in the file's conductance order.
    public struct FormingRecord: Codable, Sendable, Equatable {
        public var pristine: [Int]
        public var overFormed: [Int]
    }
    public struct TileCells: Codable, Sendable, Equatable {
        public var index: UInt8
        public var cells: Int
    }

    public let path: String
    static let magic = "xbar-chip-state 1\n"

    public init(path: String) { self.path = path }

    /// Whether the file exists (a first start has none yet).
    public var exists: Bool { FileManager.default.fileExists(atPath: path) }

    /// Writes `board`'s state, replacing the file atomically (a copy is written and renamed
    /// over it), so a process killed while saving leaves the previous state whole.
    ///
    /// - Throws: ``ChipStateError`` when the file cannot be written.
    public func save(_ board: SimulatedBoard) throws(ChipStateError) {
        let (header, siemens) = board.chipState()
        var data = Data(Self.magic.utf8)
        do {
            data.append(try JSONEncoder().encode(header))
        } catch {
            throw ChipStateError(path: path, problem: "cannot encode the header: \(error)")
        }
        data.append(0x0A)
        siemens.withUnsafeBufferPointer { data.append(Data(buffer: $0)) }
        let temporary = path + ".saving"
        do {
            try data.write(to: URL(fileURLWithPath: temporary))
            if rename(temporary, path) != 0 {
                throw ChipStateError(path: path, problem: "cannot replace it: \(String(cString: strerror(errno)))")
            }
        } catch let error as ChipStateError {
            throw error
        } catch {
            throw ChipStateError(path: path, problem: "cannot write it: \(error.localizedDescription)")
        }
    }

    /// Puts the saved conductances into `board`, a freshly created board of the same instrument
    /// and seed.
    ///
    /// - Throws: ``ChipStateError`` when the file cannot be read, is not a chip state, or was
    ///   saved from another instrument, seed or geometry.
    public func restore(into board: SimulatedBoard) throws(ChipStateError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ChipStateError(path: path, problem: "cannot read it: \(error.localizedDescription)")
        }
        let magic = Data(Self.magic.utf8)
        guard data.starts(with: magic), let newline = data[magic.count...].firstIndex(of: 0x0A) else {
            throw ChipStateError(path: path, problem: "not a chip state file (it does not start with \"xbar-chip-state 1\")")
        }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: data[magic.count..<newline])
        } catch {
            throw ChipStateError(path: path, problem: "unreadable header: \(error)")
        }
        let expected = board.chipState().header
        guard header.instrument == expected.instrument, header.seed == expected.seed else {
            throw ChipStateError(path: path, problem: "saved from instrument \(header.instrument) seed \(header.seed); this board is \(expected.instrument) seed \(expected.seed)")
        }
        guard header.tiles == expected.tiles else {
            throw ChipStateError(path: path, problem: "its tiles \(header.tiles.map { "\($0.index):\($0.cells)" }) are not this board's \(expected.tiles.map { "\($0.index):\($0.cells)" })")
        }
        let body = data[(newline + 1)...]
        let count = expected.tiles.reduce(0) { $0 + $1.cells }
        guard body.count == count * 8 else {
            throw ChipStateError(path: path, problem: "holds \(body.count) bytes of conductances, \(count * 8) expected")
        }
        var siemens = [Double](repeating: 0, count: count)
        siemens.withUnsafeMutableBytes { _ = body.copyBytes(to: $0) }
        if let bad = siemens.firstIndex(where: { !$0.isFinite || $0 < 0 }) {
            throw ChipStateError(path: path, problem: "value \(bad) is \(siemens[bad]), not a conductance")
        }
        // Forming first: it marks the cells, then the saved conductances of formed cells land.
        if let forming = header.forming { board.adoptFormingRecord(forming) }
        board.adoptChipState(siemens)
    }
}

/// A chip state file that cannot be written, read or used.
public struct ChipStateError: Error, Hashable, Sendable, CustomStringConvertible {
    public var path: String
    public var problem: String
    public var description: String { "chip state \(path): \(problem)" }
}

extension SimulatedBoard {
    /// Every non-volatile tile's true conductances now, siemens, tile after tile.
    func chipState() -> (header: ChipStateFile.Header, siemens: [Double]) {
        var tilesOut: [ChipStateFile.TileCells] = []
        var siemens: [Double] = []
        let t = clock.seconds
        for case .nonVolatile(let info, let array)? in tiles {
            tilesOut.append(.init(index: info.index, cells: info.cellCount))
            for i in 0..<info.cellCount { siemens.append(array.conductance(i, at: t)) }
        }
        return (ChipStateFile.Header(instrument: instrument.name, seed: seed, tiles: tilesOut, forming: formingRecord()), siemens)
    }

    /// Sets every non-volatile cell to a saved conductance, as if just programmed there; stuck
    /// cells keep their stuck value. `siemens` is in ``chipState()``'s order and length.
    func adoptChipState(_ siemens: [Double]) {
        var k = 0
        let t = clock.seconds
        for case .nonVolatile(let info, let array)? in tiles {
            for i in 0..<info.cellCount {
                array.setConductance(i, siemens: siemens[k], at: t)
                k += 1
            }
        }
    }
}
