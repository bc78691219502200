import Foundation
import PicoCore
import PicoNostr
import Testing

/// NIP-5A's host names as gateways parse them (nsite-gateway's `parseNsiteHostname`): an npub,
/// or the key in base36 (50 characters, zero-padded) followed by a `d` of 1 to 13 `a-z0-9-`.
/// The base36 values were computed with Python's integers (`int.from_bytes(key) → base 36`), as
/// nsite-gateway computes them with BigInt.
@Suite struct NsiteHostLabelTests {
    /// NIP-5A's example root-site host name, its key, and that key in base36.
    static let exampleNpub = "npub10phxfsms72rhafrklqdyhempujs9h67nye0p67qe424dyvcx0dkqgvap0e"
    static let exampleKey = "786e64c370f2877ea476f81a4be761e4a05bebd3265e1d7819aaaad233067b6c"
    static let exampleBase36 = "3023ifjco10o239mqj90wshnbmlnfbv4a6qg5qaurkixwlv78s"

    @Test func base36IsTheKeyAsANumberPaddedTo50Digits() throws {
        let cases: [(String, String)] = [
            (Self.exampleKey, Self.exampleBase36),
            ("266815e0c9210dfa324c6cba3573b14bee49da4209a9456f9484e5106cd408a5", "0ygl461f4ecz5thkn8eksa36nepjpij86s83ti8yzokopd3ag5"),
            (String(repeating: "00", count: 32), String(repeating: "0", count: 50)),
            (String(repeating: "00", count: 31) + "01", String(repeating: "0", count: 49) + "1"),
            (String(repeating: "ff", count: 32), "6dp5qcb22im238nr3wvp0ic7q99w035jmy2iw7i6n43d37jtof"),
        ]
        for (hex, base36) in cases {
            let key = try #require([UInt8](hex: hex))
            #expect(NsiteHostLabel.base36(key) == base36, "\(hex)")
            #expect(NsiteHostLabel.key(base36: base36) == key, "\(base36)")
        }
        for _ in 0..<200 {
            let key = (0..<32).map { _ in UInt8.random(in: 0...255) }
            let text = NsiteHostLabel.base36(key)
            #expect(text.count == 50 && NsiteHostLabel.key(base36: text) == key)
        }
    }

    @Test func base36AboveTwoToThe256OrNot50DigitsIsNoKey() {
        #expect(NsiteHostLabel.key(base36: String(repeating: "z", count: 50)) == nil)
        // 2^256 exactly: one more than the largest key.
        #expect(NsiteHostLabel.key(base36: "6dp5qcb22im238nr3wvp0ic7q99w035jmy2iw7i6n43d37jtog") == nil)
        #expect(NsiteHostLabel.key(base36: String(repeating: "0", count: 49)) == nil)
        #expect(NsiteHostLabel.key(base36: String(repeating: "0", count: 49) + "A") == nil)
    }

    @Test func anNpubLabelIsTheRootSiteAndAKeyWithADIsANamedSite() throws {
        let root = try #require(NsiteHostLabel(parsing: Self.exampleNpub))
        #expect(root.author == [UInt8](hex: Self.exampleKey)! && root.site == nil)
        #expect(root.description == Self.exampleNpub)

        let named = try #require(NsiteHostLabel(parsing: Self.exampleBase36 + "blog"))
        #expect(named.author == [UInt8](hex: Self.exampleKey)! && named.site == "blog")
        #expect(named.description == Self.exampleBase36 + "blog")
        // `root` is a d like any other: a named site, not the root site.
        #expect(NsiteHostLabel(parsing: Self.exampleBase36 + "root")?.site == "root")
        #expect(NsiteHostLabel(parsing: Self.exampleBase36 + "a-b-c-d-e-f-g")?.site == "a-b-c-d-e-f-g")
        let address = try named.address(relays: ["ws://127.0.0.1:1"])
        #expect(address.author == named.author && address.site == .named("blog") && address.relays == ["ws://127.0.0.1:1"])
        #expect(try root.address(relays: ["ws://127.0.0.1:1"]).site == .root)
    }

    @Test func labelsThatAreNeitherFormNameNoSite() {
        let refused = [
            "", "localhost", "npub1", String(Self.exampleNpub.dropLast()) + "x",  // a broken checksum
            Self.exampleBase36,                                               // no d
            Self.exampleBase36 + "blog-",                                     // ends in -
            Self.exampleBase36 + "abcdefghijklmn",                            // 14 characters: past DNS's 63
            Self.exampleBase36 + "bl_og", Self.exampleBase36 + "Blog",
            String(repeating: "z", count: 50) + "blog",                       // a key of 2^256 or more
            String(Self.exampleBase36.dropLast()) + "-blog",                  // the key part not base36
        ]
        for label in refused { #expect(NsiteHostLabel(parsing: label) == nil, "\(label)") }
    }
}
