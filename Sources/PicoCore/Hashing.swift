import Crypto
import Foundation

/// SHA-256 as lowercase hex, the form every pico manifest uses.
public enum SHA256Hex {
    public static func of(_ data: some DataProtocol) -> String {
        hex(SHA256.hash(data: data))
    }

    /// Hashes a file in fixed-size reads so that large media never sits whole in memory.
    public static func ofFile(at url: URL) throws -> (hex: String, size: Int) {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var hasher = SHA256()
        var size = 0
        while true {
            let chunk = try handle.read(upToCount: 1 << 20) ?? Data()
            if chunk.isEmpty { break }
            size += chunk.count
            hasher.update(data: chunk)
        }
        return (hex(hasher.finalize()), size)
    }

    public static func digestBytes(_ data: some DataProtocol) -> [UInt8] {
        Array(SHA256.hash(data: data))
    }

    static func hex(_ digest: some Sequence<UInt8>) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Array where Element == UInt8 {
    /// Lowercase hex of these bytes.
    public var hexString: String { SHA256Hex.hex(self) }

    /// Bytes from a hex string; nil unless it is an even number of hex digits.
    public init?(hex: String) {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(chars.count / 2)
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var i = 0
        while i < chars.count {
            guard let hi = value(chars[i]), let lo = value(chars[i + 1]) else { return nil }
            bytes.append(hi << 4 | lo)
            i += 2
        }
        self = bytes
    }
}

/// SHA-256 fed in pieces, for files read in chunks.
public struct IncrementalSHA256 {
    private var hasher = SHA256()
    public init() {}
    public mutating func update(_ data: some DataProtocol) { hasher.update(data: data) }
    public func finalize() -> String { SHA256Hex.hex(hasher.finalize()) }
}
