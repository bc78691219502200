import Foundation
import PicoCore
import PicoNostr
import Testing

/// Key material is never repeated in a message, whatever form it takes (issue 12, point 18).
@Suite struct KeyMaterialTests {
    static let secretHex = "6867293de8d71cfe2bf842851a6cba9f824b5585f9557a326481061445485de2"

    /// Every 12-character piece of `secret`: none may appear in `text`.
    static func leaks(_ secret: String, in text: String) -> Bool {
        let characters = Array(secret)
        guard characters.count >= 12 else { return text.contains(secret) }
        return (0...(characters.count - 12)).contains { text.contains(String(characters[$0..<($0 + 12)])) }
    }

    static func message(_ body: () throws -> Any?) -> String {
        do { _ = try body(); return "" } catch { return String(describing: error) }
    }

    @Test func pICOKeyHoldingSixtyFourHexDigitsIsTheKeyItself() throws {
        let key = try #require(try KeyFile.resolve(option: nil, environment: ["PICO_KEY": Self.secretHex]))
        #expect(key.publicKey == (try AuthorKey(secretKey: try #require([UInt8](hex: Self.secretHex)))).publicKey)
        let padded = try #require(try KeyFile.resolve(option: nil, environment: ["PICO_KEY": " \(Self.secretHex)\n"]))
        #expect(padded.publicKey == key.publicKey)
    }

    @Test(arguments: [
        String(secretHex.dropLast()),                                  // one digit short
        secretHex + "0",                                               // one too many
        String(repeating: "f", count: 64),                             // above the curve order
        String(repeating: "0", count: 64),                             // zero
        "nsec1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq",   // damaged nsec
    ])
    func aBadKeyInPICOKeyIsNeverEchoed(value: String) {
        let text = Self.message { try KeyFile.resolve(option: nil, environment: ["PICO_KEY": value]) }
        #expect(text.contains("PICO_KEY"), "\(text)")
        #expect(!Self.leaks(value, in: text), "\(text)")
    }

    @Test func aKeyGivenWhereAPathBelongsIsNeverEchoed() throws {
        let key = try AuthorKey(secretKey: try #require([UInt8](hex: Self.secretHex)))
        for value in ["/tmp/" + Self.secretHex, key.nsec, "/work/" + key.nsec] {
            let text = Self.message { try KeyFile.resolve(option: value, environment: [:]) }
            #expect(text.contains("not the key itself"), "\(text)")
            #expect(!Self.leaks(Self.secretHex, in: text) && !Self.leaks(key.nsec, in: text), "\(text)")
        }
        // A damaged nsec where bech32 is read names no piece of it either.
        var damaged = Array(key.nsec)
        damaged[20] = damaged[20] == "q" ? "p" : "q"
        let text = Self.message { try NIP19Entity.decode(String(damaged)) }
        #expect(text.contains("not valid bech32") && !Self.leaks(String(damaged), in: text), "\(text)")
    }

    @Test func aKeyFileReadableByOthersIsRefusedWithoutShowingAKeyLikeName() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pico-keymaterial-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent(Self.secretHex).path
        try Data("\(Self.secretHex)\n".utf8).write(to: URL(fileURLWithPath: file))
        chmod(file, 0o644)
        let text = Self.message { try KeyFile.read(file) }
        #expect(text.contains("can be read by others") && !Self.leaks(Self.secretHex, in: text), "\(text)")
    }
}
