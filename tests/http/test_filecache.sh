#!/bin/bash
# test_filecache.sh: http-filed keeps small files in memory per worker; a
# file changed, deleted or replaced on disk must never be served stale,
# and a replacement by a symlink out of the root must not leak the
# target. A precompressed sibling that appears is picked up within a few
# seconds (the cache rechecks entries once a second).
. "$(dirname "$0")/../lib.sh"
need_binaries
make_docroot
W=$T/www
printf 'version one\n' >"$W/c.txt"
touch -d '2021-05-05 05:05:05 UTC' "$W/c.txt"
start_httpd || finish

# get_body PATH [curl args]: the body only.
get_body() { http "$@"; cat "$T/b"; }
# poll_until NAME SECONDS EXPECTED PATH [curl args]: the body of PATH must
# become EXPECTED within SECONDS.
poll_until() {
	local name=$1 secs=$2 want=$3 body deadline
	shift 3
	deadline=$((SECONDS + secs))
	while :; do
		body=$(get_body "$@")
		[ "$body" = "$want" ] && break
		[ $SECONDS -ge $deadline ] && break
		sleep 0.1
	done
	assert_eq "$name" "$want" "$body"
}

assert_eq "first read" "version one" "$(get_body /c.txt)"
assert_eq "second read (from the cache)" "version one" "$(get_body /c.txt)"

# same size, same mtime, new bytes: only ctime and the content differ
printf 'version two\n' >"$W/c.txt"
touch -d '2021-05-05 05:05:05 UTC' "$W/c.txt"
assert_eq "same size and mtime, new content: served at once" "version two" \
	"$(get_body /c.txt)"

# a longer content
printf 'version three, longer\n' >"$W/c.txt"
assert_eq "new size: served at once" "version three, longer" "$(get_body /c.txt)"
assert_eq "new size: Content-Length" 22 "$(hdr Content-Length)"

# replaced by rename (a new inode), as deploy tools do
printf 'version four\n' >"$W/c.txt.new"
mv "$W/c.txt.new" "$W/c.txt"
assert_eq "replaced by rename: served at once" "version four" "$(get_body /c.txt)"

# deleted
rm "$W/c.txt"
http /c.txt
assert_eq "deleted: 404 at once" 404 "$STATUS"

# replaced by a symlink out of the root
printf 'cached inside\n' >"$W/d.txt"
get_body /d.txt >/dev/null
get_body /d.txt >/dev/null
rm "$W/d.txt"
ln -s "$T/secret.txt" "$W/d.txt"
http /d.txt
assert_eq "replaced by a symlink out of the root: 404" 404 "$STATUS"
assert_no_match "replaced by a symlink out of the root: not the target" \
	'outside the root' "$(cat "$T/b")"
assert_no_match "replaced by a symlink out of the root: not the old bytes" \
	'cached inside' "$(cat "$T/b")"

# a directory on the way replaced by a symlink out of the root
mkdir -p "$W/dd" "$T/elsewhere"
printf 'in dd\n' >"$W/dd/f.txt"
printf 'in elsewhere\n' >"$T/elsewhere/f.txt"
get_body /dd/f.txt >/dev/null
rm -r "$W/dd"
ln -s "$T/elsewhere" "$W/dd"
http /dd/f.txt
assert_eq "directory replaced by a symlink out: 404" 404 "$STATUS"
assert_no_match "directory replaced by a symlink out: no content" \
	'in dd|in elsewhere' "$(cat "$T/b")"

# a file replaced by a directory
printf 'a file\n' >"$W/e"
get_body /e >/dev/null
rm "$W/e"
mkdir "$W/e"
printf 'index of e\n' >"$W/e/index.html"
http /e
assert_eq "file replaced by a directory: 301" 301 "$STATUS"

# conditional requests follow the new content
printf 'etag one\n' >"$W/g.txt"
http /g.txt
e1=$(hdr ETag)
printf 'etag two, longer\n' >"$W/g.txt"
http /g.txt -H "If-None-Match: $e1"
assert_eq "changed file: the old ETag gives 200, not 304" 200 "$STATUS"

# precompressed siblings appear, change and go
for i in $(seq 1 50); do echo "let x$i = $i;"; done >"$W/late.js"
get_body /late.js -H 'Accept-Encoding: gzip' >/dev/null
gzip -9 -n -c "$W/late.js" >"$W/late.js.gz"
deadline=$((SECONDS + 5))
until http /late.js -H 'Accept-Encoding: gzip' &&
	[ "$(hdr Content-Encoding)" = gzip ] || [ $SECONDS -ge $deadline ]; do
	sleep 0.1
done
assert_eq "a .gz that appears is used within 5 s" gzip "$(hdr Content-Encoding)"
if cmp -s "$W/late.js.gz" "$T/b"; then ok "the new .gz's bytes"; else
	fail "the new .gz's bytes" "differ"; fi
# the .gz changes: never its old bytes
printf 'not really gzip, but new bytes\n' >"$W/late.js.gz"
http /late.js -H 'Accept-Encoding: gzip'
if cmp -s "$W/late.js.gz" "$T/b"; then ok "a changed .gz is served at once"
else fail "a changed .gz is served at once" "old bytes served"; fi
# the .gz goes: the plain file
rm "$W/late.js.gz"
http /late.js -H 'Accept-Encoding: gzip'
if cmp -s "$W/late.js" "$T/b" && [ -z "$(hdr Content-Encoding)" ]; then
	ok "a removed .gz is not served"
else fail "a removed .gz is not served" \
	"Content-Encoding [$(hdr Content-Encoding)], $(stat -c %s "$T/b") bytes"; fi
# the plain file changes while its .gz is cached: both stay consistent
gzip -9 -n -c "$W/late.js" >"$W/late.js.gz"
poll_until "gzip variant back" 5 "$(gzip -dc "$W/late.js.gz")" /late.js \
	--compressed -H 'Accept-Encoding: gzip'

# just above and below the small-file size
head -c 32768 /dev/urandom >"$W/s32k.bin"
head -c 32769 /dev/urandom >"$W/s32k1.bin"
for f in s32k.bin s32k1.bin; do
	http "/$f"
	http "/$f"
	if cmp -s "$W/$f" "$T/b"; then ok "$f twice: bytes"; else
		fail "$f twice: bytes" "differ"; fi
	size=$(stat -c %s "$W/$f")
	head -c "$size" /dev/urandom >"$W/$f"
	http "/$f"
	if cmp -s "$W/$f" "$T/b"; then ok "$f rewritten: new bytes"; else
		fail "$f rewritten: new bytes" "stale"; fi
done

assert_alive "http-filed still running" "$HTTPD_PID"
finish
