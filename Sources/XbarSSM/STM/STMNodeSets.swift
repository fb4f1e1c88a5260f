/// Disjoint sets of STM nodes that each hold a whole model's states, so that several samples
/// play at once: set 0 is the model's own nodes, every other set a substitute for each of them.
///
/// A substitute node is a free node of the same device class whose calibrated time constant is
/// nearest the model node's. Within a class the model's nodes and the free ones are matched in
/// order of time constant (monotone matching, which minimises the summed difference in one
/// dimension), so a set behaves like the model's own as far as the class's spread allows; the
/// player plans every pulse with the substitute node's own calibrated law. Blocks use disjoint
/// nodes in every set, as the model's own do: a block's nodes rest while the next block plays.
public struct STMNodeSets: Sendable, Equatable {
    /// `pairs[set][block]`: the nodes of each block in each set, `[+, -]` per state (set 0 is the
    /// model's `stm_nodes`).
    public let pairs: [[[Int]]]

    /// Number of sets (samples that can play at once).
    public var count: Int { pairs.count }

    /// `siemensPerUnitScales[set][block][state]`: what the model's siemens per unit of a state is
    /// multiplied by on a set, the pair's summed calibrated ceilings over the model pair's (1 on
    /// set 0). A state then fills its substitute nodes to the same share of their ceilings as the
    /// model's nodes, so the increments saturate as the board-trained model learned they do.
    public let siemensPerUnitScales: [[[Double]]]

    /// Per set after the first: the calibrated time constant of every substitute node relative
    /// to its model node's, `tau' / tau - 1` (empty for set 0).
    public let relativeTauDifferences: [[Double]]

    /// RMS and largest magnitude of ``relativeTauDifferences`` over all substitute nodes (0 with one set).
    public var rmsRelativeTauDifference: Double {
        let d = Array(relativeTauDifferences.joined())
        return d.isEmpty ? 0 : (d.reduce(0) { $0 + $1 * $1 } / Double(d.count)).squareRoot()
    }
    public var largestRelativeTauDifference: Double {
        relativeTauDifferences.joined().map(abs).max() ?? 0
    }

    /// How many disjoint sets the tile holds for blocks using `blockPairs`: per device class,
    /// the class's nodes over the nodes the model takes in it.
    public static func largestCount(blockPairs: [[Int]], nodes: STMNodeModel) -> Int {
        let used = blockPairs.joined()
        var need: [String?: Int] = [:], have: [String?: Int] = [:]
        for n in used { need[nodes.deviceClass(ofNode: n), default: 0] += 1 }
        for n in 0..<nodes.nodeCount { have[nodes.deviceClass(ofNode: n), default: 0] += 1 }
        return need.map { (have[$0.key] ?? 0) / $0.value }.min() ?? 1
    }

    /// Largest relative RMS difference of substitute nodes' time constants from their model
    /// nodes' at which ``automaticCount(blockPairs:nodes:)`` still uses them.
    public static let automaticTauTolerance = 0.05

    /// How many sets to use when not told: the largest count whose substitute nodes' time
    /// constants are within ``automaticTauTolerance`` rms of the model nodes'. On
    /// `usb-4x64-multitau` two sets fit, but the substitutes are the classes' tails, 15.6 % rms
    /// off, and cost the spoken-digit model 4 points (none on event digits), so one set is used
    /// unless more are asked for.
    public static func automaticCount(blockPairs: [[Int]], nodes: STMNodeModel) -> Int {
        var k = largestCount(blockPairs: blockPairs, nodes: nodes)
        while k > 1 {
            if let sets = try? STMNodeSets(blockPairs: blockPairs, nodes: nodes, count: k),
               sets.rmsRelativeTauDifference <= automaticTauTolerance { return k }
            k -= 1
        }
        return 1
    }

