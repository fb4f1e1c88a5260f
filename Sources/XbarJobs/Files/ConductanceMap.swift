/// A 2-D array of conductances in siemens, row-major: what `.npy` and `.csv` map files hold.
public struct ConductanceMap: Hashable, Sendable {
    public var rows: Int
    public var columns: Int
    /// `rows * columns` values, siemens, row after row.
    public var siemens: [Double]

    public init(rows: Int, columns: Int, siemens: [Double]) {
        precondition(rows >= 0 && columns >= 0 && siemens.count == rows * columns,
                     "a \(rows)x\(columns) map needs \(rows * columns) values, got \(siemens.count)")
        self.rows = rows
        self.columns = columns
        self.siemens = siemens
    }

    public subscript(row: Int, column: Int) -> Double {
        get { siemens[row * columns + column] }
        set { siemens[row * columns + column] = newValue }
    }

    /// Rows `start..<start+count` as a map of their own (a tile of a stacked array map).
    public func rows(_ start: Int, count: Int) -> ConductanceMap {
        ConductanceMap(rows: count, columns: columns,
                       siemens: Array(siemens[(start * columns)..<((start + count) * columns)]))
    }

    /// Maps stacked vertically, in order (the whole-array layout: tile 0 on top).
    public static func stacked(_ maps: [ConductanceMap]) -> ConductanceMap {
        let columns = maps.first?.columns ?? 0
        precondition(maps.allSatisfy { $0.columns == columns }, "stacked maps need the same column count")
        return ConductanceMap(rows: maps.reduce(0) { $0 + $1.rows }, columns: columns,
                              siemens: maps.flatMap(\.siemens))
    }
}

/// Why a map file could not be read or written. Every case names the file.
public struct MapFileError: Error, Hashable, Sendable, CustomStringConvertible {
    public var path: String
    public var problem: String

    public init(path: String, _ problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path): \(problem)" }
}

extension ConductanceMap {
    /// Reads a `.npy` or `.csv` map, chosen by the file's extension.
    ///
    /// - Throws: ``MapFileError`` naming the file and what is wrong with it.
    public static func load(path: String) throws(MapFileError) -> ConductanceMap {
        let lower = path.lowercased()
        if lower.hasSuffix(".npy") { return try NPYFile.read(path: path) }
        if lower.hasSuffix(".csv") { return try ConductanceCSV.read(path: path) }
        throw MapFileError(path: path, "unknown map format: expected a .npy or .csv file")
    }

    /// Writes the map as `.npy` (float64) or `.csv`, chosen by the file's extension.
    public func save(path: String) throws(MapFileError) {
        let lower = path.lowercased()
        if lower.hasSuffix(".npy") { return try NPYFile.write(self, path: path) }
        if lower.hasSuffix(".csv") { return try ConductanceCSV.write(self, path: path) }
        throw MapFileError(path: path, "unknown map format: expected a .npy or .csv file name")
    }
}
