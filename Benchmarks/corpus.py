#!/usr/bin/env python3
"""Writes the benchmark corpus: the same pages as a pico site and as a Hugo site.

usage: Benchmarks/corpus.py OUT [--pages N] [--seed S]

  OUT/pico/  pico.toml, content/SECTION/_index.md + PAGE.md, templates/, static/site.css
  OUT/hugo/  hugo.toml, content/SECTION/_index.md + PAGE.md, layouts/_default/, static/site.css

Every page has YAML front matter (title, date, tags, summary) and a body the way people write
documentation and blogs: headings, paragraphs with emphasis and inline code, lists, a table, a
fenced code block in one of ten languages (highlighted by both tools), and links to other pages of the corpus (relative
folder links, which both tools must resolve). The output depends only on --pages and --seed, so
both tools always build the same text.
"""
import argparse
import datetime
import os
import random

VOCABULARY = """
archive author bundle cache checksum client content drive folder gateway hash host index
integrity key library link manifest mirror network offline page portable publish reader relay
render section server signature silo site static stream template thumb upload verify worker
""".split()

CODE_SAMPLES = {
    "swift": 'let manifest = try BundleManifest.decode(data)\nfor file in manifest.files {\n    print(file.path, file.size)\n}',
    "python": 'import hashlib\n\ndef digest(path):\n    with open(path, "rb") as f:\n        return hashlib.sha256(f.read()).hexdigest()',
    "sh": 'pico build site -o out\npico verify out && sha256sum -c out/SHA256SUMS',
    "json": '{"format": "pico-bundle/1", "entry": "index.html", "files": []}',
    "rust": 'fn digest(bytes: &[u8]) -> String {\n    // one pass over the file\n    let hash = Sha256::digest(bytes);\n    format!("{:x}", hash)\n}',
    "go": 'func main() {\n\tdata, err := os.ReadFile("SHA256SUMS")\n\tif err != nil {\n\t\tlog.Fatal(err)\n\t}\n\tfmt.Println(len(data))\n}',
    "typescript": 'interface Entry { path: string; size: number }\nconst files: Entry[] = await (await fetch("pico-manifest.json")).json();\nconsole.log(files.length);',
    "yaml": '---\ntitle: "A page"\ndate: 2024-05-05\ntags: [offline, drives]  # two tags\n---',
    "toml": '[app]\noffline = "auto"\n\n[build]\nexclude = ["drafts/**"]  # left out\nmax_page_mib = 64',
    "c": '#include <stdio.h>\n\nint main(void) {\n    printf("%d files\\n", 42);\n    return 0;\n}',
}


class Writer:
    """Deterministic prose from one random source."""

    def __init__(self, seed):
        self.random = random.Random(seed)

    def words(self, low, high):
        return [self.random.choice(VOCABULARY) for _ in range(self.random.randint(low, high))]

    def sentence(self):
        text = " ".join(self.words(7, 16))
        return text[0].upper() + text[1:] + "."

    def title(self):
        return " ".join(w.capitalize() for w in self.words(2, 5))

    def paragraph(self, link):
        sentences = [self.sentence() for _ in range(self.random.randint(2, 5))]
        word = self.random.choice(VOCABULARY)
        sentences.append(f"Read [{link[1]}]({link[0]}) for *{word}* and `{self.random.choice(VOCABULARY)}`,"
                         f" or **{self.random.choice(VOCABULARY)}**.")
        return " ".join(sentences)


def page_body(writer, links):
    parts = []
    for number in range(writer.random.randint(2, 4)):
        parts.append(f"## {writer.title()} {number + 1}")
        for _ in range(writer.random.randint(1, 3)):
            parts.append(writer.paragraph(writer.random.choice(links)))
        parts.append("\n".join(f"{i + 1}. {writer.sentence()}" for i in range(writer.random.randint(2, 4))))
    rows = "\n".join(f"| {writer.random.choice(VOCABULARY)} | {writer.random.randint(1, 9999)} | {writer.sentence()} |"
                     for _ in range(writer.random.randint(2, 5)))
    parts.append("| name | bytes | what |\n|:--|--:|---|\n" + rows)
    language = writer.random.choice(sorted(CODE_SAMPLES))
    parts.append(f"```{language}\n{CODE_SAMPLES[language]}\n```")
    parts.append("- [ ] " + writer.sentence() + "\n- [x] " + writer.sentence())
    return "\n\n".join(parts) + "\n"


