#!/bin/bash
# test_bosh.sh: boshd (XEP-0124, XEP-0206) behind http-filed and in front
# of xmpp-routerd, driven with curl: session creation and its attributes,
# SASL PLAIN, restart, bind, a BOSH user and a libstrophe TCP client
# chatting both ways; the rid rules (repeats, the window), unknown sids,
# malformed bodies, hold and overactivity, wait expiry, client terminate,
# inactivity; CORS and content types; the router restarted (sessions get
# remote-connection-failed, boshd reconnects) and boshd killed mid-request
# (http-filed answers 503) and restarted.
. "$(dirname "$0")/../lib.sh"
for _v in ${!BOSHD_@}; do unset "$_v"; done
BOSHD=$BUILD_DIR/boshd/boshd
need_binaries "$XMPPD" "$XMPP_CLIENT" "$PARLEYCTL" "$BOSHD"

NS_BIND=http://jabber.org/protocol/httpbind
GW_SOCK=$T/router.sock
CTL_SOCK=$T/control.sock
MAIN_SOCK=$T/boshd.sock   # /http-bind: --max-wait 20
SHORT_SOCK=$T/short.sock  # /short-bind: --max-wait 2 --inactivity 5
BG_PIDS=()                # background curls, reaped at the end

# ---- daemons ------------------------------------------------------------------
# start_boshd [options...]: boshd with readiness on a FIFO (-d 3), its log in
# $T; sets BOSHD_PID and BOSHD_LOG.
start_boshd() {
	local fifo=$T/ready.boshd.${#DAEMON_PIDS[@]}
	BOSHD_LOG=$T/boshd.${#DAEMON_PIDS[@]}.log
	rm -f "$fifo"
	mkfifo "$fifo"
	"$BOSHD" -l debug -d 3 "$@" </dev/null >>"$BOSHD_LOG" 2>&1 3>"$fifo" &
	BOSHD_PID=$!
	DAEMON_PIDS+=("$BOSHD_PID")
	DAEMON_LOGS+=("$BOSHD_LOG")
	if wait_ready "$fifo" "$BOSHD_PID" 10; then
		rm -f "$fifo"
		return 0
	fi
	rm -f "$fifo"
	kill -KILL "$BOSHD_PID" 2>/dev/null
	fail "start_boshd" "boshd $* did not become ready; log:
$(tail -n 20 "$BOSHD_LOG")"
	BOSHD_PID=
	return 1
}
start_main() {
	start_boshd --socket "$MAIN_SOCK" --router "$GW_SOCK" --max-wait 20 &&
		MAIN_PID=$BOSHD_PID MAIN_LOG=$BOSHD_LOG
}
ctl() { "$PARLEYCTL" --control-socket "$CTL_SOCK" "$@"; }
# wait_until SECONDS COMMAND...: polls COMMAND (every 50 ms) until it succeeds.
wait_until() {
	local deadline=$(($(now_ms) + $1 * 1000))
	shift
	until "$@"; do
		[ "$(now_ms)" -ge "$deadline" ] && return 1
		sleep 0.05 # polling another process's state
	done
}
has_session() { ctl --tsv session list 2>/dev/null | grep -q "$1"; }
no_session() { ! has_session "$1"; }

# ---- BOSH requests with curl ------------------------------------------------------
# bosh BODY [PATH]: one POST; BS the status, BB the body, $T/bh the head.
bosh() {
	: >"$T/bh"
	: >"$T/bb"
	BS=$(curl -sS --max-time 30 -o "$T/bb" -D "$T/bh" -w '%{http_code}' \
		-H 'Content-Type: text/xml; charset=utf-8' --data-binary "$1" \
		"$(url "${2:-/http-bind/}")" 2>"$T/curl.err")
	BB=$(cat "$T/bb")
}
# attr NAME [TEXT]: the value of the attribute NAME of the first <body>
# in TEXT (default $BB); empty if absent.
attr() {
	printf '%s' "${2:-$BB}" | grep -o '<body [^>]*' | head -n 1 |
		grep -oE "(^| )$1=['\"][^'\"]*['\"]" | head -n 1 |
		sed -E "s/^ ?$1=['\"]//; s/['\"]\$//"
}
create_body() { # RID WAIT HOLD [EXTRA-ATTRS]
	printf "<body rid='%s' to='localhost' xml:lang='en' wait='%s' hold='%s' content='text/xml; charset=utf-8' ver='1.6' xmpp:version='1.0' %s xmlns:xmpp='urn:xmpp:xbosh' xmlns='%s'/>" \
		"$1" "$2" "$3" "${4:-}" "$NS_BIND"
}
# Sessions by name: $T/NAME.sid, $T/NAME.rid (the last rid used), $T/NAME.path;
# the request with rid R writes $T/NAME.R.{s,h,b} (s last, when complete).
sess_new() { # NAME PATH WAIT HOLD: creation request (synchronous)
	local name=$1 rid=$((RANDOM * 1000 + 1000))
	echo "$2" >"$T/$name.path"
	: >"$T/$name.log"
	: >"$T/$name.outstanding"
	echo 0 >"$T/$name.seen"
	bosh "$(create_body "$rid" "$3" "$4")" "$2"
	echo "$rid" >"$T/$name.rid"
	attr sid >"$T/$name.sid"
	[ "$BS" = 200 ] && [ -s "$T/$name.sid" ]
}
sess_sid() { cat "$T/$1.sid"; }
sess_rid() { cat "$T/$1.rid"; }
sess_body() { # NAME RID PAYLOAD [EXTRA-ATTRS]
	if [ -z "$3" ]; then
		printf "<body rid='%s' sid='%s' %s xmlns='%s'/>" "$2" "$(sess_sid "$1")" "${4:-}" "$NS_BIND"
	else
		printf "<body rid='%s' sid='%s' %s xmlns='%s'>%s</body>" "$2" "$(sess_sid "$1")" "${4:-}" "$NS_BIND" "$3"
	fi
}
# breq NAME PAYLOAD [EXTRA-ATTRS] [RID]: sends the next request (or RID) in
# the background; REQ_RID is its rid.
breq() {
	local name=$1 rid=${4:-}
	if [ -z "$rid" ]; then
		rid=$(($(sess_rid "$name") + 1))
		echo "$rid" >"$T/$name.rid"
	fi
	REQ_RID=$rid
	rm -f "$T/$name.$rid.s"
	sess_body "$name" "$rid" "$2" "${3:-}" >"$T/$name.$rid.in"
	(
		curl -sS --max-time 40 -o "$T/$name.$rid.b" -D "$T/$name.$rid.h" \
			-w '%{http_code}' -H 'Content-Type: text/xml; charset=utf-8' \
			--data-binary @"$T/$name.$rid.in" \
			"$(url "$(cat "$T/$name.path")")" >"$T/$name.$rid.st" 2>/dev/null
		mv "$T/$name.$rid.st" "$T/$name.$rid.s"
	) &
	BG_PIDS+=($!)
	echo "$rid" >>"$T/$name.outstanding"
}
bdone() { [ -e "$T/$1.$2.s" ]; }
# bget NAME RID [SECONDS]: waits for that request's response; BS, BB, BH
# (BS empty if it did not come in time).
bget() {
	BS='' BB='' BH=''
	wait_until "${3:-10}" bdone "$1" "$2" || return 1
	BS=$(cat "$T/$1.$2.s")
	BB=$(cat "$T/$1.$2.b" 2>/dev/null)
	BH=$(tr -d '\r' <"$T/$1.$2.h" 2>/dev/null)
	return 0
}
# bsync NAME PAYLOAD [EXTRA-ATTRS]: a request and its response (10 s).
bsync() { breq "$@" && bget "$1" "$REQ_RID"; }
# breap NAME: moves finished responses from outstanding to $T/NAME.log.
breap() {
	local name=$1 r left=()
	while read -r r; do
		[ -n "$r" ] || continue
		if bdone "$name" "$r"; then
			{ cat "$T/$name.$r.b"; echo; } >>"$T/$name.log"
		else
			left+=("$r")
		fi
	done <"$T/$name.outstanding"
	printf '%s\n' "${left[@]}" | grep . >"$T/$name.outstanding"
	return 0
}
# bpoll NAME: one request outstanding, as a client keeps one held.
bpoll() {
	breap "$1"
	[ -s "$T/$1.outstanding" ] || breq "$1" ""
}
# bexpect NAME REGEX [MS]: behaves like a BOSH client (an empty request
# held whenever none is outstanding) until a response line not yet looked
# at by an earlier bexpect matches REGEX; prints it. The lines up to the
# match count as looked at.
bexpect() {
	local name=$1 re=$2 ms=${3:-8000} from deadline hit
	from=$(cat "$T/$name.seen" 2>/dev/null || echo 0)
	deadline=$(($(now_ms) + ms))
	while [ "$(now_ms)" -lt "$deadline" ]; do
		breap "$name"
		hit=$(tail -n +"$((from + 1))" "$T/$name.log" | grep -nEm 1 -- "$re")
		if [ -n "$hit" ]; then
			echo $((from + ${hit%%:*})) >"$T/$name.seen"
			printf '%s\n' "${hit#*:}"
			return 0
		fi
		[ -s "$T/$name.outstanding" ] || breq "$name" ""
		sleep 0.05 # polling files curl writes
	done
	return 1
}
# bosh_login NAME PATH USER PASSWORD RESOURCE [HOLD]: creation, PLAIN,
# restart, bind, presence; 0 if bound.
bosh_login() {
	local name=$1 u=$3 pw=$4 res=$5 b64
	sess_new "$name" "$2" 20 "${6:-1}" || return 1
	b64=$(printf '\0%s\0%s' "$u" "$pw" | base64 -w0)
	bsync "$name" "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>$b64</auth>" || return 1
	case $BB in *"<success"*) ;; *) return 1 ;; esac
	bsync "$name" "" "xmpp:restart='true' xmlns:xmpp='urn:xmpp:xbosh'" || return 1
	case $BB in *"<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'"*) ;; *) return 1 ;; esac
	bsync "$name" "<iq xmlns='jabber:client' type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>$res</resource></bind></iq>" || return 1
	case $BB in *"<jid>$u@localhost/$res</jid>"*) ;; *) return 1 ;; esac
	breq "$name" "<presence xmlns='jabber:client'/>"
}
# bsettle NAME: a ping to the server through the session, and every
# response up to its result: what the router had to say before is out.
SETTLE_N=0
bsettle() {
	SETTLE_N=$((SETTLE_N + 1))
	breq "$1" "<iq xmlns='jabber:client' type='get' id='settle$SETTLE_N' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>"
	bexpect "$1" "id='settle$SETTLE_N'" 8000 >/dev/null
}
# held_one NAME: after bsettle, a request held with nothing queued: it
# carries a chat message to bob@localhost/phone, so that bob seeing it
# shows boshd has the request (it draws no answer: it stays held); HELD is
# its rid.
MARK_N=0
held_one() {
	MARK_N=$((MARK_N + 1))
	breq "$1" "<message xmlns='jabber:client' to='bob@localhost/phone' type='chat'><body>mark$MARK_N.</body></message>"
	HELD=$REQ_RID
	client_wait bob "mark$MARK_N\\." >/dev/null
}
# barrier: a GET through http-filed (one worker) and boshd; when it is
# answered, boshd has every request sent before it (one ordered framed
# connection carries them all).
barrier() { http /http-bind/ && [ "$STATUS" = 200 ]; }
# bpending NAME RID: the request has not been answered (yet).
bpending() { ! bdone "$1" "$2"; }

