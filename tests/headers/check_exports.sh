#!/bin/sh
# Usage: check_exports.sh LIBKDBX_SO SOURCE_DIR
# Fails, listing the differences, unless these three sets are equal:
#   declared  KDBX_EXTERN declarations in include/ (scripts/update-export-map --list)
#   mapped    the global: names of src/kdbx.map
#   exported  nm -D --defined-only LIBKDBX_SO (version tags stripped)
# and src/kdbx.map is byte-for-byte what scripts/update-export-map would write.
# Env: CC, NM (defaults cc, nm).
set -u
LIB=$1
ROOT=$2
NM=${NM:-nm}
MAP=$ROOT/src/kdbx.map
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

"$ROOT/scripts/update-export-map" --list >"$tmp/declared" || exit 1
# Names between "global:" and "local:", comments removed.
sed -e 's:/\*.*\*/::' -e '/\/\*/,/\*\//d' "$MAP" |
	awk '/global:/ { g = 1; next } /local:/ { g = 0 } g' |
	tr -d ' \t;' | grep -v '^$' | LC_ALL=C sort >"$tmp/mapped"
# Only code and data symbols: the version node itself (KDBX_0, type A) is not an export.
"$NM" -D --defined-only "$LIB" | awk '$2 ~ /^[TtDdBbRrVvWwiu]$/ { print $3 }' |
	sed 's/@.*//' | LC_ALL=C sort -u >"$tmp/exported"

compare() { # compare A_NAME A_FILE B_NAME B_FILE
	only_a=$(LC_ALL=C comm -23 "$2" "$4")
	only_b=$(LC_ALL=C comm -13 "$2" "$4")
	if [ -n "$only_a" ]; then
		echo "in $1 but not in $3:"
		echo "$only_a" | sed 's/^/  /'
		status=1
	fi
	if [ -n "$only_b" ]; then
		echo "in $3 but not in $1:"
		echo "$only_b" | sed 's/^/  /'
		status=1
	fi
}
compare "the headers (KDBX_EXTERN)" "$tmp/declared" "libkdbx.so (nm -D)" "$tmp/exported"
compare "the headers (KDBX_EXTERN)" "$tmp/declared" "src/kdbx.map" "$tmp/mapped"

"$ROOT/scripts/update-export-map" --print >"$tmp/expected_map" || exit 1
if ! cmp -s "$tmp/expected_map" "$MAP"; then
	echo "src/kdbx.map is not what scripts/update-export-map generates:"
	diff -u "$MAP" "$tmp/expected_map" | sed 's/^/  /'
	status=1
fi

if [ $status -ne 0 ]; then
	echo "FAIL: run scripts/update-export-map, define every declared function, and keep"
	echo "      internal functions out of include/ (see docs/writing-a-provider.md)."
else
	echo "OK: $(wc -l <"$tmp/declared") symbols declared, mapped and exported"
fi
exit $status
