#!/bin/bash
# test_stack_faults.sh: the whole stack under s6, as `make run` lays it
# (svc/make-run): the real service directories svc/http-filed, svc/boshd
# and svc/xmpp-routerd in a temporary scandir, on free loopback ports,
# ready by notification-fd (s6-svwait -U). Then faults, with curl as the
# BOSH client and a libstrophe TCP user (bob) to see what gets through:
#  - boshd restarted (s6-svc -r) with a request held: it ends with a
#    terminate body or an HTTP error, never hangs; the old sids then get
#    item-not-found (as a terminate body if the client sent ver at
#    creation, as HTTP 404 if not: XEP-0124 17.1); a new session works;
#  - xmpp-routerd restarted (s6-svc -r) with a session open: the session
#    ends with a terminate (remote-stream-error carrying the router's
#    system-shutdown, XEP-0206 6; remote-connection-failed when the router
#    is killed, s6-svc -k), boshd keeps running (same pid) and a new
#    session logs in once the router is back;
#  - boshd killed (s6-svc -k, SIGKILL) with a request held: http-filed
#    answers 503 and the same keep-alive connection serves a file after;
#  - in Debian's Chromium (tests/browser/reconnect.mjs, playwright-core),
#    Converse.js logged in over BOSH chats with bob, boshd is restarted,
#    and Converse must reconnect by itself (nobody types the password
#    again) and chat both ways after; then boshd gets a state directory
#    and a planned restart must keep Converse's session (same sid, no new
#    login, no error) while the chat goes on both ways. Skips loudly without node/Chromium.
# The scandir is stopped (s6-svscanctl -t) at the end, even on failure,
# and no process may be left in it; the service logs are scanned.
. "$(dirname "$0")/../lib.sh"
for _v in ${!BOSHD_@} PARLEY_FDHOLDER; do unset "$_v"; done
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/svc/scandir.sh"
BOSHD=$BUILD_DIR/boshd/boshd
CHROMIUM=${PARLEY_CHROMIUM:-/usr/bin/chromium}
SHOTS=$BUILD_DIR/tests/browser-screens/stack-faults
need_binaries "$XMPPD" "$BOSHD" "$XMPP_CLIENT" "$PARLEYCTL"
need_s6

NS_BIND=http://jabber.org/protocol/httpbind
DB=$STATE/xmpp-routerd.db
SVCS="http-filed boshd xmpp-routerd"
BG_PIDS=() # background curls
BROWSER_PID= # timeout running node reconnect.mjs

# ---- the scandir, laid as svc/make-run lays it -----------------------------------
HTTPD_PORT=$(pick_port)
XMPPD_PORT=$(pick_port)
lay_service http-filed
setenv http-filed HTTP_FILED_ADDRESS "$LOOPBACK"
setenv http-filed HTTP_FILED_PORT "$HTTPD_PORT"
setenv http-filed HTTP_FILED_ROOT "$T/www"
setenv http-filed HTTP_FILED_ACCESS_LOG stderr
setenv http-filed HTTP_FILED_CACHE_CONTROL "no-cache"
lay_service xmpp-routerd
setenv xmpp-routerd XMPP_ROUTERD_DOMAIN localhost
setenv xmpp-routerd XMPP_ROUTERD_ADDRESS "$LOOPBACK"
setenv xmpp-routerd XMPP_ROUTERD_PORT "$XMPPD_PORT"
setenv xmpp-routerd XMPP_ROUTERD_DB "$DB"
if "$TOP/xmpp-routerd/make-cert" localhost "$STATE/certs" >"$T/make-cert.log" 2>&1; then
	setenv xmpp-routerd XMPP_ROUTERD_TLS_CERT "$STATE/certs/localhost.crt"
	setenv xmpp-routerd XMPP_ROUTERD_TLS_KEY "$STATE/certs/localhost.key"
else
	echo "$TEST_FILE: no certificate ($(tail -n 1 "$T/make-cert.log")): xmpp-routerd without STARTTLS"
