#!/bin/bash
# test_range.sh: byte ranges in http-filed: 206 with Content-Range and the
# right bytes (first-last, suffix, open-ended, clamped), 416 with
# "bytes */size", multi-range and malformed ranges ignored (200), If-Range
# by ETag and by date.
. "$(dirname "$0")/../lib.sh"
need_binaries
make_docroot
# an old mtime: a Last-Modified one second or more before Date is a strong
# validator, usable in If-Range (RFC 9110 8.8.2.2)
touch -d "2020-01-01 00:00:00 UTC" "$T/www/range.txt"
# the same bytes dated a Thursday (2020-01-01 was a Wednesday: a date
# starting with "W" must not be taken for a weak ETag)
cp "$T/www/range.txt" "$T/www/thursday.txt"
touch -d "2020-01-02 00:00:00 UTC" "$T/www/thursday.txt"
start_httpd || finish
F=$T/www/range.txt # 0123456789abcdefghijklmnopqrstuvwxyz, 36 bytes

# expect_206 NAME RANGE CONTENT-RANGE BODY
expect_206() {
	http /range.txt -H "Range: $2"
	assert_eq "$1: 206" 206 "$STATUS"
	assert_eq "$1: Content-Range" "$3" "$(hdr Content-Range)"
	assert_eq "$1: Content-Length" "${#4}" "$(hdr Content-Length)"
	assert_eq "$1: bytes" "$4" "$(cat "$T/b")"
}
expect_206 "first-last" "bytes=0-9" "bytes 0-9/36" "0123456789"
expect_206 "middle" "bytes=10-12" "bytes 10-12/36" "abc"
expect_206 "one byte" "bytes=35-35" "bytes 35-35/36" "z"
expect_206 "suffix" "bytes=-5" "bytes 31-35/36" "vwxyz"
expect_206 "suffix longer than the file" "bytes=-100" "bytes 0-35/36" \
	"0123456789abcdefghijklmnopqrstuvwxyz"
expect_206 "open-ended" "bytes=30-" "bytes 30-35/36" "uvwxyz"
expect_206 "last past the end is clamped" "bytes=30-1000" "bytes 30-35/36" \
	"uvwxyz"
# a range of the big binary file, compared with the file's bytes
http /big.bin -H 'Range: bytes=100000-199999'
assert_eq "big file range: 206" 206 "$STATUS"
assert_eq "big file range: Content-Range" "bytes 100000-199999/300000" \
	"$(hdr Content-Range)"
tail -c +100001 "$T/www/big.bin" | head -c 100000 >"$T/expect"
if cmp -s "$T/expect" "$T/b"; then ok "big file range: bytes"; else
	fail "big file range: bytes" "differ from the file's bytes 100000-199999"
fi

# unsatisfiable
for r in "bytes=36-" "bytes=100-200" "bytes=-0"; do
	http /range.txt -H "Range: $r"
	assert_eq "$r: 416" 416 "$STATUS"
	assert_eq "$r: Content-Range" "bytes */36" "$(hdr Content-Range)"
done
http /empty.txt -H 'Range: bytes=0-0'
assert_eq "range of an empty file: 416" 416 "$STATUS"

# ignored: whole file with 200
expect_200() {
	http /range.txt -H "Range: $2"
	assert_eq "$1: 200" 200 "$STATUS"
	assert_eq "$1: whole file" "$(cat "$F")" "$(cat "$T/b")"
	if has_hdr Content-Range; then
		fail "$1: no Content-Range" "got $(hdr Content-Range)"
	else ok "$1: no Content-Range"; fi
}
expect_200 "multi-range" "bytes=0-1,5-6"
expect_200 "malformed range" "bytes=abc"
expect_200 "inverted range" "bytes=5-2"
expect_200 "other unit" "items=0-1"
expect_200 "missing unit" "0-5"

# If-Range
http /range.txt
ETAG=$(hdr ETag)
LM=$(hdr Last-Modified)
http /range.txt -H 'Range: bytes=0-1' -H "If-Range: $ETAG"
assert_eq "If-Range: matching ETag gives 206" 206 "$STATUS"
assert_eq "If-Range: matching ETag gives the range" "01" "$(cat "$T/b")"
http /range.txt -H 'Range: bytes=0-1' -H 'If-Range: "stale"'
assert_eq "If-Range: other ETag gives 200" 200 "$STATUS"
assert_eq "If-Range: other ETag gives the whole file" "$(cat "$F")" \
	"$(cat "$T/b")"
http /range.txt -H 'Range: bytes=0-1' -H "If-Range: W/$ETAG"
assert_eq "If-Range: weak ETag never matches (strong comparison)" 200 \
	"$STATUS"
http /range.txt -H 'Range: bytes=0-1' -H "If-Range: $LM"
assert_eq "If-Range: matching date gives 206" 206 "$STATUS"
http /thursday.txt -H 'Range: bytes=0-1' \
	-H 'If-Range: Thu, 02 Jan 2020 00:00:00 GMT'
assert_eq "If-Range: matching date (a Thursday) gives 206" 206 "$STATUS"
http /range.txt -H 'Range: bytes=0-1' \
	-H 'If-Range: Sun, 06 Nov 1994 08:49:37 GMT'
assert_eq "If-Range: other date gives 200" 200 "$STATUS"

# HEAD with a range: range handling is defined for GET only (RFC 9110
# 14.2), so the whole representation's head with 200
http /range.txt -I -H 'Range: bytes=0-9'
assert_eq "HEAD with Range: 200, Range ignored" 200 "$STATUS"
assert_eq "HEAD with Range: whole Content-Length" 36 "$(hdr Content-Length)"

# a range response keeps the connection usable
rawp 'GET /range.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=0-2\r\n\r\nGET /range.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=-2\r\nConnection: close\r\n\r\n'
assert_eq "two ranges pipelined: statuses" "206 206" "$(raw_statuses)"
assert_match "two ranges pipelined: bodies" '012HTTP/1\.1 206' \
	"$(tr -d '\r\n' <"$T/raw")"
assert_match "two ranges pipelined: second body" 'yz$' "$(cat "$T/raw")"

assert_alive "http-filed still running" "$HTTPD_PID"
finish
