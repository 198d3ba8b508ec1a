#!/bin/bash
# test_bad_requests.sh: http-filed answers every malformed or
# smuggling-prone request with the status the contract names (400, 501,
# 505) and closes the connection, never serves the request, leaks no
# descriptor and keeps serving others. The bytes are sent with rawhttp
# because curl refuses to produce most of them.
. "$(dirname "$0")/../lib.sh"
need_binaries
make_docroot
start_httpd || finish

http /index.html
fd_baseline

# bad NAME STATUS PRINTF-FORMAT: the answer is STATUS, then the server
# closes the connection (within 3 s, while we keep ours open).
bad() {
	rawp "$3" -t 3000
	assert_eq "$1: $2" "$2" "$(raw_status)"
	if [ "$RAW_RC" = 0 ]; then ok "$1: connection closed"; else
		fail "$1: connection closed" "still open 3 s after the error"
	fi
	assert_no_match "$1: nothing served" 'root index|plain text' \
		"$(cat "$T/raw")"
}
H='Host: t\r\n'
E='\r\n'
F=/sub/file.txt

# request line
bad "garbage request line" 400 "GARBAGE$E$E"
bad "HTTP/0.9 request (no version)" 400 "GET $F$E$E"
bad "extra token in the request line" 400 "GET $F HTTP/1.1 extra$E$H$E"
bad "two spaces in the request line" 400 "GET  $F HTTP/1.1$E$H$E"
bad "tab as separator" 400 "GET\t$F HTTP/1.1$E$H$E"
bad "lowercase protocol name" 400 "GET $F http/1.1$E$H$E"
bad "malformed version" 400 "GET $F HTTP/1.x$E$H$E"
bad "version without minor" 400 "GET $F HTTP/1$E$H$E"
bad "HTTP/2.0" 505 "GET $F HTTP/2.0$E$H$E"
bad "HTTP/3.0" 505 "GET $F HTTP/3.0$E$H$E"
bad "non-token method" 400 "G(T $F HTTP/1.1$E$H$E"
bad "target not starting with /" 400 "GET sub/file.txt HTTP/1.1$E$H$E"
bad "asterisk target for GET" 400 "GET * HTTP/1.1$E$H$E"
bad "NUL in the target" 400 "GET /sub/file.txt\000 HTTP/1.1$E$H$E"
bad "control byte in the target" 400 "GET /sub/fi\001le.txt HTTP/1.1$E$H$E"
bad "bare CR in the request line" 400 "GET $F\rHTTP/1.1$E$H$E"

# Host
bad "HTTP/1.1 without Host" 400 "GET $F HTTP/1.1$E$E"
bad "two Host fields" 400 "GET $F HTTP/1.1$E${H}Host: u$E$E"

# message framing (request smuggling)
bad "Content-Length and Transfer-Encoding" 400 \
	"POST $F HTTP/1.1$E${H}Content-Length: 5${E}Transfer-Encoding: chunked$E${E}0$E$E"
bad "Transfer-Encoding and Content-Length" 400 \
	"POST $F HTTP/1.1$E${H}Transfer-Encoding: chunked${E}Content-Length: 5$E${E}0$E$E"
bad "two equal Content-Length fields" 400 \
	"POST $F HTTP/1.1$E${H}Content-Length: 5${E}Content-Length: 5$E${E}hello"
bad "two different Content-Length fields" 400 \
	"POST $F HTTP/1.1$E${H}Content-Length: 5${E}Content-Length: 6$E${E}hello!"
bad "Content-Length list" 400 \
	"POST $F HTTP/1.1$E${H}Content-Length: 5, 5$E${E}hello"
bad "non-numeric Content-Length" 400 \
	"POST $F HTTP/1.1$E${H}Content-Length: abc$E$E"
bad "signed Content-Length" 400 \
	"POST $F HTTP/1.1$E${H}Content-Length: +5$E${E}hello"
bad "negative Content-Length" 400 \
	"POST $F HTTP/1.1$E${H}Content-Length: -1$E$E"
bad "Content-Length past 2^64" 400 \
	"POST $F HTTP/1.1$E${H}Content-Length: 99999999999999999999999$E$E"
bad "Transfer-Encoding: chunked alone" 501 \
	"POST $F HTTP/1.1$E${H}Transfer-Encoding: chunked$E${E}5${E}hello${E}0$E$E"
