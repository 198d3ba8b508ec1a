# lib.sh: helpers sourced by the integration tests (tests/*/test_*.sh).
#
# Gives each test file a temporary directory (removed at exit, kept and
# named on failure), starts the real daemons on free loopback ports and
# waits for their readiness line on a FIFO, stops them checking their exit
# status, and offers the assertions ok / fail / skip / assert_eq /
# assert_match. Results are printed one per line as "PASS: file: name",
# "FAIL: file: name: detail" or "SKIP: file: name: reason"; tests/run
# counts those lines. At the end (finish) the daemon logs are scanned for
# sanitizer reports and copied to $PARLEY_TEST_LOGS for tests/run.
# Needs bash, coreutils, curl; never python. All traffic is to 127.0.0.1.

set -u

TEST_FILE=$(basename "$0" .sh)
: "${BUILD_DIR:?BUILD_DIR must be set (tests/run BUILD_DIR does it)}"
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR=$(cd "$BUILD_DIR" && pwd) ;; esac
HTTPD=$BUILD_DIR/http-filed/http-filed
RAWHTTP=$BUILD_DIR/tests/rawhttp
BACKEND=$BUILD_DIR/tests/test-backend
XMPPD=$BUILD_DIR/xmpp-routerd/xmpp-routerd
XMPP_CLIENT=$BUILD_DIR/tests/xmpp-client
PARLEYCTL=$BUILD_DIR/bin/parleyctl
LOOPBACK=127.0.0.1

# The daemons read their options from the environment too: keep ours out.
for _v in ${!HTTP_FILED_@} ${!XMPP_ROUTERD_@}; do unset "$_v"; done

T=$(mktemp -d "${TMPDIR:-/tmp}/parley-$TEST_FILE.XXXXXX")
PASSED=0
FAILED=0
SKIPPED=0
DAEMON_PIDS=()  # every daemon started, for cleanup
DAEMON_LOGS=()  # every daemon log, for the sanitizer scan
XMPPD_PID=
XMPPD_PORT=
XMPPD_LOG=
XMPPD_DB=
HTTPD_PID=
HTTPD_PORT=
HTTPD_LOG=
BACKEND_PID=
BACKEND_LOG=
BACKEND_OUT=
BACKEND_SOCK=
FD_BASELINE=

# ---- results -------------------------------------------------------------
ok() { PASSED=$((PASSED + 1)); echo "PASS: $TEST_FILE: $1"; }
fail() {
	FAILED=$((FAILED + 1))
	echo "FAIL: $TEST_FILE: $1: ${2:-}"
}
skip() {
	SKIPPED=$((SKIPPED + 1))
	echo "SKIP: $TEST_FILE: $1: *** SKIPPED *** ${2:-}"
}
# assert_eq NAME EXPECTED ACTUAL
assert_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else
		fail "$1" "expected [$2], got [$3]"
	fi
}
# assert_match NAME EXTENDED-REGEX ACTUAL
assert_match() {
	if printf '%s' "$3" | grep -Eq -- "$2"; then ok "$1"; else
		fail "$1" "[$3] does not match /$2/"
	fi
}
# assert_no_match NAME EXTENDED-REGEX ACTUAL
assert_no_match() {
	if printf '%s' "$3" | grep -Eq -- "$2"; then
		fail "$1" "[$3] matches /$2/"
	else ok "$1"; fi
}
# skip_file REASON: skips the whole file (when a tool or binary is missing).
skip_file() {
	skip "$TEST_FILE" "$1"
	finish
}

