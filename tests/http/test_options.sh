#!/bin/bash
# test_options.sh: http-filed's command line and life cycle: --help and
# --version, -n check mode, exit 100 for bad usage, 111 for an address in
# use, options from the environment, --cache-control, and SIGTERM: exit 0
# after finishing the response in flight, refusing new connections.
. "$(dirname "$0")/../lib.sh"
need_binaries
make_docroot

# run_httpd NAME [args...]: runs http-filed in the foreground (10 s at
# most); its exit status is in RC, its output in $T/out.
run_httpd() {
	local name=$1
	shift
	timeout 10 "$HTTPD" "$@" </dev/null >"$T/out" 2>&1
	RC=$?
	[ "$RC" = 124 ] && fail "$name" "still running after 10 s"
	return 0
}

run_httpd "--help" --help
assert_eq "--help: exit 0" 0 "$RC"
assert_match "--help: usage line" '[Uu]sage' "$(cat "$T/out")"
for o in --port --root --workers --max-connections --header-timeout \
	--idle-timeout --max-body --route --backend-timeout --notify-fd --check; do
	assert_match "--help mentions $o" -- "$o" "$(cat "$T/out")"
done
run_httpd "-h" -h
assert_eq "-h: exit 0" 0 "$RC"
run_httpd "--version" --version
assert_eq "--version: exit 0" 0 "$RC"
assert_match "--version: name and version" 'http-filed.*[0-9]+\.[0-9]+\.[0-9]+' \
	"$(cat "$T/out")"
run_httpd "-V" -V
assert_eq "-V: exit 0" 0 "$RC"

# -n: check the configuration and exit
run_httpd "-n good" -n -r "$T/www" -p 8080
assert_eq "-n with a good configuration: exit 0" 0 "$RC"
run_httpd "--check good" --check -r "$T/www" --route "/http-bind=$T/b.sock"
assert_eq "--check with a route: exit 0" 0 "$RC"
run_httpd "-n missing root" -n -r "$T/no-such-dir"
assert_eq "-n with a missing root: exit 100" 100 "$RC"
run_httpd "-n root is a file" -n -r "$T/www/index.html"
assert_eq "-n with a file as root: exit 100" 100 "$RC"
run_httpd "-n bad route" -n -r "$T/www" --route nonsense
assert_eq "-n with a route without '=': exit 100" 100 "$RC"
run_httpd "-n bad route prefix" -n -r "$T/www" --route "noslash=$T/b.sock"
assert_eq "-n with a route prefix not starting with /: exit 100" 100 "$RC"
run_httpd "-n too many headers" -n -r "$T/www" --max-headers 65
assert_eq "-n --max-headers 65 (above 64): exit 100" 100 "$RC"

# bad usage: 100, with one line saying why
run_httpd "unknown option" --no-such-option
assert_eq "unknown option: exit 100" 100 "$RC"
assert_match "unknown option: named" 'no-such-option' "$(cat "$T/out")"
run_httpd "unknown short option" -Z
assert_eq "unknown short option: exit 100" 100 "$RC"
run_httpd "missing argument" -r "$T/www" -p
assert_eq "option without its argument: exit 100" 100 "$RC"
run_httpd "stray operand" -r "$T/www" stray
assert_eq "stray operand: exit 100" 100 "$RC"
for p in 0 65536 99999 abc -1 8080x ''; do
	run_httpd "bad port [$p]" -r "$T/www" -a "$LOOPBACK" -p "$p" -w 1
	assert_eq "bad port [$p]: exit 100" 100 "$RC"
done
run_httpd "bad workers" -r "$T/www" -w -3
assert_eq "negative worker count: exit 100" 100 "$RC"
run_httpd "bad timeout" -r "$T/www" --header-timeout 0
assert_eq "--header-timeout 0: exit 100" 100 "$RC"
run_httpd "bad address" -r "$T/www" -a 999.1.1.1 -p 8080 -w 1
assert_eq "invalid listen address: exit 100" 100 "$RC"
HTTP_FILED_PORT=notaport run_httpd "bad port in the environment" -n -r "$T/www"
assert_eq "bad HTTP_FILED_PORT: exit 100" 100 "$RC"

