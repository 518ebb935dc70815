#!/usr/bin/env bash
# Vendor axe-core (the accessibility engine the browser tests inject into every page)
# into tests/website/axe/, so the tests need no CDN and no network once it is fetched.
#
# Like tools/vendor_mathjax.sh: the official `axe-core` package from the npm registry,
# fetched with `npm pack`, checked against a pinned SHA-256; only axe.min.js and the
# licences are kept. The folder is git-ignored (tests/website/.gitignore). Idempotent.
# tests/website/browser.py runs this script itself when axe.min.js is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=4.14.1
SHA256=e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745
DEST=tests/website/axe
STAMP="$DEST/.version"

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$VERSION" && -f "$DEST/axe.min.js" ]]; then
    exit 0
fi
if ! command -v npm >/dev/null; then
    echo "vendor_axe: npm is needed to fetch axe-core $VERSION (install Node.js and npm)" >&2
    exit 1
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "vendor_axe: fetching axe-core@$VERSION from the npm registry"
(cd "$tmp" && npm pack "axe-core@$VERSION" --silent >/dev/null 2>"$tmp/npm.log") || {
    cat "$tmp/npm.log" >&2
    echo "vendor_axe: npm pack axe-core@$VERSION failed" >&2
    exit 1
}
tarball="$tmp/axe-core-$VERSION.tgz"
echo "$SHA256  $tarball" | sha256sum --check --quiet - || {
    echo "vendor_axe: checksum mismatch for axe-core-$VERSION.tgz" >&2
    exit 1
}
tar -xzf "$tarball" -C "$tmp"
rm -rf "$DEST"
mkdir -p "$DEST"
cp "$tmp/package/axe.min.js" "$tmp/package/LICENSE" "$tmp/package/LICENSE-3RD-PARTY.txt" "$DEST/"
echo "$VERSION" > "$STAMP"
echo "vendor_axe: axe-core $VERSION is in $DEST"