bad "Transfer-Encoding: gzip, chunked" 501 \
	"POST $F HTTP/1.1$E${H}Transfer-Encoding: gzip, chunked$E${E}0$E$E"

# header syntax
bad "obs-fold" 400 "GET $F HTTP/1.1$E${H}X-A: one$E two$E$E"
bad "obs-fold with a tab" 400 "GET $F HTTP/1.1$E${H}X-A: one$E\ttwo$E$E"
bad "space before the colon" 400 "GET $F HTTP/1.1$E${H}X-A : b$E$E"
bad "space before the colon of Host" 400 "GET $F HTTP/1.1${E}Host : t$E$E"
bad "header without a colon" 400 "GET $F HTTP/1.1$E${H}NoColonHere$E$E"
bad "empty header name" 400 "GET $F HTTP/1.1$E$H: value$E$E"
bad "bare CR in a header value" 400 "GET $F HTTP/1.1$E${H}X-A: a\rb$E$E"
bad "bare CR ending a header line" 400 "GET $F HTTP/1.1$E${H}X-A: a\r\r\n$E"
bad "NUL in a header value" 400 "GET $F HTTP/1.1$E${H}X-A: a\000b$E$E"
bad "control byte in a header value" 400 "GET $F HTTP/1.1$E${H}X-A: a\033b$E$E"
bad "NUL in a header name" 400 "GET $F HTTP/1.1$E${H}X-\000A: b$E$E"
bad "non-token header name" 400 "GET $F HTTP/1.1$E${H}X(A): b$E$E"
bad "first header line starts with a space" 400 "GET $F HTTP/1.1$E Host: t$E$E"

# what must still work
good() {
	rawp "$3" -t 3000
	assert_eq "$1: $2" "$2" "$(raw_status)"
}
good "bare LF line endings" 200 "GET $F HTTP/1.1\nHost: t\nConnection: close\n\n"
good "empty lines before the request line" 200 "$E${E}GET $F HTTP/1.1$E${H}Connection: close$E$E"
good "HTTP/1.0 without Host" 200 "GET $F HTTP/1.0$E$E"
good "header value with inner spaces and tabs" 200 \
	"GET $F HTTP/1.1$E${H}X-A: a \t b$E${E}"
good "obs-text (byte 0xE9) in a header value" 200 \
	"GET $F HTTP/1.1$E${H}X-A: caf\351$E$E"
good "Content-Length: 0 on GET" 200 \
	"GET $F HTTP/1.1$E${H}Content-Length: 0$E$E"

# truncated requests and half-closes
rawp "GET $F HTTP/1.1$E${H}" -s -t 3000
assert_eq "half-close in the middle of a head: server closes" 0 "$RAW_RC"
assert_no_match "half-close in the middle of a head: not served" \
	'plain text' "$(cat "$T/raw")"
rawp "GET $F HTTP/1.1$E$H$E" -s -t 3000
assert_eq "half-close after a whole request: still answered" 200 \
	"$(raw_status)"
assert_eq "half-close after a whole request: then closed" 0 "$RAW_RC"
rawp "POST $F HTTP/1.1$E${H}Content-Length: 100$E${E}short" -s -t 3000
assert_eq "half-close inside a body: server closes" 0 "$RAW_RC"

# random bytes
head -c 20000 /dev/urandom >"$T/junk"
raw -t 3000 <"$T/junk"
case "$(raw_status)" in
"" | 400 | 414 | 431 | 501 | 505) ok "random bytes: refused ($(raw_status))" ;;
*) fail "random bytes" "answered $(raw_status)" ;;
esac
assert_eq "random bytes: connection closed" 0 "$RAW_RC"

# a bad request on a connection that served a good one first
rawp "GET $F HTTP/1.1$E$H${E}GET $F HTTP/1.1$E${H}X-A : b$E$E" -t 3000
assert_eq "good then bad on one connection" "200 400" "$(raw_statuses)"
assert_eq "good then bad: closed" 0 "$RAW_RC"

# no descriptor leaked by any of the above, and still serving
fd_check "no descriptor leaked by bad requests"
http /sub/file.txt
assert_eq "still serving after bad requests" 200 "$STATUS"
assert_alive "http-filed still running" "$HTTPD_PID"
finish
