import Foundation

/// App icons made from a site's name: its first letter in a simple stroke alphabet, drawn
/// with antialiasing on a rounded square of the theme colour. Deterministic: the same name,
/// colour and size give the same pixels.
public struct IconPainter: Sendable {
    public var background: (r: UInt8, g: UInt8, b: UInt8)

    public init(background: (r: UInt8, g: UInt8, b: UInt8)) { self.background = background }

    /// `#rgb` or `#rrggbb`; nil for anything else.
    public static func color(hex: String) -> (r: UInt8, g: UInt8, b: UInt8)? {
        var text = hex.trimmingCharacters(in: .whitespaces)
        guard text.hasPrefix("#") else { return nil }
        text.removeFirst()
        if text.count == 3 { text = text.map { "\($0)\($0)" }.joined() }
        guard text.count == 6, let value = UInt32(text, radix: 16) else { return nil }
        return (UInt8(value >> 16), UInt8(value >> 8 & 0xff), UInt8(value & 0xff))
    }

    /// The letter an icon shows for `name`: its first letter or digit, accents dropped.
    public static func initial(of name: String) -> Character? {
        let folded = name.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: Locale(identifier: "en_US_POSIX")).uppercased()
        return folded.first { StrokeFont.glyphs[$0] != nil }
    }

    public func icon(for name: String, size: Int) -> RGBAImage {
        var image = RGBAImage(width: size, height: size)
        let s = Double(size)
        let radius = s * 0.22
        // White letters on dark colours, near-black on light ones (relative luminance).
        let luminance = 0.2126 * Double(background.r) + 0.7152 * Double(background.g) + 0.0722 * Double(background.b)
        let ink: UInt8 = luminance > 160 ? 24 : 255
        // The glyph box (4 × 6 units) centred, 52 % of the icon high.
        let unit = s * 0.52 / 6
        let origin = (x: (s - 4 * unit) / 2, y: (s - 6 * unit) / 2)
        var segments: [(Double, Double, Double, Double)] = []
        if let letter = Self.initial(of: name) {
            for (ax, ay, bx, by) in StrokeFont.segments(of: letter) {
                let start = (ax * unit + origin.x, ay * unit + origin.y)
                let end = (bx * unit + origin.x, by * unit + origin.y)
                segments.append((start.0, start.1, end.0, end.1))
            }
        }
        let halfWidth = unit * 0.42
        for y in 0..<size {
            for x in 0..<size {
                let px = Double(x) + 0.5, py = Double(y) + 0.5
                // Rounded square: coverage from the signed distance to its edge.
                let qx = max(abs(px - s / 2) - (s / 2 - radius), 0), qy = max(abs(py - s / 2) - (s / 2 - radius), 0)
                let outside = (qx * qx + qy * qy).squareRoot() - radius
                let shape = min(max(0.5 - outside, 0), 1)
                guard shape > 0 else { continue }
                var distance = Double.infinity
                for (ax, ay, bx, by) in segments {
                    distance = min(distance, Self.distance(px, py, ax, ay, bx, by))
                }
                let letter = min(max(halfWidth + 0.5 - distance, 0), 1)
                let offset = (y * size + x) * 4
                func mix(_ base: UInt8) -> UInt8 { UInt8((Double(base) * (1 - letter) + Double(ink) * letter).rounded()) }
                image.pixels[offset] = mix(background.r)
                image.pixels[offset + 1] = mix(background.g)
                image.pixels[offset + 2] = mix(background.b)
                image.pixels[offset + 3] = UInt8((shape * 255).rounded())
            }
        }
        return image
    }

    private static func distance(_ px: Double, _ py: Double, _ ax: Double, _ ay: Double, _ bx: Double, _ by: Double) -> Double {
        let dx = bx - ax, dy = by - ay
        let length = dx * dx + dy * dy
        let t = length == 0 ? 0 : min(max(((px - ax) * dx + (py - ay) * dy) / length, 0), 1)
        let cx = ax + t * dx - px, cy = ay + t * dy - py
        return (cx * cx + cy * cy).squareRoot()
    }
}

