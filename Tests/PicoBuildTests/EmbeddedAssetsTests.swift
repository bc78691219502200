import Foundation
@testable import PicoBuild
import PicoTestSupport
import Testing

/// The web assets are files in the source tree (Sources/PicoBuild/Assets/), embedded into the
/// binary at build time by Plugins/EmbedAssets: the binary carries exactly those bytes, and every
/// script is JavaScript node accepts.
@Suite struct EmbeddedAssetsTests {
    static let assets = TestEnvironment.repository.appendingPathComponent("Sources/PicoBuild/Assets")

    /// A file's text as embedded: without one final line feed.
    static func asset(_ name: String) throws -> String {
        var text = try String(contentsOf: assets.appendingPathComponent(name), encoding: .utf8)
        if text.hasSuffix("\n") { text.removeLast() }
        return text
    }

    @Test func theEmbeddedScriptsAndTemplatesAreTheFilesByteForByte() throws {
        #expect(Array(WebAppFiles.serviceWorker.utf8) == Array(try Self.asset("sw.js").utf8))
        #expect(Array(WebAppFiles.pageScript.utf8) == Array(try Self.asset("pico-app.js").utf8))
        #expect(Array(EmbeddedAssets.not_found_root_finder_js.utf8) == Array(try Self.asset("not-found-root-finder.js").utf8))
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.assets.path).filter { !$0.hasPrefix(".") }.sorted()
        #expect(Array(BuiltInTemplates.page.utf8) == Array(try Self.asset("built-in-page.mustache").utf8))
        #expect(Array(BuiltInTemplates.section.utf8) == Array(try Self.asset("built-in-section.mustache").utf8))
        #expect(names == ["built-in-page.mustache", "built-in-section.mustache", "not-found-root-finder.js", "pico-app.js", "sw.js"])
    }

    /// The root finder made from its file is the script pico wrote when it was a Swift string,
    /// for folders and bases that need escaping and ones that look like its placeholders.
    @Test func theRootFinderIsTheScriptItWasForAnyFolderAndBase() {
        func before(pageFolder: [String], baseFromPage: String) -> String {
            let folder = pageFolder.map { $0 + "/" }.joined()
            let literal = { (text: String) in
                "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                    .replacingOccurrences(of: "<", with: "\\u003c") + "\""
            }
            return "<script>(function(){var l=location,p=l.pathname,i=p.lastIndexOf(\"/\");"
                + "if(!/^https?:$/.test(l.protocol)||document.querySelector(\"base[href]\"))return;"
                + "for(;i>=0;i=i>0?p.lastIndexOf(\"/\",i-1):-1){var d=p.slice(0,i+1),x=new XMLHttpRequest();"
                + "try{x.open(\"HEAD\",d+\"pico-manifest.json\",false);x.send();}catch(e){continue}"
                + "if(x.status===200){var b=document.createElement(\"base\");"
                + "b.href=new URL(\(literal(baseFromPage)),l.origin+d+\(literal(folder))).href;"
                + "document.currentScript.after(b);return}}})()</script>"
        }
        let cases: [([String], String)] = [
            ([], ""), (["docs"], ""), (["a", "b%20c"], "../"), (["x\"y"], "q\\\"</script>"),
            (["{{pageFolder}}"], "\"{{baseFromPage}}\""), (["\"{{baseFromPage}}\""], "{{manifest}}"),
        ]
        for (folder, base) in cases {
            #expect(NotFoundPage.rootFinder(pageFolder: folder, baseFromPage: base) == before(pageFolder: folder, baseFromPage: base))
        }
    }

    /// `node --check` parses each embedded script as the bundle carries it (nodejs is in the Makefile's
    /// DEBIAN_PACKAGES: without it this test fails rather than passing silently).
    @Test func everyEmbeddedScriptIsValidJavaScript() throws {
        let folder = TemporaryFolder()
        let finder = NotFoundPage.rootFinder(pageFolder: ["a", "b"], baseFromPage: "../")
        var scripts = [
            "sw.js": WebAppFiles.serviceWorker, "pico-app.js": WebAppFiles.pageScript,
            "not-found-root-finder.js": String(finder.dropFirst("<script>".count).dropLast("</script>".count)),
        ]
        // The starter sites' scripts too (Templates/app/static/js/app.js).
        for template in StarterTemplate.allCases {
            for file in template.embeddedFiles where file.path.hasSuffix(".js") { scripts["\(template.rawValue)/\(file.path)"] = file.text }
        }
        #expect(scripts.count >= 4)
        #expect(TestEnvironment.hasProgram("node"), "node is needed (Debian package nodejs): run make deps")
        for (name, text) in scripts.sorted(by: { $0.key < $1.key }) {
            let file = folder.write([name: text])
            let result = try TestEnvironment.run("node", ["--check", file.appendingPathComponent(name).path])
            #expect(result.status == 0, "\(name): \(result.stderr)")
        }
    }

    /// Every file under `folder` (hidden ones left out), relative path → bytes.
    static func tree(_ folder: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let walker = try #require(FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles]))
        let base = folder.standardizedFileURL.path + "/"
        for case let url as URL in walker where try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true {
            files[String(url.standardizedFileURL.path.dropFirst(base.count))] = try Data(contentsOf: url)
        }
        return files
    }

    @Test func theEmbeddedStarterSitesAreTemplatesByteForByte() throws {
        for template in StarterTemplate.allCases {
            let onDisk = try Self.tree(TestEnvironment.repository.appendingPathComponent("Templates/\(template.rawValue)"))
            let embedded = Dictionary(uniqueKeysWithValues: template.embeddedFiles.map { ($0.path, Data($0.text.utf8)) })
            #expect(onDisk.count > 10 && embedded == onDisk, "\(template)")
        }
    }

    /// A pico copied where no Templates folder is (/usr/local/bin, say) writes the starter
    /// sites it carries: the same files as Templates/.
    @Test func aPicoWithNoTemplatesBesideItCreatesEveryStarterSiteFromItsOwnCopy() throws {
        let folder = TemporaryFolder()
        let nowhere = URL(fileURLWithPath: "/nonexistent/bin/pico")
        for template in StarterTemplate.allCases {
            #expect(template.folder(environment: [:], executable: nowhere) == nil)
            let site = folder.path("new/\(template.rawValue)")
            try template.create(at: site, environment: [:], executable: nowhere)
            #expect(try Self.tree(site) == Self.tree(TestEnvironment.repository.appendingPathComponent("Templates/\(template.rawValue)")), "\(template)")
        }
    }
}
