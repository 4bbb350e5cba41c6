#!/usr/bin/env bash
# Install Debian's package PACKAGE unless COMMAND is already on the PATH:
#   scripts/debian-package.sh COMMAND [PACKAGE]   (PACKAGE defaults to COMMAND)
# The tests use real tools (Chromium, HAProxy…); they come from Debian's packages, never by hand.
set -euo pipefail
command_name=$1
package=${2:-$1}
if command -v "$command_name" >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "error: $command_name is missing; install Debian's package: sudo apt-get install -y $package" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q "$package" >/dev/null 2>&1 \
  || { apt-get update -q >/dev/null && apt-get install -y -q "$package" >/dev/null; }
command -v "$command_name" >/dev/null && echo "✓ $package installed (Debian package)"
