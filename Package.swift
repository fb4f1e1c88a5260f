// swift-tools-version:6.0
import PackageDescription

// Targets mirror the layers: wire protocol and device physics at the bottom,
// transports beside them, boards above both, lab jobs and SSM engines above
// boards, and the `xbar` tool on top. A layer imports only layers below it.
//
// Linux only: the transports drive serial lines through Glibc's termios, /dev/pts and
// /sys, and that is the platform the package is built and tested on. No Apple platform is
// declared because none is built or tested; XbarTransport stops a build elsewhere with a
// message saying so.
let package = Package(
    name: "XbarLab",
    products: [
        .library(name: "XbarLab", targets: [
            "XbarWire", "XbarTransport", "XbarDevice", "XbarInstrument",
            "XbarBoard", "XbarStore", "XbarJobs", "XbarSSM", "XbarReport",
        ]),
        .executable(name: "xbar", targets: ["xbar"]),
        .executable(name: "xbar-bench", targets: ["xbar-bench"]),
    ],
    // Progress bars are drawn by `Sources/xbar/Progress/ProgressDisplay.swift` (a carriage return
    // and an erase-line sequence) rather than with vapor/console-kit or onevcat/Rainbow:
    // console-kit 4.16's Terminal writes to standard output and decides on ANSI support from it,
    // while progress must go to standard error and leave piped results clean; its ProgressBar
    // has no rate or time left, so the bar text would be ours anyway; and it brings swift-nio
    // (NIOConcurrencyHelpers) into every build for a lock. Rainbow only colours text, which the
    // bar does not need.
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // System libraries, found through pkg-config.
        .systemLibrary(
            name: "CLibUSB", pkgConfig: "libusb-1.0",
            providers: [.apt(["libusb-1.0-0-dev"])]),
        .systemLibrary(
            name: "CLibSerialPort", pkgConfig: "libserialport",
            providers: [.apt(["libserialport-dev"])]),

        // Frames, messages, codec, CRC, limits: pure values, no I/O.
        .target(name: "XbarWire"),
        // Byte streams to boards: serial, USB bulk, in-memory pairs; discovery.
        .target(name: "XbarTransport", dependencies: [
            "CLibUSB", "CLibSerialPort",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Physics of non-volatile and STM cells and arrays; parameter sets; fitting.
        .target(name: "XbarDevice"),
        // Instrument files: transport, geometry, limits, default device parameters.
        .target(name: "XbarInstrument", dependencies: [
            "XbarWire", "XbarDevice", "Yams", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // The Board interface, the simulated board, the remote board client, the board server.
        .target(name: "XbarBoard", dependencies: [
            "XbarWire", "XbarTransport", "XbarDevice", "XbarInstrument",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The run store: runs, ledger, reads, traces, results in SQLite.
        .target(name: "XbarStore", dependencies: [
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // Lab jobs: write-verify programming, reading, STM traces, calibration.
        .target(name: "XbarJobs", dependencies: [
            "XbarWire", "XbarDevice", "XbarInstrument", "XbarBoard", "XbarStore", "Yams",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The digital reference's vector loops (products, decays, state steps, GELU), written once
        // in C and compiled for the baseline x86-64 instruction set and, through a target
        // attribute, for AVX2, with the CPU asked once which to run. C because Swift has no
        // per-function target: the alternative, building everything with `-target-cpu` through
        // unsafeFlags, would make every binary fault on a CPU without AVX2 and would forbid
        // depending on this package by version. No FMA in either copy (contraction is off in the
        // source), so both give the Swift layer-wise pass's bits.
        .target(name: "CVectorLoops"),
        // State-space models: model files, mapping onto tiles, reference and chip-in-loop engines.
        .target(name: "XbarSSM", dependencies: [
            "XbarWire", "XbarDevice", "XbarInstrument", "XbarBoard", "XbarStore", "XbarJobs", "CVectorLoops",
        ]),
        // Reports: figures of recorded runs as self-contained HTML with inline SVG.
        .target(name: "XbarReport", dependencies: [
            "XbarDevice", "XbarInstrument", "XbarStore", "XbarJobs",
        ]),
        .executableTarget(name: "xbar", dependencies: [
            "XbarWire", "XbarTransport", "XbarDevice", "XbarInstrument",
            "XbarBoard", "XbarStore", "XbarJobs", "XbarSSM", "XbarReport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "xbar-bench", dependencies: [
            "XbarWire", "XbarTransport", "XbarDevice", "XbarInstrument",
            "XbarBoard", "XbarStore", "XbarJobs", "XbarSSM",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            // The store benchmark fills a store by copying a recorded run's rows in SQL.
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),

        .testTarget(name: "XbarWireTests", dependencies: [
            "XbarWire", .product(name: "PropertyBased", package: "swift-property-based"),
        ]),
        // Test support: the modem lines and line speed of pseudo-terminals serving as serial ports.
        .target(name: "CSerialLine", path: "Tests/CSerialLine",
                linkerSettings: [.linkedLibrary("dl")]),
        .testTarget(name: "XbarTransportTests", dependencies: [
            "XbarTransport", "CSerialLine", "XbarBoard", "XbarInstrument", "XbarWire",
        ]),
        .testTarget(name: "XbarDeviceTests", dependencies: ["XbarDevice"]),
        .testTarget(name: "XbarInstrumentTests", dependencies: ["XbarInstrument"], exclude: ["Fixtures"]),
        .testTarget(name: "XbarBoardTests", dependencies: [
            "XbarBoard", "XbarWire", "XbarTransport", "XbarDevice", "XbarInstrument",
        ]),
        .testTarget(name: "XbarStoreTests", dependencies: ["XbarStore", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "XbarJobsTests", dependencies: [
            "XbarJobs", "XbarBoard", "XbarStore", "XbarInstrument", "XbarDevice", "XbarWire",
        ]),
        .testTarget(name: "XbarSSMTests", dependencies: ["XbarSSM", "XbarBoard", "XbarInstrument", "XbarJobs", "XbarStore", "XbarWire"]),
        .testTarget(name: "xbarTests", dependencies: ["XbarInstrument", "XbarTransport", "XbarBoard", "XbarWire", "XbarStore"]),
    ]
)

// Fuzz targets for libFuzzer, one per reader of outside bytes. Only `scripts/fuzz.sh` builds
// them: it sets XBAR_FUZZ and instruments every module with -sanitize=fuzzer, so they are
// not part of an ordinary build. Each has its own main, which hands over to libFuzzer.
if Context.environment["XBAR_FUZZ"] != nil {
    package.targets.append(.target(name: "CFuzzerDriver", path: "Fuzz/CFuzzerDriver"))
    let fuzzTargets: [(name: String, dependency: Target.Dependency)] = [
        ("FuzzWire", "XbarWire"),
        ("FuzzInstrument", "XbarInstrument"),
        ("FuzzMaps", "XbarJobs"),
        ("FuzzSafeTensors", "XbarSSM"),
    ]
    for target in fuzzTargets {
        package.products.append(.executable(name: target.name, targets: [target.name]))
        package.targets.append(.executableTarget(
            name: target.name, dependencies: ["CFuzzerDriver", target.dependency],
            path: "Fuzz/\(target.name)"))
    }
}
