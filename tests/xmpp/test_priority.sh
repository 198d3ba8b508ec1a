#!/bin/bash
# test_priority.sh: RFC 6121 8.5.2 delivery to a bare JID with several
# resources: a chat message goes to the available resource(s) of highest
# non-negative priority (all of them on a tie), a headline to every
# non-negative one, nothing to a negative one; a full JID always reaches
# its resource.
. "$(dirname "$0")/../lib.sh"
need_binaries "$XMPPD" "$XMPP_CLIENT" "$PARLEYCTL"
start_xmppd || finish
add_user alice apw
add_user bob bpw
client_start hi alice@localhost/hi apw || fail "alice/hi logs in" "$(cat "$T/hi.out")"
client_start lo alice@localhost/lo apw || fail "alice/lo logs in" "$(cat "$T/lo.out")"
client_start neg alice@localhost/neg apw || fail "alice/neg logs in" "$(cat "$T/neg.out")"
client_start bob bob@localhost/b bpw || fail "bob logs in" "$(cat "$T/bob.out")"
client_cmd hi 'presence - 5'
client_cmd lo 'presence - 1'
client_cmd neg 'presence - -1'
sync_all() { # every client's earlier commands have been processed
	local c
	for c in hi lo neg bob; do
		client_sync "$c" || fail "sync $c" "no ping answer"
	done
}
sync_all
client_cmd bob 'message alice@localhost to-the-top'
client_cmd bob "send <message to='alice@localhost' type='headline'><body>news-for-all</body></message>"
client_cmd bob 'message alice@localhost/neg to-the-full-jid'
client_wait hi 'news-for-all' >/dev/null
client_wait lo 'news-for-all' >/dev/null
client_wait neg 'to-the-full-jid' >/dev/null
sync_all
assert_eq "chat to the bare JID: the priority-5 resource" 1 "$(grep -c to-the-top "$T/hi.out")"
assert_eq "chat to the bare JID: not the priority-1 one" 0 "$(grep -c to-the-top "$T/lo.out")"
assert_eq "chat to the bare JID: not the negative one" 0 "$(grep -c to-the-top "$T/neg.out")"
assert_eq "headline: the priority-1 resource too" 1 "$(grep -c news-for-all "$T/lo.out")"
assert_eq "headline: not the negative one" 0 "$(grep -c news-for-all "$T/neg.out")"
assert_eq "a full JID reaches even a negative-priority resource" 1 \
	"$(grep -c to-the-full-jid "$T/neg.out")"
client_cmd lo 'presence - 5'
sync_all
client_cmd bob 'message alice@localhost tie-message'
client_wait hi 'tie-message' >/dev/null && client_wait lo 'tie-message' >/dev/null &&
	ok "a tie at the top priority: both resources get the chat message" ||
	fail "a tie: both get it" "$(tail -n 2 "$T/hi.out" "$T/lo.out")"
for c in hi lo neg bob; do client_stop "$c"; done
finish
