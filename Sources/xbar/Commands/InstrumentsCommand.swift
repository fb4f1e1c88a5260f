import ArgumentParser
import Foundation
import XbarInstrument
import XbarWire

/// `xbar instruments`: the board types in the instruments folder, and validation of files.
struct InstrumentsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "instruments",
        abstract: "List the board types in the instruments folder, or check instrument files.",
        discussion: """
            Each board type is one YAML file in the instruments folder: transport (USB VID/PID \
            and endpoints, or serial settings), tiles, electrical limits (volts, seconds, amperes, \
            joules), ADC/DAC, and the default device model (siemens, volts, seconds) of its \
            simulated twin. The folder is --instruments-dir, else $XBAR_INSTRUMENTS, else \
            ./instruments, else an instruments folder above the xbar executable.

            Examples:
              xbar instruments
              xbar instruments check instruments/usb-4x64.yaml instruments/serial-32x32.yaml
            """,
        subcommands: [List.self, Check.self],
        defaultSubcommand: List.self)
}

/// Where the instruments folder is, shared by the instruments subcommands.
struct InstrumentsFolderOptions: ParsableArguments {
    @Option(name: .customLong("instruments-dir"), help: "Folder of instrument files (default: $XBAR_INSTRUMENTS, ./instruments, or beside the executable).")
    var instrumentsDirectory: String?

    func catalog() throws(InstrumentFileError) -> InstrumentCatalog {
        try InstrumentCatalog.locate(explicitDirectory: instrumentsDirectory)
    }
}

