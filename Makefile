# The two commands a developer needs are `make test` and `make run` (see README.md).
.PHONY: test deps run bench release

# System tools the tests call: PrusaSlicer's CLI (loads our packages) and cargo-nextest.
deps:
	@command -v prusa-slicer >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prusa-slicer >/dev/null; }
	@command -v cargo-nextest >/dev/null || cargo install cargo-nextest --locked

# Doc tests first so the run ends on nextest's summary line.
test: deps
	cargo test -p to3mf --doc
	cargo nextest run --workspace --no-fail-fast

release:
	cargo build --release -p to3mf-cli

# make run ARGS="convert model.stl -o model.3mf"
run: release
	./target/release/to3mf $(ARGS)

bench: release
	python3 bench/bench.py
