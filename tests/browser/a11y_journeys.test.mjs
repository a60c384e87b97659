// Everyone can use the service all the way through, not only its front
// pages: along each main journey — an application from the guide to the case
// page and its documents, the window's intake and the one-time correction,
// review and decision, and 新生儿出生一件事 — every page the journey reaches
// has no serious or critical accessibility fault (axe-core, at desktop width)
// and does not scroll sideways on a 390 px phone.
//
// Each page is checked as the journey leaves it (some exist only at one
// state of a case, or as the answer to a form): axe-core at 1280 px, then the
// same page resized to 390 px for the overflow, then back. Closed <details>
// (the staff's action boxes, 撤回申请 ...) are opened for the check, since a
// user opens them. Each test collects every problem of its journey and
// asserts once at the end, so one run lists them all.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, pageAs, submit, text, axeProblems, overflowProblem,
} from './harness.mjs';

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

const ITEM = '11339901MB000000114010103001000'; // 公共场所卫生许可（新证）
const MEDICAL = '11339901MB000000374080301001000'; // 城乡居民基本医疗保险参保登记（秒批）
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

// A page signed in as `user` (null: a visitor) at desktop width; the CSP is
// bypassed only so that axe-core can be injected.
async function as(user) {
  const page = await pageAs(browser, server.base, user, { viewport: DESKTOP, bypassCSP: true });
  page.who = user || '(signed out)';
  return page;
}

const go = (page, path) => page.goto(`${server.base}${path}`);
const pathOf = (page) => new URL(page.url()).pathname;

// Checks the page `page` is on: first that it is the page meant (`response`
// of its navigation is 200 unless `status` says otherwise, the path matches
// `path`, and each of `has`, selectors only that page has, is there), then adds
// its axe-core violations at 1280 px and its overflow at 390 px to
// `problems`, each labelled with the user, the path and `what`.
async function check(problems, page, response, what, { path, has, status = 200 }) {
  const url = new URL(page.url());
  const label = `${page.who} ${url.pathname}${url.search} [${what}]`;
  problems.pages.push(label);
  assert.ok(response, `${label}: a navigation`);
  assert.equal(response.status(), status, `${label}: status`);
  if (path instanceof RegExp) assert.match(url.pathname, path, `${label}: the page meant`);
  else assert.equal(url.pathname, path, `${label}: the page meant`);
  for (const sel of [has].flat()) {
    assert.ok(await page.locator(sel).count() > 0, `${label}: ${sel} is on the page`);
  }
  await page.evaluate(() => {
    for (const d of document.querySelectorAll('details:not([open])')) {
      d.open = true;
      d.dataset.openedForCheck = '';
    }
  });
  problems.push(...await axeProblems(page, label));
  await page.setViewportSize(PHONE);
  const o = await overflowProblem(page, label);
  if (o) problems.push(o);
  await page.setViewportSize(DESKTOP);
  await page.evaluate(() => {
    for (const d of document.querySelectorAll('details[data-opened-for-check]')) {
      d.open = false;
      delete d.dataset.openedForCheck;
    }
  });
}

// No check: for a journey that only needs to get somewhere.
const skip = async () => {};

// The list `check` adds problems to; it also keeps the pages checked.
function collect() {
  const problems = [];
  problems.pages = [];
  return problems;
}

function report(t, problems) {
  t.diagnostic(`${problems.pages.length} pages checked:`);
  for (const label of problems.pages) t.diagnostic(`  ${label}`);
  assert.deepEqual([...problems], [],
    `${problems.length} accessibility or overflow problems:\n${problems.join('\n')}`);
}

async function noErrors(page, what) {
  assert.equal(await page.locator('#error-summary').count(), 0, `${what}: ${await page.locator('main').innerText()}`);
}

async function upload(page, i) {
  await page.setInputFiles(`#f-file-${i}`, { name: `m${i}.pdf`, mimeType: 'application/pdf', buffer: PDF });
  await submit(page, `#upload-${i}`);
  await noErrors(page, `upload ${i}`);
  assert.match(await page.locator(`#material-${i}`).innerText(), new RegExp(`m${i}\\.pdf`), `material ${i} uploaded`);
}

