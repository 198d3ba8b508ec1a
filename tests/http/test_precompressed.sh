#!/bin/bash
# test_precompressed.sh: http-filed sends a sibling NAME.br or NAME.gz, with
# Content-Encoding and "Vary: Accept-Encoding" and the original's
# Content-Type, only to a client that accepts that coding; others get the
# plain file.
. "$(dirname "$0")/../lib.sh"
need_binaries
command -v gzip >/dev/null || skip_file "gzip is not installed"
make_docroot
W=$T/www
# a compressible script, its gzip form and a stand-in .br (the server does
# not decode it, so any distinct bytes will do)
for i in $(seq 1 200); do echo "console.log('line $i of the parley client');"; done >"$W/client.js"
gzip -9 -n -c "$W/client.js" >"$W/client.js.gz"
printf 'BROTLI-STAND-IN\001\002\003' >"$W/client.js.br"
cp "$W/client.js" "$W/gzonly.css"
gzip -9 -n -c "$W/gzonly.css" >"$W/gzonly.css.gz"
start_httpd || finish

# expect_variant NAME PATH ACCEPT-ENCODING FILE ENCODING TYPE
expect_variant() {
	local name=$1 path=$2 ae=$3 file=$4 enc=$5 type=$6
	if [ -n "$ae" ]; then http "$path" -H "Accept-Encoding: $ae"
	else http "$path" -H 'Accept-Encoding:'; fi
	assert_eq "$name: status" 200 "$STATUS"
	assert_eq "$name: Content-Encoding" "$enc" "$(hdr Content-Encoding)"
	assert_eq "$name: Content-Type of the original" "$type" \
		"$(hdr Content-Type)"
	assert_eq "$name: Content-Length" "$(stat -c %s "$file")" \
		"$(hdr Content-Length)"
	if cmp -s "$file" "$T/b"; then ok "$name: bytes of $(basename "$file")"
	else fail "$name: bytes of $(basename "$file")" "body differs"; fi
	if [ -n "$enc" ]; then
		assert_match "$name: Vary" '(^|, *)Accept-Encoding($|,)' "$(hdr Vary)"
	fi
}
JS="text/javascript; charset=utf-8"
CSS="text/css; charset=utf-8"
expect_variant "gzip" /client.js "gzip" "$W/client.js.gz" gzip "$JS"
expect_variant "br" /client.js "br" "$W/client.js.br" br "$JS"
expect_variant "br preferred" /client.js "gzip, deflate, br" \
	"$W/client.js.br" br "$JS"
expect_variant "gzip when br is refused" /client.js "gzip, br;q=0" \
	"$W/client.js.gz" gzip "$JS"
expect_variant "no Accept-Encoding" /client.js "" "$W/client.js" "" "$JS"
expect_variant "identity only" /client.js "identity" "$W/client.js" "" "$JS"
expect_variant "gzip;q=0" /client.js "gzip;q=0" "$W/client.js" "" "$JS"
expect_variant "deflate only" /client.js "deflate" "$W/client.js" "" "$JS"
expect_variant "no .br: gzip" /gzonly.css "br, gzip" "$W/gzonly.css.gz" gzip "$CSS"
expect_variant "case-insensitive coding" /client.js "GZIP" \
	"$W/client.js.gz" gzip "$JS"
expect_variant "no sibling: plain" /app.js "gzip, br" "$W/app.js" "" "$JS"

# the compressed variant is a real gzip of the file
http /client.js -H 'Accept-Encoding: gzip'
if gzip -dc <"$T/b" | cmp -s - "$W/client.js"; then
	ok "gzip variant decodes to the file"
else fail "gzip variant decodes to the file" "it does not"; fi

# variants need their own validators, or caches would mix them up
http /client.js -H 'Accept-Encoding: gzip'
e_gz=$(hdr ETag)
http /client.js -H 'Accept-Encoding:'
e_plain=$(hdr ETag)
if [ -n "$e_gz" ] && [ "$e_gz" != "$e_plain" ]; then
	ok "gzip and plain have different ETags"
else fail "gzip and plain have different ETags" "gzip [$e_gz] plain [$e_plain]"; fi
http /client.js -H 'Accept-Encoding: gzip' -H "If-None-Match: $e_gz"
assert_eq "If-None-Match with the gzip ETag: 304" 304 "$STATUS"

# HEAD agrees with GET
http /client.js -I -H 'Accept-Encoding: gzip'
assert_eq "HEAD gzip: Content-Encoding" gzip "$(hdr Content-Encoding)"
assert_eq "HEAD gzip: Content-Length" "$(stat -c %s "$W/client.js.gz")" \
	"$(hdr Content-Length)"

# the .gz file itself is an ordinary file
http /client.js.gz -H 'Accept-Encoding:'
assert_eq "direct .gz: 200" 200 "$STATUS"
if cmp -s "$W/client.js.gz" "$T/b"; then ok "direct .gz: bytes"; else
	fail "direct .gz: bytes" "differ"; fi

# curl --compressed decodes what it gets back to the original
curl -sS --max-time 15 --compressed -H "Accept-Encoding: gzip" -o "$T/dec" "$(url /client.js)"
if cmp -s "$T/dec" "$W/client.js"; then ok "curl --compressed gets the file"
else fail "curl --compressed gets the file" "differs"; fi

assert_alive "http-filed still running" "$HTTPD_PID"
finish