fi
setenv xmpp-routerd XMPP_ROUTERD_REGISTRATION 1
setenv xmpp-routerd XMPP_ROUTERD_CONTROL_SOCKET "$STATE/xmpp-routerd.ctl"
setenv xmpp-routerd XMPP_ROUTERD_GATEWAY_SOCKET "$STATE/router.sock"
lay_service boshd
setenv boshd BOSHD_SOCKET "$STATE/boshd.sock"
setenv boshd BOSHD_ROUTER "$STATE/router.sock"
setenv boshd BOSHD_DOMAIN localhost
setenv http-filed HTTP_FILED_ROUTES "/http-bind=$STATE/boshd.sock"

# The document root: the web client built from this tree's sources (so
# that the browser runs this tree's converse-init.js), or, if that cannot
# be built, a bare directory (the browser part then skips).
WWW_OK=
if timeout 300 "$TOP/http-filed/webclient/build-www" "$T/www" \
	>"$T/build-www.log" 2>&1 && [ -d "$T/www/converse" ]; then
	WWW_OK=1
else
	mkdir -p "$T/www"
fi
echo hello >"$T/www/hello.txt"

"$PARLEYCTL" --db "$DB" user add alice alice-pw >>"$T/parleyctl.log" 2>&1 &&
	"$PARLEYCTL" --db "$DB" user add bob bob-pw >>"$T/parleyctl.log" 2>&1 &&
	ok "parleyctl creates alice and bob" ||
	{ fail "parleyctl creates alice and bob" "$(cat "$T/parleyctl.log")"; finish; }

# ---- s6 ------------------------------------------------------------------------
reap_curls() {
	local p
	for p in "${BG_PIDS[@]}"; do
		proc_has_exited "$p" || kill -TERM "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	BG_PIDS=()
}
# teardown: the browser, bob, the curls and the scandir; does nothing the
# second time.
teardown() {
	if [ -n "$BROWSER_PID" ]; then
		# timeout passes SIGTERM on to node; playwright closes Chromium
		proc_has_exited "$BROWSER_PID" || kill -TERM "$BROWSER_PID" 2>/dev/null
		wait_exit "$BROWSER_PID" 10 || kill -KILL "$BROWSER_PID" 2>/dev/null
		BROWSER_PID=
	fi
	if [ -n "${CLIENT_PID_bob:-}" ]; then
		client_stop bob
		CLIENT_PID_bob=
	fi
	reap_curls
	scandir_stop
}

T0=$(now_ms)
scandir_start
scandir_ready 15 xmpp-routerd boshd http-filed || end
ok "s6: xmpp-routerd, boshd and http-filed up and ready"

HTTPD_SVC_PID=$(svc_pid http-filed)
echo "$TEST_FILE: stack ready in $(($(now_ms) - T0)) ms"

