#!/bin/bash
# test_traversal.sh: http-filed never serves a file outside its document
# root: "..", percent-encoded dots and slashes, NUL, absolute-form targets
# and symbolic links leading out are refused (400 or 404); dot segments
# and symlinks that stay inside the root are served.
. "$(dirname "$0")/../lib.sh"
need_binaries
make_docroot
W=$T/www
SECRET='outside the root' # the content of $T/secret.txt
mkdir -p "$T/outdir"
printf 'outside the root too\n' >"$T/outdir/file.txt"
ln -s "$T/secret.txt" "$W/link-out.txt"         # absolute, out
ln -s ../secret.txt "$W/link-up.txt"            # relative, out
ln -s "$T/outdir" "$W/linkdir-out"              # a directory out
ln -s ../../secret.txt "$W/sub/link-up2.txt"    # relative, out from below
ln -s index.html "$W/link-in.html"              # relative, in
ln -s ../index.html "$W/sub/link-in-up.html"    # relative up, still in
ln -s sub "$W/linkdir-in"                       # a directory in
ln -s /etc/passwd "$W/passwd.txt"               # a system file
start_httpd || finish
http /index.html
fd_baseline

# refused NAME STATUS TARGET: raw GET of TARGET gives STATUS and never the
# secret.
refused() {
	printf 'GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' "$3" >"$T/rq"
	raw -t 3000 <"$T/rq"
	assert_match "$1: $2" "^($2)\$" "$(raw_status)"
	assert_no_match "$1: not the outside file" "$SECRET|root:" \
		"$(cat "$T/raw")"
}
served() {
	printf 'GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' "$3" >"$T/rq"
	raw -t 3000 <"$T/rq"
	assert_eq "$1: 200" 200 "$(raw_status)"
	assert_match "$1: the right file" "$2" "$(cat "$T/raw")"
}

refused "../ at the root" 400 /../secret.txt
refused "../ twice" 400 /../../secret.txt
refused "../ below a directory" 400 /sub/../../secret.txt
refused "deep ../ chain" 400 /sub/deeper/../../../secret.txt
refused "trailing .." 400 /..
refused "%2e%2e" 400 /%2e%2e/secret.txt
refused "%2E%2E upper case" 400 /%2E%2E/secret.txt
refused ".%2e mixed" 400 /.%2e/secret.txt
refused "%2e%2e below a directory" 400 /sub/%2e%2e/%2e%2e/secret.txt
refused "%2f encoded slash" 400 /..%2fsecret.txt
refused "%2F encoded slash upper case" 400 /sub%2F..%2F..%2Fsecret.txt
refused "%2f inside a name" 400 /sub%2ffile.txt
refused "%00 NUL" 400 /index.html%00.txt
refused "%00 before .." 400 /sub/%00/../../secret.txt
refused "invalid escape %zz" 400 /a%zz
refused "truncated escape" 400 /a%2
refused "%0a control byte" 400 /sub/file.txt%0a
refused "absolute-form with .." 400 http://127.0.0.1/../secret.txt
refused "absolute-form with %2e%2e" 400 http://t/%2e%2e/secret.txt
refused "double-encoded dots are a name" 404 /%252e%252e/secret.txt
refused "backslash is a name or refused" '400|404' '/..\secret.txt'
refused "symlink to an absolute path out" 404 /link-out.txt
refused "symlink ../ out" 404 /link-up.txt
refused "symlink ../../ out from below" 404 /sub/link-up2.txt
refused "symlinked directory out" 404 /linkdir-out/file.txt
refused "symlinked directory out, listing" 404 /linkdir-out/
refused "symlink to /etc/passwd" 404 /passwd.txt

served "dot segments inside the root" 'root index' /sub/../index.html
served "./ segments" 'plain text' /./sub/./file.txt
served "// merged" 'plain text' //sub//file.txt
served "%2e single dot" 'plain text' /sub/%2e/file.txt
served "absolute-form target" 'root index' http://example.org/index.html
served "absolute-form with a port and query" 'plain text' \
	'http://example.org:8080/sub/file.txt?q=1'
served "symlink inside the root" 'root index' /link-in.html
served "symlink up but still inside" 'root index' /sub/link-in-up.html
served "symlinked directory inside" 'plain text' /linkdir-in/file.txt

# curl, which would normalise, is told not to
http /../secret.txt --path-as-is
assert_eq "curl --path-as-is ../: 400" 400 "$STATUS"
if grep -q "$SECRET" "$T/b"; then fail "curl ../: secret" "served"; else
	ok "curl ../: secret not served"; fi

fd_check "no descriptor leaked by traversal attempts"
assert_alive "http-filed still running" "$HTTPD_PID"
finish
