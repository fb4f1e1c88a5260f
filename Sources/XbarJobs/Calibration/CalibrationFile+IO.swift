import Foundation
import XbarDevice
import XbarInstrument
import Yams

/// Why a calibration file could not be used.
public enum CalibrationFileError: Error, Hashable, Sendable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case malformed(path: String, key: String, reason: String)
    case unsupportedVersion(path: String, found: Int, supported: Int)
    case unknownFormat(path: String)
    case otherInstrument(path: String, calibratedFor: String, requested: String)
    /// The instrument's STM rows use device classes the calibration has no parameters for.
    case missingDeviceClasses(path: String, classes: [String])

    public var description: String {
        switch self {
        case let .unreadable(p, r): return "\(p): cannot read the calibration file: \(r)"
        case let .malformed(p, k, r): return "\(p): \(k.isEmpty ? "(top level)" : k): \(r)"
        case let .unsupportedVersion(p, f, s):
            return "\(p): format version \(f) is not supported (this xbar reads version \(s)); recalibrate or update xbar"
        case .unknownFormat(let p): return "\(p): unknown calibration file type: name it .json, .yaml or .yml"
        case let .otherInstrument(p, c, r):
            return "\(p): this calibration was made for instrument \"\(c)\", not \"\(r)\": choose a calibration of \"\(r)\" or recalibrate"
        case let .missingDeviceClasses(p, classes):
            return "\(p): device.shortTermMemoryClasses has no \(classes.joined(separator: ", ")), which the instrument's STM rows use: recalibrate with this instrument"
        }
    }
}

extension CalibrationFile {
    private enum Format { case json, yaml }

    private static func format(_ path: String) -> Format? {
        switch (path as NSString).pathExtension.lowercased() {
        case "json": return .json
        case "yaml", "yml": return .yaml
        default: return nil
        }
    }

    /// Non-finite numbers in JSON: `Infinity`, `-Infinity` and `NaN` as strings.
    static let jsonNonFinite = (
        encoding: JSONEncoder.NonConformingFloatEncodingStrategy.convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN"),
        decoding: JSONDecoder.NonConformingFloatDecodingStrategy.convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN"))

    static var jsonDecoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = jsonNonFinite.decoding
        return decoder
    }

    /// The file's text in the format its extension names.
    public func encoded(forPath path: String) throws -> String {
        switch Self.format(path) {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            // A fit whose covariance is singular has an infinite uncertainty; JSON has no number
            // for it, so it is written as the text JavaScript and Python print for it.
            encoder.nonConformingFloatEncodingStrategy = Self.jsonNonFinite.encoding
            return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
        case .yaml:
            let encoder = YAMLEncoder()
            encoder.options.sortKeys = true
            return try encoder.encode(self)
        case nil:
            throw CalibrationFileError.unknownFormat(path: path)
        }
    }

    /// Writes the file, JSON or YAML by extension.
    ///
    /// - Throws: ``CalibrationFileError/unknownFormat(path:)`` or the file system's error.
    public func save(path: String) throws {
        try encoded(forPath: path).write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Reads a calibration file, JSON or YAML by extension.
    ///
    /// - Throws: ``CalibrationFileError`` naming the file and, for bad content, the key.
    public static func load(path: String) throws(CalibrationFileError) -> CalibrationFile {
        guard format(path) != nil else { throw .unknownFormat(path: path) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(path: path, reason: FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file")
        }
        return try decode(data, path: path)
    }

    /// Reads a calibration from the bytes of a file (e.g. the copy a run store keeps), in the
    /// format the extension of `path` names; `path` also names it in errors.
    ///
    /// - Throws: ``CalibrationFileError`` naming `path` and, for bad content, the key.
    public static func decode(_ data: Data, path: String) throws(CalibrationFileError) -> CalibrationFile {
        guard let format = format(path) else { throw .unknownFormat(path: path) }
        do {
            // Check the version first: a future format may not decode at all.
            struct Version: Decodable { var formatVersion: Int }
            let version: Version
            switch format {
            case .json: version = try Self.jsonDecoder.decode(Version.self, from: data)
            case .yaml: version = try YAMLDecoder().decode(Version.self, from: data)
            }
            guard version.formatVersion == currentFormatVersion else {
                throw CalibrationFileError.unsupportedVersion(path: path, found: version.formatVersion, supported: currentFormatVersion)
            }
            let file: CalibrationFile
            switch format {
            case .json: file = try Self.jsonDecoder.decode(CalibrationFile.self, from: data)
            case .yaml: file = try YAMLDecoder().decode(CalibrationFile.self, from: data)
            }
            if let (key, value) = file.firstNonFiniteNumber() {
                throw CalibrationFileError.malformed(path: path, key: key, reason: "must be a finite number, got \(value)")
            }
            if let problem = file.device.physicalProblems.first {
                throw CalibrationFileError.malformed(path: path, key: "device." + problem.keyPath, reason: problem.message)
            }
            return file
        } catch let error as CalibrationFileError {
            throw error
        } catch let error as DecodingError {
            throw describe(error, path: path)
        } catch {
            throw .malformed(path: path, key: "", reason: String(describing: error))
        }
    }

    private static func describe(_ error: DecodingError, path: String) -> CalibrationFileError {
        func key(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case let .keyNotFound(k, context):
            return .malformed(path: path, key: key(context.codingPath + [k]), reason: "missing")
        case let .typeMismatch(type, context):
            return .malformed(path: path, key: key(context.codingPath), reason: "expected \(type)")
        case let .valueNotFound(type, context):
            return .malformed(path: path, key: key(context.codingPath), reason: "expected \(type), found nothing")
        case let .dataCorrupted(context):
            return .malformed(path: path, key: key(context.codingPath), reason: context.debugDescription)
        @unknown default:
            return .malformed(path: path, key: "", reason: String(describing: error))
        }
    }

    /// Checks that this calibration belongs to `instrument`.
    ///
    /// - Returns: warnings (the instrument file changed since calibrating) for the user.
    /// - Throws: ``CalibrationFileError/otherInstrument(path:calibratedFor:requested:)``;
    ///   ``CalibrationFileError/missingDeviceClasses(path:classes:)`` when the instrument's
    ///   STM rows use a device class the file has no parameters for.
    public func check(for instrument: Instrument, path: String) throws(CalibrationFileError) -> [String] {
        guard self.instrument.name == instrument.name else {
            throw .otherInstrument(path: path, calibratedFor: self.instrument.name, requested: instrument.name)
        }
        let missing = instrument.stmDeviceClassesMissing(from: device)
        guard missing.isEmpty else { throw .missingDeviceClasses(path: path, classes: missing) }
        let current = InstrumentReference(instrument)
        var warnings: [String] = []
        if current.digest != self.instrument.digest {
            warnings.append("\(path): instrument \"\(instrument.name)\" changed since this calibration (file digest differs); its device model still applies, but check the limits")
        }
        return warnings
    }

    /// Loads a calibration for `instrument` and returns its device model, the parameters to
    /// give a simulated board.
    ///
    /// - Throws: ``CalibrationFileError`` when the file is unusable or made for another instrument.
    public static func deviceParameters(path: String, for instrument: Instrument) throws(CalibrationFileError) -> (DeviceParameters, warnings: [String]) {
        let file = try load(path: path)
        let warnings = try file.check(for: instrument, path: path)
        return (file.device, warnings)
    }
}
