// 好差评 (issue 14): the applicant rates a completed case; a 差评 goes to the
// department that handled it, which visits the applicant within a working
// day and rectifies; the supervisor verifies, the applicant gives a verdict,
// and the public page shows the 差评 with its outcome and no personal data.
// At the window a clerk opens a one-time rating page for the tablet. And the
// new pages are accessible (axe-core) and fit a 360 px phone.
//
// A fresh demo server already holds ratings by another applicant (李四), so
// nothing here depends on totals: each test finds its own case's rows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
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

const MEDICAL = '11339901MB000000374080301001000'; // 城乡居民基本医疗保险参保登记（秒批）
const MEDICAL_NAME = '城乡居民基本医疗保险参保登记';
const WALK_ITEM = '11339901MB000000114010103001000'; // 公共场所卫生许可（新证）
const R01 = '办事指南或材料要求不清';
const ONLINE_INDICATORS = ['efficiency', 'guide_accuracy', 'convenience', 'usability'];
const ONSITE_INDICATORS = ['service_efficiency', 'service_level', 'attitude'];

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 360, height: 780 };

// A page signed in as `user` (null: a visitor) at desktop width, in its own
// context; the CSP is bypassed only so that axe-core can be injected.
async function as(user) {
  const page = await pageAs(browser, server.base, user, { viewport: DESKTOP, bypassCSP: true });
  page.who = user || '(signed out)';
  return page;
}

const go = (page, path) => page.goto(path.startsWith('http') ? path : `${server.base}${path}`);
const pathOf = (page) => new URL(page.url()).pathname;

async function noErrors(page, what) {
  assert.equal(await page.locator('#error-summary').count(), 0, `${what}: ${await page.locator('main').innerText()}`);
}

