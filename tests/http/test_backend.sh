#!/bin/bash
# test_backend.sh: http-filed's backend routing, against tests/test-backend
# on a unix socket: echo of method, target, headers and body; status
# passthrough; big bodies; requests held concurrently; 413 past --max-body;
# 503 when the backend is down or dies mid-request (the client connection
# staying usable); recovery after a restart; FRAME_HTTP_ABORT when the
# client leaves; 504 past --backend-timeout. With --backend-wait 0 where
# "down" must mean 503 at once: waiting for a backend is test_drain.sh's.
. "$(dirname "$0")/../lib.sh"
need_binaries "$BACKEND"
make_docroot
BACKEND_SOCK=$T/backend.sock
ROUTE="--route /backend=$BACKEND_SOCK"

# wait_backend_status STATUS SECONDS: polls /backend/echo until it gives
# STATUS (http-filed connects and reconnects by itself, with backoff).
wait_backend_status() {
	local deadline=$((SECONDS + $2))
	while :; do
		http /backend/echo
		[ "$STATUS" = "$1" ] && return 0
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.1
	done
}
# backend_died: reaps a backend that exited by itself (through /backend/die).
backend_died() {
	wait_exit "$BACKEND_PID" 10
	BACKEND_PID=
}

start_backend || finish
# shellcheck disable=SC2086
start_httpd $ROUTE --max-body 100000 --backend-wait 0 || finish
if wait_backend_status 200 10; then ok "backend connected"; else
	fail "backend connected" "/backend/echo gave $STATUS for 10 s"
	finish
fi
http /index.html
fd_baseline

# ---- echo --------------------------------------------------------------------
http '/backend/echo?a=1&b=%41' -H 'X-Test-One: first value' -H 'X-Test-Two: 2'
assert_eq "echo: 200" 200 "$STATUS"
assert_eq "echo: method" GET "$(hdr X-Backend-Method)"
assert_eq "echo: raw target with query" '/backend/echo?a=1&b=%41' \
	"$(hdr X-Backend-Target)"
assert_match "echo: peer is the client address" '^127\.0\.0\.1:[0-9]+$' \
	"$(hdr X-Backend-Peer)"
assert_eq "echo: header one" "first value" "$(hdr X-Test-One)"
assert_eq "echo: header two" 2 "$(hdr X-Test-Two)"
assert_eq "echo: backend's Content-Type" text/plain "$(hdr Content-Type)"
assert_eq "echo: empty body, Content-Length 0" 0 "$(hdr Content-Length)"

http /backend/echo -X DELETE
assert_eq "echo: DELETE forwarded (no 405 on routes)" "200 DELETE" \
	"$STATUS $(hdr X-Backend-Method)"
http /backend/echo -X FROB
assert_eq "echo: any method forwarded" "200 FROB" \
	"$STATUS $(hdr X-Backend-Method)"
http /backend/echo -I
assert_eq "echo: HEAD forwarded" "200 HEAD" "$STATUS $(hdr X-Backend-Method)"
http /backendecho
assert_eq "prefix matches at a segment boundary only: /backendecho is a file" \
	"404 " "$STATUS $(hdr X-Backend-Method)"

