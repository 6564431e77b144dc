#!/usr/bin/env bash
# Sets up engagic-conductor from nothing, then extracts a real civic PDF, lists the plugins
# and processes a small batch of corpus documents (PDF, DOCX, HTML) into SQLite as a demo.
#
#   bash scripts/setup.sh            # set up, then run the demo
#   bash scripts/setup.sh --no-demo  # set up only (scripts/test.sh uses this)
#
# Steps, each skipped when already done, so a second run takes seconds:
#   1. Debian packages: poppler-utils and qpdf (test references, benchmark packets),
#      tesseract-ocr with its eng and osd data (OCR), postgresql (the PostgreSQL store and
#      queue tests: step 1b starts a cluster and creates the test role and database),
#      poppler-data and python-matplotlib-data (sources of the PDF engine's tables), and
#      the wasm toolchain from ../shared/TOOLCHAIN.md (rustc-web & co., lld-22, wasi-libc)
#      unless rustup already has the wasm32-wasip1 target and rust-src, which
#      scripts/build_plugins.py then prefers.
#   2. A virtual environment at .venv/ with the host installed editable, with the dev,
#      bench and service extras (re-installed only when pyproject.toml or the Python changes).
#   3. Every plugin built into a WebAssembly component (cargo rebuilds only what changed).
#
# Environment: PYTHON (default python3, >= 3.11), CONDUCTOR_CORPUS (default ../shared/corpus).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DEMO=1
for arg in "$@"; do
    case "$arg" in
        --no-demo) DEMO=0 ;;
        -h | --help)
            sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "setup: unknown argument: $arg (try --help)" >&2
            exit 2
            ;;
    esac
done

log() { printf 'setup: %s\n' "$*"; }
die() {
    printf 'setup: error: %s\n' "$*" >&2
    exit 1
}