// The date `n` working days after `day` (YYYY-MM-DD), by the product's own
// calendar (`tongban calendar add-workdays`, on a scratch database).
function addWorkdays(day, n) {
  const bin = process.env.TONGBAN_BIN || resolve(new URL('.', import.meta.url).pathname, '../../target/debug/tongban');
  const dir = mkdtempSync(join(tmpdir(), 'tongban-cal-'));
  try {
    const r = spawnSync(bin, ['calendar', 'add-workdays', day, String(n), '--data-dir', dir], {
      encoding: 'utf8', env: { ...process.env, RUST_LOG: 'warn' },
    });
    assert.equal(r.status, 0, `calendar add-workdays: ${r.stderr}`);
    const out = r.stdout.trim().split('\n').pop().trim();
    assert.match(out, /^\d{4}-\d{2}-\d{2}$/, `calendar add-workdays printed ${r.stdout}`);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// The applicant applies for 城乡居民基本医疗保险参保登记 for 张小宝 (秒批:
// decided and completed at once) and ends on the completed case's page;
// returns the case's id and path.
async function completedCase(applicant) {
  await go(applicant, `/items/${MEDICAL}`);
  await submit(applicant, '#apply');
  await applicant.fill('#f-form_baby_name', '张小宝');
  await applicant.fill('#f-form_birth_date', '2026-02-20');
  await applicant.fill('#f-form_guardian_name', '张三');
  await applicant.fill('#f-form_phone', '13800000000');
  await submit(applicant, '#start-application');
  await noErrors(applicant, 'apply form');
  await submit(applicant, '#continue');
  await submit(applicant, '#submit-application');
  assert.match(pathOf(applicant), /^\/cases\/\d+\/submitted$/, 'the confirmation page');
  await submit(applicant, '#view-case');
  const m = pathOf(applicant).match(/^\/cases\/(\d+)$/);
  assert.ok(m, `on the case page, got ${applicant.url()}`);
  assert.equal(await applicant.locator('#case-state').getAttribute('data-state'), 'completed', 'completed by 秒批');
  return { id: m[1], casePath: `/cases/${m[1]}` };
}

// Fills the rating form: the whole `level`, every indicator in `indicators`
// at `level`, the reasons `reasons`, and the comment.
async function fillRating(page, { level, indicators, reasons = [], comment = '' }) {
  await page.check(`#level-${level}`);
  for (const k of indicators) await page.selectOption(`#f-indicators_${k}`, String(level));
  for (const r of reasons) await page.check(`#reason-${r}`);
  await page.fill('#f-comment', comment);
}

// The subject number (办件编号) of the page's case, from the crumbs "事项 · 编号".
async function subjectNo(page) {
  const crumbs = await text(page, '.crumbs');
  const no = crumbs.split('·').pop().trim();
  assert.ok(no, `a case number in the crumbs: ${crumbs}`);
  return no;
}

// Rates the case at `casePath` as the applicant: 不满意 with R01 and a comment.
// Returns the case's number.
async function rateBadly(applicant, casePath, comment) {
  await go(applicant, `${casePath}/rate`);
  await fillRating(applicant, { level: 2, indicators: ONLINE_INDICATORS, reasons: ['R01'], comment });
  await submit(applicant, '#submit-rating');
  await noErrors(applicant, 'rating');
  assert.equal(new URL(applicant.url()).search, '?done=bad');
  return subjectNo(applicant);
}

// The rectification of the case numbered `no` on /rectifications as `page`
// sees it: its path.
async function findRectification(page, no) {
  const r = await go(page, '/rectifications');
  assert.equal(r.status(), 200, '/rectifications');
  const row = page.locator('#rectifications tbody tr', { hasText: no });
  assert.equal(await row.count(), 1, `one rectification for ${no}: ${await page.locator('main').innerText()}`);
  const href = await row.locator('a[href^="/rectifications/"]').getAttribute('href');
  assert.match(href, /^\/rectifications\/\d+$/);
  return href;
}

const rectState = (page) => page.locator('#rect-state').getAttribute('data-state');

test('a 差评 online: reasons required, visited the next working day, rectified, verified, judged by the applicant, published without personal data', async () => {
  const applicant = await as('applicant');
  const { casePath } = await completedCase(applicant);

  // The completed case invites a rating.
  assert.equal(await applicant.locator('#rate-link').getAttribute('href'), `${casePath}/rate`);
  let r = await submit(applicant, '#rate-link');
  assert.equal(r.status(), 200);
  assert.equal(pathOf(applicant), `${casePath}/rate`);
  assert.equal(await applicant.locator('#rating-form').getAttribute('data-channel'), 'online');
  for (const k of ONLINE_INDICATORS) {
    assert.equal(await applicant.locator(`select[name=ind_${k}]#f-indicators_${k}`).count(), 1, `indicator ${k}`);
  }
  for (const code of ['R01', 'R02', 'R03', 'R04', 'R05', 'R06', 'R07', 'R08', 'R99']) {
    assert.equal(await applicant.locator(`#reason-${code}[name=reason][value=${code}]`).count(), 1, `reason ${code}`);
  }
  const no = await subjectNo(applicant);

  // 不满意 without a reason: refused, the error summary says why.
  await fillRating(applicant, { level: 2, indicators: ONLINE_INDICATORS });
  r = await submit(applicant, '#submit-rating');
  assert.equal(r.status(), 422, 'a 差评 without a reason is refused');
  assert.match(await text(applicant, '#error-summary'), /原因/);
  assert.equal(await applicant.locator('#rated').count(), 0);

  // With R01 and a comment: taken, and the department will call back.
  const comment = '参保登记的材料说明看不懂，张三的电话13800000000';
  await fillRating(applicant, { level: 2, indicators: ONLINE_INDICATORS, reasons: ['R01'], comment });
  r = await submit(applicant, '#submit-rating');
  assert.equal(r.status(), 200);
  assert.equal(pathOf(applicant), `${casePath}/rate`);
  assert.equal(new URL(applicant.url()).search, '?done=bad');
  await applicant.locator('#rated').waitFor();
  assert.match(await text(applicant, '#rated'), /回访/);
  assert.match(await text(applicant, '#given'), /不满意/);
  assert.equal(await applicant.locator('#rating-form').count(), 0, 'rated once online');

  // 医保局 finds it among its rectifications, due for a return visit on the
  // next working day and for the rectification after that.
  const reviewer = await as('reviewer_yb');
  const rectPath = await findRectification(reviewer, no);
  r = await go(reviewer, rectPath);
  assert.equal(r.status(), 200);
  assert.equal(await rectState(reviewer), 'awaiting_visit');
  assert.match(await text(reviewer, '#rect-rating'), /不满意/);
  assert.match(await text(reviewer, '#rect-reasons'), new RegExp(R01));
  const ratedOn = (await text(reviewer, '#rect-rating')).match(/\d{4}-\d{2}-\d{2}/)?.[0];
  assert.ok(ratedOn, `the rating's date: ${await text(reviewer, '#rect-rating')}`);
  const visitDue = await text(reviewer, '#visit-due');
  const fixDue = await text(reviewer, '#fix-due');
  assert.equal(visitDue, addWorkdays(ratedOn, 1), `回访 within 1 working day of ${ratedOn}`);
  assert.ok(visitDue > ratedOn, `visit due ${visitDue} after the rating ${ratedOn}`);
  assert.ok(fixDue > visitDue, `rectification due ${fixDue} after the visit ${visitDue}`);

  // The return visit.
  await reviewer.selectOption('#f-method', '电话');
  await reviewer.fill('#f-note', '已电话联系申请人，说明了参保登记所需材料');
  r = await submit(reviewer, '#record-visit');
  assert.equal(r.status(), 200);
  await noErrors(reviewer, 'visit');
  assert.match(await text(reviewer, '#flash'), /回访已记录/);
  assert.equal(await rectState(reviewer), 'visited');
  assert.match(await text(reviewer, '#visit'), /电话/);

  // The head of 医保局 records the rectification.
  const head = await as('head_yb');
  await go(head, rectPath);
  assert.equal(await rectState(head), 'visited');
  await head.fill('#f-cause', '办事指南对材料的说明不够清楚');
  await head.fill('#f-measures', '重写办事指南的材料说明，并在首屏给出示例');
  r = await submit(head, '#submit-rectification');
  assert.equal(r.status(), 200);
  await noErrors(head, 'rectify');
  assert.match(await text(head, '#flash'), /整改已提交/);
  assert.equal(await rectState(head), 'awaiting_verification');
  assert.match(await text(head, '#measures'), /重写办事指南/);

  // The supervisor verifies it.
  const supervisor = await as('supervisor');
  await go(supervisor, rectPath);
  assert.equal(await rectState(supervisor), 'awaiting_verification');
  assert.equal(await supervisor.locator('#send-back-box').count(), 1, 'may send it back instead');
  r = await submit(supervisor, '#verify');
  assert.equal(r.status(), 200);
  await noErrors(supervisor, 'verify');
  assert.match(await text(supervisor, '#flash'), /整改已核验/);
  assert.equal(await rectState(supervisor), 'verified');

  // The applicant is told, and follows the notice's link to the
  // rectification; their rating page links it too.
  await go(applicant, '/notifications');
  r = await submit(applicant, `#notifications a[href="${rectPath}"]`);
  assert.equal(r.status(), 200);
  assert.equal(pathOf(applicant), rectPath);
  assert.equal(await applicant.locator(`.crumbs a[href="${casePath}/rate"]`).count(), 1, 'the crumb leads back to their rating');
  await go(applicant, `${casePath}/rate`);
  r = await submit(applicant, `#given a[href="${rectPath}"]`);
  assert.equal(r.status(), 200);
  // The applicant judges the rectification: 满意.
  assert.equal(await rectState(applicant), 'verified');
  await applicant.check('#verdict-satisfied');
  r = await submit(applicant, '#give-verdict');
  assert.equal(r.status(), 200);
  await noErrors(applicant, 'verdict');
  assert.match(await text(applicant, '#flash'), /感谢/);
  assert.match(await text(applicant, '#verdict'), /满意/);
  assert.equal(await applicant.locator('#verdict-form').count(), 0, 'one verdict');

  // The public page, signed out: the 差评 with its outcome, nobody's name.
  const visitor = await as(null);
  r = await go(visitor, '/satisfaction');
  assert.equal(r.status(), 200);
  assert.ok(await visitor.locator('#total').count(), 'the total');
  assert.ok(await visitor.locator('#by-department tbody tr', { hasText: '医疗保障局' }).count(), '医疗保障局 by department');
  assert.ok(await visitor.locator('#by-item tbody tr', { hasText: MEDICAL_NAME }).count(), `${MEDICAL_NAME} by item`);
  const mine = visitor.locator('#bad tbody tr', { hasText: MEDICAL_NAME })
    .filter({ hasText: ratedOn }).filter({ hasText: R01 });
  assert.equal(await mine.count(), 1, `this case's 差评 in #bad:\n${await text(visitor, '#bad')}`);
  assert.match(await mine.innerText(), /医疗保障局/);
  assert.match(await mine.innerText(), /不满意/);
  const outcome = (await mine.locator('.outcome').innerText()).trim();
  assert.match(outcome, /整改已核验/);
  assert.match(outcome, /满意/);
  const all = await visitor.locator('body').innerText();
  assert.ok(!all.includes('张三'), 'no applicant\'s name on the public page');
  assert.ok(!all.includes('13800000000'), 'no phone number on the public page');
  assert.ok(!all.includes(no), 'no case number on the public page');

  for (const p of [applicant, reviewer, head, supervisor, visitor]) await p.context().close();
});

test('the window\'s tablet: a clerk opens a one-time page, the applicant rates there without signing in, the link then answers 404', async () => {
  const applicant = await as('applicant');
  const { casePath } = await completedCase(applicant);

  const clerk = await as('clerk');
  let r = await go(clerk, casePath);
  assert.equal(r.status(), 200);
  assert.equal(await clerk.locator('#rate-link').getAttribute('href'), `${casePath}/rate`);
  r = await submit(clerk, '#rate-link');
  assert.equal(r.status(), 200);
  assert.equal(pathOf(clerk), `${casePath}/rate`);
  assert.equal(await clerk.locator('#rating-form').getAttribute('data-channel'), 'hotline', 'the clerk enters hotline ratings');
  r = await submit(clerk, '#open-tablet');
  assert.equal(r.status(), 200);
  const link = await clerk.locator('#tablet-link').getAttribute('href');
  assert.match(link, /\/r\/[^/?#]+$/, link);
  assert.ok(link.startsWith(`${server.base}/r/`), `${link} is on this server`);
  assert.equal(await clerk.locator('#tablet-qr svg').count(), 1, 'the QR code');

  // On the tablet: no sign-in, the on-site indicators.
  const tablet = await as(null);
  r = await go(tablet, link);
  assert.equal(r.status(), 200, 'the tablet page opens without signing in');
  assert.equal(await tablet.locator('#rating-form').count(), 1);
  for (const k of ONSITE_INDICATORS) {
    assert.equal(await tablet.locator(`select[name=ind_${k}]#f-indicators_${k}`).count(), 1, `indicator ${k}`);
  }
  for (const k of ONLINE_INDICATORS) {
    assert.equal(await tablet.locator(`#f-indicators_${k}`).count(), 0, `no online indicator ${k}`);
  }
  await fillRating(tablet, { level: 4, indicators: ONSITE_INDICATORS });
  r = await submit(tablet, '#submit-rating');
  assert.equal(r.status(), 200);
  await noErrors(tablet, 'tablet rating');
  await tablet.locator('#rated').waitFor();
  assert.equal(await tablet.locator('#rating-form').count(), 0);

  // Once only.
  r = await go(tablet, link);
  assert.equal(r.status(), 404, 'the used link answers 404');
  assert.equal(await tablet.locator('#rating-form').count(), 0);

  // The clerk sees the on-site rating on the case's rating page, and no
  // second tablet page is offered.
  await go(clerk, `${casePath}/rate`);
  assert.match(await text(clerk, '#given'), /满意/);
  assert.equal(await clerk.locator('#open-tablet').count(), 0, 'no second tablet page');

  for (const p of [applicant, clerk, tablet]) await p.context().close();
});

// ---- Accessibility and phone width ----------------------------------------

// Checks the page `page` is on (like a11y_journeys.test.mjs): that it is the
// page meant (`response` of its navigation is `status`, the path matches
// `path`, each of `has` is there), then adds its axe-core violations at
// 1280 px and its overflow at 360 px to `problems`, with closed <details>
// opened for the check.
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

test('the rating, rectification, tablet, public and officers\' pages: no serious accessibility fault, no sideways scrolling at 360 px', async (t) => {
  const problems = [];
  problems.pages = [];
  const applicant = await as('applicant');
  const clerk = await as('clerk');
  const reviewer = await as('reviewer_yb');
  const head = await as('head_yb');
  const supervisor = await as('supervisor');
  const visitor = await as(null);

  // The applicant's rating page: the form, refused, rated.
  const { casePath } = await completedCase(applicant);
  let r = await go(applicant, `${casePath}/rate`);
  await check(problems, applicant, r, 'rating form', { path: `${casePath}/rate`, has: '#rating-form #level-5' });
  await fillRating(applicant, { level: 1, indicators: ONLINE_INDICATORS });
  r = await submit(applicant, '#submit-rating');
  await check(problems, applicant, r, 'rating refused: no reason', {
    path: `${casePath}/rate`, has: ['#error-summary', '#rating-form'], status: 422,
  });
  await fillRating(applicant, { level: 1, indicators: ONLINE_INDICATORS, reasons: ['R04', 'R07'], comment: '等了很久' });
  r = await submit(applicant, '#submit-rating');
  await check(problems, applicant, r, 'rated', { path: `${casePath}/rate`, has: ['#rated', '#given'] });
  const no = await subjectNo(applicant);

  // The clerk's page for the same case: hotline (already rated online, so
  // the form is gone) and the tablet; then the tablet page opened.
  r = await go(clerk, `${casePath}/rate`);
  await check(problems, clerk, r, 'hotline rating and tablet', { path: `${casePath}/rate`, has: '#open-tablet' });
  r = await submit(clerk, '#open-tablet');
  await check(problems, clerk, r, 'tablet page opened', { path: /\/onsite$/, has: ['#tablet-link', '#tablet-qr svg'] });
  const link = await clerk.locator('#tablet-link').getAttribute('href');
  r = await go(visitor, link);
  await check(problems, visitor, r, 'tablet rating form', { path: /^\/r\/[^/]+$/, has: '#rating-form #f-indicators_attitude' });
  await fillRating(visitor, { level: 2, indicators: ONSITE_INDICATORS });
  r = await submit(visitor, '#submit-rating');
  await check(problems, visitor, r, 'tablet rating refused: no reason', {
    path: /^\/r\/[^/]+$/, has: ['#error-summary', '#rating-form'], status: 422,
  });
  await fillRating(visitor, { level: 5, indicators: ONSITE_INDICATORS });
  r = await submit(visitor, '#submit-rating');
  await check(problems, visitor, r, 'tablet rated', { path: /^\/r\/[^/]+$/, has: '#rated' });
  // Another case, hotline form open for the clerk.
  const second = await completedCase(applicant);
  r = await go(clerk, `${second.casePath}/rate`);
  await check(problems, clerk, r, 'hotline rating form', { path: `${second.casePath}/rate`, has: ['#rating-form[data-channel="hotline"]', '#open-tablet'] });

  // The rectification through its states, as each person sees it.
  const rectPath = await findRectification(reviewer, no);
  r = await go(reviewer, '/rectifications');
  await check(problems, reviewer, r, 'rectifications', { path: '/rectifications', has: '#rectifications tbody tr' });
  r = await go(reviewer, '/rectifications?all=1');
  await check(problems, reviewer, r, 'rectifications, all', { path: '/rectifications', has: '#rectifications tbody tr' });
  r = await go(reviewer, rectPath);
  await check(problems, reviewer, r, 'rectification awaiting the visit', { path: rectPath, has: ['#visit-form #f-method', '#appeal-box'] });
  r = await submit(reviewer, '#record-visit');
  await check(problems, reviewer, r, 'visit refused: nothing filled', { path: rectPath, has: '#error-summary', status: 422 });
  await reviewer.selectOption('#f-method', '上门');
  await reviewer.fill('#f-note', '上门了解情况');
  r = await submit(reviewer, '#record-visit');
  await check(problems, reviewer, r, 'visit recorded', { path: rectPath, has: ['#flash', '#rect-state[data-state="visited"]'] });
  r = await go(head, rectPath);
  await check(problems, head, r, 'rectification to rectify', { path: rectPath, has: ['#rectify-form #f-cause', '#file-form'] });
  await head.fill('#f-cause', '高峰时段窗口不足');
  await head.fill('#f-measures', '高峰时段增开窗口');
  r = await submit(head, '#submit-rectification');
  await check(problems, head, r, 'rectification submitted', { path: rectPath, has: ['#flash', '#rect-state[data-state="awaiting_verification"]'] });
  r = await go(supervisor, rectPath);
  await check(problems, supervisor, r, 'rectification to verify', { path: rectPath, has: ['#verify', '#send-back-box'] });
  r = await submit(supervisor, '#verify');
  await check(problems, supervisor, r, 'rectification verified', { path: rectPath, has: ['#flash', '#rect-state[data-state="verified"]'] });
  r = await go(applicant, rectPath);
  await check(problems, applicant, r, 'rectification, the verdict to give', { path: rectPath, has: '#verdict-form #verdict-satisfied' });
  await applicant.check('#verdict-fair');
  r = await submit(applicant, '#give-verdict');
  await check(problems, applicant, r, 'verdict given', { path: rectPath, has: ['#flash', '#verdict'] });
  r = await go(supervisor, '/appeals');
  await check(problems, supervisor, r, 'appeals', { path: '/appeals', has: 'h1' });

  // The public page, the staff's ratings, the officers' pages, the centre's rules.
  r = await go(visitor, '/satisfaction');
  await check(problems, visitor, r, 'public ratings', { path: '/satisfaction', has: ['#total', '#by-department', '#by-item', '#bad .outcome'] });
  r = await go(reviewer, '/ratings');
  await check(problems, reviewer, r, 'the department\'s ratings', { path: '/ratings', has: '#ratings tbody tr' });
  const officerReviewer = await as('reviewer');
  r = await go(officerReviewer, '/officer-findings');
  await check(problems, officerReviewer, r, 'officers\' findings', { path: '/officer-findings', has: 'h1' });
  const officer = await as('officer');
  r = await go(officer, `/officer/walkthroughs/new?subject=item&code=${WALK_ITEM}`);
  await check(problems, officer, r, 'new walk-through', { path: '/officer/walkthroughs/new', has: '#walk-form' });
  const admin = await as('admin');
  r = await go(admin, '/admin/profile');
  await check(problems, admin, r, 'centre rules', { path: '/admin/profile', has: '#profile-form' });

  for (const p of [applicant, clerk, reviewer, head, supervisor, visitor, officerReviewer, officer, admin]) {
    await p.context().close();
  }
  t.diagnostic(`${problems.pages.length} pages checked:`);
  for (const label of problems.pages) t.diagnostic(`  ${label}`);
  assert.deepEqual([...problems], [],
    `${problems.length} accessibility or overflow problems:\n${problems.join('\n')}`);
});
