#!/usr/bin/env bash
# Installs what Tanba's build and tests need on Debian 12 / Ubuntu 24.04, skipping what is
# already there. Sourced by scripts/demo.sh and scripts/test.sh; safe to run repeatedly.
set -euo pipefail

# Debian packages: Go and golang.org/x/mod for the reference tlog client in the tests,
# a C toolchain for crates that build C, DejaVu fonts (they have every Kazakh letter) for
# the PDFs, poppler-utils and zbar-tools so the tests read our PDFs and QR codes with
# tools that share no code with ours, Chromium (headless) for the browser tests, and
# tesseract 5 with its orientation, Russian, Kazakh and English models for the OCR of foreign documents
# (libtesseract-dev, libleptonica-dev and clang to build the bindings against it), and
# iso-codes, whose ISO 3166-1 list a test holds our table of country codes to.
APT_PACKAGES=(golang-go golang-golang-x-mod-dev gcc pkg-config curl ca-certificates iso-codes
              fonts-dejavu-core poppler-utils zbar-tools chromium chromium-driver
              tesseract-ocr tesseract-ocr-osd tesseract-ocr-rus tesseract-ocr-kaz tesseract-ocr-eng
              libtesseract-dev libleptonica-dev clang libclang-dev)

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@";
    elif command -v sudo >/dev/null; then sudo "$@";
    else echo "need root (or sudo) to run: $*" >&2; return 1; fi
}

# wrk, the HTTP load generator, for scripts/bench-verify.sh only.
if [ -n "${TANBA_BENCH:-}" ]; then
    APT_PACKAGES+=(wrk)
fi

# Node.js and npm run Digital Bazaar's W3C VC verifier in the tests (tests/vc-verifier).
# Only when absent: a Node.js from elsewhere (e.g. NodeSource) already brings npm.
if ! command -v npm >/dev/null; then
    APT_PACKAGES+=(nodejs npm)
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}" >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || true
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2
fi

# Rust: the toolchain from rustup (Debian's cargo is too old for edition 2024).
if ! command -v cargo >/dev/null; then
    if [ -x "$HOME/.cargo/bin/cargo" ]; then
        export PATH="$HOME/.cargo/bin:$PATH"
    else
        echo "installing Rust with rustup" >&2
        curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c clippy,rustfmt >&2
        export PATH="$HOME/.cargo/bin:$PATH"
    fi
fi
