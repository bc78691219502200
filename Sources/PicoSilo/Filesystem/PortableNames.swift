/// What FAT32 and exFAT (the file systems of most thumb drives and SD cards) cannot hold.
public enum PortableNames {
    static let reservedCharacters: Set<Character> = ["<", ">", ":", "\"", "|", "?", "*", "\\"]
    static let reservedNames = Set(["con", "prn", "aux", "nul"] + (1...9).map { "com\($0)" } + (1...9).map { "lpt\($0)" })
    /// FAT32 stores sizes in 32 bits.
    static let maxFileSize = 4 * 1024 * 1024 * 1024 - 1

    /// One sentence per problem, naming the path.
    public static func problems(in files: [(path: String, size: Int)]) -> [String] {
        var problems: [String] = []
        var seen: [String: String] = [:]
        for (path, size) in files {
            for segment in path.split(separator: "/") {
                if let bad = segment.first(where: { reservedCharacters.contains($0) || ($0.asciiValue ?? 32) < 32 }) {
                    problems.append("\(path): the character \"\(bad)\" cannot be in a FAT32/exFAT file name")
                }
                let stem = segment.split(separator: ".", maxSplits: 1).first.map { $0.lowercased() } ?? ""
                if reservedNames.contains(stem) {
                    problems.append("\(path): \"\(segment)\" is a reserved name on FAT32/exFAT (and Windows)")
                }
                if segment.hasSuffix(".") || segment.hasSuffix(" ") {
                    problems.append("\(path): FAT32/exFAT drop trailing dots and spaces, so \"\(segment)\" would change name")
                }
                if segment.utf16.count > 255 {
                    problems.append("\(path): a name longer than 255 characters does not fit FAT32/exFAT")
                }
            }
            let folded = path.lowercased()
            if let other = seen[folded], other != path {
                problems.append("\(path) and \(other) differ only in case; FAT32/exFAT would make them one file")
            }
            seen[folded] = path
            if size > maxFileSize {
                problems.append("\(path) is larger than 4 GiB, the most a FAT32 file can hold")
            }
        }
        return problems
    }
}
