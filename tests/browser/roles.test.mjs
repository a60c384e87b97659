// Day one: every demo account signs in on the login page as a newcomer
// would, lands on its own work (not a 无权访问 page), and every link of its
// menu opens — none answers 403 or 404 — at desktop and at phone width.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, login } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const ACCOUNTS = [
  ['applicant', '/'],
  ['clerk', '/work'],
  ['reviewer', '/work'],
  ['head', '/work'],
  ['concierge', '/projects'],
  ['catalog', '/admin'],
  ['catalog_wjw', '/admin'],
  ['supervisor', '/work'],
  ['officer', '/officer'],
  ['admin', '/admin/users'],
];

for (const [width, height] of [[1280, 900], [390, 844]]) {
  test(`every role lands on its work and opens every menu link (${width} px)`, async () => {
    for (const [user, landing] of ACCOUNTS) {
      const ctx = await browser.newContext({ viewport: { width, height } });
      const page = await ctx.newPage();
      await login(page, server.base, user);
      assert.equal(new URL(page.url()).pathname, landing, `${user} lands on ${landing}`);
      assert.notEqual(await page.title(), '', `${user}: a titled page`);
      const hrefs = await page.locator('header nav a').evaluateAll((as) =>
        as.map((a) => a.getAttribute('href')).filter((h) => h && !h.startsWith('/lang/')));
      assert.ok(hrefs.length >= 3, `${user}: a menu (${hrefs})`);
      for (const href of hrefs) {
        const r = await page.goto(`${server.base}${href}`);
        assert.equal(r.status(), 200, `${user} follows ${href}: ${await page.locator('main').innerText()}`);
      }
      await ctx.close();
    }
  });
}
