// swift-tools-version: 6.0
// pico — the offline-first Picoverse bundler. The target graph is the architecture:
//   C libraries (system-library targets)  →  small Swift wrappers  →  PicoBuild  →  pico (CLI)
// See docs/ARCHITECTURE.md for the data flow.
import PackageDescription

let package = Package(
    name: "pico",
    products: [
        .executable(name: "pico", targets: ["pico"]),
        .library(name: "PicoCore", targets: ["PicoCore"]),
        .library(name: "PicoBuild", targets: ["PicoBuild"]),
        // For the fuzz targets in Fuzz/ (a separate package that depends on this one by path).
        .library(name: "PicoHTML", targets: ["PicoHTML"]),
        .library(name: "PicoArchive", targets: ["PicoArchive"]),
        .library(name: "PicoNostr", targets: ["PicoNostr"]),
        .library(name: "PicoS3", targets: ["PicoS3"]),
        .library(name: "PicoTOML", targets: ["PicoTOML"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket", from: "1.6.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // C libraries, each wrapped once.
        .systemLibrary(name: "CCmarkGFM", pkgConfig: "libcmark-gfm",
                       providers: [.apt(["libcmark-gfm-dev", "libcmark-gfm-extensions-dev"])]),
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        .systemLibrary(name: "CLibArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CSecp256k1", pkgConfig: "libsecp256k1", providers: [.apt(["libsecp256k1-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CLibDeflate", providers: [.apt(["libdeflate-dev"])]),
        // Snowball's stemmers (libstemmer-dev ships no pkg-config file: the module map links it).
        .systemLibrary(name: "CStemmer", providers: [.apt(["libstemmer-dev"])]),
        // KDE's syntax highlighter (C++, Qt 5): its flags here, wrapped by the one C++ file of
        // CSyntaxHighlighter behind a C function.
        .systemLibrary(name: "CKSyntaxHighlighting", pkgConfig: "Qt5Gui", providers: [.apt(["libkf5syntaxhighlighting-dev"])]),
        .target(name: "CSyntaxHighlighter", dependencies: ["CKSyntaxHighlighting"],
                linkerSettings: [.linkedLibrary("KF5SyntaxHighlighting")]),
        // libvips (image resizing): its flags here, wrapped by the one C file of CImageResizer.
        .systemLibrary(name: "CLibVips", pkgConfig: "vips", providers: [.apt(["libvips-dev"])]),
        .target(name: "CImageResizer", dependencies: ["CLibVips"]),

        // POSIX file I/O, at the bottom of the graph: one file-descriptor type (every read, write and
        // EINTR retry), walking folders without following links, output swapped in by StagingFolder.
        .target(name: "PicoFiles"),
        // The bundle: paths, hashes, the integrity manifest, verification, BundleReader (one file at a time).
        // CPU-bound work spread over every core (Dispatch only): the build's, verify's and the
        // search index's loops.
        .target(name: "PicoParallel"),
        .target(name: "PicoCore", dependencies: ["PicoFiles", "PicoParallel", .product(name: "Crypto", package: "swift-crypto")]),
        // Markdown → HTML (cmark-gfm behind one Swift type), fenced code highlighted (KSyntaxHighlighting).
        .target(name: "PicoMarkdown", dependencies: ["CCmarkGFM", "CSyntaxHighlighter"]),
        // Finding URL references in HTML (libxml2) and CSS, with their byte positions.
        .target(name: "PicoHTML", dependencies: ["CLibXML2"]),
        // Bundles as one file: pack, verify in one streaming pass, unpack safely (libarchive).
        .target(name: "PicoArchive", dependencies: ["CLibArchive", "PicoCore", "PicoFiles"]),
        // Retried HTTP requests: the backoff policy and the request counts the S3 and Blossom clients share.
        .target(name: "PicoRetry"),
        // The S3 protocol: Signature V4, addressing and credentials, a retrying client.
        .target(name: "PicoS3", dependencies: [
            "PicoRetry",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // Blossom blob servers (BUD-01/02/04/11): HEAD, PUT /upload, PUT /mirror, authorized by
        // kind-24242 events signed with the author key; a retrying client.
        .target(name: "PicoBlossom", dependencies: [
            "PicoCore", "PicoNostr", "PicoRetry",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // Where bundles live: one protocol, one folder per kind of silo; BundleTarget, what
        // verify, serve and fetch are pointed at (a folder, an archive, a library or a silo).
        .target(name: "PicoSilo", dependencies: [
            "PicoCore", "PicoFiles", "PicoParallel", "PicoArchive", "PicoS3", "PicoNostr", "PicoBlossom", "PicoRetry", .product(name: "Mustache", package: "swift-mustache"),
            // A folder library's merged search index (issue 17).
            "PicoSearch",
            // The mirrors of a named bundle (issue 16): plain http(s) files, read with one client.
            .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "NIOCore", package: "swift-nio"),
        ], exclude: ["Assets"], plugins: ["EmbedAssets"]),
        // `pico serve`: any BundleReader (a folder, an archive, a silo), every file checked as it is served;
        // `--gateway`: NIP-5A sites by host name, every blob checked before it is sent, cached on disk.
        .target(name: "PicoServer", dependencies: [
            "PicoCore", "PicoHTML", "PicoNostr", "PicoFiles", .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The nostr protocol: author keys and BIP-340 signatures (libsecp256k1), NIP-19 names,
        // NIP-01 events, the NIP-5A site and chunk events and addresses, a relay client over WebSocket,
        // chunk stores and the site reader (one author's site from many relays, any of them hostile).
        .target(name: "PicoNostr", dependencies: [
            "CSecp256k1", "PicoCore", "PicoFiles", "PicoParallel",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "WSClient", package: "swift-websocket"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // TOML 1.0 (pico.toml, `+++` front matter): pure Swift, bounded, every key with its position.
        .target(name: "PicoTOML"),
        // Deflate behind one Swift type: raw deflate (the search index's stored text) and the
        // zlib stream (PNG) by libdeflate, inflate and CRC-32 by zlib.
        .target(name: "PicoDeflate", dependencies: ["CLibDeflate", "CZlib"]),
        // PNG images (PicoDeflate), the app icons drawn from a site's name, images resized (libvips).
        .target(name: "PicoImage", dependencies: ["PicoDeflate", "CImageResizer"]),
        // Full-text search of a bundle (issue 17): visible text of pages, tokens stemmed by
        // libstemmer, BM25 scores precomputed, the index as <script>-loadable shards; Assets/
        // holds the runtime (search.js) and the built-in search page.
        .target(name: "PicoSearch", dependencies: [
            "CStemmer", "PicoDeflate", "PicoHTML", "PicoParallel", .product(name: "Mustache", package: "swift-mustache"),
        ], exclude: ["Assets"], plugins: ["EmbedAssets"]),
        // The build pipeline: load → parse → render → rewrite links → seal; every bundle also
        // becomes an offline-first web app (WebApp/: service worker, page script, manifest).
        .target(name: "PicoBuild", dependencies: [
            "PicoCore", "PicoFiles", "PicoParallel", "PicoMarkdown", "PicoHTML", "PicoImage", "PicoTOML", "PicoSearch",
            .product(name: "Mustache", package: "swift-mustache"),
            .product(name: "Yams", package: "Yams"),
        ], exclude: ["Assets"], plugins: ["EmbedAssets"]),
        // Web assets as files (Sources/*/Assets/, Templates/), embedded into the binary at build
        // time as Swift string literals, so that the binary stays one file.
        .plugin(name: "EmbedAssets", capability: .buildTool(), dependencies: ["EmbedAssetsTool"]),
        .executableTarget(name: "EmbedAssetsTool", path: "Plugins/EmbedAssetsTool"),
        // The command line, thin.
        .executableTarget(name: "pico", dependencies: [
            "PicoCore", "PicoBuild", "PicoNostr", "PicoArchive", "PicoSilo", "PicoServer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Temporary folders, fixture sites, running programs: shared by the test targets.
        .target(name: "PicoTestSupport", dependencies: ["PicoCore"], path: "Tests/PicoTestSupport"),
        .testTarget(name: "PicoFilesTests", dependencies: ["PicoFiles", "PicoTestSupport"]),
        .testTarget(name: "PicoCoreTests", dependencies: ["PicoCore", "PicoFiles", "PicoTestSupport"]),
        .testTarget(name: "PicoMarkdownTests", dependencies: ["PicoMarkdown"]),
        .testTarget(name: "PicoHTMLTests", dependencies: ["PicoHTML"]),
        .testTarget(name: "PicoTOMLTests", dependencies: ["PicoTOML"]),
        .testTarget(name: "PicoParallelTests", dependencies: ["PicoParallel"]),
        .testTarget(name: "PicoSearchTests", dependencies: ["PicoSearch", "PicoDeflate"]),
        .testTarget(name: "PicoNostrTests", dependencies: ["PicoNostr", "PicoCore", "PicoTestSupport"]),
        .testTarget(name: "PicoArchiveTests", dependencies: ["PicoArchive", "PicoCore", "PicoFiles", "PicoTestSupport"]),
        .testTarget(name: "PicoSiloTests", dependencies: ["PicoSilo", "PicoCore", "PicoTestSupport"]),
        .testTarget(name: "PicoBlossomTests", dependencies: ["PicoBlossom", "PicoNostr", "PicoCore", "PicoTestSupport"]),
        .testTarget(name: "PicoServerTests", dependencies: ["PicoServer", "PicoCore", "PicoTestSupport"]),
        .testTarget(name: "PicoS3Tests", dependencies: [
            "PicoS3", "PicoTestSupport", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "PicoBuildTests", dependencies: ["PicoBuild", "PicoCore", "PicoHTML", "PicoImage", "PicoSearch", "PicoTestSupport"]),
        // Runs the real `pico` executable, as a user would.
        .testTarget(name: "PicoCLITests", dependencies: ["pico", "PicoCore", "PicoFiles", "PicoHTML", "PicoTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
