// The supervision console: sign-in, the live feed with follow-up, KPI trends, rankings and
// the public report queue. No framework: a few DOM helpers, state in one object, and a full
// re-render when the language changes (texts come from i18n.js, data from the API).
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import { ApiError, SIGNED_OUT, call, followUp, login, logout, openStream, tokens } from "./api.js";
import { LANGUAGES, label, lang, setLang, t } from "./i18n.js";

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Legend,
  Tooltip,
);

const EVENT_TYPES = [
  "application_overdue",
  "sla_warning",
  "extra_visit",
  "bad_rating",
  "complaint_overdue",
  "repeat_complaint",
  "complaint_reopened",
  "public_report",
  "rectification_overdue",
  "deferred_material_overdue",
  "false_commitment",
];
const STATES = ["open", "acknowledged", "closed"];
const RATE_KPIS = [
  "on_time_rate",
  "one_visit_rate",
  "online_rate",
  "satisfaction_rate",
  "complaint_on_time_rate",
  "repeat_rate",
  "mediation_success_rate",
  "instant_approval_rate",
  "rectification_rate",
];
const COLOURS = ["#1f77b4", "#2ca02c", "#17becf", "#ff7f0e", "#9467bd", "#d62728", "#8c564b", "#e377c2", "#7f7f7f"];
const SORTABLE = ["applications_received", ...RATE_KPIS, "avg_complaint_hours"];

const state = {
  me: null,
  tab: "feed",
  filters: { type: "", department: "", state: "" },
  events: new Map(), // id -> event, the feed as shown (merged with live events by id)
  order: [], // ids, newest first
  cursor: null,
  live: "offline",
  stopStream: null,
  reports: { state: "open", items: [] },
  charts: { region: "", department: "", interval: "daily", series: null, departments: [] },
  rankings: { sort: "-on_time_rate", rows: [], extra: null },
  error: "",
};
const charts = [];

// --- DOM helpers -------------------------------------------------------------------------
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function select(id, value, options, onchange) {
  return h(
    "select",
    { id, onchange: (e) => onchange(e.target.value) },
    options.map(([v, text]) => h("option", { value: v, selected: v === value }, text)),
  );
}

function field(text, control) {
  return h("label", { class: "field" }, h("span", {}, text), control);
}

function showError(error) {
  state.error = error instanceof ApiError || error instanceof Error ? error.message : String(error);
  const box = document.getElementById("error");
  if (box) {
    box.textContent = state.error;
    box.hidden = !state.error;
  }
}

function localName(name) {
  if (name && typeof name === "object") return name[lang()] || name["zh-CN"] || "";
  return name ?? "";
}

function when(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString(lang(), { hour12: false });
}

function percent(value) {
  return value === null || value === undefined ? "–" : `${(value * 100).toFixed(1)}%`;
}

// --- Layout ------------------------------------------------------------------------------
function render() {
  for (const chart of charts.splice(0)) chart.destroy();
  document.title = `OneVisit · ${t("title")}`;
  const root = document.getElementById("app");
  root.replaceChildren(
    h(
      "header",
      { class: "top" },
      h("h1", {}, t("title")),
      h(
        "div",
        { class: "top-actions" },
        h(
          "button",
          { id: "lang-toggle", type: "button", class: "link", onclick: switchLanguage },
          t("switchTo"),
        ),
        state.me &&
          h("button", { id: "sign-out", type: "button", class: "link", onclick: signOut }, t("signOut")),
      ),
    ),
    h("div", { id: "error", class: "error", role: "alert", hidden: !state.error }, state.error),
    state.me ? renderMain() : renderLogin(),
  );
}

function switchLanguage() {
  setLang(LANGUAGES[(LANGUAGES.indexOf(lang()) + 1) % LANGUAGES.length]);
  state.error = "";
  render();
  if (!state.me) return;
  if (state.tab === "rankings") loadRankings();
  // Department names come from the API in the language asked for.
  loadDepartments(state.charts.region)
    .then(() => state.tab === "feed" && render())
    .catch(showError);
}

function renderLogin() {
  const submit = async (e) => {
    e.preventDefault();
    const form = e.target;
    showError("");
    try {
      await login(form.phone.value.trim(), form.password.value);
      await start();
    } catch (error) {
      showError(error);
    }
  };
  return h(
    "form",
    { id: "login", class: "card login", onsubmit: submit },
    h("h2", {}, t("signInTitle")),
    field(t("phone"), h("input", { name: "phone", type: "tel", autocomplete: "username", required: true, maxlength: 20 })),
    field(
      t("password"),
      h("input", { name: "password", type: "password", autocomplete: "current-password", required: true, maxlength: 128 }),
    ),
    h("button", { type: "submit", id: "sign-in" }, t("signIn")),
  );
}

