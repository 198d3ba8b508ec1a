#!/bin/bash
# test_blocking.sh: XEP-0191 enforcement in xmpp-routerd's router: after
# alice blocks bob, neither can message the other (not-acceptable), bob
# does not see alice's presence and alice does not see bob's; after the
# unblock both flow again.
. "$(dirname "$0")/../lib.sh"
need_binaries "$XMPPD" "$XMPP_CLIENT" "$PARLEYCTL"
start_xmppd || finish
add_user alice apw
add_user bob bpw
client_start alice alice@localhost/a apw || fail "alice logs in" "$(cat "$T/alice.out")"
client_start bob bob@localhost/b bpw || fail "bob logs in" "$(cat "$T/bob.out")"
client_cmd alice 'presence'
client_cmd bob 'presence'
# mutual subscription
client_cmd alice "send <presence to='bob@localhost' type='subscribe'/>"
client_wait bob "type=\"subscribe\"" >/dev/null
client_cmd bob "send <presence to='alice@localhost' type='subscribed'/>"
client_cmd bob "send <presence to='alice@localhost' type='subscribe'/>"
client_wait alice "type=\"subscribe\"" >/dev/null
client_cmd alice "send <presence to='bob@localhost' type='subscribed'/>"
client_cmd alice "send <presence><status>before-block</status></presence>"
client_wait bob 'before-block' >/dev/null && ok "subscribed: bob sees alice's presence" ||
	fail "subscribed: bob sees alice's presence" "$(tail -n 5 "$T/bob.out")"

client_cmd alice "iq set - <block xmlns='urn:xmpp:blocking'><item jid='bob@localhost'/></block>"
client_wait alice '^result .* result' >/dev/null && ok "alice blocks bob" ||
	fail "alice blocks bob" "$(tail -n 2 "$T/alice.out")"
client_wait bob 'type="unavailable".*from="alice@localhost/a"|from="alice@localhost/a".*type="unavailable"' >/dev/null &&
	ok "the blocked bob sees alice go offline" || fail "bob sees alice go offline" "$(tail -n 3 "$T/bob.out")"
client_wait alice 'type="unavailable".*from="bob@localhost/b"|from="bob@localhost/b".*type="unavailable"' >/dev/null &&
	ok "alice sees bob go offline" || fail "alice sees bob go offline" "$(tail -n 3 "$T/alice.out")"
client_cmd bob "send <message to='alice@localhost/a' type='chat' id='m1'><body>blocked-1</body></message>"
client_wait bob 'id="m1".*not-acceptable' >/dev/null &&
	ok "bob -> alice: not-acceptable" || fail "bob -> alice: not-acceptable" "$(tail -n 2 "$T/bob.out")"
client_cmd alice "send <message to='bob@localhost' type='chat' id='m2'><body>blocked-2</body></message>"
client_wait alice 'id="m2".*not-acceptable' >/dev/null &&
	ok "alice -> bob: not-acceptable" || fail "alice -> bob: not-acceptable" "$(tail -n 2 "$T/alice.out")"
client_cmd alice "send <presence><status>during-block</status></presence>"
client_cmd bob "send <presence><status>bob-during-block</status></presence>"

client_sync alice # all of the above processed
client_sync bob
BOB_LINES=$(wc -l <"$T/bob.out")
ALICE_LINES=$(wc -l <"$T/alice.out")
client_cmd alice "iq set - <unblock xmlns='urn:xmpp:blocking'><item jid='bob@localhost'/></unblock>"
client_sync alice
client_wait bob 'during-block' >/dev/null &&
	ok "on unblock, bob gets alice's current presence" ||
	fail "on unblock, bob gets alice's current presence" "$(tail -n 3 "$T/bob.out")"
client_wait alice 'bob-during-block' >/dev/null &&
	ok "on unblock, alice gets bob's current presence" ||
	fail "on unblock, alice gets bob's current presence" "$(tail -n 3 "$T/alice.out")"
client_cmd alice "send <presence><status>after-unblock</status></presence>"
client_wait bob 'after-unblock' >/dev/null && ok "after the unblock, presence flows" ||
	fail "after the unblock, presence flows" "$(tail -n 3 "$T/bob.out")"
client_cmd bob "send <message to='alice@localhost/a' type='chat'><body>hello-again</body></message>"
client_wait alice 'hello-again' >/dev/null && ok "after the unblock, messages flow" ||
	fail "after the unblock, messages flow" "$(tail -n 3 "$T/alice.out")"
assert_no_match "bob saw no presence of alice while blocked" 'during-block' \
	"$(head -n "$BOB_LINES" "$T/bob.out" | grep -v 'bob-during-block')"
assert_no_match "alice saw no presence of bob while blocked" 'bob-during-block' \
	"$(head -n "$ALICE_LINES" "$T/alice.out")"
assert_no_match "no blocked message was delivered" 'blocked-[12]' \
	"$(grep -v 'id="m[12]"' "$T/alice.out" "$T/bob.out")"
client_stop alice
client_stop bob
finish
