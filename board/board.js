// The freshness board: plain DOM, no framework, no build. It polls the same-origin JSON endpoints
// (`/freshness`, `/pipelines`, `/board/alerts`) and patches the page in place.
//
// Safety rule: every text that comes from an event (collection ids, source types, errors, subjects) goes
// into the page through `textContent` or an attribute value, never through HTML parsing. The page's
// Content-Security-Policy also requires Trusted Types for HTML sinks, so an `innerHTML = string` added by
// mistake throws instead of parsing.
'use strict';

(() => {
  /** Polling period. The page promises an update within 5 s of an event; 2 s leaves room for a slow read. */
  const POLL_MS = 2000;
  const STATUSES = ['failed', 'stale', 'syncing', 'fresh', 'unknown', 'retired'];

  const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

  /** Creates an element with a class and text; children are appended as given. */
  function el(tag, className, text, ...children) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    for (const child of children) if (child) node.append(child);
    return node;
  }

  function formatAge(seconds) {
    if (seconds < 60) return `${Math.max(0, Math.round(seconds))} s`;
    if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
    if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
    return `${Math.round(seconds / 86400)} d`;
  }

  /** "3 min ago", measured against the server's clock when the server gave one. */
  function ago(timestamp, nowMs) {
    if (!timestamp) return 'never';
    const ms = Date.parse(timestamp);
    return Number.isNaN(ms) ? String(timestamp) : `${formatAge((nowMs - ms) / 1000)} ago`;
  }

  const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

  /** Local wall-clock time, HH:MM:SS. (Not toLocaleTimeString: its first call loads locale data, ~30 ms.) */
  function clock(ms) {
    const d = new Date(ms);
    return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
  }

  function when(timestamp, nowMs) {
    return timestamp ? `${timestamp} (${ago(timestamp, nowMs)})` : 'never';
  }

  /** Retired sources (from the reconciler) may come as a status or as a flag; both read as retired. */
  function statusOf(source) {
    if (source.status === 'retired' || source.retired === true || typeof source.retired_at === 'string')
      return 'retired';
    return STATUSES.includes(source.status) ? source.status : 'unknown';
  }

  const sourceKey = (collection, source) =>
    `${collection}\u0000${source.source_connection_id ?? `type:${source.source_type}`}`;

  const state = {
    freshness: /** @type {any} */ (null),
    pipelines: /** @type {any} */ (null),
    alerts: /** @type {any} */ (null),
    updatedAt: 0,
    serverNow: Date.now(),
    failing: '',
    filter: '',
    problemsOnly: false,
    showRetired: false,
    /** The source shown in the details dialog. */
    openKey: /** @type {string | null} */ (null),
    /** The tile that takes Tab focus (roving tabindex), kept across re-renders. */
    focusKey: /** @type {string | null} */ (null),
    updates: 0,
  };

  /** key -> { tile, parts, source, collection } of the rendered grid. */
  const tiles = new Map();
  let layout = '';

  // ---- data ---------------------------------------------------------------------------------------

  async function getJson(path) {
    const response = await fetch(path, { cache: 'no-store', headers: { accept: 'application/json' } });
    if (!response.ok) {
      let message = `${response.status}`;
      try {
        const body = await response.json();
        if (body && typeof body.error === 'string') message += ` ${body.error}`;
      } catch {
        // Not JSON: the status says enough.
      }
      throw new Error(`${path}: ${message}`);
    }
    return response.json();
  }

  let timer = 0;
  let inFlight = false;

  async function refresh() {
    if (inFlight) return;
    inFlight = true;
    window.clearTimeout(timer);
    try {
      const [freshness, pipelines, alerts] = await Promise.all([
        getJson(state.showRetired ? '/freshness?all=true' : '/freshness'),
        getJson('/pipelines'),
        getJson('/board/alerts'),
      ]);
      state.freshness = freshness;
      state.pipelines = pipelines;
      state.alerts = alerts;
      state.updatedAt = Date.now();
      state.serverNow = Date.parse(alerts.now) || Date.now();
      state.failing = '';
      render();
    } catch (error) {
      state.failing = error instanceof Error ? error.message : String(error);
      renderStatusLine();
    } finally {
      inFlight = false;
      // A hidden tab stops polling (each poll reads the table); it refreshes as soon as it is shown again.
      if (document.visibilityState !== 'hidden') timer = window.setTimeout(refresh, POLL_MS);
    }
  }

  // ---- rendering ----------------------------------------------------------------------------------

  function render() {
    const started = performance.now();
    renderGrid();
    performance.measure('board:grid', { start: started, end: performance.now() });
    renderPipelines();
    renderAlerts();
    renderStatusLine();
    if (state.openKey !== null) renderDetails(state.openKey);
    state.updates += 1;
    document.body.dataset.updates = String(state.updates);
    // The benchmark and the browser test read this measure: the time one full update takes in the page.
    performance.measure('board:render', { start: started, end: performance.now() });
  }

  function renderStatusLine() {
    const target = state.alerts && typeof state.alerts.target === 'string' ? state.alerts.target : '';
    $('target').textContent = target ? `· ${target}` : '';
    const stamp = state.updatedAt
      ? `updated ${clock(state.updatedAt)} · every ${POLL_MS / 1000} s`
      : 'loading…';
    $('updated').textContent = stamp;
    $('live').classList.toggle('down', state.failing !== '');
    const problem = $('problem');
    problem.hidden = state.failing === '';
    problem.textContent = state.failing
      ? `Cannot refresh (${state.failing}); showing the data from ${
          state.updatedAt ? clock(state.updatedAt) : 'nowhere yet'
        }. Retrying.`
      : '';
  }

  function visibleSources() {
    const collections = (state.freshness && state.freshness.collections) || [];
    const needle = state.filter.trim().toLowerCase();
    const rows = [];
    for (const collection of collections) {
      const id = String(collection.collection_readable_id);
      const sources = (collection.sources || []).filter((source) => {
        const status = statusOf(source);
        if (status === 'retired' && !state.showRetired) return false;
        if (state.problemsOnly && status !== 'failed' && status !== 'stale') return false;
        if (!needle) return true;
        return [id, collection.collection_name, source.source_type, source.source_connection_id]
          .filter(Boolean)
          .some((text) => String(text).toLowerCase().includes(needle));
      });
      if (sources.length > 0) rows.push({ id, name: String(collection.collection_name || ''), sources });
    }
    return rows;
  }

  function renderCounts(rows) {
    const counts = new Map(STATUSES.map((s) => [s, 0]));
    for (const row of rows)
      for (const s of row.sources) counts.set(statusOf(s), (counts.get(statusOf(s)) ?? 0) + 1);
    const list = $('counts');
    list.replaceChildren(
      ...STATUSES.filter((s) => (counts.get(s) ?? 0) > 0 || s !== 'retired').map((s) =>
        el('li', `badge ${s}`, `${counts.get(s)} ${s}`),
      ),
    );
  }

  /**
   * The grid is rebuilt only when its shape changes (a collection, source type or connection appears or
   * goes); otherwise each tile's few text nodes and class are patched, which keeps a 500-source update
   * to a few milliseconds and keeps keyboard focus where it was.
   */
  function renderGrid() {
    const rows = visibleSources();
    renderCounts(rows);
    const types = [...new Set(rows.flatMap((r) => r.sources.map((s) => String(s.source_type))))].sort();
    const shape = JSON.stringify([types, rows.map((r) => [r.id, r.sources.map((s) => sourceKey(r.id, s))])]);
    if (shape !== layout) buildGrid(rows, types);
    layout = shape;
    for (const row of rows)
      for (const source of row.sources) {
        const entry = tiles.get(sourceKey(row.id, source));
        if (entry) paintTile(entry, row.id, source);
      }
  }

  function buildGrid(rows, types) {
    const grid = $('grid');
    const hadFocus = grid.contains(document.activeElement);
    tiles.clear();
    if (rows.length === 0) {
      const empty = state.freshness && state.freshness.collections && state.freshness.collections.length;
      grid.replaceChildren(
        el('p', 'hint', empty ? 'No source matches the filter.' : 'No events recorded yet.'),
      );
      return;
    }
    const table = el('table', 'grid');
    table.setAttribute('aria-label', 'Sources by collection and source type');
    const headRow = el('tr', '', undefined, el('th', '', 'collection'));
    for (const type of types) {
      const th = el('th', '', type || '(no type)');
      th.scope = 'col';
      headRow.append(th);
    }
    table.append(el('thead', '', undefined, headRow));
    const body = el('tbody');
    rows.forEach((row, r) => {
      const th = el('th', '', row.id);
      th.scope = 'row';
      if (row.name && row.name !== row.id) th.title = row.name;
      const tr = el('tr', '', undefined, th);
      types.forEach((type, c) => {
        const sources = row.sources.filter((s) => String(s.source_type) === type);
        const td = el('td', sources.length ? '' : 'empty');
        sources.forEach((source, i) => {
          const key = sourceKey(row.id, source);
          const tile = el('button', 'tile');
          tile.type = 'button';
          tile.tabIndex = -1;
          tile.dataset.row = String(r);
          tile.dataset.col = String(c);
          tile.dataset.stack = String(i);
          tile.dataset.key = key;
          tile.dataset.collection = row.id;
          tile.dataset.source = type;
          const parts = {
            status: el('span'),
            sla: el('span', 't-sla'),
            success: el('span', 't-success'),
            extra: el('span', 't-extra'),
          };
          tile.append(el('span', 't-head', undefined, parts.status, parts.sla), parts.success, parts.extra);
          td.append(tile);
          tiles.set(key, { tile, parts, source, collection: row.id, status: '' });
        });
        tr.append(td);
      });
      body.append(tr);
    });
    table.append(body);
    grid.replaceChildren(table);
    const first = tiles.keys().next().value ?? null;
    if (state.focusKey === null || !tiles.has(state.focusKey)) state.focusKey = first;
    const focused = state.focusKey !== null ? tiles.get(state.focusKey) : undefined;
    if (focused) {
      focused.tile.tabIndex = 0;
      if (hadFocus) focused.tile.focus();
    }
  }

  const setText = (node, text) => {
    if (node.textContent !== text) node.textContent = text;
  };

  function paintTile(entry, collection, source) {
    entry.source = source;
    const now = state.serverNow;
    const status = statusOf(source);
    // Attribute and class writes invalidate style: only when the status really changed.
    if (entry.status !== status) {
      entry.tile.classList.remove(...STATUSES);
      entry.tile.classList.add(status);
      entry.tile.dataset.status = status;
      entry.status = status;
    }
    setText(entry.parts.status, status);
    setText(
      entry.parts.sla,
      source.max_age_seconds == null ? 'no SLA' : `SLA ${formatAge(source.max_age_seconds)}`,
    );
    setText(
      entry.parts.success,
      source.age_seconds == null ? 'never succeeded' : `ok ${formatAge(source.age_seconds)} ago`,
    );
    let extra = '';
    if (source.running_since) extra = `job running ${ago(source.running_since, now).replace(' ago', '')}`;
    else if (source.last_failure_at && (status === 'failed' || source.consecutive_failures > 0))
      extra = `failed ${ago(source.last_failure_at, now)}: ${source.last_error ?? 'no message'}`;
    else if (source.last_failure_at) extra = `last failure ${ago(source.last_failure_at, now)}`;
    setText(entry.parts.extra, extra || '\u00a0');
    const label = [
      `${collection} / ${source.source_type || '(no type)'}`,
      status,
      source.age_seconds == null ? 'never succeeded' : `last success ${formatAge(source.age_seconds)} ago`,
      extra,
    ]
      .filter(Boolean)
      .join(', ');
    if (entry.tile.getAttribute('aria-label') !== label) {
      entry.tile.setAttribute('aria-label', label);
      entry.tile.title = label;
    }
  }

  function renderPipelines() {
    const list = (state.pipelines && state.pipelines.pipelines) || [];
    const root = $('pipelines');
    if (list.length === 0) {
      root.replaceChildren(el('p', 'hint', 'No pipelines in the config.'));
      return;
    }
    const statusByType = new Map();
    for (const collection of (state.freshness && state.freshness.collections) || [])
      for (const source of collection.sources || []) {
        const status = statusOf(source);
        statusByType.set(`${collection.collection_readable_id}\u0000${source.source_type}`, status);
        if (source.source_connection_id)
          statusByType.set(
            `${collection.collection_readable_id}\u0000${source.source_connection_id}`,
            status,
          );
      }
    root.replaceChildren(
      ...list.map((p) => {
        const gate = p.gate || {};
        const gateClass =
          gate.state === 'blocked' ? 'failed' : gate.state === 'running' ? 'syncing' : 'unknown';
        const requires = el(
          'ul',
          'requires',
          undefined,
          ...(p.requires || []).map((r) => {
            const s = statusByType.get(`${p.collection}\u0000${r}`) ?? 'unknown';
            return el('li', `badge ${s}`, `${r}: ${s}`);
          }),
        );
        const section = el(
          'section',
          'pipeline',
          undefined,
          el(
            'h3',
            '',
            undefined,
            el('span', '', p.name),
            el('span', `badge ${gateClass}`, `gate ${gate.state ?? 'unknown'}`),
          ),
          el(
            'p',
            'muted',
            `${p.collection} · all within ${p.window} · ${plural(gate.runs_claimed ?? 0, 'run')}`,
          ),
          requires,
        );
        section.dataset.pipeline = String(p.name);
        if (gate.blocked_by) section.append(el('p', '', `blocked by failed job ${gate.blocked_by}`));
        const runs = p.runs || [];
        if (runs.length === 0) section.append(el('p', 'muted', 'no runs yet'));
        else {
          const head = el(
            'tr',
            '',
            undefined,
            el('th', '', 'status'),
            el('th', '', 'started'),
            el('th', '', 'took'),
          );
          const table = el('table', 'runs', undefined, el('thead', '', undefined, head));
          const body = el('tbody');
          for (const run of runs.slice(0, 5)) {
            const cls = run.status === 'succeeded' ? 'fresh' : run.status === 'failed' ? 'failed' : 'syncing';
            const took =
              run.started_at && run.finished_at
                ? formatAge((Date.parse(run.finished_at) - Date.parse(run.started_at)) / 1000)
                : run.status === 'running'
                  ? 'running'
                  : '';
            const started = el('td', '', ago(run.started_at, state.serverNow));
            started.title = `${run.execution_name} started ${run.started_at ?? '?'}`;
            body.append(
              el(
                'tr',
                '',
                undefined,
                el('td', '', undefined, el('span', `badge ${cls}`, run.status)),
                started,
                el('td', '', took),
              ),
            );
          }
          table.append(body);
          section.append(table);
        }
        return section;
      }),
    );
  }

  const ALERT_CLASS = {
    'sync.failed': 'failed',
    'pipeline.failed': 'failed',
    'pipeline.blocked': 'failed',
    'job.stuck': 'stale',
    'source.stale': 'stale',
    'source.recovered': 'fresh',
  };

  function renderAlerts() {
    const feed = state.alerts || {};
    setText($('alerts-origin'), feed.origin ? String(feed.origin) : '');
    const alerts = feed.alerts || [];
    const root = $('alerts');
    if (alerts.length === 0) {
      root.replaceChildren(el('li', 'muted', 'No alerts.'));
      return;
    }
    root.replaceChildren(
      ...alerts.slice(0, 30).map((a) => {
        const teams = Array.isArray(a.teams) && a.teams.length ? `to ${a.teams.join(', ')}` : '';
        const time = el('time', '', ago(a.at, state.serverNow));
        if (a.at) time.setAttribute('datetime', String(a.at));
        const meta = el(
          'span',
          'meta',
          undefined,
          el('span', `badge ${ALERT_CLASS[a.kind] ?? 'unknown'}`, a.kind),
          time,
          teams ? el('span', '', teams) : null,
          a.state ? el('span', '', String(a.state)) : null,
        );
        return el('li', '', undefined, meta, el('div', 'subject', a.subject));
      }),
    );
  }

  // ---- details dialog -----------------------------------------------------------------------------

  const FIELDS = [
    ['status', (s) => statusOf(s)],
    ['source type', (s) => s.source_type || '(none)'],
    ['connection', (s) => s.source_connection_id ?? '(legacy payload: keyed by type)'],
    ['last success', (s, now) => when(s.last_success_at, now)],
    ['last success via', (s) => s.last_success_origin],
    ['SLA', (s) => (s.max_age_seconds == null ? 'none' : formatAge(s.max_age_seconds))],
    ['last failure', (s, now) => when(s.last_failure_at, now)],
    ['last error', (s) => s.last_error ?? '—'],
    ['failures since success', (s) => String(s.consecutive_failures ?? 0)],
    ['latest job', (s) => s.last_job_id ?? '—'],
    ['running since', (s, now) => (s.running_since ? when(s.running_since, now) : 'no active job')],
    [
      'verified by reconciler',
      (s, now) => (s.verified_at === undefined ? undefined : when(s.verified_at, now)),
    ],
    ['retired', (s) => (s.retired_at ? String(s.retired_at) : s.retired === true ? 'yes' : undefined)],
  ];

  function renderDetails(key) {
    const entry = tiles.get(key);
    if (!entry) return;
    const source = entry.source;
    setText($('details-title'), `${entry.collection} / ${source.source_type || '(no type)'}`);
    const items = [];
    for (const [label, read] of FIELDS) {
      const value = read(source, state.serverNow);
      if (value === undefined || value === null) continue;
      items.push(el('dt', '', label), el('dd', label === 'status' ? `badge ${statusOf(source)}` : '', value));
    }
    $('details-list').replaceChildren(...items);
  }

  function openDetails(key) {
    const dialog = /** @type {HTMLDialogElement} */ ($('details'));
    state.openKey = key;
    renderDetails(key);
    if (!dialog.open) dialog.showModal();
  }

  // ---- keyboard -----------------------------------------------------------------------------------

  /**
   * Arrow keys walk the grid: left and right to the neighbouring source in the row, up and down through a
   * cell's stacked connections and then to the nearest source of the next row that has one.
   */
  function moveFocus(from, key) {
    const pos = (t) => ({
      row: Number(t.dataset.row),
      col: Number(t.dataset.col),
      stack: Number(t.dataset.stack),
    });
    const here = pos(from);
    // Reading order: row, column, stacked connection.
    const all = [...tiles.values()].map((e) => e.tile);
    const index = all.indexOf(from);
    const inRow = (row) => all.filter((t) => pos(t).row === row);
    const nearestIn = (row) =>
      inRow(row).reduce(
        (best, t) =>
          best === undefined || Math.abs(pos(t).col - here.col) < Math.abs(pos(best).col - here.col)
            ? t
            : best,
        /** @type {HTMLElement | undefined} */ (undefined),
      );
    const rowBeyond = (step) => {
      for (let i = index + step; i >= 0 && i < all.length; i += step) {
        const t = /** @type {HTMLElement} */ (all[i]);
        if (pos(t).row !== here.row) return nearestIn(pos(t).row);
      }
      return undefined;
    };
    const sameCell = (t) => t !== undefined && pos(t).row === here.row && pos(t).col === here.col;
    let next;
    switch (key) {
      case 'ArrowRight':
        next = inRow(here.row).find((t) => pos(t).col > here.col);
        break;
      case 'ArrowLeft':
        next = inRow(here.row)
          .filter((t) => pos(t).col < here.col)
          .find((t, _i, list) => pos(t).col === pos(/** @type {HTMLElement} */ (list[list.length - 1])).col);
        break;
      case 'ArrowDown':
        next = sameCell(all[index + 1]) ? all[index + 1] : rowBeyond(1);
        break;
      case 'ArrowUp':
        next = sameCell(all[index - 1]) ? all[index - 1] : rowBeyond(-1);
        break;
      case 'Home':
        next = inRow(here.row)[0];
        break;
      case 'End':
        next = inRow(here.row).at(-1);
        break;
      default:
        return false;
    }
    if (next) focusTile(next);
    return true;
  }

  function focusTile(tile) {
    for (const entry of tiles.values()) entry.tile.tabIndex = -1;
    tile.tabIndex = 0;
    state.focusKey = tile.dataset.key ?? null;
    tile.focus();
  }

  function wire() {
    const grid = $('grid');
    grid.addEventListener('click', (event) => {
      const tile = /** @type {HTMLElement} */ (event.target).closest('.tile');
      if (!(tile instanceof HTMLElement) || !tile.dataset.key) return;
      focusTile(tile);
      openDetails(tile.dataset.key);
    });
    grid.addEventListener('keydown', (event) => {
      const tile = /** @type {HTMLElement} */ (event.target).closest('.tile');
      if (!(tile instanceof HTMLElement)) return;
      if (moveFocus(tile, event.key)) event.preventDefault();
    });
    const dialog = /** @type {HTMLDialogElement} */ ($('details'));
    $('details-close').addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => {
      state.openKey = null;
      const entry = state.focusKey !== null ? tiles.get(state.focusKey) : undefined;
      if (entry) entry.tile.focus();
    });
    const filter = /** @type {HTMLInputElement} */ ($('filter'));
    filter.addEventListener('input', () => {
      state.filter = filter.value;
      if (state.freshness) render();
    });
    const problems = /** @type {HTMLInputElement} */ ($('problems'));
    problems.addEventListener('change', () => {
      state.problemsOnly = problems.checked;
      if (state.freshness) render();
    });
    const retired = /** @type {HTMLInputElement} */ ($('retired'));
    retired.addEventListener('change', () => {
      state.showRetired = retired.checked;
      void refresh();
    });
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') void refresh();
    });
  }

  wire();
  void refresh();
})();
