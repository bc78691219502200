// Feeds one NIP-01 event (JSON) as a relay sends it: decoded, its id recomputed and its BIP-340
// signature checked, then read as a NIP-5A site manifest event and as a file chunk.
import Foundation
import PicoCore
import PicoNostr

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard let event = try? JSONDecoder().decode(NostrEvent.self, from: Data(bytes: start, count: count)) else { return 0 }
    _ = event.serializedForID
    _ = event.validity
    _ = event.json
    if let site = try? SiteManifest(event: event) {
        _ = site.event(createdAt: 0, key: fuzzKey)
    }
    if let sha256 = event.tag("x")?.first {
        _ = FileChunks.assemble([event], sha256: sha256, author: event.pubkey)
        // The fuzzer cannot forge a signature: sign its fields with the test key so that the
        // chunk's own tags (chunk index and count, c hash, base64 content) are read too.
        let signed = NostrEvent(kind: event.kind, tags: event.tags, content: event.content, createdAt: event.createdAt,
                                signedBy: fuzzKey)
        _ = FileChunks.assemble([signed, event], sha256: sha256, author: signed.pubkey)
    }
    return 0
}

/// A fixed test key (never a real one): re-signing a parsed manifest exercises the writer too.
let fuzzKey = try! AuthorKey(secretKey: [UInt8](repeating: 1, count: 32))
