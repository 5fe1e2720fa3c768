#!/usr/bin/env bash
# macOS: an .app bundle in a .dmg, ready for signing (see packaging/README.md).
# Usage: bash packaging/macos/build-dmg.sh   (on macOS, with .venv made by `bash tests/run`)
# Signing and notarisation need an Apple Developer ID; set CODESIGN_IDENTITY to sign.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
"$PY" -m pip install -q -e '.[package]'
VERSION=$("$PY" -c 'import desktop; print(desktop.__version__)')
rm -rf build/dist build/work
# The spec's one-folder build, wrapped in an .app by PyInstaller's BUNDLE step.
GRAVY_MACOS_BUNDLE=1 .venv/bin/pyinstaller --noconfirm --log-level WARN \
  --distpath build/dist --workpath build/work packaging/gravy-desktop.spec
APP="build/dist/Gravy Desktop.app"
if [ -n "${CODESIGN_IDENTITY:-}" ]; then
  codesign --deep --force --options runtime --timestamp --sign "$CODESIGN_IDENTITY" "$APP"
fi
"$APP/Contents/MacOS/gravy-desktop" --self-test
hdiutil create -volname "Gravy Desktop" -srcfolder "$APP" -ov -format UDZO \
  "build/gravy-desktop-${VERSION}-macos.dmg"
echo "build/gravy-desktop-${VERSION}-macos.dmg"
