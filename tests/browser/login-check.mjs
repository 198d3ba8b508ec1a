// login-check.mjs: logs in to the web client at URL as alice@localhost /
// alice-pw (the demo user of `make run`) in Debian's Chromium and saves a
// screenshot. Usage: node login-check.mjs URL SCREENSHOT. Prints
// "LOGGED IN" and exits 0 when Converse.js shows the logged-in profile,
// exits 1 otherwise. The browser tests of issue 4 will grow from this.
import { chromium } from 'playwright-core';
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--no-first-run',
         '--disable-quic'],
});
const page = await browser.newPage();
page.on('console', m => { if (m.type() === 'error') console.log('console:', m.text()); });
await page.goto(process.argv[2]);
await page.waitForSelector('form#converse-login input[name="jid"]');
await page.fill('form#converse-login input[name="jid"]', 'alice@localhost');
await page.fill('form#converse-login input[name="password"]', 'alice-pw');
await page.click('form#converse-login [type="submit"]');
try {
  await page.waitForSelector('converse-user-profile, .xmpp-status, #controlbox .controlbox-pane .userinfo, converse-roster', {timeout: 15000});
  console.log('LOGGED IN');
} catch (e) {
  console.log('NOT LOGGED IN', e.message);
  process.exitCode = 1;
}
await page.screenshot({path: process.argv[3]});
await browser.close();
