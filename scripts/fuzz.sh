#!/usr/bin/env bash
# Coverage-guided fuzzing (cargo-fuzz, libFuzzer) of a plugin's native entry points.
#
#   bash scripts/fuzz.sh PLUGIN [SECONDS] [LIBFUZZER ARGS...]   # e.g. fuzz.sh pdf 600
#   bash scripts/fuzz.sh all [SECONDS]                          # every target (CI: all 30)
#
# PLUGIN is a folder plugins/PLUGIN/fuzz/ (a cargo-fuzz project); every target in it runs
# for SECONDS (default 60), one after the other. For each target this script:
#   1. installs cargo-fuzz when missing (cargo install --locked) and builds the target
#      with rustup's stable toolchain (RUSTC_BOOTSTRAP=1 lets it take cargo-fuzz's -Z
#      flags): release, debug assertions, AddressSanitizer, into target/fuzz/;
#   2. seeds the working corpus target/fuzz-corpus/PLUGIN/TARGET/ (gitignored) from the
#      shared corpus ($CONDUCTOR_CORPUS, default ../shared/corpus) as the lines of
#      plugins/PLUGIN/fuzz/seeds list them (`pdf-edge/*.pdf`; `pdftotext:civic/*.pdf`
#      for the text of those PDFs, `qpdf-pages:` for their pages one a file), and adds
#      plugins/PLUGIN/fuzz/regressions/ (the committed inputs of crashes already fixed);
#   3. runs libFuzzer for SECONDS with -rss_limit_mb=2048 -timeout=10 (an input taking
#      longer than 10 s or 2 GB is a finding, like a crash), then the flags listed in
#      plugins/PLUGIN/fuzz/args, then LIBFUZZER ARGS; the log goes to
#      target/fuzz-logs/PLUGIN-TARGET.log;
#   4. prints the executions, exec/s and corpus size, and the path of any crash, timeout
#      or out-of-memory input (saved in target/fuzz-artifacts/PLUGIN/TARGET/).
# Exits non-zero when any target found something or could not be built.
#
# Replay a saved input: target/fuzz/x86_64-unknown-linux-gnu/release/TARGET FILE
# Minimize it:          RUSTC_BOOTSTRAP=1 cargo fuzz tmin --fuzz-dir plugins/PLUGIN/fuzz \
#                           --target-dir target/fuzz TARGET FILE
# then keep it in plugins/PLUGIN/fuzz/regressions/ and replay it in a native test
# (plugins/docx/tests/fuzz_regressions.rs replays that folder; copy it for another plugin).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