# ---- BOSH with curl (as tests/bosh/test_bosh.sh) ------------------------------------
bosh() { # BODY: one POST, synchronous; BS the status, BB the body
	BS=$(curl -sS --max-time 30 -o "$T/bb" -w '%{http_code}' \
		-H 'Content-Type: text/xml; charset=utf-8' --data-binary "$1" \
		"$(url /http-bind/)" 2>"$T/curl.err")
	BB=$(cat "$T/bb" 2>/dev/null)
}
# attr NAME [TEXT]: an attribute of the first <body> in TEXT (default $BB).
attr() {
	printf '%s' "${2:-$BB}" | grep -o '<body [^>]*' | head -n 1 |
		grep -oE "(^| )$1=['\"][^'\"]*['\"]" | head -n 1 |
		sed -E "s/^ ?$1=['\"]//; s/['\"]\$//"
}
# Sessions by name: $T/NAME.sid, $T/NAME.rid (last rid used); the request
# with rid R writes $T/NAME.R.{b,s} (s last, when complete).
sess_new() { # NAME: creation request, wait 20, hold 1
	local rid=$((RANDOM * 1000 + 1000))
	: >"$T/$1.log"
	: >"$T/$1.outstanding"
	echo 0 >"$T/$1.seen"
	bosh "<body rid='$rid' to='localhost' xml:lang='en' wait='20' hold='1' content='text/xml; charset=utf-8' ver='1.6' xmpp:version='1.0' xmlns:xmpp='urn:xmpp:xbosh' xmlns='$NS_BIND'/>"
	echo "$rid" >"$T/$1.rid"
	attr sid >"$T/$1.sid"
	[ "$BS" = 200 ] && [ -s "$T/$1.sid" ] && [ -z "$(attr type)" ]
}
sess_body() { # NAME RID PAYLOAD [EXTRA-ATTRS]
	printf "<body rid='%s' sid='%s' %s xmlns='%s'>%s</body>" "$2" \
		"$(cat "$T/$1.sid")" "${4:-}" "$NS_BIND" "$3"
}
# breq NAME PAYLOAD [EXTRA-ATTRS] [RID]: the next request (or RID), in the
# background; REQ_RID is its rid.
breq() {
	local name=$1 rid=${4:-}
	if [ -z "$rid" ]; then
		rid=$(($(cat "$T/$name.rid") + 1))
		echo "$rid" >"$T/$name.rid"
	fi
	REQ_RID=$rid
	rm -f "$T/$name.$rid.s"
	sess_body "$name" "$rid" "$2" "${3:-}" >"$T/$name.$rid.in"
	(
		curl -sS --max-time 40 -o "$T/$name.$rid.b" -w '%{http_code}' \
			-H 'Content-Type: text/xml; charset=utf-8' \
			--data-binary @"$T/$name.$rid.in" "$(url /http-bind/)" \
			>"$T/$name.$rid.st" 2>"$T/$name.$rid.err"
		mv "$T/$name.$rid.st" "$T/$name.$rid.s"
	) &
	BG_PIDS+=($!)
	echo "$rid" >>"$T/$name.outstanding"
}
bdone() { [ -e "$T/$1.$2.s" ]; }
# bget NAME RID [SECONDS]: waits for that response; BS, BB (BS empty if
# it did not come in time).
bget() {
	BS='' BB=''
	until_ok "${3:-10}" bdone "$1" "$2" || return 1
	BS=$(cat "$T/$1.$2.s")
	BB=$(cat "$T/$1.$2.b" 2>/dev/null)
}
bsync() { breq "$@" && bget "$1" "$REQ_RID"; }
# breap NAME: moves finished responses from outstanding to $T/NAME.log.
breap() {
	local r left=()
	while read -r r; do
		[ -n "$r" ] || continue
		if bdone "$1" "$r"; then
			{ cat "$T/$1.$r.b"; echo; } >>"$T/$1.log"
		else left+=("$r"); fi
	done <"$T/$1.outstanding"
	printf '%s\n' "${left[@]}" | grep . >"$T/$1.outstanding"
	return 0
}
# bexpect NAME REGEX [MS]: keeps one request outstanding, as a client
# does, until a response line not seen before matches REGEX.
bexpect() {
	local name=$1 from deadline hit
	from=$(cat "$T/$name.seen")
	deadline=$(($(now_ms) + ${3:-8000}))
	while [ "$(now_ms)" -lt "$deadline" ]; do
		breap "$name"
		hit=$(tail -n +"$((from + 1))" "$T/$name.log" | grep -nEm 1 -- "$2")
		if [ -n "$hit" ]; then
			echo $((from + ${hit%%:*})) >"$T/$name.seen"
			return 0
		fi
		[ -s "$T/$name.outstanding" ] || breq "$name" ""
		sleep 0.05 # polling files curl writes
	done
	return 1
}
# bosh_login NAME USER PASSWORD RESOURCE: creation, PLAIN, restart, bind,
# presence (left outstanding); 0 if bound.
bosh_login() {
	local name=$1 u=$2 b64
	sess_new "$name" || return 1
	b64=$(printf '\0%s\0%s' "$u" "$3" | base64 -w0)
	bsync "$name" "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>$b64</auth>" || return 1
	case $BB in *"<success"*) ;; *) return 1 ;; esac
	bsync "$name" "" "xmpp:restart='true' xmlns:xmpp='urn:xmpp:xbosh'" || return 1
	case $BB in *"urn:ietf:params:xml:ns:xmpp-bind"*) ;; *) return 1 ;; esac
	bsync "$name" "<iq xmlns='jabber:client' type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>$4</resource></bind></iq>" || return 1
	case $BB in *"<jid>$u@localhost/$4</jid>"*) ;; *) return 1 ;; esac
	breq "$name" "<presence xmlns='jabber:client'/>"
}
# bsettle NAME: a ping through the session, and every response up to its
# result: what the router had to say before is out.
SETTLE_N=0
bsettle() {
	SETTLE_N=$((SETTLE_N + 1))
	breq "$1" "<iq xmlns='jabber:client' type='get' id='settle$SETTLE_N' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>"
	bexpect "$1" "id='settle$SETTLE_N'" 8000
}
mark_body() { echo "<message xmlns='jabber:client' to='bob@localhost/phone' type='chat'><body>mark$1.</body></message>"; }
# held_one NAME: after bsettle, a request that boshd holds (nothing is
# queued for it): it carries a message to bob, so bob seeing it shows that
# boshd has the request. HELD is its rid; 1 if bob did not see it.
MARK_N=0
held_one() {
	MARK_N=$((MARK_N + 1))
	breq "$1" "$(mark_body $MARK_N)"
	HELD=$REQ_RID
	client_wait bob "mark$MARK_N\\." >/dev/null
}
# bosh_not_503 BODY: one synchronous request; 0 unless http-filed answered
# 503 (its connection to boshd is not back yet).
bosh_not_503() { bosh "$1" && [ "$BS" != 503 ]; }
bob_login() {
	client_start bob bob@localhost/phone bob-pw &&
		client_cmd bob presence && client_sync bob
}

