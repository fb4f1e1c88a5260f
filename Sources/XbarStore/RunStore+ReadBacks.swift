import Foundation
import GRDB

extension RunStore {
    /// Records a tile's read-back, replacing one the run recorded of the same tile before (a
    /// preparation that read the tile again after a touch-up).
    public func saveReadBack(_ tile: TileReadBack) throws {
        try pool.write { db in
            try db.execute(sql: """
                INSERT OR REPLACE INTO read_backs (run_id, tile, rows, columns, siemens, averages, read_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [tile.run, tile.index, tile.rows, tile.columns, DoubleBlob.encode(tile.siemens),
                                 tile.averages, tile.readAt.timeIntervalSince1970])
        }
    }

    /// The newest read-back of each tile of the chip `programmingRun` programmed that was taken
    /// after the run saved the tile and before any later run saved a shadow tile of the same
    /// index on the same chip (from then on the chip holds what the later run wrote). By time,
    /// not by run: an inference run starts before the programming run it makes. Tiles by index;
    /// empty when none was recorded.
    ///
    /// - Throws: ``StoreError/corruptRecord(path:what:)`` for a read-back whose values do not
    ///   fill its tile; the database's errors.
    public func readBacks(following programmingRun: Int64) throws -> [Int: TileReadBack] {
        try pool.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT b.* FROM read_backs b
                JOIN runs r ON r.id = b.run_id
                JOIN shadow_maps ps ON ps.run_id = ? AND ps.tile = b.tile
                JOIN runs p ON p.id = ps.run_id
                WHERE r.board_model = p.board_model AND r.board_serial = p.board_serial AND b.read_at >= ps.saved_at
                  AND NOT EXISTS (
                    SELECT 1 FROM shadow_maps s JOIN runs q ON q.id = s.run_id
                    WHERE q.board_model = p.board_model AND q.board_serial = p.board_serial AND s.tile = b.tile
                      AND s.run_id != p.id AND s.saved_at > ps.saved_at AND s.saved_at <= b.read_at)
                ORDER BY b.read_at, b.run_id
                """, arguments: [programmingRun])
            var out: [Int: TileReadBack] = [:]
            for r in rows {
                let (run, index, height, width): (Int64, Int, Int, Int) = (r["run_id"], r["tile"], r["rows"], r["columns"])
                let siemens = DoubleBlob.decode(r["siemens"])
                guard height > 0, width > 0, siemens.count == height * width else {
                    throw StoreError.corruptRecord(path: path, what: "run \(run)'s read-back of tile \(index) holds \(siemens.count) values for \(height)x\(width) cells")
                }
                let tile = TileReadBack(run: run, index: index, rows: height, columns: width, siemens: siemens, averages: r["averages"],
                                        readAt: Date(timeIntervalSince1970: r["read_at"]))
                out[tile.index] = tile
            }
            return out
        }
    }
}