# ---- start: router, two boshd, http-filed ----------------------------------------
start_xmppd --gateway-socket "$GW_SOCK" --control-socket "$CTL_SOCK" || finish
add_user alice apw && add_user bob bpw && add_user carol cpw && add_user dave dpw ||
	fail "parleyctl creates users" "$(cat "$T/parleyctl.log")"
start_main || finish
start_boshd --socket "$SHORT_SOCK" --router "$GW_SOCK" --max-wait 2 \
	--inactivity 5 || finish
SHORT_PID=$BOSHD_PID
mkdir -p "$T/www"
echo hello >"$T/www/hello.txt"
start_httpd --route "/http-bind=$MAIN_SOCK" --route "/short-bind=$SHORT_SOCK" ||
	finish

# ---- plain HTTP: GET, OPTIONS -------------------------------------------------------
http /http-bind/
assert_eq "GET /http-bind/: 200" 200 "$STATUS"
assert_match "... a text/plain notice" '^text/plain' "$(hdr Content-Type)"
assert_match "... that names BOSH" 'BOSH' "$(cat "$T/b")"
http /http-bind/ -X OPTIONS -H 'Origin: http://example.org' \
	-H 'Access-Control-Request-Method: POST' \
	-H 'Access-Control-Request-Headers: content-type'
