import Foundation
import PicoFiles
import PicoTestSupport
import Testing

/// Walking folders whose names an attacker chose.
@Suite struct FileTreeTests {
    let site = ["index.html": "<h1>hi</h1>", "caf\u{E9}.html": "<p>listed</p>", "css/site.css": "body{}"]

    @Test func aFolderNamedWithBadUTF8IsStillWalked() throws {
        let folder = TemporaryFolder()
        let root = try folder.makeBundle(site)
        let name = Array("dir".utf8) + [0xC3]
        let path = Array(root.path.utf8) + [UInt8(ascii: "/")] + name + [0]
        #expect(path.withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { mkdir($0.baseAddress!, 0o755) } } == 0)
        try TemporaryFolder.writeRaw(name + Array("/inside.html".utf8), in: root, "x")
        let paths = try FileTree.walk(root).filter { !$0.hasCanonicalName }.map(\.path)
        #expect(paths == ["dir\\xC3/inside.html"])
    }
}
