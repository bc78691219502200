import Foundation

/// The order documents are numbered in: the pages that rank among the first few for the most
/// words come first, so that the top results of most queries share the first document shard
/// (which search.js carries) instead of one shard per result.
/// A query's results are the highest BM25 scores, and the same pages (short, dense ones) score
/// highest for many words. On the 10,000-page benchmark corpus (a simulation of 950 queries of
/// its words and pairs of them), the top 10 fell in 5.0 shards on average ordered by path, in
/// 2.6 in this order, nearly all of them among the first three.
struct DocumentOrder {
    /// How far down a word's results a page counts as ranking for it.
    static let depth = 10

    /// The positions of the pages in their new order.
    var order: [Int]

    /// By how many words rank each page in their first `depth`, most first, then in the order
    /// given; only words of more than `depth` pages and of at least 1 in 200 count (a rarer
    /// word ranks every page it is on, and its results are few anyway). The same pages give
    /// the same order.
    init(_ pages: [SearchPage]) {
        guard pages.count > 1 else {
            order = Array(pages.indices)
            return
        }
        // Every (page, stem) once, stems numbered by the hashes the pages computed.
        var stems = HashedNames()
        var stemOf: [Int32] = []
        var df: [Int32] = []
        var totalLength = 0
        for page in pages {
            totalLength += page.length
            for term in page.terms {
                let (index, isNew) = stems.number(term.stem, hash: term.hash)
                if isNew { df.append(0) }
                df[index] += 1
                stemOf.append(Int32(index))
            }
        }
        // Each stem's `depth` best pages by BM25 (a page's own term frequency and length; the
        // stem's df only scales every page of it alike, so it is left out).
        let average = max(1, Double(totalLength) / Double(pages.count))
        let minimum = Int32(max(Self.depth + 1, pages.count / 200))
        let depth = Self.depth
        let k1 = SearchIndexBuilder.k1, b = SearchIndexBuilder.b
        var best = [[(score: Double, page: Int32)]](repeating: [], count: df.count)
        var lowest = [Double](repeating: 0, count: df.count)
        var at = 0
        for (number, page) in pages.enumerated() {
            let norm = k1 * (1 - b + b * Double(page.length) / average)
            for term in page.terms {
                let stem = Int(stemOf[at])
                at += 1
                guard df[stem] >= minimum else { continue }
                let f = Double(term.count)
                let score = f / (f + norm)
                if best[stem].count < depth {
                    best[stem].append((score, Int32(number)))
                    if best[stem].count == depth { lowest[stem] = best[stem].map(\.score).min() ?? 0 }
                } else if score > lowest[stem] {
                    // The first of the lowest gives way (pages come in order, so ties keep the earlier).
                    let out = best[stem].lastIndex { $0.score == lowest[stem] } ?? 0
                    best[stem][out] = (score, Int32(number))
                    lowest[stem] = best[stem].map(\.score).min() ?? 0
                }
            }
        }
        var ranked = [Int32](repeating: 0, count: pages.count)
        for list in best {
            for entry in list { ranked[Int(entry.page)] += 1 }
        }
        order = pages.indices.sorted { ranked[$0] != ranked[$1] ? ranked[$0] > ranked[$1] : $0 < $1 }
    }
}
