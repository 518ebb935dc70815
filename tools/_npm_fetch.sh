# Sourced by tools/vendor_axe.sh and tools/vendor_mathjax.sh: what they share.
#
# vendored DEST VERSION FILE
#   True when DEST holds FILE and the stamp DEST/.version says VERSION (nothing to do).
#
# npm_fetch TOOL NAME PACKAGE VERSION SHA256 DIR
#   Fetch PACKAGE@VERSION from the npm registry with `npm pack` into DIR, check the
#   tarball against the pinned SHA256 and unpack it (DIR/package/). On any failure,
#   say why (TOOL: the script, NAME: the package as people call it) and exit 1.

npm_fetch() {
    local tool=$1 name=$2 package=$3 version=$4 sha256=$5 dir=$6
    if ! command -v npm >/dev/null; then
        echo "$tool: npm is needed to fetch $name $version (install Node.js and npm)" >&2
        exit 1
    fi
    echo "$tool: fetching $package@$version from the npm registry"
    (cd "$dir" && npm pack "$package@$version" --silent >/dev/null 2>"$dir/npm.log") || {
        cat "$dir/npm.log" >&2
        echo "$tool: npm pack $package@$version failed" >&2
        exit 1
    }
    local tarball="$dir/$package-$version.tgz"
    echo "$sha256  $tarball" | sha256sum --check --quiet - || {
        echo "$tool: checksum mismatch for $package-$version.tgz" >&2
        exit 1
    }
    tar -xzf "$tarball" -C "$dir"
}

vendored() {
    [[ -f "$1/.version" && "$(cat "$1/.version")" == "$2" && -f "$1/$3" ]]
}
