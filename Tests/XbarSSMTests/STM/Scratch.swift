import Foundation
import Testing
import XbarBoard
import XbarDevice
import XbarInstrument
@testable import XbarSSM

@Suite("scratch") struct Scratch {
    @Test("scratch") func scratch() throws {
        let instrument = try STMStatePlayerTests.instrument()
        let (model, times, increments) = try STMStatePlayerTests.burst()
        let pairs = model.layers[0].stmNodes!, sigma = model.layers[0].stmSiemensPerUnit!
        let ideal = model.idealStates(layer: 0, timesSeconds: times, increments: increments)
        for factor in [1.0, 1.5, 3, 1.0 / 1.5, 1.0 / 3] {
            var p = instrument.device
            for (k, var q) in p.shortTermMemoryClasses { q.tauSeconds.mean *= factor; p.shortTermMemoryClasses[k] = q }
            let board = SimulatedBoard(instrument: instrument, parameters: p, seed: 1)
            let player = try STMStatePlayer(board: board, nodes: try STMStatePlayerTests.nodes(instrument), instrument: instrument, readVolts: 0.5)
            let states = try player.states(pairs: pairs, siemensPerUnit: sigma, timesSeconds: times, increments: increments)
            print("FACTOR \(factor): \(STMStatePlayerTests.relativeError(states, ideal))")
        }
    }
}
