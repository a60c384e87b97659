// Main journeys of the catalogue: the public finds a guide; a catalogue admin
// fixes a guide through a new version and sees the audit finding close; the
// admin pages are closed to the public.
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

test('a citizen searches, opens a guide and switches language', async () => {
  const page = await browser.newPage();
  await page.goto(server.base + '/');
  await page.fill('#q', '出生证明');
  await Promise.all([page.waitForNavigation(), page.click('form.search-big button')]);
  const first = page.locator('ol.results li a.result-name').first();
  assert.match(await first.innerText(), /出生医学证明/);
  // The matched words are highlighted (whole words, not single characters).
  assert.match(await first.innerHTML(), /<b>[^<]*出生[^<]*<\/b>/);
  await Promise.all([page.waitForNavigation(), first.click()]);
  assert.equal(await page.locator('h1').innerText(), '出生医学证明首次签发');
  const facts = await page.locator('.keyfacts').innerText();
  assert.match(facts, /1个工作日/);
  assert.match(await page.locator('table.materials').innerText(), /受理标准|父母双方居民身份证/);
  // Filters: a licensing search restricted to legal persons.
  await page.goto(server.base + '/items?q=营业执照&type=licensing&object=legal_person');
  const names = await page.locator('ol.results li a.result-name').allInnerTexts();
  assert.ok(names.some((n) => n.includes('食品经营许可')), names.join());
  assert.ok(!names.some((n) => n.includes('个体工商户')), 'individual-only item filtered out');
  // English switch keeps the page and remembers the choice.
  await page.goto(server.base + '/items/' + encodeURIComponent('11339901MB000000114020101001000'));
  await Promise.all([page.waitForNavigation(), page.click('#lang-switch')]);
  assert.match(await page.locator('.keyfacts').innerText(), /Promised time/);
  assert.match(await page.locator('.keyfacts').innerText(), /1 working days/);
  await page.goto(server.base + '/');
  assert.match(await page.locator('h1').innerText(), /Start here/);
  await page.close();
});

test('search speaks people\'s words and offers the 一件事', async () => {
  const page = await browser.newPage();
  // The life-event tile leads to the one application, not seven items.
  await page.goto(server.base + '/');
  const tile = page.locator('ul.tiles a.event-bundle', { hasText: '新生儿出生' });
  assert.equal(await tile.count(), 1);
  await Promise.all([page.waitForNavigation(), tile.click()]);
  assert.match(page.url(), /\/bundles\/[^/]+$/);
  assert.match(await page.locator('h1').innerText(), /新生儿出生一件事/);
  // An everyday question finds the bundle and its services.
  await page.goto(server.base + '/items?q=' + encodeURIComponent('生孩子要办什么'));
  assert.match(await page.locator('#bundle-results').innerText(), /新生儿出生一件事/);
  assert.ok(await page.locator('ol.results li').count() > 0, 'services found too');
  // The item that issues the licence ranks first.
  await page.goto(server.base + '/items?q=' + encodeURIComponent('营业执照'));
  assert.match(await page.locator('ol.results li a.result-name').first().innerText(), /企业设立登记/);
  // The catalogue admin keeps the phrasings: a new one works at once.
  await page.goto(server.base + '/items?q=' + encodeURIComponent('开饭馆'));
  assert.doesNotMatch(await page.locator('main').innerText(), /食品经营许可/);
  await login(page, server.base, 'catalog');
  await page.goto(server.base + '/admin/search-phrasings');
  await page.fill('#f-everyday', '开饭馆');
  await page.fill('#f-official', '食品经营许可');
  await Promise.all([page.waitForNavigation(), page.click('#add-phrasing')]);
  assert.match(await page.locator('#phrasings').innerText(), /开饭馆/);
  // A duplicate is refused at its field.
  await page.fill('#f-everyday', '开饭馆');
  await page.fill('#f-official', '食品经营许可');
  await Promise.all([page.waitForNavigation(), page.click('#add-phrasing')]);
  assert.match(await page.locator('#error-summary').innerText(), /已在列表中/);
  await page.goto(server.base + '/items?q=' + encodeURIComponent('开饭馆'));
  assert.match(await page.locator('ol.results li a.result-name').first().innerText(), /食品经营许可/);
  await page.close();
});

