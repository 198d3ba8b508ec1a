#!/bin/bash
# test_gateway.sh: xmpp-routerd's gateway socket (PROTOCOL.md section 9)
# driven by tests/test-gateway: virtual streams get the same header,
# features, SASL and binding as TCP clients; they chat with a libstrophe
# TCP client both ways with 'from' stamped; a bad stream ends alone; a
# STREAM_CLOSE or a killed gateway ends the sessions; frame errors close
# only the gateway connection that sent them; the router survives it all.
. "$(dirname "$0")/../lib.sh"
TEST_GATEWAY=$BUILD_DIR/tests/test-gateway
need_binaries "$XMPPD" "$XMPP_CLIENT" "$PARLEYCTL" "$TEST_GATEWAY"
GW_SOCK=$T/router.sock
start_xmppd --gateway-socket "$GW_SOCK" || finish
add_user alice apw && add_user bob bpw ||
	fail "parleyctl creates users" "$(cat "$T/parleyctl.log")"

# ---- helpers: a test gateway in the background, like client_start --------
# gw_start NAME: test-gateway on $GW_SOCK, commands from gw_cmd NAME ...,
# its events in $T/NAME.out.
gw_start() {
	local name=$1 fd
	rm -f "$T/$name.in"
	mkfifo "$T/$name.in"
	"$TEST_GATEWAY" "$GW_SOCK" <"$T/$name.in" >"$T/$name.out" \
		2>"$T/$name.err" &
	eval "GW_PID_$name=$!"
	exec {fd}>"$T/$name.in"
	eval "GW_FD_$name=$fd"
}
gw_cmd() {
	local name=$1 fd
	shift
	eval "fd=\$GW_FD_$name"
	# in a subshell: if the gateway died, SIGPIPE ends only that
	(printf '%s\n' "$*" >&"$fd") 2>/dev/null
}
gw_pid() { eval "echo \$GW_PID_$1"; }
# gw_wait NAME REGEX [TIMEOUT_MS] [FROM_LINE]: waits for an output line
# (after line FROM_LINE) matching REGEX; prints it. 1 on timeout or exit.
gw_wait() {
	local name=$1 re=$2 ms=${3:-5000} from=${4:-0} pid deadline
	pid=$(gw_pid "$name")
	deadline=$(($(now_ms) + ms))
	while :; do
		tail -n +"$((from + 1))" "$T/$name.out" 2>/dev/null |
			grep -Em 1 -- "$re" && return 0
		[ "$(now_ms)" -ge "$deadline" ] && return 1
		if proc_has_exited "$pid"; then
			tail -n +"$((from + 1))" "$T/$name.out" | grep -Em 1 -- "$re"
			return $?
		fi
		sleep 0.05 # polling a file another process writes
	done
}
gw_lines() { wc -l <"$T/$1.out"; }
# gw_expect NAME ID REGEX [TIMEOUT_MS]: the tool's own expect on channel
# ID; 0 if it printed "matched ID". A timeout ends that test gateway.
gw_expect() {
	local name=$1 id=$2 re=$3 ms=${4:-5000} from
	from=$(gw_lines "$name")
	gw_cmd "$name" "expect $id $re $ms"
	gw_wait "$name" "^(matched|timeout) $id( |\$)" $((ms + 2000)) \
		"$from" | grep -q '^matched'
}
# gw_check NAME ID REGEX TEST-NAME [TIMEOUT_MS]: gw_expect as a test case.
gw_check() {
	if gw_expect "$1" "$2" "$3" "${5:-5000}"; then ok "$4"; else
		fail "$4" "$(tail -n 5 "$T/$1.out")"
	fi
}
# gw_stop NAME: quits (if still running), closes its FIFO, reaps it.
gw_stop() {
	local name=$1 fd pid
	eval "fd=\$GW_FD_$name"
	pid=$(gw_pid "$name")
	proc_has_exited "$pid" || (printf 'quit\n' >&"$fd") 2>/dev/null
	exec {fd}>&-
	wait_exit "$pid" 10 || { kill -KILL "$pid"; wait_exit "$pid" 2; }
}
# gw_login NAME ID USER PASSWORD RESOURCE: open, PLAIN, restart, bind,
# session, presence on channel ID; 0 if bound to USER@localhost/RESOURCE.
gw_login() {
	local name=$1 id=$2
	gw_cmd "$name" "open $id gw-$name-$id"
	gw_expect "$name" "$id" '<mechanism>PLAIN</mechanism>' || return 1
	gw_cmd "$name" "auth $id $3 $4"
	gw_expect "$name" "$id" '<success xmlns=' || return 1
	gw_cmd "$name" "restart $id"
	gw_expect "$name" "$id" "<stream:features><bind xmlns=" || return 1
	gw_cmd "$name" "data $id <iq type='set' id='bind$id'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>$5</resource></bind></iq>"
	gw_expect "$name" "$id" "<jid>$3@localhost/$5</jid>" || return 1
	gw_cmd "$name" "data $id <iq type='set' id='sess$id'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>"
	gw_expect "$name" "$id" "id='sess$id'" || return 1
	gw_cmd "$name" "data $id <presence/>"
}

