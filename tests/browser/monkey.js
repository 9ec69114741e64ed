/*
 * A random enumerator for tests: fills every visible field of the current page the way a person
 * would (typing, tapping tiles, adding roster rows, pressing a missing-code button when nothing
 * else is accepted), moves on with Next, and returns {answers, done, log} at the last page or
 * when Next stays blocked. Evaluated by Playwright as a function of a seed.
 */
async (seed) => {
  const app = document.getElementById('gesurvey-form').gesurveyForm;
  let s = seed || 1;
  const rand = () => { s = (s * 16807) % 2147483647; return s / 2147483647; };
  const visible = (el) => el.offsetParent !== null;
  const stateOf = (f) => app.analysis.states.get(f.dataset.path);
  const bad = (f) => { const st = stateOf(f); return Boolean(app.formatErrors.has(f.dataset.path) || (st && st.error)); };
  const setText = (input, v) => { input.value = v; input.dispatchEvent(new Event('input', {bubbles: true})); };
  const log = [];
  const fillField = (f) => {
    const st = stateOf(f);
    if (!st || !st.relevant) return;
    const answered = st.value !== null && st.value !== undefined;
    if (answered && !bad(f)) return;
    const type = [...f.classList].find(c => c.startsWith('gs-type-')).slice(8);
    if (type === 'note' || type === 'calculate') return;
    const input = f.querySelector(':scope > input.gs-input');
    if (type === 'text') setText(input, 'Văn bản ' + Math.floor(rand() * 100));
    else if (type === 'integer' || type === 'decimal') {
      const tries = [1, 2, 3, 0, 4, 5, 8, 10, 12, 15, 18, 20, 25, 30, 35, 40, 45, 50, 60, 70, 100, 2026, 2020];
      const start = Math.floor(rand() * 6);
      for (const v of tries.slice(start).concat(tries.slice(0, start))) {
        setText(input, String(v));
        if (!bad(f)) break;
      }
    } else if (type === 'date') {
      for (const v of ['2026-11-01', '2025-06-15', '2000-01-01', '1980-05-05']) { setText(input, v); if (!bad(f)) break; }
    } else if (type === 'grid') {
      for (const row of f.querySelectorAll('.gs-grid-row')) {
        const tiles = [...row.querySelectorAll('.gs-choice:not(.gs-choice-missing)')].filter(visible);
        if (tiles.length) tiles[Math.floor(rand() * tiles.length)].querySelector('input').click();
      }
    } else {
      const tiles = [...f.querySelectorAll('.gs-choice')].filter(visible);
      const order = rand() < 0.7 ? tiles : tiles.map((t, i) => [rand(), t]).sort((a, b) => a[0] - b[0]).map(x => x[1]);
      for (const t of order) {
        const inp = t.querySelector('input');
        if (!inp.checked) inp.click();
        if (!bad(f)) break;
        if (type === 'multi' && inp.checked) inp.click();
      }
    }
    if (bad(f) || stateOf(f).value === null) {
      const miss = f.querySelector('.gs-missing-btn');
      if (miss && miss.getAttribute('aria-pressed') !== 'true') miss.click();
    }
    if (bad(f)) log.push('stuck on ' + f.dataset.path + ': ' + (f.querySelector('.gs-message') || {}).textContent);
  };
  for (let step = 0; step < 100; step++) {
    for (let round = 0; round < 6; round++) {
      for (const g of [...document.querySelectorAll('.gs-repeat')].filter(visible)) {
        const add = g.querySelector(':scope > .gs-add-row');
        const rows = g.querySelectorAll(':scope > .gs-rows > .gs-row').length;
        if (add && visible(add) && rows < 1 + Math.floor(rand() * 2)) add.click();
      }
      for (const f of [...document.querySelectorAll('.gs-field')].filter(visible)) fillField(f);
    }
    if (app.isLastPage()) return {answers: app.body().answers, log, page: app.page, done: true};
    const before = app.page;
    app.next();
    if (app.page === before) return {answers: app.body().answers, log, page: app.page, done: false,
      errors: app.pageErrors(app.page)};
  }
  return {answers: app.body().answers, log, done: false};
}
