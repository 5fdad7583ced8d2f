#!/usr/bin/env bash
# Builds ClinicDesk.app and ClinicDesk-<version>.dmg on macOS; signs and notarises them when the
# identity is in the environment.
#
#   packaging/macos/build-macos.sh [--whisper-model DIR [--whisper-name tiny.en|base]]... [--vosk-model DIR]
#
# Environment (all optional; each step is skipped with a message when its variables are unset):
#   CODESIGN_IDENTITY   "Developer ID Application: Name (TEAMID)", a certificate in the keychain.
#                       Without it the app is signed ad hoc and runs only on the Mac that built it.
#   APPLE_ID, APPLE_TEAM_ID, APPLE_APP_PASSWORD
#                       notarisation with notarytool (an app-specific password of that Apple ID);
#                       needs CODESIGN_IDENTITY too. Gatekeeper refuses un-notarised downloads.
#   PYTHON              the Python with the app's dependencies and PyInstaller (default: python3)
#
# Output: dist/ClinicDesk.app, dist/ClinicDesk-<version>.dmg (dist/clinicdesk/ is the intermediate
# one-folder build the .app is made from).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-python3}"
DIST="$ROOT/dist"
WORK="$ROOT/build/pyinstaller-macos"
ICONS="$ROOT/build/icons"
SPEC_ARGS=()

while [[ $# -gt 0 ]]; do
    case "$1" in
        --whisper-model|--vosk-model|--whisper-name)
            [[ $# -ge 2 ]] || { echo "build-macos.sh: $1 needs a value" >&2; exit 2; }
            SPEC_ARGS+=("$1" "$2"); shift 2 ;;
        -h|--help) sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "build-macos.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

[[ "$(uname -s)" == "Darwin" ]] || { echo "build-macos.sh: run this on macOS (hdiutil, codesign)" >&2; exit 2; }
cd "$ROOT"
VERSION="$("$PYTHON" -c 'import clinicdesk; print(clinicdesk.__version__)')"
APP="$DIST/ClinicDesk.app"
DMG="$DIST/ClinicDesk-$VERSION.dmg"

# 1. the .app (PyInstaller signs it: with CODESIGN_IDENTITY and the hardened runtime, or ad hoc)
"$PYTHON" packaging/make_icons.py "$ICONS"
if [[ -z "${CODESIGN_IDENTITY:-}" ]]; then
    echo "build-macos.sh: CODESIGN_IDENTITY is not set: signing ad hoc (not for distribution)"
fi
"$PYTHON" -m PyInstaller packaging/clinicdesk.spec --noconfirm --log-level WARN \
    --distpath "$DIST" --workpath "$WORK" -- --icons "$ICONS" "${SPEC_ARGS[@]+"${SPEC_ARGS[@]}"}"
"$APP/Contents/MacOS/clinicdesk" --version
/usr/libexec/PlistBuddy -c "Print :NSMicrophoneUsageDescription" "$APP/Contents/Info.plist" >/dev/null \
    || { echo "build-macos.sh: Info.plist lacks NSMicrophoneUsageDescription" >&2; exit 1; }
# the macOS the app promises is ours (14.0: the arm64 numpy/onnxruntime/av wheels need it), not a default
MINIMUM="$(/usr/libexec/PlistBuddy -c "Print :LSMinimumSystemVersion" "$APP/Contents/Info.plist")"
[[ "$MINIMUM" == "$(/usr/libexec/PlistBuddy -c "Print :LSMinimumSystemVersion" packaging/macos/Info.plist)" ]] \
    || { echo "build-macos.sh: the app says macOS $MINIMUM, not packaging/macos/Info.plist's" >&2; exit 1; }
echo "build-macos.sh: ClinicDesk.app runs on macOS $MINIMUM or later"
codesign --verify --deep --strict --verbose=2 "$APP"

# 2. the disk image: the app and a link to /Applications, to drag it onto
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
rm -f "$DMG"
hdiutil create -volname "ClinicDesk $VERSION" -srcfolder "$STAGE" -fs HFS+ -format UDZO -ov "$DMG"

if [[ -z "${CODESIGN_IDENTITY:-}" ]]; then
    echo "build-macos.sh: built $DMG (unsigned: set CODESIGN_IDENTITY to sign, APPLE_* to notarise)"
    exit 0
fi
codesign --sign "$CODESIGN_IDENTITY" --timestamp "$DMG"

# 3. notarisation: Apple scans the signed image; the ticket is stapled so Gatekeeper needs no network
if [[ -z "${APPLE_ID:-}" || -z "${APPLE_TEAM_ID:-}" || -z "${APPLE_APP_PASSWORD:-}" ]]; then
    echo "build-macos.sh: APPLE_ID / APPLE_TEAM_ID / APPLE_APP_PASSWORD not all set: skipping notarisation"
    echo "build-macos.sh: built and signed $DMG (not notarised: Gatekeeper will warn on other Macs)"
    exit 0
fi
xcrun notarytool submit "$DMG" --apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" \
    --password "$APPLE_APP_PASSWORD" --wait --timeout 30m
xcrun stapler staple "$DMG"
xcrun stapler validate "$DMG"
spctl --assess --type open --context context:primary-signature --verbose "$DMG"
echo "build-macos.sh: built, signed and notarised $DMG"
