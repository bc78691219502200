import Foundation
import PicoFiles
import PicoTestSupport
import Testing

/// Walking folders whose names an attacker chose.
@Suite struct FileTreeTests {
    let site = ["index.html": "<h1>hi</h1>", "caf\u{E9}.html": "<p>listed</p>", "css/site.css": "body{}"]

    /// Writes a file whose name is given as raw bytes, which Foundation cannot name.
    static func writeRaw(_ name: [UInt8], in folder: URL, _ text: String) throws {
        let path = Array(folder.path.utf8) + [UInt8(ascii: "/")] + name + [0]
        let descriptor = path.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT | O_EXCL, 0o644) }
        }
        try #require(descriptor >= 0)
        _ = text.withCString { write(descriptor, $0, strlen($0)) }
        close(descriptor)
    }

    @Test func aFolderNamedWithBadUTF8IsStillWalked() throws {
        let folder = TemporaryFolder()
        let root = try folder.makeBundle(site)
        let name = Array("dir".utf8) + [0xC3]
        let path = Array(root.path.utf8) + [UInt8(ascii: "/")] + name + [0]
        #expect(path.withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { mkdir($0.baseAddress!, 0o755) } } == 0)
        try Self.writeRaw(name + Array("/inside.html".utf8), in: root, "x")
        let paths = try FileTree.walk(root).filter { !$0.hasCanonicalName }.map(\.path)
        #expect(paths == ["dir\\xC3/inside.html"])
    }
}
