#!/bin/bash
# test_drain.sh: planned restarts without refusing a request (PROTOCOL.md
# 8.7), http-filed against tests/test-backend instances on unix sockets:
#  - HTTP_DRAIN is answered by HTTP_DRAINED, and no request goes on the
#    draining connection after it; a request meanwhile waits and is served
#    on the next connection;
#  - the only instance restarted (drain, exit, successor with the same tag)
#    under a steady load: every request is served, none by a 503, keyed
#    ones by the successor;
#  - a request sent while no backend listens at all is served when one
#    starts; --backend-wait expiry gives 503; past --backend-queue, 503 at
#    once; a client that leaves while its request waits is forgotten (no
#    descriptor kept, nothing forwarded later);
#  - two instances: new sessions go to the least loaded one; a key whose
#    owner crashed goes to the other at once; a key whose owner drained
#    waits for the successor with its tag (not for another tag: then the
#    time limit ends the wait); a key whose owner's tag is not announced
#    yet waits for it;
#  - SIGTERM to http-filed sends HTTP_RELEASE (not to a 1.3 backend): the
#    held request is answered with "Connection: close", idle connections
#    close, http-filed exits at once, and the next one serves the port.
. "$(dirname "$0")/../lib.sh"
need_binaries "$BACKEND"
make_docroot
A_SOCK=$T/a.sock
B_SOCK=$T/b.sock

# tb_start NAME SOCKET [test-backend options]: a test-backend with its
# stdout in $T/tb.NAME.out, stderr in $T/tb.NAME.log; sets NAME_PID.
tb_start() {
	local name=$1 sock=$2 fifo=$T/tb-ready.$1.$RANDOM pid
	shift 2
	mkfifo "$fifo"
	"$BACKEND" "$@" "$sock" 3 </dev/null >>"$T/tb.$name.out" \
		2>>"$T/tb.$name.log" 3>"$fifo" &
	pid=$!
	DAEMON_PIDS+=("$pid")
	DAEMON_LOGS+=("$T/tb.$name.log")
	if ! wait_ready "$fifo" "$pid" 10; then
		rm -f "$fifo"
		fail "test-backend $name starts" "$(tail -n 5 "$T/tb.$name.log")"
		finish
	fi
	rm -f "$fifo"
	printf -v "${name}_PID" %s "$pid"
}
# tb_stop NAME SIGNAL: signals it and reaps it (bounded); WAIT_STATUS.
tb_stop() {
	local pid
	eval "pid=\$${1}_PID"
	kill "-$2" "$pid" 2>/dev/null
	wait_exit "$pid" 10 || fail "test-backend $1 exits on SIG$2" "still running"
}
# wait_until SECONDS COMMAND...: polls COMMAND every 50 ms until it succeeds.
wait_until() {
	local deadline=$(($(now_ms) + $1 * 1000))
	shift
	until "$@"; do
		[ "$(now_ms)" -ge "$deadline" ] && return 1
		sleep 0.05 # polling another process's output
	done
}
has_line() { grep -Eq -- "$2" "$1" 2>/dev/null; }
count_lines() { grep -Ec -- "$2" "$1" 2>/dev/null; }
# echo_ok: /backend/echo answers 200.
echo_ok() { http /backend/echo && [ "$STATUS" = 200 ]; }
# announced TAG: http-filed has heard instance TAG (count of such lines).
announced() { count_lines "$HTTPD_LOG" "instance $1\$"; }
# key_post KEY [path]: a polling-style body naming session KEY.
key_post() { http "${2:-/backend/echo}" --data-binary "$1;0,x"; }

# ---- 1. HTTP_DRAIN, HTTP_DRAINED, nothing new on the draining connection ----
tb_start a "$A_SOCK" -t aaaa
start_httpd --route "/backend=$A_SOCK" --backend-wait 5 || finish
wait_until 10 echo_ok || fail "backend connected" "$STATUS"
conn1=$(hdr X-Backend-Conn)
curl -sS --max-time 15 -o "$T/held.b" -w '%{http_code}' \
	"$(url /backend/delay/1500)" >"$T/held.s" 2>/dev/null &
