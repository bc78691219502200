import Foundation
import PicoBuild
import PicoTestSupport
import Testing

/// `pico init`'s templates, found and copied by PicoBuild.
@Suite struct StarterTemplateTests {
    @Test func everyTemplateIsFoundBesideTheSourceTreeAndCopiedWhole() throws {
        let folder = TemporaryFolder()
        for template in StarterTemplate.allCases {
            let source = try #require(template.folder(environment: [:]), "\(template)")
            let site = folder.path("new/\(template.rawValue)")
            try template.create(at: site, environment: [:])
            #expect(FileManager.default.fileExists(atPath: site.appendingPathComponent("pico.toml").path))
            #expect(try Data(contentsOf: site.appendingPathComponent("pico.toml")) == Data(contentsOf: source.appendingPathComponent("pico.toml")))
        }
    }

    @Test func picoTemplatesIsLookedInFirstAndHiddenFilesStayBehind() throws {
        let folder = TemporaryFolder()
        folder.write(["blog/pico.toml": "title = \"mine\"\n", "blog/content/_index.md": "# mine\n", "blog/.git/HEAD": "ref",
                      "blog/content/.draft.md.swp": "swap"], under: "custom")
        let environment = ["PICO_TEMPLATES": folder.path("custom").path]
        #expect(StarterTemplate.blog.folder(environment: environment)?.path == folder.path("custom/blog").path)
        try StarterTemplate.blog.create(at: folder.path("site"), environment: environment)
        #expect(folder.read("site/pico.toml") == "title = \"mine\"\n")
        #expect(!FileManager.default.fileExists(atPath: folder.path("site/.git").path))
        #expect(!FileManager.default.fileExists(atPath: folder.path("site/content/.draft.md.swp").path))
    }

    @Test func aFolderThatIsNotEmptyOrNoTemplatesAtAllAreRefused() throws {
        let folder = TemporaryFolder()
        folder.write(["keep.txt": "mine"], under: "full")
        do {
            try StarterTemplate.docs.create(at: folder.path("full"), environment: [:])
            Issue.record("a folder with files in it was used")
        } catch {
            #expect(error.description.contains("already exists and is not empty"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path("full").path) == ["keep.txt"])

        let nowhere = URL(fileURLWithPath: "/nonexistent/bin/pico")
        #expect(StarterTemplate.app.folder(environment: [:], executable: nowhere) == nil)
        do {
            try StarterTemplate.app.create(at: folder.path("new"), environment: ["PICO_TEMPLATES": "/nonexistent"], executable: nowhere)
            Issue.record("created without templates")
        } catch {
            #expect(error.description.contains("cannot find the starter templates (Templates/app)") && error.description.contains("PICO_TEMPLATES"))
        }
        #expect(!FileManager.default.fileExists(atPath: folder.path("new").path))
    }
}