assert_eq "OPTIONS preflight: 200" 200 "$STATUS"
assert_eq "... Access-Control-Allow-Origin" '*' "$(hdr Access-Control-Allow-Origin)"
assert_match "... Access-Control-Allow-Methods has POST" 'POST' \
	"$(hdr Access-Control-Allow-Methods)"
assert_match "... Access-Control-Allow-Headers has Content-Type" \
	'[Cc]ontent-[Tt]ype' "$(hdr Access-Control-Allow-Headers)"
http /http-bind/ -X DELETE
assert_eq "DELETE: 405" 405 "$STATUS"

# ---- session creation -------------------------------------------------------------------
if sess_new a /http-bind/ 60 1; then
	ok "creation request: 200 with a sid"
else
	fail "creation request: 200 with a sid" "status $BS: $BB"
	finish
fi
CREATION=$BB
assert_eq "Content-Type: text/xml; charset=utf-8" "text/xml; charset=utf-8" \
	"$(hdr Content-Type "$T/bh")"
assert_eq "Access-Control-Allow-Origin on a POST" '*' \
	"$(hdr Access-Control-Allow-Origin "$T/bh")"
assert_match "sid: the instance tag, -, 32 hex digits" '^[0-9a-f]{8}-[0-9a-f]{32}$' "$(sess_sid a)"
w=$(attr wait)
if [ -n "$w" ] && [ "$w" -le 60 ] && [ "$w" -le 20 ] && [ "$w" -gt 0 ]; then
	ok "wait ($w) <= requested (60) and <= --max-wait (20)"
