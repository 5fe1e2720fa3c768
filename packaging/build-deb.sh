#!/usr/bin/env bash
# Build the frozen app (PyInstaller, one folder) and a .deb and a tarball from it.
# Usage: bash packaging/build-deb.sh        (after `bash tests/run` made .venv)
# Output: build/gravy-desktop_<version>_<arch>.deb and build/gravy-desktop-<version>-linux-<arch>.tar.gz
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
[ -x "$PY" ] || { echo "run 'bash tests/run' (or create .venv) first" >&2; exit 2; }
"$PY" -m pip install -q -e '.[package]'

VERSION=$("$PY" -c 'import desktop; print(desktop.__version__)')
ARCH=$(dpkg --print-architecture 2>/dev/null || echo amd64)
rm -rf build/dist build/work build/deb
.venv/bin/pyinstaller --noconfirm --log-level WARN \
  --distpath build/dist --workpath build/work packaging/gravy-desktop.spec

ROOT=build/deb/gravy-desktop_${VERSION}_${ARCH}
mkdir -p "$ROOT/DEBIAN" "$ROOT/opt" "$ROOT/usr/bin" \
  "$ROOT/usr/share/applications" "$ROOT/usr/share/icons/hicolor/scalable/apps"
cp -a build/dist/gravy-desktop "$ROOT/opt/gravy-desktop"
ln -s /opt/gravy-desktop/gravy-desktop "$ROOT/usr/bin/gravy-desktop"
install -m 644 packaging/linux/gravy-desktop.desktop "$ROOT/usr/share/applications/"
install -m 644 packaging/linux/gravy-desktop.svg "$ROOT/usr/share/icons/hicolor/scalable/apps/"
INSTALLED_KB=$(du -sk "$ROOT" | cut -f1)
# Qt 6's xcb platform plugin needs these at run time (libxcb-cursor0 above all); the rest
# of the app is inside /opt/gravy-desktop.
cat > "$ROOT/DEBIAN/control" <<CONTROL
Package: gravy-desktop
Version: ${VERSION}
Section: editors
Priority: optional
Architecture: ${ARCH}
Maintainer: Gravy Desktop maintainers <maintainers@gravy.invalid>
Installed-Size: ${INSTALLED_KB}
Depends: libc6 (>= 2.35), libxcb-cursor0, libxcb-icccm4, libxcb-image0, libxcb-keysyms1, libxcb-randr0, libxcb-render-util0, libxcb-shape0, libxcb-xfixes0, libxcb-xinerama0, libxcb-xkb1, libxkbcommon0, libxkbcommon-x11-0, libegl1, libfontconfig1, libfreetype6, libglib2.0-0, libdbus-1-3
Recommends: gnome-keyring | kwalletmanager
Description: Offline-first template editor that syncs to Amazon DynamoDB
 Write rich-text templates with [[variables]], snippets, variable presets and
 pages; everything is saved locally first and synced to the DynamoDB tables the
 GravyJS and Page Manager web apps use.
CONTROL
cat > "$ROOT/DEBIAN/postinst" <<'POSTINST'
#!/bin/sh
set -e
command -v update-desktop-database >/dev/null && update-desktop-database -q /usr/share/applications || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q /usr/share/icons/hicolor || true
exit 0
POSTINST
chmod 755 "$ROOT/DEBIAN/postinst"
dpkg-deb --root-owner-group --build "$ROOT" "build/gravy-desktop_${VERSION}_${ARCH}.deb" >/dev/null
tar -C build/dist -czf "build/gravy-desktop-${VERSION}-linux-${ARCH}.tar.gz" gravy-desktop
echo "build/gravy-desktop_${VERSION}_${ARCH}.deb"