# ---- processes -----------------------------------------------------------
# proc_has_exited PID: 0 if PID is gone or a zombie waiting to be reaped.
proc_has_exited() {
	local st
	[ -r "/proc/$1/stat" ] || return 0
	st=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) || return 0
	[ "$st" = Z ] || [ "$st" = X ]
}
# wait_exit PID SECONDS: waits (bounded) for a child to exit; 0 and
# WAIT_STATUS set if it did, 1 if it is still running at the deadline.
wait_exit() {
	local deadline=$((SECONDS + $2))
	while ! proc_has_exited "$1"; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.05
	done
	wait "$1" 2>/dev/null
	WAIT_STATUS=$?
	return 0
}
# proc_children PID: the pids whose parent is PID.
proc_children() {
	local f
	for f in /proc/[0-9]*/stat; do
		read -r _p _c _s _pp _rest 2>/dev/null <"$f" || continue
		[ "$_pp" = "$1" ] && echo "$_p"
	done
	return 0
}
# pick_port: a loopback port nobody listens on now (a start can still race
# with another program; start_httpd retries on exit code 111).
pick_port() {
	local p hex
	while :; do
		p=$((20000 + RANDOM % 40000))
		hex=$(printf ':%04X ' "$p")
		grep -q "$hex" /proc/net/tcp /proc/net/tcp6 2>/dev/null || break
	done
	echo "$p"
}
# wait_ready FIFO PID SECONDS: reads the readiness newline from FIFO; 0 when
# it came, 1 if PID closed the FIFO without writing (it exited) or the
# deadline passed. timeout bounds the open of the FIFO as well as the read.
wait_ready() {
	local n
	n=$(timeout "$3" head -c 1 "$1" 2>/dev/null | wc -c)
	[ "$n" = 1 ]
}

