import Foundation
import PicoDeflate

/// An RGBA image and its PNG form. zlib (through PicoDeflate, its one wrapper) does the
/// compression and the checksums.
public struct RGBAImage: Sendable {
    public let width: Int
    public let height: Int
    /// Straight (not premultiplied) RGBA, row by row.
    public var pixels: [UInt8]

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 4)
    }

    /// The image as PNG: 8-bit RGBA, no interlace, every row unfiltered, deflated at level 9.
    /// The same pixels give the same bytes (no time stamps, no text chunks).
    public var pngData: Data {
        var raw = [UInt8]()
        raw.reserveCapacity((width * 4 + 1) * height)
        for row in 0..<height {
            raw.append(0)
            raw += pixels[(row * width * 4)..<((row + 1) * width * 4)]
        }
        // The zlib stream compress2 wrote (same window, memory level and strategy), so the
        // icons' bytes are the same as before.
        let compressed = Deflate.compress(raw, format: .zlib, level: 9)
        var png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var header = [UInt8]()
        header += Self.bigEndian(UInt32(width)) + Self.bigEndian(UInt32(height))
        header += [8, 6, 0, 0, 0] // bit depth 8, colour type RGBA, deflate, no filter method, no interlace
        Self.appendChunk("IHDR", header, to: &png)
        Self.appendChunk("IDAT", compressed, to: &png)
        Self.appendChunk("IEND", [], to: &png)
        return png
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }

    private static func appendChunk(_ type: String, _ body: [UInt8], to png: inout Data) {
        let typeBytes = Array(type.utf8)
        png.append(contentsOf: bigEndian(UInt32(body.count)))
        png.append(contentsOf: typeBytes)
        png.append(contentsOf: body)
        let crc = CRC32.checksum(body, continuing: CRC32.checksum(typeBytes))
        png.append(contentsOf: bigEndian(crc))
    }
}

/// The size a PNG file says it has (from its IHDR chunk), or nil when the bytes are no PNG.
public enum PNGHeader {
    public static func size(of data: Data) -> (width: Int, height: Int)? {
        let bytes = [UInt8](data.prefix(24))
        guard bytes.count == 24, bytes[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A],
              Array(bytes[12..<16]) == Array("IHDR".utf8) else { return nil }
        func number(_ at: Int) -> Int { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (number(16), number(20))
    }
}
