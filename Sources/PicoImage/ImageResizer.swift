import CImageResizer
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// JPEG and PNG images scaled down by libvips (Debian `libvips-dev`), through the small C file
/// of CImageResizer: libvips's options are C varargs, which Swift cannot pass. Nothing else of
/// pico touches libvips.
///
/// Reproducible: every metadata item is left out (EXIF, ICC, XMP, comments; the image is first
/// turned upright by its EXIF orientation) and the encoders' options are fixed, so the same
/// file, width and libvips give the same bytes. Never scales up.
public struct ImageResizer: Sendable {
    public enum Format: Sendable {
        case jpeg, png

        /// The format a file name's extension says (`.jpg`, `.jpeg`, `.png`, any case), or nil.
        public init?(fileName: String) {
            let lower = fileName.lowercased()
            if lower.hasSuffix(".jpg") || lower.hasSuffix(".jpeg") { self = .jpeg }
            else if lower.hasSuffix(".png") { self = .png }
            else { return nil }
        }
    }

    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// libvips's own words.
        public let description: String
    }

    public struct Resized: Sendable {
        public let data: Data
        public let width: Int
        public let height: Int
    }

    /// What decides the bytes besides the file and the width: part of a cache key, so a change
    /// of libvips or of the options below never reuses an old result.
    public static var recipe: String {
        "libvips \(String(cString: pico_image_resizer_version())); jpeg Q82 optimised baseline; png compression 9; no metadata"
    }

    public init() {}

    /// The size the image at `path` is shown at (after its EXIF orientation), from its header.
    public func size(ofImageAt path: String) throws(Failure) -> (width: Int, height: Int) {
        var width: Int32 = 0, height: Int32 = 0
        var error: UnsafeMutablePointer<CChar>?
        guard pico_image_size(path, &width, &height, &error) == 0 else { throw Self.failure(error) }
        return (Int(width), Int(height))
    }

    /// The image at `path` at `width` pixels wide, or at its own width when it is narrower.
    public func resize(imageAt path: String, toWidth width: Int, as format: Format) throws(Failure) -> Resized {
        var bytes: UnsafeMutableRawPointer?
        var length = 0
        var outWidth: Int32 = 0, outHeight: Int32 = 0
        var error: UnsafeMutablePointer<CChar>?
        let status = pico_image_resize(path, Int32(clamping: width), format == .png ? PICO_IMAGE_PNG : PICO_IMAGE_JPEG,
                                       &bytes, &length, &outWidth, &outHeight, &error)
        guard status == 0, let bytes else { throw Self.failure(error) }
        defer { free(bytes) }
        return Resized(data: Data(bytes: bytes, count: length), width: Int(outWidth), height: Int(outHeight))
    }

    private static func failure(_ message: UnsafeMutablePointer<CChar>?) -> Failure {
        defer { free(message) }
        let text = message.map { String(cString: $0) } ?? "libvips failed"
        return Failure(description: text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
