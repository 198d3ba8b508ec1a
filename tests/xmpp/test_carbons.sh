#!/bin/bash
# test_carbons.sh: message carbons (XEP-0280): a resource that enabled
# carbons sees the messages its user's other resources receive and send;
# <private/> and non-chat messages are not copied; disco advertises it.
. "$(dirname "$0")/../lib.sh"
need_binaries "$XMPPD" "$XMPP_CLIENT" "$PARLEYCTL"
start_xmppd || finish
add_user alice apw
add_user bob bpw
client_start a1 alice@localhost/one apw || fail "alice/one logs in" "$(cat "$T/a1.out")"
client_start a2 alice@localhost/two apw || fail "alice/two logs in" "$(cat "$T/a2.out")"
client_start bob bob@localhost/b bpw || fail "bob logs in" "$(cat "$T/bob.out")"
client_cmd a1 "iq get localhost <query xmlns='http://jabber.org/protocol/disco#info'/>"
client_wait a1 'urn:xmpp:carbons:2' >/dev/null && ok "disco#info advertises carbons" ||
	fail "disco#info advertises carbons" "$(tail -n 2 "$T/a1.out")"
client_cmd a1 "iq set - <enable xmlns='urn:xmpp:carbons:2'/>"
client_sync a1
for c in a1 a2 bob; do client_cmd "$c" presence; done
for c in a1 a2 bob; do client_sync "$c"; done

client_cmd bob 'message alice@localhost/two for-two-only'
client_wait a2 'for-two-only' >/dev/null
line=$(client_wait a1 'for-two-only')
assert_match "a received carbon reaches alice/one" '<received xmlns="urn:xmpp:carbons:2"><forwarded xmlns="urn:xmpp:forward:0"><message' "$line"
assert_match "the carbon comes from alice's bare JID" 'from="alice@localhost"' "$line"
client_cmd a2 'message bob@localhost/b from-two'
client_wait bob 'from-two' >/dev/null
line=$(client_wait a1 'from-two')
assert_match "a sent carbon reaches alice/one" '<sent xmlns="urn:xmpp:carbons:2">' "$line"
client_cmd a2 "send <message to='bob@localhost/b' type='chat'><body>secret-two</body><private xmlns='urn:xmpp:carbons:2'/></message>"
client_cmd a2 "send <message to='bob@localhost/b' type='headline'><body>headline-two</body></message>"
client_wait bob 'headline-two' >/dev/null
client_sync a1
assert_no_match "<private/> messages are not copied" 'secret-two' "$(cat "$T/a1.out")"
assert_no_match "headlines are not copied" 'headline-two' "$(cat "$T/a1.out")"
client_cmd bob 'message alice@localhost/one to-one'
client_wait a1 'to-one' >/dev/null
client_sync a2
assert_no_match "a resource without carbons gets no copies" 'to-one' "$(cat "$T/a2.out")"
client_cmd a1 "iq set - <disable xmlns='urn:xmpp:carbons:2'/>"
client_sync a1
client_cmd bob 'message alice@localhost/two after-disable'
client_wait a2 'after-disable' >/dev/null
client_sync a1
assert_no_match "after <disable/>, no more copies" 'after-disable' "$(cat "$T/a1.out")"
for c in a1 a2 bob; do client_stop "$c"; done
finish
