# The two commands a developer needs are `make serve` and `make test` (see README.md).
.PHONY: test lint deps deps-wasm run serve www site package bench release fuzz static static-check static-aarch64 static-aarch64-check docker bench-watch

WASM_BINDGEN_VERSION = $(shell sed -n '/^name = "wasm-bindgen"$$/{n;s/version = "\(.*\)"/\1/p}' Cargo.lock)

# What the tests call: PrusaSlicer's CLI (loads our packages), Chromium and its driver (the
# wasm tests), the Ruby packages of Manyfold's importer, the wasm target, wasm-bindgen's test
# runner at the version in Cargo.lock (no --locked: one of its locked dependencies is missing
# from the registry), cargo-nextest, and package.json's npm packages (again whenever one is
# missing).
deps: deps-wasm
	@command -v prusa-slicer >/dev/null && command -v chromedriver >/dev/null || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prusa-slicer chromium chromium-driver >/dev/null; }
	@command -v cargo-nextest >/dev/null || cargo install cargo-nextest --locked
	@npm ls --depth=0 >/dev/null 2>&1 || npm ci --no-audit --no-fund
	@# Manyfold's importer installs its Ruby packages from Debian on first use: once here, not
	@# from tests running in parallel.
	@test ! -x ../shared/tools/manyfold-import/manyfold-import || \
	  ../shared/tools/manyfold-import/manyfold-import "$$(mktemp -d)" >/dev/null

deps-wasm:
	@rustup target add wasm32-unknown-unknown >/dev/null 2>&1
	@wasm-bindgen-test-runner --version 2>/dev/null | grep -qF "$(WASM_BINDGEN_VERSION)" || \
	  cargo install wasm-bindgen-cli --version "$(WASM_BINDGEN_VERSION)"

# The page's wasm: plain wasm-bindgen output for ES modules, no bundler, no wasm-opt
# (Debian's binaryen 108 corrupts wasm-bindgen output).
# Two builds of one crate: the lean converter (www/pkg, what a first visit downloads) and the
# full one (www/pkgfull: Manyfold processor, 3MF inputs, 7z), fetched when first needed.
WASM_OUT = $(or $(CARGO_TARGET_DIR),target)/wasm32-unknown-unknown/wasm-release/to3mf_wasm.wasm
www: deps-wasm
	cargo build --profile wasm-release --target wasm32-unknown-unknown -p to3mf-wasm
	wasm-bindgen --target web --no-typescript --out-dir www/pkg $(WASM_OUT)
	cargo build --profile wasm-release --target wasm32-unknown-unknown -p to3mf-wasm --features full
	wasm-bindgen --target web --no-typescript --out-dir www/pkgfull $(WASM_OUT)

