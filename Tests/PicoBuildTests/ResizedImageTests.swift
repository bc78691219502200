import Foundation
@testable import PicoBuild
import PicoCore
import PicoImage
import PicoTestSupport
import Testing

/// `[images] widths`: JPEG and PNG images of static/ and of page bundles resized by libvips,
/// read back here from their own headers (not through libvips), linked by `srcset`, cached.
@Suite struct ResizedImageTests {
    /// A 1000 × 80 JPEG (baseline, made once with libjpeg) with a comment segment, the kind of
    /// metadata a camera leaves and the copies must not carry.
    static let jpeg = Data(base64Encoded: [
        "/9j//gAebWFkZSBieSBhIGNhbWVyYSwgMjAyNC0wNS0wNf/bAEMABgQEBQQEBgUFBQYGBgcJDgkJCAgJEg0NCg4VEhYWFRIUFBca",
        "IRwXGB8ZFBQdJx0fIiMlJSUWHCksKCQrISQlJP/bAEMBBgYGCQgJEQkJESQYFBgkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk",
        "JCQkJCQkJCQkJCQkJCQkJCQkJCQkJP/AABEIAFAD6AMBIgACEQEDEQH/xAAYAAEBAQEBAAAAAAAAAAAAAAAFAQAHCP/EABgQAAMB",
        "AQAAAAAAAAAAAAAAAAAUYQEE/8QAGgEBAQEBAQEBAAAAAAAAAAAAAgEABggFB//EABgRAQADAQAAAAAAAAAAAAAAAAABBBMU/9oA",
        "DAMBAAIRAxEAPwDzgtCrwTXKvD9L3fFiwMXhVoJrQq0JscWBi8MvBNaFXJsUWBmc8KvBNeFzmhNjiwMWhV4JrQq0JscWBa8LnPBN",
        "cq8JsUWBi8KtBPOaFXhNjiwMXhV4JrQy5NjiwMznhV4JrQq0JscWBi0KvBNaFWhNjiwMXhs54Jrwq0NsUWBi8KtBNaFWhNjiwMXh",
        "V4JrQq8JscWBa0KvBNaFWhNyiwMWhV4JrQq8JscWBi8LnNBNeGWhNjiwMXhV4Jrwq0JuUWBi8KvBNaFzmhNjiwMzmhl4JrQq8Jsc",
        "WBi8LnPBNaFWhNziwMXhVoJrwq0JsUWBa8KvBNeFXJscWBmc8KvBNaFXhtjiwMWhV4JrQy0JscWBi8LnNBNeFWhNiiwMXhV4Jrwq",
        "0JscWBi8MvBNeFXhNjiwMWhV4JrQq8JsUWBi8KvBNaFXhNjiwLXhV4Jrwq0JscWBi8KvBNeFzmhNiiwMznhV4Jrwy8JscWBq8MvB",
        "NaFXhNziwMXhV4JrQq8JscWBi8KvBJeFWhNjiwMWhV4Jrwq0NuUWBi8KvBNcq8JscWBi8MvBNaFXhNjiwMXhV4JrQq5NiiwMXhVo",
        "Jrwy0JscWBi8KvBNeFWhNjiwMXhV4JrQq8JsUWBi8NnPBRaGXhNjiwMXhV4JrQq0JscWBi0KvBNeFWhNjiwMXhl4Jrwq8JsUWBi8",
        "KtBNaFXhNjiwMXhVoJrQy5tjiwMXhV4Jrwq0JscWBi0KvBNeFWhNiiwMWhl4JrlXhNjiwMXhVoJrQq0JscWBi8KvBNaGXJsUWBuc",
        "8MvBNeFzmhNjiwMWhV4Jrwq0JscWBi8LnPBNcy8JuUWBq8MtBPOaFXhNjiwMXhV4JrQq5NjiwMznhV4JrQy0JucWBi0KvBNaFWht",
        "jiwMXhc54Jrwq0JsUWBi8MtBNaFWhNjiwMXhhRaGJsXQ5cvCrwTXKvDotnjuLAxaFXgmtCrwmxRYFrwq8E1oVaE2OLAxeFXgmvCr",
        "Qm5xYGZzwq8E14VaE2KLAteFXgmtCrwmxxYGLwq8E85oVeG3OLAxeFXgmvDLQmxxYGLQq8E14VaE2KLAxeFXgmvCrwm5xYGLwy0E",
        "1oVeE2OLAxeFXgmtCrk2OLAxeFXgmvDLQmxRYGLQq8E1oVaE2OLAxeFXgmuVeE2OLAxeFWgktCrwmxRYGLwq8E1oVcmxxYGZzwq8",
        "E14VaE2OLAxaGXgmvCrQ2xRYGLwuc8E1yrQmxxYGLwq8E1oZaE2OLAxeFXgmtCrk2OLAzOaFXgmtCrQmxxYGLQy8E1oVaE2KLAxe",
        "FzmgmvCrwmxxYGLwq0E1oVaE2OLAxeGXgmvCrQmxRYGLQq8E1oVaE2OLAxeFzngmtCrQmxxYFrwuc0E85oVaE3KLAxeFXgmvCrm2",
        "OLAzOeFXgmtDLwmxxYGLQq8E1oVaE3OLAxeFzngmuVaE2KLAxeGXgmvCrQmxxYGLwq8E1oVeE2OLAzOaFXgmtCrwmxxYFrQq8E1o",
        "VeE2KLAxeFWgmvCrQmxxYGLwy0FF4ZaE2OLAxeFXgmvCrwmxRYGLwq8E1oVeE2OLAxeGXgnnNCrw2xxYGLwuc8E14VaE2KLAxeFX",
        "gmvDLQmxxYGLwq8E14VeE3OLAxeFXgmtCrwmxxYGLwq8E1oZcmxxYGLwq0E14VaE3KLAxeFXgmvCrQmxxYGLwy8E1oVeE2OLAxaF",
        "XgmtCrwm5RYGLwq8E1oZaE2OLAxeFXgmvCrQmxxYGZzwq8E14XOc2xRYGLwy8FFoZeE2OLAxeFXgmtCrwmxxYGLwq8E14VaE2OLA",
        "xeGXgovDLQmxRYGLwq8E14VeE2OLAxeFWgmtCrwmxxYFrwq8E1oVcmxxYGLwwovDE2LocuWhV4JrQq8Oj2eOosDFoVeCa0MvCbHF",
        "gYvCrQTXhVoTYosDF4VeCa8KtCbnFgYvDLwUXhl4TY4sDM54VeCa0KvCbFFgYvCrwTzmhV4TY4sDF4ZaCa8KtCbHFgYvCrwTXhVo",
        "TY4sDF4VeCa8KvCbHFgYtDLwTWhV4TYosDF4VeCa0KtDbHFgYvCrQTXhloTY4sDF4VeCa8KtCbFFgYvCrwTWhV4TY4sDFobOeCa0",
        "KvCbHFgYvCrwTznKtCblFgYvCrwTXhVoTY4sC854VeCa8LnPCbHFgYvCrwTWhV4Tc4sDF4ZeCi0MvCbFFgYvCrwTXhVoTY4sDFoV",
        "eCa8KtCbnFgYvDLwTXKvDbHFgYvCrQTWhV4TYosDF4VeCa0MuTc4sDF4VeCa8KtCbHFgYtCrwTXhVoTYosDF4ZeCi5V4TY4sC14X",
        "OeCa0KvCbHFgYvCrwTWhVybFFgZnPDLwUWhloTY4sDF4VeCa0KtCbHFgYvCrQTXKvCbHFgWvCrQTWhVoTY4sDF4VeCa0KtDbFFgZ",
        "nNCrwTXhloTY4sDFoVeCa0KvCbHFgYvCrQTWhVoTcosDF4VaCa0MuTY4sDF4VeCa8LnNCbHFgZnNCrwTWhVoTcosDF4bOeCa5V4T",
        "Y4sDF4XOeCec0KtCbHFgYvCrwTWhlybnFgZnPCrwTWhV4TYosDFoVeCa0KtCbHFgYvC5zQSXhVobY4sDF4VaCa8KtCbHFgYvCrwT",
        "Whl4TYosDVoZeCa0KtCbHFgYtCrwTWhV4TY4sDF4XOaCa8MtCbFFgYvCrwTXhVoTY4sDF4VeCa8KvCbHFgZnPDLwUWhl4TYosDF4",
        "VeCec0KvCbHFgYvCrQTXhVoTc4sC14VeCa8KtCbHFgYvCrwTWhV4TY4sDFoVeCa0KvDblFgWvC5zwTWhVoTY4sDF4YUXhibF0OXL",
        "Qq8E1oVaHRbPHcWBi0MvBNcq8JsUWBi8KtBNaFWhNjiwMXhV4JrQq5NjiwMznhl4KLw2c0JsUWBi0KvBNaFWhNjiwMXhc54Jrwq0",
        "NscWBi8MtBNeFWhNjiwMXhV4JrQq5NiiwMznhV4JrQq8JucWBa0KvBNaFWhNjiwMXhc5oJrwq0JscWBi8MtBNaFWhNyiwMXhV4Jr",
        "wq8JscWBmc0KvBNaFWhNjiwMWhl4JrQq8JuUWBi8LnNBNeFWhNjiwMXhV4Jrwy0JscWBi8KvBNeFXhtiiwMWhV4JrQq8JscWBi8K",
        "vBNaGWhNjiwMXhVoJrwq0JscWBi8KvBNeFWhNjiwMznhl4JrQq8JsUWBi0KvBNaFXhNjiwMXhVoJrmWhNjiwMXhVoJrwq0JsUWBi",
        "8KvBNeFXhNjiwMXhl4KLQy8JucWBi8KvBNaFXhNiiwMXhV4Jrwq0JscWBi8MvBNeFWhtziwMXhV4Jrwq8JscWBi8KvBNaGXhNiiw",
        "MXhV4JrQq5NziwMXhV4Jrwq0JscWBi0MvBReGWhNjiwMXhV4JrlXhNiiwMXhV4JrQq8JscWBi8MvBNaFXJscWBi8KvBNeFWhNiiw",
        "MznhV4Jrwq0JscWBi8MvBNcq8JscWBi8LnPBNaFXhtjiwMXhV4JrQy0JsUWBi0KvBNeFWhNjiwMXhV4JrQq0JscWBi8NnNBNaFXh",
        "NjiwMXhVoJrQq8JsUWBi8KvBNeGWhNjiwNWhl4JrQq0JscWBi0KvBNcq8JsUWBi8MtBRaGWhNjiwMXhV4JrQq5NjiwMznhV4Jrwu",
        "c0JuUWBi0MvBNaFWhtjiwMXhc54Jrwq0JscWBi8KtBNeGXhNziwMXhV4JrQq5NiiwMznhV4JrQq0JscWBi0MvBRaGWhNjiwMXhc5",
        "4Jrwq0JscWBi8MKLQxNi6HLl4VeCa8KtDo9njqLAxeGXgouZeE2OLAxaFXgmtCrwm5RYGLwq8E1oVcmxxYFrwq8E14VaE2OLAzOe",
        "FXgmvCrQm5RYGLwq0E1oVeE2OLAteFXgmtCrwmxxYGLwq8E14VaE3OLAxaFXgmvDLQmxxYGLQq8E1yrwmxRYGLwq0E1oVeG2OLAx",
        "eFWgktCrk2OLAxeFXgmvCrQmxRYGLQq8E1oVaE2OLAteFzngmuVeE2OLAxeFWgnnNCrQmxRYGLwq8E1oZcmxxYGZzwq8E14XOaE2",
        "OLAxaFXgmvCrQmxxYGLw2c8E1yrQmxRYGLwq0E1oVaE3OLAxeFXgmtDLwmxxYGZzwq8E1oVaE2OLAxaFXgmtCrQ25RYGLwq0E14Z",
        "aE2OLAxeFWgmtCrQmxxYGLwq8E14VeE2KLAzOaGXgmtCrwm5xYGLwq8E1oVaE2OLAxeFzmgnnNDLQmxRYGLwq8E14VaE2OLAzOeF",
        "XgmtCrwmxxYGLQy8FFoZeE2OLAxeFzmgmuVaE2OLAxeFWgmvCrQmxRYGLwy8E1oVeG2OLAzOaFXgmtCrwmxxYGLwq8E1oVeE2KLA",
        "teFWgmvCrQmxxYGLwq8E14VaE2OLAxeFXgmvDLwm5RYGLwq8E1oVeE2OLAxeFzngnnNCrwmxxYGLwq8E14ZaE3OLAxeFXgmvCrQm",
        "xRYGLwq8E14VeE2OLAxeGXgmtCrwm5xYGLwq8E1oVc2xxYGLwq0E14ZaE2KLAxeFXgmvCrQm5xYGLwq8E1yrwmxxYGLQy8E1oVeE",
        "2OLAxeFXgmtCrQmxRYGLwq8E14VaE2OLAvOeFXgmvCrQmxxYGLwq0E1oVeE2KLAxeFXgmtDLwmxxYGLwq8E14VaE2OLAxaFXgmvC",
        "rQmxxYGLQy8E1yrw2xxYGLwq0E1oVeE2KLAxeGFFoYm5dD//2Q==",
    ].joined())!