const TABS = [
  ["feed", "tabFeed"],
  ["charts", "tabCharts"],
  ["rankings", "tabRankings"],
  ["reports", "tabReports"],
];

function renderMain() {
  const nav = h(
    "nav",
    { class: "tabs" },
    TABS.map(([id, key]) =>
      h(
        "button",
        {
          type: "button",
          id: `tab-${id}`,
          class: state.tab === id ? "active" : "",
          onclick: () => openTab(id),
        },
        t(key),
      ),
    ),
  );
  const body = { feed: renderFeed, charts: renderCharts, rankings: renderRankings, reports: renderReports }[
    state.tab
  ]();
  return h("main", {}, nav, body);
}

function openTab(id) {
  state.tab = id;
  render();
  if (id === "charts" && !state.charts.series) loadCharts();
  if (id === "rankings") loadRankings();
  if (id === "reports") loadReports();
}

// --- Feed --------------------------------------------------------------------------------
function matches(event) {
  const f = state.filters;
  return (
    (!f.type || event.type === f.type) &&
    (!f.department || event.department === f.department) &&
    (!f.state || event.state === f.state)
  );
}

function feedQuery(extra = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...state.filters, ...extra })) {
    if (value) params.set(key, value);
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

async function loadFeed(more = false) {
  try {
    const page = await call(
      "GET",
      `/supervision/feed${feedQuery({ limit: 50, cursor: more ? state.cursor : "" })}`,
    );
    if (!more) {
      state.events.clear();
      state.order = [];
    }
    for (const event of page.items) remember(event, false);
    state.cursor = page.next_cursor;
    if (state.tab === "feed") renderFeedList();
  } catch (error) {
    showError(error);
  }
}

function remember(event, newest) {
  const known = state.events.has(event.id);
  state.events.set(event.id, event);
  if (!known) {
    if (newest) state.order.unshift(event.id);
    else state.order.push(event.id);
  }
}

function restartStream() {
  if (state.stopStream) state.stopStream();
  // The stream filters by type and department; the state filter applies to what arrives.
  const query = feedQuery({ state: "" });
  state.stopStream = openStream(query, {
    onEvent: (event) => {
      if (!matches(event)) return;
      remember(event, true);
      if (state.tab === "feed") renderFeedList(event.id);
    },
    onSignedOut: () => signOut(),
    onStatus: (status) => {
      state.live = status;
      const badge = document.getElementById("live-status");
      if (badge) {
        badge.textContent = t(status);
        badge.dataset.status = status;
      }
    },
  });
}

function setFilter(key, value) {
  state.filters[key] = value;
  loadFeed();
  if (key !== "state") restartStream();
}

function renderFeed() {
  const f = state.filters;
  queueMicrotask(() => renderFeedList());
  return h(
    "section",
    { id: "feed" },
    h(
      "div",
      { class: "filters" },
      field(
        t("type"),
        select("filter-type", f.type, [["", t("all")], ...EVENT_TYPES.map((x) => [x, label("types", x)])], (v) =>
          setFilter("type", v),
        ),
      ),
      field(
        t("department"),
        select(
          "filter-department",
          f.department,
          [["", t("all")], ...state.charts.departments.map((d) => [d.code, localName(d.name) || d.code])],
          (v) => setFilter("department", v),
        ),
      ),
      field(
        t("state"),
        select("filter-state", f.state, [["", t("all")], ...STATES.map((x) => [x, label("states", x)])], (v) =>
          setFilter("state", v),
        ),
      ),
      h("span", { id: "live-status", class: "live", "data-status": state.live }, t(state.live)),
    ),
    h("div", { id: "events", class: "events" }),
    h("button", { id: "more", type: "button", class: "link", hidden: true, onclick: () => loadFeed(true) }, t("loadMore")),
  );
}

function renderFeedList(freshId) {
  const list = document.getElementById("events");
  if (!list) return;
  const shown = state.order.map((id) => state.events.get(id)).filter(matches);
  list.replaceChildren(
    ...(shown.length ? shown.map((event) => eventCard(event, event.id === freshId)) : [h("p", { class: "muted" }, t("empty"))]),
  );
  const more = document.getElementById("more");
  if (more) more.hidden = !state.cursor;
}

function eventCard(event, fresh = false) {
  const act = (action, body) => async (e) => {
    e.preventDefault();
    const buttons = e.target.closest(".event").querySelectorAll("button");
    buttons.forEach((b) => (b.disabled = true));
    try {
      const updated = await followUp(event, action, body && body());
      state.events.set(updated.id, updated);
      state.reports.items = state.reports.items.map((x) => (x.id === updated.id ? updated : x));
      e.target.closest(".event").replaceWith(eventCard(updated));
      showError("");
    } catch (error) {
      showError(error);
      buttons.forEach((b) => (b.disabled = false));
      // Someone else acted first (412 stale version, 409 already moved on): show it as it is now.
      if (error instanceof ApiError && (error.status === 412 || error.status === 409)) {
        const current = await call("GET", `/supervision/events/${event.id}`).catch(() => null);
        if (current) {
          state.events.set(current.id, current);
          e.target.closest(".event")?.replaceWith(eventCard(current));
        }
      }
    }
  };
  const card = h(
    "article",
    {
      class: `card event severity-${event.severity}${fresh ? " fresh" : ""}`,
      "data-id": event.id,
      "data-state": event.state,
    },
    h(
      "div",
      { class: "event-head" },
      h("strong", { class: "event-type" }, label("types", event.type)),
      h("span", { class: `badge state-${event.state}` }, label("states", event.state)),
      h("span", { class: "badge" }, label("severities", event.severity)),
    ),
    h("p", { class: "summary" }, event.summary),
    event.description && h("p", { class: "description" }, event.description),
    h(
      "p",
      { class: "muted meta" },
      [event.department, event.region, event.subject?.tracking_no, when(event.created_at)].filter(Boolean).join(" · "),
    ),
    event.notes?.length
      ? h(
          "ul",
          { class: "notes" },
          event.notes.map((n) => h("li", {}, `${when(n.at)} ${n.author?.name ?? ""}: ${n.note}`)),
        )
      : null,
    event.finding && h("p", { class: "finding" }, `${t("finding")}: ${event.finding}`),
  );
  if (event.state === "open") {
    card.append(h("button", { type: "button", class: "ack", onclick: act("ack") }, t("ack")));
  }
  if (event.state !== "closed") {
    const note = h("textarea", { class: "note-text", maxlength: 2000, rows: 2, placeholder: t("note") });
    card.append(
      h(
        "form",
        { class: "inline", onsubmit: act("notes", () => ({ note: note.value.trim() })) },
        note,
        h("button", { type: "submit", class: "note" }, t("addNote")),
      ),
    );
  }
  if (event.state === "acknowledged") {
    const finding = h("textarea", { class: "finding-text", maxlength: 4000, rows: 2, placeholder: t("finding") });
    card.append(
      h(
        "form",
        { class: "inline", onsubmit: act("close", () => ({ finding: finding.value.trim() })) },
        finding,
        h("button", { type: "submit", class: "close" }, t("close")),
      ),
    );
  }
  return card;
}

// --- KPI trends --------------------------------------------------------------------------
function chinaToday() {
  // China-local day (UTC+8, no daylight saving), as the KPI counters count days.
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

function addDays(day, n) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

function periods(interval) {
  const today = chinaToday();
  const count = interval === "weekly" ? 12 : 14;
  const width = interval === "weekly" ? 7 : 1;
  const out = [];
  for (let i = count - 1; i >= 0; i--) {
    const to = addDays(today, -i * width);
    out.push({ from: addDays(to, -(width - 1)), to });
  }
  return out;
}

async function pool(items, size, fn) {
  const results = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i]);
      }
    }),
  );
  return results;
}

