# The two commands a developer needs are `make test` and `make run` (see README.md).
.PHONY: test deps run bench release

WASM_BINDGEN_VERSION = $(shell sed -n '/^name = "wasm-bindgen"$$/{n;s/version = "\(.*\)"/\1/p}' Cargo.lock)

# What the tests call: PrusaSlicer's CLI (loads our packages), Chromium and its driver (the
# wasm tests), the wasm target, wasm-bindgen's test runner at the version in Cargo.lock
# (no --locked: one of its locked dependencies is missing from the registry), cargo-nextest.
deps:
	@command -v prusa-slicer >/dev/null && command -v chromedriver >/dev/null || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prusa-slicer chromium chromium-driver >/dev/null; }
	@rustup target add wasm32-unknown-unknown >/dev/null 2>&1
	@wasm-bindgen-test-runner --version 2>/dev/null | grep -qF "$(WASM_BINDGEN_VERSION)" || \
	  cargo install wasm-bindgen-cli --version "$(WASM_BINDGEN_VERSION)"
	@command -v cargo-nextest >/dev/null || cargo install cargo-nextest --locked

# Doc and browser tests first, so the run ends on nextest's summary line.
test: deps
	cargo test -p to3mf --doc
	cargo test --target wasm32-unknown-unknown -p to3mf-wasm --test web
	cargo nextest run --workspace --no-fail-fast

release:
	cargo build --release -p to3mf-cli

# make run ARGS="convert model.stl -o model.3mf"
run: release
	./target/release/to3mf $(ARGS)

bench: release
	python3 bench/bench.py
