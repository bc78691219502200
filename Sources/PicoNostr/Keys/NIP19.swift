import PicoCore

/// NIP-19: the bech32 forms users see and paste. `npub`/`nsec`/`note` are 32 bytes each;
/// `nprofile`, `nevent` and `naddr` are TLV lists (0 special, 1 relay, 2 author, 3 kind).
public enum NIP19Entity: Equatable, Sendable {
    case npub(publicKey: [UInt8])
    case nsec(secretKey: [UInt8])
    case note(eventID: [UInt8])
    case nprofile(publicKey: [UInt8], relays: [String])
    case nevent(eventID: [UInt8], relays: [String], author: [UInt8]?, kind: Int?)
    /// An addressable (or replaceable) event: kind, author and `d` identifier.
    case naddr(identifier: String, publicKey: [UInt8], kind: Int, relays: [String])

    public var encoded: String {
        switch self {
        case .npub(let key): return Bech32.encode(hrp: "npub", data: key)
        case .nsec(let key): return Bech32.encode(hrp: "nsec", data: key)
        case .note(let id): return Bech32.encode(hrp: "note", data: id)
        case .nprofile(let key, let relays):
            return Bech32.encode(hrp: "nprofile", data: TLV.write([(0, key)] + relays.map { (1, Array($0.utf8)) }))
        case .nevent(let id, let relays, let author, let kind):
            var items: [(UInt8, [UInt8])] = [(0, id)] + relays.map { (1, Array($0.utf8)) }
            if let author { items.append((2, author)) }
            if let kind { items.append((3, TLV.bigEndian32(kind))) }
            return Bech32.encode(hrp: "nevent", data: TLV.write(items))
        case .naddr(let identifier, let key, let kind, let relays):
            let items: [(UInt8, [UInt8])] = [(0, Array(identifier.utf8))] + relays.map { (1, Array($0.utf8)) }
                + [(2, key), (3, TLV.bigEndian32(kind))]
            return Bech32.encode(hrp: "naddr", data: TLV.write(items))
        }
    }

    public struct DecodeError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public static func decode(_ text: String) throws -> NIP19Entity {
        let (hrp, data): (String, [UInt8])
        do { (hrp, data) = try Bech32.decode(text) } catch {
            // Never a piece of an nsec in a message: part of a secret is still a secret.
            let shown = KeyMaterial.mightBeKey(text) ? "the nsec1… given" : "\(text.prefix(24))…"
            throw DecodeError(description: "\(shown) is not valid bech32 (\(error)); copy the whole npub, nsec or naddr")
        }
        func exactly32(_ bytes: [UInt8]) throws -> [UInt8] {
            guard bytes.count == 32 else { throw DecodeError(description: "\(hrp): expected 32 bytes, found \(bytes.count)") }
            return bytes
        }
        switch hrp {
        case "npub": return .npub(publicKey: try exactly32(data))
        case "nsec": return .nsec(secretKey: try exactly32(data))
        case "note": return .note(eventID: try exactly32(data))
        case "nprofile", "nevent", "naddr":
            let items = try TLV.read(data)
            let relays = items.filter { $0.0 == 1 }.map { String(decoding: $0.1, as: UTF8.self) }
            let special = items.first { $0.0 == 0 }?.1
            let author = try items.first { $0.0 == 2 }.map { try exactly32($0.1) }
            let kind = try items.first { $0.0 == 3 }.map { item -> Int in
                guard item.1.count == 4 else { throw DecodeError(description: "\(hrp): a kind is 4 bytes") }
                return item.1.reduce(0) { $0 << 8 | Int($1) }
            }
            switch hrp {
            case "nprofile":
                guard let special else { throw DecodeError(description: "nprofile without a public key") }
                return .nprofile(publicKey: try exactly32(special), relays: relays)
            case "nevent":
                guard let special else { throw DecodeError(description: "nevent without an event id") }
                return .nevent(eventID: try exactly32(special), relays: relays, author: author, kind: kind)
            default:
                guard let special, let author, let kind else {
                    throw DecodeError(description: "naddr needs an identifier, an author and a kind")
                }
                return .naddr(identifier: String(decoding: special, as: UTF8.self), publicKey: author, kind: kind, relays: relays)
            }
        default:
            throw DecodeError(description: "\(hrp)1…: not a NIP-19 prefix pico knows (npub, nsec, note, nprofile, nevent, naddr)")
        }
    }
}

/// Type-length-value lists of NIP-19's shareable identifiers.
enum TLV {
    static func write(_ items: [(UInt8, [UInt8])]) -> [UInt8] {
        items.flatMap { [$0.0, UInt8($0.1.count)] + $0.1 }
    }

    static func read(_ data: [UInt8]) throws -> [(UInt8, [UInt8])] {
        var items: [(UInt8, [UInt8])] = []
        var index = 0
        while index < data.count {
            guard index + 2 <= data.count, index + 2 + Int(data[index + 1]) <= data.count else {
                throw NIP19Entity.DecodeError(description: "a TLV entry runs past the end")
            }
            let length = Int(data[index + 1])
            items.append((data[index], Array(data[(index + 2)..<(index + 2 + length)])))
            index += 2 + length
        }
        return items
    }

    static func bigEndian32(_ value: Int) -> [UInt8] {
        [UInt8(truncatingIfNeeded: value >> 24), UInt8(truncatingIfNeeded: value >> 16),
         UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }
}