// The departments of a region (for the department filters), from the KPI listing.
async function loadDepartments(region) {
  const rows = await call("GET", `/stats/departments?region=${encodeURIComponent(region)}`);
  state.charts.departments = rows.items.map((r) => ({ code: r.department, name: r.name }));
}

async function loadCharts() {
  const c = state.charts;
  c.region ||= state.me.region || "";
  try {
    if (!c.departments.length) await loadDepartments(c.region);
    // One /stats/overview per period (4 at a time): each is the sum of that period's daily
    // counters, so a week's rate is the week's, not a mean of daily rates.
    const list = periods(c.interval);
    const points = await pool(list, 4, (p) => {
      const q = new URLSearchParams({ region: c.region, from: p.from, to: p.to });
      if (c.department) q.set("department", c.department);
      return call("GET", `/stats/overview?${q}`);
    });
    c.series = { periods: list, points };
    if (state.tab === "charts") render();
  } catch (error) {
    showError(error);
  }
}

function renderCharts() {
  const c = state.charts;
  const reload = (key) => (value) => {
    c[key] = value;
    if (key === "region") c.departments = [];
    c.series = null;
    render();
    loadCharts();
  };
  const section = h(
    "section",
    { id: "charts" },
    h(
      "div",
      { class: "filters" },
      field(
        t("region"),
        h("input", {
          id: "chart-region",
          value: c.region || state.me.region || "",
          maxlength: 6,
          pattern: "[0-9]{6}",
          onchange: (e) => reload("region")(e.target.value.trim()),
        }),
      ),
      field(
        t("department"),
        select(
          "chart-department",
          c.department,
          [["", t("wholeRegion")], ...c.departments.map((d) => [d.code, localName(d.name) || d.code])],
          reload("department"),
        ),
      ),
      field(
        t("interval"),
        select("chart-interval", c.interval, [["daily", t("daily")], ["weekly", t("weekly")]], reload("interval")),
      ),
    ),
    h("h3", {}, t("ratesChart")),
    h("div", { class: "chart-box" }, h("canvas", { id: "chart-rates", "aria-label": t("ratesChart") })),
    h("h3", {}, t("hoursChart")),
    h("div", { class: "chart-box" }, h("canvas", { id: "chart-hours", "aria-label": t("hoursChart") })),
  );
  if (!c.series) {
    section.append(h("p", { class: "muted" }, t("loading")));
    return section;
  }
  queueMicrotask(() => drawCharts(c.series));
  return section;
}

