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

    /// `2026-12-02T13:24:26.781Z`, formatted by hand (an ISO8601DateFormatter per run made
    /// listing a thousand runs take half a second).
    static func iso(_ date: Date) -> String {
        let t = date.timeIntervalSince1970
        var seconds = time_t(t.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let millis = min(999, Int(((t - t.rounded(.down)) * 1000).rounded(.down)))
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), millis)
    }
}