    /// A 1200 × 800 PNG, drawn here.
    static let png: Data = {
        var image = RGBAImage(width: 1200, height: 800)
        for y in 0..<800 {
            for x in 0..<1200 {
                let offset = (y * 1200 + x) * 4
                image.pixels[offset] = UInt8(x * 255 / 1200)
                image.pixels[offset + 1] = UInt8(y * 255 / 800)
                image.pixels[offset + 2] = UInt8((x + y) % 256)
                image.pixels[offset + 3] = 255
            }
        }
        return image.pngData
    }()

    static let site: [String: String] = [
        "pico.toml": "title = \"Photos\"\n[images]\nwidths = [1600, 480, 960]\nsizes = \"(min-width: 40rem) 40rem, 100vw\"\n",
        "templates/page.mustache": "<!doctype html><title>{{page.title}}</title>{{{page.content}}}",
        "templates/section.mustache": "<!doctype html><title>{{page.title}}</title>{{{page.content}}}",
        "content/_index.md": "---\ntitle: Home\n---\n![wide](/img/wide.png \"A wide one\")\n",
        "content/trip/index.md": "---\ntitle: Trip\n---\n![the sea](sea.jpg)\n\n<img src=\"sea.jpg\" srcset=\"sea.jpg 1x\">\n",
        "content/notes.md": "---\ntitle: Notes\n---\n![small](/img/small.png) and ![elsewhere](https://example.com/a.png)\n",
    ]

