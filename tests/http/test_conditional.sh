#!/bin/bash
# test_conditional.sh: ETag, Last-Modified and the conditional requests of
# http-filed: If-None-Match (single, list, *, weak W/) and
# If-Modified-Since give 304 with no body; anything else gives 200.
. "$(dirname "$0")/../lib.sh"
need_binaries
make_docroot
start_httpd || finish

http /index.html
ETAG=$(hdr ETag)
LM=$(hdr Last-Modified)
assert_match "ETag present and strong" '^"[^"]+"$' "$ETAG"

# expect_304 NAME [curl args]: GET /index.html must give an empty 304.
expect_304() {
	local name=$1
	shift
	http /index.html "$@"
	assert_eq "$name: 304" 304 "$STATUS"
	assert_eq "$name: no body" 0 "$(stat -c %s "$T/b")"
	assert_eq "$name: ETag repeated" "$ETAG" "$(hdr ETag)"
}
expect_200() {
	local name=$1
	shift
	http /index.html "$@"
	assert_eq "$name: 200" 200 "$STATUS"
	if cmp -s "$T/www/index.html" "$T/b"; then ok "$name: full body"; else
		fail "$name: full body" "body differs from the file"
	fi
}

expect_304 "If-None-Match: the ETag" -H "If-None-Match: $ETAG"
expect_304 "If-None-Match: list" -H "If-None-Match: \"nope\", $ETAG, \"x\""
expect_304 "If-None-Match: list without spaces" -H "If-None-Match: \"a\",$ETAG"
expect_304 "If-None-Match: *" -H "If-None-Match: *"
expect_304 "If-None-Match: weak W/ form matches (weak comparison)" \
	-H "If-None-Match: W/$ETAG"
expect_200 "If-None-Match: other tag" -H 'If-None-Match: "other"'
expect_200 "If-None-Match: unquoted garbage" -H 'If-None-Match: garbage'
expect_304 "If-Modified-Since: Last-Modified" -H "If-Modified-Since: $LM"
later=$(LC_ALL=C date -u -d "@$(($(date -r "$T/www/index.html" +%s) + 3600))" \
	'+%a, %d %b %Y %H:%M:%S GMT')
expect_304 "If-Modified-Since: later date" -H "If-Modified-Since: $later"
expect_200 "If-Modified-Since: 1994" \
	-H 'If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT'
expect_200 "If-Modified-Since: invalid date is ignored" \
	-H 'If-Modified-Since: yesterday'
rfc850=$(LC_ALL=C date -u -r "$T/www/index.html" '+%A, %d-%b-%y %H:%M:%S GMT')
expect_304 "If-Modified-Since: RFC 850 form" -H "If-Modified-Since: $rfc850"
asctime=$(LC_ALL=C date -u -r "$T/www/index.html" '+%a %b %e %H:%M:%S %Y')
expect_304 "If-Modified-Since: asctime form" -H "If-Modified-Since: $asctime"
# If-None-Match wins over If-Modified-Since (RFC 9110 13.1.3)
expect_200 "If-None-Match mismatch beats matching If-Modified-Since" \
	-H 'If-None-Match: "other"' -H "If-Modified-Since: $LM"

http /index.html -I -H "If-None-Match: $ETAG"
assert_eq "HEAD with If-None-Match: 304" 304 "$STATUS"

# raw: a 304 carries no body, so the next pipelined response follows at once
rawp "GET /index.html HTTP/1.1\r\nHost: t\r\nIf-None-Match: $ETAG\r\n\r\nGET /sub/file.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
assert_eq "304 then 200 pipelined" "304 200" "$(raw_statuses)"

# changing the file changes its validators
printf 'changed content, longer than before\n' >"$T/www/index.html"
touch -d '2001-02-03 04:05:06 UTC' "$T/www/index.html"
http /index.html -H "If-None-Match: $ETAG"
assert_eq "changed file: old ETag no longer matches" 200 "$STATUS"
assert_no_match "changed file: new ETag" "^$ETAG\$" "$(hdr ETag)"
assert_eq "changed file: new Last-Modified" \
	"Sat, 03 Feb 2001 04:05:06 GMT" "$(hdr Last-Modified)"
assert_eq "changed file: new body" \
	"changed content, longer than before" "$(cat "$T/b")"

assert_alive "http-filed still running" "$HTTPD_PID"
finish