# The static site in _site/, as GitHub Pages publishes it; SOURCE_URL (the Pages workflow passes
# the repository's address) is the About section's source link; VERSION names the service
# worker's cache, so a deployed change offers users a reload. The service worker's shell is
# every file copied here (but itself), so a new module is cached for offline use without
# a list to keep by hand. The Uppy plugin is for the npm package (`make package`), not the page.
VERSION ?= dev
SOURCE_URL ?=
site: www
	rm -rf _site && mkdir -p _site/www
	cp index.html sw.js manifest.webmanifest _site/
	cp -r $(filter-out www/uppy.js,$(wildcard www/*.js)) www/*.css www/*.svg www/*.png www/pkg www/pkgfull _site/www/
	sed -i "s/^const VERSION = .*/const VERSION = '$(VERSION)';/" _site/sw.js
	test -z "$(SOURCE_URL)" || sed -i 's|<a id="source-link">|<a id="source-link" href="$(SOURCE_URL)">|' _site/index.html
	shell=$$(cd _site && find . -type f ! -name sw.js | LC_ALL=C sort | sed "s/.*/'&'/" | paste -sd, - | sed 's/,/, /g') && \
	  sed -i "s|^const SHELL = \[\];|const SHELL = ['./', $$shell];|" _site/sw.js
	grep -q "^const SHELL = \['./', './index.html'," _site/sw.js

# The npm package in packages/to3mf: the embedding API, the Uppy plugin, the workers and both
# wasm builds, copied beside its committed package.json (whose version, like the plugin's, must be Cargo's);
# `npm pack` there makes the tarball (tests/e2e/uppy.test.mjs installs it into an app).
PACKAGE_FILES = to3mf.js to3mf.d.ts pool.js worker.js helper.js io.js manyfold.js uppy.js uppy.d.ts
package: www
	@v=$$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1) && grep -q "\"version\": \"$$v\"" packages/to3mf/package.json && \
	  grep -q "VERSION = '$$v'" www/uppy.js || { echo "packages/to3mf/package.json, www/uppy.js: set the version to Cargo's ($$v)"; exit 1; }
	mkdir -p packages/to3mf/pkg packages/to3mf/pkgfull
	cp $(addprefix www/,$(PACKAGE_FILES)) packages/to3mf/
	cp www/pkg/to3mf_wasm.js www/pkg/to3mf_wasm_bg.wasm packages/to3mf/pkg/
	cp www/pkgfull/to3mf_wasm.js www/pkgfull/to3mf_wasm_bg.wasm packages/to3mf/pkgfull/

# The page on http://127.0.0.1:8000/ (Python's server sends application/wasm for .wasm).
serve: www
	python3 -m http.server --bind 127.0.0.1 8000

# Style first (formatting, then clippy on every target the code builds for: the bindings
# compile for wasm32 only), then doc, browser, page and fuzz smoke tests, so the run ends on
# nextest's summary line.
lint:
	@rustup target add wasm32-unknown-unknown >/dev/null 2>&1
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p to3mf --no-default-features -- -D warnings
	cargo clippy -p to3mf --no-default-features --features parallel,read3mf -- -D warnings
	cargo clippy --target wasm32-unknown-unknown -p to3mf-wasm --all-targets -- -D warnings
	cargo clippy --target wasm32-unknown-unknown -p to3mf-wasm --all-targets --features full -- -D warnings

test: deps lint site package
	cargo test -p to3mf --doc
	cargo test --target wasm32-unknown-unknown -p to3mf-wasm --test web
	node --test tests/e2e/
	$(MAKE) fuzz FUZZ_SECONDS=30 FUZZ_FLAGS=-seed=1
	cargo nextest run --workspace --no-fail-fast

release:
	cargo build --release -p to3mf-cli

# The static binary for a home server (`to3mf watch`): x86_64 musl, self-contained (Rust's
# musl target brings its own C library and start files; no musl-tools needed).
MUSL_BIN = $(or $(CARGO_TARGET_DIR),target)/x86_64-unknown-linux-musl/release/to3mf
static:
	@rustup target add x86_64-unknown-linux-musl >/dev/null 2>&1
	cargo build --release -p to3mf-cli --target x86_64-unknown-linux-musl

# It runs in an empty root, with nothing of the system.
static-check: static
	deploy/empty-root.sh $(MUSL_BIN)

# aarch64 (a Raspberry Pi, most NASes): Rust's musl target linked by its own rust-lld, so no
# cross C toolchain is needed; checked in an empty root under Debian's qemu-user-static.
MUSL_ARM = $(or $(CARGO_TARGET_DIR),target)/aarch64-unknown-linux-musl/release/to3mf
static-aarch64:
	@rustup target add aarch64-unknown-linux-musl >/dev/null 2>&1
	CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER=rust-lld \
	  cargo build --release -p to3mf-cli --target aarch64-unknown-linux-musl

static-aarch64-check: static-aarch64
	@command -v qemu-aarch64-static >/dev/null || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user-static >/dev/null; }
	EMULATOR=$$(command -v qemu-aarch64-static) deploy/empty-root.sh $(MUSL_ARM)

# The FROM-scratch image (deploy/Dockerfile) with the static binary.
docker: static
	cp $(MUSL_BIN) deploy/to3mf
	docker build -t to3mf-watch deploy

# Idle memory and wake-ups, start time, size, items/s of `to3mf watch` (bench/watch.py).
bench-watch: static
	python3 bench/watch.py $(MUSL_BIN)

# make run ARGS="convert model.stl -o model.3mf"
run: release
	./target/release/to3mf $(ARGS)

bench: release site package
	@npm ls --depth=0 >/dev/null 2>&1 || npm ci --no-audit --no-fund
	python3 bench/bench.py
	node bench/browser.mjs
	node bench/uppy.mjs

# Fuzzing (cargo-fuzz, libFuzzer) on a stable toolchain: RUSTC_BOOTSTRAP lets cargo-fuzz pass
# its sanitizer flags. make fuzz FUZZ_SECONDS=600 runs every target that long; `make test`
# runs each for 30 s with a fixed seed, so a regression on the seeds is caught.
FUZZ_SECONDS ?= 60
FUZZ_FLAGS ?=
FUZZ_TARGETS = convert text_formats threemf_metadata threemf_model threemf_graph archive datapackage deflate
fuzz:
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
	fuzz/seed.sh
	cd fuzz && for t in $(FUZZ_TARGETS); do \
	  RUSTC_BOOTSTRAP=1 cargo fuzz run -O $$t corpus/$$t -- -max_total_time=$(FUZZ_SECONDS) \
	    -rss_limit_mb=2048 -timeout=10 -max_len=1048576 $(FUZZ_FLAGS) || exit 1; done
