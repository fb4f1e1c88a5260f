import Foundation
import XbarStore

extension RunRecord {
    /// The run's record as `--json` writes it: times as ISO text beside epoch seconds.
    var jsonFields: [String: Any] {
        var fields: [String: Any] = [
            "run": id, "kind": draft.kind, "status": status.rawValue, "user": draft.user, "backend": draft.backend,
            "startedAt": startedAt.timeIntervalSince1970, "started": Self.iso(startedAt),
            "boardModel": draft.boardModel ?? NSNull(), "boardSerial": draft.boardSerial ?? NSNull(),
            "instrument": draft.instrumentName ?? NSNull(), "instrumentDigest": draft.instrumentDigest ?? NSNull(),
            "calibration": draft.calibrationID ?? NSNull(), "sample": draft.sample ?? NSNull(), "note": draft.note ?? NSNull(),
            "message": message ?? NSNull(),
        ]
        if let endedAt {
            fields["endedAt"] = endedAt.timeIntervalSince1970
            fields["ended"] = Self.iso(endedAt)
        }
        if let data = draft.argumentsJSON.data(using: .utf8), let arguments = try? JSONSerialization.jsonObject(with: data) {
            fields["arguments"] = arguments
        }
        return fields
    }

    static func iso(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }
}
