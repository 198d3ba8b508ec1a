#!/bin/bash
# test_keepalive.sh: persistent connections in http-filed: curl reuses one
# connection for several URLs, pipelined requests are answered in order,
# HTTP/1.0 closes unless it asks for keep-alive, "Connection: close" closes,
# a request body is consumed and never parsed as the next request.
. "$(dirname "$0")/../lib.sh"
need_binaries
make_docroot
start_httpd || finish

# curl with several URLs: one connect for all of them
n=$(curl -sS --max-time 15 -o /dev/null -o /dev/null -o /dev/null \
	-w '%{http_code}:%{num_connects} ' \
	"$(url /index.html)" "$(url /style.css)" "$(url /big.bin)")
assert_eq "curl reuses one connection for three URLs" \
	"200:1 200:0 200:0 " "$n"

# three requests, one conversation on a /dev/tcp connection
conn_open c || fail "connect" "could not connect"
for p in /sub/file.txt /range.txt /sub/file.txt; do
	conn_get "$c" "$p"
	conn_response "$c"
	assert_eq "keep-alive: $p: 200" 200 "$R_STATUS"
done
assert_eq "keep-alive: last body" "plain text" "${R_BODY%$'\n'}"
conn_close "$c"

# pipelining: three requests in one write, three responses in order
rawp 'GET /sub/file.txt HTTP/1.1\r\nHost: t\r\n\r\nGET /nope HTTP/1.1\r\nHost: t\r\n\r\nGET /range.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n'
assert_eq "pipelining: three responses in order" "200 404 200" \
	"$(raw_statuses)"
assert_match "pipelining: first body before the second response" \
	'plain text.*HTTP/1\.1 404' "$(tr -d '\r\n' <"$T/raw")"
assert_match "pipelining: last body last" '0123456789abcdefghijklmnopqrstuvwxyz$' \
	"$(cat "$T/raw")"
assert_eq "pipelining: closed after Connection: close" 0 "$RAW_RC"

# pipelining split at odd places (one byte at a time)
rawp 'GET /sub/file.txt HTTP/1.1\r\nHost: t\r\n\r\nGET /range.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' -d 1
assert_eq "byte-at-a-time pipelining: two responses" "200 200" \
	"$(raw_statuses)"

# HTTP/1.1 stays open; Connection: close closes
rawp 'GET /sub/file.txt HTTP/1.1\r\nHost: t\r\n\r\n' -t 700
assert_eq "HTTP/1.1: 200" 200 "$(raw_status)"
assert_eq "HTTP/1.1: connection stays open" 2 "$RAW_RC"
rawp 'GET /sub/file.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' -t 5000
assert_eq "Connection: close: 200" 200 "$(raw_status)"
assert_eq "Connection: close: server closes" 0 "$RAW_RC"
assert_match "Connection: close: echoed" '^[Cc]onnection: *close' \
	"$(raw_head | grep -i '^connection:')"

# HTTP/1.0
rawp 'GET /sub/file.txt HTTP/1.0\r\n\r\n' -t 5000
assert_eq "HTTP/1.0: 200" 200 "$(raw_status)"
assert_eq "HTTP/1.0: server closes" 0 "$RAW_RC"
assert_match "HTTP/1.0: answered as HTTP/1.x" '^HTTP/1\.[01] 200' \
	"$(head -n 1 "$T/raw")"
rawp 'GET /sub/file.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' -t 700
assert_eq "HTTP/1.0 keep-alive: 200" 200 "$(raw_status)"
assert_eq "HTTP/1.0 keep-alive: stays open" 2 "$RAW_RC"
assert_match "HTTP/1.0 keep-alive: says so" '^[Cc]onnection: *[Kk]eep-[Aa]live' \
	"$(raw_head | grep -i '^connection:')"
rawp 'GET /sub/file.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /range.txt HTTP/1.0\r\n\r\n' -t 5000
assert_eq "HTTP/1.0 keep-alive then plain 1.0: two responses, closed" \
	"200 200 0" "$(raw_statuses) $RAW_RC"
rawp 'GET /sub/file.txt HTTP/1.1\r\nHost: t\r\nConnection: keep-alive, close\r\n\r\n' -t 5000
assert_eq "Connection list containing close: closes" 0 "$RAW_RC"

# a body on a GET is consumed, not parsed as the next request
rawp 'GET /sub/file.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 36\r\n\r\nGET /range.txt HTTP/1.1\r\nHost: t\r\n\r\nGET /sub/file.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n'
assert_eq "GET with a body: the body is not a request" "200 200" \
	"$(raw_statuses)"
assert_no_match "GET with a body: never the smuggled file" 'abcdefghij' \
	"$(cat "$T/raw")"

# a 405 with a body: either the body is skipped and the next request
# served, or the connection is closed; the body is never a request
rawp 'POST /index.html HTTP/1.1\r\nHost: t\r\nContent-Length: 36\r\n\r\nGET /range.txt HTTP/1.1\r\nHost: t\r\n\r\nGET /sub/file.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n'
s=$(raw_statuses)
case "$s" in
"405 200" | "405") ok "POST with a body to a file: $s" ;;
*) fail "POST with a body to a file" "statuses [$s], want [405 200] or [405]" ;;
esac
assert_no_match "POST with a body: never the smuggled file" 'abcdefghij' \
	"$(cat "$T/raw")"

# Expect: 100-continue on a static GET does not hang
http /sub/file.txt -H 'Expect: 100-continue'
assert_eq "Expect: 100-continue on GET" 200 "$STATUS"

# many requests on one connection
conn_open c || fail "connect" "could not connect"
good=0
for i in $(seq 1 200); do
	conn_get "$c" /sub/file.txt
	conn_response "$c" && [ "$R_STATUS" = 200 ] && good=$((good + 1))
done
conn_close "$c"
assert_eq "200 requests on one connection" 200 "$good"

assert_alive "http-filed still running" "$HTTPD_PID"
finish
