import Foundation
import PicoTestSupport
import Testing

/// The example blog, built by the real `pico` binary, checked with tools that are not pico.
@Suite(.serialized) struct ExampleBlogTests {
    let folder = TemporaryFolder()
    var bundle: URL { folder.path("blog") }

    init() throws {
        let result = try TestEnvironment.pico("build", TestEnvironment.repository.appendingPathComponent("Examples/blog").path,
                                              "-o", folder.path("blog").path)
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test func everyReferenceResolvesOnDiskAsFileURLsWould() throws {
        let check = try TestEnvironment.run("python3", [TestEnvironment.repository.appendingPathComponent("Tests/tools/check_bundle_links.py").path,
                                                        bundle.path])
        #expect(check.status == 0, "\(check.stdout)")
        // The example is real: it has many links to check.
        let checked = Int(check.stdout.split(separator: "\n").last?.split(separator: " ").first ?? "0") ?? 0
        #expect(checked > 200, "\(check.stdout)")
    }

    @Test func everyPageIsReachableFromTheIndexByLinks() throws {
        let reachable = try Self.crawl(from: bundle.appendingPathComponent("index.html"), root: bundle)
        let pages = try FileManager.default.subpathsOfDirectory(atPath: bundle.path).filter { $0.hasSuffix(".html") && $0 != "404.html" }
        #expect(Set(pages).subtracting(reachable).isEmpty, "not linked from anywhere: \(Set(pages).subtracting(reachable))")
    }

    @Test func sha256sumAcceptsTheChecksums() throws {
        let result = try TestEnvironment.run("sha256sum", ["--strict", "-c", "SHA256SUMS"], in: bundle)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(!result.stdout.contains("FAILED"))
        let listed = result.stdout.split(separator: "\n").count
        #expect(listed > 30)
    }

    @Test func theDraftIsLeftOutAndImagesAreIn() throws {
        let files = try FileManager.default.subpathsOfDirectory(atPath: bundle.path)
        #expect(!files.contains { $0.contains("mesh-networks") })
        #expect(files.contains { $0.hasSuffix(".png") })
        #expect(files.contains { $0.hasSuffix(".svg") })
        #expect(files.contains("posts/a-library-on-a-thumb-drive/photo.png"))
    }

    /// Follows `<a href>` links between pages as a reader clicking through would.
    static func crawl(from start: URL, root: URL) throws -> Set<String> {
        var seen = Set<String>()
        var queue = [start.standardizedFileURL]
        let rootPath = root.standardizedFileURL.path + "/"
        while let page = queue.popLast() {
            let relative = String(page.path.dropFirst(rootPath.count))
            guard seen.insert(relative).inserted, let html = try? String(contentsOf: page, encoding: .utf8) else { continue }
            // Links, and the header's search form (a GET form reaches search/index.html).
            for attribute in ["href=\"", "action=\""] {
                var rest = Substring(html)
                while let range = rest.range(of: attribute) {
                    let after = rest[range.upperBound...]
                    guard let end = after.firstIndex(of: "\"") else { break }
                    let href = String(after[..<end])
                    rest = after[end...]
                    guard !href.contains(":"), !href.hasPrefix("#"), !href.hasPrefix("//") else { continue }
                    let path = href.split(separator: "#").first.map(String.init) ?? href
                    guard path.hasSuffix(".html") else { continue }
                    queue.append(URL(fileURLWithPath: path.removingPercentEncoding ?? path, relativeTo: page.deletingLastPathComponent()).standardizedFileURL)
                }
            }
        }
        return seen
    }
}
