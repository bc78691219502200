import Foundation
import PicoCore
import PicoNostr
import PicoTestSupport
import Testing

/// Every verification row of the BIP-340 test vectors (Tests/Vectors/bip340).
@Suite struct SchnorrTests {
    struct Row: Sendable, CustomStringConvertible {
        var index: String, publicKey: String, message: String, signature: String, expected: Bool, comment: String
        var description: String { "vector \(index) \(comment)" }
    }

    static let rows: [Row] = {
        let url = TestEnvironment.vectors.appendingPathComponent("bip340/bip340-test-vectors.csv")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(whereSeparator: \.isNewline).dropFirst().map { line in
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            return Row(index: f[0], publicKey: f[2], message: f[4], signature: f[5], expected: f[6] == "TRUE",
                       comment: f.count > 7 ? f[7...].joined(separator: ",") : "")
        }
    }()

    @Test func vectorsAreThere() { #expect(Self.rows.count >= 15) }

    @Test(arguments: rows)
    func verifiesLikeTheVectorSays(_ row: Row) {
        let checker = SchnorrSignatureChecker()
        let ok = checker.isValid(signature: [UInt8](hex: row.signature) ?? [], message: [UInt8](hex: row.message) ?? [],
                                 publicKey: [UInt8](hex: row.publicKey) ?? [])
        #expect(ok == row.expected, "\(row)")
    }
}
