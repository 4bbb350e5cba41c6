#!/usr/bin/env bash
# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser).
exec "$(dirname "$0")/debian-package.sh" chromium
