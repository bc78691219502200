/// A library's own text: the folder a bundle gets from its name, and the date its index shows.
/// The build has the same two rules for tag folders and page dates (PicoBuild); they are kept
/// apart on purpose: a change to how tags are named must not rename the folders of libraries
/// already published, which a library reads back by name.
enum LibraryText {
    /// `Offline Web!` → `offline-web` (FORMAT.md, the library layout): letters and digits kept,
    /// runs of anything else one `-`; `bundle` when nothing is left.
    static func folderName(forBundleNamed name: String) -> String {
        var out = ""
        for character in name.lowercased() {
            if character.isLetter || character.isNumber { out.append(character) }
            else if !out.isEmpty, !out.hasSuffix("-") { out.append("-") }
        }
        while out.hasSuffix("-") { out.removeLast() }
        return out.isEmpty ? "bundle" : out
    }

    static let monthNames = ["January", "February", "March", "April", "May", "June", "July", "August",
                             "September", "October", "November", "December"]

    /// A manifest's `created` for the index: `2024-03-01T…` → `1 March 2024`; anything else is
    /// given back cut to its date part.
    static func longDate(_ date: String) -> String {
        let parts = date.prefix(10).split(separator: "-")
        guard parts.count == 3, let month = Int(parts[1]), let day = Int(parts[2]), (1...12).contains(month) else {
            return String(date.prefix(10))
        }
        return "\(day) \(monthNames[month - 1]) \(parts[0])"
    }
}
