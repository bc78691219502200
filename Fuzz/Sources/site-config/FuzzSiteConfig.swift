// Feeds pico.toml to SiteConfig.parse (PicoTOML, then pico's own checks of the values).
import Foundation
import PicoBuild

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard let text = String(data: Data(bytes: start, count: count), encoding: .utf8) else { return 0 }
    do {
        let config = try SiteConfig.parse(text)
        _ = (config.title.count, config.params.count, config.app.count, config.include.count, config.exclude.count)
    } catch {
        _ = error.description
    }
    return 0
}