held=$!
wait_until 5 has_line "$T/tb.a.log" "delay/1500 -> 0 \(held\)" ||
	fail "a request is held on the connection" "not in the backend's log"
http /backend/drain
assert_eq "/backend/drain: the backend sends HTTP_DRAIN" "200 draining" \
	"$STATUS $(cat "$T/b")"
if wait_until 5 has_line "$T/tb.a.out" "^drained $conn1\$"; then
	ok "HTTP_DRAIN is answered by HTTP_DRAINED"
else fail "HTTP_DRAIN is answered by HTTP_DRAINED" "$(cat "$T/tb.a.out")"; fi
t0=$(now_ms)
http /backend/echo
elapsed=$(($(now_ms) - t0))
assert_eq "a request while the only connection drains: served, not 503" 200 "$STATUS"
if [ -n "$(hdr X-Backend-Conn)" ] && [ "$(hdr X-Backend-Conn)" != "$conn1" ]; then
	ok "... on the next connection ($(hdr X-Backend-Conn), after ${elapsed} ms)"
else fail "... on the next connection" "conn [$(hdr X-Backend-Conn)], drained $conn1"; fi
wait_exit $held 15
assert_eq "the request held on the draining connection is answered" \
	"200 delayed" "$(cat "$T/held.s") $(cat "$T/held.b")"
assert_no_match "no request on a connection after its HTTP_DRAINED" \
	"request-after-drained" "$(cat "$T/tb.a.out")"
assert_match "http-filed logs the drain" "instance aaaa drains" "$(cat "$HTTPD_LOG")"

# ---- 2. the only instance restarts under load: 0 x 503 -----------------------
# Four clients loop until $T/stop appears: keyed POSTs (the session
# aaaa-N of instance aaaa) and plain GETs; one line per answer:
# "status instance pid".
load_loop() {
	local i=$1 body h
	while [ ! -e "$T/stop" ]; do
		if [ $((RANDOM % 2)) = 0 ]; then body=(--data-binary "aaaa-$i;0,x")
		else body=(); fi
		h=$(curl -sS --max-time 20 -D - -o /dev/null "${body[@]}" \
			"$(url /backend/echo)" 2>/dev/null | tr -d '\r')
		printf '%s %s %s\n' \
			"$(printf '%s\n' "$h" | sed -n '1s/^HTTP[^ ]* \([0-9]*\).*/\1/p')" \
			"$(printf '%s\n' "$h" | sed -n 's/^X-Backend-Instance: //p')" \
			"$(printf '%s\n' "$h" | sed -n 's/^X-Backend-Pid: //p')" \
			>>"$T/load.$i"
	done
}
rm -f "$T/stop"
loads=()
for i in 1 2 3 4; do
	: >"$T/load.$i"
	load_loop $i &
	loads+=($!)
done
served() { [ "$(cat "$T"/load.* | grep -c " $1\$")" -ge "$2" ]; }
wait_until 30 served "$a_PID" 8 || fail "the load reaches the first instance" "$(cat "$T"/load.* | head)"
waits_before=$(count_lines "$HTTPD_LOG" "requests wait for a backend")
tb_stop a USR1
assert_eq "the first instance drains and exits 0 (SIGUSR1)" 0 "$WAIT_STATUS"
# the gap: nobody listens on the socket; requests must wait for a successor
wait_until 5 eval '[ "$(count_lines "$HTTPD_LOG" "requests wait for a backend")" -gt "$waits_before" ]' ||
	fail "requests wait while no instance is there" "no log line"
tb_start a2 "$A_SOCK" -t aaaa
wait_until 30 served "$a2_PID" 8 || fail "the load reaches the successor" "$(tail -n 3 "$T/load.1")"
touch "$T/stop"
for p in "${loads[@]}"; do wait_exit "$p" 30; done
total=$(cat "$T"/load.* | wc -l)
bad=$(cat "$T"/load.* | grep -vc '^200 aaaa ')
assert_eq "restart under load: every one of $total requests answered 200 by aaaa" 0 "$bad"
[ "$bad" != 0 ] && cat "$T"/load.* | grep -v '^200 aaaa ' | sort | uniq -c | head
assert_match "... some of them waited for the successor" \
	"no request waits for a backend any more: [1-9][0-9]* forwarded, 0 answered 503" \
	"$(cat "$HTTPD_LOG")"