test('a catalogue admin fixes a guide and the audit finding closes', async () => {
  const page = await browser.newPage();
  await login(page, server.base, 'catalog');
  assert.match(page.url(), /\/admin$/);
  await page.goto(server.base + '/admin/audit');
  await Promise.all([page.waitForNavigation(), page.click('#run-audit')]);
  const row = page.locator('#findings tr[data-rule="G11"]').filter({ hasText: '高龄津贴申领' });
  assert.equal(await row.count(), 1, 'the malformed phone is found');
  // Open the item, start a new version, edit the phone.
  await Promise.all([page.waitForNavigation(), row.locator('a').first().click()]);
  assert.equal(await page.locator('#version-status').innerText(), '已发布');
  await Promise.all([page.waitForNavigation(), page.click('#new-version')]);
  assert.equal(await page.locator('#version-status').innerText(), '草稿');
  assert.match(await page.locator('#draft-findings').innerText(), /G11/);
  // A guide with an error-level finding is not published: the summary says why.
  const draftUrl = page.url();
  assert.equal(await page.locator('#publish-blocked').count(), 1);
  await Promise.all([page.waitForNavigation(), page.click('#publish')]);
  assert.match(await page.locator('#error-summary').innerText(), /G11/);
  assert.equal(await page.locator('#version-status').innerText(), '草稿', 'still a draft');
  await page.goto(server.base + '/items?q=高龄津贴');
  await Promise.all([page.waitForNavigation(), page.locator('a.result-name').first().click()]);
  assert.doesNotMatch(await page.locator('.keyfacts').innerText(), /0571-86010007/);
  await page.goto(draftUrl);
  await Promise.all([page.waitForNavigation(), page.click('#edit-draft')]);
  // Bad input first: the error summary names the field and nothing is saved.
  await page.fill('#f-legal_days', 'abc');
  await page.fill('#f-consult_phone', '0571-86010007');
  await Promise.all([page.waitForNavigation(), page.click('#save-draft')]);
  assert.match(await page.locator('.error-summary').innerText(), /法定办结时限应为整数天数/);
  await page.fill('#f-legal_days', '20');
  await Promise.all([page.waitForNavigation(), page.click('#save-draft')]);
  assert.match(await page.locator('.notice').innerText(), /草稿已保存/);
  assert.equal(await page.locator('#draft-findings').count(), 0, 'draft audit preview is clean');
  await Promise.all([page.waitForNavigation(), page.click('#publish')]);
  assert.equal(await page.locator('#version-status').innerText(), '已发布');
  // Re-run the audit: the finding is no longer open, and shows as fixed.
  await page.goto(server.base + '/admin/audit');
  await Promise.all([page.waitForNavigation(), page.click('#run-audit')]);
  assert.equal(await page.locator('#findings tr[data-rule="G11"]').filter({ hasText: '高龄津贴申领' }).count(), 0);
  await page.goto(server.base + '/admin/audit?status=fixed');
  assert.equal(await page.locator('#findings tr[data-rule="G11"]').filter({ hasText: '高龄津贴申领' }).count(), 1);
  // The public page shows the corrected phone.
  await page.goto(server.base + '/items?q=高龄津贴');
  await Promise.all([page.waitForNavigation(), page.locator('a.result-name').first().click()]);
  assert.match(await page.locator('.keyfacts').innerText(), /0571-86010007/);
  await page.close();
});

test('anonymous visitors and applicants are refused the admin pages', async () => {
  const page = await browser.newPage();
  for (const path of ['/admin', '/admin/audit', '/admin/departments', '/admin/items/1/edit']) {
    await page.goto(server.base + path);
    assert.match(new URL(page.url()).pathname, /^\/login$/, path);
  }
  const r = await page.request.post(server.base + '/admin/audit/run', { form: { csrf: 'x' }, maxRedirects: 0 });
  assert.ok([303, 401, 403].includes(r.status()), `POST refused, got ${r.status()}`);
  await login(page, server.base, 'applicant');
  const resp = await page.goto(server.base + '/admin');
  assert.equal(resp.status(), 403);
  assert.match(await page.locator('h1').innerText(), /无权访问/);
  await page.close();
});
