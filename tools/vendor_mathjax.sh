#!/usr/bin/env bash
# Vendor MathJax into book/_static/mathjax/ so the website typesets math with no network.
#
# The files come from the official `mathjax` package on the npm registry (fetched with
# `npm pack`, checked against a pinned SHA-256: tools/_npm_fetch.sh), and only the parts
# the browser needs are kept: the tex-mml-chtml bundle, the TeX extensions it autoloads, the CHTML fonts, and
# the menu / accessibility components it loads on demand. _config.yml points Sphinx's
# `mathjax_path` at mathjax/tex-mml-chtml.js. The folder is git-ignored (book/_static/.gitignore).
# Idempotent: does nothing when the pinned version is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/_npm_fetch.sh

VERSION=3.2.2
SHA256=1b9c0a1c44df864e915690558e72adb9cc5203360daefd385084ced3b6c64c09
DEST=book/_static/mathjax

if vendored "$DEST" "$VERSION" tex-mml-chtml.js; then
    exit 0
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
npm_fetch vendor_mathjax MathJax mathjax "$VERSION" "$SHA256" "$tmp"
es5="$tmp/package/es5"

rm -rf "$DEST"
mkdir -p "$DEST/output"
cp "$es5/tex-mml-chtml.js" "$tmp/package/LICENSE" "$DEST/"
cp -r "$es5/input" "$es5/ui" "$es5/a11y" "$es5/sre" "$es5/adaptors" "$DEST/"
cp -r "$es5/output/chtml" "$es5/output/chtml.js" "$DEST/output/"
echo "$VERSION" > "$DEST/.version"
echo "vendor_mathjax: MathJax $VERSION is in $DEST ($(du -sh "$DEST" | cut -f1))"
