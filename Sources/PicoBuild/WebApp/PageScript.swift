// The script is Sources/PicoBuild/Assets/pico-app.js, embedded at build time (Plugins/EmbedAssets)
// so that the pico binary carries it: a bundle is made by one self-contained executable.
extension WebAppFiles {
    /// `pico-app.js`: the script every page loads. Over http(s) only it links the web app
    /// manifest and registers `sw.js` (on file:// browsers allow neither, and an attempt
    /// would put errors in the console); it shows "new version available" and refusals.
    static let pageScript = EmbeddedAssets.pico_app_js
}