if bob_login; then ok "bob logs in over TCP (libstrophe)"; else
	fail "bob logs in over TCP (libstrophe)" "$(cat "$T/bob.out" "$T/bob.err")"
	end
fi
if bosh_login a alice alice-pw curl && bsettle a; then
	ok "alice logs in over BOSH (curl) through http-filed and boshd"
else
	fail "alice logs in over BOSH" "$BS $BB"
	end
fi

# ---- 1. boshd restarted under s6 with a request held ------------------------------------
if held_one a; then ok "a request held in boshd (its message reached bob)"; else
	fail "a request held in boshd (its message reached bob)" "$(tail -n 3 "$T/bob.out")"
fi
OLD_SID=$(cat "$T/a.sid")
# and a legacy client's session (no ver at creation, XEP-0124 17.1)
bosh "<body rid='7000' to='localhost' xml:lang='en' wait='20' hold='1' xmlns='$NS_BIND'/>"
LEGACY_SID=$(attr sid)
[ "$BS" = 200 ] && [ -n "$LEGACY_SID" ] ||
	fail "a legacy client (no ver) opens a session" "HTTP $BS: $BB"
PID=$(svc_pid boshd)
s6-svc -r "$SCAN/boshd"
if bget a "$HELD" 10; then
	case "$BS $(attr type) $(attr condition)" in
	"200 terminate system-shutdown")
		ok "boshd restarted: the held request gets terminate system-shutdown" ;;
	[45]??\ *) ok "boshd restarted: the held request gets HTTP $BS" ;;
	*) fail "boshd restarted: the held request ends cleanly" "HTTP $BS: $BB" ;;
	esac
else
	fail "boshd restarted: the held request ends cleanly" "no answer in 10 s"
fi
if svc_up_again boshd "$PID"; then ok "s6 restarts boshd, ready again"; else
	fail "s6 restarts boshd, ready again" "$(s6-svstat "$SCAN/boshd")"
	end