else fail "wait <= requested and <= --max-wait" "wait='$w'"; fi
assert_eq "hold as requested" 1 "$(attr hold)"
assert_eq "requests = hold + 1" 2 "$(attr requests)"
assert_eq "ver: the lower of ours and the client's" 1.6 "$(attr ver)"
assert_eq "from: the domain" localhost "$(attr from)"
assert_eq "xmpp:restartlogic='true'" true "$(attr xmpp:restartlogic)"
assert_match "xmpp:version and authid from the router" \
	"xmpp:version='1.0'.* authid='[^']+'" "$CREATION"
assert_match "stream features inside the body, with SASL mechanisms" \
	"^<body [^>]*><stream:features[ >].*<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>.*<mechanism>PLAIN</mechanism>.*</stream:features></body>\$" \
	"$CREATION"
assert_match "... with xmlns:stream declared on the body" \
	"^<body [^>]*xmlns:stream='http://etherx.jabber.org/streams'" "$CREATION"

# ---- SASL PLAIN, restart, bind -------------------------------------------------------------
bsync a "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>$(printf '\0alice\0apw' | base64 -w0)</auth>"
assert_match "SASL PLAIN: <success/>" \
	"^<body [^>]*><success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/></body>\$" "$BB"
bsync a "" "xmpp:restart='true' xmlns:xmpp='urn:xmpp:xbosh'"
assert_match "restart: features with bind" \
	"<stream:features[ >].*<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>" "$BB"
assert_match "... and a new authid" "authid='[^']+'" "$BB"
BIND_BODY="<iq xmlns='jabber:client' type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>web</resource></bind></iq>"
bsync a "$BIND_BODY"
BIND_RID=$REQ_RID
BIND_RESP=$BB
assert_match "bind: the full JID" \
	"<iq [^>]*type='result'[^>]*>.*<jid>alice@localhost/web</jid>" "$BB"
assert_match "stanzas come in the jabber:client namespace" \
	"<iq [^>]*xmlns='jabber:client'" "$BB"

# ---- a repeated rid gets the same response ------------------------------------------------
bsync a "$BIND_BODY" "" "$BIND_RID"
assert_eq "a repeated rid: 200" 200 "$BS"
assert_eq "... with the same response again" "$BIND_RESP" "$BB"
assert_eq "... and is not forwarded again (one bind in the router log)" 1 \
	"$(grep -c 'bound alice@localhost/web' "$XMPPD_LOG")"
bsync a "<iq xmlns='jabber:client' type='set' id='sess1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>"
assert_match "session iq: result" "id='sess1'" "$BB"
wait_until 5 has_session 'alice@localhost/web' &&
	ok "parleyctl lists the BOSH session" ||
	fail "parleyctl lists the BOSH session" "$(ctl session list 2>&1)"

# ---- chat with a libstrophe TCP client ---------------------------------------------------
client_start bob bob@localhost/phone bpw || fail "bob logs in over TCP" "$(cat "$T/bob.out")"
client_cmd bob presence
client_sync bob
breq a "<presence xmlns='jabber:client'/>"
bsettle a || fail "a ping through the BOSH session" "$(tail -n 3 "$T/a.log")"
held_one a
client_cmd bob 'message alice@localhost/web hello web'
if bget a "$HELD" 10; then
	assert_match "a held request returns the message from the TCP client" \
		"^<body [^>]*><message [^>]*>.*hello web.*</message></body>\$" "$BB"
	assert_match "... 'from' is bob's full JID" "<message [^>]*from='bob@localhost/phone'" "$BB"
	assert_match "... as text/xml; charset=utf-8" \
		'^Content-Type: text/xml; charset=utf-8$' "$(grep -i '^content-type:' <<<"$BH")"
else
	fail "a held request returns the message from the TCP client" "not answered in 10 s"
fi
breap a
breq a "<message xmlns='jabber:client' to='bob@localhost/phone' type='chat'><body>hello tcp</body></message>"
line=$(client_wait bob 'hello tcp')
assert_match "a message in a body reaches the TCP client, 'from' stamped" \
	'from="alice@localhost/web"' "$line"
bpoll a

