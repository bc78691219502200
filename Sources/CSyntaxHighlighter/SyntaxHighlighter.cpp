// The one file that touches KSyntaxHighlighting (C++, Qt 5): a highlighter that writes HTML with
// CSS classes instead of colours, behind the C function declared in pico_syntax_highlighter.h.
#include "pico_syntax_highlighter.h"

#include <KF5/KSyntaxHighlighting/KSyntaxHighlighting/abstracthighlighter.h>
#include <KF5/KSyntaxHighlighting/KSyntaxHighlighting/definition.h>
#include <KF5/KSyntaxHighlighting/KSyntaxHighlighting/format.h>
#include <KF5/KSyntaxHighlighting/KSyntaxHighlighting/repository.h>
#include <KF5/KSyntaxHighlighting/KSyntaxHighlighting/state.h>
#include <KF5/KSyntaxHighlighting/KSyntaxHighlighting/theme.h>
#include <QHash>
#include <QString>
#include <QStringView>

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <unordered_map>

using namespace KSyntaxHighlighting;

namespace {

// The class of each Theme::TextStyle (Normal gets no span): the two-letter names pandoc's
// highlighter (skylighting, also built on Kate's definitions) uses, so its themes fit.
const char *styleClass(Theme::TextStyle style) {
    switch (style) {
    case Theme::Normal: return nullptr;
    case Theme::Keyword: return "kw";
    case Theme::Function: return "fu";
    case Theme::Variable: return "va";
    case Theme::ControlFlow: return "cf";
    // Operators and punctuation are most of a line's tokens and most themes colour them as
    // text: left plain, they cost no span (pages stay smaller and quicker to rewrite and check).
    case Theme::Operator: return nullptr;
    case Theme::BuiltIn: return "bu";
    case Theme::Extension: return "ex";
    case Theme::Preprocessor: return "pp";
    case Theme::Attribute: return "at";
    case Theme::Char: return "ch";
    case Theme::SpecialChar: return "sc";
    case Theme::String: return "st";
    case Theme::VerbatimString: return "vs";
    case Theme::SpecialString: return "ss";
    case Theme::Import: return "im";
    case Theme::DataType: return "dt";
    case Theme::DecVal: return "dv";
    case Theme::BaseN: return "bn";
    case Theme::Float: return "fl";
    case Theme::Constant: return "cn";
    case Theme::Comment: return "co";
    case Theme::Documentation: return "do";
    case Theme::Annotation: return "an";
    case Theme::CommentVar: return "cv";
    case Theme::RegionMarker: return "re";
    case Theme::Information: return "in";
    case Theme::Warning: return "wa";
    case Theme::Alert: return "al";
    case Theme::Error: return "er";
    case Theme::Others: return "ot";
    }
    return nullptr;
}

// Fence words that are neither a definition's name nor a file extension Kate knows.
struct Alias { const char *word; const char *name; };
const Alias aliases[] = {
    {"shell", "Bash"}, {"console", "Bash"}, {"c++", "C++"}, {"golang", "Go"}, {"js", "JavaScript"},
    {"ts", "TypeScript"}, {"py", "Python"}, {"python3", "Python"}, {"rs", "Rust"}, {"yml", "YAML"},
    {"md", "Markdown"}, {"patch", "Diff"}, {"htm", "HTML"}, {"objc", "Objective-C"},
};

class HTMLClassHighlighter final : public AbstractHighlighter {
public:
    std::string html;

    void highlight(const QString &code) {
        html.clear();
        State state;
        const qsizetype size = code.size();
        qsizetype start = 0;
        while (start < size) {
            qsizetype end = code.indexOf(QLatin1Char('\n'), start);
            if (end < 0) end = size;
            line = QStringView(code).mid(start, end - start);
            position = 0;
            pendingFrom = -1;
            state = highlightLine(line, state);
            append(nullptr, position, line.size());
            closeSpan();
            writePending();
            if (end < size) html += '\n';
            start = end + 1;
        }
    }

protected:
    void applyFormat(int offset, int length, const Format &format) override {
        append(nullptr, position, offset);
        append(styleClass(format.textStyle()), offset, offset + length);
    }

private:
    QStringView line;
    qsizetype position = 0;
    // Where blank text not yet written starts (-1: none).
    qsizetype pendingFrom = -1;
    const char *openClass = nullptr;

    void closeSpan() {
        if (openClass) html += "</span>";
        openClass = nullptr;
    }

    // The text of the line from `from` to `to` (UTF-16 offsets) in the class `cssClass`;
    // what was already written is skipped, so overlapping formats cannot duplicate text.
    // Spaces and tabs wait for what follows them: inside the span when the same class goes on
    // (`<span class="kw">public static</span>`), else outside it.
    void append(const char *cssClass, qsizetype from, qsizetype to) {
        if (from < position) from = position;
        if (to > line.size()) to = line.size();
        if (to <= from) return;
        bool blank = true;
        for (qsizetype i = from; i < to && blank; i++) blank = line[i] == QLatin1Char(' ') || line[i] == QLatin1Char('\t');
        if (blank) {
            if (pendingFrom < 0) pendingFrom = from;
            position = to;
            return;
        }
        if (cssClass != openClass) {
            closeSpan();
            writePending();
            if (cssClass) {
                html += "<span class=\"";
                html += cssClass;
                html += "\">";
            }
            openClass = cssClass;
        }
        writePending();
        write(line.mid(from, to - from));
        position = to;
    }

