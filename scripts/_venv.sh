# Sourced by scripts/serve and scripts/test: makes .venv with this project installed.
# Re-installs only when pyproject.toml changed since the last install, and rebuilds a .venv
# made with a Python that pyproject.toml does not support (requires-python >=3.11,<3.13).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
EXTRAS="${1:-}"
SUPPORTED="Python 3.11 or 3.12"

# The "major.minor" of an interpreter, or nothing when it does not run (a pyenv shim for a
# version that is not selected, a venv whose base Python was removed).
_py_version() {
  "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true
}

_supported() {
  case "$1" in 3.11 | 3.12) return 0 ;; *) return 1 ;; esac
}

# The first supported interpreter: $PYTHON when set, else python3.11, python3.12, python3.
_find_python() {
  local candidate candidates=(python3.11 python3.12 python3)
  [ -z "${PYTHON:-}" ] || candidates=("$PYTHON")
  for candidate in "${candidates[@]}"; do
    if _supported "$(_py_version "$candidate")"; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if [ -e "$VENV" ]; then
  VENV_VERSION="$(_py_version "$VENV/bin/python")"
  if ! _supported "$VENV_VERSION"; then
    MADE_WITH="${VENV_VERSION:+Python $VENV_VERSION}"
    MADE_WITH="${MADE_WITH:-a Python that no longer runs}"
    if ! PYTHON_BIN="$(_find_python)"; then
      echo ".venv was made with $MADE_WITH and Deal Coach needs $SUPPORTED, which was not found: install one (or set PYTHON=/path/to/python3.11) and run again" >&2
      exit 1
    fi
    echo "rebuilding .venv with $PYTHON_BIN: it was made with $MADE_WITH, Deal Coach needs $SUPPORTED" >&2
    rm -rf "$VENV"
  fi
fi
if [ ! -e "$VENV" ]; then
  if ! PYTHON_BIN="$(_find_python)"; then
    echo "Deal Coach needs $SUPPORTED${PYTHON:+ (PYTHON=$PYTHON is not one)}: install one (or set PYTHON=/path/to/python3.11) and run again" >&2
    exit 1
  fi
  if ! "$PYTHON_BIN" -m venv "$VENV"; then
    rm -rf "$VENV"  # half made: the next run starts again
    echo "could not create .venv with $PYTHON_BIN (see above; on Debian or Ubuntu: apt install python3-venv)" >&2
    exit 1
  fi
fi
# The stamp is written only after every install step succeeded, so a failed or interrupted
# install is retried on the next run instead of leaving a half-installed .venv in use.
STAMP="$VENV/.installed-$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)${EXTRAS:+-$EXTRAS}"
if [ ! -f "$STAMP" ]; then
  rm -f "$VENV"/.installed-*
  if ! { "$VENV/bin/python" -m pip install --quiet --upgrade pip &&
    "$VENV/bin/python" -m pip install --quiet -e "$ROOT${EXTRAS:+[$EXTRAS]}"; }; then
    echo "installing Deal Coach into .venv failed (pip's reason is above); fix it and run again" >&2
    exit 1
  fi
  touch "$STAMP"
fi
