import Foundation

/// Reads one entry of an archive without unpacking the rest.
public enum ArchiveEntryReader {
    /// The bytes of the regular-file entry at `path`, or nil when there is none.
    public static func read(_ path: String, from archive: URL) throws -> Data? {
        try UTF8Locale.run {
            let reader = try ArchiveReader(path: archive.path)
            while let entry = try reader.next() {
                var name = entry.path
                while name.hasPrefix("./") { name.removeFirst(2) }
                guard name == path else { continue }
                guard entry.kind == .file else { return nil }
                var data = Data()
                if entry.declaredSize > 0 { data.reserveCapacity(Int(min(entry.declaredSize, 1 << 30))) }
                try reader.readData { data.append(contentsOf: $0) }
                return data
            }
            return nil
        }
    }
}