/// A stroke alphabet on a 4 × 6 grid (y down): polylines, drawn with round ends.
enum StrokeFont {
    static let glyphs: [Character: String] = [
        "A": "0,6 2,0 4,6; 0.7,4 3.3,4",
        "B": "0,3 3,3 4,4 4,5 3,6 0,6 0,0 3,0 4,1 4,2 3,3",
        "C": "4,1 3,0 1,0 0,1 0,5 1,6 3,6 4,5",
        "D": "0,0 0,6 2.5,6 4,4.5 4,1.5 2.5,0 0,0",
        "E": "4,0 0,0 0,6 4,6; 0,3 3,3",
        "F": "4,0 0,0 0,6; 0,3 3,3",
        "G": "4,1 3,0 1,0 0,1 0,5 1,6 3,6 4,5 4,3 2,3",
        "H": "0,0 0,6; 4,0 4,6; 0,3 4,3",
        "I": "2,0 2,6; 1,0 3,0; 1,6 3,6",
        "J": "4,0 4,5 3,6 1,6 0,5",
        "K": "0,0 0,6; 4,0 0,3.6; 1.4,2.6 4,6",
        "L": "0,0 0,6 4,6",
        "M": "0,6 0,0 2,3.5 4,0 4,6",
        "N": "0,6 0,0 4,6 4,0",
        "O": "1,0 3,0 4,1 4,5 3,6 1,6 0,5 0,1 1,0",
        "P": "0,6 0,0 3,0 4,1 4,2 3,3 0,3",
        "Q": "1,0 3,0 4,1 4,5 3,6 1,6 0,5 0,1 1,0; 2.6,4.6 4,6",
        "R": "0,6 0,0 3,0 4,1 4,2 3,3 0,3; 2,3 4,6",
        "S": "4,1 3,0 1,0 0,1 0,2 1,3 3,3 4,4 4,5 3,6 1,6 0,5",
        "T": "0,0 4,0; 2,0 2,6",
        "U": "0,0 0,5 1,6 3,6 4,5 4,0",
        "V": "0,0 2,6 4,0",
        "W": "0,0 1,6 2,2 3,6 4,0",
        "X": "0,0 4,6; 4,0 0,6",
        "Y": "0,0 2,3 4,0; 2,3 2,6",
        "Z": "0,0 4,0 0,6 4,6",
        "0": "1,0 3,0 4,1 4,5 3,6 1,6 0,5 0,1 1,0",
        "1": "1,1 2,0 2,6; 1,6 3,6",
        "2": "0,1 1,0 3,0 4,1 4,2 0,6 4,6",
        "3": "0,1 1,0 3,0 4,1 4,2 3,3 1.5,3; 3,3 4,4 4,5 3,6 1,6 0,5",
        "4": "3,6 3,0 0,4 4,4",
        "5": "4,0 0,0 0,3 3,3 4,4 4,5 3,6 0,6",
        "6": "4,1 3,0 1,0 0,1 0,5 1,6 3,6 4,5 4,4 3,3 0,3",
        "7": "0,0 4,0 1.5,6",
        "8": "1,0 3,0 4,1 4,2 3,3 1,3 0,2 0,1 1,0; 1,3 0,4 0,5 1,6 3,6 4,5 4,4 3,3",
        "9": "0,5 1,6 3,6 4,5 4,1 3,0 1,0 0,1 0,2 1,3 4,3",
    ]

    static func segments(of letter: Character) -> [(Double, Double, Double, Double)] {
        guard let text = glyphs[letter] else { return [] }
        var out: [(Double, Double, Double, Double)] = []
        for line in text.split(separator: ";") {
            let points = line.split(separator: " ").map { pair -> (Double, Double) in
                let xy = pair.split(separator: ",").map { Double($0)! }
                return (xy[0], xy[1])
            }
            for (a, b) in zip(points, points.dropFirst()) { out.append((a.0, a.1, b.0, b.1)) }
        }
        return out
    }
}
