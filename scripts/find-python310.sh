#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter, or explain what to install and exit 1.
# Rasa 3.6 supports Python >=3.8,<3.11; this project pins 3.10.
set -u
candidates=()
[ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
for p in "$pyenv_root"/versions/3.10*/bin/python /root/.pyenv/versions/3.10*/bin/python; do
  [ -x "$p" ] && candidates+=("$p")
done
for p in python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10; do
  command -v "$p" >/dev/null 2>&1 && candidates+=("$(command -v "$p")")
done
for p in "${candidates[@]}"; do
  if "$p" -c 'import sys, venv; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' >/dev/null 2>&1; then
    echo "$p"
    exit 0
  fi
done
cat >&2 <<'MSG'
error: no Python 3.10 interpreter found (Rasa 3.6 needs >=3.8,<3.11; this project pins 3.10).
  Install one, then re-run `make install`:
    pyenv install 3.10.13            # or: apt-get install python3.10 python3.10-venv
  or point to it explicitly:  make install PYTHON=/path/to/python3.10
MSG
exit 1