# ---- bodies ----------------------------------------------------------------------
printf 'hello backend' >"$T/small"
http /backend/echo --data-binary @"$T/small"
assert_eq "POST: 200" 200 "$STATUS"
assert_eq "POST: method" POST "$(hdr X-Backend-Method)"
assert_eq "POST: body echoed" "hello backend" "$(cat "$T/b")"
head -c 100000 /dev/urandom >"$T/body"
http /backend/echo --data-binary @"$T/body" -H 'Content-Type: application/octet-stream'
assert_eq "POST 100000 bytes (= --max-body): 200" 200 "$STATUS"
if cmp -s "$T/body" "$T/b"; then ok "POST 100000 binary bytes: echoed intact"
else fail "POST 100000 binary bytes: echoed intact" "differs"; fi
head -c 100001 /dev/urandom >"$T/body"
http /backend/echo --data-binary @"$T/body"
assert_eq "POST 100001 bytes (> --max-body): 413" 413 "$STATUS"
http /backend/echo --data-binary @"$T/body" -H 'Expect: 100-continue'
assert_eq "POST 100001 bytes with Expect: 100-continue: 413" 413 "$STATUS"
printf 'POST /backend/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 999999999\r\n\r\nabc' >"$T/rq"
raw -t 3000 <"$T/rq"
assert_eq "Content-Length 999999999 announced: 413 at once" 413 "$(raw_status)"
assert_eq "413: connection closed" 0 "$RAW_RC"
rawp 'POST /backend/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhelloGET /backend/echo HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n'
assert_eq "POST body then a pipelined GET: two answers" "200 200" \
	"$(raw_statuses)"
assert_match "POST body then a pipelined GET: body first" \
	'hello.*HTTP/1\.1 200.*X-Backend-Method: GET' "$(tr -d '\r\n' <"$T/raw")"

# ---- status passthrough and big responses ------------------------------------------
for s in 201 302 403 404 418 500 503; do
	http "/backend/status/$s"
	assert_eq "status $s passed through" "$s" "$STATUS"
done
http /backend/status/204
assert_eq "status 204 passed through" 204 "$STATUS"
http /backend/big/3000000
assert_eq "big: 200" 200 "$STATUS"
assert_eq "big: Content-Length" 3000000 "$(hdr Content-Length)"
assert_eq "big: 3000000 bytes received" 3000000 "$(stat -c %s "$T/b")"
assert_eq "big: all of them x" "" "$(tr -d x <"$T/b" | head -c 20)"

# ---- held requests -----------------------------------------------------------------
# Two 3 s delays: served one after the other they cannot take less than 6 s,
# so the bound below tells concurrency apart even on a loaded machine.
t0=$(now_ms)
curl -sS --max-time 15 -o "$T/d1" -w '%{http_code}' "$(url /backend/delay/3000)" >"$T/s1" &
p1=$!
curl -sS --max-time 15 -o "$T/d2" -w '%{http_code}' "$(url /backend/delay/3000)" >"$T/s2" &
p2=$!
t1=$(now_ms)
http /backend/echo
quick=$(($(now_ms) - t1))
wait_exit $p1 20
wait_exit $p2 20
elapsed=$(($(now_ms) - t0))
assert_eq "two delayed requests on two connections: both answered" \
	"200 200 delayed delayed" "$(cat "$T/s1") $(cat "$T/s2") $(cat "$T/d1") $(cat "$T/d2")"
if [ "$elapsed" -lt 6000 ]; then ok "two 3 s delays held at once (${elapsed} ms)"
else fail "two 3 s delays held at once" "took ${elapsed} ms: serialised"; fi
if [ "$STATUS" = 200 ] && [ "$quick" -lt 2000 ]; then # held, it would take 3 s
	ok "a third request is answered while two are held (${quick} ms)"
else fail "a third request is answered while two are held" "$STATUS after ${quick} ms"; fi
# pipelined: the slow answer still comes first
rawp 'GET /backend/delay/500 HTTP/1.1\r\nHost: t\r\n\r\nGET /backend/echo HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' -t 5000
assert_eq "pipelined slow then fast: two answers" "200 200" "$(raw_statuses)"
assert_match "pipelined slow then fast: in request order" \
	'delayed.*X-Backend-Method: GET' "$(tr -d '\r\n' <"$T/raw")"

# ---- the client leaves while its request is held: FRAME_HTTP_ABORT ---------------
rawp 'GET /backend/hang HTTP/1.1\r\nHost: t\r\n\r\n' -t 500
assert_eq "hang: nothing answered before the client left" "" "$(raw_status)"
deadline=$((SECONDS + 5))
until grep -q '^abort ' "$BACKEND_OUT" 2>/dev/null || [ $SECONDS -ge $deadline ]; do
	sleep 0.05
