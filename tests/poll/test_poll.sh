#!/bin/bash
# test_poll.sh: pollgw (XEP-0025) behind http-filed and in front of
# xmpp-routerd, driven with curl: a whole login over polling (the stream
# header split over two requests, SASL PLAIN, restart, bind, presence)
# and a chat both ways with a libstrophe TCP user; the ID cookie and
# X-Poll-ID on every answer; the key sequence (a wrong key, a reused key,
# no key: -3:0, the request neither processed nor keeping the session
# alive), newkey switching; unknown and malformed identifiers, malformed
# and oversized bodies (-2:0); the shortest interval between answers; a
# session that times out (the router sees the user go offline); the queue
# limit (the stanzas go to offline storage); the client's own end of the
# stream; the control socket through parleyctl (list, stats, terminate);
# both forms of the prefix; SIGTERM.
. "$(dirname "$0")/../lib.sh"
for _v in ${!POLLGW_@} ${!PARLEYCTL_@}; do unset "$_v"; done
POLLGW=$BUILD_DIR/pollgw/pollgw
need_binaries "$XMPPD" "$XMPP_CLIENT" "$PARLEYCTL" "$POLLGW"
command -v openssl >/dev/null || skip_file "openssl is needed for the keys"

GW_SOCK=$T/router.sock
CTL_SOCK=$T/control.sock
MAIN_SOCK=$T/pollgw.sock # /http-poll: --min-interval 0
MAIN_CTL=$T/pollgw.ctl
SHORT_SOCK=$T/short.sock # /short-poll: --inactivity 5
SMALL_SOCK=$T/small.sock # /small-poll: small limits (queue, body, sessions)
NS_STREAMS=http://etherx.jabber.org/streams
HEADER="<stream:stream to='localhost' xmlns='jabber:client' xmlns:stream='$NS_STREAMS' version='1.0'>"

