#!/bin/bash
# test_browser.sh: the whole web chat in a real browser. xmpp-routerd (with
# its gateway socket), boshd and http-filed (serving the Converse.js
# document root, /http-bind forwarded to boshd) run on loopback; Debian's
# Chromium, driven by tests/browser/chat.mjs (playwright-core), logs alice
# and bob in from two browser contexts, has them add each other through
# Converse's dialogs, see each other online, chat both ways, survive a
# reload of alice's page, and alice chat with carol, a libstrophe client
# driven from here. Each "ok"/"fail" line of chat.mjs is a test case;
# screenshots go to $BUILD_DIR/tests/browser-screens/ (kept as artefacts).
# Skips loudly when node, npm or Chromium cannot be had.
. "$(dirname "$0")/../lib.sh"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$TOP/tests/browser
BOSHD=$BUILD_DIR/boshd/boshd
CHROMIUM=${PARLEY_CHROMIUM:-/usr/bin/chromium}
SHOTS=$BUILD_DIR/tests/browser-screens
need_binaries "$XMPPD" "$BOSHD" "$XMPP_CLIENT" "$PARLEYCTL"

# ---- the browser and its driver: installed when missing, else a SKIP ---------
command -v node >/dev/null || skip_file "node is not installed (Debian package nodejs)"
if [ ! -x "$CHROMIUM" ]; then
	"$TOP/tests/install-debs" chromium >"$T/install-debs.log" 2>&1
	[ -x "$CHROMIUM" ] ||
		skip_file "$CHROMIUM is missing and tests/install-debs chromium failed: $(tail -n 3 "$T/install-debs.log")"
fi
if [ ! -f "$HERE/node_modules/.package-lock.json" ] ||
	[ ! -d "$HERE/node_modules/playwright-core" ] ||
	[ -n "$(find "$HERE/package-lock.json" -newer "$HERE/node_modules/.package-lock.json")" ]; then
	command -v npm >/dev/null || skip_file "npm is not installed (Debian package npm)"
	timeout 300 npm ci --no-audit --no-fund --prefix "$HERE" >"$T/npm.log" 2>&1 ||
		skip_file "npm ci --prefix tests/browser failed (network? registry?): $(tail -n 3 "$T/npm.log")"
fi
if [ ! -f "$BUILD_DIR/www/index.html" ]; then
	timeout 600 "$TOP/http-filed/webclient/build-www" "$BUILD_DIR/www" \
		>"$T/build-www.log" 2>&1 ||
		skip_file "build-www $BUILD_DIR/www failed: $(tail -n 3 "$T/build-www.log")"
fi
[ -d "$BUILD_DIR/www/converse" ] ||
	skip_file "$BUILD_DIR/www has no converse/ (run make www)"

# ---- boshd ----------------------------------------------------------------------
BOSHD_PID=
BOSHD_LOG=
# start_boshd SOCKET ROUTER: boshd between http-filed and xmpp-routerd, ready
# when it writes its newline on the FIFO (like start_xmppd).
start_boshd() {
	local fifo=$T/ready.boshd
	BOSHD_LOG=$T/boshd.log
	rm -f "$fifo"
	mkfifo "$fifo"
	"$BOSHD" --socket "$1" --router "$2" -d 3 </dev/null \
		>>"$BOSHD_LOG" 2>&1 3>"$fifo" &
	BOSHD_PID=$!
	DAEMON_PIDS+=("$BOSHD_PID")
	DAEMON_LOGS+=("$BOSHD_LOG")
	if wait_ready "$fifo" "$BOSHD_PID" 10; then
		rm -f "$fifo"
		return 0
	fi
	rm -f "$fifo"
	kill -KILL "$BOSHD_PID" 2>/dev/null
	fail "start_boshd" "boshd did not become ready; log:
$(tail -n 20 "$BOSHD_LOG")"
	BOSHD_PID=
	return 1
}

ROUTER_SOCK=$T/router.sock
BOSH_SOCK=$T/boshd.sock
# PARLEY_TEST_XMPPD_OPTS: extra options for xmpp-routerd (e.g. -l debug);
# PARLEY_BOSH_TRACE=FILE makes chat.mjs log every BOSH exchange to FILE.
start_xmppd --gateway-socket "$ROUTER_SOCK" ${PARLEY_TEST_XMPPD_OPTS:-} || finish
start_boshd "$BOSH_SOCK" "$ROUTER_SOCK" || finish
DOCROOT=$BUILD_DIR/www start_httpd --route "/http-bind=$BOSH_SOCK" || finish
add_user alice apw && add_user bob bpw && add_user carol cpw ||
	{ fail "parleyctl creates users" "$(cat "$T/parleyctl.log")"; finish; }

