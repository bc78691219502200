#ifndef PICO_SYNTAX_HIGHLIGHTER_H
#define PICO_SYNTAX_HIGHLIGHTER_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif

/// `code` (UTF-8) highlighted by KSyntaxHighlighting's definition for `language` (a fence's info
/// word: a definition name, an alias or a file extension, any case), as HTML text: escaped like
/// cmark escapes code (& < > "), each run of one text style in `<span class="XX">`, where XX is
/// the style's two-letter class (kw keyword, st string, co comment, ... — the names pandoc uses);
/// normal text and operators are left outside spans.
/// Returns a malloc'd, NUL-terminated string the caller frees with free(), its length in
/// *length; NULL when no definition knows the language (or memory ran out).
/// Thread-safe: each thread has its own definition repository.
char *pico_highlight_html(const char *language, size_t language_length,
                          const char *code, size_t code_length, size_t *length);

#ifdef __cplusplus
}
#endif
#endif
