#!/usr/bin/env bash
# vendor-web.sh: copies the console's front-end libraries into web/static/vendor/.
#
# Each package is installed with npm, at the exact version and npm integrity hash
# pinned below, into a temporary directory; only the browser builds the console
# loads are copied, with the package's LICENSE and a VERSIONS file. Building
# Liaison then needs only Go: nothing here runs at build time.
#
# Running it twice gives identical files. To update a package, change its
# version and integrity below (`npm view NAME@VERSION dist.integrity`), run this
# script, and review the diff. Needs Node.js and npm.
set -euo pipefail
cd "$(dirname "$0")/.."

dest=web/static/vendor

# name version integrity files (paths inside the package, copied flat)
#
# d3-zoom and d3-geo need their d3 dependencies loaded before them in the
# browser (their UMD builds read them from the global d3), so those are pinned
# and copied too: d3-array for d3-geo; d3-dispatch, d3-drag, d3-color,
# d3-interpolate, d3-ease, d3-timer and d3-transition for d3-zoom.
packages=(
  "htmx.org 2.0.11 sha512-Thx/WtpeOQqSrqBCw/A1cwGJGg4UrVa3+sW0GmrM3p4gJgO89ecH4qtbnyzDDWFvBTqjnIMCgELTNt636dtamA== dist/htmx.min.js"
  "d3-array 3.2.5 sha512-Th8qGXoBalmWsstpkuhmBuTsBQIFqYOJtjlBvNVvBfJ8E3uYusBUwUR8HU20U0qKKQkgCvKyR1YjiozWadk5QA== dist/d3-array.min.js"
  "d3-geo 3.1.2 sha512-5R8ZgDQorIxmauv7R6gpE/ndz+Z0qAZssigq0aXFdvPHdY41RqtW02jrRUQAL724NdPABYXo1+gQEGBBr7uKNg== dist/d3-geo.min.js"
  "d3-selection 3.0.1 sha512-ODSf35vqCrlCfp7hrm0eZjvOosSXSYLjqvIlhMBV9q9VOx7EBJG6pc+uXBswEZNJgCGJ+qnKYcWutbZDIxe/Xg== dist/d3-selection.min.js"
  "d3-dispatch 3.0.2 sha512-sAzH4Y4nsLo8eSqw5jKiZt+LU2wZmL/qS+OkxQGjhwazB/D7TY34R/QK1eshfGr7cZEKymKZ/Haem7m+lu98Sg== dist/d3-dispatch.min.js"
  "d3-drag 3.0.1 sha512-OWeoayCq8J69hUIjvL+Mb6Q6Oaj/fyHV5XaXByEUAG+JUjIfTGDnk3qGpcXrD3VmQ3BSV96fcbM6fqq7C0tbPA== dist/d3-drag.min.js"
  "d3-color 3.1.1 sha512-lfab8x0Bj0UO7SNsY8dZSbNIA6ipbkE3X0NG9nqjCu6CfCHZseuDnOSJY7hidKrjpP++i1M2qT+FlAdPKYRilA== dist/d3-color.min.js"
  "d3-interpolate 3.0.2 sha512-IRzGU62DtxhvsnSTWMQIdnoZ6gA+BCWwBon1EJI6SjoN595799b6z/QRBzXfFhE8iupUPp3042yBNo0STPqnzQ== dist/d3-interpolate.min.js"
  "d3-ease 3.0.2 sha512-B5znKqRmKROAN4oHWQ50W/qisVjA9GXh2WMsVKdFVp4DxWmcrOsweqgUOUVsv5th96kwaZlokU6SlV4J3gak1w== dist/d3-ease.min.js"
  "d3-timer 3.0.2 sha512-1Il1aliroVSErrv5aulRBxAY+7+DnaoLIWGd1C6SsBTWDeobWiP/V69vwb8vT6abR1kKwaNe1196pmaQ1fK90A== dist/d3-timer.min.js"
  "d3-transition 3.0.2 sha512-RcjCsdFgyFoDB+QXLC5m60ZkTN0k9zH+ovoLlTdJnDS1AbfbcuowiM4pCKSTOclNibS4f4J4cbv2m7O7y8NTOQ== dist/d3-transition.min.js"
  "d3-zoom 3.0.1 sha512-kfjD3BDQu/FOatpZ6JdMSyIoDwTxIpI29ySTI2J5ZlDaH1WbuJGQJ2Q9oJkWTEZEW98j6idezoomSD3Cn2zwiw== dist/d3-zoom.min.js"
  "topojson-client 3.1.0 sha512-605uxS6bcYxGXw9qi62XyrV6Q3xwbndjachmNxu8HWTtVPxZfEJN9fd/SZS1Q54Sn2y0TMyMxFj/cJINqGHrKw== dist/topojson-client.min.js"
  "world-atlas 2.0.2 sha512-IXfV0qwlKXpckz1FhwXVwKRjiIhOnWttOskm5CtxMsjgE/MXAYRHWJqgXOpM8IkcPBoXnyTU5lFHcYa5ChG0LQ== countries-110m.json countries-50m.json"
  "cytoscape 3.35.0 sha512-sMvBIXiGMnhkCaWz2R06FwF/27MNlS+Tqvi17foO9UhnUg3XGZccKjxsvEqQFAQYMSSZmN5SxYzUYlQ0DOJJ3g== dist/cytoscape.min.js"
)