    static func writeSite(in folder: TemporaryFolder) throws -> URL {
        let site = folder.write(Self.site, under: "site")
        try Self.jpeg.write(to: site.appendingPathComponent("content/trip/sea.jpg"))
        try FileManager.default.createDirectory(at: site.appendingPathComponent("static/img"), withIntermediateDirectories: true)
        try Self.png.write(to: site.appendingPathComponent("static/img/wide.png"))
        var small = RGBAImage(width: 300, height: 200)
        small.pixels = [UInt8](repeating: 200, count: 300 * 200 * 4)
        try small.pngData.write(to: site.appendingPathComponent("static/img/small.png"))
        return site
    }

    static func build(_ site: URL, into output: URL) throws -> BundleBuilder.Result {
        var options = BundleBuilder.Options(input: site)
        options.output = output
        return try BundleBuilder(options).build()
    }

    /// The size a baseline or progressive JPEG says it has, from its first SOF segment.
    static func jpegSize(_ data: Data) -> (width: Int, height: Int)? {
        let bytes = [UInt8](data)
        guard bytes.count > 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else { return nil }
        var i = 2
        while i + 9 < bytes.count, bytes[i] == 0xFF {
            let marker = bytes[i + 1]
            let length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            if (0xC0...0xCF).contains(marker), ![0xC4, 0xC8, 0xCC].contains(marker) {
                return (Int(bytes[i + 7]) << 8 | Int(bytes[i + 8]), Int(bytes[i + 5]) << 8 | Int(bytes[i + 6]))
            }
            i += 2 + length
        }
        return nil
    }

