#!/usr/bin/env bash
# Fetches the front-end assets from the npm registry into dangjian/static/vendor/.
# The product runs without Node; this script is run once when a version changes, and its
# output is committed. Versions and licences are listed in dangjian/static/vendor/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=dangjian/static/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fetch() {  # package@version
  (cd "$work" && npm pack --silent "$1" >/dev/null)
  local tgz
  tgz=$(ls "$work"/*.tgz)
  mkdir -p "$work/pkg"
  tar -xzf "$tgz" -C "$work/pkg"
  rm -f "$tgz"
}

rm -rf "$dest" && mkdir -p "$dest"/{bootstrap,bootstrap-icons/fonts,htmx,echarts}

fetch bootstrap@5.3.9
cp "$work"/pkg/package/dist/css/bootstrap.min.css "$dest"/bootstrap/
cp "$work"/pkg/package/dist/js/bootstrap.bundle.min.js "$dest"/bootstrap/
# The source maps are not vendored: a reference to a missing map fails collectstatic's
# manifest storage (debug off), so the references go too.
sed -i '/^\/\/# sourceMappingURL=/d' "$dest"/bootstrap/bootstrap.bundle.min.js
sed -i '/^\/\*# sourceMappingURL=.*\*\/$/d' "$dest"/bootstrap/bootstrap.min.css
cp "$work"/pkg/package/LICENSE "$dest"/bootstrap/LICENSE
rm -rf "$work"/pkg

fetch bootstrap-icons@1.13.2
cp "$work"/pkg/package/font/bootstrap-icons.min.css "$dest"/bootstrap-icons/
cp "$work"/pkg/package/font/fonts/bootstrap-icons.woff2 "$work"/pkg/package/font/fonts/bootstrap-icons.woff "$dest"/bootstrap-icons/fonts/
cp "$work"/pkg/package/LICENSE "$dest"/bootstrap-icons/LICENSE
rm -rf "$work"/pkg

fetch htmx.org@2.0.11
cp "$work"/pkg/package/dist/htmx.min.js "$dest"/htmx/
cp "$work"/pkg/package/LICENSE "$dest"/htmx/LICENSE
rm -rf "$work"/pkg

fetch echarts@5.6.0
cp "$work"/pkg/package/dist/echarts.min.js "$dest"/echarts/
cp "$work"/pkg/package/LICENSE "$dest"/echarts/LICENSE
rm -rf "$work"/pkg

cat > "$dest"/README.md <<'DOC'
# Vendored front-end assets

Fetched from the npm registry by `scripts/vendor-assets.sh`; do not edit by hand.

| package | version | licence | files |
| --- | --- | --- | --- |
| bootstrap | 5.3.9 | MIT | `bootstrap/bootstrap.min.css`, `bootstrap/bootstrap.bundle.min.js` |
| bootstrap-icons | 1.13.2 | MIT | `bootstrap-icons/bootstrap-icons.min.css`, `bootstrap-icons/fonts/` |
| htmx.org | 2.0.11 | 0BSD | `htmx/htmx.min.js` |
| echarts | 5.6.0 | Apache-2.0 | `echarts/echarts.min.js` |
DOC
echo "vendored into $dest"