# ---- a virtual stream opens like a TCP client's --------------------------
gw_start g1
gw_cmd g1 "open 1 gw-g1-1"
gw_check g1 1 "^<\?xml version='1.0'\?><stream:stream [^>]*from='localhost'" \
	"STREAM_OPEN is answered with the router's stream header"
gw_check g1 1 "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>.*<mechanism>PLAIN</mechanism>.*</stream:features>" \
	"features offer SASL with PLAIN when SECURE=1"
grep -q 'gateway test-gateway: connected' "$XMPPD_LOG" &&
	ok "the router names the gateway by its HELLO role" ||
	fail "the router names the gateway by its HELLO role" "$(cat "$XMPPD_LOG")"
gw_cmd g1 "open 2 gw-g1-2 bosh 0"
gw_expect g1 2 '</stream:features>' >/dev/null
assert_no_match "no PLAIN when SECURE=0" 'PLAIN' "$(grep '^data 2 ' "$T/g1.out")"
assert_match "SCRAM still offered when SECURE=0" \
	'<mechanism>SCRAM-SHA-(1|256)</mechanism>' "$(grep '^data 2 ' "$T/g1.out")"
gw_cmd g1 "close 2"
gw_cmd g1 "open 3 gw-g1-3 poll"
gw_expect g1 3 '</stream:features>'
gw_cmd g1 "auth 3 alice wrong"
gw_check g1 3 "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/>" \
	"a wrong password: <not-authorized/> failure"
gw_cmd g1 "restart 3"
gw_check g1 3 "<not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>.*</stream:stream>" \
	"a restart before SASL success: stream error"
gw_wait g1 '^close 3( |$)' >/dev/null && ok "... and a STREAM_CLOSE" ||
	fail "... and a STREAM_CLOSE" "$(tail -n 3 "$T/g1.out")"

# ---- PLAIN, restart, bind, session, presence ------------------------------
gw_cmd g1 "auth 1 alice apw"
gw_check g1 1 "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>" \
	"PLAIN on a virtual stream: <success/>"
gw_cmd g1 "restart 1"
gw_check g1 1 "<stream:stream [^>]*>" "STREAM_RESTART: a new stream header"
gw_check g1 1 "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>" \
	"after the restart: bind offered"
gw_cmd g1 "data 1 <iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>web</resource></bind></iq>"
gw_check g1 1 "<iq type='result' id='b1'><bind [^>]*><jid>alice@localhost/web</jid>" \
	"bind: result with the full JID"
grep -q 'bound alice@localhost/web (bosh)' "$XMPPD_LOG" &&
	ok "the router logs the transport" ||
	fail "the router logs the transport" "$(grep bound "$XMPPD_LOG")"
gw_cmd g1 "data 1 <iq type='set' id='s1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>"
gw_check g1 1 "<iq type='result' id='s1'" "session iq: result"
gw_cmd g1 "data 1 <presence/>"

# ---- chat with a TCP client -----------------------------------------------
client_start bob bob@localhost/phone bpw || fail "bob logs in over TCP" "$(cat "$T/bob.out")"
client_cmd bob presence
gw_cmd g1 "data 1 <message to='bob@localhost/phone' type='chat'><body>hi from the web</body></message>"
line=$(client_wait bob 'hi from the web')
assert_match "virtual stream -> TCP client, 'from' stamped" \
	'from="alice@localhost/web"' "$line"
client_cmd bob 'message alice@localhost/web hi from tcp'
gw_check g1 1 "<message [^>]*from='bob@localhost/phone'[^>]*>.*hi from tcp" \
	"TCP client -> virtual stream, 'from' stamped"
gw_cmd g1 "data 1 <message to='bob@localhost/phone' from='carol@localhost/evil' type='chat'><body>spoofed</body></message>"
line=$(client_wait bob 'spoofed')
assert_match "a virtual stream cannot spoof 'from'" 'from="alice@localhost/web"' "$line"
gw_cmd g1 "data 1 <message to='bob@localhost/phone' type='chat'><bo"
gw_cmd g1 "data 1 dy>split fra"
gw_cmd g1 "data 1 mes</body></message>"
client_wait bob 'split frames' >/dev/null &&
	ok "a stanza split over STREAM_DATA frames" ||
	fail "a stanza split over STREAM_DATA frames" "$(tail -n 3 "$T/bob.out")"