# --- 1. Debian packages ------------------------------------------------------------------
is_installed() {
    [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

# Output is captured before grep: `rustup ... | grep -q` could end rustup with SIGPIPE,
# which pipefail would report as "not found".
rustup_has_wasm() {
    command -v rustup >/dev/null 2>&1 || return 1
    local targets components
    targets="$(rustup target list --installed 2>/dev/null)" || return 1
    components="$(rustup component list --installed 2>/dev/null)" || return 1
    grep -qx 'wasm32-wasip1' <<<"$targets" && grep -q '^rust-src' <<<"$components"
}

# rustup's cargo, also when the caller's PATH lacks it (non-login shells).
if ! command -v cargo >/dev/null 2>&1 && [[ -x "$HOME/.cargo/bin/cargo" ]]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi
command -v cargo >/dev/null 2>&1 ||
    die "cargo not found: a native Rust toolchain (rustup) is needed for the build helper and the Rust tests"

# tesseract: OCR of pages without a text layer (conductor._ocr); -osd turns sideways scans
# upright, -eng is the default language.
packages=(poppler-utils qpdf pandoc postgresql tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd)
# The sources that plugins/pdf/data/tables.bin is generated from and checked against
# (Adobe's CMaps, the Core14 AFM files), and what lets pdftotext read CJK references.
packages+=(poppler-data python-matplotlib-data)
if rustup_has_wasm; then
    log "wasm toolchain: rustup has wasm32-wasip1 + rust-src"
else
    packages+=(rustc-web cargo-web rust-web-src libstd-rust-web-dev lld-22 wasi-libc)
fi
missing=()
for pkg in "${packages[@]}"; do
    is_installed "$pkg" || missing+=("$pkg")
done
if ((${#missing[@]})); then
    command -v apt-get >/dev/null 2>&1 ||
        die "missing packages ${missing[*]} and no apt-get to install them"
    SUDO=()
    if [[ "$(id -u)" != 0 ]]; then
        command -v sudo >/dev/null 2>&1 || die "missing packages ${missing[*]}; run as root or install them"
        SUDO=(sudo)
    fi
    log "installing Debian packages: ${missing[*]}"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    log "Debian packages present: ${packages[*]}"
fi

# --- 1b. PostgreSQL for the store and queue tests ---------------------------------------------
# A local cluster (Debian's postgresql, any version) started when none is running, and a
# role and database for the tests: the PostgreSQL tests connect to $CONDUCTOR_TEST_PG,
# default postgresql://conductor:conductor@127.0.0.1:5432/conductor_test (each test
# creates and drops its own database there). Skipped when CONDUCTOR_TEST_PG is set (a
# server of your own) or there is no pg_ctlcluster (not Debian).
if [[ -z "${CONDUCTOR_TEST_PG:-}" ]] && command -v pg_lsclusters >/dev/null 2>&1; then
    as_postgres() {
        if [[ "$(id -u)" == 0 ]]; then
            runuser -u postgres -- "$@"
        else
            sudo -u postgres "$@"
        fi
    }
    if [[ -z "$(pg_lsclusters -h 2>/dev/null)" ]]; then
        version="$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -n | tail -1)"
        [[ -n "$version" ]] || die "postgresql is installed but no server version was found"
        log "creating PostgreSQL cluster $version/main"
        ${SUDO[@]+"${SUDO[@]}"} pg_createcluster "$version" main >/dev/null
    fi
    read -r pg_version pg_cluster pg_port pg_status _ < <(pg_lsclusters -h | head -1)
    if [[ "$pg_status" != online* ]]; then
        log "starting PostgreSQL cluster $pg_version/$pg_cluster"
        ${SUDO[@]+"${SUDO[@]}"} pg_ctlcluster "$pg_version" "$pg_cluster" start ||
            die "PostgreSQL cluster $pg_version/$pg_cluster did not start (see /var/log/postgresql)"
    fi
    [[ "$pg_port" == 5432 ]] || log "note: PostgreSQL listens on port $pg_port; set CONDUCTOR_TEST_PG"
    # role and database, idempotently (CREATEDB: each test makes a database of its own)
    as_postgres psql -p "$pg_port" -qtAc "SELECT 1 FROM pg_roles WHERE rolname = 'conductor'" |
        grep -q 1 ||
        as_postgres psql -p "$pg_port" -qc "CREATE ROLE conductor LOGIN CREATEDB PASSWORD 'conductor'"
    as_postgres psql -p "$pg_port" -qtAc "SELECT 1 FROM pg_database WHERE datname = 'conductor_test'" |
        grep -q 1 || as_postgres createdb -p "$pg_port" -O conductor conductor_test
    log "PostgreSQL ready: postgresql://conductor:conductor@127.0.0.1:$pg_port/conductor_test"
fi

# --- 2. Python virtual environment -------------------------------------------------------
PYTHON="${PYTHON:-python3}"
command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found (set PYTHON to a Python >= 3.11)"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
    die "$PYTHON is $("$PYTHON" -V 2>&1); Python >= 3.11 is needed"

VENV="$ROOT/.venv"
if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating .venv with $("$PYTHON" -V 2>&1)"
    if ! "$PYTHON" -m venv "$VENV"; then
        rm -rf "$VENV" # never leave a half-made venv for the next run to trust
        die "$PYTHON -m venv failed (Debian's own python3 needs the python3-venv package)"
    fi
fi

# Re-install when pyproject.toml or the venv's Python changes, or when the install is
# broken (the script is missing, or the editable package does not import).
STAMP="$VENV/.conductor-setup-stamp"
want_stamp="$(
    {
        sha256sum pyproject.toml
        "$VENV/bin/python" -VV
    } | sha256sum | cut -d' ' -f1
)"
if [[ -x "$VENV/bin/conductor" && -f "$STAMP" && "$(cat "$STAMP")" == "$want_stamp" ]] &&
    "$VENV/bin/python" -c 'import conductor' 2>/dev/null; then
    log "Python packages up to date (.venv)"
else
    log "installing the host and its dev, bench and service extras into .venv"
    export PIP_DISABLE_PIP_VERSION_CHECK=1
    "$VENV/bin/python" -m pip install -q -e ".[dev,bench,service]"
    printf '%s\n' "$want_stamp" >"$STAMP"
fi

# --- 3. Plugins --------------------------------------------------------------------------
log "building plugin components"
"$VENV/bin/python" scripts/build_plugins.py

[[ -f host/conductor/_components/pdf.wasm ]] || die "host/conductor/_components/pdf.wasm was not built"
[[ -x "$VENV/bin/conductor" ]] || die ".venv/bin/conductor is missing after the install"
log "ready: .venv/bin/conductor"

# --- Demo ----------------------------------------------------------------------------------
((DEMO)) || exit 0

CORPUS="${CONDUCTOR_CORPUS:-$ROOT/../shared/corpus}"
SAMPLE="$CORPUS/civic/agendaminer__mountain-view.pdf"
if [[ ! -f "$SAMPLE" ]]; then
    log "demo skipped: the corpus is absent ($SAMPLE not found; set CONDUCTOR_CORPUS)"
    exit 0
fi
SAMPLE="$(cd "$(dirname "$SAMPLE")" && pwd)/$(basename "$SAMPLE")"
log "demo: .venv/bin/conductor extract $SAMPLE (first 25 lines)"
# Capture first: piping straight into head would end conductor with SIGPIPE.
if ! out="$("$VENV/bin/conductor" extract "$SAMPLE")"; then
    printf '%s\n' "$out"
    die "the demo extraction failed"
fi
head -n 25 <<<"$out"
log "demo: $(grep -c '^--- PAGE ' <<<"$out") pages extracted"

# Drop-in plugins (HTML, plain text) are built into build/plugins/, a plugin directory
# the host finds through $CONDUCTOR_PLUGIN_PATH, with no host code involved.
export CONDUCTOR_PLUGIN_PATH="$ROOT/build/plugins${CONDUCTOR_PLUGIN_PATH:+:$CONDUCTOR_PLUGIN_PATH}"
log "demo: CONDUCTOR_PLUGIN_PATH=build/plugins .venv/bin/conductor plugins"
"$VENV/bin/conductor" plugins || die "conductor plugins failed"

# The batch pipeline: a few civic PDFs, a DOCX and an HTML agenda into SQLite, then what
# was stored.
DEMO_DB="$ROOT/build/demo.sqlite"
mkdir -p "$ROOT/build"
batch=("$SAMPLE")
for f in "$CORPUS"/civic/agendaminer__palo-alto.pdf "$CORPUS"/civic/civicscraper__eastpaloalto_ca_minutes_2020-01-27.pdf \
    "$CORPUS"/docx/pandoc__headers.docx "$CORPUS"/html/cityscrapersca__lawa_0.html; do
    [[ -f "$f" ]] && batch+=("$f")
done
log "demo: .venv/bin/conductor process ${#batch[@]} documents --db build/demo.sqlite --json"
"$VENV/bin/conductor" process "${batch[@]}" --db "$DEMO_DB" --json || die "the demo batch failed"
log "demo: .venv/bin/conductor show --db build/demo.sqlite"
"$VENV/bin/conductor" show --db "$DEMO_DB"