fi
# The old sids are unknown now. XEP-0124 17.1 and 17.2: item-not-found,
# as a terminate body for a client that sent ver at session creation
# (its later requests carry none), as HTTP 404 for a legacy client.
# (http-filed reconnects to boshd with backoff: 503 until it has.)
RID=$(($(cat "$T/a.rid") + 1))
if until_ok 10 bosh_not_503 "$(sess_body a "$RID" "")"; then
	assert_eq "the old sid (its client sent ver at creation): 200 terminate item-not-found" \
		"200 terminate item-not-found" "$BS $(attr type) $(attr condition)"
else
	fail "the old sid after the restart" "http-filed still answers 503 after 10 s"
fi
if until_ok 10 bosh_not_503 "<body rid='7001' sid='$LEGACY_SID' xmlns='$NS_BIND'/>"; then
	assert_eq "a legacy client's old sid (no ver at creation): HTTP 404" 404 "$BS"
else
	fail "a legacy client's old sid after the restart" "http-filed still answers 503 after 10 s"
fi
if bosh_login a alice alice-pw curl && bsettle a; then
	ok "after the restart a new session logs in"
	assert_no_match "... with a new sid" "^$OLD_SID\$" "$(cat "$T/a.sid")"
	breq a "<message xmlns='jabber:client' to='bob@localhost/phone' type='chat'><body>after boshd restart</body></message>"
	line=$(client_wait bob 'after boshd restart')
	assert_match "... and chats: bob gets its message" 'from="alice@localhost/curl"' "$line"
else
	fail "after the restart a new session logs in" "$BS $BB"
fi

# ---- 2. xmpp-routerd restarted under s6 with a session open ------------------------------
BOSHD_PID1=$(svc_pid boshd)
PID=$(svc_pid xmpp-routerd)
bsettle a
held_one a || fail "a request held before the router restart" "$(tail -n 3 "$T/bob.out")"
s6-svc -r "$SCAN/xmpp-routerd"
if bget a "$HELD" 10; then
	# SIGTERM: the router says system-shutdown on every stream, which
	# XEP-0206 6 has boshd pass on as remote-stream-error; a router gone
	# without a word (see the SIGKILL below) is remote-connection-failed.
	assert_match "router restarted: the session gets terminate remote-stream-error <system-shutdown/>" \
		"^200 terminate remote-stream-error .*<system-shutdown " \
		"$BS $(attr type) $(attr condition) $BB"
else
	fail "router restarted: the session's held request is answered" "no answer in 10 s"
fi
client_stop bob # the router's shutdown ended bob's stream too
if svc_up_again xmpp-routerd "$PID"; then ok "s6 restarts xmpp-routerd, ready again"; else
	fail "s6 restarts xmpp-routerd, ready again" "$(s6-svstat "$SCAN/xmpp-routerd")"
	end
fi
assert_eq "boshd survives the router restart (same pid)" "$BOSHD_PID1" "$(svc_pid boshd)"
login_again() { bosh_login a alice alice-pw curl; }
if until_ok 10 login_again; then
	ok "router back: boshd reconnects, a new session logs in"
else
	fail "router back: a new session logs in" "$BS $BB; $(tail -n 5 "$SCAN/boshd/log/main/current")"
fi
bob_login || fail "bob logs in again" "$(tail -n 3 "$T/bob.out")"
bsettle a
breq a "<message xmlns='jabber:client' to='bob@localhost/phone' type='chat'><body>after router restart</body></message>"
client_wait bob 'after router restart' >/dev/null &&
	ok "... and chats with bob" || fail "... and chats with bob" "$(tail -n 3 "$T/bob.out")"
# the router killed: no stream error, the gateway connection just drops
PID=$(svc_pid xmpp-routerd)
bsettle a
held_one a || fail "a request held before the router is killed" "$(tail -n 3 "$T/bob.out")"
s6-svc -k "$SCAN/xmpp-routerd"
if bget a "$HELD" 10; then
	assert_eq "router killed (SIGKILL): terminate remote-connection-failed" \
		"200 terminate remote-connection-failed" "$BS $(attr type) $(attr condition)"