// The applicant applies for 公共场所卫生许可 online, uploading the documents
// `uploads` (of 0, 2, 3; 1 is 免提交), and submits; `at(what, response, opts)`
// checks each page on the way. Returns the case's path, number and code.
async function applyOnline(applicant, uploads, at = skip) {
  let r = await go(applicant, `/items/${ITEM}`);
  await at('service guide', r, { path: `/items/${ITEM}`, has: '#apply' });
  r = await submit(applicant, '#apply');
  await at('apply form', r, { path: `/items/${ITEM}/apply`, has: '#apply-form' });
  await applicant.fill('#f-form_venue_name', '西湖宾馆');
  await applicant.fill('#f-form_venue_address', '杭州市西湖区北山街1号');
  await applicant.fill('#f-form_area', '1200');
  await applicant.selectOption('#f-form_venue_type', '住宿场所');
  await submit(applicant, '#start-application');
  await noErrors(applicant, 'apply form');
  const m = pathOf(applicant).match(/^\/cases\/(\d+)\/materials$/);
  assert.ok(m, `on the materials page, got ${applicant.url()}`);
  const casePath = `/cases/${m[1]}`;
  for (const i of uploads) await upload(applicant, i);
  r = await go(applicant, `${casePath}/materials`);
  await at('upload materials, draft', r, { path: `${casePath}/materials`, has: ['#material-0', '#continue'] });
  r = await submit(applicant, '#continue');
  await at('check your answers', r, { path: `${casePath}/check`, has: '#submit-application' });
  r = await submit(applicant, '#submit-application');
  await at('submission confirmation', r, { path: `${casePath}/submitted`, has: '#confirmation #case-no' });
  assert.equal(await text(applicant, 'h1'), '申请已提交');
  const caseNo = await text(applicant, '#case-no');
  const code = await text(applicant, '#verify-code');
  return { casePath, caseNo, code };
}

const stateIs = (s) => `#case-state[data-state="${s}"]`;

// Every document linked from the case page `page` is on, each checked.
async function checkDocuments(problems, page, casePath, what) {
  const links = await page.locator('#documents a').evaluateAll((as) =>
    as.map((a) => ({ href: a.getAttribute('href'), title: a.textContent.trim() })));
  for (const { href, title } of links) {
    const r = await go(page, href);
    await check(problems, page, r, `${what}: document ${title}`, { path: /^\/documents\/[^/]+$/, has: '#document' });
  }
  await go(page, casePath);
  return links;
}

test('an applicant\'s pages: guide, form, materials, check, confirmation, case, documents, 我的证照, 办件查询', async (t) => {
  const problems = collect();
  const applicant = await as('applicant');
  const at = (what, r, opts) => check(problems, applicant, r, what, opts);

  // The health-certificate document (3) left out: the check page warns.
  const { casePath, caseNo, code } = await applyOnline(applicant, [0, 2], at);
  let r = await submit(applicant, '#view-case');
  await at('case page, submitted', r, { path: casePath, has: stateIs('submitted') });
  // (No document yet: the acceptance notice comes with acceptance, below.)

  // 秒批: decided and certified at once — the completed case with its rule
  // findings, shared data and certificate, the decision, 我的证照 and the
  // certificate's public verification page.
  await go(applicant, `/items/${MEDICAL}/apply`);
  await applicant.fill('#f-form_baby_name', '张小宝');
  await applicant.fill('#f-form_birth_date', '2026-02-20');
  await applicant.fill('#f-form_guardian_name', '张三');
  await applicant.fill('#f-form_phone', '13800000000');
  await submit(applicant, '#start-application');
  await noErrors(applicant, 'instant apply form');
  await submit(applicant, '#continue');
  await submit(applicant, '#submit-application');
  r = await submit(applicant, '#view-case');
  const instantPath = pathOf(applicant);
  await at('case page, completed by instant approval', r, {
    path: /^\/cases\/\d+$/, has: [stateIs('completed'), '#rule-findings', '#certificates .licence-id'],
  });
  const lid = await text(applicant, '#certificates .licence-id');
  const decided = await checkDocuments(problems, applicant, instantPath, 'instantly approved case');
  assert.ok(decided.some((d) => d.title.includes('决定')), 'the decision is listed');
  r = await go(applicant, '/my/certificates');
  await at('我的证照', r, { path: '/my/certificates', has: `#my-certificates tr.cert a[href="/verify/${lid}"]` });
  r = await go(applicant, `/verify/${lid}`);
  await at('certificate verification', r, { path: `/verify/${lid}`, has: '#cert-status[data-status="valid"]' });

  // 办件查询, signed out: the form, the result, and a wrong code refused.
  const visitor = await as(null);
  const vat = (what, res, opts) => check(problems, visitor, res, what, opts);
  r = await go(visitor, '/progress');
  await vat('progress lookup form', r, { path: '/progress', has: '#progress-form' });
  await visitor.fill('#f-case_no', caseNo);
  await visitor.fill('#f-code', code);
  r = await submit(visitor, '#lookup');
  await vat('progress lookup result', r, { path: '/progress', has: '#progress-result #public-state' });
  await visitor.fill('#f-case_no', caseNo);
  // A code of the right form (8 characters) that is not this case's.
  await visitor.fill('#f-code', code === 'ABCDEFGH' ? 'HGFEDCBA' : 'ABCDEFGH');
  r = await submit(visitor, '#lookup');
  await vat('progress lookup, wrong code', r, { path: '/progress', has: '#error-summary', status: 404 });

  for (const p of [applicant, visitor]) await p.context().close();
  report(t, problems);
});

