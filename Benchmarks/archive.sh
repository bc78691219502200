#!/usr/bin/env bash
# pico pack and pico verify against tar, zip and sha256sum on the same bundle, side by side in one run.
#
# usage: Benchmarks/archive.sh              (SIZE_MB=1024 by default; needs GNU time, zip, unzip, bsdtar)
#
# Generates a site of about SIZE_MB: half text (HTML pages of real-looking words in nested
# folders, CSS and JS, 20-200 KB each), half already-compressed media (random bytes named .jpg,
# .png, .woff2, .zip, 1-8 MB each), bundles it with `pico build` (untimed), then times, in
# alternating runs into fresh files on the same disk:
#   pico pack BUNDLE -o x.tar    against  tar -cf y.tar -C BUNDLE .
#   pico pack BUNDLE -o x.zip    against  (cd BUNDLE && zip -qr y.zip .)
#   pico verify BUNDLE           against  (cd BUNDLE && sha256sum --quiet -c SHA256SUMS)
# The page cache cannot be dropped without root, so one untimed run of each warms it for all.
# Prints the median wall time, the peak memory (max RSS) of each, and the ratios against the
# targets of the archive issue.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${SIZE_MB:-1024}
RUNS=${RUNS:-3}
[ -x /usr/bin/time ] || { echo "GNU time is missing: run 'make bench'"; exit 1; }
for tool in zip unzip bsdtar; do
  command -v $tool >/dev/null || { echo "$tool is missing: apt-get install zip unzip libarchive-tools"; exit 1; }
done

# PICO=path/to/pico benchmarks that binary instead of building one.
if [ -z "${PICO:-}" ]; then
  swift build -c release --product pico >/dev/null
  PICO=$PWD/.build/release/pico