usage() {
    sed -n '2,28p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

log() { printf 'fuzz: %s\n' "$*"; }

plugins_with_fuzz() {
    local dir
    for dir in plugins/*/fuzz; do
        [[ -f "$dir/Cargo.toml" ]] && basename "$(dirname "$dir")"
    done
}

if (($# < 1)) || [[ "$1" == -h || "$1" == --help ]]; then
    usage
    exit $(($# < 1 ? 2 : 0))
fi
WHAT="$1"
SECONDS_EACH="${2:-60}"
shift $(($# < 2 ? $# : 2))
EXTRA=("$@")
if ! [[ "$SECONDS_EACH" =~ ^[0-9]+$ ]] || ((SECONDS_EACH < 1)); then
    log "error: SECONDS must be a positive whole number, not '$SECONDS_EACH'" >&2
    exit 2
fi

if [[ "$WHAT" == all ]]; then
    mapfile -t PLUGINS < <(plugins_with_fuzz)
elif [[ -f "plugins/$WHAT/fuzz/Cargo.toml" ]]; then
    PLUGINS=("$WHAT")
else
    log "error: no fuzz project plugins/$WHAT/fuzz/ (have: $(plugins_with_fuzz | xargs) or all)" >&2
    exit 2
fi

# rustup's cargo, also when the caller's PATH lacks it (setup.sh does the same).
if ! command -v cargo >/dev/null 2>&1 && [[ -x "$HOME/.cargo/bin/cargo" ]]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    log "installing cargo-fuzz (cargo install cargo-fuzz --locked)"
    cargo install cargo-fuzz --locked
fi

export RUSTC_BOOTSTRAP=1
TARGET_DIR="$ROOT/target/fuzz"
BIN_DIR="$TARGET_DIR/x86_64-unknown-linux-gnu/release"
CORPUS="${CONDUCTOR_CORPUS:-$ROOT/../shared/corpus}"
# 16 codegen units build about twice as fast as cargo-fuzz's default of 1, for a few
# percent of speed; the same value for build and run, so nothing is built twice.
BUILD_FLAGS=(--target-dir "$TARGET_DIR" --codegen-units 16)

# Copies the shared-corpus files that plugins/$1/fuzz/seeds names into directory $2. A
# line is a glob under the corpus, optionally after a converter: `pdftotext:` keeps the
# PDFs' text (pages split by form feeds), `qpdf-pages:` splits PDFs into one file a page
# (short runs: a 22-page agenda takes seconds per execution, one of its pages 50 ms). A
# converter that is not installed falls back to the file itself (qpdf) or skips (pdftotext).
seed() {
    local plugin="$1" out="$2" line pattern file name
    local list="plugins/$plugin/fuzz/seeds"
    [[ -f "$list" ]] || return 0
    if [[ ! -d "$CORPUS" ]]; then
        log "no corpus at $CORPUS (set CONDUCTOR_CORPUS): starting from the regression inputs alone"
        return 0
    fi
    while read -r line; do
        [[ -z "$line" || "$line" == \#* ]] && continue
        pattern="${line#*:}"
        for file in "$CORPUS"/$pattern; do
            [[ -f "$file" ]] || continue
            name="$(basename "$file")"
            case "$line" in
                pdftotext:*)
                    if ! command -v pdftotext >/dev/null 2>&1; then
                        log "pdftotext not found: skipping the seeds $line"
                        break
                    fi
                    [[ -e "$out/$name.txt" ]] || pdftotext -q "$file" "$out/$name.txt" || true
                    ;;
                qpdf-pages:*)
                    if command -v qpdf >/dev/null 2>&1; then
                        [[ -e "$out/${name%.pdf}-p1.pdf" || -e "$out/${name%.pdf}-p01.pdf" ]] ||
                            qpdf --split-pages=1 "$file" "$out/${name%.pdf}-p%d.pdf" 2>/dev/null || true
                    else
                        [[ -e "$out/$name" ]] || install -m 0644 "$file" "$out/$name"
                    fi
                    ;;
                *) [[ -e "$out/$name" ]] || install -m 0644 "$file" "$out/$name" ;;
            esac
        done
    done <"$list"
}

# Runs one target; prints its figures; returns non-zero on a finding.
run_target() {
    local plugin="$1" target="$2"
    local corpus_dir="$ROOT/target/fuzz-corpus/$plugin/$target"
    local artifacts="$ROOT/target/fuzz-artifacts/$plugin/$target"
    local logfile="$ROOT/target/fuzz-logs/$plugin-$target.log"
    mkdir -p "$corpus_dir" "$artifacts" "$(dirname "$logfile")"
    seed "$plugin" "$corpus_dir"
    local before
    before="$(ls "$artifacts")"

    log "$plugin/$target: fuzzing for ${SECONDS_EACH}s (log: ${logfile#"$ROOT"/})"
    # The project's own libFuzzer flags (plugins/PLUGIN/fuzz/args: -max_len, -dict, one a
    # line), then the caller's, which win.
    local args=()
    if [[ -f "plugins/$plugin/fuzz/args" ]]; then
        mapfile -t args < <(grep -v '^\(#.*\)\?$' "plugins/$plugin/fuzz/args")
    fi
    # Kept crash inputs join the corpus; git keeps no empty folder, so it may be missing.
    local dirs=("$corpus_dir")
    [[ -d "plugins/$plugin/fuzz/regressions" ]] && dirs+=("plugins/$plugin/fuzz/regressions")
    local rc=0
    "$BIN_DIR/$target" "${dirs[@]}" \
        -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="$artifacts/" \
        ${args[@]+"${args[@]}"} ${EXTRA[@]+"${EXTRA[@]}"} >"$logfile" 2>&1 || rc=$?

    local runs rate found
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$logfile" | tail -n 1)"
    rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$logfile" | tail -n 1)"
    found="$(comm -13 <(printf '%s\n' "$before") <(ls "$artifacts") |
        grep -E '^(crash|timeout|oom|leak)-' || true)"
    log "$plugin/$target: ${runs:-?} executions in ${SECONDS_EACH}s (${rate:-?} exec/s)," \
        "corpus $(find "$corpus_dir" -type f | wc -l) files"
    if ((rc == 0)) && [[ -z "$found" ]]; then
        log "$plugin/$target: no crash"
        return 0
    fi
    tail -n 40 "$logfile" | sed 's/^/    /'
    log "$plugin/$target: FOUND A CRASH (libFuzzer exit $rc); input saved at:"
    local f
    for f in $found; do
        log "    ${artifacts#"$ROOT"/}/$f"
    done
    [[ -n "$found" ]] || log "    (no input saved; see the log)"
    return 1
}

failed=()
for plugin in "${PLUGINS[@]}"; do
    fuzz_dir="plugins/$plugin/fuzz"
    mapfile -t targets < <(cargo fuzz list --fuzz-dir "$fuzz_dir")
    for target in "${targets[@]}"; do
        log "$plugin/$target: building"
        if ! cargo fuzz build --fuzz-dir "$fuzz_dir" "${BUILD_FLAGS[@]}" "$target"; then
            log "$plugin/$target: BUILD FAILED"
            failed+=("$plugin/$target (build)")
            continue
        fi
        run_target "$plugin" "$target" || failed+=("$plugin/$target")
    done
done

if ((${#failed[@]})); then
    log "findings or failures: ${failed[*]}"
    exit 1
fi
log "every target ran clean: ${PLUGINS[*]}"