done
if grep -q '^abort ' "$BACKEND_OUT" 2>/dev/null; then
	ok "client gone during /backend/hang: the backend gets an abort"
else fail "client gone during /backend/hang: the backend gets an abort" \
	"no abort line in 5 s"; fi

# ---- backend dies mid-request -----------------------------------------------------
conn_open c || fail "connect" "could not connect"
conn_get "$c" /backend/die
conn_response "$c" 10
assert_eq "backend dies mid-request: 503" 503 "$R_STATUS"
conn_get "$c" /sub/file.txt
conn_response "$c"
assert_eq "backend died: same connection serves a file" 200 "$R_STATUS"
conn_close "$c"
backend_died

# ---- backend down, then back ------------------------------------------------------
t0=$(now_ms)
conn_open c || fail "connect" "could not connect"
conn_get "$c" /backend/echo
conn_response "$c"
assert_eq "backend down: 503" 503 "$R_STATUS"
assert_match "backend down: answered at once" '^[0-9]{1,3}$' "$(($(now_ms) - t0))"
conn_get "$c" /sub/file.txt
conn_response "$c"
assert_eq "backend down: same connection serves a file" 200 "$R_STATUS"
assert_eq "backend down: the file's body" "plain text" "${R_BODY%$'\n'}"
conn_close "$c"
start_backend || finish
if wait_backend_status 200 15; then ok "backend restarted: requests succeed again"
else fail "backend restarted: requests succeed again" "still $STATUS after 15 s"; fi

# a clean stop of the backend gives 503 too (poll: http-filed must notice)
stop_backend
if wait_backend_status 503 5; then ok "backend stopped: 503"; else
	fail "backend stopped: 503" "got $STATUS"; fi
start_backend || finish
wait_backend_status 200 15 || fail "backend restarted again" "$STATUS"

fd_check "no descriptor leaked by backend failures"
assert_alive "http-filed still running" "$HTTPD_PID"
stop_httpd

# ---- a backend that was never there: 503 at once ------------------------------------
start_httpd --route "/nobody=$T/nobody.sock" --backend-wait 0 || finish
t0=$(now_ms)
http /nobody/x
elapsed=$(($(now_ms) - t0))
assert_eq "route to a missing socket: 503" 503 "$STATUS"
if [ "$elapsed" -lt 1000 ]; then ok "route to a missing socket: at once (${elapsed} ms)"
else fail "route to a missing socket: at once" "${elapsed} ms"; fi
http /sub/file.txt
assert_eq "route to a missing socket: files still served" 200 "$STATUS"
stop_httpd

# ---- backend timeout ---------------------------------------------------------------
# shellcheck disable=SC2086
start_httpd $ROUTE --backend-timeout 1 --header-timeout 2 || finish
wait_backend_status 200 10 || fail "backend connected (timeout daemon)" "$STATUS"
conn_open c || fail "connect" "could not connect"
t0=$(now_ms)
conn_get "$c" /backend/hang
conn_response "$c" 10
elapsed=$(($(now_ms) - t0))
assert_eq "--backend-timeout 1 with /backend/hang: 504" 504 "$R_STATUS"
if [ "$elapsed" -ge 800 ] && [ "$elapsed" -le 3500 ]; then
	ok "504 after about 1 s (${elapsed} ms)"
else fail "504 after about 1 s" "${elapsed} ms"; fi
conn_get "$c" /sub/file.txt
conn_response "$c"
assert_eq "after a 504 the connection serves a file" 200 "$R_STATUS"
conn_close "$c"
http /backend/echo
assert_eq "after a 504 the backend still serves" 200 "$STATUS"
# a body that stops coming: 408 after the header timeout
rawp 'POST /backend/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nshort' -t 8000
assert_eq "stalled request body: 408" 408 "$(raw_status)"
assert_eq "stalled request body: closed" 0 "$RAW_RC"

assert_alive "http-filed still running" "$HTTPD_PID"
finish
