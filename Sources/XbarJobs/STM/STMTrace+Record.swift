import XbarStore
import XbarWire

extension STMTrace {
    /// The trace as the run store keeps it.
    public var record: TraceRecord {
        TraceRecord(tile: Int(tile), row: Int(node.row), column: Int(node.column), point: point, repetition: repetition,
                    amplitudeVolts: amplitudeVolts, widthSeconds: widthSeconds, pulseCount: pulseCount,
                    pulseEndNanoseconds: pulseEndNanoseconds, pulseTimesNanoseconds: pulseTimesNanoseconds,
                    timestampsNanoseconds: timestampsNanoseconds, conductancesSiemens: conductancesSiemens)
    }

    /// A trace read back from the run store.
    public init(_ record: TraceRecord) {
        self.init(tile: UInt8(record.tile), node: CellIndex(row: UInt16(record.row), column: UInt16(record.column)),
                  point: record.point, repetition: record.repetition, amplitudeVolts: record.amplitudeVolts,
                  widthSeconds: record.widthSeconds, pulseCount: record.pulseCount, pulseEndNanoseconds: record.pulseEndNanoseconds,
                  timestampsNanoseconds: record.timestampsNanoseconds, conductancesSiemens: record.conductancesSiemens)
        pulseTimesNanoseconds = record.pulseTimesNanoseconds
    }
}
