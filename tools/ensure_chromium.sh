#!/usr/bin/env bash
# Make sure Debian's Chromium and ChromeDriver are present for the browser tests
# (tests/test_website.py drives /usr/bin/chromium through /usr/bin/chromedriver).
# Installs them with apt-get when missing and we are root; otherwise explains why not
# and exits 0, so that the browser tests skip with a clear message instead of failing
# the build on a machine where a browser truly cannot be installed.
set -uo pipefail

CHROMIUM=/usr/bin/chromium
DRIVER=/usr/bin/chromedriver

if [[ -x "$CHROMIUM" && -x "$DRIVER" ]]; then
    exit 0
fi
if ! command -v apt-get >/dev/null; then
    echo "ensure_chromium: no apt-get here; install chromium and chromium-driver yourself," \
         "or the browser tests will be skipped" >&2
    exit 0
fi
if [[ "$(id -u)" != 0 ]]; then
    echo "ensure_chromium: not root; run: sudo apt-get install chromium chromium-driver," \
         "or the browser tests will be skipped" >&2
    exit 0
fi

echo "ensure_chromium: installing Debian's chromium and chromium-driver"
export DEBIAN_FRONTEND=noninteractive
install() { apt-get install -y -q --no-install-recommends chromium chromium-driver; }
# Install from the current package lists; refresh them first only when that fails.
if ! install >/tmp/ensure_chromium.log 2>&1; then
    apt-get update -q >>/tmp/ensure_chromium.log 2>&1
    if ! install >>/tmp/ensure_chromium.log 2>&1; then
        tail -n 20 /tmp/ensure_chromium.log >&2
        echo "ensure_chromium: could not install chromium; the browser tests will be skipped" >&2
        exit 0
    fi
fi
"$CHROMIUM" --version 2>/dev/null | head -n 1