extension InstrumentsCommand {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List name, model, transport, geometry and file of every instrument file.",
            discussion: """
                A file with problems is listed as INVALID; `xbar instruments check FILE` shows why. \
                Exits with status 1 when any file is invalid.

                Example:
                  xbar instruments list --instruments-dir instruments
                """)

        @OptionGroup var folder: InstrumentsFolderOptions

        func run() throws {
            let catalog = try folder.catalog()
            let entries = catalog.loadAll()
            if entries.isEmpty {
                print("no instrument files (.yaml) in \(catalog.directory)")
                return
            }
            var rows = [["NAME", "MODEL", "TRANSPORT", "GEOMETRY", "FILE"]]
            var invalid = 0
            for entry in entries {
                switch entry.result {
                case .success(let instrument):
                    rows.append([instrument.name, instrument.model, Self.describe(instrument.transport),
                                 Self.describe(instrument), entry.path])
                case .failure(let error):
                    invalid += 1
                    let stem = URL(fileURLWithPath: entry.path).deletingPathExtension().lastPathComponent
                    rows.append([stem, "INVALID", "\(error.problems.count) problem(s)", "run: xbar instruments check \(entry.path)", entry.path])
                }
            }
            let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows {
                let padded = row.enumerated().map { i, cell in
                    i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                }
                print(padded.joined(separator: "  "))
            }
            if invalid > 0 { throw ExitCode(1) }
        }

        static func describe(_ transport: InstrumentTransport) -> String {
            switch transport {
            case .usb(let u):
                return "usb \(hex4(u.vendorID)):\(hex4(u.productID))"
            case .serial(let s):
                let parity = s.parity == .none ? "N" : s.parity == .odd ? "O" : "E"
                return "serial \(s.baudRate) \(s.dataBits)\(parity)\(s.stopBits)"
            }
        }

        /// The tiles, and how many STM device classes the board has when it has several.
        static func describe(_ instrument: Instrument) -> String {
            let classes = instrument.device.shortTermMemoryClasses.count
            return describe(instrument.tiles) + (classes > 0 ? " (\(classes) stm device classes)" : "")
        }

        /// `4 x 64x64 1t1r + 4x64 stm`: tiles of equal shape and kind grouped.
        static func describe(_ tiles: [TileInfo]) -> String {
            var groups: [(kind: TileKind, rows: UInt16, columns: UInt16, count: Int)] = []
            for t in tiles {
                if let i = groups.firstIndex(where: { $0.kind == t.kind && $0.rows == t.rows && $0.columns == t.columns }) {
                    groups[i].count += 1
                } else {
                    groups.append((t.kind, t.rows, t.columns, 1))
                }
            }
            return groups.map { g in
                let kind = g.kind == .nonVolatile1T1R ? "1t1r" : g.kind == .nonVolatilePassive ? "passive" : "stm"
                return (g.count > 1 ? "\(g.count) x " : "") + "\(g.rows)x\(g.columns) \(kind)"
            }.joined(separator: " + ")
        }

        private static func hex4(_ v: UInt16) -> String {
            let h = String(v, radix: 16, uppercase: true)
            return String(repeating: "0", count: 4 - h.count) + h
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Validate instrument files and print every problem and warning.",
            discussion: """
                Prints OK for a valid file, then warnings for device defaults outside the \
                ranges reported for real devices (not errors, unless --strict). For an invalid \
                file prints one line per problem: file, key path, what is wrong. Exits with \
                status 1 when any file has an error. A FILE may also be an instrument name.

                Example:
                  xbar instruments check instruments/usb-4x64.yaml
                """)

        @OptionGroup var folder: InstrumentsFolderOptions

        @Flag(help: "Treat warnings as errors.")
        var strict = false

        @Argument(help: "Instrument files (paths, or names in the instruments folder).")
        var files: [String]

        func run() throws {
            var failed = false
            for file in files {
                do throws(InstrumentFileError) {
                    let path = try InstrumentCatalog.path(of: file, instrumentsDirectory: folder.instrumentsDirectory)
                    let instrument = try Instrument.load(path: path)
                    print("\(path): OK (\(instrument.name), model \(instrument.model), version \(instrument.version), digest \(instrument.contentDigest))")
                    for line in Self.deviceClassLines(instrument) { print("\(path): \(line)") }
                    let warnings = instrument.realismWarnings
                    for warning in warnings {
                        print("\(path): warning: \(warning)")
                    }
                    if strict && !warnings.isEmpty { failed = true }
                } catch {
                    failed = true
                    fflush(nil)  // Keep OK lines and problems in file order when both streams share a terminal.
                    FileHandle.standardError.write(Data((error.description + "\n").utf8))
                }
            }
            if failed { throw ExitCode(1) }
        }

        /// One line per STM device class: the rows that use it and its population.
        static func deviceClassLines(_ instrument: Instrument) -> [String] {
            // In the order the rows use them, then any class no row uses.
            var names = instrument.stateTiles.flatMap { instrument.stmDeviceClasses(tile: $0.index).compactMap { $0 } }
            names += instrument.device.shortTermMemoryClasses.keys.sorted().filter { !names.contains($0) }
            return names.map { name in
                let p = instrument.device.shortTermMemoryClasses[name]!
                let rows = instrument.stmRowDeviceClasses.keys.sorted().compactMap { tile -> String? in
                    let list = instrument.stmRowDeviceClasses[tile]!.indices.filter { instrument.stmRowDeviceClasses[tile]![$0] == name }
                    return list.isEmpty ? nil : "tile \(tile) row\(list.count > 1 ? "s" : "") \(list.map(String.init).joined(separator: ","))"
                }
                return String(format: "STM device class %@: tau %.4g ms (spread %.0f %%), slow tau %.4g s, base %.3g uS, ceiling %.3g uS, increment %.3g %% of the ceiling, threshold %.3g V; %@",
                              name, p.tauSeconds.mean * 1e3, p.tauSeconds.spread * 100, p.slowTauSeconds.mean,
                              p.baseSiemens.mean * 1e6, p.ceilingSiemens.mean * 1e6, p.incrementFraction.mean * 100,
                              p.thresholdVolts.mean, rows.isEmpty ? "used by no row" : rows.joined(separator: "; "))
            }
        }
    }
}