fi
pico=$PICO
work=$(mktemp -d "${TMPDIR:-/tmp}/pico-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

python3 - "$work/site" "$SIZE_MB" <<'PY'
import os, random, sys
root, size_mb = sys.argv[1], int(sys.argv[2])
rng = random.Random(20241123)
total = size_mb << 20
text_budget, media_budget = total // 2, total - total // 2
KB, MB = 1 << 10, 1 << 20
WORDS = """the of and to in is that it for as with was on be by this are from or at which an have
not they but were all one can had their there been has more if will when would so what who about
into than them these may only other some time could its two like then first any made over such
new after also did many most where water long way people years through back much before right
too means old same tell does set three want air well also play small end put home read hand port
large spell add even land here must big high such follow act why ask men change went light kind
off need house picture try again animal point mother world near build self earth father head
stand own page should country found answer school grow study still learn plant cover food sun
four between state keep eye never last let thought city tree cross farm hard start might story
saw far sea draw left late run while press close night real life few north open seem together
next white children begin got walk example ease paper group always music those both mark often
letter until mile river car feet care second book carry took science eat room friend began idea
fish mountain stop once base hear horse cut sure watch color face wood main enough plain girl
usual young ready above ever red list though feel talk bird soon body dog family direct pose
leave song measure door product black short numeral class wind question happen complete ship
area half rock order fire south problem piece told knew pass since top whole king space heard
best hour better true during hundred five remember step early hold west ground interest reach
fast verb sing listen six table travel less morning ten simple several vowel toward war lay
against pattern slow center love person money serve appear road map rain rule govern pull cold
notice voice unit power town fine certain fly fall lead cry dark machine note wait plan figure
star box noun field rest correct able pound done beauty drive stood contain front teach week
final gave green quick develop ocean warm free minute strong special mind behind clear tail
produce fact street inch multiply nothing course stay wheel full force blue object decide
surface deep moon island foot system busy test record boat common gold possible plane stead
dry wonder laugh thousand ago ran check game shape equate miss brought heat snow tire bring
yes distant fill east paint language among grand ball yet wave drop heart present heavy dance
engine position arm wide sail material size vary settle speak weight general ice matter circle
pair include divide syllable felt perhaps pick sudden count square reason length represent art
subject region energy hunt probable bed brother egg ride cell believe fraction forest sit race
window store summer train sleep prove lone exercise wall catch mount wish sky board joy winter
sat written wild instrument kept glass grass cow job edge sign visit past soft fun bright gas
weather month million bear finish happy hope flower clothe strange gone jump baby eight village
meet root buy raise solve metal whether push seven paragraph third shall held hair describe cook
floor either result burn hill safe cat century consider type law bit coast copy phrase silent
tall sand soil roll temperature finger industry value fight lie beat excite natural view sense
ear else quite broke case middle kill son lake moment scale loud spring observe child straight
consonant nation dictionary milk speed method organ pay age section dress cloud surprise quiet
stone tiny climb cool design poor lot experiment bottom key iron single stick flat twenty skin
smile crease hole trade melody trip office receive row mouth exact symbol die least trouble
shout except wrote seed tone join suggest clean break lady yard rise bad blow oil blood touch
grew cent mix team wire cost lost brown wear garden equal sent choose fell fit flow fair bank
collect save control decimal gentle woman captain practice separate difficult doctor please
protect noon whose locate ring character insect caught period indicate radio spoke atom human
history effect electric expect crop modern element hit student corner party supply bone rail
imagine provide agree thus capital chair danger fruit rich thick soldier process operate guess
necessary sharp wing create neighbor wash bat rather crowd corn compare poem string bell depend
meat rub tube famous dollar stream fear sight thin triangle planet hurry chief colony clock mine
tie enter major fresh search send yellow gun allow print dead spot desert suit current lift rose
continue block chart hat sell success company subtract event particular deal swim term opposite
wife shoe shoulder spread arrange camp invent cotton born determine quart nine truck noise level
chance gather shop stretch throw shine property column molecule select wrong gray repeat require
broad prepare salt nose plural anger claim continent oxygen sugar death pretty skill women season
solution magnet silver thank branch match suffix especially fig afraid huge sister steel discuss
forward similar guide experience score apple bought led pitch coat mass card band rope slip win
dream evening condition feed tool total basic smell valley nor double seat arrive master track
parent shore division sheet substance favor connect post spend chord fat glad original share
station dad bread charge proper bar offer segment slave duck instant market degree populate chick
dear enemy reply drink occur support speech nature range steam motion path liquid log meant
quotient teeth shell neck""".split()

def sentence():
    s = " ".join(rng.choices(WORDS, k=rng.randint(6, 18)))
    return s[0].upper() + s[1:] + "."
PARAS = [" ".join(sentence() for _ in range(rng.randint(2, 7))) for _ in range(4000)]
def title():
    return " ".join(rng.choices(WORDS, k=rng.randint(2, 5))).capitalize()

def write(rel, data):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    return len(data)

# Media: random bytes, which no compressor can shrink, like real photos, fonts and downloads.
media = {".jpg": [], ".png": [], ".woff2": [], ".zip": []}
folders = {".jpg": "media/photos", ".png": "media/images", ".woff2": "media/fonts", ".zip": "media/downloads"}
left, n = media_budget, 0
while left > 0:
    ext = list(media)[n % 4]
    size = min(left, rng.randint(1 * MB, 8 * MB))
    rel = f"{folders[ext]}/{ext[1:]}-{n:04d}{ext}"
    write(rel, os.urandom(size))
    media[ext].append(rel)
    left -= size
    n += 1

def rel(target, page):
    return os.path.relpath(target, os.path.dirname(page) or ".")

# Text: 70% HTML pages, 15% CSS, 15% JS, each file 20-200 KB.
def sizes(budget):
    out = []
    while budget > 0:
        out.append(min(budget, rng.randint(20 * KB, 200 * KB)))
        budget -= out[-1]
    return out

css_files, js_files = [], []
for i, size in enumerate(sizes(text_budget * 15 // 100)):
    path = f"assets/css/style-{i:03d}.css"
    parts = []
    if media[".woff2"]:
        font = rng.choice(media[".woff2"])
        parts.append(f'@font-face {{ font-family: "Body"; src: url("{rel(font, path)}") format("woff2"); }}\n')
    parts.append('body { font-family: "Body", system-ui, sans-serif; line-height: 1.6; margin: 0 auto; max-width: 44rem; }\n')
    length = sum(map(len, parts))
    while length < size:
        w = rng.sample(WORDS, 2)
        rule = (f".{w[0]}-{w[1]}-{rng.randint(0, 999)} {{ color: #{rng.randrange(1 << 24):06x}; "
                f"margin: {rng.randint(0, 40)}px {rng.randint(0, 40)}px; padding: 0 {rng.randint(0, 9)}rem; "
                f"border-radius: {rng.randint(0, 12)}px; }}\n")
        parts.append(rule)
        length += len(rule)
    write(path, "".join(parts))
    css_files.append(path)
for i, size in enumerate(sizes(text_budget * 15 // 100)):
    path = f"assets/js/app-{i:03d}.js"
    parts, length = ['"use strict";\n'], 14
    while length < size:
        w = rng.sample(WORDS, 3)
        fn = (f"function {w[0]}_{w[1]}_{rng.randint(0, 99999)}(el, {w[2]}) {{\n"
              f"  const text = \"{sentence()}\";\n"
              f"  if ({w[2]} > {rng.randint(0, 999)}) {{ el.textContent = text; }}\n"
              f"  return text.length + {w[2]};\n}}\n")
        parts.append(fn)
        length += len(fn)
    write(path, "".join(parts))
    js_files.append(path)

page_sizes = sizes(text_budget - sum(os.path.getsize(os.path.join(root, p)) for p in css_files + js_files))
chapters = [f"docs/part-{a:02d}/chapter-{b:02d}" for a in range(10) for b in range(10)]
pages = [f"{chapters[i % len(chapters)]}/page-{i:05d}.html" for i in range(len(page_sizes))]
by_chapter = {c: [p for p in pages if p.startswith(c + "/")] for c in chapters}
chapters = [c for c in chapters if by_chapter[c]]
titles = {p: title() for p in pages}

def head(path, heading):
    css, js = rng.choice(css_files or [None]), rng.choice(js_files or [None])
    return ("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{heading}</title>\n"
            + (f"<link rel=\"stylesheet\" href=\"{rel(css, path)}\">\n" if css else "")
            + (f"<script src=\"{rel(js, path)}\" defer></script>\n" if js else "")
            + f"</head>\n<body>\n<nav><a href=\"{rel('index.html', path)}\">Home</a></nav>\n<main>\n<h1>{heading}</h1>\n")

def listing(path, heading, links):
    items = "".join(f"<li><a href=\"{rel(href, path)}\">{text}</a></li>\n" for href, text in links)
    return write(path, head(path, heading) + f"<ul>\n{items}</ul>\n</main>\n</body>\n</html>\n")

for i, (path, size) in enumerate(zip(pages, page_sizes)):
    chapter = os.path.dirname(path)
    siblings = by_chapter[chapter]
    k = siblings.index(path)
    parts = [head(path, titles[path]),
             f"<p><a href=\"index.html\">Contents</a> · <a href=\"{os.path.basename(siblings[k - 1])}\">Previous</a>"
             f" · <a href=\"{os.path.basename(siblings[(k + 1) % len(siblings)])}\">Next</a></p>\n"]
    length = sum(map(len, parts))
    while length < size - 200:
        if rng.random() < 0.08:
            block = f"<h2>{title()}</h2>\n"
        elif rng.random() < 0.03 and media[".jpg"] + media[".png"]:
            image = rng.choice(media[".jpg"] + media[".png"])
            block = f"<figure><img src=\"{rel(image, path)}\" alt=\"{title()}\"><figcaption>{sentence()}</figcaption></figure>\n"
        elif rng.random() < 0.02 and media[".zip"]:
            block = f"<p><a href=\"{rel(rng.choice(media['.zip']), path)}\">Download the {title().lower()}</a></p>\n"
        else:
            block = f"<p>{rng.choice(PARAS)}</p>\n"
        parts.append(block)
        length += len(block)
    parts.append("</main>\n</body>\n</html>\n")
    write(path, "".join(parts))
for c in chapters:
    listing(f"{c}/index.html", f"Chapter {c[-2:]} of part {c.split('/')[1][-2:]}", [(p, titles[p]) for p in by_chapter[c]])
part_dirs = sorted({os.path.dirname(c) for c in chapters})
for part in part_dirs:
    listing(f"{part}/index.html", f"Part {part[-2:]}",
            [(f"{c}/index.html", f"Chapter {c[-2:]}") for c in chapters if c.startswith(part + "/")])
listing("index.html", "A generated site", [(f"{p}/index.html", f"Part {p[-2:]}") for p in part_dirs])

count = sum(len(f) for _, _, f in os.walk(root))
text = sum(os.path.getsize(os.path.join(root, p)) for p in pages + css_files + js_files)
print(f"site: {count} files, {text / MB:.0f} MB text, {media_budget / MB:.0f} MB media in {root}")
PY
bundle=$work/bundle
"$pico" build "$work/site" -o "$bundle" -q
rm -rf "$work/site"   # the bundle is a full copy; keep the disk for the archives
echo "bundle: $(du -sm "$bundle" | cut -f1) MB in $bundle ($(nproc) cores)"

# The commands, each writing a fresh file: pico's, then the reference tool's.
pico_tar()    { rm -f "$work/x.tar"; "$@" "$pico" pack "$bundle" -o "$work/x.tar"; }
tar_tar()     { rm -f "$work/y.tar"; "$@" tar -cf "$work/y.tar" -C "$bundle" .; }
pico_zip()    { rm -f "$work/x.zip"; "$@" "$pico" pack "$bundle" -o "$work/x.zip"; }
zip_zip()     { rm -f "$work/y.zip"; "$@" sh -c 'cd "$1" && zip -qr "$2" .' sh "$bundle" "$work/y.zip"; }
pico_verify() { "$@" "$pico" verify "$bundle"; }
sha_verify()  { "$@" sh -c 'cd "$1" && sha256sum --quiet -c SHA256SUMS' sh "$bundle"; }
labels="pico_tar tar_tar pico_zip zip_zip pico_verify sha_verify"

# One untimed run each warms the page cache for all.
for label in $labels; do $label >/dev/null; done

measure() { # label: runs it under GNU time, appends "seconds kilobytes" to $work/label
  local label=$1
  # Each run writes up to a gigabyte; flush the previous run's writes first (untimed), or the
  # kernel throttles whichever tool happens to come next.
  sync
  $label /usr/bin/time -f "%e %M" -o "$work/$label.time" >/dev/null
  cat "$work/$label.time" >> "$work/$label"
}
for i in $(seq "$RUNS"); do
  for label in $labels; do measure $label; done
done

unzip -tq "$work/x.zip" >/dev/null && echo "unzip -tq x.zip: OK"
bsdtar -tf "$work/x.tar" >/dev/null && echo "bsdtar -tf x.tar: OK"
"$pico" verify "$work/x.tar" >/dev/null && echo "pico verify x.tar: OK"
"$pico" verify "$work/x.zip" >/dev/null && echo "pico verify x.zip: OK"
echo "sizes: x.tar $(du -m "$work/x.tar" | cut -f1) MB, y.tar $(du -m "$work/y.tar" | cut -f1) MB," \
     "x.zip $(du -m "$work/x.zip" | cut -f1) MB, y.zip $(du -m "$work/y.zip" | cut -f1) MB"
python3 - "$work" <<'PY'
import statistics, sys
def load(label):
    rows = [tuple(map(float, line.split())) for line in open(f"{sys.argv[1]}/{label}") if line.strip()]
    return statistics.median(r[0] for r in rows), max(r[1] for r in rows) / 1024
rows = [("pico pack x.tar", "pico_tar"), ("tar -cf", "tar_tar"),
        ("pico pack x.zip", "pico_zip"), ("zip -qr", "zip_zip"),
        ("pico verify", "pico_verify"), ("sha256sum -c", "sha_verify")]
results = {label: load(label) for _, label in rows}
print(f"{'':16}{'wall (median)':>15}{'peak memory':>14}")
for name, label in rows:
    s, mb = results[label]
    print(f"{name:16}{s:>13.2f} s{mb:>11.0f} MB")
for name, ours, theirs, target in [("tar   ", "pico_tar", "tar_tar", 1.1), ("zip   ", "pico_zip", "zip_zip", 0.5),
                                   ("verify", "pico_verify", "sha_verify", 0.17)]:
    r = results[ours][0] / results[theirs][0]
    print(f"ratio {name} time {r:.2f}x (target <= {target:.2f}: {'met' if r <= target else 'MISSED'})")
PY
