// Embeds a target's Assets/ folder (and, for PicoBuild, the starter sites in Templates/) into
// the target as Swift string literals at build time; see Plugins/EmbedAssetsTool/EmbedAssetsTool.swift.
import Foundation
import PackagePlugin

@main struct EmbedAssets: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        // Paths, not the URLs of PackageDescription 6.1: the package declares tools version 6.0.
        let assets = URL(fileURLWithPath: target.directory.string).appending(path: "Assets")
        var arguments = ["--files", assets.path]
        var inputs = try files(under: assets)
        if target.name == "PicoBuild" {
            let templates = URL(fileURLWithPath: context.package.directory.string).appending(path: "Templates")
            arguments += ["--tree", "starterTemplates", templates.path]
            inputs += try files(under: templates)
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedAssets.swift")
        return [.buildCommand(displayName: "Embedding the assets of \(target.name)",
                              executable: try context.tool(named: "EmbedAssetsTool").url,
                              arguments: [output.path] + arguments, inputFiles: inputs, outputFiles: [output])]
    }

    /// Every file under `folder` (so that editing or adding one reruns the command).
    private func files(under folder: URL) throws -> [URL] {
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        return walker.compactMap { $0 as? URL }.filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
    }
}
