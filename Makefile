# musement-auth: `make demo` and `make test` install what they lack, then do their job.
# Every step is idempotent; a second run reuses what the first installed and built.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
# wasm-pack must use the wasm-bindgen CLI we install, never try to download one.
export WASM_PACK_CACHE := $(CURDIR)/target/wasm-pack-cache

WASM_BINDGEN_VERSION := $(shell sed -n '/^name = "wasm-bindgen"$$/{n;s/^version = "\(.*\)"/\1/p;}' Cargo.lock)
WASM_PACK_VERSION := 0.15.1
SOURCES := Cargo.toml Cargo.lock $(shell find src js -type f) scripts/assemble-package.mjs

.PHONY: help tools build test test-native test-fuzz test-wasm test-node lint demo bench clean

help:
	@echo "make demo   build, then serve the demo page with the mock API and the worker in workerd"
	@echo "make test   lint, then every test: native, wasm-bindgen, end-to-end in Node and workerd"
	@echo "make build  assemble the npm package in pkg/"
	@echo "make bench  size, cold start, per-call and loopback figures against a plain-JS client"

# --- tools -------------------------------------------------------------------------------

tools: .tools/rust.stamp node_modules/.package-lock.json .tools/chromium.stamp

.tools/rust.stamp: Cargo.lock
	@mkdir -p .tools
	rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	wasm-pack --version 2>/dev/null | grep -q ' $(WASM_PACK_VERSION)$$' || cargo install wasm-pack --locked --version $(WASM_PACK_VERSION)
	wasm-bindgen --version 2>/dev/null | grep -q ' $(WASM_BINDGEN_VERSION)$$' || cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION)
	@touch $@

# Debian's Chromium and its driver, for the browser tests (wasm-pack cannot download them here).
.tools/chromium.stamp:
	@mkdir -p .tools
	command -v chromedriver >/dev/null && command -v chromium >/dev/null || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; }
	@touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

# --- build -------------------------------------------------------------------------------

# The package is also linked into node_modules, so examples and tests import it by name
# through its `exports` map, as a partner would.
build: pkg/package.json
	@ln -sfn ../pkg node_modules/musement-auth

pkg/package.json: $(SOURCES) | tools
	wasm-pack --quiet build --release --target web --out-dir target/wasm-pack/web --no-pack
	node scripts/assemble-package.mjs

# --- test --------------------------------------------------------------------------------

test: lint test-native test-fuzz test-wasm test-node

lint: tools
	cargo fmt --check
	cargo clippy --quiet --all-targets -- -D warnings
	cargo clippy --quiet --all-targets --target wasm32-unknown-unknown -- -D warnings

test-native: tools
	cargo test --quiet

# The same wasm-bindgen tests in Node and in headless Chromium (the latter across origins,
# so through CORS); WASM_BINDGEN_USE_BROWSER runs the unconfigured suite in the browser.
# The fuzz target: parsers and path resolution against serde_json and the WHATWG url crate,
# on the committed corpus and its mutations, for about 30 s (4 targets, 2 at a time).
test-fuzz: tools
	FUZZ_SECONDS=15 cargo test --quiet --test fuzz -- --ignored --test-threads 2 --nocapture

test-wasm: tools
	node tests/with-mock.mjs --public-catalog -- wasm-pack test --node
	WASM_BINDGEN_USE_BROWSER=1 node tests/with-mock.mjs --public-catalog -- wasm-pack test --headless --chrome

test-node: build
	node tests/run-node-tests.mjs tests/mock tests/node tests/workers tests/browser

# --- demo --------------------------------------------------------------------------------

demo: build
	node scripts/demo.mjs

# --- bench -------------------------------------------------------------------------------

bench: build
	node bench/run.mjs

clean:
	rm -rf pkg target/wasm-pack .tools
