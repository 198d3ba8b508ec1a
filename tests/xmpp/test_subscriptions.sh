#!/bin/bash
# test_subscriptions.sh: presence subscriptions (RFC 6121 3) between local
# users, with real libstrophe clients: a request and its approval in both
# directions, the roster pushes of each step (ask='subscribe' while
# pending, then to/from/both), presence flowing once subscribed, a request
# kept for an offline contact and re-sent when it logs in, a refusal,
# cancellation with unsubscribe/unsubscribed, removal from the roster, and
# requests to a user that does not exist or to another domain.
. "$(dirname "$0")/../lib.sh"
need_binaries "$XMPPD" "$XMPP_CLIENT" "$PARLEYCTL"
start_xmppd || finish
add_user alice apw && add_user bob bpw && add_user carol cpw ||
	fail "parleyctl creates users" "$(cat "$T/parleyctl.log")"

# mark NAME: later waits for NAME only look at what it prints after this.
mark() { eval "MARK_$1=$(wc -l <"$T/$1.out")"; }
# since NAME: NAME's output after its mark.
since() {
	local m
	eval "m=\$MARK_$1"
	tail -n +$((m + 1)) "$T/$1.out"
}
# lines_matching PATTERN...: the lines of stdin that match every pattern.
lines_matching() {
	local lines p
	lines=$(cat)
	for p in "$@"; do
		lines=$(printf '%s\n' "$lines" | grep -E -- "$p") || return 1
	done
	printf '%s\n' "$lines"
}
# seen NAME PATTERN...: waits (5 s) for a line printed by NAME after its
# mark that matches every pattern (attributes come in any order).
seen() {
	local name=$1 deadline=$(($(now_ms) + 5000))
	shift
	while :; do
		since "$name" | lines_matching "$@" >/dev/null && return 0
		[ "$(now_ms)" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}
# check NAME CLIENT PATTERN...: a test that CLIENT saw such a line.
check() {
	local name=$1 client=$2
	shift 2
	if seen "$client" "$@"; then ok "$name"; else
		fail "$name" "$(since "$client" | tail -n 5)"
	fi
}
# check_push NAME CLIENT JID SUBSCRIPTION [pending]: a roster push of the
# item JID with that subscription, with ask='subscribe' if pending is
# given, without it otherwise.
check_push() {
	local name=$1 client=$2 jid=$3 sub=$4 line
	local -a re=('type="set"' 'jabber:iq:roster' "<item [^>]*jid=\"$jid\""
		"<item [^>]*subscription=\"$sub\"")
	if seen "$client" "${re[@]}"; then
		line=$(since "$client" | lines_matching "${re[@]}" | tail -n 1)
		if [ -n "${5:-}" ]; then
			assert_match "$name" 'ask="subscribe"' "$line"
		else
			assert_no_match "$name" 'ask="subscribe"' "$line"
		fi
	else
		fail "$name" "$(since "$client" | tail -n 5)"
	fi
}
# roster CLIENT: CLIENT's roster, as the result line of a roster get.
roster() {
	mark "$1"
	client_cmd "$1" "iq get - <query xmlns='jabber:iq:roster'/>"
	seen "$1" '^result ' && since "$1" | grep -m 1 '^result '
}
# login NAME JID PASSWORD: logs in, asks for the roster (so that it gets
# pushes) and sends initial presence.
login() {
	client_start "$1" "$2" "$3" || {
		fail "$1 logs in" "$(cat "$T/$1.out")"
		finish
	}
	roster "$1" >/dev/null
	mark "$1"
	client_cmd "$1" presence
}
sub() { client_cmd "$1" "send <presence to='$2' type='$3'/>"; }
markall() { for c in "$@"; do mark "$c"; done; }

login alice alice@localhost/laptop apw
login bob bob@localhost/phone bpw
sleep 0.2

# ---- alice asks bob -------------------------------------------------------
markall alice bob
sub alice bob@localhost subscribe
check_push "alice's item for bob: none, ask=subscribe" alice bob@localhost none pending
check "bob receives the request from alice's bare JID" bob \
	'<presence' 'type="subscribe"' 'from="alice@localhost"'
assert_no_match "the pending request is not in bob's roster (RFC 6121 A.1)" \
	'alice@localhost' "$(roster bob)"
assert_no_match "bob gets no push for a request" 'jid="alice@localhost"' \
	"$(since bob)"

# ---- bob approves, and asks back -----------------------------------------
markall alice bob
sub bob alice@localhost subscribed
check_push "bob's item for alice: from" bob alice@localhost from
check_push "alice's item for bob: to" alice bob@localhost to
check "alice receives the approval" alice 'type="subscribed"' 'from="bob@localhost"'
check "alice receives bob's presence at once (RFC 6121 3.1.5)" alice \
	'<presence' 'from="bob@localhost/phone"'
assert_no_match "no presence of alice for bob yet" \
	'<presence[^>]*from="alice@localhost/laptop"' "$(since bob)"

markall alice bob
sub bob alice@localhost subscribe
check_push "bob's item for alice: from, ask=subscribe" bob alice@localhost from pending
check "alice receives bob's request" alice 'type="subscribe"' 'from="bob@localhost"'
markall alice bob
sub alice bob@localhost subscribed
check_push "alice's item for bob: both" alice bob@localhost both
check_push "bob's item for alice: both" bob alice@localhost both
check "bob receives alice's presence" bob '<presence' 'from="alice@localhost/laptop"'
assert_match "alice's roster says both" \
	'jid="bob@localhost"[^>]*subscription="both"|subscription="both"[^>]*jid="bob@localhost"' \
	"$(roster alice)"

# A subscribe when already subscribed is answered by the server and never
# bothers bob.
markall alice bob
sub alice bob@localhost subscribe
sleep 0.3
assert_no_match "a repeated subscribe is not delivered (already 'from')" \
	'type="subscribe"' "$(since bob)"

# ---- presence follows the subscription ------------------------------------
markall alice
client_stop bob
check "bob goes offline: alice gets unavailable" alice \
	'type="unavailable"' 'from="bob@localhost/phone"'
markall alice
login bob bob@localhost/phone bpw
check "bob comes back: alice gets his presence" alice \
	'<presence' 'from="bob@localhost/phone"'
check "and bob gets alice's (the initial probe)" bob \
	'<presence' 'from="alice@localhost/laptop"'

# ---- a request to an offline user ------------------------------------------
client_stop bob
login carol carol@localhost/home cpw
markall carol
sub carol bob@localhost subscribe
check_push "carol's item for bob: none, ask=subscribe" carol bob@localhost none pending
login bob bob@localhost/phone bpw
check "bob receives carol's request when he logs in" bob \
	'type="subscribe"' 'from="carol@localhost"'
assert_no_match "carol is not in bob's roster" 'carol@localhost' "$(roster bob)"
client_stop bob
login bob bob@localhost/phone bpw
check "still pending: re-sent at the next login" bob \
	'type="subscribe"' 'from="carol@localhost"'
markall carol bob
sub bob carol@localhost unsubscribed
check "bob refuses: carol receives unsubscribed" carol \
	'type="unsubscribed"' 'from="bob@localhost"'
check_push "carol's item for bob: none, no ask" carol bob@localhost none
client_stop bob
login bob bob@localhost/phone bpw
sleep 0.3
assert_no_match "a refused request is not re-sent" 'from="carol@localhost"' \
	"$(cat "$T/bob.out")"
sleep 0.2

# ---- cancelling ----------------------------------------------------------------
markall alice bob
sub alice bob@localhost unsubscribe
check_push "alice unsubscribes: her item for bob is from" alice bob@localhost from
check_push "bob's item for alice is to" bob alice@localhost to
check "bob receives unsubscribe" bob 'type="unsubscribe"' 'from="alice@localhost"'
check "alice no longer sees bob: unavailable from him" alice \
	'type="unavailable"' 'from="bob@localhost/phone"'
markall alice bob
sub alice bob@localhost unsubscribed
check_push "alice cancels bob's subscription: none" alice bob@localhost none
check_push "bob's item for alice: none" bob alice@localhost none
check "bob receives unsubscribed" bob 'type="unsubscribed"' 'from="alice@localhost"'
check "bob no longer sees alice: unavailable from her" bob \
	'type="unavailable"' 'from="alice@localhost/laptop"'
markall alice
client_stop bob
sleep 0.3
assert_no_match "unsubscribed both ways: bob's logout is not seen" \
	'from="bob@localhost/phone"' "$(since alice)"
login bob bob@localhost/phone bpw

# ---- removing a contact from the roster (RFC 6121 2.5.2) ----------------------
sub alice bob@localhost subscribe
seen bob 'type="subscribe"' 'from="alice@localhost"'
sub bob alice@localhost subscribed
sub bob alice@localhost subscribe
seen alice 'type="subscribe"' 'from="bob@localhost"'
sub alice bob@localhost subscribed
check_push "mutual again" bob alice@localhost both
markall alice bob
client_cmd alice "iq set - <query xmlns='jabber:iq:roster'><item jid='bob@localhost' subscription='remove'/></query>"
check_push "alice removes bob: push of the removal" alice bob@localhost remove
check "bob receives unsubscribe" bob 'type="unsubscribe"' 'from="alice@localhost"'
check "and unsubscribed" bob 'type="unsubscribed"' 'from="alice@localhost"'
check_push "bob's item for alice: none" bob alice@localhost none

# ---- addresses that cannot subscribe -------------------------------------------
markall alice
sub alice nobody@localhost subscribe
check "no such user: refused with unsubscribed" alice \
	'type="unsubscribed"' 'from="nobody@localhost"'
check_push "no such user: the item is left with no ask" alice nobody@localhost none
client_cmd alice "send <presence to='dave@example.org' type='subscribe' id='rs1'/>"
check "another domain: remote-server-not-found" alice 'id="rs1"' \
	'remote-server-not-found'

client_stop alice
client_stop bob
client_stop carol
assert_no_match "no warnings in the log" 'warn|error' \
	"$(grep -iE 'subscri|roster' "$XMPPD_LOG")"
finish
