// swift-tools-version: 6.0
// pico's fuzz targets: one libFuzzer executable per parser of untrusted bytes. A separate package
// so that `make test` never builds them; `make fuzz` builds them with
// `--sanitize=fuzzer --sanitize=address` into ../.build-fuzz and runs each from corpus/TARGET/.
// See README.md.
import Foundation
import PackageDescription

// A path dependency is named after its folder, which is whatever the clone is called.
let pico = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

/// `fuzz-NAME` built from Sources/NAME; `@testable import` reaches the internal parsers
/// (the build passes `-enable-testing`), so nothing in pico is made public for fuzzing.
func fuzzTarget(_ name: String, _ products: [String]) -> Target {
    .executableTarget(name: "fuzz-\(name)", dependencies: products.map { .product(name: $0, package: pico) },
                      path: "Sources/\(name)")
}

let package = Package(
    name: "pico-fuzz",
    dependencies: [.package(path: "..")],
    targets: [
        fuzzTarget("front-matter", ["PicoBuild"]),
        fuzzTarget("site-config", ["PicoBuild"]),
        fuzzTarget("toml", ["PicoTOML"]),
        fuzzTarget("manifest", ["PicoCore", "PicoNostr"]),
        fuzzTarget("html", ["PicoHTML"]),
        fuzzTarget("css", ["PicoHTML"]),
        fuzzTarget("archive", ["PicoArchive", "PicoCore"]),
        fuzzTarget("nostr-event", ["PicoNostr", "PicoCore"]),
        fuzzTarget("relay-message", ["PicoNostr"]),
        fuzzTarget("s3-xml", ["PicoS3"]),
    ],
    swiftLanguageModes: [.v6]
)
