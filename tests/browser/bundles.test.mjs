// 新生儿出生一件事 end to end: the applicant answers the questions one per
// page, sees the tailored list, fills one form, uploads each document once,
// checks the answers and submits once; the window accepts every service at
// once; two departments act on their sub-cases and one asks for a correction,
// which reaches the applicant as one notice for the whole bundle; once every
// service has ended, the applicant sees one combined outcome.
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

const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

const as = (user) => pageAs(browser, server.base, user);

async function noErrors(page, what) {
  assert.equal(await page.locator('#error-summary').count(), 0, `${what}: ${await page.locator('main').innerText()}`);
}

// A JSON API call from the signed-in page (same origin, session cookie and CSRF header).
async function api(page, method, path, body) {
  return page.evaluate(async ({ method, path, body }) => {
    const s = await (await fetch('/api/v1/session')).json();
    const r = await fetch(path, {
      method,
      headers: { 'content-type': 'application/json', 'x-csrf-token': s.csrf_token },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, body: await r.json() };
  }, { method, path, body });
}

// The demo staff of each department: reviewer and head.
const STAFF = [
  ['卫生健康', 'reviewer', 'head'],
  ['公安', 'reviewer_ga', 'head_ga'],
  ['医疗保障', 'reviewer_yb', 'head_yb'],
  ['人力资源', 'reviewer_rs', 'head_rs'],
];

test('新生儿出生一件事: one form, each document once, one submission, one correction notice, one outcome', async () => {
  const base = server.base;

  // 1. The guide, with what the bundle saves.
  const applicant = await as('applicant');
  await applicant.goto(`${base}/bundles`);
  await submit(applicant, '#bundle-newborn a');
  assert.equal(await text(applicant, 'h1'), '新生儿出生一件事');
  const forms = await applicant.locator('#saving-forms td').allInnerTexts();
  assert.deepEqual(forms, ['6', '1'], 'six forms become one');

  // 2. The questions, one per page.
  await submit(applicant, '#start-questions');
  for (let i = 1; i <= 3; i++) {
    assert.match(await text(applicant, '.caption'), new RegExp(`${i} / 3`));
    assert.equal(await applicant.locator('fieldset input[type=radio]').count(), 2, 'one question on the page');
    await applicant.check('#answer-yes');
    await submit(applicant, '#next');
  }

  // 3. The tailored list before starting: a material is what it is and
  // whose — each parent's ID card once, and none of them asked (the
  // population register provides them); the 出生医学证明 the first service
  // issues is never asked, it is passed on.
  assert.equal(await applicant.locator('#tailored-items li').count(), 6);
  const askedList = await applicant.locator('#tailored-materials li').allInnerTexts();
  const materials = askedList.length;
  assert.ok(materials > 0 && materials < 17, `each document once: ${materials}`);
  assert.ok(!askedList.some((m) => /居民身份证|出生医学证明/.test(m)), askedList.join('\n'));
  const provided = await applicant.locator('#provided-materials li').allInnerTexts();
  for (const who of ['父亲', '母亲']) {
    assert.equal(provided.filter((m) => m.startsWith(`${who}的居民身份证`)).length, 1, provided.join('\n'));
  }
  assert.equal(provided.filter((m) => m.includes('出生医学证明') && m.includes('转交')).length, 1, provided.join('\n'));
  assert.ok(provided.filter((m) => m.includes('居民身份证')).every((m) => m.includes('人口库')));
  await submit(applicant, '#start-application');

  // 4. One form, prefilled from the account where it can be.
  assert.match(applicant.url(), /\/bundle-cases\/\d+\/form$/);
  assert.equal(await applicant.locator('#f-form_phone').inputValue(), '13800000000');
  await applicant.fill('#f-form_baby_name', '张小宝');
  await applicant.selectOption('#f-form_baby_gender', '女');
  await applicant.fill('#f-form_birth_date', '2026-02-20');
  await applicant.fill('#f-form_mailing_address', '示范区人民路1号');
  await applicant.fill('#f-form_mother_name', '李四');
  await applicant.fill('#f-form_medical_expense', 'abc');
  await applicant.fill('#f-form_bank_account', '6222020000000000000');
  await submit(applicant, '#save-form');
  // A bad amount: the error summary names it, and the page keeps the answers.
  assert.match(await text(applicant, '#error-summary'), /生育医疗费用/);
  assert.equal(await applicant.locator('#f-form_baby_name').inputValue(), '张小宝');
  await applicant.fill('#f-form_medical_expense', '3200.50');
  await submit(applicant, '#save-form');
  await noErrors(applicant, 'form');

  // 5. Each document once; what is not asked has no upload.
  const slotIds = await applicant.locator('tr.slot').evaluateAll((rows) => rows.map((r) => r.id.replace('slot-', '')));
  assert.equal(slotIds.length, materials);
  assert.equal(await applicant.locator('input[type=file]').count(), materials);
  for (const i of slotIds) {
    await applicant.setInputFiles(`#f-file-${i}`, { name: `m${i}.pdf`, mimeType: 'application/pdf', buffer: PDF });
    await submit(applicant, `#upload-${i}`);
    await noErrors(applicant, `upload ${i}`);
  }

  // 6. Check your answers, submit once.
  await submit(applicant, '#continue');
  assert.equal(await applicant.locator('#missing-warning').count(), 0);
  assert.equal(await applicant.locator('#check-items li').count(), 6);
  assert.match(await text(applicant, '#form-values'), /张小宝/);
  await submit(applicant, '#submit-bundle');
  // The confirmation: the number and the code of 办件查询, what happens next.
  assert.match(new URL(applicant.url()).pathname, /^\/bundle-cases\/\d+\/submitted$/);
  const bundleNo = await text(applicant, '#bundle-no');
  const bundleCode = await text(applicant, '#verify-code');
  assert.ok(bundleNo && bundleCode.length === 8, `${bundleNo} ${bundleCode}`);
  assert.match(await text(applicant, '#next-steps'), /5个工作日/);
  await submit(applicant, '#view-bundle');
  const bundleUrl = applicant.url();
  assert.match(bundleUrl, /\/bundle-cases\/\d+$/);
  assert.equal(await applicant.locator('#bundle-state').getAttribute('data-state'), 'in_progress');
  assert.equal(await applicant.locator('#sub-cases tbody tr').count(), 6);
  const subs = await applicant.locator('#sub-cases tbody tr').evaluateAll((rows) => rows.map((r) => ({
    id: r.dataset.case,
    item: r.querySelector('a').innerText.trim(),
    dept: r.children[1].innerText.trim(),
  })));

  // Anyone with the number and code finds the bundle in 办件查询, no sign-in.
  const visitor = await as(null);
  await visitor.goto(`${base}/progress`);
  await visitor.fill('#f-case_no', bundleNo);
  await visitor.fill('#f-code', bundleCode);
  await submit(visitor, '#lookup');
  assert.equal(await visitor.locator('#public-services tbody tr').count(), 6);
  assert.doesNotMatch(await visitor.locator('main').innerText(), /张小宝|李四/);
  await visitor.context().close();

  // 7. The window accepts every service at once.
  const clerk = await as('clerk');
  await clerk.goto(`${base}/bundle-cases`);
  await submit(clerk, '#bundle-cases a');
  // Nothing is preselected: the window checks each line, or is told to.
  const unchecked = await submit(clerk, '#accept-all');
  assert.equal(unchecked.status(), 422);
  assert.match(await text(clerk, '#error-summary'), /请逐项核对/);
  // The uploaded documents open from the checklist.
  const fileHref = await clerk.locator('#intake-form a[href^="/files/"]').first().getAttribute('href');
  assert.equal((await clerk.request.get(`${base}${fileHref}`)).status(), 200);
  await clerk.locator('#intake-form select').evaluateAll((ss) => ss.forEach((x) => { x.value = 'ok'; }));
  await submit(clerk, '#accept-all');
  assert.match(await text(clerk, '#flash'), /已受理/);
  const states = await clerk.locator('#sub-cases .sub-state').allInnerTexts();
  assert.ok(states.every((s) => s.includes('审查中')), states.join(','));

  // 8. Two departments act. 卫健局 asks for a correction of its sub-case …
  const cert = subs.find((s) => s.item.startsWith('出生医学证明'));
  const reviewer = await as('reviewer');
  await reviewer.goto(`${base}/cases/${cert.id}`);
  await reviewer.click('#suspend-box summary');
  await reviewer.selectOption('#f-procedure', '补正');
  await reviewer.fill('#f-note', '新生儿出生信息登记表缺少助产机构盖章');
  await submit(reviewer, '#suspend');
  await noErrors(reviewer, 'correction');
  // … and 医保局 reviews and decides its own.
  const med = subs.find((s) => s.item.startsWith('城乡居民'));
  const reviewerYb = await as('reviewer_yb');
  await reviewerYb.goto(`${base}/cases/${med.id}`);
  await reviewerYb.fill('#f-opinion', '参保信息齐全，同意。');
  await reviewerYb.check('#agree-yes');
  await submit(reviewerYb, '#complete-review');
  await noErrors(reviewerYb, 'review');
  // 医保 awaits the 出生医学证明 the first service issues: its head sees
  // why, and approving now is refused (it is decided in step 10).
  const headYb = await as('head_yb');
  await headYb.goto(`${base}/cases/${med.id}`);
  assert.match(await text(headYb, '#awaiting'), /出生医学证明/);
  await headYb.fill('#f-decide-reason', '符合参保条件，准予登记。');
  await headYb.check('#approve-yes');
  await submit(headYb, '#decide');
  assert.match(await text(headYb, '#error-summary'), /尚待转交的材料未到/);

  // 9. The applicant gets one notice for the bundle, not one per service.
  await applicant.goto(`${base}/notifications`);
  const notes = await applicant.locator('#notifications li').allInnerTexts();
  assert.equal(notes.filter((n) => n.includes('补正')).length, 1, notes.join('\n'));
  assert.equal(notes.filter((n) => n.includes('受理通知') || n.includes('已受理')).length, 1, 'one acceptance notice for the bundle');
  await applicant.goto(bundleUrl);
  assert.equal(await applicant.locator('#bundle-state').getAttribute('data-state'), 'correction');
  assert.match(await text(applicant, '#correction-lines'), /助产机构盖章/);
  const slot = await applicant.locator('#correction tr', { hasText: '新生儿出生信息登记表' }).getAttribute('id');
  const k = slot.replace('correction-slot-', '');
  await applicant.setInputFiles(`#f-correction-${k}`, { name: 'stamped.pdf', mimeType: 'application/pdf', buffer: PDF });
  await submit(applicant, `#correction-upload-${k}`);
  await submit(applicant, '#supply-corrections');
  assert.equal(await applicant.locator('#bundle-state').getAttribute('data-state'), 'in_progress');

  // 10. Every department finishes; the pages of 医保局 did so above, the rest
  // go through the JSON API as their own reviewers and heads.
  const pages = {};
  const page = async (u) => (pages[u] ??= await as(u));
  for (const s of subs) {
    const [, r, h] = STAFF.find(([d]) => s.dept.includes(d));
    const rp = await page(r);
    const hp = await page(h);
    const cmd = async (p, command) => {
      const res = await api(p, 'POST', `/api/v1/cases/${s.id}/commands`, { command });
      assert.equal(res.status, 200, `${s.item} ${command.type}: ${JSON.stringify(res.body)}`);
      return res.body;
    };
    let st = (await api(rp, 'GET', `/api/v1/cases/${s.id}`)).body.case.state;
    if (st === 'review') {
      await cmd(rp, { type: 'complete_review', agree: true, opinion: '同意' });
      st = 'decision';
    }
    if (st === 'decision') {
      await cmd(hp, { type: 'decide', approve: true, reason: '准予' });
      st = 'certifying';
    }
    if (st === 'certifying') await cmd(rp, { type: 'issue' });
    await cmd(clerk, { type: 'deliver', method: '邮寄' });
  }

  // 10b. The 出生医学证明 was passed on to the later services as it was
  // issued: the 出生登记 sub-case shows the e-certificate, nothing uploaded.
  const reg = subs.find((s) => s.item.startsWith('出生登记'));
  await clerk.goto(`${base}/cases/${reg.id}`);
  const regMaterials = await text(clerk, '#case-materials');
  assert.match(regMaterials, /出生医学证明：已由本件一件事的前序事项出具并转交，电子证照编号：\S+/, regMaterials);

  // 11. One combined outcome.
  await applicant.goto(bundleUrl);
  assert.equal(await applicant.locator('#bundle-state').getAttribute('data-state'), 'completed');
  assert.equal(await applicant.locator('#completion').count(), 1);
  const outcomes = await applicant.locator('#outcomes .outcome').allInnerTexts();
  assert.deepEqual(outcomes, ['准予', '准予', '准予', '准予', '准予', '准予']);
  await applicant.goto(`${base}/notifications`);
  const done = await applicant.locator('#notifications li').allInnerTexts();
  assert.equal(done.filter((n) => n.includes('已全部办结')).length, 1);
});