PICO_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{page.title}} · {{site.title}}</title>
<link rel="stylesheet" href="{{root}}site.css"></head>
<body><header><a href="{{root}}index.html">{{site.title}}</a></header>
<main><h1>{{page.title}}</h1><p class="date">{{page.date}}</p>{{{page.content}}}</main></body></html>
"""

PICO_SECTION = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{page.title}} · {{site.title}}</title>
<link rel="stylesheet" href="{{root}}site.css"></head>
<body><main><h1>{{page.title}}</h1>{{{page.content}}}
<ul>{{#pages}}<li><a href="{{root}}{{url}}">{{title}}</a></li>{{/pages}}</ul></main></body></html>
"""

HUGO_SINGLE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }} · {{ .Site.Title }}</title>
<link rel="stylesheet" href="{{ "site.css" | relURL }}"></head>
<body><header><a href="{{ "" | relURL }}">{{ .Site.Title }}</a></header>
<main><h1>{{ .Title }}</h1><p class="date">{{ .Date.Format "2006-01-02" }}</p>{{ .Content }}</main></body></html>
"""

HUGO_LIST = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }} · {{ .Site.Title }}</title>
<link rel="stylesheet" href="{{ "site.css" | relURL }}"></head>
<body><main><h1>{{ .Title }}</h1>{{ .Content }}
<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul></main></body></html>
"""

STYLE = "body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem}\ntable{border-collapse:collapse}td,th{padding:.2rem .5rem}\n"


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main():
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("out")
    options.add_argument("--pages", type=int, default=1000)
    options.add_argument("--seed", type=int, default=11)
    arguments = options.parse_args()

    writer = Writer(arguments.seed)
    section_count = max(1, arguments.pages // 400)
    sections = [f"part-{n:02d}" for n in range(section_count)]
    pages = [(sections[i % section_count], f"note-{i:05d}") for i in range(arguments.pages)]
    # Every page is at SECTION/PAGE/index.html in both tools, so one relative link works for both.
    links = [(f"../../{section}/{slug}/", slug) for section, slug in pages]
    first_day = datetime.date(2021, 3, 1)

    files = {}
    for section in sections:
        # A section's own page is SECTION/index.html: one level up reaches the top.
        target_section, target_slug = writer.random.choice(pages)
        files[f"content/{section}/_index.md"] = (
            f'---\ntitle: "{writer.title()}"\n---\n\n'
            f'{writer.paragraph((f"../{target_section}/{target_slug}/", target_slug))}\n')
    for index, (section, slug) in enumerate(pages):
        tags = sorted({writer.random.choice(VOCABULARY) for _ in range(writer.random.randint(1, 3))})
        front = (f'---\ntitle: "{writer.title()}"\n'
                 f"date: {first_day + datetime.timedelta(days=index % 1500)}\n"
                 f"tags: [{', '.join(tags)}]\n"
                 f'summary: "{writer.sentence()}"\n---\n\n')
        files[f"content/{section}/{slug}.md"] = front + page_body(writer, links)
    files["content/_index.md"] = '---\ntitle: "Corpus"\n---\n\nA generated site for benchmarks.\n'
    files["static/site.css"] = STYLE

    for flavour in ("pico", "hugo"):
        for path, text in files.items():
            write(os.path.join(arguments.out, flavour, path), text)
    pico = os.path.join(arguments.out, "pico")
    write(os.path.join(pico, "pico.toml"), 'title = "Corpus"\nlanguage = "en"\n')
    write(os.path.join(pico, "templates", "page.mustache"), PICO_PAGE)
    write(os.path.join(pico, "templates", "section.mustache"), PICO_SECTION)
    write(os.path.join(pico, "templates", "index.mustache"), PICO_SECTION)
    hugo = os.path.join(arguments.out, "hugo")
    write(os.path.join(hugo, "hugo.toml"),
          'title = "Corpus"\nrelativeURLs = true\ndisableKinds = ["taxonomy", "term", "RSS", "sitemap"]\n')
    write(os.path.join(hugo, "layouts", "_default", "single.html"), HUGO_SINGLE)
    write(os.path.join(hugo, "layouts", "_default", "list.html"), HUGO_LIST)
    print(f"{arguments.pages} pages in {section_count} sections: {arguments.out}/pico and {arguments.out}/hugo")


if __name__ == "__main__":
    main()
