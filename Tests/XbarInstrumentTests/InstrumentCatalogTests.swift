import Foundation
import Testing
import XbarInstrument

@Suite("finding the instruments folder and resolving names")
struct InstrumentCatalogTests {
    /// A scratch folder tree removed when the test ends, pass or fail.
    final class Scratch {
        let root: URL
        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("xbar-catalog-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        }
        deinit { try? FileManager.default.removeItem(at: root) }

        @discardableResult
        func folder(_ relative: String) throws -> String {
            let url = root.appendingPathComponent(relative)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            return url.path
        }
    }

    @Test("an explicit folder wins over the environment, which wins over ./instruments")
    func order() throws {
        let scratch = try Scratch()
        let explicit = try scratch.folder("explicit")
        let fromEnvironment = try scratch.folder("env")
        let work = try scratch.folder("work")
        try scratch.folder("work/instruments")
        let environment = [InstrumentCatalog.environmentVariable: fromEnvironment]

        #expect(try InstrumentCatalog.locate(explicitDirectory: explicit, environment: environment, currentDirectory: work).directory == explicit)
        #expect(try InstrumentCatalog.locate(environment: environment, currentDirectory: work).directory == fromEnvironment)
        #expect(try InstrumentCatalog.locate(environment: [:], currentDirectory: work).directory == "\(work)/instruments")
    }

    @Test("without any of those the folder is found above the executable")
    func besideTheExecutable() throws {
        let scratch = try Scratch()
        let instruments = try scratch.folder("repo/instruments")
        let bin = try scratch.folder("repo/.build/x86_64-unknown-linux-gnu/debug")
        let elsewhere = try scratch.folder("elsewhere")
        let catalog = try InstrumentCatalog.locate(environment: [:], currentDirectory: elsewhere, executablePath: "\(bin)/xbar")
        #expect(catalog.directory == instruments)
    }

    @Test("a folder named explicitly or by the environment that does not exist is an error, not skipped")
    func missingNamedFolder() throws {
        let scratch = try Scratch()
        let work = try scratch.folder("work")
        try scratch.folder("work/instruments")
        #expect(throws: InstrumentFileError.self) {
            try InstrumentCatalog.locate(explicitDirectory: "\(work)/nope", environment: [:], currentDirectory: work)
        }
        let error = #expect(throws: InstrumentFileError.self) {
            try InstrumentCatalog.locate(environment: [InstrumentCatalog.environmentVariable: "\(work)/nope"], currentDirectory: work)
        }
        #expect(error?.description.contains("XBAR_INSTRUMENTS") == true)
    }

    @Test("no folder anywhere is an error listing the places searched")
    func nothingFound() throws {
        let scratch = try Scratch()
        let work = try scratch.folder("work")
        let error = #expect(throws: InstrumentFileError.self) {
            try InstrumentCatalog.locate(environment: [:], currentDirectory: work, executablePath: "\(work)/bin/xbar")
        }
        #expect(error?.description.contains("\(work)/instruments") == true)
        #expect(error?.description.contains("--instruments-dir") == true)
    }

    @Test("a name resolves to its file, a path is taken as given, a near miss is suggested")
    func resolving() throws {
        let catalog = InstrumentCatalog(directory: RepositoryFiles.instrumentsFolder.path)
        #expect(try catalog.path(of: "usb-4x64") == RepositoryFiles.shipped("usb-4x64"))
        #expect(try catalog.resolve("serial-32x32").model == "xbar-serial-32x32")
        #expect(try InstrumentCatalog.resolve(RepositoryFiles.shipped("usb-4x64"), instrumentsDirectory: "/nonexistent").name == "usb-4x64")
        #expect(try InstrumentCatalog.resolve("usb-4x64", instrumentsDirectory: catalog.directory).name == "usb-4x64")
        let fixture = RepositoryFiles.fixture("unrealistic")
        #expect(try catalog.path(of: fixture) == fixture)
        let error = #expect(throws: InstrumentFileError.self) { try catalog.path(of: "usb-4x46") }
        #expect(error?.description == "usb-4x46: no instrument named \"usb-4x46\" in \(catalog.directory); did you mean usb-4x64? (known: serial-32x32, usb-4x64-multitau, usb-4x64)")
    }

    @Test("loading the whole folder reports each file's result")
    func loadAll() throws {
        let scratch = try Scratch()
        let folder = try scratch.folder("instruments")
        try FileManager.default.copyItem(atPath: RepositoryFiles.shipped("usb-4x64"), toPath: "\(folder)/usb-4x64.yaml")
        try FileManager.default.copyItem(atPath: RepositoryFiles.fixture("bad-number"), toPath: "\(folder)/bad-number.yaml")
        try "not an instrument".write(toFile: "\(folder)/README.txt", atomically: true, encoding: .utf8)
        let results = InstrumentCatalog(directory: folder).loadAll()
        #expect(results.map { URL(fileURLWithPath: $0.path).lastPathComponent } == ["bad-number.yaml", "usb-4x64.yaml"])
        if case .failure(let error) = results[0].result {
            #expect(error.problems.map(\.keyPath) == ["limits.max_set_volts"])
        } else {
            Issue.record("bad-number.yaml loaded")
        }
        #expect((try? results[1].result.get())?.name == "usb-4x64")
    }
}
