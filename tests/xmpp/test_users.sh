#!/bin/bash
# test_users.sh: parleyctl's user commands on xmpp-routerd's store, and a
# login with what they made: add (exit 1 when the user exists, 100 for a
# bad name), list, passwd, delete, and import ("NAME PASSWORD" lines, for
# bulk creation: counts, existing users untouched, a bad line stops with
# exit 100 naming it).
. "$(dirname "$0")/../lib.sh"
need_binaries "$XMPPD" "$XMPP_CLIENT" "$PARLEYCTL"
DB=$T/users.db
pc() { "$PARLEYCTL" --db "$DB" "$@" 2>>"$T/pc.err"; }

pc user add alice apw
assert_eq "user add: exit 0" 0 "$?"
pc user add alice other
assert_eq "user add of an existing user: exit 1" 1 "$?"
pc user add 'bad@name' pw
assert_eq "user add of a name nodeprep refuses: exit 100" 100 "$?"
printf 'bob bpw\nalice changed\n# a comment\n\ncarol cpw with spaces\n' |
	pc user import
assert_eq "user import: exit 0" 0 "$?"
assert_match "... says what it did" '2 users created, 1 existed' "$(cat "$T/pc.err")"
assert_eq "user list: the three users" "alice bob carol" \
	"$(pc user list | sort | tr '\n' ' ' | sed 's/ $//')"
printf 'dave dpw\nnopassword\neve epw\n' | pc user import
assert_eq "user import with a bad line: exit 100" 100 "$?"
assert_match "... naming the line" 'line 2' "$(cat "$T/pc.err")"
assert_no_match "... and stops there (eve not created)" '^eve$' "$(pc user list)"
pc user passwd bob newbpw
assert_eq "user passwd: exit 0" 0 "$?"
pc user delete dave
assert_eq "user delete: exit 0" 0 "$?"
pc user delete dave
assert_eq "user delete of no user: exit 1" 1 "$?"

XMPPD_DB=$DB
start_xmppd || finish
login() { # JID PASSWORD: 0 if it logs in
	echo quit | xclient "$1" "$2" >"$T/login.out" 2>&1
	grep -q '^connected' "$T/login.out"
}
login alice@localhost/t apw && ok "alice logs in with the password add gave" ||
	fail "alice logs in" "$(cat "$T/login.out")"
login alice@localhost/t changed && fail "import left alice's password alone" "it changed" ||
	ok "import left alice's password alone"
login carol@localhost/t 'cpw with spaces' &&
	ok "an imported user logs in (a password with spaces)" ||
	fail "an imported user logs in" "$(cat "$T/login.out")"
login bob@localhost/t newbpw && ok "passwd: the new password works" ||
	fail "passwd: the new password works" "$(cat "$T/login.out")"
login bob@localhost/t bpw && fail "passwd: the old password is refused" "accepted" ||
	ok "passwd: the old password is refused"
finish