test('the window\'s intake and the one-time correction: the clerk\'s and the applicant\'s pages', async (t) => {
  const problems = collect();
  const applicant = await as('applicant');
  const clerk = await as('clerk');
  const { casePath } = await applyOnline(applicant, [0, 2]);

  // The clerk's case page waiting for intake, with the checklist.
  let r = await go(clerk, casePath);
  await check(problems, clerk, r, 'case page, waiting for intake', {
    path: casePath, has: [stateIs('submitted'), '#correction-form #f-problem-0', '#accept'],
  });
  await clerk.selectOption('#f-problem-0', 'defective');
  await clerk.selectOption('#f-problem-1', 'ok');
  await clerk.selectOption('#f-problem-2', 'ok');
  await clerk.selectOption('#f-problem-3', 'missing');
  await clerk.fill('input[name=note_0]', '申请人未签字');
  await clerk.check('#f-fix-venue_name');
  await clerk.fill('#f-fixnote-venue_name', '名称应与营业执照一致');
  r = await submit(clerk, '#issue-correction');
  await check(problems, clerk, r, 'case page, correction notice issued', {
    path: casePath, has: [stateIs('correction'), '#documents a:has-text("补正材料一次性告知书")'],
  });
  r = await submit(clerk, '#documents a:has-text("补正材料一次性告知书")');
  await check(problems, clerk, r, 'document: 补正材料一次性告知书', { path: /^\/documents\/[^/]+$/, has: '#doc-materials' });

  // The applicant corrects exactly what the notice names: the case page with
  // the named form entry, the refusal while something is still to do, the
  // notice, and the materials page of the correction.
  r = await go(applicant, casePath);
  await check(problems, applicant, r, 'case page, correction to make', {
    path: casePath, has: [stateIs('correction'), '#pending-corrections', '#correct-form #f-form_venue_name', '#upload-corrections'],
  });
  r = await submit(applicant, '#supply');
  await check(problems, applicant, r, 'case page, supplying refused (error summary)', {
    path: `${casePath}/act`, has: [stateIs('correction'), '#error-summary'], status: 422,
  });
  r = await submit(applicant, '#documents a:has-text("补正材料一次性告知书")');
  await check(problems, applicant, r, 'document: 补正材料一次性告知书', { path: /^\/documents\/[^/]+$/, has: '#doc-materials' });
  await go(applicant, casePath);
  await applicant.fill('#f-form_venue_name', '西湖宾馆有限公司');
  await submit(applicant, '#save-corrections');
  await noErrors(applicant, 'save corrections');
  r = await submit(applicant, '#upload-corrections');
  await check(problems, applicant, r, 'upload materials, correction', { path: `${casePath}/materials`, has: '#f-file-0' });
  await upload(applicant, 0);
  await upload(applicant, 3);
  await go(applicant, casePath);
  await submit(applicant, '#supply');
  assert.equal(await applicant.locator('#case-state').getAttribute('data-state'), 'submitted');

  // Back at the window, the intake page once more, then accepted.
  r = await go(clerk, casePath);
  await check(problems, clerk, r, 'case page, corrections supplied', { path: casePath, has: [stateIs('submitted'), '#accept'] });
  r = await submit(clerk, '#accept');
  await check(problems, clerk, r, 'case page, accepted', { path: casePath, has: stateIs('review') });

  for (const p of [applicant, clerk]) await p.context().close();
  report(t, problems);
});