# ---- rid rules, unknown sids, malformed bodies -----------------------------------------------
sess_new r1 /http-bind/ 20 1 || fail "a session for the rid tests" "$BS $BB"
bsync r1 "" "" $(($(sess_rid r1) + 50))
assert_eq "a rid far above the window: 200" 200 "$BS"
assert_eq "... type='terminate'" terminate "$(attr type)"
assert_eq "... condition='item-not-found'" item-not-found "$(attr condition)"
bsync r1 "" "" $(($(sess_rid r1) + 1))
assert_eq "... and the session is gone: its client sent ver at creation, so 200" \
	200 "$BS"
assert_eq "... terminate item-not-found (never the legacy 404)" \
	"terminate item-not-found" "$(attr type) $(attr condition)"

sess_new r2 /http-bind/ 20 1 || fail "a session for the rid tests" "$BS $BB"
bsync r2 "" "" $(($(sess_rid r2) - 10))
assert_eq "a rid below the window, never answered: item-not-found" \
	item-not-found "$(attr condition)"

bosh "<body rid='5' sid='00000000000000000000000000000000' xmlns='$NS_BIND'/>"
assert_eq "unknown sid: 200 (as for any client that sends ver)" 200 "$BS"
assert_eq "... terminate item-not-found" "terminate item-not-found" \
	"$(attr type) $(attr condition)"
# A legacy client (no ver at creation) gets HTTP errors (XEP-0124 17.1),
# also once its session is gone: its sid says so.
bosh "<body rid='900' to='localhost' wait='10' hold='1' xmlns='$NS_BIND'/>"
LEGACY_SID=$(attr sid)
assert_match "a legacy client's sid ends in 'l'" '^[0-9a-f]{8}-[0-9a-f]{32}l$' "$LEGACY_SID"
bosh "<body rid='901' sid='$LEGACY_SID' type='terminate' xmlns='$NS_BIND'/>"
assert_eq "... it terminates its session" "200 terminate" "$BS $(attr type)"
bosh "<body rid='902' sid='$LEGACY_SID' xmlns='$NS_BIND'/>"
assert_eq "... then its sid is unknown: HTTP 404 for the legacy client" 404 "$BS"
bosh "<body rid='5' to='localhost' wait='10' hold='1' ver='1.6' xmlns='$NS_BIND'"
assert_eq "a malformed body: 400" 400 "$BS"
bosh "<notbody rid='5' xmlns='$NS_BIND'/>"
assert_eq "a root that is not <body/>: 400" 400 "$BS"
bosh ""
assert_eq "an empty POST: 400" 400 "$BS"
bosh "$(create_body 77 10 1 | sed "s/to='localhost'/to='example.org'/")"
assert_eq "creation for another domain: host-unknown" "terminate host-unknown" \
	"$(attr type) $(attr condition)"
assert_alive "boshd survives the bad requests" "$MAIN_PID"

# ---- hold: two held, a third releases the oldest ------------------------------------------
if bosh_login h /http-bind/ carol cpw hold 2; then
	ok "a session with hold='2' logs in"
	bsettle h || fail "a ping through the hold='2' session" "$(tail -n 3 "$T/h.log")"
	breap h
	mapfile -t hs <"$T/h.outstanding"
	while [ "${#hs[@]}" -lt 2 ]; do
		breq h ""
		hs+=("$REQ_RID")
	done
	r1=${hs[0]} r2=${hs[1]}
	# the third must carry a payload (a third empty one at once is
	# overactivity, XEP-0124 11); an iq result to the server draws no answer
	breq h "<iq xmlns='jabber:client' type='result' id='nothing' to='localhost'/>"
	r3=$REQ_RID
	if bget h "$r1" 10; then
		assert_eq "a third request releases the oldest held one" 200 "$BS"
		assert_match "... with an empty body" "^<body [^>]*/>\$" "$BB"
	else
		fail "a third request releases the oldest held one" "rid $r1 still held"
	fi
	bpending h "$r2" && bpending h "$r3" && ok "... the two others stay held" ||
		fail "... the two others stay held" "$(cat "$T/h.$r2.b" "$T/h.$r3.b" 2>&1)"
	breq h "<iq xmlns='jabber:client' type='result' id='nothing2' to='localhost'/>"
	r4=$REQ_RID
	if bget h "$r2" 10; then
		assert_match "a fourth releases the next one, empty" '^<body [^>]*/>$' "$BB"
	else fail "a fourth releases the next one" "rid $r2 still held"; fi
	# client terminate with two held: the oldest gets type='terminate'
	breq h "<presence xmlns='jabber:client' type='unavailable'/>" "type='terminate'"
	r5=$REQ_RID
	bget h "$r3" 10
	assert_eq "terminate: the oldest held request gets type='terminate'" terminate "$(attr type)"
	bget h "$r4" 10
	assert_match "... the other held one an empty body" "^<body [^>]*/>\$" "$BB"
	bget h "$r5" 10
	assert_eq "... the terminate request itself: 200" 200 "$BS"
	wait_until 5 no_session carol@localhost/hold &&
		ok "... and the router's session ends" ||
		fail "... and the router's session ends" "$(ctl session list 2>&1)"
