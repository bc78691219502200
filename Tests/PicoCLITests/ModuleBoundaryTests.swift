import Foundation
import PicoTestSupport
import Testing

/// Who may import whom, as docs/ARCHITECTURE.md draws it. A module that starts importing a
/// neighbour it should not know (PicoServer reaching for PicoSilo, PicoCore for a C library)
/// fails here, in the test run, rather than in a review months later.
@Suite struct ModuleBoundaryTests {
    /// The system modules any target may use.
    static let system: Set<String> = ["Foundation", "FoundationEssentials", "Glibc", "Dispatch", "Synchronization"]

    /// Each module's allowed imports beyond `system`. The C wrappers are the only importers of
    /// their C module; the modules that read bundles know PicoCore and what is below it.
    static let allowed: [String: Set<String>] = [
        "PicoFiles": [],
        "PicoParallel": [],
        "PicoCore": ["PicoFiles", "PicoParallel", "Crypto"],
        "PicoTOML": [],
        "PicoHTML": ["CLibXML2"],
        "PicoMarkdown": ["CCmarkGFM", "CSyntaxHighlighter"],
        "PicoDeflate": ["CLibDeflate", "CZlib"],
        "PicoImage": ["PicoDeflate", "CImageResizer"],
        "PicoSearch": ["CStemmer", "PicoDeflate", "PicoHTML", "PicoParallel", "Mustache"],
        "PicoArchive": ["CLibArchive", "PicoCore", "PicoFiles"],
        "PicoNostr": ["CSecp256k1", "PicoCore", "PicoFiles", "PicoParallel", "AsyncHTTPClient", "Crypto", "Logging", "NIOCore", "NIOHTTP1", "WSClient"],
        "PicoRetry": [],
        "PicoS3": ["PicoRetry", "AsyncHTTPClient", "Crypto", "NIOCore", "NIOHTTP1"],
        "PicoBlossom": ["PicoCore", "PicoNostr", "PicoRetry", "AsyncHTTPClient", "Crypto", "NIOCore", "NIOHTTP1"],
        "PicoSilo": ["PicoCore", "PicoFiles", "PicoParallel", "PicoArchive", "PicoNostr", "PicoS3", "PicoBlossom", "PicoRetry", "PicoSearch", "Mustache", "AsyncHTTPClient", "NIOCore"],
        "PicoServer": ["PicoCore", "PicoFiles", "PicoHTML", "PicoNostr", "Hummingbird", "Logging", "NIOCore", "NIOPosix"],
        "PicoBuild": ["PicoCore", "PicoFiles", "PicoParallel", "PicoHTML", "PicoImage", "PicoMarkdown", "PicoSearch", "PicoTOML", "Mustache", "Yams", "CYaml"],
        "pico": ["PicoCore", "PicoFiles", "PicoArchive", "PicoBuild", "PicoNostr", "PicoServer", "PicoSilo", "PicoS3", "PicoBlossom", "ArgumentParser"],
    ]

    /// The modules nothing but `pico` may import: the build, the server and the silos are
    /// leaves of the graph, so none of them can come to depend on another's choices.
    static let leaves: Set<String> = ["PicoBuild", "PicoServer", "PicoSilo"]

    static var sources: URL { TestEnvironment.repository.appendingPathComponent("Sources") }

    /// The Swift modules under Sources/ (the C wrappers are folders of headers, not Swift).
    static func swiftModules() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: sources.path).filter { name in
            let folder = sources.appendingPathComponent(name)
            let files = FileManager.default.enumerator(atPath: folder.path)?.compactMap { $0 as? String } ?? []
            return files.contains { $0.hasSuffix(".swift") }
        }.sorted()
    }

    /// The modules a Swift file imports, in order, with the line of each: `import M`, with
    /// attributes such as `@preconcurrency`, an access level, or a kind (`import struct M.T`).
    static func importedModules(in text: String) throws -> [(module: String, line: Int)] {
        let pattern = try Regex(#"^\s*(?:@[A-Za-z_]+\s+)*(?:(?:public|internal|package|private|fileprivate)\s+)?import\s+(?:(?:struct|class|enum|protocol|func|var|let|typealias)\s+)?([A-Za-z_][A-Za-z0-9_]*)"#)
        var found: [(String, Int)] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if let match = try pattern.prefixMatch(in: line), let name = match.output[1].substring {
                found.append((String(name), index + 1))
            }
        }
        return found
    }

    /// Every import in a module's Swift files, with the file and line that says it.
    static func imports(of module: String) throws -> [(module: String, at: String)] {
        let folder = sources.appendingPathComponent(module)
        var found: [(String, String)] = []
        for case let file as String in FileManager.default.enumerator(atPath: folder.path)! where file.hasSuffix(".swift") {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            found += try importedModules(in: text).map { ($0.module, "Sources/\(module)/\(file):\($0.line)") }
        }
        return found
    }

    @Test func everyModuleHasItsRuleWritten() throws {
        let modules = try Self.swiftModules()
        #expect(modules.count >= 10, "found only \(modules) under \(Self.sources.path)")
        for module in modules {
            #expect(Self.allowed[module] != nil, "Sources/\(module) is a module with no import rule: add it to ModuleBoundaryTests.allowed and to docs/ARCHITECTURE.md")
        }
    }

    @Test func eachModuleImportsOnlyWhatItsRuleAllows() throws {
        for module in try Self.swiftModules() {
            guard let allowed = Self.allowed[module] else { continue }
            for (imported, place) in try Self.imports(of: module) where !Self.system.contains(imported) && !allowed.contains(imported) {
                Issue.record("\(place): \(module) imports \(imported), which its rule does not allow")
            }
        }
    }

    @Test func theLeavesAreImportedOnlyByTheCommandLine() {
        for (module, allowed) in Self.allowed where module != "pico" {
            #expect(allowed.isDisjoint(with: Self.leaves), "\(module) may import \(allowed.intersection(Self.leaves)): only pico may")
        }
    }

    /// The rule checker itself: it must see imports written in each form the sources use, and
    /// nothing in comments or strings.
    @Test func theImportReaderSeesEveryForm() throws {
        let text = """
        import Foundation
        @preconcurrency import NIOCore
        public import struct PicoCore.BundlePath
        // import NotThis
        let text = "import NorThis"
        """
        #expect(try Self.importedModules(in: text).map(\.module) == ["Foundation", "NIOCore", "PicoCore"])
        #expect(try Self.importedModules(in: text).map(\.line) == [1, 2, 3])
    }
}
