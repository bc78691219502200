/// The page at the top of a drive that holds several bundles (the "sneakernet library"):
/// Sources/PicoSilo/Assets/library-index.mustache, embedded at build time (Plugins/EmbedAssets).
enum LibraryIndexTemplate {
    static let mustache = EmbeddedAssets.library_index_mustache
}
