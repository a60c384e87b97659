// 秒批: a newborn's medical insurance registration, applied for online.
// With data that agree with the birth and population registers the case is
// decided and certified within seconds, with no human step, and the
// certificate verifies; with a wrong name it goes to the window and the
// reviewer, who see the mismatch.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, pageAs, submit, text } from './harness.mjs';

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

const MEDICAL = '11339901MB000000374080301001000'; // 城乡居民基本医疗保险参保登记

const as = (user) => pageAs(browser, server.base, user);

async function apply(page, babyName) {
  await page.goto(`${server.base}/items/${MEDICAL}`);
  await submit(page, '#apply');
  await page.fill('#f-form_baby_name', babyName);
  await page.fill('#f-form_birth_date', '2026-02-20');
  await page.fill('#f-form_guardian_name', '张三');
  await page.fill('#f-form_phone', '13800000000');
  await submit(page, '#start-application');
  // Both of its materials are 免提交: shown with their source, never asked.
  assert.equal(await page.locator('input[type=file]').count(), 0, 'no 免提交 upload is asked');
  const obtained = await page.locator('.provided-by').allInnerTexts();
  assert.equal(obtained.length, 2, obtained.join('\n'));
  assert.ok(obtained.every((t) => t.includes('免提交') && t.includes('人口库')), obtained.join('\n'));
  await submit(page, '#continue');
  const started = Date.now();
  await submit(page, '#submit-application');
  const took = Date.now() - started;
  assert.match(new URL(page.url()).pathname, /^\/cases\/\d+\/submitted$/, 'the confirmation page');
  await submit(page, '#view-case');
  return took;
}

test('agreeing data: decided and certified in seconds; disagreeing data: a person sees the mismatch', async () => {
  const applicant = await as('applicant');
  const took = await apply(applicant, '张小宝');
  assert.ok(took < 5000, `submission to decision took ${took} ms`);
  assert.equal(await applicant.locator('#case-state').getAttribute('data-state'), 'completed');
  assert.equal(await applicant.locator('#rule-outcome').getAttribute('data-outcome'), 'approve');
  assert.match(await applicant.locator('#rule-reasons').innerText(), /核验一致/);
  // What was looked up about the applicant is shown to them.
  const looked = await applicant.locator('#shared-data tr.fetch').allInnerTexts();
  assert.ok(looked.some((t) => t.includes('出生医学登记库') && t.includes('张小宝')), looked.join('\n'));
  // The certificate verifies publicly.
  const lid = (await applicant.locator('#certificates .licence-id').innerText()).trim();
  const checker = await as(null);
  await checker.goto(`${server.base}/verify/${lid}`);
  assert.equal(await checker.locator('#cert-status').getAttribute('data-status'), 'valid');
  assert.equal(await checker.locator('#cert-signature').getAttribute('data-valid'), 'yes');
  // The decision of a public service speaks its own law and words, prints
  // with a button, and carries the QR code of the certificate's verification page.
  await submit(applicant, '#documents a:has-text("决定")');
  const decision = await text(applicant, '#document');
  assert.match(decision, /准予办理/);
  assert.match(decision, /社会保险法/);
  assert.doesNotMatch(decision, /行政许可/);
  assert.equal(await applicant.locator('#print[data-print]').count(), 1);
  assert.equal(await applicant.locator(`#doc-qr img[src="/verify/${lid}/qr.svg"]`).count(), 1);
  // 我的证照: the applicant finds it in one place, valid, with its links.
  await applicant.goto(`${server.base}/my/certificates`);
  const mine = applicant.locator('#my-certificates tr.cert', { hasText: lid });
  assert.equal(await mine.count(), 1);
  assert.equal(await mine.getAttribute('data-status'), 'valid');
  assert.equal(await mine.locator(`a[href="/verify/${lid}"]`).count(), 1);
  const exported = await applicant.evaluate(async (id) => (await fetch(`/api/v1/certificates/${id}/export`)).status, lid);
  assert.equal(exported, 200, 'the export downloads');
  await applicant.goBack();

  // A wrong name: the case waits for the window, with the mismatch.
  await apply(applicant, '张大宝');
  const caseUrl = applicant.url();
  assert.equal(await applicant.locator('#case-state').getAttribute('data-state'), 'submitted');
  assert.equal(await applicant.locator('#rule-outcome').getAttribute('data-outcome'), 'refer');
  const clerk = await as('clerk');
  await clerk.goto(caseUrl);
  assert.match(await clerk.locator('#mismatches').innerText(), /张大宝[\s\S]*张小宝/);
  await submit(clerk, '#accept');
  const reviewer = await as('reviewer_yb');
  await reviewer.goto(caseUrl);
  assert.equal(await reviewer.locator('#case-state').getAttribute('data-state'), 'review');
  assert.match(await reviewer.locator('#mismatches').innerText(), /新生儿姓名[\s\S]*张大宝[\s\S]*张小宝/);
});