assert_no_match "... and none was refused at all" " 503 " "$(grep -E '"[A-Z]+ /backend' "$HTTPD_LOG")"

# ---- 3. no backend at all: the request waits until one starts ---------------
tb_stop a2 TERM # a crash for http-filed: no HTTP_DRAIN
waits_before=$(count_lines "$HTTPD_LOG" "requests wait for a backend")
conn_open c || fail "connect" "could not connect"
conn_get "$c" /backend/echo
if wait_until 5 eval '[ "$(count_lines "$HTTPD_LOG" "requests wait for a backend")" -gt "$waits_before" ]'; then
	ok "with no backend listening, the request waits"
else fail "with no backend listening, the request waits" "no log line"; fi
tb_start a3 "$A_SOCK" -t aaaa
conn_response "$c" 10
assert_eq "... and is served by the backend started then" "200 $a3_PID" \
	"$R_STATUS $(printf '%s' "$R_HEAD" | sed -n 's/^X-Backend-Pid: //p')"
conn_close "$c"
stop_httpd
tb_stop a3 TERM

# ---- 4. --backend-wait expiry: 503 -----------------------------------------
start_httpd --route "/backend=$T/nobody.sock" --backend-wait 1 || finish
t0=$(now_ms)
http /backend/echo
elapsed=$(($(now_ms) - t0))
assert_eq "--backend-wait 1, no backend: 503" 503 "$STATUS"
if [ "$elapsed" -ge 800 ] && [ "$elapsed" -le 3500 ]; then
	ok "... after about 1 s (${elapsed} ms)"
else fail "... after about 1 s" "${elapsed} ms"; fi
assert_match "... logged" "0 forwarded, 1 answered 503" "$(cat "$HTTPD_LOG")"
http /sub/file.txt
assert_eq "... files are still served" 200 "$STATUS"
stop_httpd

# ---- 5. --backend-queue overflow: 503 at once; 6. a client leaves ------------
start_httpd --route "/backend=$A_SOCK" --backend-wait 8 --backend-queue 2 \
	-l debug || finish
http /index.html
fd_baseline
rawp 'GET /backend/echo?gone HTTP/1.1\r\nHost: t\r\n\r\n' -t 300
assert_eq "a client that leaves while its request waits gets nothing" "" "$(raw_status)"
if wait_until 5 has_line "$HTTPD_LOG" "0 forwarded, 0 answered 503, 1 clients left"; then
	ok "... its request is dropped from the waiting list"
else fail "... its request is dropped from the waiting list" "no log line"; fi
fd_check "... and no descriptor is kept for it"
# waiting N: N requests wait now (http-filed's debug line for each).
waiting() { [ "$(grep -o 'request waits for a backend ([0-9]* waiting)' \
	"$HTTPD_LOG" | tail -n 1 | tr -dc 0-9)" = "$1" ]; }
conn_open c1 || fail "connect" "could not connect"
conn_get "$c1" '/backend/echo?one'
wait_until 5 waiting 1 || fail "first request waits" "no log line"
conn_open c2 || fail "connect" "could not connect"
conn_get "$c2" '/backend/echo?two'
wait_until 5 waiting 2 || fail "second request waits" "no log line"
t0=$(now_ms)
http '/backend/echo?three'
elapsed=$(($(now_ms) - t0))
assert_eq "--backend-queue 2: a third waiting request gets 503" 503 "$STATUS"
if [ "$elapsed" -lt 2000 ]; then ok "... at once (${elapsed} ms)"
else fail "... at once" "${elapsed} ms"; fi
tb_start a4 "$A_SOCK" -t aaaa
conn_response "$c1" 10
assert_eq "the two waiting requests are served once a backend starts: 1" 200 "$R_STATUS"
conn_response "$c2" 10
assert_eq "the two waiting requests are served once a backend starts: 2" 200 "$R_STATUS"
conn_close "$c1"
conn_close "$c2"
assert_no_match "the request of the client that left is never forwarded" \
	"echo\?gone" "$(cat "$T/tb.a4.log")"
