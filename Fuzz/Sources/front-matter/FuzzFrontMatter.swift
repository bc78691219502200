// Feeds a content file to the front-matter reader: YAML between `---` lines or TOML between
// `+++` lines, then the body. The input is the whole file, as SiteLoader reads it (UTF-8 only).
import Foundation
@testable import PicoBuild

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard let text = String(data: Data(bytes: start, count: count), encoding: .utf8) else { return 0 }
    do {
        let front = try FrontMatter.parse(text, file: "content/fuzz.md")
        _ = front.body.count
        for key in front.values.keys {
            // The error a later check would raise about the value, placed at the value.
            _ = front.error("fuzz", key: key, file: "content/fuzz.md", text: text).description
        }
    } catch {
        // The message a user would see: excerpt, line, column.
        _ = error.description
    }
    return 0
}
