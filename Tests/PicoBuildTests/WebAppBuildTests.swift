import Foundation
import PicoBuild
import PicoCore
import PicoImage
import PicoTestSupport
import Testing

/// What makes a bundle a web app: the manifest from `[app]`, the icons, the service worker and
/// the page script in every page. (Chromium's side is in PicoCLITests/BrowserTests.)
@Suite struct WebAppBuildTests {
    static func build(_ files: [String: String], in folder: TemporaryFolder) throws -> BundleBuilder.Result {
        try BundleBuilder(.init(input: folder.write(files, under: "site"))).build()
    }

    static func json(_ url: URL) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    @Test func theManifestComesFromAppWithRelativeURLsAndDrawnIcons() throws {
        let folder = TemporaryFolder()
        let result = try Self.build([
            "pico.toml": "title = \"Field Notes\"\n[app]\nshort_name = \"Notes\"\ntheme_color = \"#0f766e\"\nbackground_color = \"#ffffff\"\ndisplay = \"standalone\"\n",
            "content/_index.md": "# Home\n",
        ], in: folder)
        let manifest = try Self.json(result.output.appendingPathComponent("manifest.webmanifest"))
        #expect(manifest["name"] as? String == "Field Notes")
        #expect(manifest["short_name"] as? String == "Notes")
        #expect(manifest["start_url"] as? String == "./" && manifest["scope"] as? String == "./")
        #expect(manifest["display"] as? String == "standalone")
        let icons = try #require(manifest["icons"] as? [[String: String]])
        #expect(icons.map { $0["sizes"] } == ["192x192", "512x512"])
        for icon in icons {
            let data = try Data(contentsOf: result.output.appendingPathComponent(try #require(icon["src"])))
            let size = try #require(PNGHeader.size(of: data))
            #expect("\(size.width)x\(size.height)" == icon["sizes"])
        }
        // The same input draws the same icons (the bundle is reproducible).
        let again = try BundleBuilder(.init(input: folder.path("site"), output: folder.path("again"))).build()
        #expect(again.manifest.id == result.manifest.id)
    }

    @Test func pngIconsAreValidForZlibAndTheirChecksums() throws {
        let png = IconPainter(background: (79, 70, 229)).icon(for: "Shelf", size: 48).pngData
        // An independent reader: Python's zlib and binascii.crc32 over every chunk.
        let folder = TemporaryFolder()
        let file = folder.path("i.png")
        try png.write(to: file)
        let check = try TestEnvironment.run("/usr/bin/python3", ["-c", """
        import sys, zlib, struct, binascii
        data = open(sys.argv[1], 'rb').read()
        assert data[:8] == b'\\x89PNG\\r\\n\\x1a\\n'
        pos, idat = 8, b''
        while pos < len(data):
            n, kind = struct.unpack('>I4s', data[pos:pos+8])
            body = data[pos+8:pos+8+n]
            assert struct.unpack('>I', data[pos+8+n:pos+12+n])[0] == binascii.crc32(kind + body), kind
            if kind == b'IHDR': w, h = struct.unpack('>II', body[:8])
            if kind == b'IDAT': idat += body
            pos += 12 + n
        raw = zlib.decompress(idat)
        assert len(raw) == h * (w * 4 + 1), len(raw)
        opaque = sum(raw[1 + r * (w * 4 + 1) + x * 4 + 3] == 255 for r in range(h) for x in range(w))
        print(w, h, opaque)
        """, file.path])
        #expect(check.status == 0, "\(check.stderr)")
        let fields = check.stdout.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(fields.count == 3 && fields[0] == 48 && fields[1] == 48)
        #expect(fields.count == 3 && fields[2] > 48 * 48 / 2, "the rounded square covers most of the icon")
    }

    @Test func givenIconsMustHaveThe192And512Sizes() throws {
        let folder = TemporaryFolder()
        let site = folder.write([
            "pico.toml": "title = \"T\"\n[app]\nicons = [{ src = \"i/small.png\", sizes = \"192x192\" }]\n",
            "content/_index.md": "hi",
        ], under: "site")
        try FileManager.default.createDirectory(at: site.appendingPathComponent("static/i"), withIntermediateDirectories: true)
        try IconPainter(background: (0, 0, 0)).icon(for: "A", size: 192).pngData.write(to: site.appendingPathComponent("static/i/small.png"))
        #expect {
            try BundleBuilder(.init(input: site)).build()
        } throws: { error in
            let text = String(describing: error)
            return text.contains("pico.toml") && text.contains("no 512x512 icon")
        }
    }

    @Test func anAbsoluteStartURLIsRefused() throws {
        let folder = TemporaryFolder()
        #expect {
            try Self.build(["pico.toml": "title = \"T\"\n[app]\nstart_url = \"/app/\"\n", "content/_index.md": "hi"], in: folder)
        } throws: { error in
            String(describing: error).contains("start_url") && String(describing: error).contains("relative")
        }
    }

    @Test func aSitesOwnManifestIsKeptAndWhatItLacksIsReported() throws {
        let folder = TemporaryFolder()
        let own = #"{"name":"Mine","start_url":"/","display":"browser","icons":[{"src":"missing.png","sizes":"192x192"}]}"#
        let result = try Self.build(["index.html": "<!doctype html><title>x</title>", "manifest.webmanifest": own], in: folder)
        #expect(try String(contentsOf: result.output.appendingPathComponent("manifest.webmanifest"), encoding: .utf8) == own)
        let warnings = result.warnings.map(\.description).joined(separator: "\n")
        #expect(warnings.contains("start_url \"/\" is tied to one host"), "\(warnings)")
        #expect(warnings.contains("display \"browser\""), "\(warnings)")
        #expect(warnings.contains("icon missing.png is not in the bundle"), "\(warnings)")
        #expect(warnings.contains("no 512x512 icon"), "\(warnings)")
    }

    @Test func everyPageLoadsThePageScriptOnceFromItsRoot() throws {
        let folder = TemporaryFolder()
        let result = try Self.build([
            "index.html": "<!DOCTYPE html><html><HEAD><title>x</title></HEAD><body><a href=\"a/b/\">b</a></body></html>",
            "a/b/index.html": "<html><head><title>b</title></head><body></body></html>",
        ], in: folder)
        let top = try String(contentsOf: result.output.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(top == "<!DOCTYPE html><html><HEAD><title>x</title><script src=\"./pico-app.js\" defer></script></HEAD><body><a href=\"a/b/index.html\">b</a></body></html>")
        let deep = try String(contentsOf: result.output.appendingPathComponent("a/b/index.html"), encoding: .utf8)
        #expect(deep.contains("<script src=\"../../pico-app.js\" defer></script></head>"))
        // Bundling a bundle again adds nothing twice.
        let again = try BundleBuilder(.init(input: result.output, output: folder.path("again"))).build()
        #expect(try String(contentsOf: again.output.appendingPathComponent("index.html"), encoding: .utf8) == top)
        #expect(again.warnings.isEmpty, "\(again.warnings)")
        let sw = try String(contentsOf: result.output.appendingPathComponent("sw.js"), encoding: .utf8)
        #expect(sw.contains("crypto.subtle.digest"))
    }
}