# address in use: 111
port=$(pick_port)
coproc HOLDER { "$RAWHTTP" -L "$LOOPBACK" "$port"; }
holder_pid=$HOLDER_PID
if read -r -t 5 -u "${HOLDER[0]}" line && [ "$line" = ready ]; then
	run_httpd "address in use" -a "$LOOPBACK" -p "$port" -r "$T/www" -w 1
	assert_eq "address in use (held without SO_REUSEPORT): exit 111" 111 "$RC"
	run_httpd "address in use, 2 workers" -a "$LOOPBACK" -p "$port" \
		-r "$T/www" -w 2
	assert_eq "address in use with 2 workers: exit 111" 111 "$RC"
	run_httpd "-n on a port in use" -n -a "$LOOPBACK" -p "$port" -r "$T/www"
	assert_eq "-n does not bind: exit 0 on a port in use" 0 "$RC"
else
	skip "address in use" "could not hold port $port"
fi
holder_in=${HOLDER[1]}
exec {holder_in}>&-
wait_exit "$holder_pid" 5
start_httpd || finish
run_httpd "second instance on the same port" -a "$LOOPBACK" -p "$HTTPD_PORT" \
	-r "$T/www" -w 1
assert_eq "a second http-filed on a port in use: exit 111" 111 "$RC"
stop_httpd

# --share-port: two instances on one port, both serving
start_httpd --share-port || finish
first_pid=$HTTPD_PID first_log=$HTTPD_LOG
HTTPD_WANT_PORT=$HTTPD_PORT start_httpd --share-port || finish
good=0
for i in $(seq 1 20); do
	http /index.html
	[ "$STATUS" = 200 ] && good=$((good + 1))
done
assert_eq "--share-port: two instances, 20 requests served" 20 "$good"
n1=$(grep -c "GET /index.html" "$first_log")
n2=$(grep -c "GET /index.html" "$HTTPD_LOG")
if [ "$n1" -gt 0 ] && [ "$n2" -gt 0 ]; then
	ok "--share-port: both instances served some ($n1 + $n2)"
else fail "--share-port: both instances served some" "$n1 and $n2"; fi
run_httpd "third instance without --share-port" -a "$LOOPBACK" \
	-p "$HTTPD_PORT" -r "$T/www" -w 1
assert_eq "a port shared by two, asked for without --share-port: exit 111" \
	111 "$RC"
stop_httpd
HTTPD_PID=$first_pid
http /index.html
assert_eq "--share-port: the first instance serves alone after the second stops" \
	200 "$STATUS"
stop_httpd

# the environment sets options, the command line wins
HTTP_FILED_CACHE_CONTROL='max-age=60' start_httpd || finish
http /index.html
assert_eq "HTTP_FILED_CACHE_CONTROL from the environment" max-age=60 \
	"$(hdr Cache-Control)"
stop_httpd
HTTP_FILED_CACHE_CONTROL='max-age=60' start_httpd --cache-control no-cache || finish
http /index.html
assert_eq "--cache-control wins over the environment" no-cache \
	"$(hdr Cache-Control)"
stop_httpd
start_httpd || finish
http /index.html
assert_eq "no Cache-Control by default" "" "$(hdr Cache-Control)"
stop_httpd

# readiness: the notification fd gets exactly one newline, then is closed
port=$(pick_port)
"$HTTPD" -a "$LOOPBACK" -p "$port" -r "$T/www" -w 1 -d 3 </dev/null \
	2>"$T/ready.log" 3>"$T/notify" &
pid=$!
DAEMON_PIDS+=("$pid")
DAEMON_LOGS+=("$T/ready.log")
deadline=$((SECONDS + 10))
until [ -s "$T/notify" ] || [ $SECONDS -ge $deadline ] || proc_has_exited $pid; do
	sleep 0.05
done
assert_eq "-d 3: one newline written" "0a" "$(od -An -tx1 "$T/notify" | tr -d ' ')"
if [ -e "/proc/$pid/fd/3" ]; then fail "-d 3: closed after use" "still open"
else ok "-d 3: closed after use"; fi
HTTPD_PID=$pid HTTPD_PORT=$port
http /index.html
assert_eq "ready means serving" 200 "$STATUS"
stop_httpd

