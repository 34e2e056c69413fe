// The demo page: a public catalog read with the browser build, authenticated reads through
// the worker, and the worker's token lifecycle drawn from its /status route.
import { MusementClient, MusementError } from "musement-auth";

const config = await (await fetch("/config.json")).json();
const $ = (selector) => document.querySelector(selector);

// --- What happened: a short log of actions and readable errors --------------------------------

function log(text, kind = "info") {
  const item = Object.assign(document.createElement("li"), { textContent: text, className: kind });
  const time = Object.assign(document.createElement("time"), { textContent: new Date().toLocaleTimeString() });
  item.prepend(time);
  $("#log").prepend(item);
}

/** An error as a person reads it: its stable code first. */
function describe(error) {
  const status = error.status ? ` (HTTP ${error.status})` : "";
  return `${error.code ?? "error"}${status}: ${error.message}`;
}

// --- The public catalog, straight from the API ---------------------------------------------

const catalog = new MusementClient({ baseUrl: config.catalog.baseUrl, application: config.catalog.application });

async function loadCities() {
  try {
    const cities = await catalog.json("/cities?limit=8");
    $("#cities").replaceChildren(
      ...cities.map((c) => Object.assign(document.createElement("li"), { textContent: c.name })),
    );
  } catch (error) {
    if (!(error instanceof MusementError)) throw error;
    $("#cities").replaceChildren(Object.assign(document.createElement("li"), { textContent: describe(error), className: "error" }));
    log(`Catalog read failed: ${describe(error)}`, "error");
  }
}

// --- Through the worker ----------------------------------------------------------------------

/** GET `path` from the worker; rejects with { code, status, message } on a non-2xx answer. */
async function viaWorker(path) {
  const response = await fetch(config.workerUrl + path);
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    throw Object.assign(new Error(body?.message ?? response.statusText), { code: body?.code, status: response.status });
  }
  return body;
}

function row(activity) {
  const item = document.createElement("li");
  const title = Object.assign(document.createElement("span"), { textContent: activity.title });
  const place = Object.assign(document.createElement("span"), { textContent: activity.city?.name ?? "", className: "place" });
  const price = Object.assign(document.createElement("span"), { textContent: activity.retail_price?.formatted_value ?? "", className: "price" });
  item.append(title, place, price);
  return item;
}

async function loadActivities() {
  const before = lastStatus?.stats.logins;
  try {
    const activities = await viaWorker("/activities?limit=6");
    $("#activities").replaceChildren(...activities.map(row));
    const status = await refreshStatus();
    const logins = status.stats.logins - (before ?? status.stats.logins);
    log(`Fetched ${activities.length} activities through the worker${logins > 0 ? `; it logged in ${logins === 1 ? "once" : `${logins} times`}` : " with its current token"}.`);
  } catch (error) {
    log(`The worker answered ${describe(error)}`, "error");
  }
}

// --- The token lifecycle -------------------------------------------------------------------------

let lastStatus;
/** One entry per token: { issuedAt, expiresAt, endedAt?, refreshed? } */
const tokens = [];

async function refreshStatus() {
  const status = await viaWorker("/status");
  lastStatus = status;
  const info = status.tokenInfo;
  const current = tokens.at(-1);
  const now = Date.now();
  if (info && current?.expiresAt !== info.expiresAt) {
    if (current && !current.endedAt) Object.assign(current, { endedAt: now, refreshed: true });
    tokens.push({ issuedAt: info.expiresAt - info.expiresIn * 1000, expiresAt: info.expiresAt, margin: status.refreshMarginSeconds });
  } else if (!info && current && !current.endedAt) {
    current.endedAt = now;
  }
  render();
  return status;
}

function clock(ms) {
  return new Date(ms).toLocaleTimeString();
}

