#!/usr/bin/env bash
# Builds the .deb with CPack (dependencies by dpkg-shlibdeps) and checks what is inside it, then validates the
# desktop file and the AppStream metainfo.
set -euo pipefail
cd "$(dirname "$0")/.."
# Reuses the CI build (scripts/build.sh) when there is one: only the two executables are (re)built.
build=${PXRD_PACKAGE_BUILD_DIR:-build}
if [ -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -DPXRD_BUILD_UI=ON
else
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPXRD_BUILD_MODELS=${PXRD_BUILD_MODELS:-OFF} \
    -DPXRD_BUILD_UI=ON -DPXRD_BUILD_TESTS=OFF
fi
cmake --build "$build" --target pxrd-diff pxrd-workbench
(cd "$build" && cpack -G DEB)
deb=$(ls -t "$build"/pxrd-diff_*.deb | head -n1)
echo "package: $deb"

desktop-file-validate packaging/io.github.pxrd_diff.Workbench.desktop
appstreamcli validate --no-net packaging/io.github.pxrd_diff.Workbench.metainfo.xml

contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/pxrd-diff ./usr/bin/pxrd-workbench \
  ./usr/share/applications/io.github.pxrd_diff.Workbench.desktop \
  ./usr/share/metainfo/io.github.pxrd_diff.Workbench.metainfo.xml \
  ./usr/share/mime/packages/pxrd-workbench-mime.xml \
  ./usr/share/icons/hicolor/64x64/apps/io.github.pxrd_diff.Workbench.png \
  ./usr/share/icons/hicolor/scalable/apps/io.github.pxrd_diff.Workbench.svg; do
  if ! grep -qF " $f" <<<"$contents"; then
    echo "ci-package: missing from the package: $f" >&2
    exit 1
  fi
done
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for lib in libqt6widgets6 libc6; do
  if ! grep -q "$lib" <<<"$depends"; then
    echo "ci-package: dpkg-shlibdeps did not list $lib" >&2
    exit 1
  fi
done
echo "ci-package: ok"
