#!/bin/bash
# test_s6.sh: http-filed run by s6 from the real service directory
# svc/http-filed, as `make run` and an installed system do: readiness
# through notification-fd (s6-svwait -U), configuration from env/, a
# restart with s6-svc -r, logs through log/run (s6-log), a broken
# configuration that does not restart in a loop (finish turns 100 into
# 125), and a clean stop of the whole tree.
. "$(dirname "$0")/../lib.sh"
need_binaries
SRC_TOP=$(cd "$(dirname "$0")/../.." && pwd)
for p in s6-svscan s6-svwait s6-svc s6-svstat s6-svscanctl s6-envdir s6-log; do
	command -v "$p" >/dev/null || skip_file "$p is not installed"
done
make_docroot

SCAN=$T/scandir
PORT=$(pick_port)
mkdir -p "$SCAN"
cp -R "$SRC_TOP/svc/http-filed" "$SCAN/"
rm -f "$SCAN/http-filed/env/"* # the defaults for a system install
setenv() { printf '%s\n' "$2" >"$SCAN/http-filed/env/$1"; }
setenv PATH "$BUILD_DIR/http-filed:/usr/bin:/bin:/usr/sbin:/sbin"
setenv HTTP_FILED_ADDRESS "$LOOPBACK"
setenv HTTP_FILED_PORT "$PORT"
setenv HTTP_FILED_ROOT "$T/www"
setenv HTTP_FILED_WORKERS 1
setenv HTTP_FILED_ACCESS_LOG stderr

s6-svscan "$SCAN" >"$T/svscan.log" 2>&1 &
SVSCAN_PID=$!
DAEMON_PIDS+=("$SVSCAN_PID")
DAEMON_LOGS+=("$SCAN/http-filed/log/main/current")

# until_ok SECONDS CMD...: polls CMD every 0.1 s until it succeeds.
until_ok() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" 2>/dev/null; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.1
	done
}

if until_ok 10 s6-svok "$SCAN/http-filed" &&
	s6-svwait -U -t 10000 "$SCAN/http-filed"; then
	ok "s6 reports http-filed up and ready"
else
	fail "s6 reports http-filed up and ready" "$(s6-svstat "$SCAN/http-filed")"
fi
HTTPD_PORT=$PORT
http /index.html
assert_eq "served once ready, with the env/ configuration" 200 "$STATUS"

PID1=$(s6-svstat -o pid "$SCAN/http-filed")
s6-svc -r "$SCAN/http-filed"
pid_changed() { [ "$(s6-svstat -o pid "$SCAN/http-filed")" != "$PID1" ]; }
if until_ok 10 pid_changed &&
	s6-svwait -U -t 10000 "$SCAN/http-filed"; then
	ok "s6-svc -r: a new process, ready again"
else
	fail "s6-svc -r: a new process, ready again" "$(s6-svstat "$SCAN/http-filed")"
fi
http /index.html
assert_eq "served after the restart" 200 "$STATUS"

LOG=$SCAN/http-filed/log/main/current
if until_ok 5 grep -q '"GET /index.html HTTP/1.1" 200' "$LOG"; then
	ok "access log reaches s6-log with a timestamp"
	assert_match "s6-log stamps lines (ISO 8601)" \
		'^[0-9]{4}-[0-9]{2}-[0-9]{2} ' "$(head -n 1 "$LOG")"
	grep -q "info: daemon_on_signal: stop requested" "$LOG" &&
		ok "the restart was a graceful stop (SIGTERM)" ||
		fail "the restart was a graceful stop (SIGTERM)" "$(cat "$LOG")"
else
	fail "access log reaches s6-log" "$(tail -n 5 "$LOG" 2>&1)"
fi

# A broken configuration: exit 100, finish turns it into 125, s6 gives up.
setenv HTTP_FILED_ROOT "$T/no-such-root"
s6-svc -r "$SCAN/http-filed"
if until_ok 10 sh -c "s6-svstat -o up,exitcode '$SCAN/http-filed' | grep -q '^false 100'"; then
	ok "bad configuration: exit 100, service down"
else
	fail "bad configuration: exit 100, service down" "$(s6-svstat "$SCAN/http-filed")"
fi
sleep 2 # the only way to see that nothing happens: s6 restarts after 1 s
assert_eq "bad configuration: not restarted in a loop" "false 100" \
	"$(s6-svstat -o up,exitcode "$SCAN/http-filed")"
grep -q "document root $T/no-such-root" "$LOG" &&
	ok "bad configuration: the reason is logged" ||
	fail "bad configuration: the reason is logged" "$(tail -n 3 "$LOG")"

setenv HTTP_FILED_ROOT "$T/www"
s6-svc -u "$SCAN/http-filed"
s6-svwait -U -t 10000 "$SCAN/http-filed" &&
	ok "fixed configuration: back up with s6-svc -u" ||
	fail "fixed configuration: back up with s6-svc -u" "$(s6-svstat "$SCAN/http-filed")"

LAST_PID=$(s6-svstat -o pid "$SCAN/http-filed")
s6-svscanctl -t "$SCAN"
if wait_exit "$SVSCAN_PID" 15; then
	ok "s6-svscanctl -t stops the whole tree"
else
	fail "s6-svscanctl -t stops the whole tree" "s6-svscan still running"
fi
if wait_exit "$LAST_PID" 5 && ! pgrep -f "s6-supervise $SCAN" >/dev/null; then
	ok "nothing left running"
else
	fail "nothing left running" "$(pgrep -af "http-filed|s6-supervise")"
fi
finish