else
	fail "router killed: the held request is answered" "no answer in 10 s"
fi
client_stop bob
svc_up_again xmpp-routerd "$PID" ||
	fail "s6 restarts the killed xmpp-routerd" "$(s6-svstat "$SCAN/xmpp-routerd")"
assert_eq "boshd survives the router's death (same pid)" "$BOSHD_PID1" "$(svc_pid boshd)"
if until_ok 10 login_again; then ok "router back again: a new session logs in"; else
	fail "router back again: a new session logs in" "$BS $BB"
fi
bob_login || fail "bob logs in again" "$(tail -n 3 "$T/bob.out")"
grep -q 'router connection lost' "$SCAN/boshd/log/main/current" &&
	ok "boshd logs the lost router" ||
	fail "boshd logs the lost router" "$(tail -n 5 "$SCAN/boshd/log/main/current")"

# ---- 3. boshd killed (SIGKILL) with a request held ----------------------------------------
bsettle a
breap a
c=
conn_open c || { fail "connect to http-filed" "could not connect"; end; }
MARK_N=$((MARK_N + 1))
body=$(sess_body a $(($(cat "$T/a.rid") + 1)) "$(mark_body $MARK_N)")
conn_send "$c" 'POST /http-bind/ HTTP/1.1\r\nHost: test\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: %d\r\n\r\n%s' "${#body}" "$body"
client_wait bob "mark$MARK_N\\." >/dev/null &&
	ok "a request held in boshd on a keep-alive connection" ||
	fail "a request held in boshd on a keep-alive connection" "bob did not get mark$MARK_N"
PID=$(svc_pid boshd)
s6-svc -k "$SCAN/boshd"
conn_response "$c" 10
assert_eq "boshd killed mid-request: http-filed answers 503" 503 "$R_STATUS"
conn_get "$c" /hello.txt
conn_response "$c" 10
assert_eq "... and the same connection then serves a file" "200 hello" \
	"$R_STATUS ${R_BODY%$'\n'}"
conn_close "$c"
if svc_up_again boshd "$PID"; then ok "s6 restarts the killed boshd, ready again"; else
	fail "s6 restarts the killed boshd, ready again" "$(s6-svstat "$SCAN/boshd")"
fi
get_ok() { http /http-bind/ && [ "$STATUS" = 200 ]; }
if until_ok 10 get_ok && until_ok 10 login_again; then
	ok "boshd back after SIGKILL: a new session logs in"
else
	fail "boshd back after SIGKILL: a new session logs in" "$STATUS; $BS $BB"
fi
bsync a "" "type='terminate'" # log out: the browser is alice next
reap_curls
echo "$TEST_FILE: raw faults done at $(($(now_ms) - T0)) ms"

