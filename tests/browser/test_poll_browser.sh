#!/bin/bash
# test_poll_browser.sh: the XEP-0025 polling page (/poll/) in a real
# browser, chatting with Converse.js. xmpp-routerd (with its gateway
# socket), boshd, pollgw and http-filed (serving a document root built
# here by build-www, /http-bind forwarded to boshd, /http-poll to pollgw)
# run on loopback. alice and bob are made each other's contacts with two
# libstrophe clients; a few XEP-0025 exchanges with curl check pollgw
# alone (session, cookie and X-Poll-ID, stream features, key chain change,
# the error identifiers); then Debian's Chromium, driven by
# tests/browser/poll-chat.mjs (playwright-core), logs alice in on the
# polling page and bob in Converse and has them see each other online and
# chat both ways (see poll-chat.mjs for every step). Each "ok"/"fail" line
# of poll-chat.mjs is a test case; screenshots go to
# $BUILD_DIR/tests/browser-screens/poll/. Skips loudly when pollgw is not
# built or node, npm or Chromium cannot be had.
. "$(dirname "$0")/../lib.sh"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$TOP/tests/browser
BOSHD=$BUILD_DIR/boshd/boshd
POLLGW=$BUILD_DIR/pollgw/pollgw
CHROMIUM=${PARLEY_CHROMIUM:-/usr/bin/chromium}
SHOTS=$BUILD_DIR/tests/browser-screens/poll
need_binaries "$XMPPD" "$BOSHD" "$POLLGW" "$XMPP_CLIENT" "$PARLEYCTL"
command -v openssl >/dev/null || skip_file "openssl is not installed (XEP-0025 keys for curl)"

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
# A document root of our own: $BUILD_DIR/www may predate poll/.
timeout 600 "$TOP/http-filed/webclient/build-www" "$T/www" >"$T/build-www.log" 2>&1 ||
	skip_file "build-www $T/www failed: $(tail -n 3 "$T/build-www.log")"
[ -f "$T/www/poll/index.html" ] && [ -d "$T/www/converse" ] ||
	skip_file "build-www laid no poll/index.html or converse/ in $T/www"

# ---- the gateways ------------------------------------------------------------------
# start_gateway NAME BINARY SOCKET ROUTER: boshd or pollgw between
# http-filed and xmpp-routerd, ready when it writes its newline on the
# FIFO (like start_xmppd); sets ${NAME}_PID and ${NAME}_LOG.
start_gateway() {
	local name=$1 bin=$2 fifo=$T/ready.$1 log=$T/$1.log pid
	rm -f "$fifo"
	mkfifo "$fifo"
	"$bin" --socket "$3" --router "$4" -d 3 </dev/null >>"$log" 2>&1 3>"$fifo" &
	pid=$!
	DAEMON_PIDS+=("$pid")
	DAEMON_LOGS+=("$log")
	printf -v "${name^^}_PID" %s "$pid"
	printf -v "${name^^}_LOG" %s "$log"
	if wait_ready "$fifo" "$pid" 10; then
		rm -f "$fifo"
		return 0
	fi
	rm -f "$fifo"
	kill -KILL "$pid" 2>/dev/null
	printf -v "${name^^}_PID" %s ""
	fail "start $name" "$name did not become ready; log:
$(tail -n 20 "$log")"
	return 1
}

ROUTER_SOCK=$T/router.sock
BOSH_SOCK=$T/boshd.sock
POLL_SOCK=$T/pollgw.sock
BOSHD_PID=''
POLLGW_PID=''
BOSHD_LOG=''
POLLGW_LOG=''
start_xmppd --gateway-socket "$ROUTER_SOCK" ${PARLEY_TEST_XMPPD_OPTS:-} || finish
start_gateway boshd "$BOSHD" "$BOSH_SOCK" "$ROUTER_SOCK" || finish
start_gateway pollgw "$POLLGW" "$POLL_SOCK" "$ROUTER_SOCK" || finish
DOCROOT=$T/www start_httpd --route "/http-bind=$BOSH_SOCK" \
	--route "/http-poll=$POLL_SOCK" || finish
add_user alice apw && add_user bob bpw ||
	{ fail "parleyctl creates users" "$(cat "$T/parleyctl.log")"; finish; }

# ---- alice and bob: each other's contacts (subscription both) ----------------------
if client_start alice alice@localhost/setup apw && client_start bob bob@localhost/setup bpw; then
	client_cmd alice presence
	client_cmd bob presence
	client_cmd alice "send <presence to='bob@localhost' type='subscribe'/>"
	client_wait bob 'type="subscribe"' >/dev/null
	client_cmd bob "send <presence to='alice@localhost' type='subscribed'/>"
	client_cmd bob "send <presence to='alice@localhost' type='subscribe'/>"
	client_wait alice 'type="subscribe"' >/dev/null
	client_cmd alice "send <presence to='bob@localhost' type='subscribed'/>"
	client_cmd bob "send <presence><status>subscribed-both</status></presence>"
	if client_wait alice 'subscribed-both' 5000 >/dev/null; then
		ok "alice and bob are each other's contacts"
	else
		fail "alice and bob are each other's contacts" "$(tail -n 5 "$T/alice.out")"
	fi
else
	fail "alice and bob log in over TCP (libstrophe)" "$(cat "$T"/alice.out "$T"/bob.out)"
fi
client_stop alice
client_stop bob