# The page is served, and /http-bind reaches boshd and the router: a
# session request is answered with a sid and the stream features.
http /
assert_eq "http-filed serves the web client" 200 "$STATUS"
NS="xmlns='http://jabber.org/protocol/httpbind'"
http /http-bind/ -H 'Content-Type: text/xml; charset=utf-8' --data-binary \
	"<body $NS rid='1000' to='localhost' wait='5' hold='1' xml:lang='en' ver='1.6' xmpp:version='1.0' xmlns:xmpp='urn:xmpp:xbosh'/>"
body=$(cat "$T/b")
sid=$(printf '%s' "$body" | sed -n "s/.*sid=['\"]\([^'\"]*\)['\"].*/\1/p")
if [ "$STATUS" = 200 ] && [ -n "$sid" ] && [[ "$body" == *mechanisms* ]]; then
	ok "/http-bind: boshd opens a session with the router's features"
	http /http-bind/ -H 'Content-Type: text/xml; charset=utf-8' --data-binary \
		"<body $NS rid='1001' sid='$sid' type='terminate'/>"
	assert_eq "/http-bind: the session terminates" 200 "$STATUS"
else
	fail "/http-bind: boshd opens a session" "status $STATUS: $body"
	finish
fi

if client_start carol carol@localhost/tcp cpw; then
	ok "carol logs in over TCP (libstrophe)"
else
	fail "carol logs in over TCP" "$(cat "$T/carol.out" "$T/carol.err")"
	finish
fi
client_cmd carol presence

# ---- the browser run -----------------------------------------------------------
rm -rf "$SHOTS"
mkdir -p "$SHOTS"
NODE_OUT=$T/chat.out
NODE_ERR=$T/chat.err
timeout 300 node "$HERE/chat.mjs" "$(url /)" "$SHOTS" \
	alice@localhost apw bob@localhost bpw carol@localhost 20000 \
	>"$NODE_OUT" 2>"$NODE_ERR" &
NODE_PID=$!

# carol answers alice's ping with the same nonce, once it comes (while
# chat.mjs runs, 280 s at most).
line=
deadline=$((SECONDS + 280))
while [ $SECONDS -lt $deadline ]; do
	line=$(client_wait carol 'ping from alice@localhost [0-9-]+' 1000) && break
	proc_has_exited "$NODE_PID" && break
done
if [ -n "$line" ]; then
	nonce=$(printf '%s' "$line" | sed -n 's/.*ping from alice@localhost \([0-9-]*\).*/\1/p')
	assert_match "carol receives alice's message from the browser" \
		'from="alice@localhost/' "$line"
	client_cmd carol "message alice@localhost pong $nonce"
else
	fail "carol receives alice's message from the browser" \
		"nothing came (chat.mjs $(proc_has_exited "$NODE_PID" && echo ended || echo 'still running')): $(tail -n 3 "$T/carol.out")"
fi

if wait_exit "$NODE_PID" 320; then
	NODE_RC=$WAIT_STATUS
else
	kill -TERM "$NODE_PID" 2>/dev/null # timeout passes it on to node
	wait_exit "$NODE_PID" 10
	NODE_RC=timeout
fi
while IFS= read -r l; do
	case $l in
	"ok "*) ok "browser: ${l#ok }" ;;
	"fail "*) n=${l#fail }; fail "browser: ${n%%: *}" "${n#*: }" ;;
	esac
done <"$NODE_OUT"
assert_eq "chat.mjs exits 0" 0 "$NODE_RC"
grep -q "^ok answer-from-third\$" "$NODE_OUT" ||
	fail "chat.mjs reached its last step" "stdout:
$(cat "$NODE_OUT")
stderr:
$(tail -n 30 "$NODE_ERR")"
if [ "$NODE_RC" != 0 ]; then
	echo "chat.mjs stderr:"
	tail -n 40 "$NODE_ERR"
fi
sed 's/^/chat.mjs: /' "$NODE_ERR" | grep -E 'reload-page1:|accept the request|closing a dialog' || true
echo "test_browser: screenshots in $SHOTS"

client_stop carol
assert_alive "boshd still running" "$BOSHD_PID"
assert_alive "xmpp-routerd still running" "$XMPPD_PID"
[ -n "$BOSHD_PID" ] && stop_daemon boshd "$BOSHD_PID"
BOSHD_PID=
for l in "$BOSHD_LOG" "$XMPPD_LOG"; do
	if grep -Eqi 'fatal|assert' "$l"; then
		fail "no fatal errors in $(basename "$l")" "$(grep -Ei -m 5 'fatal|assert' "$l")"
	fi
done
finish
