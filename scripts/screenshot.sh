#!/usr/bin/env bash
# Screenshots of the real main window under Xvfb, on a freshly seeded demo profile:
#   scripts/screenshot.sh   -> docs/screenshots/{schedule,schedule-past-day,chart}.png
# The profile lives in a temporary folder (CLINICDESK_HOME) and is deleted afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN="$ROOT/.venv/bin"
OUT="$ROOT/docs/screenshots"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export CLINICDESK_HOME="$WORK/home"
export CLINICDESK_PASSWORD="screenshot-demo"
unset QT_QPA_PLATFORM  # the xcb platform on the Xvfb display, like a real desktop

PROFILE="$CLINICDESK_HOME/profiles/demo"
"$BIN/clinicdesk" seed --profile "$PROFILE" --patients 200 --days 14
# the first weekday from today and the last one before it, in the practice's timezone (closed at
# weekends), and a patient of that day whose chart shows allergies and conditions
read -r DAY PAST MRN < <("$BIN/python" - "$PROFILE" <<'PY'
import sys
from datetime import timedelta
from pathlib import Path
from clinicdesk.app.demo import practice_today
from clinicdesk.app.workspace import Workspace

day = practice_today()
while day.isoweekday() > 5:
    day += timedelta(days=1)
past = day - timedelta(days=1)
while past.isoweekday() > 5:
    past -= timedelta(days=1)
ws = Workspace.unlock(Path(sys.argv[1]), "screenshot-demo")
try:
    mrns = [e.mrn for e in ws.schedule(day).entries if e.kind == "appointment"]
    best = mrns[0]
    for mrn in mrns:
        chart = ws.patient_chart(ws.search_patients(mrn)[0].id)
        if chart.allergies and any(c["status"] != "resolved" for c in chart.conditions):
            best = mrn
            break
finally:
    ws.close()
print(day.isoformat(), past.isoformat(), best)
PY
)
mkdir -p "$OUT"
shoot() {
    xvfb-run -a -s "-screen 0 1400x900x24" \
        "$BIN/clinicdesk" screenshot --profile "$PROFILE" --size 1280x800 "$@"
}
shoot --view schedule --date "$DAY" --out "$OUT/schedule.png"
shoot --view schedule --date "$PAST" --out "$OUT/schedule-past-day.png"
shoot --view chart --date "$DAY" --patient "$MRN" --out "$OUT/chart.png"
ls -l "$OUT"