stop_httpd
tb_stop a4 TERM

# ---- 7. two instances: least loaded ---------------------------------------------
tb_start a "$A_SOCK" -t aaaa
tb_start b "$B_SOCK" -t bbbb
start_httpd --route "/backend=$A_SOCK" --route "/backend=$B_SOCK" \
	--backend-wait 3 || finish
both() { [ "$(announced aaaa)" -ge 1 ] && [ "$(announced bbbb)" -ge 1 ]; }
wait_until 10 both || fail "both instances announced" "$(tail -n 5 "$HTTPD_LOG")"
hangs=()
for i in 1 2 3; do
	curl -sS --max-time 30 -o /dev/null --data-binary "aaaa-h$i;0,x" \
		"$(url /backend/hang)" 2>/dev/null &
	hangs+=($!)
done
held3() { [ "$(count_lines "$T/tb.a.log" "hang -> 0 \(held\)")" -ge 3 ]; }
wait_until 5 held3 || fail "three requests held by aaaa" "$(tail -n 3 "$T/tb.a.log")"
got=
for i in 1 2 3 4 5 6; do
	http /backend/echo
	got+="$STATUS $(hdr X-Backend-Instance);"
done
assert_eq "aaaa holds 3 requests, bbbb none: new sessions go to bbbb" \
	"200 bbbb;200 bbbb;200 bbbb;200 bbbb;200 bbbb;200 bbbb;" "$got"
key_post aaaa-1
assert_eq "a key goes to its owner whatever the load" "200 aaaa" \
	"$STATUS $(hdr X-Backend-Instance)"

# ---- 8. the owner crashes: its keys go to another instance at once ----------
tb_stop a TERM
for p in "${hangs[@]}"; do wait_exit "$p" 10; done
wait_until 5 has_line "$HTTPD_LOG" "backend /backend: connection lost" ||
	fail "http-filed sees the crash" "no log line"
t0=$(now_ms)
key_post aaaa-1
elapsed=$(($(now_ms) - t0))
assert_eq "owner crashed: its key goes to the other instance" "200 bbbb" \
	"$STATUS $(hdr X-Backend-Instance)"
if [ "$elapsed" -lt 2000 ]; then ok "... at once (${elapsed} ms)"
else fail "... at once" "${elapsed} ms"; fi

# ---- 9. the owner drains: its keys wait for the successor with its tag -------
n_a=$(announced aaaa)
tb_start a5 "$A_SOCK" -t aaaa
wait_until 10 eval '[ "$(announced aaaa)" -gt "$n_a" ]' || fail "aaaa back" "not announced"
tb_stop a5 USR1
assert_eq "aaaa drains and exits" 0 "$WAIT_STATUS"
wait_until 5 has_line "$HTTPD_LOG" "connection lost after its drain" ||
	fail "http-filed sees the drained connection close" "no log line"
waits_before=$(count_lines "$HTTPD_LOG" "requests wait for a backend")
curl -sS --max-time 15 -o /dev/null -D "$T/kp.h" -w '%{http_code}' \
	--data-binary 'aaaa-1;0,x' "$(url /backend/echo)" >"$T/kp.s" 2>/dev/null &
kp=$!
http /backend/echo
assert_eq "meanwhile a new session goes to the other instance" "200 bbbb" \
	"$STATUS $(hdr X-Backend-Instance)"
wait_until 5 eval '[ "$(count_lines "$HTTPD_LOG" "requests wait for a backend")" -gt "$waits_before" ]' ||
	fail "the key of the drained owner waits" "no log line"
tb_start a6 "$A_SOCK" -t aaaa
wait_exit $kp 10
assert_eq "owner drained: its key waited for the successor with its tag" \
	"200 aaaa $a6_PID" \
	"$(cat "$T/kp.s") $(hdr X-Backend-Instance "$T/kp.h") $(hdr X-Backend-Pid "$T/kp.h")"
