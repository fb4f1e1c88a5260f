import XbarBoard
import XbarWire

/// A sweep of pulses over short-term-memory state nodes, each followed by a board-timed read
/// train, with the volatile state left to decay (several `tau`) before every sweep point.
public struct STMSweep: Hashable, Sendable {
    /// One sweep point: a pulse condition applied `pulseCount` times back to back.
    public struct Point: Hashable, Sendable {
        public var amplitudeVolts: Double
        public var widthSeconds: Double
        /// 1: the read train's own pulse (exactly timed); more: a burst applied by one pulse
        /// batch just before a pulse-free train.
        public var pulseCount: Int

        public init(amplitudeVolts: Double, widthSeconds: Double, pulseCount: Int = 1) {
            self.amplitudeVolts = amplitudeVolts
            self.widthSeconds = widthSeconds
            self.pulseCount = pulseCount
        }
    }

    public var tile: UInt8
    public var nodes: [CellIndex]
    public var points: [Point]
    /// Times every point is repeated (all points, then all points again).
    public var repetitions: Int
    public var readCount: Int
    public var intervalSeconds: Double
    public var readVolts: Double
    /// Wait before each point for the volatile state to decay, seconds.
    public var settleSeconds: Double
    /// Pulse-free reads at rest taken once at the start (read noise), 0 for none.
    public var restReadCount: Int
    /// Bias scheme of burst pulse batches.
    public var scheme: BiasScheme
    /// Reads of a second, slower pulse-free train after each point's train (0 for none): it
    /// follows a slow decay component that the main train is too short to see.
    public var tailReadCount: Int
    public var tailIntervalSeconds: Double
    /// Longest a burst's pulse batch may last, seconds (counted as pulse widths), or nil for
    /// no limit: the nodes of a point are then pulsed and read in smaller groups, so that a
    /// burst stays short against the decay of fast nodes.
    public var maxBurstSeconds: Double?

    public init(tile: UInt8, nodes: [CellIndex], points: [Point], repetitions: Int = 1, readCount: Int,
                intervalSeconds: Double, readVolts: Double, settleSeconds: Double, restReadCount: Int = 0,
                scheme: BiasScheme = .grounded, tailReadCount: Int = 0, tailIntervalSeconds: Double = 0,
                maxBurstSeconds: Double? = nil) {
        self.maxBurstSeconds = maxBurstSeconds
        self.scheme = scheme
        self.tailReadCount = tailReadCount
        self.tailIntervalSeconds = tailIntervalSeconds
        self.tile = tile
        self.nodes = nodes
        self.points = points
        self.repetitions = repetitions
        self.readCount = readCount
        self.intervalSeconds = intervalSeconds
        self.readVolts = readVolts
        self.settleSeconds = settleSeconds
        self.restReadCount = restReadCount
    }

    /// The cartesian product of amplitudes and widths, amplitude-major.
    public static func grid(amplitudesVolts: [Double], widthsSeconds: [Double], pulseCount: Int = 1) -> [Point] {
        amplitudesVolts.flatMap { a in widthsSeconds.map { Point(amplitudeVolts: a, widthSeconds: $0, pulseCount: pulseCount) } }
    }

    /// Why a sweep cannot run.
    public enum Failure: Error, Hashable, Sendable, CustomStringConvertible {
        case notStateTile(tile: UInt8)
        case noNodes
        case nodeOutside(CellIndex, rows: UInt16, columns: UInt16)
        case refused(point: Int, BoardFault)
        case badArgument(String)

        public var description: String {
            switch self {
            case .notStateTile(let t): return "tile \(t) is not a tile of STM state nodes: choose one listed as short_term_memory in the instrument"
            case .noNodes: return "no state nodes selected: pass --nodes"
            case let .nodeOutside(c, r, k): return "node \(c) is outside the \(r)x\(k) state tile"
            case let .refused(p, f): return "sweep point \(p) is outside the instrument's limits: \(f.message)"
            case .badArgument(let m): return m
            }
        }
    }

