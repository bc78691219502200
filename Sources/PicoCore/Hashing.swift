import Crypto
import Foundation
import PicoFiles

/// SHA-256 as lowercase hex, the form every pico manifest uses.
public enum SHA256Hex {
    public static func of(_ data: some DataProtocol) -> String {
        hex(SHA256.hash(data: data))
    }

    /// Hashes a file in fixed-size reads into one reused buffer, so large media never sits
    /// whole in memory and no chunk is allocated twice.
    public static func ofFile(at url: URL) throws -> (hex: String, size: Int) {
        let file = try FileDescriptor(opening: url.path, O_RDONLY)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: FileTree.chunkSize, alignment: 64)
        defer { buffer.deallocate() }
        var hasher = SHA256()
        var size = 0
        while true {
            let got = try file.read(into: buffer)
            if got == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[..<got]))
            size += got
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
    public mutating func update(_ bytes: UnsafeRawBufferPointer) { hasher.update(bufferPointer: bytes) }
    public func finalize() -> String { SHA256Hex.hex(hasher.finalize()) }
}

extension FileTree {
    /// Copies a file in `chunkSize` pieces, hashing as it goes, and with `flush` makes sure the copy
    /// is on the disk before returning (what a silo promises; a build needs no fsync).
    public static func copyHashing(from source: String, to destination: String, flush: Bool) throws -> (sha256: String, size: Int) {
        var hasher = IncrementalSHA256()
        let size = try copy(from: source, to: destination, flush: flush) { hasher.update($0) }
        return (hasher.finalize(), size)
    }

    /// Copies an open file to `destination` as `copyHashing` does, but never more than `limit`
    /// bytes: a file larger than its manifest says is found without writing it out. `size` is
    /// the bytes read, `limit + 1` at most.
    public static func copyHashing(from input: borrowing FileDescriptor, to destination: String, limit: Int,
                                   flush: Bool) throws -> (sha256: String, size: Int) {
        var hasher = IncrementalSHA256()
        let size = try copy(from: input, to: destination, limit: limit, flush: flush) { hasher.update($0) }
        return (hasher.finalize(), size)
    }
}