function drawCharts(series) {
  const labels = series.periods.map((p) => (p.from === p.to ? p.to.slice(5) : `${p.from.slice(5)}–${p.to.slice(5)}`));
  const rates = document.getElementById("chart-rates");
  const hours = document.getElementById("chart-hours");
  if (!rates || !hours) return;
  const done = (canvas) => () => (canvas.dataset.rendered = lang());
  charts.push(
    new Chart(rates, {
      type: "line",
      data: {
        labels,
        datasets: RATE_KPIS.map((kpi, i) => ({
          label: label("kpis", kpi),
          data: series.points.map((p) => (p[kpi] === null ? null : Math.round(p[kpi] * 1000) / 10)),
          borderColor: COLOURS[i],
          backgroundColor: COLOURS[i],
          spanGaps: true,
        })),
      },
      options: {
        maintainAspectRatio: false,
        animation: { duration: 200, onComplete: done(rates) },
        scales: { y: { min: 0, max: 100 } },
      },
    }),
    new Chart(hours, {
      type: "bar",
      data: {
        labels,
        datasets: [
          {
            label: label("kpis", "avg_complaint_hours"),
            data: series.points.map((p) => p.avg_complaint_hours),
            backgroundColor: "#ff7f0e",
          },
        ],
      },
      options: {
        maintainAspectRatio: false,
        animation: { duration: 200, onComplete: done(hours) },
        scales: { y: { beginAtZero: true } },
      },
    }),
  );
}

// --- Rankings ----------------------------------------------------------------------------
async function loadRankings() {
  const r = state.rankings;
  const region = state.charts.region || state.me.region || "";
  try {
    const q = new URLSearchParams({ region, sort: r.sort });
    r.rows = (await call("GET", `/stats/departments?${q}`)).items;
    // The good-or-bad ranking (satisfaction, then bad ratings rectified, then on time).
    r.extra = await call("GET", `/stats/rankings?${new URLSearchParams({ region })}`).catch(() => null);
    if (state.tab === "rankings") render();
  } catch (error) {
    showError(error);
  }
}

function cell(value) {
  if (typeof value === "number" && value <= 1 && value >= 0 && !Number.isInteger(value)) return percent(value);
  if (value && typeof value === "object") return localName(value);
  return value ?? "–";
}

function drawDepartments(rows, sort) {
  const canvas = document.getElementById("chart-departments");
  if (!canvas) return;
  const kpi = sort.replace(/^-/, "");
  const top = rows.filter((row) => row[kpi] !== null && row[kpi] !== undefined).slice(0, 10);
  const rate = kpi.endsWith("_rate");
  charts.push(
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: top.map((row) => localName(row.name) || row.department),
        datasets: [
          {
            label: label("kpis", kpi),
            data: top.map((row) => (rate ? Math.round(row[kpi] * 1000) / 10 : row[kpi])),
            backgroundColor: "#0b4f8a",
          },
        ],
      },
      options: {
        indexAxis: "y",
        maintainAspectRatio: false,
        animation: { duration: 200, onComplete: () => (canvas.dataset.rendered = lang()) },
        scales: { x: rate ? { min: 0, max: 100 } : { beginAtZero: true } },
      },
    }),
  );
}

