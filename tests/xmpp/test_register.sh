#!/bin/bash
# test_register.sh: in-band registration (XEP-0077) on xmpp-routerd: the
# form and account creation before authentication (raw stream), a taken
# name (conflict), a bad name (not-acceptable), then a libstrophe login with
# the new account, a password change and an account removal; and with
# registration off, service-unavailable.
. "$(dirname "$0")/../lib.sh"
need_binaries "$XMPPD" "$XMPP_CLIENT" "$PARLEYCTL"
start_xmppd --registration || finish
add_user taken pw

HEADER="<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
# raw_session: opens a stream on fd 5; raw_until REGEX: reads until the
# text received matches (3 s at most), leaves it in $GOT.
raw_session() {
	exec 5<>"/dev/tcp/$LOOPBACK/$XMPPD_PORT"
	printf '%s' "$HEADER" >&5
	raw_until '</stream:features>'
}
raw_until() {
	local ch
	GOT=
	while IFS= read -r -d '' -t 3 -n 1 ch <&5; do
		GOT+=$ch
		[[ "$GOT" =~ $1 ]] && return 0
	done
	return 1
}
raw_session
assert_match "the register feature is offered" "iq-register" "$GOT"
printf '%s' "<iq type='get' id='g1'><query xmlns='jabber:iq:register'/></iq>" >&5
raw_until "id='g1'.*</iq>" && assert_match "the form asks for username and password" \
	"<username/><password/>" "$GOT" || fail "the form" "$GOT"
printf '%s' "<iq type='set' id='s1'><query xmlns='jabber:iq:register'><username>Newbie</username><password>npw</password></query></iq>" >&5
raw_until "id='s1'[^>]*>|id='s1'[^>]*/>" && assert_match "an account is created" "type='result'" "$GOT" ||
	fail "an account is created" "$GOT"
printf '%s' "<iq type='set' id='s2'><query xmlns='jabber:iq:register'><username>other</username><password>x</password></query></iq>" >&5
raw_until "id='s2'.*</iq>" && assert_match "one account per connection" "resource-constraint" "$GOT" ||
	fail "one account per connection" "$GOT"
exec 5>&-
raw_session
printf '%s' "<iq type='set' id='s3'><query xmlns='jabber:iq:register'><username>taken</username><password>x</password></query></iq>" >&5
raw_until "id='s3'.*</iq>" && assert_match "a taken name: conflict" "<conflict" "$GOT" ||
	fail "a taken name: conflict" "$GOT"
printf '%s' "<iq type='set' id='s4'><query xmlns='jabber:iq:register'><username>a b</username><password>x</password></query></iq>" >&5
raw_until "id='s4'.*</iq>" && assert_match "a bad name: not-acceptable" "<not-acceptable" "$GOT" ||
	fail "a bad name: not-acceptable" "$GOT"
exec 5>&-

echo disconnect | xclient newbie@localhost/r npw >"$T/n.out" 2>&1
assert_eq "the new account logs in (name prepared: Newbie -> newbie)" 0 "$?"
client_start nb newbie@localhost/r npw || fail "newbie logs in" "$(cat "$T/nb.out")"
client_cmd nb "iq set - <query xmlns='jabber:iq:register'><username>newbie</username><password>changed</password></query>"
client_wait nb '^result .* result' >/dev/null && ok "password change accepted" ||
	fail "password change accepted" "$(tail -n 2 "$T/nb.out")"
client_stop nb
echo disconnect | xclient newbie@localhost/r npw >"$T/n.out" 2>&1
assert_eq "the old password no longer works" 2 "$?"
client_start nb2 newbie@localhost/r changed || fail "the new password works" "$(cat "$T/nb2.out")"
client_cmd nb2 "iq set - <query xmlns='jabber:iq:register'><remove/></query>"
client_wait nb2 'stream-error|closed' >/dev/null && ok "removal ends the stream" ||
	fail "removal ends the stream" "$(tail -n 2 "$T/nb2.out")"
client_stop nb2
echo disconnect | xclient newbie@localhost/r changed >"$T/n.out" 2>&1
assert_eq "a removed account cannot log in" 2 "$?"
stop_xmppd

XMPPD_DB=$T/off.db
start_xmppd || finish
raw_session
assert_no_match "registration off: no feature" "iq-register" "$GOT"
printf '%s' "<iq type='set' id='s5'><query xmlns='jabber:iq:register'><username>x</username><password>x</password></query></iq>" >&5
raw_until "id='s5'.*</iq>" && assert_match "registration off: service-unavailable" \
	"service-unavailable" "$GOT" || fail "registration off" "$GOT"
exec 5>&-
finish