function render() {
  if (!lastStatus) return;
  const { tokenInfo: info, stats } = lastStatus;
  $("#logins").textContent = String(stats.logins);
  $("#cache-hits").textContent = String(stats.cacheHits);
  $("#logged-in").textContent = info ? clock(info.expiresAt - info.expiresIn * 1000) : "no valid token";
  const left = info ? Math.max(0, Math.round((info.expiresAt - Date.now()) / 1000)) : null;
  $("#countdown").textContent = info ? `${left} s` : "–";
  $("#margin-note").textContent = `The worker stops using a token ${lastStatus.refreshMarginSeconds} s before it expires and logs in again on the next call.`;
  drawTimeline();
}

function drawTimeline() {
  const now = Date.now();
  const recent = tokens.slice(-6);
  if (recent.length === 0) return $("#timeline").replaceChildren();
  const start = recent[0].issuedAt;
  const end = Math.max(now, ...recent.map((t) => t.expiresAt)) + 2000;
  const x = (t) => `${(((t - start) / (end - start)) * 100).toFixed(2)}%`;
  const width = (a, b) => `${(((b - a) / (end - start)) * 100).toFixed(2)}%`;
  const lanes = recent.map((token, i) => {
    const lane = Object.assign(document.createElement("div"), { className: "lane" });
    const label = Object.assign(document.createElement("span"), { className: "label", textContent: `#${tokens.length - recent.length + i + 1}` });
    const planned = Object.assign(document.createElement("div"), { className: "bar planned" });
    Object.assign(planned.style, { left: x(token.issuedAt), width: width(token.issuedAt, token.expiresAt) });
    const used = Object.assign(document.createElement("div"), { className: "bar used" });
    const until = Math.min(token.endedAt ?? now, token.expiresAt);
    Object.assign(used.style, { left: x(token.issuedAt), width: width(token.issuedAt, until) });
    used.title = `issued ${clock(token.issuedAt)}, expires ${clock(token.expiresAt)}`;
    lane.append(label, planned, used);
    if (token.refreshed) {
      const mark = Object.assign(document.createElement("div"), { className: "mark", title: `refreshed ${clock(token.endedAt)}` });
      mark.style.left = x(token.endedAt);
      lane.append(mark);
    }
    return lane;
  });
  const nowLine = Object.assign(document.createElement("div"), { className: "now", title: "now" });
  nowLine.style.left = x(now);
  const track = Object.assign(document.createElement("div"), { className: "track" });
  track.append(...lanes, nowLine);
  $("#timeline").replaceChildren(track);
  $("#axis-start").textContent = clock(start);
  $("#axis-end").textContent = clock(end);
}

// --- Actions -------------------------------------------------------------------------------------

async function expire() {
  if (!config.mockUrl) return;
  await fetch(`${config.mockUrl}/__mock/revoke`, { method: "POST" });
  log("The API revoked the token. The worker finds out on its next call: one 401, one login, one repeat.");
}

async function parallel() {
  const before = (await refreshStatus()).stats.logins;
  $("#parallel-result").textContent = "20 requests in flight…";
  const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => viaWorker("/cities?limit=1")));
  const ok = outcomes.filter((o) => o.status === "fulfilled").length;
  const logins = (await refreshStatus()).stats.logins - before;
  const text = `${ok} of 20 succeeded; logins +${logins}`;
  $("#parallel-result").textContent = text;
  log(`20 parallel requests: ${text}${logins <= 1 ? " (one shared token)" : ""}.`);
  for (const failure of outcomes.filter((o) => o.status === "rejected")) log(describe(failure.reason), "error");
}

async function missing() {
  try {
    await viaWorker("/activities/00000000-0000-0000-0000-000000000000");
  } catch (error) {
    log(`A missing activity, as the API reports it: ${describe(error)}`, "error");
  }
}

$("#fetch").addEventListener("click", loadActivities);
$("#missing").addEventListener("click", missing);
$("#parallel").addEventListener("click", parallel);
if (config.mockUrl) $("#expire").addEventListener("click", expire);
else $("#expire").hidden = true;

await Promise.all([loadCities(), loadActivities()]);
setInterval(() => refreshStatus().catch((error) => log(`Status: ${describe(error)}`, "error")), 1000);
document.body.dataset.ready = "true";
