import Foundation
@testable import PicoBuild
import PicoCore
import PicoTestSupport
import Testing

/// Fenced code through the whole build: highlighted in the page, styled by the starters'
/// stylesheets in a light and a dark palette, plain when the language is unknown.
@Suite struct HighlightedCodeBuildTests {
    @Test func aStarterSitesCodeIsHighlightedAndStyledForLightAndDark() throws {
        let folder = TemporaryFolder()
        for starter in StarterTemplate.allCases {
            let files = [
                "pico.toml": "template = \"\(starter.rawValue)\"\ntitle = \"Code\"\n",
                "content/_index.md": "---\ntitle: Home\n---\nHello.\n",
                "content/code.md": "---\ntitle: Code\n---\n```rust\nfn main() { println!(\"hi\"); } // go\n```\n\n```klingon\nqaStaH nuq?\n```\n",
            ]
            var options = BundleBuilder.Options(input: folder.write(files, under: starter.rawValue))
            options.sourceDateEpoch = 1_700_000_000
            let out = try BundleBuilder(options).build().output
            let home = try String(contentsOf: out.appendingPathComponent("code/index.html"), encoding: .utf8)
            #expect(home.contains(#"<pre class="highlight"><code class="language-rust"><span class="kw">fn</span> main() { <span class="pp">println!</span>(<span class="st">&quot;hi&quot;</span>); } <span class="co">// go</span>"#), "\(starter): \(home)")
            #expect(home.contains("<pre><code class=\"language-klingon\">qaStaH nuq?\n</code></pre>"), "\(starter)")

            // The stylesheet the page links colours the classes, with other colours when dark.
            let sheet = try #require(starter.embeddedFiles.first { $0.path.hasPrefix("static/css/") && $0.path.hasSuffix(".css") }, "\(starter)")
            let css = sheet.text
            for rule in ["pre.highlight .kw", "pre.highlight .st", "pre.highlight .co", "pre.highlight .dt", "pre.highlight .fu"] {
                #expect(css.contains(rule), "\(starter): \(rule)")
            }
            let dark = try #require(css.range(of: "@media (prefers-color-scheme: dark) {\n  :root {\n    --hl-keyword:"), "\(starter)")
            let light = try #require(css.range(of: "--hl-keyword:"), "\(starter)")
            #expect(light.lowerBound < dark.lowerBound)
            func value(after range: Range<String.Index>) -> Substring { css[range.upperBound...].prefix { $0 != ";" } }
            #expect(value(after: light) != value(after: dark), "\(starter): one keyword colour for light and dark")
            #expect(home.contains(sheet.path.dropFirst("static/".count)), "\(starter) links \(sheet.path)")
        }
    }
}