else
	fail "a session with hold='2' logs in" "$BS $BB"
fi

# out of order: rid+2 (with a payload) arrives before rid+1 (empty); they
# are processed in rid order (XEP-0124 14.2), which is no overactivity
if bosh_login oo /http-bind/ carol cpw order; then
	bsettle oo
	breap oo
	for r in $(cat "$T/oo.outstanding"); do bget oo "$r" 25; done
	next=$(($(sess_rid oo) + 1))
	breq oo "<iq xmlns='jabber:client' type='result' id='late' to='localhost'/>" "" $((next + 1))
	barrier
	breq oo "" "" "$next"
	echo $((next + 1)) >"$T/oo.rid"
	bget oo "$next" 10
	assert_eq "rid+2 before rid+1: rid+1 is answered (released by rid+2), not terminated" \
		"200 " "$BS $(attr type)"
	assert_match "... with an empty body" "^<body [^>]*/>\$" "$BB"
	bpending oo $((next + 1)) && ok "... and rid+2 stays held" ||
		fail "... and rid+2 stays held" "$(cat "$T/oo.$((next + 1)).b")"
else
	fail "a session for the out-of-order test" "$BS $BB"
fi

# overactivity: requests+1 requests at once (XEP-0124 11)
sess_new o /http-bind/ 20 1 || fail "a session for overactivity" "$BS $BB"
breq o ""
o1=$REQ_RID
breq o ""
o2=$REQ_RID
bget o "$o2" 10
assert_eq "two empty requests at once with hold=1: policy-violation (XEP-0124 11)" \
	"terminate policy-violation" "$(attr type) $(attr condition)"
bget o "$o1" 10
assert_eq "... the held one gets it too" "terminate policy-violation" \
	"$(attr type) $(attr condition)"

# ---- wait expiry (--max-wait 2) --------------------------------------------------------------
if sess_new w /short-bind/ 60 1; then
	assert_eq "--max-wait 2: wait='2' granted" 2 "$(attr wait)"
	t0=$(now_ms)
	breq w ""
	if bget w "$REQ_RID" 6; then
		el=$(($(now_ms) - t0))
		assert_match "a held request returns an empty <body/> at wait" \
			"^<body xmlns='$NS_BIND'/>\$" "$BB"
		if [ "$el" -ge 1500 ] && [ "$el" -le 5000 ]; then
			ok "... after about 2 s ($el ms)"
		else fail "... after about 2 s" "$el ms"; fi
	else
		fail "a held request returns at wait" "not answered in 6 s"
	fi
else
	fail "a session on the --max-wait 2 boshd" "$BS $BB"
fi

# ---- client terminate: the TCP client sees the BOSH user go ---------------------------------
client_cmd bob "send <presence to='alice@localhost' type='subscribe'/>"
bexpect a "<presence [^>]*type='subscribe'" 5000 >/dev/null &&
	ok "a subscription request reaches the BOSH user" ||
	fail "a subscription request reaches the BOSH user" "$(tail -n 3 "$T/a.log")"
breq a "<presence xmlns='jabber:client' to='bob@localhost' type='subscribed'/>"
client_wait bob '<presence [^>]*from="alice@localhost/web"' >/dev/null &&
	ok "bob sees alice/web's presence once subscribed" ||
	fail "bob sees alice/web's presence once subscribed" "$(tail -n 5 "$T/bob.out")"
bsettle a
held_one a
breq a "<presence xmlns='jabber:client' type='unavailable'/>" "type='terminate'"
term=$REQ_RID
bget a "$HELD" 10
assert_eq "client terminate: the held request gets type='terminate'" terminate "$(attr type)"
bget a "$term" 10
assert_match "... the terminate request: 200, empty" "200 <body [^>]*/>\$" "$BS $BB"
client_wait bob '<presence [^>]*(from="alice@localhost/web"[^>]*type="unavailable"|type="unavailable"[^>]*from="alice@localhost/web")' >/dev/null &&
	ok "... bob sees alice/web go unavailable" ||
	fail "... bob sees alice/web go unavailable" "$(tail -n 5 "$T/bob.out")"
wait_until 5 no_session alice@localhost/web && ok "... the router's session is gone" ||
	fail "... the router's session is gone" "$(ctl session list 2>&1)"