test('review and decision: the reviewer\'s and the head\'s case pages', async (t) => {
  const problems = collect();
  const applicant = await as('applicant');
  const clerk = await as('clerk');
  const reviewer = await as('reviewer');
  const head = await as('head');
  const { casePath } = await applyOnline(applicant, [0, 2, 3]);
  await go(clerk, casePath);
  await submit(clerk, '#accept');
  assert.equal(await clerk.locator('#case-state').getAttribute('data-state'), 'review');

  let r = await go(reviewer, casePath);
  await check(problems, reviewer, r, 'case page at review', {
    path: casePath, has: [stateIs('review'), '#review-form', '#suspend-box'],
  });
  r = await go(head, casePath);
  await check(problems, head, r, 'case page at review, the head', { path: casePath, has: [stateIs('review'), '#extend-box'] });
  await reviewer.fill('#f-opinion', '符合卫生许可条件，同意。');
  await reviewer.check('#agree-yes');
  await submit(reviewer, '#complete-review');
  await noErrors(reviewer, 'review');
  r = await go(head, casePath);
  await check(problems, head, r, 'case page at decision', { path: casePath, has: [stateIs('decision'), '#decide-form'] });
  await head.fill('#f-decide-reason', '经审查符合条件，准予许可。');
  await head.check('#approve-yes');
  r = await submit(head, '#decide');
  await check(problems, head, r, 'case page, decided', { path: casePath, has: stateIs('certifying') });
  const docs = await checkDocuments(problems, head, casePath, 'decided case');
  assert.ok(docs.some((d) => d.title.includes('受理')), `the acceptance notice is listed: ${docs.map((d) => d.title)}`);
  assert.ok(docs.some((d) => d.title.includes('决定')), `the decision is listed: ${docs.map((d) => d.title)}`);

  for (const p of [applicant, clerk, reviewer, head]) await p.context().close();
  report(t, problems);
});

