#!/usr/bin/env bash
# Set-up step of the bundle's slow test (make test-slow): a minimal Debian 12 root with only the
# Qt runtime libraries of packaging/debian-packages.txt (its "Qt runtime" block, fonts included)
# and no Python, cached as a tarball under /var/tmp keyed by that package list.
# Uses deb.debian.org once; the test itself only unpacks the tarball (no network).
# Prints the tarball's path. Needs root and debootstrap; without them it says so and exits 0
# (the test then skips, naming this script). --cached-only: print the path only if it is cached.
set -euo pipefail
cached_only=
if [ "${1:-}" = --cached-only ]; then cached_only=1; shift; fi
here=$(cd "$(dirname "$0")" && pwd)
list=${1:-$here/../debian-packages.txt}
cache=${BOOTIMAGE_TEST_ROOT_CACHE:-/var/tmp}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# The "# Qt runtime" block: from its comment line up to the next comment line.
mapfile -t qt < <(awk '/^# Qt runtime/{on=1; next} /^#/{on=0} on && NF {print $1}' "$list" | sort -u)
if [ ${#qt[@]} -eq 0 ]; then
    echo "no '# Qt runtime' block in $list" >&2
    exit 1
fi
suite=bookworm
variant=minbase
# The key: what the root is made of (suite, variant, packages); bump "layout" when this script
# changes what it puts into the root.
key=$( (echo "layout 1 $suite $variant"; printf '%s\n' "${qt[@]}") | sha256sum | cut -c1-12)
tarball=$cache/bootimage-bundle-testroot-$suite-$key.tar.gz
if [ -s "$tarball" ]; then
    echo "$tarball"
    exit 0
fi
if [ -n "$cached_only" ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v debootstrap >/dev/null 2>&1; then
    echo "note: the bundle's Debian 12 test root needs root and debootstrap (apt-get install debootstrap); skipped" >&2
    exit 0
fi
work=$(mktemp -d "$cache/bootimage-bundle-testroot.XXXXXX")
trap 'rm -rf "$work"' EXIT
include=$(IFS=,; echo "${qt[*]}")
echo "debootstrap $suite ($variant) + ${qt[*]} into $work/root" >&2
debootstrap --variant="$variant" --include="$include" "$suite" "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"*_Packages
tar -C "$work/root" -czf "$work/root.tar.gz" .
mv "$work/root.tar.gz" "$tarball"
echo "$tarball"
