import Testing
import XbarTransport

@Suite("link faults")
struct LinkFaultsTests {
    @Test("the faults of --faults are read by name")
    func parses() throws {
        let f = try LinkFaults(parsing: "drop=0.05,corrupt=0.02,delay=0.01,reset-after=40,unplug-after=90,seed=7")
        #expect(f.dropProbability == 0.05 && f.corruptProbability == 0.02 && f.delaySeconds == 0.01)
        #expect(f.resetAfterRequests == 40 && f.unplugAfterRequests == 90 && f.seed == 7)
    }

    @Test("a fault that cannot be used is refused naming it", arguments: [
        ("drop=1.5", "drop=1.5"), ("corrupt=-0.1", "corrupt=-0.1"), ("delay=nan", "delay=nan"),
        ("reset-after=0", "reset-after=0"), ("jitter=1", "unknown fault \"jitter\""), ("drop", "\"drop\" is not KEY=VALUE"),
        ("drop=0.7,corrupt=0.5", "exceed a probability of 1"),
    ])
    func refuses(text: String, named: String) {
        #expect {
            _ = try LinkFaults(parsing: text)
        } throws: { error in
            "\(error)".contains(named)
        }
    }

    @Test("over 4000 frames each way, the share dropped and damaged is the probability asked for, within 3 standard errors")
    func rates() throws {
        let faults = try LinkFaults(parsing: "drop=0.2,corrupt=0.05,seed=3")
        let (a, b) = InMemoryTransport.pair()
        let faulty = FaultInjectingTransport(a, faults: faults)
        let frame: [UInt8] = [5, 1, 2, 3, 4, 0]
        let n = 4000
        for _ in 0..<n { try faulty.write(frame, timeoutSeconds: 1) }
        for _ in 0..<n { try b.write(frame, timeoutSeconds: 1) }
        var received: [UInt8] = []
        while let bytes = try? faulty.read(upTo: 65536, timeoutSeconds: 0.05), !bytes.isEmpty { received += bytes }
        var arrived: [UInt8] = []
        while let bytes = try? b.read(upTo: 65536, timeoutSeconds: 0.05), !bytes.isEmpty { arrived += bytes }
        let damage = faulty.damage
        // Binomial standard errors over 2n frames: sqrt(0.2*0.8/8000) = 0.0045, sqrt(0.05*0.95/8000) = 0.0024.
        #expect(abs(Double(damage.dropped) / Double(2 * n) - 0.2) < 3 * 0.0045)
        #expect(abs(Double(damage.corrupted) / Double(2 * n) - 0.05) < 3 * 0.0024)
        // What arrived is whole frames: all but the dropped ones, the damaged ones one bit off.
        #expect(received.count + arrived.count == (2 * n - damage.dropped) * frame.count)
    }
}