# start_httpd [options...]: starts http-filed on 127.0.0.1:$HTTPD_PORT (a
# free port, or $HTTPD_WANT_PORT if set)
# with document root $DOCROOT (default $T/www) and one worker unless the
# options say otherwise; sets HTTPD_PID, HTTPD_PORT, HTTPD_LOG. Returns 1
# (and records a failure) if it does not become ready.
start_httpd() {
	local try fifo
	local root=${DOCROOT:-$T/www}
	for try in 1 2 3 4 5; do
		HTTPD_PORT=${HTTPD_WANT_PORT:-$(pick_port)}
		HTTPD_LOG=$T/http-filed.$HTTPD_PORT.${#DAEMON_PIDS[@]}.log
		fifo=$T/ready.$HTTPD_PORT
		rm -f "$fifo"
		mkfifo "$fifo"
		"$HTTPD" -a "$LOOPBACK" -p "$HTTPD_PORT" -r "$root" -w 1 \
			-d 3 "$@" </dev/null >>"$HTTPD_LOG" 2>&1 3>"$fifo" &
		HTTPD_PID=$!
		DAEMON_PIDS+=("$HTTPD_PID")
		DAEMON_LOGS+=("$HTTPD_LOG")
		if wait_ready "$fifo" "$HTTPD_PID" 10; then
			rm -f "$fifo"
			return 0
		fi
		rm -f "$fifo"
		if wait_exit "$HTTPD_PID" 0 && [ "$WAIT_STATUS" = 111 ] &&
			[ -z "${HTTPD_WANT_PORT:-}" ] &&
			grep -qi 'in use' "$HTTPD_LOG"; then
			continue # someone took the port meanwhile: another one
		fi
		kill -KILL "$HTTPD_PID" 2>/dev/null
		fail "start_httpd" "http-filed $* did not become ready; log:
$(tail -n 20 "$HTTPD_LOG")"
		HTTPD_PID=
		return 1
	done
	fail "start_httpd" "no free port after 5 tries"
	HTTPD_PID=
	return 1
}

# stop_daemon NAME PID: SIGTERM, bounded wait, the exit status must be 0.
stop_daemon() {
	[ -n "$2" ] || return 0
	kill -TERM "$2" 2>/dev/null
	if ! wait_exit "$2" 15; then
		kill -KILL "$2" 2>/dev/null
		wait_exit "$2" 5
		fail "$1 stops on SIGTERM" "still running 15 s after SIGTERM"
		return 1
	fi
	assert_eq "$1 exits 0 on SIGTERM" 0 "$WAIT_STATUS"
}
# start_xmppd [options...]: starts xmpp-routerd for domain localhost on
# 127.0.0.1:$XMPPD_PORT with the store $XMPPD_DB (default $T/xmpp.db) and a
# short SASL failure delay; sets XMPPD_PID, XMPPD_PORT, XMPPD_LOG.
start_xmppd() {
	local fifo try
	XMPPD_DB=${XMPPD_DB:-$T/xmpp.db}
	for try in 1 2 3 4 5; do
		XMPPD_PORT=$(pick_port)
		XMPPD_LOG=$T/xmpp-routerd.$XMPPD_PORT.log
		fifo=$T/ready.x$XMPPD_PORT
		rm -f "$fifo"
		mkfifo "$fifo"
		"$XMPPD" -a "$LOOPBACK" -p "$XMPPD_PORT" --db "$XMPPD_DB" \
			--auth-failure-delay 50 -d 3 "$@" </dev/null \
			>>"$XMPPD_LOG" 2>&1 3>"$fifo" &
		XMPPD_PID=$!
		DAEMON_PIDS+=("$XMPPD_PID")
		DAEMON_LOGS+=("$XMPPD_LOG")
		if wait_ready "$fifo" "$XMPPD_PID" 10; then
			rm -f "$fifo"
			return 0
		fi
		rm -f "$fifo"
		if wait_exit "$XMPPD_PID" 0 && [ "$WAIT_STATUS" = 111 ]; then
			continue
		fi
		kill -KILL "$XMPPD_PID" 2>/dev/null
		fail "start_xmppd" "xmpp-routerd did not become ready; log:
$(tail -n 20 "$XMPPD_LOG")"
		XMPPD_PID=
		return 1
	done
	XMPPD_PID=
	return 1
}
stop_xmppd() {
	stop_daemon xmpp-routerd "$XMPPD_PID"
	XMPPD_PID=
}
# add_user NAME PASSWORD: creates an account in $XMPPD_DB.
add_user() { "$PARLEYCTL" --db "$XMPPD_DB" user add "$1" "$2" 2>>"$T/parleyctl.log"; }
# xclient JID PASSWORD [options]: xmpp-client against our xmpp-routerd,
# reading its commands from stdin.
xclient() {
	local jid=$1 pw=$2
	shift 2
	"$XMPP_CLIENT" -H "$LOOPBACK" -P "$XMPPD_PORT" --tls disable -t 5000 \
		"$@" "$jid" "$pw"
}

stop_httpd() {
	stop_daemon http-filed "$HTTPD_PID"
	HTTPD_PID=
}

# start_backend: starts the test backend on the unix socket $BACKEND_SOCK
# ($T/backend.sock unless set); sets BACKEND_PID, BACKEND_LOG (stderr) and
# BACKEND_OUT (stdout, where it prints "abort CHANNEL").
start_backend() {
	local fifo=$T/backend-ready.$RANDOM
	BACKEND_SOCK=${BACKEND_SOCK:-$T/backend.sock}
	BACKEND_LOG=$T/test-backend.log
	BACKEND_OUT=$T/test-backend.out
	mkfifo "$fifo"
	"$BACKEND" "$BACKEND_SOCK" 3 </dev/null >>"$BACKEND_OUT" \
		2>>"$BACKEND_LOG" 3>"$fifo" &
	BACKEND_PID=$!
	DAEMON_PIDS+=("$BACKEND_PID")
	DAEMON_LOGS+=("$BACKEND_LOG")
	if wait_ready "$fifo" "$BACKEND_PID" 10; then
		rm -f "$fifo"
		return 0
	fi
	rm -f "$fifo"
	kill -KILL "$BACKEND_PID" 2>/dev/null
	fail "start_backend" "test-backend did not become ready; log:
$(tail -n 20 "$BACKEND_LOG")"
	BACKEND_PID=
	return 1
}
stop_backend() {
	stop_daemon test-backend "$BACKEND_PID"
	BACKEND_PID=
}

# assert_alive NAME PID
assert_alive() {
	if [ -n "$2" ] && ! proc_has_exited "$2"; then ok "$1"; else
		fail "$1" "process ${2:-?} is not running"
	fi
}

# ---- descriptor leaks ------------------------------------------------------
# httpd_workers: the worker pids of $HTTPD_PID (itself when it has none).
httpd_workers() {
	local kids
	kids=$(proc_children "$HTTPD_PID")
	if [ -n "$kids" ]; then echo "$kids"; else echo "$HTTPD_PID"; fi
}
# fd_count: open descriptors summed over the http-filed workers.
fd_count() {
	local n=0 p c
	for p in $(httpd_workers); do
		c=$(ls "/proc/$p/fd" 2>/dev/null | wc -l)
		n=$((n + c))
	done
	echo "$n"
}
fd_baseline() { FD_BASELINE=$(fd_count); }
# fd_check NAME: the count must come back to the baseline within 5 s.
fd_check() {
	local n deadline=$((SECONDS + 5))
	while :; do
		n=$(fd_count)
		[ "$n" -le "$FD_BASELINE" ] && break
		[ $SECONDS -ge $deadline ] && break
		sleep 0.05
	done
	if [ "$n" -le "$FD_BASELINE" ]; then ok "$1"; else
		fail "$1" "open fds $n, baseline $FD_BASELINE:
$(for p in $(httpd_workers); do ls -l "/proc/$p/fd"; done 2>/dev/null)"
	fi
}

# ---- clients -------------------------------------------------------------
# url PATH
url() { echo "http://$LOOPBACK:$HTTPD_PORT$1"; }
# http PATH [curl args...]: one request with curl; sets STATUS, and the
# response head is in $T/h, the body in $T/b.
http() {
	local p=$1
	shift
	: >"$T/h"
	: >"$T/b"
	STATUS=$(curl -sS --max-time 15 -o "$T/b" -D "$T/h" \
		-w '%{http_code}' "$@" "$(url "$p")" 2>"$T/curl.err")
	CURL_RC=$?
	return 0
}
# hdr NAME: the value of header NAME in $T/h (or in the file $2), last one
# wins, CR removed; empty if absent.
hdr() {
	tr -d '\r' <"${2:-$T/h}" | grep -i "^$1:" | tail -n 1 |
		sed -e 's/^[^:]*:[[:space:]]*//' -e 's/[[:space:]]*$//'
}
# has_hdr NAME [FILE]: 0 if the header is present.
has_hdr() { tr -d '\r' <"${2:-$T/h}" | grep -qi "^$1:"; }
# raw [rawhttp options...]: sends stdin with rawhttp to the daemon; the
# answer is in $T/raw, the exit status in RAW_RC (0 closed, 2 still open).
raw() {
	timeout 60 "$RAWHTTP" "$@" "$LOOPBACK" "$HTTPD_PORT" >"$T/raw" \
		2>"$T/raw.err"
	RAW_RC=$?
	return 0
}
# rawp FORMAT [rawhttp options...]: raw with printf FORMAT as the bytes.
rawp() {
	local f=$1
	shift
	# shellcheck disable=SC2059
	printf "$f" >"$T/raw.in"
	raw "$@" <"$T/raw.in"
}
# raw_status [FILE]: the status code of the first response in $T/raw.
raw_status() {
	head -n 1 "${1:-$T/raw}" | tr -d '\r' |
		sed -n 's|^HTTP/1\.[01] \([0-9][0-9][0-9]\).*|\1|p'
}
# raw_statuses [FILE]: every status line's code, space-separated.
raw_statuses() {
	grep -aoE "HTTP/1\.[01] [0-9]{3} " "${1:-$T/raw}" | cut -d" " -f2 |
		tr '\n' ' ' | sed 's/ $//'
}
# raw_head [FILE]: the first response head of $T/raw, CR removed.
raw_head() { tr -d '\r' <"${1:-$T/raw}" | sed '/^$/q'; }

# ---- fixtures --------------------------------------------------------------
# make_docroot [DIR]: the standard document root (default $T/www).
make_docroot() {
	local d=${1:-$T/www}
	mkdir -p "$d/dir" "$d/noindex" "$d/sub/deeper"
	printf '<!doctype html>\n<title>Parley</title>\n<p>root index\n' \
		>"$d/index.html"
	printf '<!doctype html>\n<p>dir index\n' >"$d/dir/index.html"
	printf 'body { color: #123; }\n' >"$d/style.css"
	printf 'console.log("parley");\n' >"$d/app.js"
	printf '{"parley": true}\n' >"$d/data.json"
	printf 'plain text\n' >"$d/sub/file.txt"
	printf 'deeper\n' >"$d/sub/deeper/x.txt"
	printf '<svg xmlns="http://www.w3.org/2000/svg"/>\n' >"$d/pic.svg"
	# a binary file with every byte value, then random bytes
	{
		local i
		for i in $(seq 0 255); do printf "\\$(printf %03o "$i")"; done
		head -c 4000 /dev/urandom
	} >"$d/image.png"
	head -c 300000 /dev/urandom >"$d/big.bin"
	: >"$d/empty.txt"
	# 0123456789abcdef... : easy to check byte ranges by eye
	printf '0123456789abcdefghijklmnopqrstuvwxyz' >"$d/range.txt"
	printf 'outside the root\n' >"$T/secret.txt"
}

# ---- the end ----------------------------------------------------------------
# scan_logs: a sanitizer report in any daemon log is a failure.
scan_logs() {
	local l
	for l in "${DAEMON_LOGS[@]}"; do
		[ -f "$l" ] || continue
		if grep -Eq 'AddressSanitizer|runtime error:|LeakSanitizer' "$l"
		then
			fail "sanitizer report in $(basename "$l")" \
				"$(grep -E -m 3 'AddressSanitizer|runtime error:|LeakSanitizer' "$l")"
		fi
	done
}
cleanup() {
	local p l
	for p in "${DAEMON_PIDS[@]}"; do
		proc_has_exited "$p" && continue
		kill -TERM "$p" 2>/dev/null
		wait_exit "$p" 10 || { kill -KILL "$p" 2>/dev/null; wait_exit "$p" 2; }
	done
	if [ -n "${PARLEY_TEST_LOGS:-}" ] && [ -d "$PARLEY_TEST_LOGS" ]; then
		for l in "${DAEMON_LOGS[@]}"; do
			[ -f "$l" ] && cp "$l" "$PARLEY_TEST_LOGS/$TEST_FILE.$(basename "$l")"
		done
	fi
	if [ "$FAILED" -gt 0 ]; then
		echo "$TEST_FILE: kept $T for inspection"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'fail "$TEST_FILE" "interrupted"; exit 1' INT TERM

# finish: stops what is still running (checking clean exits), scans the
# logs, prints the file's summary and exits non-zero if anything failed.
finish() {
	[ -n "$HTTPD_PID" ] && stop_httpd
	[ -n "$XMPPD_PID" ] && stop_xmppd
	[ -n "$BACKEND_PID" ] && stop_backend
	scan_logs
	echo "$TEST_FILE: $PASSED passed, $FAILED failed, $SKIPPED skipped"
	[ "$FAILED" -eq 0 ] && exit 0
	exit 1
}

# need_binaries: skips the whole file when the programs are not built.
need_binaries() {
	local b
	for b in "$HTTPD" "$RAWHTTP" "$@"; do
		[ -x "$b" ] || skip_file "$(basename "$b") not built ($b)"
	done
	command -v curl >/dev/null || skip_file "curl is not installed"
}

# ---- persistent connections from bash (/dev/tcp) ----------------------------
# conn_open VAR: opens a connection to the daemon; its fd number goes to VAR.
conn_open() {
	local fd
	exec {fd}<>"/dev/tcp/$LOOPBACK/$HTTPD_PORT" || return 1
	printf -v "$1" %s "$fd"
}
# conn_close FD
conn_close() { eval "exec $1>&-"; }
# conn_send FD FORMAT [ARGS...]: printf to the connection.
conn_send() {
	local fd=$1
	shift
	# In a subshell: a peer that has gone away kills the subshell with
	# SIGPIPE, not the test.
	# shellcheck disable=SC2059
	(printf "$@" >&"$fd") 2>/dev/null
}
# conn_get FD PATH: sends a keep-alive GET for PATH.
conn_get() { conn_send "$1" 'GET %s HTTP/1.1\r\nHost: test\r\n\r\n' "$2"; }
# conn_response FD [SECONDS]: reads one response (head, then a body of
# Content-Length bytes; text bodies only). Sets R_STATUS, R_HEAD, R_BODY;
# returns 1 on end of file or timeout before a whole response.
conn_response() {
	local fd=$1 t=${2:-5} line len=0
	R_STATUS= R_HEAD= R_BODY=
	IFS= read -r -t "$t" -u "$fd" line || return 1
	line=${line%$'\r'}
	R_STATUS=$(printf '%s' "$line" | sed -n 's|^HTTP/1\.[01] \([0-9]*\).*|\1|p')
	while IFS= read -r -t "$t" -u "$fd" line; do
		line=${line%$'\r'}
		[ -z "$line" ] && break
		R_HEAD+="$line"$'\n'
	done
	len=$(printf '%s' "$R_HEAD" | grep -i '^content-length:' |
		tr -dc '0-9')
	if [ -n "$len" ] && [ "$len" -gt 0 ]; then
		IFS= read -r -N "$len" -t "$t" -u "$fd" R_BODY || return 1
	fi
	return 0
}
# conn_closed FD [SECONDS]: 0 if the server closed the connection (end of
# file) within SECONDS, 1 if data came or it stayed open.
conn_closed() {
	local c rc
	IFS= read -r -N 1 -t "${2:-5}" -u "$1" c
	rc=$?
	[ $rc -ne 0 ] && [ $rc -lt 128 ] && [ -z "$c" ]
}
# now_ms: a monotonic-enough clock in milliseconds for elapsed times.
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# ---- interactive XMPP clients ----------------------------------------------
# client_start NAME JID PASSWORD [options]: runs xmpp-client in the
# background, its commands written with client_cmd NAME ..., its output in
# $T/NAME.out. Returns 1 if it did not log in (see client_wait).
client_start() {
	local name=$1 jid=$2 pw=$3 fd
	shift 3
	rm -f "$T/$name.in"
	mkfifo "$T/$name.in"
	xclient "$jid" "$pw" "$@" <"$T/$name.in" >"$T/$name.out" 2>"$T/$name.err" &
	eval "CLIENT_PID_$name=$!"
	exec {fd}>"$T/$name.in"
	eval "CLIENT_FD_$name=$fd"
	client_wait "$name" '^(connected|error)' 10000 >/dev/null
	grep -q '^connected' "$T/$name.out"
}
client_cmd() {
	local name=$1 fd
	shift
	eval "fd=\$CLIENT_FD_$name"
	# a subshell: a client that has exited kills it with SIGPIPE, not the test
	(printf '%s\n' "$*" >&"$fd") 2>/dev/null
}
# client_wait NAME REGEX [TIMEOUT_MS]: polls NAME's output until a line
# matches; prints the line. 1 on timeout or if the client exited first.
client_wait() {
	local name=$1 re=$2 ms=${3:-5000} pid deadline
	eval "pid=\$CLIENT_PID_$name"
	deadline=$(($(now_ms) + ms))
	while [ "$(now_ms)" -lt "$deadline" ]; do
		if grep -Em 1 -- "$re" "$T/$name.out" 2>/dev/null; then
			return 0
		fi
		proc_has_exited "$pid" && {
			grep -Em 1 -- "$re" "$T/$name.out" 2>/dev/null
			return $?
		}
		sleep 0.05 # polling a file another process writes
	done
	return 1
}
# client_stop NAME: asks for a clean disconnect and closes its stdin (other
# clients started later hold the FIFO open too), waits for its exit;
# WAIT_STATUS holds the exit code.
client_stop() {
	local name=$1 fd pid
	eval "fd=\$CLIENT_FD_$name; pid=\$CLIENT_PID_$name"
	# the client may exit between the check and the write: a subshell takes
	# the SIGPIPE
	proc_has_exited "$pid" || (printf 'disconnect\n' >&"$fd") 2>/dev/null
	exec {fd}>&-
	wait_exit "$pid" 10 || kill -KILL "$pid" 2>/dev/null
}
# client_sync NAME: waits until the server has processed everything NAME
# sent so far (a ping's answer, counted, comes back after them).
client_sync() {
	local name=$1 n deadline
	n=$(grep -c '^result' "$T/$name.out")
	client_cmd "$name" 'iq get localhost <ping xmlns="urn:xmpp:ping"/>'
	deadline=$(($(now_ms) + 5000))
	until [ "$(grep -c '^result' "$T/$name.out")" -gt "$n" ]; do
		[ "$(now_ms)" -gt "$deadline" ] && return 1
		sleep 0.05 # polling a file another process writes
	done
}
