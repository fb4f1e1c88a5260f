import Foundation
import Testing
import XbarBoard
import XbarInstrument
import XbarJobs
@testable import XbarSSM

/// Several samples' states on disjoint STM node sets of the simulated `usb-4x64-multitau`
/// board, and the measured rest that brings nodes back before a set is used again.
@Suite("samples in parallel on STM node sets")
struct STMParallelSamplesTests {
    @Test("the monotone matching picks the free time constants with the least summed difference, as trying every choice does")
    func matchingIsOptimal() {
        let wanted = [1.0, 2.5, 2.6, 7.0]
        let free = [0.5, 1.2, 2.0, 2.4, 3.9, 6.0, 9.0]
        let chosen = STMNodeSets.monotoneMatch(wanted, free)
        let cost = { (c: [Int]) in zip(wanted, c).reduce(0.0) { $0 + abs($1.0 - free[$1.1]) } }
        // Every increasing choice of 4 of the 7 (the optimum of a one-dimensional matching is one).
        var best = Double.infinity
        for mask in 0..<(1 << free.count) where mask.nonzeroBitCount == wanted.count {
            best = min(best, cost((0..<free.count).filter { mask & (1 << $0) != 0 }))
        }
        #expect(chosen == chosen.sorted() && Set(chosen).count == wanted.count)
        #expect(abs(cost(chosen) - best) < 1e-12)
    }

    /// The event-digit model takes 16 nodes of each 64-node class per block: two sets fit, three
    /// do not. The substitutes are the class's nodes the model left, its tails: measured 15.6 %
    /// rms and up to 33 % off their model nodes' time constants.
    @Test("the model's nodes and one substitute set fill the tile's four classes: disjoint, each substitute in its model node's class, ordered as they are by time constant; three sets are refused")
    func nodeSetsFromTheCalibration() throws {
        let instrument = try STMStatePlayerTests.instrument()
        let nodes = try STMStatePlayerTests.nodes(instrument)
        let model = try Examples.model("event_digits_event_ssm_usb-4x64-multitau")
        let blocks = model.layers.compactMap(\.stmNodes)
        #expect(STMNodeSets.largestCount(blockPairs: blocks, nodes: nodes) == 2)
        let sets = try STMNodeSets(blockPairs: blocks, nodes: nodes, count: 2)
        #expect(sets.pairs[0] == blocks)
        let all = sets.pairs.flatMap { $0.flatMap { $0 } }
        #expect(Set(all).count == all.count && all.count == 2 * blocks.joined().count)
        let own = Array(blocks.joined()), substitutes = Array(sets.pairs[1].joined())
        for (a, b) in zip(own, substitutes) {
            #expect(nodes.deviceClass(ofNode: a) == nodes.deviceClass(ofNode: b))
        }
        for a in own {
            for b in own where nodes.deviceClass(ofNode: a) == nodes.deviceClass(ofNode: b) && nodes.draws[a].tauSeconds < nodes.draws[b].tauSeconds {
                let sa = substitutes[own.firstIndex(of: a)!], sb = substitutes[own.firstIndex(of: b)!]
                #expect(nodes.draws[sa].tauSeconds <= nodes.draws[sb].tauSeconds)
            }
        }
        // A state fills its substitute pair to the same share of the pair's ceilings.
        #expect(sets.siemensPerUnitScales[0].joined().allSatisfy { $0 == 1 })
        for (b, block) in blocks.enumerated() {
            for i in 0..<(block.count / 2) {
                let ownShare = 1 / (nodes.draws[block[2 * i]].ceilingSiemens + nodes.draws[block[2 * i + 1]].ceilingSiemens)
                let sub = sets.pairs[1][b]
                let subShare = sets.siemensPerUnitScales[1][b][i] / (nodes.draws[sub[2 * i]].ceilingSiemens + nodes.draws[sub[2 * i + 1]].ceilingSiemens)
                #expect(abs(subShare / ownShare - 1) < 1e-12)
            }
        }
        print("substitute nodes' tau: \(sets.rmsRelativeTauDifference) rms, \(sets.largestRelativeTauDifference) at most")
        #expect(sets.rmsRelativeTauDifference > 0 && sets.largestRelativeTauDifference < 0.5)
        #expect(throws: STMStateError.self) { _ = try STMNodeSets(blockPairs: blocks, nodes: nodes, count: 3) }
        // Substitutes that far off are used only when asked for.
        #expect(sets.rmsRelativeTauDifference > STMNodeSets.automaticTauTolerance)
        #expect(STMNodeSets.automaticCount(blockPairs: blocks, nodes: nodes) == 1)
    }