    static func size(of data: Data) -> (width: Int, height: Int)? { PNGHeader.size(of: data) ?? jpegSize(data) }

    @Test func copiesHaveTheAskedWidthsNeverWiderAndSrcsetLinksThem() throws {
        let folder = TemporaryFolder()
        let site = try Self.writeSite(in: folder)
        let out = folder.path("out")
        let result = try Self.build(site, into: out)
        let paths = Set(result.manifest.files.map(\.path))

        // 1200 px wide: 480 and 960, not 1600. 1000 px: the same. 300 px: none.
        for (path, widths, original) in [("img/wide.png", [480, 960], (1200, 800)), ("trip/sea.jpg", [480, 960], (1000, 80))] {
            for width in widths {
                let copy = ResizedImages.copyPath(of: path, width: width)
                #expect(paths.contains(copy), "\(copy)")
                let size = try #require(Self.size(of: try Data(contentsOf: out.appendingPathComponent(copy))), "\(copy)")
                #expect(size.width == width)
                #expect(abs(size.height - original.1 * width / original.0) <= 1, "\(copy): \(size)")
            }
            #expect(!paths.contains(ResizedImages.copyPath(of: path, width: 1600)))
        }
        #expect(paths.contains("img/wide-480w.png") && paths.contains("trip/sea-960w.jpg"))
        #expect(!paths.contains { $0.hasPrefix("img/small-") })
        // The same format as the original, with nothing of its metadata.
        let copy = try Data(contentsOf: out.appendingPathComponent("trip/sea-480w.jpg"))
        #expect(Self.jpegSize(copy) != nil)
        #expect(copy.range(of: Data("made by a camera".utf8)) == nil)
        #expect(try Data(contentsOf: out.appendingPathComponent("trip/sea.jpg")) == Self.jpeg)

        // srcset on Markdown images only; every candidate is a file of the bundle with that width.
        let home = try String(contentsOf: out.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(home.contains(#"<img src="img/wide.png" srcset="img/wide-480w.png 480w, img/wide-960w.png 960w, img/wide.png 1200w" sizes="(min-width: 40rem) 40rem, 100vw" alt="wide" title="A wide one" />"#), "\(home)")
        let trip = try String(contentsOf: out.appendingPathComponent("trip/index.html"), encoding: .utf8)
        #expect(trip.contains(#"<img src="sea.jpg" srcset="sea-480w.jpg 480w, sea-960w.jpg 960w, sea.jpg 1000w" sizes="(min-width: 40rem) 40rem, 100vw" alt="the sea" />"#), "\(trip)")
        #expect(trip.contains(#"<img src="sea.jpg" srcset="sea.jpg 1x">"#), "an author's own srcset is kept")
        let notes = try String(contentsOf: out.appendingPathComponent("notes/index.html"), encoding: .utf8)
        #expect(!notes.contains("srcset"), "\(notes)")
        for (page, html) in [("index.html", home), ("trip/index.html", trip)] {
            let sets = html.matches(of: /srcset="([^"]*)" sizes/).map { String($0.output.1) }
            #expect(!sets.isEmpty)
            for candidate in sets.flatMap({ $0.split(separator: ",") }) {
                let parts = candidate.split(separator: " ")
                let file = URL(fileURLWithPath: out.appendingPathComponent(page).deletingLastPathComponent().path)
                    .appendingPathComponent(String(parts[0])).standardizedFileURL
                let size = try #require(Self.size(of: try Data(contentsOf: file)), "\(file.path)")
                #expect("\(size.width)w" == parts[1], "\(candidate)")
            }
        }
    }

    @Test func aSecondBuildReusesTheCopiesAndTwoFreshBuildsGiveTheSameBytes() throws {
        let folder = TemporaryFolder()
        let site = try Self.writeSite(in: folder)
        let first = try Self.build(site, into: folder.path("one"))
        let cache = site.appendingPathComponent(ResizedImages.cacheFolder)
        func cached() throws -> [String: Date] {
            var found: [String: Date] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: cache.path) {
                found[name] = try FileManager.default.attributesOfItem(atPath: cache.appendingPathComponent(name).path)[.modificationDate] as? Date
            }
            return found
        }
        let made = try cached()
        #expect(made.count == 4, "\(made.keys.sorted())")
        Thread.sleep(forTimeInterval: 0.05)
        let second = try Self.build(site, into: folder.path("two"))
        #expect(try cached() == made, "the second build wrote no copy")
        #expect(second.manifest.files.map(\.sha256) == first.manifest.files.map(\.sha256))

        // From an empty cache, the same bytes again.
        try FileManager.default.removeItem(at: cache)
        let third = try Self.build(site, into: folder.path("three"))
        #expect(third.manifest.files.filter { $0.path.contains("w.") }.map(\.sha256)
                == first.manifest.files.filter { $0.path.contains("w.") }.map(\.sha256))
        #expect(third.manifest.files.map(\.sha256) == first.manifest.files.map(\.sha256))

        // A changed image gets new copies; the old ones are not used for it.
        var changed = RGBAImage(width: 1200, height: 800)
        changed.pixels = [UInt8](repeating: 90, count: 1200 * 800 * 4)
        try changed.pngData.write(to: site.appendingPathComponent("static/img/wide.png"))
        let fourth = try Self.build(site, into: folder.path("four"))
        #expect(try cached().count == 6)
        let hashes = { (result: BundleBuilder.Result) in Dictionary(uniqueKeysWithValues: result.manifest.files.map { ($0.path, $0.sha256) }) }
        #expect(hashes(fourth)["img/wide-480w.png"] != hashes(first)["img/wide-480w.png"])
        #expect(hashes(fourth)["trip/sea-480w.jpg"] == hashes(first)["trip/sea-480w.jpg"])
    }