for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "vendor-web.sh: $tool is needed (Node.js 20 or later)" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One install of every pinned version, nothing run from the packages.
specs=()
for line in "${packages[@]}"; do
  read -r name version _ <<<"$line"
  specs+=("$name@$version")
done
echo '{"private": true}' >"$tmp/package.json"
(cd "$tmp" && npm install --ignore-scripts --no-audit --no-fund --save-exact --loglevel=error "${specs[@]}") >&2

# Start from nothing but the hand-written README, so a package dropped from the
# list leaves no file behind.
mkdir -p "$dest"
find "$dest" -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +

for line in "${packages[@]}"; do
  read -r name version integrity files <<<"$line"
  pkg="$tmp/node_modules/$name"
  # What npm installed must be what is pinned: the version, and the integrity
  # hash npm checked the tarball against.
  got=$(node -e '
    const [lock, name] = process.argv.slice(1);
    const p = require(lock).packages["node_modules/" + name] || {};
    console.log((p.version || "none") + " " + (p.integrity || "none"));
  ' "$tmp/package-lock.json" "$name")
  if [ "$got" != "$version $integrity" ]; then
    echo "vendor-web.sh: $name: npm installed $got, pinned $version $integrity" >&2
    exit 1
  fi
  repo=$(node -e '
    const p = require(process.argv[1]);
    let u = (p.repository && (p.repository.url || p.repository)) || "";
    u = u.replace(/^git\+/, "").replace(/^git:\/\//, "https://").replace(/\.git$/, "");
    console.log(u);
  ' "$pkg/package.json")
  license=$(node -e 'console.log(require(process.argv[1]).license || "see LICENSE")' "$pkg/package.json")

  out="$dest/$name"
  mkdir -p "$out"
  for f in $files; do
    cp "$pkg/$f" "$out/$(basename "$f")"
  done
  cp "$pkg/LICENSE" "$out/LICENSE"
  {
    echo "name: $name"
    echo "version: $version"
    echo "license: $license"
    echo "integrity: $integrity"
    echo "source: npm package $name@$version (tarball $name-$version.tgz, checked against the integrity above)"
    echo "repository: $repo"
    echo "files:"
    for f in $files; do
      echo "  $(basename "$f") <- package/$f"
    done
  } >"$out/VERSIONS"
  chmod 0644 "$out"/*
done

# The maps' geometry is Natural Earth's, not world-atlas's own: world-atlas's
# ISC licence covers its packaging; the data carry Natural Earth's terms.
cat >"$dest/world-atlas/NATURAL-EARTH" <<'EOF'
countries-110m.json and countries-50m.json are Natural Earth's Admin 0 country
boundaries (version 4.1.0, scales 1:110m and 1:50m) converted to TopoJSON by the
world-atlas package. The LICENSE beside this file (ISC) covers world-atlas; the
map data are Natural Earth's.

Natural Earth is in the public domain: no permission is needed to use it and
crediting its authors is not required. It asks those who cite it to write:

    Made with Natural Earth. Free vector and raster map data @ naturalearthdata.com.

Liaison shows that line wherever it draws these maps. The boundaries are Natural
Earth's depiction; they state no position of Liaison or of any agency using it.
EOF
chmod 0644 "$dest/world-atlas/NATURAL-EARTH"

echo "vendored into $dest:" >&2
du -sh "$dest" >&2