test('新生儿出生一件事: guide, questions, tailored list, form, materials, check, confirmation, case, intake, correction', async (t) => {
  const problems = collect();
  const applicant = await as('applicant');
  const at = (what, r, opts) => check(problems, applicant, r, what, opts);

  let r = await go(applicant, '/bundles');
  await at('life events', r, { path: '/bundles', has: '#bundle-newborn a' });
  r = await submit(applicant, '#bundle-newborn a');
  await at('bundle guide', r, { path: /^\/bundles\/[^/]+$/, has: '#start-questions' });
  assert.equal(await text(applicant, 'h1'), '新生儿出生一件事');
  const guidePath = pathOf(applicant);
  r = await submit(applicant, '#start-questions');
  for (let i = 1; i <= 3; i++) {
    await at(`question ${i}`, r, { path: `${guidePath}/ask`, has: '#question-form #answer-yes' });
    assert.match(await text(applicant, '.caption'), new RegExp(`${i} / 3`));
    await applicant.check('#answer-yes');
    r = await submit(applicant, '#next');
  }
  await at('tailored list', r, { path: `${guidePath}/ask`, has: ['#tailored-items li', '#start-application'] });
  r = await submit(applicant, '#start-application');
  await at('bundle form', r, { path: /^\/bundle-cases\/\d+\/form$/, has: '#bundle-form' });
  const bundlePath = pathOf(applicant).replace(/\/form$/, '');
  await applicant.fill('#f-form_baby_name', '张小宝');
  await applicant.selectOption('#f-form_baby_gender', '女');
  await applicant.fill('#f-form_birth_date', '2026-02-20');
  await applicant.fill('#f-form_mailing_address', '示范区人民路1号');
  await applicant.fill('#f-form_mother_name', '李四');
  await applicant.fill('#f-form_medical_expense', 'abc');
  await applicant.fill('#f-form_bank_account', '6222020000000000000');
  r = await submit(applicant, '#save-form');
  await at('bundle form, with an error', r, {
    path: /^\/bundle-cases\/\d+\/form$/, has: ['#bundle-form', '#error-summary'], status: 422,
  });
  await applicant.fill('#f-form_medical_expense', '3200.50');
  r = await submit(applicant, '#save-form');
  await noErrors(applicant, 'bundle form');
  await at('bundle materials, none uploaded', r, { path: `${bundlePath}/materials`, has: 'tr.slot input[type=file]' });
  const slots = await applicant.locator('tr.slot').evaluateAll((rows) => rows.map((row) => row.id.replace('slot-', '')));
  for (const i of slots) {
    await applicant.setInputFiles(`#f-file-${i}`, { name: `m${i}.pdf`, mimeType: 'application/pdf', buffer: PDF });
    await submit(applicant, `#upload-${i}`);
    await noErrors(applicant, `upload ${i}`);
  }
  r = await go(applicant, `${bundlePath}/materials`);
  await at('bundle materials, all uploaded', r, { path: `${bundlePath}/materials`, has: ['tr.slot', '#continue'] });
  r = await submit(applicant, '#continue');
  await at('bundle check', r, { path: `${bundlePath}/check`, has: ['#check-items li', '#submit-bundle'] });
  r = await submit(applicant, '#submit-bundle');
  await at('bundle confirmation', r, { path: `${bundlePath}/submitted`, has: '#confirmation #bundle-no' });
  const bundleNo = await text(applicant, '#bundle-no');
  const bundleCode = await text(applicant, '#verify-code');
  r = await submit(applicant, '#view-bundle');
  await at('bundle case page, submitted', r, { path: bundlePath, has: ['#bundle-state[data-state="in_progress"]', '#sub-cases tbody tr'] });
  const subs = await applicant.locator('#sub-cases tbody tr').evaluateAll((rows) => rows.map((row) => ({
    id: row.dataset.case, item: row.querySelector('a').innerText.trim(),
  })));

  // 办件查询 of the bundle, signed out.
  const visitor = await as(null);
  await go(visitor, '/progress');
  await visitor.fill('#f-case_no', bundleNo);
  await visitor.fill('#f-code', bundleCode);
  r = await submit(visitor, '#lookup');
  await check(problems, visitor, r, 'progress lookup result, bundle', { path: '/progress', has: '#public-services tbody tr' });

  // The window's intake of the whole bundle, then accepted.
  const clerk = await as('clerk');
  r = await go(clerk, bundlePath);
  await check(problems, clerk, r, 'bundle intake', { path: bundlePath, has: ['#intake-form select', '#accept-all'] });
  // Unchecked lines: the checklist comes back with its errors.
  r = await submit(clerk, '#accept-all');
  await check(problems, clerk, r, 'bundle intake, lines unchecked', { path: `${bundlePath}/intake`, status: 422, has: ['#error-summary', '#intake-form select'] });
  await clerk.locator('#intake-form select').evaluateAll((ss) => ss.forEach((x) => { x.value = 'ok'; }));
  r = await submit(clerk, '#accept-all');
  await check(problems, clerk, r, 'bundle case page, accepted', { path: bundlePath, has: '#sub-cases .sub-state' });
  const states = await clerk.locator('#sub-cases .sub-state').allInnerTexts();
  assert.ok(states.every((s) => s.includes('审查中')), states.join(','));

  // 卫健局 asks for a correction of its service: the applicant's bundle page
  // with the one combined notice and its uploads.
  const cert = subs.find((s) => s.item.startsWith('出生医学证明'));
  assert.ok(cert, subs.map((s) => s.item).join(','));
  const reviewer = await as('reviewer');
  await go(reviewer, `/cases/${cert.id}`);
  await reviewer.click('#suspend-box summary');
  await reviewer.selectOption('#f-procedure', '补正');
  await reviewer.fill('#f-note', '新生儿出生信息登记表缺少助产机构盖章');
  await submit(reviewer, '#suspend');
  await noErrors(reviewer, 'correction');
  r = await go(applicant, bundlePath);
  await at('bundle case page, correction', r, {
    path: bundlePath, has: ['#bundle-state[data-state="correction"]', '#correction-lines', '#supply-corrections'],
  });

  for (const p of [applicant, visitor, clerk, reviewer]) await p.context().close();
  report(t, problems);
});
