// Feeds bytes to the HTML reference scanner (libxml2's HTML parser) and re-encodes every
// reference it finds, as the build's link rewriter does.
import PicoHTML

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: start, count: count)
    for reference in HTMLReferenceScanner.references(in: bytes) {
        precondition(reference.range.lowerBound >= 0 && reference.range.upperBound <= count,
                     "reference range \(reference.range) outside the \(count) input bytes")
        _ = reference.encoded(reference.value + "/x")
    }
    return 0
}