# SIGTERM while a response is in flight: it completes, then exit 0
head -c 30000000 /dev/urandom >"$T/www/huge.bin"
start_httpd || finish
curl -sS --max-time 30 --limit-rate 10M -o "$T/huge.out" \
	"$(url /huge.bin)" 2>"$T/huge.err" &
cpid=$!
deadline=$((SECONDS + 10))
until [ -s "$T/huge.out" ] || [ $SECONDS -ge $deadline ]; do sleep 0.02; done
kill -TERM "$HTTPD_PID"
# new connections are refused while the old one drains (poll, 3 s)
deadline=$((SECONDS + 3))
refused=no
while [ $SECONDS -lt $deadline ]; do
	if ! curl -s --max-time 1 -o /dev/null "$(url /index.html)"; then
		refused=yes
		break
	fi
	sleep 0.05
done
assert_eq "after SIGTERM new connections are refused" yes "$refused"
wait_exit "$cpid" 40
assert_eq "response in flight at SIGTERM: curl succeeds" 0 "$WAIT_STATUS"
if cmp -s "$T/www/huge.bin" "$T/huge.out"; then
	ok "response in flight at SIGTERM: all 30 MB identical"
else fail "response in flight at SIGTERM: all 30 MB identical" \
	"got $(stat -c %s "$T/huge.out") bytes"; fi
if wait_exit "$HTTPD_PID" 15; then
	assert_eq "exit 0 after draining" 0 "$WAIT_STATUS"
else fail "exits after draining" "still running"; fi
HTTPD_PID=

# SIGTERM after the only client has come and gone: nothing is in flight,
# so the exit is prompt
start_httpd || finish
http /index.html
t0=$(now_ms)
kill -TERM "$HTTPD_PID"
if wait_exit "$HTTPD_PID" 12; then
	assert_eq "SIGTERM after a finished request: exit 0" 0 "$WAIT_STATUS"
	el=$(($(now_ms) - t0))
	if [ "$el" -lt 2000 ]; then ok "SIGTERM after a finished request: prompt (${el} ms)"
	else fail "SIGTERM after a finished request: prompt" \
		"${el} ms; log: $(grep -i grace "$HTTPD_LOG")"; fi
else fail "SIGTERM after a finished request" "no exit in 12 s"; fi
HTTPD_PID=

# SIGTERM on an idle daemon with an idle keep-alive connection: prompt exit 0
start_httpd || finish
conn_open c
conn_get "$c" /index.html
conn_response "$c"
t0=$(now_ms)
kill -TERM "$HTTPD_PID"
if wait_exit "$HTTPD_PID" 12; then
	assert_eq "SIGTERM with an idle keep-alive connection: exit 0" 0 "$WAIT_STATUS"
	el=$(($(now_ms) - t0))
	if [ "$el" -lt 2000 ]; then ok "idle connection does not delay the stop (${el} ms)"
	else fail "idle connection does not delay the stop" "${el} ms"; fi
else fail "SIGTERM with an idle keep-alive connection" "no exit in 12 s"; fi
conn_close "$c"
HTTPD_PID=

# SIGINT too
start_httpd || finish
kill -INT "$HTTPD_PID"
wait_exit "$HTTPD_PID" 12
assert_eq "SIGINT: exit 0" 0 "$WAIT_STATUS"
HTTPD_PID=

# SIGUSR1/SIGUSR2 and SIGHUP do not kill it
start_httpd --access-log "$T/access.log" || finish
kill -USR1 "$HTTPD_PID"
kill -USR2 "$HTTPD_PID"
kill -HUP "$HTTPD_PID"
http /index.html
assert_eq "serving after SIGUSR1, SIGUSR2, SIGHUP" 200 "$STATUS"
assert_match "access log written to the file" '"GET /index.html HTTP/1.1" 200' \
	"$(cat "$T/access.log" 2>/dev/null)"
mv "$T/access.log" "$T/access.log.1"
kill -HUP "$HTTPD_PID"
deadline=$((SECONDS + 5))
until [ -s "$T/access.log" ] || [ $SECONDS -ge $deadline ]; do
	http /sub/file.txt
	sleep 0.05
done
assert_match "SIGHUP reopens the access log" 'GET /sub/file.txt' \
	"$(cat "$T/access.log" 2>/dev/null)"
assert_alive "http-filed still running" "$HTTPD_PID"
finish