# RFC 6121 8.5.3.2.1: a chat message to a full JID no longer bound is
# handled as one to the bare JID: no resource, so it is stored offline
client_cmd bob "send <message to='alice@localhost/web' type='chat' id='gone1'><body>anyone?</body></message>"
client_sync bob
assert_no_match "a chat message to the ended full JID: no error" 'id="gone1"' \
	"$(grep -v '^sent' "$T/bob.out")"
bsync a "" "" $(($(sess_rid a) + 1))
assert_eq "a request on the terminated sid: terminate item-not-found (its client sent ver)" \
	"200 terminate item-not-found" "$BS $(attr type) $(attr condition)"

# ---- inactivity (--inactivity 5) -------------------------------------------------------------
if bosh_login i /short-bind/ dave dpw idle; then
	ok "a session on the --inactivity 5 boshd logs in"
	wait_until 5 has_session dave@localhost/idle ||
		fail "the router lists dave/idle" "$(ctl session list 2>&1)"
	# answer the presence request, then leave the session alone
	while read -r r; do [ -n "$r" ] && bget i "$r" 6; done <"$T/i.outstanding"
	# Stanzas for dave while no request of his is waiting are queued in
	# boshd; when the session ends they go back to the router (XEP-0206 7).
	client_cmd bob "send <message to='dave@localhost/idle' type='chat' id='q1'><body>kept for dave</body></message>"
	client_cmd bob "send <iq to='dave@localhost/idle' type='get' id='q2'><query xmlns='jabber:iq:version'/></iq>"
	client_sync bob
	t0=$(now_ms)
	if wait_until 15 no_session dave@localhost/idle; then
		el=$(($(now_ms) - t0))
		if [ "$el" -ge 2000 ]; then
			ok "a session left alone ends after inactivity ($el ms)"
		else fail "a session left alone ends after inactivity" "after only $el ms"; fi
	else
		fail "a session left alone ends after inactivity" "$(ctl session list 2>&1)"
	fi
	bsync i "" "ver='1.6'" $(($(sess_rid i) + 1))
	assert_eq "... a later request with its sid: item-not-found" \
		"terminate item-not-found" "$(attr type) $(attr condition)"
	client_wait bob '<iq [^>]*id="q2"[^>]*type="error"|<iq [^>]*type="error"[^>]*id="q2"' >/dev/null &&
		assert_match "... an iq it never fetched: service-unavailable to the sender" \
			'service-unavailable' "$(grep 'id="q2"' "$T/bob.out")" ||
		fail "... an iq it never fetched: an error to the sender" "$(tail -n 5 "$T/bob.out")"
	if client_start dave dave@localhost/desk dpw; then
		client_cmd dave presence
		client_wait dave 'kept for dave' >/dev/null &&
			ok "... a message it never fetched is stored offline and delivered at the next login" ||
			fail "... a message it never fetched reaches dave later" "$(cat "$T/dave.out")"
		assert_match "... with its delay stamp" 'urn:xmpp:delay' \
			"$(grep 'kept for dave' "$T/dave.out")"
		client_stop dave
	else
		fail "dave logs in over TCP" "$(cat "$T/dave.out")"
	fi
else
	fail "a session on the --inactivity 5 boshd logs in" "$BS $BB"
fi

# ---- the router restarted ------------------------------------------------------------------------
login_again() { bosh_login a /http-bind/ alice apw web; }
if login_again; then
	ok "alice logs in again over BOSH"
else fail "alice logs in again over BOSH" "$BS $BB"; fi
line=$(bexpect a 'anyone\?' 5000)
assert_match "... and gets the message sent to her ended session, delayed" \
	"urn:xmpp:delay" "$line"
bsettle a
held_one a
stop_xmppd
client_stop bob # the router's shutdown ended bob's stream too
if bget a "$HELD" 10; then
	assert_eq "router stopped: the held request gets terminate" terminate "$(attr type)"
	assert_match "... remote-stream-error with the router's <system-shutdown/> (XEP-0206 6)" \
		"condition='remote-stream-error'.*<stream:error[ >].*<system-shutdown " "$BB"
else fail "router stopped: the held request is answered" "no answer in 10 s"; fi
sess_new down /http-bind/ 20 1
assert_eq "a new session while the router is down: remote-connection-failed" \
	"terminate remote-connection-failed" "$(attr type) $(attr condition)"
start_xmppd --gateway-socket "$GW_SOCK" --control-socket "$CTL_SOCK" || finish
if wait_until 15 login_again; then
	ok "router back: boshd reconnects, a new session logs in"
else fail "router back: a new session logs in" "$BS $BB; $(tail -n 5 "$MAIN_LOG")"; fi
client_start bob bob@localhost/phone bpw || fail "bob logs in again" "$(cat "$T/bob.out")"
grep -q 'router connection lost' "$MAIN_LOG" &&
	ok "boshd logs the lost router" || fail "boshd logs the lost router" "$(tail -n 5 "$MAIN_LOG")"
