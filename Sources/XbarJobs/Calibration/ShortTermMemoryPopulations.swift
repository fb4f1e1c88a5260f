import Foundation
import XbarDevice
import XbarInstrument

/// The STM part of a calibration: every population measured (the default one and each device
/// class) fitted on its own, then the time constants of all nodes grouped together.
struct ShortTermMemoryPopulations {
    /// The instrument's device model with every measured population replaced by its fit.
    var device: DeviceParameters
    var uncertainties: [String: Double] = [:]
    var notMeasured: [String] = []
    var nodes: [NodeFitSummary] = []
    var groups: [TimeConstantGroupSummary] = []
    var heldOutRelativeRMS: Double?
    var heldOutTraces = 0
    var heldOutDescription = "none"

    /// The path of a population in uncertainties and `notMeasured`.
    static func keyPrefix(_ deviceClass: String?) -> String {
        deviceClass.map { "shortTermMemoryClasses.\($0)" } ?? "shortTermMemory"
    }

    /// - Throws: ``CalibrationError`` when a measured population has fewer than two fitted
    ///   nodes; the fits' errors.
    init(_ traces: [STMTrace], plan: CalibrationPlan, instrument: Instrument) throws {
        device = instrument.device
        var measured: Set<String?> = []
        var heldSquares = 0.0, heldReads = 0
        for part in plan.shortTermMemory {
            let members = Set(part.sweep.nodes)
            let own = traces.filter { $0.tile == part.sweep.tile && members.contains($0.node) }
            guard !own.isEmpty, let defaults = instrument.device.shortTermMemory(deviceClass: part.deviceClass) else { continue }
            let prefix = Self.keyPrefix(part.deviceClass)
            let a = try ShortTermMemoryAnalysis(own, sweep: part.sweep, heldOutRepetition: plan.heldOutRepetition, defaults: defaults,
                                                deviceClass: part.deviceClass, keyPrefix: prefix, instrument: instrument)
            if let name = part.deviceClass {
                device.shortTermMemoryClasses[name] = a.parameters
            } else {
                device.shortTermMemory = a.parameters
            }
            measured.insert(part.deviceClass)
            uncertainties.merge(a.uncertainties) { $1 }
            notMeasured += a.notMeasured
            nodes += a.nodes
            if let r = a.heldOutRelativeRMS {
                heldSquares += r * r * Double(a.heldOutReadCount)
                heldReads += a.heldOutReadCount
            }
            heldOutTraces += a.heldOutTraces
            heldOutDescription = a.heldOutDescription
        }
        heldOutRelativeRMS = heldReads > 0 ? (heldSquares / Double(heldReads)).squareRoot() : nil
        // A population without a measured node keeps the instrument's values, and says so.
        if !measured.contains(nil) { notMeasured.append("shortTermMemory") }
        for name in instrument.device.shortTermMemoryClasses.keys.sorted() where !measured.contains(name) {
            notMeasured.append(Self.keyPrefix(name))
        }

        // Time constants are grouped across populations: the groups are what a model's shared
        // decay constants map onto, whichever device class provides them.
        let clusters = TimeConstantGroup.cluster(nodes.map(\.tauSeconds), count: plan.timeConstantGroups)
        for (g, cluster) in clusters.enumerated() { for m in cluster.members { nodes[m].group = g } }
        groups = clusters.map {
            TimeConstantGroupSummary(centerSeconds: $0.centerSeconds, minSeconds: $0.minSeconds, maxSeconds: $0.maxSeconds,
                                     relativeSpread: $0.relativeSpread, nodeCount: $0.members.count)
        }
    }
}
