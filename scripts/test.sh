#!/usr/bin/env bash
# The whole test suite: what CI runs (.ci/run) and what the README's second command is.
#
#   bash scripts/test.sh [PYTEST ARGS...]
#
# Makes sure setup has run (scripts/setup.sh --no-demo), then runs the Rust tests, clippy
# and rustfmt, ruff (lint and format), mypy, a 30 s run of every fuzz target, and last
# pytest over tests/. Every step runs even when an earlier one failed; failed steps are
# listed just before pytest starts, so that pytest's closing summary line stays the last
# line printed. Exits non-zero when any step failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh --no-demo

# rustup's cargo, also when the caller's PATH lacks it (setup.sh does the same).
if ! command -v cargo >/dev/null 2>&1 && [[ -x "$HOME/.cargo/bin/cargo" ]]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi

failed=()
step() {
    local name="$1"
    shift
    printf '\n==> %s: %s\n' "$name" "$*"
    if ! "$@"; then
        failed+=("$name")
        printf '==> %s FAILED\n' "$name"
    fi
}

step "cargo test" cargo test --workspace
step "cargo clippy" cargo clippy --workspace --all-targets -- -D warnings
step "cargo fmt" cargo fmt --all --check
step "ruff check" .venv/bin/ruff check
step "ruff format" .venv/bin/ruff format --check
step "mypy" .venv/bin/mypy
# benches/ imports the tests' corpus helpers, hence MYPYPATH.
step "mypy benches" env MYPYPATH=tests .venv/bin/mypy --strict benches
# A smoke run: each cargo-fuzz target for 30 s (longer runs: bash scripts/fuzz.sh PLUGIN S).
step "fuzz smoke" bash scripts/fuzz.sh all 30

printf '\n==> pytest\n'
if ((${#failed[@]})); then
    printf '==> already failed: %s\n' "${failed[*]}"
fi
pytest_rc=0
.venv/bin/pytest "$@" || pytest_rc=$?

if ((pytest_rc != 0 || ${#failed[@]})); then
    exit 1
fi
