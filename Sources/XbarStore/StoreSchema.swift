import GRDB

/// The run store's schema, as an ordered list of named migrations.
///
/// Later parts of the lab (STM traces, calibrations, inference results) add their tables by
/// appending migrations here; a migration once shipped is never edited, because lab stores
/// on disk have already applied it.
enum StoreSchema {
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1: runs, calibrations, operations, ledger, targets, outcomes, shadow maps") { db in
            try db.execute(sql: """
                CREATE TABLE calibrations (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    instrument_name TEXT NOT NULL,
                    created_at DOUBLE NOT NULL,
                    digest TEXT NOT NULL,
                    path TEXT,
                    content TEXT
                );
                CREATE TABLE runs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    kind TEXT NOT NULL,
                    user TEXT NOT NULL,
                    started_at DOUBLE NOT NULL,
                    ended_at DOUBLE,
                    backend TEXT NOT NULL,
                    board_model TEXT,
                    board_serial TEXT,
                    board_firmware TEXT,
                    instrument_name TEXT,
                    instrument_version TEXT,
                    instrument_digest TEXT,
                    calibration_id INTEGER REFERENCES calibrations(id),
                    arguments_json TEXT NOT NULL,
                    status TEXT NOT NULL,
                    message TEXT
                );
                -- One row per request sent to a board (or per wait), logged as intent before it
                -- is sent and completed with its result after.
                CREATE TABLE operations (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    seq INTEGER NOT NULL,
                    tile INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    state TEXT NOT NULL,
                    wire_sequence INTEGER,
                    scheme INTEGER,
                    read_volts DOUBLE,
                    averages INTEGER,
                    settle_seconds DOUBLE,
                    rows INTEGER,
                    columns INTEGER,
                    whole_tile BOOLEAN NOT NULL DEFAULT 0,
                    intent_at DOUBLE NOT NULL,
                    result_at DOUBLE,
                    PRIMARY KEY (run_id, seq)
                );
                -- The per-cell ledger: every pulse (with its verify read) and every cell read.
                CREATE TABLE ledger (
                    run_id INTEGER NOT NULL,
                    seq INTEGER NOT NULL,
                    idx INTEGER NOT NULL,
                    tile INTEGER NOT NULL,
                    "row" INTEGER NOT NULL,
                    "column" INTEGER NOT NULL,
                    amplitude_volts DOUBLE,
                    width_seconds DOUBLE,
                    measured_siemens DOUBLE,
                    PRIMARY KEY (run_id, seq, idx),
                    FOREIGN KEY (run_id, seq) REFERENCES operations(run_id, seq) ON DELETE CASCADE
                );
                CREATE INDEX ledger_by_cell ON ledger(run_id, tile, "row", "column");
                CREATE TABLE targets (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    tile INTEGER NOT NULL,
                    rows INTEGER NOT NULL,
                    columns INTEGER NOT NULL,
                    siemens BLOB NOT NULL,
                    PRIMARY KEY (run_id, tile)
                );
                CREATE TABLE outcomes (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    tile INTEGER NOT NULL,
                    "row" INTEGER NOT NULL,
                    "column" INTEGER NOT NULL,
                    target_siemens DOUBLE NOT NULL,
                    outcome TEXT NOT NULL,
                    pulses INTEGER NOT NULL,
                    final_siemens DOUBLE NOT NULL,
                    PRIMARY KEY (run_id, tile, "row", "column")
                );
                CREATE TABLE shadow_maps (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    tile INTEGER NOT NULL,
                    rows INTEGER NOT NULL,
                    columns INTEGER NOT NULL,
                    siemens BLOB NOT NULL,
                    verified_at BLOB NOT NULL,
                    saved_at DOUBLE NOT NULL,
                    PRIMARY KEY (run_id, tile)
                );
                """)
        }
        m.registerMigration("v2: STM traces, pulse-response curves, calibration files") { db in
            try db.execute(sql: """
                ALTER TABLE calibrations ADD COLUMN instrument_digest TEXT;
                ALTER TABLE calibrations ADD COLUMN format_version INTEGER;
                ALTER TABLE calibrations ADD COLUMN run_id INTEGER REFERENCES runs(id);
                CREATE INDEX calibrations_by_digest ON calibrations(digest);
                -- One row per board-timed read train; times in nanoseconds of board time.
                CREATE TABLE stm_traces (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    idx INTEGER NOT NULL,
                    tile INTEGER NOT NULL,
                    "row" INTEGER NOT NULL,
                    "column" INTEGER NOT NULL,
                    point INTEGER NOT NULL,
                    repetition INTEGER NOT NULL,
                    amplitude_volts DOUBLE,
                    width_seconds DOUBLE,
                    pulse_count INTEGER NOT NULL,
                    pulse_end_ns INTEGER,
                    pulse_times_ns BLOB NOT NULL,
                    timestamps_ns BLOB NOT NULL,
                    siemens BLOB NOT NULL,
                    PRIMARY KEY (run_id, idx)
                );
                CREATE TABLE pulse_responses (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    idx INTEGER NOT NULL,
                    tile INTEGER NOT NULL,
                    "row" INTEGER NOT NULL,
                    "column" INTEGER NOT NULL,
                    polarity TEXT NOT NULL,
                    amplitude_volts DOUBLE NOT NULL,
                    width_seconds DOUBLE NOT NULL,
                    siemens BLOB NOT NULL,
                    PRIMARY KEY (run_id, idx)
                );
                """)
        }
        m.registerMigration("v3: inference samples") { db in
            // Added beside the older tables, none of which changes: a store written before
            // reads as it did, with no inference runs in it.
            try db.execute(sql: """
                -- One row per classified sample of an inference run, written with the rest of its
                -- chunk in one transaction; the key makes a sample impossible to record twice.
                CREATE TABLE inference_samples (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    sample INTEGER NOT NULL,
                    label INTEGER NOT NULL,
                    prediction INTEGER NOT NULL,
                    logits BLOB NOT NULL,
                    backend TEXT NOT NULL,
                    completed_at DOUBLE NOT NULL,
                    PRIMARY KEY (run_id, sample)
                );
                CREATE INDEX calibrations_by_instrument ON calibrations(instrument_name, created_at);
                """)
        }
        m.registerMigration("v4: board sessions of runs, the session of each operation") { db in
            try db.execute(sql: """
                -- The board session an operation was sent in (16 hexadecimal digits), beside its
                -- wire sequence number: together they let a resumed run ask the board's reply
                -- cache what became of an operation it never saw answered.
                ALTER TABLE operations ADD COLUMN board_session TEXT;
                -- One row each time a run reaches a board session: the board's pulse counter and
                -- the run's applied pulses then, so that the two can be compared later.
                CREATE TABLE board_sessions (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    idx INTEGER NOT NULL,
                    session TEXT,
                    counter_start INTEGER NOT NULL,
                    ledger_start INTEGER NOT NULL,
                    opened_at DOUBLE NOT NULL,
                    PRIMARY KEY (run_id, idx)
                );
                """)
        }
        m.registerMigration("v5: a finished run's ledger by columns") { db in
            try db.execute(sql: """
                -- Written when a run ends (RunStore+LedgerColumns.swift): the ledger's columns as
                -- little-endian blobs (int32 for seq, idx, tile, row, column; float64 with NaN for
                -- NULL otherwise), valid while the run's operations still give operations_key.
                CREATE TABLE ledger_columns (
                    run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
                    entries INTEGER NOT NULL,
                    operations_key TEXT NOT NULL,
                    seq BLOB NOT NULL,
                    idx BLOB NOT NULL,
                    tile BLOB NOT NULL,
                    "row" BLOB NOT NULL,
                    "column" BLOB NOT NULL,
                    amplitude_volts BLOB NOT NULL,
                    width_seconds BLOB NOT NULL,
                    measured_siemens BLOB NOT NULL
                );
                """)
        }
        m.registerMigration("v6: calibration measurement parts") { db in
            try db.execute(sql: """
                -- A calibration run's measurements so far, rewritten as each part (the curves, an
                -- STM population, the periphery) is measured: an interrupted calibration resumes
                -- after its last part, and a finished one can be fitted again from it.
                CREATE TABLE calibration_parts (
                    run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
                    content BLOB NOT NULL,
                    saved_at DOUBLE NOT NULL
                );
                """)
        }
        m.registerMigration("v7: a run's note and sample") { db in
            try db.execute(sql: """
                -- What the user said of a run (--note) and which chip it ran on (--sample).
                ALTER TABLE runs ADD COLUMN note TEXT;
                ALTER TABLE runs ADD COLUMN sample TEXT;
                CREATE INDEX runs_by_sample ON runs(sample);
                """)
        }
        m.registerMigration("v8: forming results and I–V curves") { db in
            try db.execute(sql: """
                -- What xbar form did to each cell; the newest result of a cell on a board is its
                -- forming state (xbar program refuses cells whose newest result is not formed).
                CREATE TABLE forming_results (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    tile INTEGER NOT NULL,
                    "row" INTEGER NOT NULL,
                    "column" INTEGER NOT NULL,
                    outcome TEXT NOT NULL,
                    forming_volts DOUBLE,
                    formed_siemens DOUBLE NOT NULL,
                    after_reset_siemens DOUBLE NOT NULL,
                    PRIMARY KEY (run_id, tile, "row", "column")
                );
                -- One cell's curve of a SWEEP (xbar sweep, and xbar form's ramps): little-endian
                -- blobs (int64 board times in ns; float64 volts and amperes), with what was
                -- extracted from it (NULL where nothing was).
                CREATE TABLE iv_curves (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    tile INTEGER NOT NULL,
                    "row" INTEGER NOT NULL,
                    "column" INTEGER NOT NULL,
                    board_time_ns BLOB NOT NULL,
                    volts BLOB NOT NULL,
                    amperes BLOB NOT NULL,
                    read_amperes BLOB NOT NULL,
                    set_volts DOUBLE,
                    reset_volts DOUBLE,
                    on_off_ratio DOUBLE,
                    PRIMARY KEY (run_id, tile, "row", "column")
                );
                """)
        }
        m.registerMigration("v9: characterization series") { db in
            try db.execute(sql: """
                -- What retention, endurance and disturb runs measured, cell by cell: one row per
                -- batch of points of one series (x and y as little-endian float64 blobs; a
                -- series continued by a resumed run gets further rows).
                CREATE TABLE cell_series (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    idx INTEGER NOT NULL,
                    series TEXT NOT NULL,
                    tile INTEGER NOT NULL,
                    "row" INTEGER NOT NULL,
                    "column" INTEGER NOT NULL,
                    x BLOB NOT NULL,
                    y BLOB NOT NULL,
                    PRIMARY KEY (run_id, idx)
                );
                """)
        }
        m.registerMigration("v10: the sense range of a logged read") { db in
            try db.execute(sql: """
                -- An index into the board's sense ranges (IDENTIFY); NULL: the ADC's read full scale.
                ALTER TABLE operations ADD COLUMN sense_range INTEGER;
                """)
        }
        m.registerMigration("v11: the verify read of each pulse of a batch verified in sense ranges") { db in
            try db.execute(sql: """
                -- Set only for a pulse of a batch verified in sense ranges: the averages of its
                -- cell's verify read, and an index into the board's sense ranges (NULL with
                -- verify_averages set: the ADC's read full scale).
                ALTER TABLE ledger ADD COLUMN verify_averages INTEGER;
                ALTER TABLE ledger ADD COLUMN verify_sense_range INTEGER;
                """)
        }
        m.registerMigration("v12: read-backs of a chip's tiles") { db in
            try db.execute(sql: """
                -- A tile as an averaged read found it during a run (an inference's preparation):
                -- what the chip's twin starts from, newer than the programming run's verify.
                CREATE TABLE read_backs (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    tile INTEGER NOT NULL,
                    rows INTEGER NOT NULL,
                    columns INTEGER NOT NULL,
                    siemens BLOB NOT NULL,
                    averages INTEGER NOT NULL,
                    read_at DOUBLE NOT NULL,
                    PRIMARY KEY (run_id, tile)
                );
                """)
        }
        return m
    }
}