# ---- daemons ------------------------------------------------------------------
# start_pollgw [options...]: pollgw with readiness on a FIFO (-d 3); sets
# POLLGW_PID and POLLGW_LOG.
start_pollgw() {
	local fifo=$T/ready.pollgw.${#DAEMON_PIDS[@]}
	POLLGW_LOG=$T/pollgw.${#DAEMON_PIDS[@]}.log
	rm -f "$fifo"
	mkfifo "$fifo"
	"$POLLGW" -l debug -d 3 "$@" </dev/null >>"$POLLGW_LOG" 2>&1 3>"$fifo" &
	POLLGW_PID=$!
	DAEMON_PIDS+=("$POLLGW_PID")
	DAEMON_LOGS+=("$POLLGW_LOG")
	if wait_ready "$fifo" "$POLLGW_PID" 10; then
		rm -f "$fifo"
		return 0
	fi
	rm -f "$fifo"
	kill -KILL "$POLLGW_PID" 2>/dev/null
	fail "start_pollgw" "pollgw $* did not become ready; log:
$(tail -n 20 "$POLLGW_LOG")"
	POLLGW_PID=
	return 1
}
ctl() { "$PARLEYCTL" --control-socket "$CTL_SOCK" "$@"; }
pctl() { "$PARLEYCTL" --poll-control-socket "$MAIN_CTL" "$@"; }
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
# field TSV KEY-COLUMN KEY NAME: column NAME of the row whose KEY-COLUMN is KEY.
field() {
	awk -F'\t' -v kc="$2" -v key="$3" -v name="$4" '
		NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		$col[kc] == key { print $col[name] }' <<<"$1"
}

# ---- the key sequence ---------------------------------------------------------------
# key_hash KEY: base64(SHA-1(KEY)), the next key up the sequence.
key_hash() { printf '%s' "$1" | openssl sha1 -binary | base64 -w0; }
# keys_make NAME N: a new sequence K(0) .. K(N) from a random seed, in
# $T/NAME.keys with K(N) first (the order they are sent in).
keys_make() {
	local k i list=()
	k=seed$RANDOM$RANDOM
	list+=("$k")
	for i in $(seq "$2"); do
		k=$(key_hash "$k")
		list+=("$k")
	done
	for ((i = ${#list[@]} - 1; i >= 0; i--)); do echo "${list[$i]}"; done \
		>"$T/$1.keys"
}
keys_left() { wc -l <"$T/$1.keys"; }
# key_take NAME: the next key of the sequence, removed from it.
key_take() {
	head -n 1 "$T/$1.keys"
	sed -i 1d "$T/$1.keys"
}

# ---- polling requests with curl -------------------------------------------------------
# post PATH BODY-FILE: one POST; PS the status, PB the body, PID the
# X-Poll-ID header, PCOOKIE the value of the ID cookie, $T/ph the head.
# Every answer is checked: HTTP 200, the ID cookie as the lead designed
# it (Path=/, SameSite=Strict, not HttpOnly), the same value in
# X-Poll-ID, and X-Poll-ID exposed to scripts; each answer is counted in
# $T/answers (files: post also runs in subshells), a miss is written to
# $T/bad-answers, and both are asserted at the end.
post() {
	: >"$T/ph"
	: >"$T/pb"
	PS=$(curl -sS --max-time 20 -o "$T/pb" -D "$T/ph" -w '%{http_code}' \
		-H 'Content-Type: application/x-www-form-urlencoded' \
		--data-binary @"$2" "$(url "$1")" 2>"$T/curl.err")
	PB=$(cat "$T/pb")
	PID=$(hdr X-Poll-ID "$T/ph")
	local sc
	sc=$(hdr Set-Cookie "$T/ph")
	PCOOKIE=$(printf '%s' "$sc" | sed -n 's/^ID=\([^;]*\);.*/\1/p')
	echo "$PID" >>"$T/answers"
	if [ "$PS" != 200 ] || [ -z "$PID" ] || [ "$PCOOKIE" != "$PID" ] ||
		[ "$sc" != "ID=$PID; Path=/; SameSite=Strict" ] ||
		[ "$(hdr Access-Control-Expose-Headers "$T/ph")" != X-Poll-ID ]; then
		echo "$1: $PS [$sc] [$PID]" >>"$T/bad-answers"
	fi
}
# post_raw PATH TEXT: post with TEXT as the body.
post_raw() {
	printf '%s' "$2" >"$T/raw-body"
	post "$1" "$T/raw-body"
}
# Sessions by name: $T/NAME.id, $T/NAME.path, $T/NAME.keys, and the
# stream received so far in $T/NAME.stream (answers concatenated) with
# $T/NAME.seen bytes of it already matched by pexpect.
# pnew NAME PATH [XML]: identifier 0 opens a session (a sequence of 8
# keys, so that they run out and newkey is used during the tests).
pnew() {
	local name=$1
	echo "$2" >"$T/$name.path"
	: >"$T/$name.stream"
	echo 0 >"$T/$name.seen"
	echo 0 >"$T/$name.switches"
	keys_make "$name" 8
	printf '0;%s,%s' "$(key_take "$name")" "${3:-}" >"$T/$name.in"
	post "$2" "$T/$name.in"
	printf '%s' "$PB" >>"$T/$name.stream"
	echo "$PID" >"$T/$name.id"
	[ "$PS" = 200 ] && [ "${PID%:0}" = "$PID" ]
}
pid_of() { cat "$T/$1.id"; }
# preq NAME XML: the next request of the session. When one key is left
# (K(1)) it is sent with a new sequence's first key (newkey).
preq() {
	local name=$1 key newkey=
	key=$(key_take "$name")
	if [ "$(keys_left "$name")" -le 1 ]; then
		key_take "$name" >"$T/$name.old-k0" # never to be sent
		keys_make "$name" 8
		newkey=";$(key_take "$name")"
		echo $(($(cat "$T/$name.switches") + 1)) >"$T/$name.switches"
	fi
	printf '%s;%s%s,%s' "$(pid_of "$name")" "$key" "$newkey" "$2" \
		>"$T/$name.in"
	post "$(cat "$T/$name.path")" "$T/$name.in"
	printf '%s' "$PB" >>"$T/$name.stream"
}
# pexpect NAME REGEX [MS]: polls (empty requests) until the stream
# received after what earlier pexpects matched matches REGEX; prints the
# match, which counts as seen.
pexpect() {
	local name=$1 re=$2 ms=${3:-8000} seen hit deadline
	deadline=$(($(now_ms) + ms))
	while :; do
		seen=$(cat "$T/$name.seen")
		hit=$(tail -c +"$((seen + 1))" "$T/$name.stream" |
			grep -zboE -- "$re" | head -z -n 1 | tr -d '\0')
		if [ -n "$hit" ]; then
			local m=${hit#*:}
			echo $((seen + ${hit%%:*} + ${#m})) >"$T/$name.seen"
			printf '%s\n' "$m"
			return 0
		fi
		[ "$(now_ms)" -ge "$deadline" ] && return 1
		preq "$name" ""
		[ "$PID" = "$(pid_of "$name")" ] || return 1
		sleep 0.05 # the client's polling interval
	done
}
# plogin NAME PATH USER PASSWORD RESOURCE: a whole login; 0 if bound.
plogin() {
	local name=$1 u=$3 pw=$4 res=$5 b64
	pnew "$name" "$2" "$HEADER" || return 1
	pexpect "$name" "<mechanism>PLAIN</mechanism>" >/dev/null || return 1
	b64=$(printf '\0%s\0%s' "$u" "$pw" | base64 -w0)
	preq "$name" "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>$b64</auth>"
	pexpect "$name" "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>" >/dev/null || return 1
	preq "$name" "$HEADER"
	pexpect "$name" "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>" >/dev/null || return 1
	preq "$name" "<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>$res</resource></bind></iq>"
	pexpect "$name" "<jid>$u@localhost/$res</jid>" >/dev/null || return 1
	preq "$name" "<presence/>"
}

# ---- start: router, three pollgw, http-filed -----------------------------------------
start_xmppd --gateway-socket "$GW_SOCK" --control-socket "$CTL_SOCK" || finish
add_user alice apw && add_user bob bpw && add_user carol cpw && add_user dave dpw ||
	fail "parleyctl creates users" "$(cat "$T/parleyctl.log")"
start_pollgw --socket "$MAIN_SOCK" --router "$GW_SOCK" \
	--control-socket "$MAIN_CTL" --min-interval 0 || finish
MAIN_PID=$POLLGW_PID
start_pollgw --socket "$SHORT_SOCK" --router "$GW_SOCK" --inactivity 5 \
	--min-interval 0 || finish
SHORT_PID=$POLLGW_PID
start_pollgw --socket "$SMALL_SOCK" --router "$GW_SOCK" --min-interval 400 \
	--max-queue 4096 --max-body 2048 --max-sessions 2 || finish
SMALL_PID=$POLLGW_PID SMALL_LOG=$POLLGW_LOG
mkdir -p "$T/www"
start_httpd --route "/http-poll=$MAIN_SOCK" --route "/short-poll=$SHORT_SOCK" \
	--route "/small-poll=$SMALL_SOCK" || finish

# ---- plain HTTP: GET, OPTIONS, other methods ------------------------------------------
http /http-poll
assert_eq "GET /http-poll: 200" 200 "$STATUS"
assert_match "... a text/plain notice naming XEP-0025" 'XEP-0025' "$(cat "$T/b")"
http /http-poll/ -X OPTIONS -H 'Origin: http://example.org' \
	-H 'Access-Control-Request-Method: POST' \
	-H 'Access-Control-Request-Headers: content-type'
assert_eq "OPTIONS preflight: 200" 200 "$STATUS"
assert_eq "... Access-Control-Allow-Origin" '*' "$(hdr Access-Control-Allow-Origin)"
assert_match "... Access-Control-Allow-Methods has POST" 'POST' \
	"$(hdr Access-Control-Allow-Methods)"
http /http-poll/ -X DELETE
assert_eq "DELETE: 405" 405 "$STATUS"

# ---- a login, the header split over two requests ------------------------------------------
if pnew a /http-poll ""; then
	ok "identifier 0 with a key and no XML: a session (POST /http-poll)"
else fail "identifier 0 opens a session" "$PS [$PID] $PB"; finish; fi
A=$(pid_of a)
assert_match "identifier: the instance tag, -, 32 hex digits" \
	'^[0-9a-f]{8}-[0-9a-f]{32}$' "$A"
assert_eq "... in Set-Cookie: ID=...; Path=/; SameSite=Strict (not HttpOnly)" \
	"ID=$A; Path=/; SameSite=Strict" "$(hdr Set-Cookie "$T/ph")"
assert_eq "... and in X-Poll-ID" "$A" "$(hdr X-Poll-ID "$T/ph")"
assert_eq "... exposed to scripts" X-Poll-ID "$(hdr Access-Control-Expose-Headers "$T/ph")"
assert_eq "... Content-Type: text/xml; charset=utf-8" "text/xml; charset=utf-8" \
	"$(hdr Content-Type "$T/ph")"
assert_eq "... Access-Control-Allow-Origin" '*' "$(hdr Access-Control-Allow-Origin "$T/ph")"
assert_eq "... an empty body (nothing to say yet)" "" "$PB"
echo /http-poll/ >"$T/a.path" # both forms of the prefix reach pollgw
preq a "${HEADER:0:40}"
assert_eq "half a stream header: answered at once, with the identifier" \
	"200 $A" "$PS $PID"
preq a "${HEADER:40}"
line=$(pexpect a "<stream:features>.*</stream:features>")
assert_match "the whole header: the router's features, PLAIN offered (loopback)" \
	"<mechanism>PLAIN</mechanism>" "$line"
assert_match "the router's output exactly as a TCP client gets it, header first" \
	"^<\\?xml version='1.0'\\?><stream:stream xmlns='jabber:client' xmlns:stream='$NS_STREAMS' id='[^']+' from='localhost'" \
	"$(cat "$T/a.stream")"
preq a "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>$(printf '\0alice\0apw' | base64 -w0)</auth>"
pexpect a "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>" >/dev/null &&
	ok "SASL PLAIN: <success/>" || fail "SASL PLAIN: <success/>" "$(tail -c 300 "$T/a.stream")"
preq a "<?xml version='1.0'?>$HEADER"
line=$(pexpect a "<stream:stream [^>]*>.*<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>")
assert_match "a new header restarts the stream: a new header and bind" \
	"<stream:stream xmlns='jabber:client'" "$line"
preq a "<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>poll</resource></bind></iq>"
line=$(pexpect a "<iq [^>]*id='bind1'.*</iq>")
assert_match "bind: the full JID" "<jid>alice@localhost/poll</jid>" "$line"
preq a "<iq type='set' id='sess1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq><presence/>"
pexpect a "id='sess1'" >/dev/null && ok "session iq and presence in one request" ||
	fail "session iq and presence in one request" "$(tail -c 300 "$T/a.stream")"
wait_until 5 has_session 'alice@localhost/poll' &&
	ok "the router lists alice/poll" || fail "the router lists alice/poll" "$(ctl session list 2>&1)"
assert_eq "... with transport poll" poll \
	"$(field "$(ctl --tsv session list)" jid alice@localhost/poll transport)"
if [ "$(cat "$T/a.switches")" -ge 1 ]; then
	ok "newkey: the session went on over $(cat "$T/a.switches") key sequences"
else fail "newkey was used" "no switch"; fi

# ---- chat with a libstrophe TCP client ---------------------------------------------------
client_start bob bob@localhost/phone bpw || fail "bob logs in over TCP" "$(cat "$T/bob.out")"
client_cmd bob presence
client_sync bob
client_cmd bob 'message alice@localhost/poll hello poll'
line=$(pexpect a "<message [^>]*>.*hello poll.*</message>")
assert_match "a poll returns the message from the TCP client" "from='bob@localhost/phone'" "$line"
preq a "<message to='bob@localhost/phone' type='chat'><body>hello tcp</body></message>"
line=$(client_wait bob 'hello tcp')
assert_match "a message in a request reaches the TCP client, 'from' stamped" \
	'from="alice@localhost/poll"' "$line"

# ---- keys: wrong, missing, reused; identifiers; bodies -----------------------------------------
post_raw /http-poll "$A;wrongkey,<message to='bob@localhost/phone' type='chat'><body>must-not-arrive</body></message>"
assert_eq "a wrong key: -3:0 (HTTP 200)" "200 -3:0 " "$PS $PID $PB"
post_raw /http-poll "$A,<message to='bob@localhost/phone' type='chat'><body>must-not-arrive-either</body></message>"
assert_eq "no key: -3:0" "-3:0" "$PID"
used=$(cat "$T/a.in" | cut -d';' -f2 | cut -d, -f1)
post_raw /http-poll "$A;$used,"
assert_eq "the key used last, again: -3:0" "-3:0" "$PID"
preq a "<message to='bob@localhost/phone' type='chat'><body>after-bad-keys</body></message>"
assert_eq "... the right key still works" "$A" "$PID"
client_wait bob 'after-bad-keys' >/dev/null &&
	ok "... its message arrives" || fail "... its message arrives" "$(tail -n 3 "$T/bob.out")"
assert_no_match "... the requests with bad keys were not processed" 'must-not-arrive' \
	"$(cat "$T/bob.out")"
post_raw /http-poll "$A;$(cat "$T/a.old-k0"),"
assert_eq "the last key of a sequence left for a new one (newkey): -3:0" "-3:0" "$PID"
post_raw /http-poll "00000000-0123456789abcdef0123456789abcdef;x,"
assert_eq "an unknown identifier: 0:0" "0:0" "$PID"
post_raw /http-poll "bad_id;x,"
assert_eq "a malformed identifier: -2:0" "-2:0" "$PID"
post_raw /http-poll "hello"
assert_eq "a body without ',': -2:0" "-2:0" "$PID"
post_raw /http-poll ""
assert_eq "an empty body: -2:0" "-2:0" "$PID"
post_raw /http-poll "0,$HEADER"
assert_eq "identifier 0 without a key: -2:0" "-2:0" "$PID"
post_raw /http-poll "$A;a;b;c,"
assert_eq "too many ';' fields: -2:0" "-2:0" "$PID"
preq a ""
assert_eq "the session is unharmed by all of them" "$A" "$PID"
assert_alive "pollgw survives the bad requests" "$MAIN_PID"

# ---- the shortest interval (/small-poll: --min-interval 400) ------------------------------------
if pnew m /small-poll/ "$HEADER"; then
	t0=$(now_ms)
	preq m ""
	preq m ""
	el=$(($(now_ms) - t0))
	assert_eq "polls too fast are answered, with the identifier" "$(pid_of m)" "$PID"
	if [ "$el" -ge 700 ]; then ok "... each after the shortest interval ($el ms for two)"; else
		fail "... each after the shortest interval" "two polls in $el ms"; fi
	pexpect m "<stream:features>" >/dev/null &&
		ok "... with what was queued meanwhile" ||
		fail "... with what was queued meanwhile" "$(cat "$T/m.stream")"
else fail "a session on /small-poll" "$PS $PID $PB"; fi

# ---- an oversized body (/small-poll: --max-body 2048) ------------------------------------------
big=$(head -c 3000 /dev/zero | tr '\0' ' ')
cp "$T/m.keys" "$T/m.keys.saved"
post_raw /small-poll "$(pid_of m);$(key_take m),$big"
assert_eq "a body over --max-body: -2:0" "-2:0" "$PID"
cp "$T/m.keys.saved" "$T/m.keys"
preq m ""
assert_eq "... it did not use up the key: the session goes on" "$(pid_of m)" "$PID"

# ---- --max-sessions (/small-poll: 2, m is one) ----------------------------------------------
pnew x2 /small-poll "" && ok "a second session within --max-sessions 2" ||
	fail "a second session within --max-sessions 2" "$PS $PID"
pnew x3 /small-poll ""
assert_eq "a third: -1:0 (server error)" "-1:0" "$PID"
preq x2 "</stream:stream>"
assert_match "the second ends its stream" "</stream:stream>\$" "$PB"
pnew x4 /small-poll "" && ok "... which makes room for another" ||
	fail "... which makes room for another" "$PS $PID"
preq x4 "</stream:stream>"

# ---- inactivity (/short-poll: --inactivity 5); bad keys keep nothing alive -----------------------
if plogin d /short-poll dave dpw idle; then
	ok "dave logs in on /short-poll"
	wait_until 5 has_session dave@localhost/idle ||
		fail "the router lists dave/idle" "$(ctl session list 2>&1)"
	t0=$(now_ms)
	gone() {
		post_raw /short-poll "$(pid_of d);wrong,"
		echo "$PID" >>"$T/d.answers"
		no_session dave@localhost/idle
	}
	if wait_until 15 gone; then
		el=$(($(now_ms) - t0))
		if [ "$el" -ge 3500 ]; then
			ok "a session polled only with wrong keys ends after inactivity ($el ms)"
		else fail "a session ends after inactivity" "after only $el ms"; fi
	else
		fail "a session polled only with wrong keys ends after inactivity" "$(ctl session list 2>&1)"
	fi
	# -3:0 while the session lasted, then (pollgw ends it a moment
	# before the router) maybe 0:0
	assert_match "... every wrong key got -3:0 meanwhile" '^(-3:0 )+(0:0 )?$' \
		"$(tr '\n' ' ' <"$T/d.answers")"
	preq d ""
	assert_eq "... then its identifier with the right key: 0:0" "0:0" "$PID"
else
	fail "dave logs in on /short-poll" "$PS $PID $(tail -c 300 "$T/d.stream")"
fi

# ---- the queue limit (/small-poll: --max-queue 4096) -----------------------------------------
if plogin c /small-poll carol cpw queue; then
	ok "carol logs in on /small-poll"
	wait_until 5 has_session carol@localhost/queue ||
		fail "the router lists carol/queue" "$(ctl session list 2>&1)"
	for i in $(seq 1 40); do
		client_cmd bob "send <message to='carol@localhost/queue' type='chat' id='q$i'><body>queued message number $i, padded to about a hundred bytes.</body></message>"
	done
	client_sync bob
	wait_until 5 no_session carol@localhost/queue &&
		ok "more than --max-queue for a client that does not poll: the session ends" ||
		fail "the queue limit ends the session" "$(ctl session list 2>&1)"
	grep -q "stream over (queue limit)" "$SMALL_LOG" &&
		ok "... pollgw logs why" || fail "... pollgw logs why" "$(tail -n 5 "$SMALL_LOG")"
	grep -q "undelivered bytes back to the router" "$SMALL_LOG" &&
		ok "... its queued stanzas go back to the router" ||
		fail "... its queued stanzas go back to the router" "$(tail -n 5 "$SMALL_LOG")"
	preq c ""
	assert_match "... its next poll gets <policy-violation/> and the stream's end" \
		"<stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>\$" "$PB"
	assert_eq "... with its identifier" "$(pid_of c)" "$PID"
	preq c ""
	assert_eq "... and then 0:0" "0:0" "$PID"
	if client_start carol carol@localhost/desk cpw; then
		client_cmd carol presence
		# the messages pollgw held when it closed the stream come back
		# with the close (PROTOCOL.md 9.5); those the router had sent
		# after them, crossing the close, come back in STREAM_RETURN (9.6)
		all_back() { [ "$(grep -o 'queued message number [0-9]*,' "$T/carol.out" | sort -u | wc -l)" -ge 40 ]; }
		wait_until 10 all_back &&
			ok "... all 40 messages are stored offline and delivered at the next login" ||
			fail "... all 40 messages reach carol later" \
				"$(grep -o 'queued message number [0-9]*,' "$T/carol.out" | sort -u | wc -l) of 40"
		client_stop carol
	else
		fail "carol logs in over TCP" "$(cat "$T/carol.out")"
	fi
else
	fail "carol logs in on /small-poll" "$PS $PID $(tail -c 300 "$T/c.stream")"
fi

# ---- the control socket -------------------------------------------------------------------
list=$(pctl --tsv poll list)
assert_eq "poll list: alice's session with her JID" alice@localhost/poll \
	"$(field "$list" id "$A" jid)"
assert_match "... her address" '^127\.0\.0\.1:[0-9]+$' "$(field "$list" id "$A" peer)"
assert_match "... since (Unix time)" '^[0-9]{10}$' "$(field "$list" id "$A" since)"
assert_match "... seconds since the last poll" '^[0-9]+$' "$(field "$list" id "$A" last_poll)"
assert_match "... bytes queued" '^[0-9]+$' "$(field "$list" id "$A" queued)"
# last_poll: a session left alone two seconds, then polled with a bad key
# (no poll), then with the right one
last_poll() { field "$(pctl --tsv poll list)" id "$(pid_of "$1")" last_poll; }
idle_for() { [ "$(last_poll "$1")" -ge "$2" ] 2>/dev/null; }
if pnew idle /http-poll ""; then
	wait_until 5 idle_for idle 2 || fail "last_poll counts seconds" "'$(last_poll idle)'"
	post_raw /http-poll "$(pid_of idle);wrong,"
	lp=$(last_poll idle)
	if [ "${lp:-0}" -ge 2 ]; then ok "poll list: a request with a wrong key is no poll (last_poll $lp)"; else
		fail "a request with a wrong key is no poll" "last_poll '$lp'"; fi
	preq idle ""
	assert_eq "... a right one is (last_poll 0)" 0 "$(last_poll idle)"
else fail "a session for last_poll" "$PS $PID"; fi
stats=$(pctl --tsv poll stats)
assert_match "poll stats: sessions counted" '^[1-9]' \
	"$(awk -F'\t' 'NR==1 {for (i=1;i<=NF;i++) c[$i]=i} NR==2 {print $c["sessions"]}' <<<"$stats")"
assert_match "... memory_kib" '[0-9]' \
	"$(awk -F'\t' 'NR==1 {for (i=1;i<=NF;i++) c[$i]=i} NR==2 {print $c["memory_kib"]}' <<<"$stats")"
pctl poll terminate nosuch-id 2>"$T/term.err"
assert_eq "poll terminate of an unknown identifier: exit 1" 1 $?
pctl poll terminate "$A"
assert_eq "poll terminate alice's session: exit 0" 0 $?
wait_until 5 no_session alice@localhost/poll &&
	ok "... the router's session is gone" || fail "... the router's session is gone" "$(ctl session list 2>&1)"
preq a ""
assert_eq "... her next poll: 0:0" "0:0" "$PID"
assert_no_match "... and it is no longer listed" "$A" "$(pctl --tsv poll list)"

# ---- the client's own end of the stream ------------------------------------------------------
if plogin e /http-poll alice apw again; then
	wait_until 5 has_session alice@localhost/again ||
		fail "the router lists alice/again" "$(ctl session list 2>&1)"
	preq e "<presence type='unavailable'/></stream:stream>"
	assert_match "</stream:stream> from the client: the answer ends the stream" \
		"</stream:stream>\$" "$PB"
	wait_until 5 no_session alice@localhost/again &&
		ok "... the router's session ends" || fail "... the router's session ends" "$(ctl session list 2>&1)"
	preq e ""
	assert_eq "... and the identifier is gone: 0:0" "0:0" "$PID"
else fail "alice logs in again" "$PS $PID $(tail -c 300 "$T/e.stream")"; fi

# ---- every answer carried the identifier twice ----------------------------------------------
assert_eq "ID cookie and X-Poll-ID on every one of $(wc -l <"$T/answers") answers (HTTP 200)" "" \
	"$(cat "$T/bad-answers" 2>/dev/null)"

# ---- SIGTERM ----------------------------------------------------------------------------------
client_stop bob
stop_daemon pollgw "$MAIN_PID"
stop_daemon pollgw "$SHORT_PID"
stop_daemon pollgw "$SMALL_PID"
finish