    @Test func withoutWidthsNothingIsResizedAndNoCacheIsMade() throws {
        let folder = TemporaryFolder()
        let site = try Self.writeSite(in: folder)
        try "title = \"Photos\"\n".write(to: site.appendingPathComponent("pico.toml"), atomically: true, encoding: .utf8)
        let result = try Self.build(site, into: folder.path("out"))
        #expect(!result.manifest.files.contains { $0.path.contains("-480w") })
        #expect(!FileManager.default.fileExists(atPath: site.appendingPathComponent(".pico-cache").path))
        #expect(!(try String(contentsOf: folder.path("out/index.html"), encoding: .utf8)).contains("srcset"))
    }

    @Test func aCacheFolderThatIsALinkIsRefused() throws {
        let folder = TemporaryFolder()
        let site = try Self.writeSite(in: folder)
        let elsewhere = folder.path("elsewhere")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: site.appendingPathComponent(".pico-cache").path, withDestinationPath: elsewhere.path)
        #expect {
            try Self.build(site, into: folder.path("out"))
        } throws: { error in
            "\(error)".contains(".pico-cache") && "\(error)".contains("is not a folder")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere.path).isEmpty)
    }

    @Test func anImageLibvipsCannotReadFailsTheBuildNamingIt() throws {
        let folder = TemporaryFolder()
        let site = try Self.writeSite(in: folder)
        try Data("not a PNG at all".utf8).write(to: site.appendingPathComponent("static/img/broken.png"))
        #expect {
            try Self.build(site, into: folder.path("out"))
        } throws: { error in
            let text = "\(error)"
            return text.contains("static/img/broken.png") && text.contains("cannot read this image to resize it")
        }
        #expect(!FileManager.default.fileExists(atPath: folder.path("out").path))
    }

    @Test func badWidthsAreRefusedAtTheirValue() {
        #expect {
            try SiteConfig.parse("title = \"x\"\n[images]\nwidths = [480, 0]\n")
        } throws: { error in
            guard let error = error as? FileError else { return false }
            return "\(error)".contains("pico.toml:3:10") && "\(error)".contains("from 16 to 10000")
        }
    }

    @Test func srcsetPathsResolveLikeTheBrowserDoes() {
        #expect(ResizedImages.bundlePath(of: "sea.jpg", pageURL: "trip/") == "trip/sea.jpg")
        #expect(ResizedImages.bundlePath(of: "../img/a%20b.png", pageURL: "posts/x/") == "posts/img/a b.png")
        #expect(ResizedImages.bundlePath(of: "/img/a.png", pageURL: "posts/x/") == "img/a.png")
        #expect(ResizedImages.bundlePath(of: "https://example.com/a.png", pageURL: "") == nil)
        #expect(ResizedImages.bundlePath(of: "../../a.png", pageURL: "x/") == nil)
        #expect(ResizedImages.copyPath(of: "a.b/photo.final.jpg", width: 480) == "a.b/photo.final-480w.jpg")
        #expect(ResizedImages.copyPath(of: "noext", width: 480) == "noext-480w")
    }
}
