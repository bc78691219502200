import CSyntaxHighlighter
#if canImport(Glibc)
import Glibc
#endif

/// Fenced code highlighted at build time into HTML spans with CSS classes (no JavaScript), by
/// KDE's KSyntaxHighlighting, the engine of Kate and KWrite (Debian `libkf5syntaxhighlighting-dev`),
/// through the small C++ file in CSyntaxHighlighter.
///
/// Why KSyntaxHighlighting: it reads Kate's 300+ syntax definitions, compiled into the library,
/// which cover every language pico promises (sh/bash, c, c++, swift, rust, go, python,
/// javascript, typescript, json, yaml, toml, html, css, sql, diff, markdown) with nothing shipped
/// in this repository. The other two Debian candidates each lack several of them: GNU
/// source-highlight (C++, Boost regex) has no swift, typescript, yaml, toml or markdown;
/// libt3highlight (C) has no swift, rust, go, typescript, json, yaml, toml or sql. Its cost is
/// C++ and Qt: one C++ file behind one C function, so Swift never sees C++ or Qt types. Speed:
/// about 25 µs for a five-line block (QRegularExpression, i.e. PCRE2, underneath); the 10,000
/// blocks of the benchmark corpus cost about 0.25 s of CPU.
///
/// Classes are the style of each run of text, not a colour: `kw` keyword, `cf` control flow,
/// `st` string, `co` comment, `dt` data type, `dv` decimal value, `fu` function, `pp`
/// preprocessor, `at` attribute, `ot` others, … (Theme::TextStyle, named as pandoc names them),
/// so one stylesheet colours every language. Operators, punctuation and normal text get no span
/// (most themes colour them as text; a third fewer spans). Deterministic: the same code and
/// language give the same bytes (the definitions are those of the installed library).
public struct CodeHighlighter: Sendable {
    public init() {}

    /// The HTML for `code` in `language` (a fence's first info word: a definition name such as
    /// `rust` or `C++`, an alias such as `sh`, `js`, `yml`, or a file extension, any case), the
    /// text escaped as cmark escapes code; nil when no definition knows the language.
    public func html(code: String, language: String) -> String? {
        var code = code, language = language
        return language.withUTF8 { word in
            word.withMemoryRebound(to: CChar.self) { word in
                code.withUTF8 { text in
                    text.withMemoryRebound(to: CChar.self) { text -> String? in
                        var length = 0
                        guard let html = pico_highlight_html(word.baseAddress, word.count, text.baseAddress, text.count, &length) else {
                            return nil
                        }
                        defer { free(html) }
                        return String(decoding: UnsafeRawBufferPointer(start: html, count: length), as: UTF8.self)
                    }
                }
            }
        }
    }
}