    void writePending() {
        if (pendingFrom < 0) return;
        write(line.mid(pendingFrom, position - pendingFrom));
        pendingFrom = -1;
    }

    // UTF-16 to escaped UTF-8 straight into `html`: this runs for every token, and a QByteArray
    // per token (toUtf8) was most of the shim's own time. Text with a surrogate (beyond the BMP,
    // or a pair a format split) goes through Qt's encoder, so those bytes stay exactly Qt's.
    void write(QStringView text) {
        for (QChar c : text) {
            if (c.isSurrogate()) return writeThroughQt(text);
        }
        for (QChar c : text) {
            const char16_t u = c.unicode();
            if (u < 0x80) {
                switch (u) {
                case '&': html += "&amp;"; break;
                case '<': html += "&lt;"; break;
                case '>': html += "&gt;"; break;
                case '"': html += "&quot;"; break;
                default: html += static_cast<char>(u);
                }
            } else if (u < 0x800) {
                html += static_cast<char>(0xC0 | (u >> 6));
                html += static_cast<char>(0x80 | (u & 0x3F));
            } else {
                html += static_cast<char>(0xE0 | (u >> 12));
                html += static_cast<char>(0x80 | ((u >> 6) & 0x3F));
                html += static_cast<char>(0x80 | (u & 0x3F));
            }
        }
    }

    void writeThroughQt(QStringView text) {
        const QByteArray bytes = text.toUtf8();
        for (char c : bytes) {
            switch (c) {
            case '&': html += "&amp;"; break;
            case '<': html += "&lt;"; break;
            case '>': html += "&gt;"; break;
            case '"': html += "&quot;"; break;
            default: html += c;
            }
        }
    }
};

// Per thread: a Repository and its Definitions are not made to be shared between threads.
struct ThreadHighlighting {
    Repository repository;
    QHash<QString, Definition> byLowercaseName;
    QHash<QString, Definition> byFenceWord;
    std::unordered_map<std::string, Definition> byWrittenWord;
    HTMLClassHighlighter highlighter;
    // Blocks already highlighted, by fence word and code: the same snippet (an install command,
    // a config example) repeated across pages is highlighted once per thread. The output depends
    // only on the definition and the code, so the bytes are the same. Bounded, then no more added.
    std::unordered_map<std::string, std::string> byBlock;
    size_t blockBytes = 0;
    static constexpr size_t maxBlockBytes = 4 << 20;

    ThreadHighlighting() {
        for (const Definition &definition : repository.definitions())
            byLowercaseName.insert(definition.name().toLower(), definition);
    }

    // The definition for a fence word: an alias, a definition's name, else a file extension.
    Definition definition(const QString &word) {
        auto cached = byFenceWord.constFind(word);
        if (cached != byFenceWord.constEnd()) return *cached;
        Definition found;
        for (const Alias &alias : aliases)
            if (word == QLatin1String(alias.word)) found = repository.definitionForName(QLatin1String(alias.name));
        if (!found.isValid()) found = byLowercaseName.value(word);
        if (!found.isValid()) found = repository.definitionForFileName(QStringLiteral("code.") + word);
        byFenceWord.insert(word, found);
        return found;
    }
};

} // namespace

extern "C" char *pico_highlight_html(const char *language, size_t language_length,
                                     const char *code, size_t code_length, size_t *length) {
    try {
        thread_local ThreadHighlighting highlighting;
        if (language_length == 0) return nullptr;
        // The fence word as written, to its definition: one hash of the bytes per block
        // instead of a QString made and lowercased for every block.
        const std::string written(language, language_length);
        auto known = highlighting.byWrittenWord.find(written);
        if (known == highlighting.byWrittenWord.end()) {
            const QString word = QString::fromUtf8(language, static_cast<qsizetype>(language_length)).toLower();
            const Definition found = word.isEmpty() ? Definition() : highlighting.definition(word);
            known = highlighting.byWrittenWord.emplace(written, found).first;
        }
        const Definition &definition = known->second;
        if (!definition.isValid()) return nullptr;
        // The fence word holds no NUL (it comes from a C string), so this key is unambiguous.
        std::string block;
        block.reserve(written.size() + 1 + code_length);
        block.append(written).append(1, '\0').append(code, code_length);
        const std::string *html;
        auto cached = highlighting.byBlock.find(block);
        if (cached != highlighting.byBlock.end()) {
            html = &cached->second;
        } else {
            HTMLClassHighlighter &highlighter = highlighting.highlighter;
            highlighter.setDefinition(definition);
            highlighter.highlight(QString::fromUtf8(code, static_cast<qsizetype>(code_length)));
            html = &highlighter.html;
            const size_t cost = block.size() + highlighter.html.size();
            if (highlighting.blockBytes + cost <= ThreadHighlighting::maxBlockBytes) {
                highlighting.blockBytes += cost;
                html = &highlighting.byBlock.emplace(std::move(block), highlighter.html).first->second;
            }
        }
        char *out = static_cast<char *>(std::malloc(html->size() + 1));
        if (!out) return nullptr;
        std::memcpy(out, html->data(), html->size());
        out[html->size()] = '\0';
        *length = html->size();
        return out;
    } catch (...) {
        return nullptr;
    }
}