# ---- 4. the browser: Converse.js reconnects by itself after a boshd restart --------------
# run_browser [kept]: reconnect.mjs in Chromium as alice, bob over TCP.
# Without an argument boshd has no state directory, so its restart ends
# the session as a crash does, and Converse must log in again by itself;
# with "kept", boshd hands its sessions over and the page must keep its
# session through the restart (PARLEY_EXPECT=kept, see reconnect.mjs).
run_browser() {
	local mode=${1:-} label=browser last=password-not-asked-again shots=$SHOTS
	if [ "$mode" = kept ]; then
		label="browser, hand-over" last=session-kept shots=$SHOTS/handover
	fi
	browser_skip() { skip "$label: Converse through a boshd restart" "$1"; }
	command -v node >/dev/null || { browser_skip "node is not installed (Debian package nodejs)"; return; }
	if [ ! -x "$CHROMIUM" ]; then
		"$TOP/tests/install-debs" chromium >"$T/install-debs.log" 2>&1
		[ -x "$CHROMIUM" ] || {
			browser_skip "$CHROMIUM is missing (tests/install-debs chromium did not provide it: $(tail -n 3 "$T/install-debs.log"))"
			return
		}
	fi
	[ -d "$TOP/tests/browser/node_modules/playwright-core" ] || {
		browser_skip "tests/browser/node_modules has no playwright-core (tests/browser/test_browser.sh installs it: npm ci --prefix tests/browser)"
		return
	}
	[ -n "$WWW_OK" ] || {
		browser_skip "build-www failed: $(tail -n 3 "$T/build-www.log")"
		return
	}
	rm -rf "$shots"
	mkdir -p "$shots"
	local nonce=$$-$RANDOM line text pid t out_file=$T/reconnect$mode.out
	local err_file=$T/reconnect$mode.err
	# reconnect.mjs asks on stdout, we answer on its stdin (see its header)
	coproc NODE {
		exec env PARLEY_EXPECT="$mode" timeout 120 node \
			"$TOP/tests/browser/reconnect.mjs" "$(url /)" \
			"$shots" alice@localhost alice-pw bob@localhost "$nonce" 20000 \
			2>"$err_file"
	}
	BROWSER_PID=$NODE_PID
	local in=${NODE[1]} out=${NODE[0]}
	while IFS= read -r -t 100 -u "$out" line; do
		echo "$line" >>"$out_file"
		case $line in
		"ok "*) ok "$label: ${line#ok }" ;;
		"fail "*) t=${line#fail }; fail "$label: ${t%%: *}" "${t#*: }" ;;
		"sent "*) # A sent this to bob: bob must get it, from alice
			text=${line#sent }
			t=$(client_wait bob "$text" 10000)
			assert_match "bob gets \"$text\" from the browser" \
				'from="alice@localhost/' "$t" ;;
		"want "*) # A waits for this message from bob
			client_cmd bob "message alice@localhost ${line#want }" ;;
		restart-boshd)
			pid=$(svc_pid boshd)
			s6-svc -r "$SCAN/boshd"
			if svc_up_again boshd "$pid"; then
				echo restarted >&"$in" # a coproc fd: not usable in a subshell
			else
				fail "$label: s6 restarts boshd" "$(s6-svstat "$SCAN/boshd")"
				echo restart-failed >&"$in"
			fi ;;
		*) echo "reconnect.mjs: $line" ;;
		esac
	done
	exec {in}>&- {out}<&-
	if wait_exit "$BROWSER_PID" 20; then t=$WAIT_STATUS; else
		kill -TERM "$BROWSER_PID" 2>/dev/null
		wait_exit "$BROWSER_PID" 10
		t=timeout
	fi
	BROWSER_PID=
	assert_eq "$label: reconnect.mjs exits 0" 0 "$t"
	grep -q "^ok $last\$" "$out_file" ||
		fail "$label: reconnect.mjs reached its last step" "stdout:
$(cat "$out_file")
stderr:
$(tail -n 30 "$err_file")"
	grep -E "^reconnect.mjs: (reconnected-by-itself|password-not-asked-again|session-kept):" \
		"$err_file" || true
	echo "$TEST_FILE: screenshots in $shots"
}
run_browser

# ---- 5. the browser again, boshd with a state directory: the session goes on ------------
setenv boshd BOSHD_STATE_DIR "$STATE/boshd"
mkdir -p "$STATE/boshd"
pid=$(svc_pid boshd)
s6-svc -r "$SCAN/boshd"
if svc_up_again boshd "$pid"; then
	run_browser kept
	assert_match "boshd handed the browser's session over" "handed 1 sessions over" \
		"$(svc_log boshd)"
else
	fail "boshd restarts with a state directory" "$(svc_log boshd | tail -n 5)"
fi

# ---- the end -------------------------------------------------------------------------------
assert_eq "http-filed kept running all along (same pid)" "$HTTPD_SVC_PID" \
	"$(svc_pid http-filed)"
for s in http-filed boshd xmpp-routerd; do
	grep -Eqi 'fatal|assert' "$SCAN/$s/log/main/current" &&
		fail "no fatal errors in $s's log" "$(grep -Ei -m 5 'fatal|assert' "$SCAN/$s/log/main/current")"
done
echo "$TEST_FILE: $(($(now_ms) - T0)) ms"
end
