#!/bin/bash
# test_limits_timeouts.sh: every bound of http-filed, exceeded: request
# line (414), head size and header count (431), the header timeout against
# a slowloris client (408 while others are served), the keep-alive idle
# timeout, and the connection limit (503 for the one past it, the others
# unharmed). Descriptors must come back to the baseline afterwards.
. "$(dirname "$0")/../lib.sh"
need_binaries
make_docroot

# long STRING COUNT: COUNT copies of STRING.
long() { local s; printf -v s "%$2s" ''; printf '%s' "${s// /$1}"; }
# limit NAME STATUS: sends $T/req (made by the caller) and expects STATUS
# followed by a close.
limit() {
	raw -t 3000 <"$T/req"
	assert_eq "$1: $2" "$2" "$(raw_status)"
	assert_eq "$1: connection closed" 0 "$RAW_RC"
}
req_line() { # req_line TARGET-LENGTH: a GET of a file with a long query
	{ printf 'GET /sub/file.txt?'; long a $(($1 - 15)); printf " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"; } >"$T/req"
}
# headers N [VALUE-LENGTH]: a GET with N header fields (Host included)
headers() {
	local i v
	v=$(long v "${2:-10}")
	{
		printf 'GET /sub/file.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n'
		for ((i = 3; i <= $1; i++)); do printf 'X-H%d: %s\r\n' "$i" "$v"; done
		printf '\r\n'
	} >"$T/req"
}

# ---- default limits: 8192 request line, 16384 head, 64 headers -------------
start_httpd || finish
http /index.html
fd_baseline
req_line 9000
limit "request line of 9000 bytes (default limit 8192)" 414
req_line 8000
limit "request line of 8000 bytes: not too long" 200
{ printf 'GET /'; long a 20000; } >"$T/req"
limit "endless request line without CRLF" 414
headers 70
limit "70 header fields (default limit 64)" 431
headers 64
limit "64 header fields: allowed" 200
headers 20 1000
limit "head of 20 kB (default limit 16384)" 431
{ printf 'GET / HTTP/1.1\r\nHost: t\r\nX-Big: '; long b 20000; } >"$T/req"
limit "endless header line without CRLF" 431
fd_check "no descriptor leaked by oversized requests"
stop_httpd

# ---- configured limits --------------------------------------------------------
start_httpd --max-request-line 100 --max-head 1024 --max-headers 10 || finish
req_line 120
limit "--max-request-line 100: 120 bytes" 414
req_line 60
limit "--max-request-line 100: 60 bytes" 200
headers 11
limit "--max-headers 10: 11 fields" 431
headers 10
limit "--max-headers 10: 10 fields" 200
headers 6 300
limit "--max-head 1024: 1.3 kB head" 431
headers 5 100
limit "--max-head 1024: 400 byte head" 200
stop_httpd

# ---- timeouts: --header-timeout 2, --idle-timeout 2 ----------------------------
start_httpd --header-timeout 2 --idle-timeout 2 || finish
http /index.html
fd_baseline

# slowloris: a head trickling in a byte every 150 ms would take 20 s
slow="GET /sub/file.txt HTTP/1.1\r\nHost: t\r\nX-Slow: $(long s 100)\r\n\r\n"
t0=$(now_ms)
printf "$slow" | timeout 60 "$RAWHTTP" -d 150 -t 10000 "$LOOPBACK" \
	"$HTTPD_PORT" >"$T/slow.out" 2>&1 &
slow_pid=$!
# meanwhile others are served at once, several times
served_ok=0
for i in 1 2 3 4 5; do
	t1=$(now_ms)
	http /big.bin
	t2=$(now_ms)
	[ "$STATUS" = 200 ] && [ $((t2 - t1)) -lt 1000 ] && served_ok=$((served_ok + 1))
done
assert_eq "others are served during a slowloris" 5 "$served_ok"
wait_exit "$slow_pid" 30
slow_rc=$WAIT_STATUS
elapsed=$(($(now_ms) - t0))
assert_eq "slowloris: 408" 408 "$(raw_status "$T/slow.out")"
assert_eq "slowloris: connection closed by the server" 0 "$slow_rc"
if [ "$elapsed" -ge 1500 ] && [ "$elapsed" -le 5000 ]; then
	ok "slowloris: cut after about the header timeout (${elapsed} ms)"
else
	fail "slowloris: cut after about the header timeout" \
		"took ${elapsed} ms, header timeout 2000 ms"
fi

# a head that stops coming
t0=$(now_ms)
rawp 'GET /sub/file.txt HTTP/1.1\r\nHost: t\r\n' -t 8000
elapsed=$(($(now_ms) - t0))
assert_eq "stalled head: 408" 408 "$(raw_status)"
assert_eq "stalled head: closed" 0 "$RAW_RC"
if [ "$elapsed" -ge 1500 ] && [ "$elapsed" -le 5000 ]; then
	ok "stalled head: cut after ${elapsed} ms"
else fail "stalled head: cut after about 2 s" "took ${elapsed} ms"; fi