function renderRankings() {
  const r = state.rankings;
  queueMicrotask(() => drawDepartments(r.rows, r.sort));
  const columns = ["applications_received", "on_time_rate", "one_visit_rate", "online_rate", "satisfaction_rate", "repeat_rate"];
  const extraItems = r.extra && Array.isArray(r.extra.items) ? r.extra.items : null;
  let extra = null;
  if (extraItems && extraItems.length) {
    const keys = ["satisfaction_rate", "rectification_rate", "on_time_rate", "ratings", "bad_ratings"];
    extra = h(
      "div",
      { id: "rankings-extra" },
      h("h3", {}, t("rankingsTitle")),
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          {},
          h("thead", {}, h("tr", {}, h("th", {}, t("rank")), h("th", {}, t("name")), keys.map((k) => h("th", {}, label("kpis", k))))),
          h(
            "tbody",
            {},
            extraItems.map((row, i) =>
              h(
                "tr",
                {},
                h("td", {}, row.rank ?? i + 1),
                h("td", {}, localName(row.name) || row.department || row.region || ""),
                keys.map((k) => h("td", {}, cell(row[k]))),
              ),
            ),
          ),
        ),
      ),
    );
  }
  return h(
    "section",
    { id: "rankings" },
    extra,
    h("h3", {}, t("departmentsTitle")),
    r.rows.length ? h("div", { class: "chart-box tall" }, h("canvas", { id: "chart-departments" })) : null,
    h(
      "div",
      { class: "filters" },
      field(
        t("sortBy"),
        select(
          "ranking-sort",
          r.sort,
          SORTABLE.map((k) => [k === "avg_complaint_hours" || k === "repeat_rate" ? k : `-${k}`, label("kpis", k)]),
          (v) => {
            r.sort = v;
            loadRankings();
          },
        ),
      ),
    ),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { id: "ranking-table" },
        h("thead", {}, h("tr", {}, h("th", {}, t("rank")), h("th", {}, t("name")), columns.map((k) => h("th", {}, label("kpis", k))))),
        h(
          "tbody",
          {},
          r.rows.map((row, i) =>
            h(
              "tr",
              {},
              h("td", {}, i + 1),
              h("td", {}, localName(row.name) || row.department),
              columns.map((k) => h("td", {}, k === "applications_received" ? row[k] : percent(row[k]))),
            ),
          ),
        ),
      ),
    ),
  );
}

// --- Public report queue -----------------------------------------------------------------
async function loadReports() {
  const r = state.reports;
  try {
    const q = new URLSearchParams({ type: "public_report", limit: "50" });
    if (r.state) q.set("state", r.state);
    r.items = (await call("GET", `/supervision/feed?${q}`)).items;
    const list = document.getElementById("report-list");
    if (list) list.replaceChildren(...(r.items.length ? r.items.map((e) => eventCard(e)) : [h("p", { class: "muted" }, t("empty"))]));
  } catch (error) {
    showError(error);
  }
}

function renderReports() {
  const r = state.reports;
  return h(
    "section",
    { id: "reports" },
    h("h3", {}, t("reportQueue")),
    h(
      "div",
      { class: "filters" },
      field(
        t("state"),
        select("report-state", r.state, [["", t("all")], ...STATES.map((x) => [x, label("states", x)])], (v) => {
          r.state = v;
          loadReports();
        }),
      ),
    ),
    h("div", { id: "report-list", class: "events" }, r.items.map((e) => eventCard(e))),
  );
}

// --- Session -----------------------------------------------------------------------------
async function start() {
  const me = await call("GET", "/me");
  if (me.role !== "supervisor") {
    await logout();
    throw new Error(t("notSupervisor"));
  }
  state.me = me;
  state.charts.region = me.region || "";
  render();
  await loadFeed();
  restartStream();
  await loadDepartments(state.charts.region).catch(showError);
  if (state.tab === "feed") render();
}

async function signOut() {
  if (state.stopStream) state.stopStream();
  state.stopStream = null;
  state.me = null;
  state.events.clear();
  state.order = [];
  await logout();
  render();
}

setLang(lang());
window.addEventListener(SIGNED_OUT, () => state.me && signOut());
render();
if (tokens()) start().catch(() => signOut());