# ---- two resources of one user: a virtual stream and a TCP client ---------
client_start alice alice@localhost/laptop apw || fail "alice logs in over TCP" "$(cat "$T/alice.out")"
client_cmd alice presence
gw_check g1 1 "<presence [^>]*from='alice@localhost/laptop'" \
	"the virtual resource sees the TCP resource's presence"
client_cmd bob "send <message to='alice@localhost' type='headline'><body>news for all</body></message>"
gw_check g1 1 "<message [^>]*type='headline'.*news for all" \
	"a headline to the bare JID reaches the virtual resource"
client_wait alice 'news for all' >/dev/null &&
	ok "... and the TCP resource" || fail "... and the TCP resource" "$(tail -n 3 "$T/alice.out")"

# ---- bad input ends only that stream ---------------------------------------
gw_login g1 5 bob bpw bosh && ok "a second virtual stream logs in (bob/bosh)" ||
	fail "a second virtual stream logs in" "$(tail -n 5 "$T/g1.out")"
gw_cmd g1 "data 5 <a></b>"
gw_check g1 5 "<not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>.*</stream:stream>" \
	"mismatched tags on a virtual stream: <not-well-formed/>"
gw_wait g1 '^close 5 not-well-formed$' >/dev/null &&
	ok "... then STREAM_CLOSE with CONDITION not-well-formed" ||
	fail "... then STREAM_CLOSE with CONDITION" "$(tail -n 3 "$T/g1.out")"
gw_cmd g1 "data 5 <message to='bob@localhost/phone'><body>from a dead stream</body></message>"
client_cmd bob 'message alice@localhost/web still there?'
gw_check g1 1 "still there\?" "the other virtual stream still receives"
gw_cmd g1 "data 1 <message to='bob@localhost/phone' type='chat'><body>yes still</body></message>"
client_wait bob 'yes still' >/dev/null && ok "... and sends" ||
	fail "... and sends" "$(tail -n 3 "$T/bob.out")"
assert_no_match "data for a closed stream is dropped" 'from a dead stream' "$(cat "$T/bob.out")"

# ---- STREAM_CLOSE from the gateway ends the session ------------------------
n=$(gw_lines g1)
gw_cmd g1 "close 1"
client_wait alice 'from="alice@localhost/web"[^>]*type="unavailable"|type="unavailable"[^>]*from="alice@localhost/web"' >/dev/null &&
	ok "STREAM_CLOSE: the user's other resource sees it go unavailable" ||
	fail "STREAM_CLOSE: the other resource sees it go unavailable" "$(tail -n 3 "$T/alice.out")"
gw_login g1 6 alice apw web && ok "after close, the same full JID binds again" ||
	fail "after close, the same full JID binds again" "$(tail -n 5 "$T/g1.out")"
assert_no_match "... as a new session, not replacing the old one" \
	'replaces the session of alice@localhost/web' "$(cat "$XMPPD_LOG")"
assert_no_match "nothing more on a channel the gateway closed" \
	'^(data|close) 1 ' "$(tail -n +"$((n + 1))" "$T/g1.out")"

# ---- killing the gateway ends all its streams -----------------------------
gw_login g1 7 bob bpw bosh && ok "bob/bosh logs in again" ||
	fail "bob/bosh logs in again" "$(tail -n 5 "$T/g1.out")"
kill -KILL "$(gw_pid g1)"
gw_stop g1
deadline=$((SECONDS + 5))
until grep -q 'gateway test-gateway: gone' "$XMPPD_LOG" || [ $SECONDS -ge $deadline ]; do
	sleep 0.05
done
assert_match "the router logs the gateway as gone with its streams" \
	'gateway test-gateway: gone .*ending its 2 streams' "$(grep gone "$XMPPD_LOG")"
gw_start g2
gw_login g2 1 alice apw web && ok "a new gateway binds alice/web again" ||
	fail "a new gateway binds alice/web again" "$(tail -n 5 "$T/g2.out")"
gw_login g2 2 bob bpw bosh && ok "... and bob/bosh" ||
	fail "... and bob/bosh" "$(tail -n 5 "$T/g2.out")"
assert_no_match "the killed gateway's sessions were gone, not replaced" \
	'replaces the session of' "$(cat "$XMPPD_LOG")"
gw_cmd g2 "data 1 <message to='bob@localhost/bosh' type='chat'><body>web to web</body></message>"
gw_check g2 2 "<message [^>]*from='alice@localhost/web'.*web to web" \
	"two virtual streams of one gateway chat"