    /// Chooses `count` sets (the model's own first).
    ///
    /// - Throws: ``STMStateError/modelNotBound`` when a block's node is off the tile or used
    ///   twice, or the tile's classes do not hold `count` sets (see ``largestCount(blockPairs:nodes:)``).
    public init(blockPairs: [[Int]], nodes: STMNodeModel, count: Int) throws {
        let used = Array(blockPairs.joined())
        if let outside = used.first(where: { $0 < 0 || $0 >= nodes.nodeCount }) {
            throw STMStateError.modelNotBound("node \(outside) is not on tile \(nodes.tile.index) (\(nodes.nodeCount) nodes)")
        }
        guard Set(used).count == used.count else {
            throw STMStateError.modelNotBound("the blocks name a node twice; sets of nodes must be disjoint")
        }
        let largest = Self.largestCount(blockPairs: blockPairs, nodes: nodes)
        guard count >= 1, count <= largest else {
            throw STMStateError.modelNotBound("\(count) sets of \(used.count) nodes asked for; the tile's device classes hold \(largest)")
        }
        var taken = Set(used)
        var sets = [blockPairs]
        var differences: [[Double]] = [[]]
        let classes = Set(used.map { nodes.deviceClass(ofNode: $0) })
        for _ in 1..<count {
            // Model position (block, index) of every model node, matched class by class.
            var substitute: [Int: Int] = [:]
            for c in classes {
                let wanted = used.filter { nodes.deviceClass(ofNode: $0) == c }.sorted { nodes.draws[$0].tauSeconds < nodes.draws[$1].tauSeconds }
                let free = (0..<nodes.nodeCount).filter { !taken.contains($0) && nodes.deviceClass(ofNode: $0) == c }
                    .sorted { nodes.draws[$0].tauSeconds < nodes.draws[$1].tauSeconds }
                let chosen = Self.monotoneMatch(wanted.map { nodes.draws[$0].tauSeconds }, free.map { nodes.draws[$0].tauSeconds })
                for (w, f) in zip(wanted, chosen) {
                    substitute[w] = free[f]
                    taken.insert(free[f])
                }
            }
            sets.append(blockPairs.map { $0.map { substitute[$0]! } })
            differences.append(used.map { nodes.draws[substitute[$0]!].tauSeconds / nodes.draws[$0].tauSeconds - 1 })
        }
        pairs = sets
        relativeTauDifferences = differences
        let ceiling = { (n: Int) in nodes.draws[n].ceilingSiemens }
        siemensPerUnitScales = sets.map { set in
            zip(set, blockPairs).map { own, model in
                (0..<(model.count / 2)).map { i in
                    (ceiling(own[2 * i]) + ceiling(own[2 * i + 1])) / (ceiling(model[2 * i]) + ceiling(model[2 * i + 1]))
                }
            }
        }
    }

    /// Indices into `free` (both sorted ascending, `free.count >= wanted.count`), increasing,
    /// minimising the summed `|wanted[i] - free[j]|`: dynamic programming over both lists.
    static func monotoneMatch(_ wanted: [Double], _ free: [Double]) -> [Int] {
        let n = wanted.count, m = free.count
        precondition(m >= n)
        guard n > 0 else { return [] }
        // cost[i][j]: best sum matching the first i wanted among the first j free.
        var cost = [[Double]](repeating: [Double](repeating: .infinity, count: m + 1), count: n + 1)
        for j in 0...m { cost[0][j] = 0 }
        for i in 1...n {
            for j in i...m {
                cost[i][j] = min(cost[i][j - 1], cost[i - 1][j - 1] + abs(wanted[i - 1] - free[j - 1]))
            }
        }
        var chosen = [Int](repeating: 0, count: n)
        var i = n, j = m
        while i > 0 {
            if j > i && cost[i][j] == cost[i][j - 1] {
                j -= 1
            } else {
                chosen[i - 1] = j - 1
                i -= 1
                j -= 1
            }
        }
        return chosen
    }
}
