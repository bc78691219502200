import Foundation
@testable import PicoBuild
import PicoCore
import PicoTestSupport
import Testing

/// The stages `BundleBuilder.build` composes for each file, one by one: what they make of a
/// page is what the build writes.
@Suite struct BuildStagesTests {
    @Test func theStagesOfOnePageMakeWhatTheBuildWrites() throws {
        let folder = TemporaryFolder()
        let site = folder.write([
            "index.html": "<!doctype html><html><head><title>x</title></head><body><a href=\"/docs/\">d</a> <a href=\"gone.html\">g</a></body></html>",
            "docs/index.html": "<title>d</title>",
        ], under: "site")
        var options = BundleBuilder.Options(input: site, output: folder.path("out"))
        options.allowBrokenLinks = true
        let result = try BundleBuilder(options).build()

        let staging = folder.path("staging")
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
        let page = PlannedFile(path: "index.html", file: site.appendingPathComponent("index.html"), origin: .copied(from: "index.html"))
        let bundlePaths = result.manifest.files.map { PlannedFile(path: $0.path, origin: .generated(from: "pico"), render: { Data() }) }

        var content = try FileRendering(limits: InputLimits(), include: []).content(of: page)
        let broken = LinkRewriting(files: bundlePaths, sourceRoot: site, allowBrokenLinks: true).rewrite(&content, of: page)
        #expect(broken.map(\.location) == [SourceLocation(file: "index.html", line: 1, column: 89)])
        PageScriptInjection.add(to: &content, at: page.path)
        let written = try BundleWriting(folder: staging.path).write(content, of: page)

        #expect(written == result.manifest.files.first { $0.path == "index.html" })
        #expect(try Data(contentsOf: staging.appendingPathComponent("index.html"))
                == Data(contentsOf: result.output.appendingPathComponent("index.html")))
    }

    @Test func mediaIsCopiedNotRead() throws {
        let folder = TemporaryFolder()
        let site = folder.write(["a.png": "png bytes"], under: "site")
        let file = PlannedFile(path: "a.png", file: site.appendingPathComponent("a.png"), origin: .copied(from: "a.png"))
        var content = try FileRendering(limits: InputLimits(), include: []).content(of: file)
        guard case .copied = content else { Issue.record("a media file is streamed when written, not read"); return }
        #expect(LinkRewriting(files: [file], sourceRoot: nil, allowBrokenLinks: false).rewrite(&content, of: file).isEmpty)
        PageScriptInjection.add(to: &content, at: file.path)
        try FileManager.default.createDirectory(at: folder.path("staging"), withIntermediateDirectories: true)
        let written = try BundleWriting(folder: folder.path("staging").path).write(content, of: file)
        #expect(written.size == 9 && written.sha256 == SHA256Hex.of(Data("png bytes".utf8)))
    }

    @Test func theOutputsAreCheckedTogetherOnce() {
        let planned = [
            PlannedFile(path: "a/index.html", origin: .generated(from: "content/a.md"), render: { Data() }),
            PlannedFile(path: "a/index.html", file: URL(fileURLWithPath: "/x"), origin: .copied(from: "static/a/index.html")),
            PlannedFile(path: "SHA256SUMS", file: URL(fileURLWithPath: "/y"), origin: .copied(from: "static/SHA256SUMS")),
            PlannedFile(path: "B.png", file: URL(fileURLWithPath: "/z"), origin: .copied(from: "static/B.png")),
            PlannedFile(path: "b.png", file: URL(fileURLWithPath: "/w"), origin: .copied(from: "static/b.png")),
        ]
        #expect {
            try BundleAssembler.checkOutputs(planned)
        } throws: { error in
            let errors = (error as? FileErrors)?.errors ?? []
            return errors.count == 3 && errors.allSatisfy { $0.location.line == nil }
                && errors[0].description.hasPrefix("static/a/index.html: error: writes /a/index.html, which content/a.md writes too")
                && errors[0].hint?.contains("slug:") == true
                && errors[1].message == "SHA256SUMS is a name pico writes itself"
                && errors[2].message.contains("b.png")
        }
    }
}