# ---- frame errors ------------------------------------------------------------
gw_cmd g2 "data 99 <message to='bob@localhost/phone'><body>never opened</body></message>"
gw_cmd g2 "data 1 <iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>"
gw_check g2 1 "id='p1'" "STREAM_DATA on a channel never opened is ignored"
assert_no_match "... and goes nowhere" 'never opened' "$(cat "$T/bob.out")"
gw_cmd g2 "open 1"
line=$(gw_wait g2 '^error ')
assert_eq "a second STREAM_OPEN on a channel: FRAME_ERROR" "error protocol error" "$line"
wait_exit "$(gw_pid g2)" 5
assert_eq "... and the router closes that gateway (test-gateway exits 2)" 2 "${WAIT_STATUS:-}"
gw_stop g2
grep -q 'bad STREAM_OPEN on channel 1' "$XMPPD_LOG" &&
	ok "the router logs the protocol error" ||
	fail "the router logs the protocol error" "$(tail -n 5 "$XMPPD_LOG")"
gw_start g3
gw_cmd g3 "open 0"
line=$(gw_wait g3 '^error ')
assert_eq "STREAM_OPEN on channel 0: FRAME_ERROR" "error protocol error" "$line"
gw_stop g3
assert_alive "xmpp-routerd survives the frame errors" "$XMPPD_PID"
gw_start g4
gw_login g4 1 alice apw web && ok "a new gateway connects after a protocol error" ||
	fail "a new gateway connects after a protocol error" "$(tail -n 5 "$T/g4.out")"
client_cmd bob 'message alice@localhost/web after all that'
gw_check g4 1 "after all that" "the TCP client and the new gateway chat"

# ---- STREAM_CLOSE with UNDELIVERED: routed again (PROTOCOL.md 9.5) ----------
gw_login g4 2 alice apw mobile || fail "alice/mobile logs in" "$(tail -n 5 "$T/g4.out")"
gw_cmd g4 "close 2 <message xmlns='jabber:client' from='bob@localhost/phone' to='alice@localhost/mobile' type='chat'><body>returned to laptop</body></message><iq xmlns='jabber:client' from='bob@localhost/phone' to='alice@localhost/mobile' type='get' id='ret1'><ping xmlns='urn:xmpp:ping'/></iq><presence xmlns='jabber:client' from='bob@localhost/phone'><status>dropped</status></presence>"
client_wait alice 'returned to laptop' >/dev/null &&
	ok "an undelivered message goes to the user's other resource" ||
	fail "an undelivered message goes to the user's other resource" "$(tail -n 5 "$T/alice.out")"
client_wait bob 'id="ret1"' >/dev/null &&
	assert_match "an undelivered iq request: service-unavailable to its sender" \
		'type="error".*service-unavailable|service-unavailable.*type="error"' \
		"$(grep 'id="ret1"' "$T/bob.out")" ||
	fail "an undelivered iq request: an error to its sender" "$(tail -n 5 "$T/bob.out")"
assert_no_match "an undelivered presence is dropped" '>dropped<' "$(cat "$T/alice.out")"
gw_login g4 3 alice apw evil || fail "alice/evil logs in" "$(tail -n 5 "$T/g4.out")"
gw_cmd g4 "close 3 <!DOCTYPE x [<!ENTITY a 'b'>]><message xmlns='jabber:client'><body>&a;</body></message>"
gw_login g4 4 alice apw evil2 || fail "alice/evil2 logs in" "$(tail -n 5 "$T/g4.out")"
gw_cmd g4 "close 4 <message xmlns='jabber:client' type='chat'><body>unterminated"
gw_login g4 5 alice apw after || fail "alice/after logs in" "$(tail -n 5 "$T/g4.out")"
grep -Eq 'undelivered stanzas for alice: (restricted-xml|not-well-formed)' "$XMPPD_LOG" &&
	ok "a DOCTYPE in UNDELIVERED is refused (logged), nothing routed" ||
	fail "a DOCTYPE in UNDELIVERED is refused" "$(grep undelivered "$XMPPD_LOG")"
assert_no_match "... and the unterminated one goes nowhere" 'unterminated' "$(cat "$T/alice.out")"
assert_alive "xmpp-routerd survives hostile UNDELIVERED stanzas" "$XMPPD_PID"

client_stop alice
client_stop bob
assert_alive "xmpp-routerd still running" "$XMPPD_PID"

# ---- shutdown: open virtual streams get <system-shutdown/> -----------------
stop_xmppd
gw_wait g4 "^data 1 .*<system-shutdown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>" >/dev/null &&
	ok "SIGTERM: a virtual stream gets <system-shutdown/>" ||
	fail "SIGTERM: a virtual stream gets <system-shutdown/>" "$(tail -n 3 "$T/g4.out")"
gw_wait g4 '^close 1( |$)' >/dev/null && ok "... and STREAM_CLOSE" ||
	fail "... and STREAM_CLOSE" "$(tail -n 3 "$T/g4.out")"
gw_stop g4
finish
