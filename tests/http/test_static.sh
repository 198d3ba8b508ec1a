#!/bin/bash
# test_static.sh: http-filed serves static files: types, lengths and bytes
# identical to the files, HEAD, index.html, the directory redirect, 404,
# 405 with Allow, 501 for unknown methods, and the common headers.
. "$(dirname "$0")/../lib.sh"
need_binaries
make_docroot
start_httpd || finish

# check_file NAME PATH FILE TYPE: GET PATH gives FILE's bytes with TYPE.
check_file() {
	local name=$1 path=$2 file=$3 type=$4
	http "$path"
	assert_eq "$name: status" 200 "$STATUS"
	assert_eq "$name: Content-Type" "$type" "$(hdr Content-Type)"
	assert_eq "$name: Content-Length" "$(stat -c %s "$file")" \
		"$(hdr Content-Length)"
	if cmp -s "$file" "$T/b"; then ok "$name: body identical"; else
		fail "$name: body identical" "cmp $file $T/b differs"
	fi
}
W=$T/www
check_file "html" /index.html "$W/index.html" "text/html; charset=utf-8"
check_file "css" /style.css "$W/style.css" "text/css; charset=utf-8"
check_file "js" /app.js "$W/app.js" "text/javascript; charset=utf-8"
check_file "json" /data.json "$W/data.json" "application/json"
check_file "txt" /sub/file.txt "$W/sub/file.txt" "text/plain; charset=utf-8"
check_file "svg" /pic.svg "$W/pic.svg" "image/svg+xml"
check_file "png (all byte values)" /image.png "$W/image.png" "image/png"
check_file "big binary" /big.bin "$W/big.bin" "application/octet-stream"
check_file "empty file" /empty.txt "$W/empty.txt" "text/plain; charset=utf-8"
check_file "query string ignored" '/index.html?v=3&x=%41' "$W/index.html" \
	"text/html; charset=utf-8"
check_file "percent-decoded path" /%69ndex.html "$W/index.html" \
	"text/html; charset=utf-8"

# common headers
http /index.html
assert_match "Date is an IMF-fixdate" \
	'^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$' \
	"$(hdr Date)"
if has_hdr Server; then ok "Server header"; else fail "Server header" "absent"; fi
assert_eq "Accept-Ranges" bytes "$(hdr Accept-Ranges)"
assert_match "ETag is strong and quoted" '^"[^"]+"$' "$(hdr ETag)"
mtime_date=$(LC_ALL=C date -u -r "$W/index.html" '+%a, %d %b %Y %H:%M:%S GMT')
assert_eq "Last-Modified is the file's mtime" "$mtime_date" \
	"$(hdr Last-Modified)"

# HEAD: the same headers as GET, no body
http /style.css
cp "$T/h" "$T/h.get"
http /style.css -I
assert_eq "HEAD: status" 200 "$STATUS"
# curl -I writes the head where the body would go: nothing else may follow
if cmp -s "$T/h" "$T/b"; then ok "HEAD: no body"; else
	fail "HEAD: no body" "more than the head received"; fi
for h in Content-Type Content-Length ETag Last-Modified Accept-Ranges; do
	assert_eq "HEAD: same $h as GET" "$(hdr $h "$T/h.get")" "$(hdr $h)"
done
# HEAD on the raw socket: nothing after the head, and the connection is
# usable for a second request right after it.
rawp 'HEAD /style.css HTTP/1.1\r\nHost: t\r\n\r\nGET /sub/file.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n'
assert_eq "HEAD then GET pipelined: statuses" "200 200" "$(raw_statuses)"
assert_eq "HEAD then GET pipelined: only the GET has a body" \
	"plain text" "$(tr -d '\r' <"$T/raw" | tail -n 1)"

# directories
check_file "index.html for /" / "$W/index.html" "text/html; charset=utf-8"
check_file "index.html for /dir/" /dir/ "$W/dir/index.html" \
	"text/html; charset=utf-8"
http /dir
assert_eq "directory without slash: 301" 301 "$STATUS"
assert_match "directory without slash: Location /dir/" \
	'^(http://[^/]+)?/dir/$' "$(hdr Location)"
http '/dir?a=b'
assert_eq "directory without slash, query: 301" 301 "$STATUS"
http /noindex/
assert_eq "directory without index.html: 404 (no listing)" 404 "$STATUS"

# not found
http /no-such-file.html
assert_eq "missing file: 404" 404 "$STATUS"
http /sub/no/such/dir/x
assert_eq "missing directory: 404" 404 "$STATUS"
http /index.html/
assert_eq "file with a trailing slash: 404" 404 "$STATUS"

# methods
for m in POST PUT DELETE PATCH OPTIONS; do
	http /index.html -X "$m" --data-binary x
	[ "$m" = OPTIONS ] && http /index.html -X OPTIONS
	assert_eq "$m on a file: 405" 405 "$STATUS"
	assert_eq "$m on a file: Allow" "GET, HEAD" "$(hdr Allow)"
done
http /index.html -X FROB
assert_eq "unknown method: 501" 501 "$STATUS"
rawp 'get /index.html HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n'
assert_eq "methods are case-sensitive: 'get' is 501" 501 "$(raw_status)"

# the connection survives a 404 and a 405
n=$(curl -sS --max-time 15 -o /dev/null -o /dev/null -w '%{http_code} %{num_connects}\n' \
	"$(url /nope)" "$(url /index.html)" | tr '\n' ' ')
assert_eq "404 then 200 on one connection" "404 1 200 0 " "$n"

# XEP-0156 connection discovery files
mkdir -p "$T/www/.well-known"
printf '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0"/>\n' >"$T/www/.well-known/host-meta"
http /.well-known/host-meta
assert_eq "host-meta: 200" 200 "$STATUS"
assert_eq "host-meta: Content-Type application/xrd+xml" "application/xrd+xml" "$(hdr Content-Type)"
assert_eq "host-meta: CORS for other origins' clients" "*" "$(hdr Access-Control-Allow-Origin)"
http /index.html
assert_eq "no CORS header on ordinary files" "" "$(hdr Access-Control-Allow-Origin)"

assert_alive "http-filed still running" "$HTTPD_PID"
finish