    /// Checks the sweep against the instrument before any pulse is applied: tile kind, node
    /// positions, pulse limits, read-train length.
    public func validate(against limits: ElectricalLimits, tile info: TileInfo?) throws(Failure) {
        guard let info, info.kind == .shortTermMemory else { throw .notStateTile(tile: tile) }
        guard !nodes.isEmpty else { throw .noNodes }
        for n in nodes where n.row >= info.rows || n.column >= info.columns {
            throw .nodeOutside(n, rows: info.rows, columns: info.columns)
        }
        guard maxBurstSeconds.map({ $0 > 0 }) ?? true else {
            throw .badArgument("the longest burst must be a positive number of seconds")
        }
        guard tailReadCount == 0 || tailIntervalSeconds > 0 else {
            throw .badArgument("the tail read train needs a positive interval")
        }
        guard repetitions >= 1 else { throw .badArgument("repetitions must be at least 1") }
        // Counts travel as u16 read-train lengths: refused above that, never clamped.
        for (name, count, low) in [("reads per train", readCount, 1), ("rest reads", restReadCount, 0), ("tail reads", tailReadCount, 0)]
        where count < low || count > Int(UInt16.max) {
            throw .badArgument("\(name) \(count) outside \(low)...\(UInt16.max)")
        }
        for (name, seconds, positive) in [("settle time", settleSeconds, true), ("read interval", intervalSeconds, true),
                                          ("tail read interval", tailIntervalSeconds, tailReadCount > 0)] {
            if let problem = WaitLimit.problem(seconds: seconds, positive: positive) { throw .badArgument("\(name): \(problem)") }
        }
        for (i, p) in points.enumerated() {
            guard p.pulseCount >= 1, p.pulseCount <= Int(UInt16.max) else {
                throw .badArgument("sweep point \(i): pulse count \(p.pulseCount) outside 1...\(UInt16.max)")
            }
            let train = ReadTrain(cells: .list(tile: tile, nodes), pulse: TrainPulse(amplitudeVolts: Float(p.amplitudeVolts), widthSeconds: Float(p.widthSeconds)),
                                  readVolts: Float(readVolts), readCount: UInt16(readCount), intervalSeconds: Float(intervalSeconds))
            if let fault = limits.check(.readTrain(train)) { throw .refused(point: i, fault) }
        }
    }

