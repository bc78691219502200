import CLibDeflate
import CZlib

/// Deflate, wrapped once: the streams pico writes, by libdeflate (RFC 1951 raw for the search
/// index's stored text, which browsers read with `DecompressionStream("deflate-raw")`; RFC 1950
/// for a PNG's IDAT), and inflate and CRC-32 by zlib. The same bytes and level give the same
/// output (neither library has time stamps or randomness), so builds stay reproducible.
public enum Deflate {
    /// The two framings of one deflate stream.
    public enum Format: Sendable {
        /// RFC 1951: the bare stream (windowBits -15).
        case raw
        /// RFC 1950: a two-byte header, the stream and an Adler-32 (windowBits 15).
        case zlib

        var windowBits: Int32 { self == .raw ? -15 : 15 }
    }

    /// `bytes` deflated at `level` (0…12; 12 is the smallest), by libdeflate: a whole buffer
    /// at once, 1.7-1.8x zlib's speed at the same level on page text (the search index's stored
    /// text is the largest part of its build time after the pages' own extraction).
    public static func compress(_ bytes: [UInt8], format: Format = .raw, level: Int32 = 9) -> [UInt8] {
        guard let compressor = libdeflate_alloc_compressor(level) else {
            preconditionFailure("libdeflate_alloc_compressor fails only on a bad level or no memory")
        }
        defer { libdeflate_free_compressor(compressor) }
        let bound = format == .raw ? libdeflate_deflate_compress_bound(compressor, bytes.count)
                                   : libdeflate_zlib_compress_bound(compressor, bytes.count)
        var output = [UInt8](repeating: 0, count: bound)
        let written = bytes.withUnsafeBytes { input in
            output.withUnsafeMutableBytes { out in
                format == .raw ? libdeflate_deflate_compress(compressor, input.baseAddress, input.count, out.baseAddress, out.count)
                               : libdeflate_zlib_compress(compressor, input.baseAddress, input.count, out.baseAddress, out.count)
            }
        }
        // The bound is enough for any input.
        precondition(written > 0, "libdeflate compresses into a buffer of its bound")
        output.removeSubrange(written...)
        return output
    }

    /// A deflate stream inflated, or nil when it is not a whole, valid one (or would exceed
    /// `limit` bytes).
    public static func decompress(_ bytes: [UInt8], format: Format = .raw, limit: Int = 64 << 20) -> [UInt8]? {
        var stream = z_stream()
        guard inflateInit2_(&stream, format.windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        return bytes.withUnsafeBufferPointer { input -> [UInt8]? in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.avail_in = uInt(input.count)
            while true {
                let (result, produced) = chunk.withUnsafeMutableBufferPointer { out -> (Int32, Int) in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(out.count)
                    let result = inflate(&stream, Z_NO_FLUSH)
                    return (result, out.count - Int(stream.avail_out))
                }
                output += chunk[..<produced]
                if output.count > limit { return nil }
                if result == Z_STREAM_END { return stream.avail_in == 0 ? output : nil }
                // Z_BUF_ERROR with input left means no progress: a truncated stream.
                guard result == Z_OK, produced > 0 || stream.avail_in > 0 else { return nil }
            }
        }
    }
}

/// CRC-32 (ISO 3309, as PNG chunks and gzip use it).
public enum CRC32 {
    public static func checksum(_ bytes: some Collection<UInt8>, continuing crc: UInt32 = 0) -> UInt32 {
        let value = bytes.withContiguousStorageIfAvailable { buffer in
            crc32(uLong(crc), buffer.baseAddress, uInt(buffer.count))
        } ?? Array(bytes).withUnsafeBufferPointer { crc32(uLong(crc), $0.baseAddress, uInt($0.count)) }
        return UInt32(truncatingIfNeeded: value)
    }
}
