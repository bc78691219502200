// The script is Sources/PicoBuild/Assets/sw.js, embedded at build time (Plugins/EmbedAssets) so
// that the pico binary carries it: a bundle is made by one self-contained executable.
extension WebAppFiles {
    /// `sw.js`: the service worker every bundle carries (the same bytes in each). It reads
    /// `pico-manifest.json` and the offline policy beside it, caches the whole bundle or its
    /// shell when it installs and other files as pages need them, checks every file with Web
    /// Crypto before caching or serving it, and switches versions atomically; see its opening
    /// comment.
    static let serviceWorker = EmbeddedAssets.sw_js
}