# ---- pollgw alone, with curl ---------------------------------------------------------
# key_chain N: K(N) down to K(1), one a line, from a random seed K(0).
key_chain() {
	local k i keys=()
	k=$(head -c 15 /dev/urandom | base64)
	for ((i = 1; i <= $1; i++)); do
		k=$(printf %s "$k" | openssl dgst -sha1 -binary | base64)
		keys+=("$k")
	done
	for ((i = $1 - 1; i >= 0; i--)); do echo "${keys[i]}"; done
}
# poll BODY: one XEP-0025 request; STATUS, PID_HDR (X-Poll-ID), body in $T/b.
poll() {
	http /http-poll/ --data-binary "$1"
	PID_HDR=$(hdr X-Poll-ID)
}
HEADER="<stream:stream to='localhost' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"

http /poll/
assert_eq "http-filed serves /poll/" 200 "$STATUS"
assert_match "/poll/ carries its Content-Security-Policy" "script-src 'self'" "$(cat "$T/b")"

readarray -t K < <(key_chain 12)
readarray -t K2 < <(key_chain 12)
poll "0;${K[0]},$HEADER"
sid=$PID_HDR
if [ "$STATUS" = 200 ] && [[ "$sid" =~ ^[A-Za-z0-9:-]+$ ]] && [[ "$sid" != *:0 ]]; then
	ok "/http-poll/: identifier 0 opens a session (X-Poll-ID $sid)"
	assert_match "/http-poll/: Set-Cookie ID carries the identifier" \
		"^ID=$sid(;.*)?$" "$(hdr Set-Cookie)"
	# the router's header and features may take a few polls to come
	got=$(cat "$T/b")
	i=1
	while [[ "$got" != *'</stream:features>'* ]] && [ "$i" -lt 9 ]; do
		sleep 0.2 # polling, as a client does
		poll "$sid;${K[i]},"
		got+=$(cat "$T/b")
		[ "$PID_HDR" = "$sid" ] || break
		i=$((i + 1))
	done
	assert_match "/http-poll/: the stream header and SASL PLAIN come back" \
		"<stream:stream.*<mechanisms.*>PLAIN<" "$(printf '%s' "$got" | tr -d '\r\n')"
	# down the chain to K(1), sent with the first key of a fresh chain
	while [ "$i" -lt 11 ] && [ "$PID_HDR" = "$sid" ]; do
		poll "$sid;${K[i]},"
		i=$((i + 1))
	done
	poll "$sid;${K[11]};${K2[0]},"
	assert_eq "/http-poll/: K(1) with a new key is accepted" "$sid" "$PID_HDR"
	poll "$sid;${K2[1]},"
	assert_eq "/http-poll/: the new chain continues" "$sid" "$PID_HDR"
	poll "$sid;${K2[1]},"
	assert_eq "/http-poll/: a key used twice is a key sequence error" "-3:0" "$PID_HDR"
	assert_eq "/http-poll/: errors are HTTP 200 too" 200 "$STATUS"
else
	fail "/http-poll/: identifier 0 opens a session" "status $STATUS, X-Poll-ID [$PID_HDR], body: $(head -c 300 "$T/b")"
fi
poll "no-comma-here"
assert_eq "/http-poll/: a body without a comma is a bad request" "-2:0" "$PID_HDR"
poll "nosuch1:1;${K[3]},"
assert_eq "/http-poll/: an unknown identifier gets 0:0" "0:0" "$PID_HDR"

# ---- the browser run -----------------------------------------------------------------
rm -rf "$SHOTS"
mkdir -p "$SHOTS"
NODE_OUT=$T/poll-chat.out
NODE_ERR=$T/poll-chat.err
timeout 300 node "$HERE/poll-chat.mjs" "$(url /)" "$SHOTS" \
	alice@localhost apw bob@localhost bpw 20000 \
	>"$NODE_OUT" 2>"$NODE_ERR"
NODE_RC=$?
while IFS= read -r l; do
	case $l in
	"ok "*) ok "browser: ${l#ok }" ;;
	"fail "*) n=${l#fail }; fail "browser: ${n%%: *}" "${n#*: }" ;;
	esac
done <"$NODE_OUT"
assert_eq "poll-chat.mjs exits 0" 0 "$NODE_RC"
grep -q "^ok no-page-errors\$" "$NODE_OUT" && grep -q "^ok poll-key-error\$" "$NODE_OUT" ||
	fail "poll-chat.mjs reached its last steps" "stdout:
$(cat "$NODE_OUT")
stderr:
$(tail -n 30 "$NODE_ERR")"
if [ "$NODE_RC" != 0 ]; then
	echo "poll-chat.mjs stderr:"
	tail -n 40 "$NODE_ERR"
fi
echo "test_poll_browser: screenshots in $SHOTS"

assert_alive "pollgw still running" "$POLLGW_PID"
assert_alive "boshd still running" "$BOSHD_PID"
assert_alive "xmpp-routerd still running" "$XMPPD_PID"
stop_daemon pollgw "$POLLGW_PID"
stop_daemon boshd "$BOSHD_PID"
POLLGW_PID=''
BOSHD_PID=''
for l in "$POLLGW_LOG" "$BOSHD_LOG" "$XMPPD_LOG"; do
	if grep -Eqi 'fatal|assert' "$l"; then
		fail "no fatal errors in $(basename "$l")" "$(grep -Ei -m 5 'fatal|assert' "$l")"
	fi
done
finish