# a successor with another tag does not end the wait: the time limit does
tb_stop a6 USR1
wait_until 5 eval '[ "$(count_lines "$HTTPD_LOG" "connection lost after its drain")" -ge 2 ]' ||
	fail "http-filed sees the second drained connection close" "no log line"
tb_start c "$A_SOCK" -t cccc
t0=$(now_ms)
key_post aaaa-1
elapsed=$(($(now_ms) - t0))
assert_eq "successor with another tag: the key is served after the wait" 200 "$STATUS"
if [ "$elapsed" -ge 1500 ]; then
	ok "... which the other tag did not end (${elapsed} ms, $(hdr X-Backend-Instance))"
else fail "... which the other tag did not end" "${elapsed} ms"; fi
stop_httpd
tb_stop b TERM
tb_stop c TERM

# ---- 10. a tag not announced yet: the key waits for it ----------------------
tb_start a7 "$A_SOCK" -t aaaa -D 1500
tb_start b "$B_SOCK" -t bbbb
start_httpd --route "/backend=$A_SOCK" --route "/backend=$B_SOCK" \
	--backend-wait 5 || finish
key_post aaaa-1
assert_eq "the owner's tag comes late: the key waits for it" "200 aaaa" \
	"$STATUS $(hdr X-Backend-Instance)"
stop_httpd
tb_stop a7 TERM
tb_stop b TERM

# ---- 11. SIGTERM to http-filed: HTTP_RELEASE ---------------------------------
tb_start a8 "$A_SOCK" -t aaaa
start_httpd --route "/backend=$A_SOCK" || finish
wait_until 10 echo_ok || fail "backend connected" "$STATUS"
port=$HTTPD_PORT
conn_open idle || fail "connect" "could not connect"
conn_get "$idle" /sub/file.txt
conn_response "$idle"
assert_eq "a keep-alive connection, idle" 200 "$R_STATUS"
conn_open held || fail "connect" "could not connect"
conn_get "$held" /backend/hang
wait_until 5 has_line "$T/tb.a8.log" "hang -> 0 \(held\)" || fail "hang held" "not in the log"
t0=$(now_ms)
kill -TERM "$HTTPD_PID"
conn_response "$held" 8
assert_eq "SIGTERM: the held request is answered (HTTP_RELEASE)" "200 released" \
	"$R_STATUS ${R_BODY%$'\n'}"
assert_match "... with Connection: close" '^Connection: close' "$R_HEAD"
if conn_closed "$idle" 3; then ok "SIGTERM: the idle connection is closed"
else fail "SIGTERM: the idle connection is closed" "still open"; fi
conn_close "$idle"
conn_close "$held"
if wait_exit "$HTTPD_PID" 8; then
	elapsed=$(($(now_ms) - t0))
	assert_eq "http-filed exits 0" 0 "$WAIT_STATUS"
	if [ "$elapsed" -lt 5000 ]; then ok "... at once, not at the grace timer (${elapsed} ms)"
	else fail "... at once, not at the grace timer" "${elapsed} ms"; fi
else
	fail "http-filed exits after SIGTERM" "still running"
	kill -KILL "$HTTPD_PID"
fi
HTTPD_PID=
assert_match "the backend got HTTP_RELEASE" "^release [0-9]+" "$(cat "$T/tb.a8.out")"
HTTPD_WANT_PORT=$port start_httpd --route "/backend=$A_SOCK" || finish
wait_until 10 echo_ok
assert_eq "the next http-filed serves the next request" 200 "$STATUS"
stop_httpd
tb_stop a8 TERM

# a backend older than 1.4 gets no HTTP_RELEASE
tb_start old "$A_SOCK" -t aaaa -m 3
start_httpd --route "/backend=$A_SOCK" || finish
wait_until 10 echo_ok || fail "1.3 backend connected" "$STATUS"
stop_httpd
assert_no_match "a 1.3 backend gets no HTTP_RELEASE" "release" "$(cat "$T/tb.old.out")"
tb_stop old TERM

finish
