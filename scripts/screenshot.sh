#!/usr/bin/env bash
# Screenshots of every main view of the real window under Xvfb, for the README and for review:
#   scripts/screenshot.sh [OUT_DIR]        (default docs/screenshots)
# Seeds a throw-away demo profile, dictates a short espeak-ng recording into a note through Whisper
# base (the note shows its first mark to review highlighted), and renders schedule, chart, note, tasks,
# alerts and settings (light theme) plus the schedule and the note in the dark theme, and the clinical
# loop: messages, a prescription's safety checks, results under review and a chart's documents. Needs
# xvfb-run and espeak-ng; nothing touches the user's own profiles.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-docs/screenshots}"
PY=.venv/bin/python
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export CLINICDESK_HOME="$WORK/home" CLINICDESK_PASSWORD="screenshot-password"
unset QT_QPA_PLATFORM  # the xcb platform on the Xvfb display, like a real desktop
mkdir -p "$CLINICDESK_HOME" "$OUT"
printf '{"speech_engine": "whisper", "whisper_model": "base"}\n' > "$CLINICDESK_HOME/settings.json"
"$PY" -m clinicdesk seed --profile "$WORK/profile" --patients 200 --days 14 >/dev/null
DAY="$("$PY" - "$WORK/profile" <<'PYEOF'
import sys
from datetime import timedelta
from pathlib import Path
from app.ops import schedule
from app.workspace import Workspace
from models.enums import AppointmentStatus as S
ws = Workspace.unlock(Path(sys.argv[1]), "screenshot-password")
day = ws.today()
for i in range(10):
    d = day + timedelta(days=i)
    if sum(e.kind == "appointment" and e.status in (S.SCHEDULED, S.CONFIRMED) for e in schedule.day(ws, clinician_id=ws.user.id, day=d).entries) >= 3:
        print(d.isoformat())
        break
ws.close()
PYEOF
)"
"$PY" - "$WORK/dictation.wav" <<'PYEOF'
import subprocess, sys, tempfile
from pathlib import Path
import numpy as np
from audio.wavfile import encode_wav, read_wav
lines = ["Subjective.", "The patient reports a cough and a fever for three days.", "Objective.",
         "Blood pressure one hundred and twenty over eighty, heart rate seventy two.",
         "Weight two hundred and four pounds.", "Assessment.",
         "Acute bronchitis.", "Type two diabetes, stable.", "Plan.", "Start metformin five hundred milligrams twice a day."]
parts = []
with tempfile.TemporaryDirectory() as tmp:
    for i, line in enumerate(lines):
        raw = Path(tmp) / f"{i}.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "140", "-w", str(raw), line], check=True)
        parts += [read_wav(raw), np.zeros(16000, dtype=np.float32)]
Path(sys.argv[1]).write_bytes(encode_wav(np.concatenate(parts)))
PYEOF
shot() {  # view, file, extra args...
  local view="$1" file="$2"; shift 2
  xvfb-run -a -s "-screen 0 1400x900x24" "$PY" -m clinicdesk screenshot --profile "${PROFILE:-$WORK/profile}" \
    --view "$view" --date "$DAY" --size 1280x800 --out "$OUT/$file" "$@"
  echo "wrote $OUT/$file"
}
shot schedule schedule.png
shot chart chart.png
cp -r "$WORK/profile" "$WORK/profile-dark"  # the dark note is dictated into a note of its own
shot note note.png --wav "$WORK/dictation.wav"
PROFILE="$WORK/profile-dark" CLINICDESK_THEME=dark shot note note-dark.png --wav "$WORK/dictation.wav"
shot tasks tasks.png
shot alerts alerts.png
shot settings settings.png
for view in messages safety results documents; do  # each sets its scene up on a copy of its own
  cp -r "$WORK/profile" "$WORK/profile-$view"
  PROFILE="$WORK/profile-$view" shot "$view" "$view.png"
done
CLINICDESK_THEME=dark shot schedule schedule-dark.png
# Day one: the practice record and its wizard, the staff (as the practice's administrator), and the
# front desk's registration (a likely duplicate shown), a patient's record, an import's dry run,
# the week beside the day, a recurring block opened for editing and the identity check at check-in.
cp -r "$WORK/profile" "$WORK/profile-admin"
"$PY" - "$WORK/profile-admin" <<'PYEOF'
import sys
from pathlib import Path
from sqlalchemy import select
from app.store.profile import read_meta, write_meta
from app.workspace import Workspace
from models import User
from models.enums import Role
folder = Path(sys.argv[1])
ws = Workspace.unlock(folder, "screenshot-password")
with ws.reading() as s:
    admin = s.scalars(select(User.username).where(User.role == Role.ADMIN).limit(1)).one()
ws.close()
meta = read_meta(folder)
meta.extra["username"] = admin
write_meta(folder, meta)
PYEOF
for view in practice practice-wizard staff; do
  PROFILE="$WORK/profile-admin" shot "$view" "$view.png"
done
for view in register record import week block checkin; do
  cp -r "$WORK/profile" "$WORK/profile-$view"
  PROFILE="$WORK/profile-$view" shot "$view" "$view.png"
done