short_again() { sess_new s2 /short-bind/ 10 1 && [ -z "$(attr type)" ]; }
wait_until 15 short_again && ok "... the other boshd too" ||
	fail "... the other boshd too" "$BS $BB"
# the router dies (SIGKILL): no stream error, the connection just drops
bsettle a
held_one a
{
	kill -KILL "$XMPPD_PID"
	wait_exit "$XMPPD_PID" 5
} 2>/dev/null
XMPPD_PID=
client_stop bob
if bget a "$HELD" 10; then
	assert_eq "router killed: terminate remote-connection-failed" \
		"terminate remote-connection-failed" "$(attr type) $(attr condition)"
else fail "router killed: the held request is answered" "no answer in 10 s"; fi
start_xmppd --gateway-socket "$GW_SOCK" --control-socket "$CTL_SOCK" || finish
if wait_until 15 login_again; then
	ok "router restarted after SIGKILL: a new session logs in"
else fail "router restarted after SIGKILL: a new session logs in" "$BS $BB"; fi
client_start bob bob@localhost/phone bpw || fail "bob logs in again" "$(cat "$T/bob.out")"

# ---- boshd killed mid-request, then restarted -------------------------------------------------
bsettle a
breap a
conn_open c || fail "connect to http-filed" "could not connect"
breq a "" # a poll, held, as a client keeps one
barrier
MARK_N=$((MARK_N + 1))
body=$(sess_body a $(($(sess_rid a) + 1)) "<message xmlns='jabber:client' to='bob@localhost/phone' type='chat'><body>mark$MARK_N.</body></message>")
conn_send "$c" 'POST /http-bind/ HTTP/1.1\r\nHost: test\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: %d\r\n\r\n%s' "${#body}" "$body"
# bob gets the message: boshd has the request (and holds it, hold=1)
client_wait bob "mark$MARK_N\\." >/dev/null ||
	fail "a request held in boshd" "bob did not get mark$MARK_N"
{
	kill -KILL "$MAIN_PID"
	wait_exit "$MAIN_PID" 5
} 2>/dev/null
conn_response "$c" 10
assert_eq "boshd killed mid-request: http-filed answers 503" 503 "$R_STATUS"
conn_get "$c" /hello.txt
conn_response "$c" 10
assert_eq "... and the client connection stays usable" "200 hello" "$R_STATUS ${R_BODY%$'\n'}"
conn_close "$c"
http /http-bind/
assert_eq "boshd down: 503" 503 "$STATUS"
assert_alive "http-filed survives" "$HTTPD_PID"
start_main || finish
get_ok() { http /http-bind/ && [ "$STATUS" = 200 ]; }
wait_until 10 get_ok && ok "boshd restarted: http-filed reaches it again" ||
	fail "boshd restarted: http-filed reaches it again" "$STATUS"
if wait_until 10 login_again; then
	ok "boshd restarted: a new session logs in"
else fail "boshd restarted: a new session logs in" "$BS $BB"; fi
client_cmd bob 'message alice@localhost/web after the restarts'
bexpect a 'after the restarts' 8000 >/dev/null &&
	ok "... and chats with the TCP client" ||
	fail "... and chats with the TCP client" "$(tail -n 3 "$T/a.log")"

# ---- the end -------------------------------------------------------------------------------------
assert_alive "boshd (main) still running" "$MAIN_PID"
assert_alive "boshd (short) still running" "$SHORT_PID"
# SIGTERM: open sessions get system-shutdown, and boshd exits at once
# (not after the 10 s grace period, with http-filed still connected)
bsettle a
held_one a
t0=$(now_ms)
stop_daemon boshd "$MAIN_PID"
el=$(($(now_ms) - t0))
if bget a "$HELD" 5; then
	assert_eq "boshd stopped: a held request gets terminate system-shutdown" \
		"terminate system-shutdown" "$(attr type) $(attr condition)"
else fail "boshd stopped: a held request is answered" "no answer"; fi
if [ "$el" -lt 5000 ]; then ok "boshd stops promptly on SIGTERM ($el ms)"; else
	fail "boshd stops promptly on SIGTERM" "$el ms"; fi
assert_no_match "... without 'exiting with work in flight'" 'grace period over' \
	"$(grep -m 1 'grace period' "$MAIN_LOG")"
stop_daemon boshd "$SHORT_PID"
client_stop bob
for p in "${BG_PIDS[@]}"; do
	proc_has_exited "$p" || kill -TERM "$p" 2>/dev/null
	wait "$p" 2>/dev/null
done
finish