# keep-alive idle timeout: the connection is closed after about 2 s
t0=$(now_ms)
rawp 'GET /sub/file.txt HTTP/1.1\r\nHost: t\r\n\r\n' -t 8000
elapsed=$(($(now_ms) - t0))
assert_eq "idle keep-alive: served first" 200 "$(raw_status)"
assert_eq "idle keep-alive: closed by the server" 0 "$RAW_RC"
if [ "$elapsed" -ge 1500 ] && [ "$elapsed" -le 5000 ]; then
	ok "idle keep-alive: closed after ${elapsed} ms"
else fail "idle keep-alive: closed after about 2 s" "took ${elapsed} ms"; fi

# a connection that never sends anything is closed too
t0=$(now_ms)
raw -t 8000 </dev/null
elapsed=$(($(now_ms) - t0))
assert_eq "silent connection: closed by the server" 0 "$RAW_RC"
if [ "$elapsed" -le 5000 ]; then ok "silent connection: closed after ${elapsed} ms"
else fail "silent connection: closed within the timeouts" "took ${elapsed} ms"; fi

# activity resets the idle timer: four requests 1.2 s apart (4.8 s > 2 s)
conn_open c || fail "connect" "could not connect"
n=0
for i in 1 2 3 4; do
	conn_get "$c" /sub/file.txt
	conn_response "$c" && [ "$R_STATUS" = 200 ] && n=$((n + 1))
	[ $i -lt 4 ] && sleep 1.2 # the gap under test, shorter than the timeout
done
conn_close "$c"
assert_eq "requests 1.2 s apart keep the connection" 4 "$n"
fd_check "no descriptor leaked by timed-out connections"

# a client that pipelines 2000 requests for a 300 kB file and never reads:
# the worker's memory stays bounded and the connection is cut off
rss() { # the summed resident size of the workers, kB
	local p n=0 v
	for p in $(httpd_workers); do
		v=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null)
		n=$((n + ${v:-0}))
	done
	echo "$n"
}
rss0=$(rss)
conn_open fl
for i in $(seq 1 2000); do printf 'GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n'; done \
	>&"$fl" 2>/dev/null &
writer=$!
# first see the server take the connection, so its end can be seen
deadline=$((SECONDS + 5))
until [ "$(fd_count)" -gt "$FD_BASELINE" ] || [ $SECONDS -ge $deadline ]; do
	sleep 0.02
done
if [ "$(fd_count)" -gt "$FD_BASELINE" ]; then ok "the flooding connection is accepted"
else fail "the flooding connection is accepted" "no new descriptor in 5 s"; fi
deadline=$((SECONDS + 20))
peak=$rss0
while :; do
	r=$(rss)
	[ "$r" -gt "$peak" ] && peak=$r
	[ "$(fd_count)" -le "$FD_BASELINE" ] && break
	[ $SECONDS -ge $deadline ] && break
	sleep 0.1
done
if [ "$(fd_count)" -le "$FD_BASELINE" ]; then
	ok "a client that never reads is cut off"
else fail "a client that never reads is cut off" "still connected after 20 s"; fi
if [ $((peak - rss0)) -lt 20000 ]; then
	ok "a client that never reads: memory bounded (+$((peak - rss0)) kB)"
else fail "a client that never reads: memory bounded" \
	"resident size grew by $((peak - rss0)) kB"; fi
kill "$writer" 2>/dev/null
wait_exit "$writer" 5
conn_close "$fl"
stop_httpd

# ---- connection limit: -c 5 -----------------------------------------------------
start_httpd -c 5 || finish
http /index.html
fd_baseline
conns=()
for i in 1 2 3 4 5; do
	conn_open c || { fail "connection $i" "could not connect"; continue; }
	conns+=("$c")
	conn_get "$c" /sub/file.txt
	conn_response "$c"
	assert_eq "connection $i of 5: 200" 200 "$R_STATUS"
done
rawp 'GET /sub/file.txt HTTP/1.1\r\nHost: t\r\n\r\n' -t 3000
assert_eq "6th connection: 503" 503 "$(raw_status)"
assert_eq "6th connection: closed" 0 "$RAW_RC"
i=0
for c in "${conns[@]}"; do
	i=$((i + 1))
	conn_get "$c" /range.txt
	conn_response "$c"
	assert_eq "connection $i still works after the 6th was refused" 200 \
		"$R_STATUS"
done
# one of the five leaves: a new connection is served again (poll, 5 s)
conn_close "${conns[0]}"
deadline=$((SECONDS + 5))
while :; do
	http /sub/file.txt
	[ "$STATUS" = 200 ] && break
	[ $SECONDS -ge $deadline ] && break
	sleep 0.1
done
assert_eq "after one closes, a new connection is served" 200 "$STATUS"
for c in "${conns[@]:1}"; do conn_close "$c"; done
fd_check "no descriptor leaked at the connection limit"
assert_alive "http-filed still running" "$HTTPD_PID"
finish
