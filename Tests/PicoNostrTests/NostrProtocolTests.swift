import Foundation
import PicoCore
@testable import PicoNostr
import PicoTestSupport
import Testing

/// NIP-19, NIP-01 and BIP-340 signing against the vectors in Tests/Vectors.
@Suite struct NostrProtocolTests {
    static var vectors: [String: Any] {
        let url = TestEnvironment.vectors.appendingPathComponent("nostr/nostr-vectors.json")
        guard let data = try? Data(contentsOf: url) else { return [:] }
        return (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    @Test func nip19KeysEncodeAndDecodeLikeTheVectors() throws {
        let rows = try #require(Self.vectors["nip19"] as? [[String: String]])
        #expect(rows.count >= 3)
        for row in rows {
            let bech32 = try #require(row["bech32"]), hex = try #require(row["hex"])
            let bytes = try #require([UInt8](hex: hex))
            let entity: NIP19Entity = bech32.hasPrefix("npub") ? .npub(publicKey: bytes) : .nsec(secretKey: bytes)
            #expect(entity.encoded == bech32)
            #expect(try NIP19Entity.decode(bech32) == entity)
        }
    }

    @Test func nprofileWithRelaysDecodesLikeTheVector() throws {
        let rows = try #require(Self.vectors["nip19_tlv"] as? [[String: Any]])
        for row in rows {
            let bech32 = try #require(row["bech32"] as? String)
            let keyHex = try #require(row["pubkey"] as? String)
            let key = try #require([UInt8](hex: keyHex))
            let relays = try #require(row["relays"] as? [String])
            #expect(try NIP19Entity.decode(bech32) == .nprofile(publicKey: key, relays: relays))
            #expect(NIP19Entity.nprofile(publicKey: key, relays: relays).encoded == bech32)
        }
    }

    @Test func naddrCarriesKindAuthorIdentifierAndRelays() throws {
        let key = AuthorKey.generate()
        let entity = NIP19Entity.naddr(identifier: "blog", publicKey: key.publicKey, kind: 35128,
                                       relays: ["wss://relay.example", "ws://127.0.0.1:7447"])
        let text = entity.encoded
        #expect(text.hasPrefix("naddr1"))
        #expect(try NIP19Entity.decode(text) == entity)
        // One character changed: the checksum catches it.
        var damaged = Array(text)
        damaged[10] = damaged[10] == "q" ? "p" : "q"
        #expect(throws: NIP19Entity.DecodeError.self) { try NIP19Entity.decode(String(damaged)) }
    }

    @Test func eventIDOfTheVectorComesOutTheSame() throws {
        let rows = try #require(Self.vectors["nip01_events"] as? [[String: Any]])
        #expect(!rows.isEmpty)
        for row in rows {
            let object = try #require(row["event"])
            let data = try JSONSerialization.data(withJSONObject: object)
            let event = try JSONDecoder().decode(NostrEvent.self, from: data)
            #expect(Array(SHA256Hex.of(event.serializedForID)) == Array(event.id))
            #expect(event.validity == .valid)
            var altered = event
            altered.content += "!"
            #expect(altered.validity == .idMismatch)
            var forged = event
            forged.sig = String(forged.sig.reversed())
            #expect(forged.validity == .badSignature)
        }
    }

    @Test func escapesInContentFollowNIP01() {
        let event = NostrEvent(id: "", pubkey: "ab", createdAt: 1, kind: 1, tags: [["t", "a\"b"]],
                               content: "line\nquote\" back\\ tab\t cr\r bs\u{8} ff\u{C} é ✓", sig: "")
        #expect(String(decoding: event.serializedForID, as: UTF8.self)
                == #"[0,"ab",1,1,[["t","a\"b"]],"line\nquote\" back\\ tab\t cr\r bs\b ff\f é ✓"]"#)
    }

    struct SigningRow: Sendable, CustomStringConvertible {
        var index: String, secretKey: String, publicKey: String, aux: String, message: String, signature: String
        var description: String { "vector \(index)" }
    }

    static let signingRows: [SigningRow] = {
        let url = TestEnvironment.vectors.appendingPathComponent("bip340/bip340-test-vectors.csv")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(whereSeparator: \.isNewline).dropFirst().compactMap { line in
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard !f[1].isEmpty else { return nil }
            return SigningRow(index: f[0], secretKey: f[1], publicKey: f[2], aux: f[3], message: f[4], signature: f[5])
        }
    }()

    @Test func signingVectorsAreThere() { #expect(Self.signingRows.count >= 4) }

    /// Every row with a secret key: the same public key and the same signature, byte for byte.
    @Test(arguments: signingRows)
    func signsLikeTheVectorSays(_ row: SigningRow) throws {
        let key = try AuthorKey(secretKey: try #require([UInt8](hex: row.secretKey)))
        #expect(key.publicKeyHex == row.publicKey.lowercased())
        let signature = key.sign(message: [UInt8](hex: row.message) ?? [], auxiliaryRandom: [UInt8](hex: row.aux))
        #expect(signature.hexString == row.signature.lowercased())
    }

    @Test func bundleSignaturesAreDeterministicAndVerify() throws {
        let key = AuthorKey.generate()
        let id = SHA256Hex.of(Data("SHA256SUMS bytes".utf8))
        let first = try key.sign(bundleID: id), second = try key.sign(bundleID: id)
        #expect(first == second)
        #expect(SchnorrSignatureChecker().isValid(first, bundleID: id))
        #expect(!SchnorrSignatureChecker().isValid(first, bundleID: SHA256Hex.of(Data("other".utf8))))
        #expect(!String(describing: key).contains(key.nsec))
    }

    @Test func keyFilesAreWrittenPrivateAndNeverOverwritten() throws {
        let folder = TemporaryFolder("keys")
        let path = folder.url.appendingPathComponent("sub/author.key").path
        let key = AuthorKey.generate()
        try KeyFile.create(key, at: path)
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        #expect(mode == 0o600)
        #expect(try KeyFile.read(path).publicKey == key.publicKey)
        #expect(throws: KeyFile.KeyFileError.self) { try KeyFile.create(AuthorKey.generate(), at: path) }
        #expect(try KeyFile.read(path).publicKey == key.publicKey)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        #expect(throws: KeyFile.KeyFileError.self) { try KeyFile.read(path) }
        #expect(throws: KeyFile.KeyFileError.self) { try KeyFile.parse(key.npub, source: "test") }
    }

    @Test func chunksReassembleAndAnAlteredChunkIsNamed() throws {
        let key = AuthorKey.generate()
        let data = Data((0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let hash = SHA256Hex.of(data)
        var events = FileChunks.events(for: data, sha256: hash, chunkSize: 3072, createdAt: 1_700_000_000, key: key)
        #expect(events.count == 4)
        #expect(try FileChunks.assemble(events.shuffled(), sha256: hash, author: key.publicKeyHex).get() == data)
        events[2].content = Data(repeating: 7, count: 3072).base64EncodedString()
        guard case .failure(let problem) = FileChunks.assemble(events, sha256: hash, author: key.publicKeyHex) else {
            Issue.record("an altered chunk was accepted")
            return
        }
        #expect(problem.forged)
        #expect(problem.description.contains(events[2].id.prefix(12)))
        #expect(FileChunks.events(for: Data(), sha256: SHA256Hex.of(Data()), chunkSize: 3072, createdAt: 1, key: key).count == 1)
    }

    /// Site addresses and relay targets are nostr's own: parsed in PicoNostr, with errors that
    /// never repeat a secret key.
    @Test func siteAddressesAndRelayTargetsParse() throws {
        let key = AuthorKey.generate()
        let address = try NostrSiteAddress(parsing: "nostr:\(key.npub)?relay=ws://a:1&relay=ws%3A%2F%2Fb&relay=ws://a:1&site=blog")
        #expect(address.author == key.publicKey && address.site == .named("blog"))
        #expect(address.relays == ["ws://a:1", "ws://b"])
        let naddr = NostrSiteAddress.naddr(author: key.publicKey, site: nil, relays: ["wss://r"])
        let root = try NostrSiteAddress(parsing: naddr)
        #expect(root.site == .root && root.relays == ["wss://r"])
        #expect(throws: NostrAddressError.self) { try NostrSiteAddress(parsing: "nostr:\(key.npub)") }
        let secret = NIP19Entity.nsec(secretKey: [UInt8](repeating: 7, count: 32)).encoded
        let refused = #expect(throws: NostrAddressError.self) { try NostrSiteAddress(parsing: "nostr:\(secret)?relay=ws://a") }
        #expect(refused.map { !String(describing: $0).contains(secret) } == true)

        let target = try RelayTarget(parsing: "ws://relay:7000/path?x=1&site=root")
        #expect(target.url == "ws://relay:7000/path?x=1" && target.site == .root)
        #expect(try RelayTarget(parsing: "wss://relay").site == .any)
        #expect(throws: NostrAddressError.self) { try RelayTarget(parsing: "http://relay") }
        #expect(RelayTarget.siteIdentifier(forName: "My Blog — 2026!") == "my-blog-2026")
    }
}
