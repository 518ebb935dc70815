#!/usr/bin/env bash
# Vendor axe-core (the accessibility engine the browser tests inject into every page)
# into tests/website/axe/, so the tests need no CDN and no network once it is fetched.
#
# Like tools/vendor_mathjax.sh: the official `axe-core` package from the npm registry,
# fetched with `npm pack`, checked against a pinned SHA-256 (tools/_npm_fetch.sh); only
# axe.min.js and the licences are kept. The folder is git-ignored (tests/website/.gitignore). Idempotent.
# tests/website/browser.py runs this script itself when axe.min.js is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/_npm_fetch.sh

VERSION=4.14.1
SHA256=e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745
DEST=tests/website/axe

if vendored "$DEST" "$VERSION" axe.min.js; then
    exit 0
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
npm_fetch vendor_axe axe-core axe-core "$VERSION" "$SHA256" "$tmp"
rm -rf "$DEST"
mkdir -p "$DEST"
cp "$tmp/package/axe.min.js" "$tmp/package/LICENSE" "$tmp/package/LICENSE-3RD-PARTY.txt" "$DEST/"
echo "$VERSION" > "$DEST/.version"
echo "vendor_axe: axe-core $VERSION is in $DEST"