    /// Runs the sweep.
    ///
    /// - Parameter progress: called after each sweep point with (done, total).
    /// - Throws: ``Failure`` before any pulse when the sweep is invalid; ``BoardError`` from the board.
    public func run(on board: any Board, limits: ElectricalLimits, tile info: TileInfo?, maxPayloadBytes: Int,
                    progress: (Int, Int) -> Void = { _, _ in }) throws -> [STMTrace] {
        try validate(against: limits, tile: info)
        var traces: [STMTrace] = []
        let reference = CellSet.cell(tile: tile, nodes[0])
        // A read train returns 4 bytes per read per node plus 8 per timestamp; keep under the payload.
        let perNode = max(1, (maxPayloadBytes - 64 - 8 * readCount) / (4 * readCount))
        func chunks(_ size: Int) -> [[CellIndex]] {
            stride(from: 0, to: nodes.count, by: max(1, size)).map { Array(nodes[$0..<min($0 + max(1, size), nodes.count)]) }
        }
        func record(_ data: ReadTrainData, _ cells: [CellIndex], point: Int, repetition: Int, pulse: Point?, pulseEnd: UInt64?,
                    burstStart: UInt64? = nil) {
            for (k, node) in cells.enumerated() {
                // Pulses of a batch go out one after another, node after node within each round:
                // place this node's pulses at their share of the batch's board time.
                var times: [UInt64] = []
                if let pulse, let end = pulseEnd {
                    if let start = burstStart, pulse.pulseCount > 1, end > start {
                        let total = Double(pulse.pulseCount * cells.count)
                        times = (0..<pulse.pulseCount).map { p in
                            start + UInt64(Double(end - start) * Double(p * cells.count + k + 1) / total)
                        }
                    } else {
                        times = [UInt64](repeating: end, count: pulse.pulseCount)
                    }
                }
                let g = (0..<data.timestampsNanoseconds.count).map { Double(data.amperes[$0 * cells.count + k]) / readVolts }
                traces.append(STMTrace(tile: tile, node: node, point: point, repetition: repetition,
                                       amplitudeVolts: pulse?.amplitudeVolts, widthSeconds: pulse?.widthSeconds,
                                       pulseCount: pulse?.pulseCount ?? 0, pulseEndNanoseconds: pulseEnd,
                                       timestampsNanoseconds: data.timestampsNanoseconds, conductancesSiemens: g))
                traces[traces.count - 1].pulseTimesNanoseconds = times
            }
        }
        func settle(repetition: Int) throws {
            let data = try board.settle(seconds: settleSeconds, referenceCell: reference, readVolts: readVolts)
            record(data, [nodes[0]], point: STMTrace.settlePoint, repetition: repetition, pulse: nil, pulseEnd: nil)
        }

        if restReadCount > 0 {
            try settle(repetition: 0)
            let restPerNode = max(1, (maxPayloadBytes - 64 - 8 * restReadCount) / (4 * restReadCount))
            for cells in chunks(restPerNode) {
                let data = try board.readTrain(ReadTrain(cells: .list(tile: tile, cells), pulse: nil, readVolts: Float(readVolts),
                                                         readCount: UInt16(restReadCount), intervalSeconds: Float(intervalSeconds)))
                record(data, cells, point: STMTrace.restPoint, repetition: 0, pulse: nil, pulseEnd: nil)
            }
        }
        let total = repetitions * points.count
        var done = 0
        for repetition in 0..<repetitions {
            for (index, point) in points.enumerated() {
                try settle(repetition: repetition)
                // A burst goes out as one pulse batch per chunk of nodes, so its pulses stay
                // microseconds apart; 16 bytes per cell-pulse bounds its encoded size.
                var burstPerNode = point.pulseCount > 1 ? max(1, (maxPayloadBytes - 64) / (16 * point.pulseCount)) : perNode
                if let maxBurstSeconds, point.pulseCount > 1 {
                    burstPerNode = min(burstPerNode, max(1, Int(maxBurstSeconds / (Double(point.pulseCount) * point.widthSeconds))))
                }
                for cells in chunks(min(perNode, burstPerNode)) {
                    let data: ReadTrainData
                    let pulseEnd: UInt64
                    var burstStart: UInt64?
                    if point.pulseCount == 1 {
                        data = try board.readTrain(ReadTrain(
                            cells: .list(tile: tile, cells),
                            pulse: TrainPulse(amplitudeVolts: Float(point.amplitudeVolts), widthSeconds: Float(point.widthSeconds)),
                            readVolts: Float(readVolts), readCount: UInt16(readCount), intervalSeconds: Float(intervalSeconds)))
                        // The first read comes one interval after the end of the pulse.
                        pulseEnd = data.timestampsNanoseconds[0] - UInt64((intervalSeconds * 1e9).rounded())
                    } else {
                        var pulses: [CellPulse] = []
                        for _ in 0..<point.pulseCount {
                            for c in cells { pulses.append(CellPulse(cell: c, amplitudeVolts: Float(point.amplitudeVolts), widthSeconds: Float(point.widthSeconds))) }
                        }
                        burstStart = try board.status().boardTimeNanoseconds
                        let receipt = try board.pulseBatch(PulseBatch(tile: tile, scheme: scheme, verify: nil, pulses: pulses))
                        pulseEnd = receipt.boardTimeNanoseconds
                        data = try board.readTrain(ReadTrain(cells: .list(tile: tile, cells), pulse: nil, readVolts: Float(readVolts),
                                                             readCount: UInt16(readCount), intervalSeconds: Float(intervalSeconds)))
                    }
                    record(data, cells, point: index, repetition: repetition, pulse: point, pulseEnd: pulseEnd, burstStart: burstStart)
                    if tailReadCount > 0 {
                        let tail = try board.readTrain(ReadTrain(cells: .list(tile: tile, cells), pulse: nil, readVolts: Float(readVolts),
                                                                 readCount: UInt16(tailReadCount), intervalSeconds: Float(tailIntervalSeconds)))
                        // Same point and pulse: the tail is the rest of the same decay.
                        var before = traces.count
                        record(tail, cells, point: index, repetition: repetition, pulse: point, pulseEnd: pulseEnd)
                        while before < traces.count {
                            traces[before].pulseCount = 0
                            traces[before].pulseTimesNanoseconds = []
                            before += 1
                        }
                    }
                }
                done += 1
                progress(done, total)
            }
        }
        return traces
    }
}