    /// A second player knows nothing of the first one's program: only measuring finds its nodes
    /// still raised (the 90 ms class's slow component lasts seconds).
    @Test("nodes another player has just used are measured raised and waited for on the board's clock, and the program after finds them at rest")
    func restIsMeasured() throws {
        let instrument = try STMStatePlayerTests.instrument()
        let (model, times, increments) = try STMStatePlayerTests.burst()
        let pairs = try #require(model.layers[0].stmNodes), sigma = try #require(model.layers[0].stmSiemensPerUnit)
        let board = SimulatedBoard(instrument: instrument, seed: 1)
        let nodes = try STMStatePlayerTests.nodes(instrument)
        let first = try STMStatePlayer(board: board, nodes: nodes, instrument: instrument, model: model)
        first.calibratesIncrements = false
        _ = try first.states(pairs: pairs, siemensPerUnit: sigma, timesSeconds: times, increments: increments)
        let second = try STMStatePlayer(board: board, nodes: nodes, instrument: instrument, model: model)
        second.calibratesIncrements = false
        _ = try second.states(pairs: pairs, siemensPerUnit: sigma, timesSeconds: times, increments: increments)
        let s = second.statistics
        print("rest after another player's program: \(s.restBoardSeconds) s, \(s.restMeasurements) measurements, residual \(s.largestRestResidualSiemens) S (allowance \(s.largestRestNoiseSiemens) S), baseline \(s.largestBaselineResidualSiemens) S")
        #expect(s.restExtensions == 1 && s.restMeasurements >= 2)
        #expect(s.restBoardSeconds > 0.5)
        #expect(s.largestRestResidualSiemens <= s.largestRestNoiseSiemens)
        #expect(s.largestBaselineResidualSiemens < 1e-6)
    }

    /// Measured on the first 6 samples: the same predictions with one and two samples at once.
    /// The second sample of each pair holds its states on substitute nodes whose time constants
    /// are up to a third off and draws other pulse noise, so a sample near a decision boundary may
    /// change; at most one of six is allowed to.
    @Test("two samples at once predict as one at a time on at least 5 of 6 samples, play half as many programs on disjoint sets, and take about half the program board time")
    func twoAtOnceAgreeWithOne() throws {
        let path = Examples.path("event_digits_event_ssm_usb-4x64-multitau.safetensors")
        let model = try SSMModel(contentsOf: path)
        let instrument = try STMStatePlayerTests.instrument()
        let subset = Array(try Examples.testData(of: model).samples.prefix(6))
        var runs: [InferenceRun] = []
        for k in [1, 2] {
            let engine = try STMEngineTests.engine(model, path: path, board: SimulatedBoard(instrument: instrument, seed: 1), instrument: instrument)
            let player = try #require(engine.statePlayer)
            if k > 1 { player.nodeSets = try STMNodeSets(blockPairs: model.layers.compactMap(\.stmNodes), nodes: player.nodes, count: k) }
            runs.append(try engine.run(subset))
        }
        let one = try #require(runs[0].stateNodes), two = try #require(runs[1].stateNodes)
        let agree = zip(runs[0].predictions, runs[1].predictions).filter { $0 == $1 }.count
        print("one at a time: accuracy \(runs[0].accuracy), programs \(one.programs), \(one.programBoardSeconds) s of programs, \(one.restBoardSeconds) s of rest; two at once: accuracy \(runs[1].accuracy), programs \(two.programs), \(two.programBoardSeconds) s of programs, \(two.restBoardSeconds) s of rest; agreement \(agree)/6")
        #expect(agree >= 5)
        #expect(one.programs == 2 * subset.count && two.programs == subset.count)
        #expect(two.samplePrograms == one.samplePrograms && two.largestSamplesPerProgram == 2)
        // A program lasts as long as its longer sample: the pairs' longer durations.
        let longer = stride(from: 0, to: subset.count, by: 2).map { i in
            max(subset[i].events.last?.timeSeconds ?? 0, subset[i + 1].events.last?.timeSeconds ?? 0)
        }.reduce(0, +)
        #expect(abs(two.programBoardSeconds - 2 * longer) < 0.02 * two.programBoardSeconds)
        #expect(two.programBoardSeconds < 0.6 * one.programBoardSeconds)
        #expect(abs(two.sampleSeconds - one.sampleSeconds) < 1e-9)
    }
}
