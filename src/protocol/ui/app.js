// The emulator dashboard: plain JS, no build step. Data comes from /_emulator/ui/api/*, actions
// go to the control API, and /_emulator/ui/stream says when to re-fetch.
"use strict";

const $ = (sel) => document.querySelector(sel);
const state = { page: 0, pageSize: 50, filter: {}, players: null, overview: null, events: [], firstRender: null };
const VIEWS = ["fleets", "sessions", "processes", "aliases", "queues", "matchmaking", "events"];

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null) e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}
const statusCell = (s) => el("td", { class: "status status-" + s }, s);
const when = (epoch) => (epoch ? new Date(epoch * 1000).toISOString().replace("T", " ").replace(".000Z", "Z") : "–");
const shortId = (arn) => String(arn).split("/").pop();

async function call(method, url, body) {
  const resp = await fetch(url, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await resp.text();
  const data = text ? JSON.parse(text) : {};
  if (!resp.ok) throw new Error((data.__type || resp.status) + ": " + (data.message || text));
  return data;
}

function notice(text, bad) {
  const n = $("#notice");
  n.textContent = text;
  n.style.color = bad ? "var(--bad)" : "";
}

async function act(what, fn) {
  try {
    const out = await fn();
    notice(what + " ✓");
    await refresh();
    return out;
  } catch (e) {
    notice(what + " failed: " + e.message, true);
  }
}

// ----- views -----
function renderClock(c) {
  $("#clock-now").textContent = when(c.Now);
  $("#clock-now").setAttribute("datetime", new Date(c.Now * 1000).toISOString());
  $("#clock-mode").textContent = c.Paused ? "paused" : "running";
}

function renderFleets(o) {
  const root = $("#fleets");
  root.replaceChildren();
  if (!o.Fleets.length) root.append(el("p", { class: "empty" }, "No fleets."));
  const select = $("#filter-fleet");
  const chosen = select.value;
  select.replaceChildren(el("option", { value: "" }, "any"));
  for (const f of o.Fleets) {
    select.append(el("option", { value: f.FleetId }, f.Name + " (" + f.FleetId + ")"));
    const rows = f.Locations.map((l) => {
      const c = (l.Capacity.InstanceCounts || {});
      const u = l.Utilization || {};
      const slots = u.ActiveServerProcessCount || 0;
      const used = u.ActiveGameSessionCount || 0;
      const pct = slots ? Math.min(100, Math.round((100 * used) / slots)) : 0;
      return el("tr", {},
        el("th", { scope: "row" }, l.Location), statusCell(l.Status),
        el("td", {}, `${c.ACTIVE ?? 0} active / ${c.DESIRED ?? 0} desired (${c.PENDING ?? 0} pending, ${c.IDLE ?? 0} idle)`),
        el("td", {},
          el("span", { class: "bar", role: "img", "aria-label": `${used} of ${slots} game session slots in use` },
            el("span", { style: `width:${pct}%` })),
          ` ${used} / ${slots}`),
        el("td", {}, `${u.CurrentPlayerSessionCount ?? 0} / ${u.MaximumPlayerSessionCount ?? 0}`));
    });
    root.append(el("article", { class: "fleet", "data-fleet": f.FleetId },
      el("h3", {}, f.Name, " ", el("code", {}, f.FleetId), " ", el("span", { class: "badge status-" + f.Status }, f.Status),
        " ", el("span", { class: "badge" }, f.ComputeType)),
      el("table", {},
        el("thead", {}, el("tr", {}, ...["Location", "Status", "Instances", "Game sessions in use", "Players"].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, ...rows))));
  }
  select.value = chosen;
}

function renderProcesses(o) {
  const body = $("#processes tbody");
  body.replaceChildren(...o.Processes.map((p) => el("tr", {},
    el("td", { class: "id" }, p.ProcessId), el("td", { class: "id" }, p.FleetId), el("td", {}, p.ComputeName),
    el("td", {}, p.Location), statusCell(p.Connected ? p.State : "DISCONNECTED"),
    el("td", { class: p.Healthy ? "status-ACTIVE" : "status-unhealthy" }, p.Healthy ? "healthy" : "unhealthy"),
    el("td", {}, when(p.LastHeartbeat)), el("td", { class: "id" }, p.GameSessionId ? shortId(p.GameSessionId) : "–"))));
  if (!o.Processes.length) body.append(el("tr", {}, el("td", { colspan: 8, class: "empty" }, "No game-server process is connected.")));
}

function renderAliases(o) {
  const body = $("#aliases tbody");
  body.replaceChildren(...o.Aliases.map((a) => el("tr", {},
    el("td", { class: "id" }, a.AliasId), el("td", {}, a.Name), el("td", {}, a.RoutingStrategy?.Type ?? ""),
    el("td", { class: "id" }, a.RoutingStrategy?.FleetId ?? a.RoutingStrategy?.Message ?? ""))));
  if (!o.Aliases.length) body.append(el("tr", {}, el("td", { colspan: 4, class: "empty" }, "No aliases.")));
}

function renderQueues(o) {
  const root = $("#queues");
  root.replaceChildren();
  if (!o.Queues.length) root.append(el("p", { class: "empty" }, "No game session queues."));
  for (const q of o.Queues) {
    const dests = (q.Queue.Destinations || []).map((d) => shortId(d.DestinationArn)).join(", ");
    const rows = q.PendingPlacements.map((p) => el("tr", {},
      el("td", { class: "id" }, p.PlacementId), statusCell(p.Status), el("td", {}, p.GameSessionName ?? ""),
      el("td", {}, p.MaximumPlayerSessionCount ?? ""), el("td", {}, when(p.StartTime))));
    if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: 5, class: "empty" }, "No pending placements.")));
    root.append(el("article", { class: "fleet" },
      el("h3", {}, q.Queue.Name, " ", el("span", { class: "badge" }, `timeout ${q.Queue.TimeoutInSeconds}s`)),
      el("p", {}, "Destinations: ", dests || "none"),
      el("table", {}, el("thead", {}, el("tr", {}, ...["Placement", "Status", "Name", "Max players", "Started"].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, ...rows))));
  }
}

function renderMatchmaking(o) {
  const root = $("#matchmaking");
  root.replaceChildren();
  if (!o.Matchmaking.length) root.append(el("p", { class: "empty" }, "No matchmaking configurations."));
  for (const m of o.Matchmaking) {
    const c = m.Configuration;
    const counts = m.TicketsByStatus.filter(([, n]) => n > 0).map(([s, n]) => `${s} ${n}`).join(", ");
    const rows = m.OpenTickets.map((t) => el("tr", {},
      el("td", { class: "id" }, t.TicketId), statusCell(t.Status),
      el("td", {}, (t.Players || []).map((p) => p.Team ? `${p.PlayerId} (${p.Team})` : p.PlayerId).join(", ")),
      el("td", {}, when(t.StartTime))));
    if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: 4, class: "empty" }, "No ticket in play.")));
    root.append(el("article", { class: "fleet" },
      el("h3", {}, c.Name, " ", el("span", { class: "badge" }, c.FlexMatchMode ?? ""), " ",
        el("span", { class: "badge" }, `rule set ${c.RuleSetName}`)),
      el("p", { class: "ticket-counts" }, "Tickets: ", counts || "none"),
      el("table", {}, el("thead", {}, el("tr", {}, ...["Ticket", "Status", "Players", "Started"].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, ...rows))));
  }
}

function renderEvents() {
  const list = $("#events");
  list.replaceChildren(...state.events.slice().reverse().map((e) => el("li", { value: e.Sequence },
    el("strong", {}, e.Event?.["detail-type"] ?? "event"), " ", el("span", {}, e.Event?.detail?.type ?? ""),
    " ", el("time", {}, e.Event?.time ?? ""), el("pre", {}, JSON.stringify(e.Event?.detail ?? e.Event, null, 1)))));
  if (!state.events.length) list.append(el("li", { class: "empty" }, "No events yet."));
}

function renderSessions(p) {
  const body = $("#sessions tbody");
  body.replaceChildren(...p.GameSessions.map((s) => el("tr", { "data-id": s.GameSessionId },
    el("td", { class: "id" }, shortId(s.GameSessionId)), el("td", { class: "id" }, s.FleetId), el("td", {}, s.Location),
    statusCell(s.Status), el("td", {}, `${s.CurrentPlayerSessionCount} / ${s.MaximumPlayerSessionCount}`),
    el("td", {}, when(s.CreationTime)),
    el("td", {},
      el("button", { type: "button", class: "players", onclick: () => showPlayers(s.GameSessionId) }, "Players"), " ",
      ["ACTIVE", "ACTIVATING"].includes(s.Status)
        ? el("button", { type: "button", class: "terminate danger", onclick: () => terminate(s.GameSessionId) }, "Terminate")
        : null))));
  if (!p.GameSessions.length) body.append(el("tr", {}, el("td", { colspan: 7, class: "empty" }, "No game sessions match.")));
  const from = p.Total ? p.Page * p.PageSize + 1 : 0;
  $("#page-info").textContent = `${from}–${p.Page * p.PageSize + p.GameSessions.length} of ${p.Total}`;
  $("#prev-page").disabled = p.Page === 0;
  $("#next-page").disabled = (p.Page + 1) * p.PageSize >= p.Total;
}

function renderPlayers(list) {
  $("#players").hidden = false;
  $("#players-of").textContent = state.players;
  $("#player-sessions tbody").replaceChildren(...list.PlayerSessions.map((ps) => el("tr", { "data-id": ps.PlayerSessionId },
    el("td", { class: "id" }, ps.PlayerSessionId), el("td", {}, ps.PlayerId), statusCell(ps.Status), el("td", {}, when(ps.CreationTime)),
    el("td", {},
      ps.Status === "RESERVED" ? el("button", { type: "button", class: "accept", onclick: () => acceptPlayer(ps.PlayerSessionId) }, "Accept") : null, " ",
      ["RESERVED", "ACTIVE"].includes(ps.Status) ? el("button", { type: "button", class: "complete", onclick: () => completePlayer(ps.PlayerSessionId) }, "Complete") : null))));
  if (!list.PlayerSessions.length) $("#player-sessions tbody").append(el("tr", {}, el("td", { colspan: 5, class: "empty" }, "No player sessions.")));
}

// ----- data -----
let inFlight = null, again = false;
async function refresh() {
  if (inFlight) { again = true; return inFlight; }
  inFlight = (async () => {
    try {
      do {
        again = false;
        const view = currentView();
        const o = await call("GET", "/_emulator/ui/api/overview");
        state.overview = o;
        renderClock(o.Clock);
        $("#count-sessions").textContent = `(${o.GameSessionCount})`;
        renderFleets(o); renderProcesses(o); renderAliases(o); renderQueues(o); renderMatchmaking(o);
        if (view === "sessions") {
          const q = new URLSearchParams({ ...state.filter, Page: state.page, PageSize: state.pageSize });
          renderSessions(await call("GET", "/_emulator/ui/api/game-sessions?" + q));
          if (state.players) {
            renderPlayers(await call("GET", "/_emulator/ui/api/player-sessions?" + new URLSearchParams({ GameSessionId: state.players })));
          }
        }
        if (state.firstRender === null) {
          state.firstRender = performance.now();
          document.body.dataset.rendered = String(Math.round(state.firstRender));
        }
      } while (again);
    } catch (e) {
      notice("Refresh failed: " + e.message, true);
    } finally {
      inFlight = null;
    }
  })();
  return inFlight;
}

// ----- actions -----
function terminate(id) {
  if (!confirm("Terminate game session " + id + "?")) return;
  act("Terminated " + shortId(id), () => call("POST", "/_emulator/ui/api/terminate-game-session", { GameSessionId: id, TerminationMode: "FORCE_TERMINATE" }));
}
function showPlayers(id) { state.players = id; refresh(); }
function acceptPlayer(id) { act("Accepted " + id, () => call("POST", `/_emulator/player-sessions/${encodeURIComponent(id)}/accept`)); }
function completePlayer(id) { act("Completed " + id, () => call("POST", `/_emulator/player-sessions/${encodeURIComponent(id)}/complete`)); }

$("#advance-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const seconds = Number($("#advance-seconds").value);
  act(`Advanced the clock by ${seconds} s`, () => call("POST", "/_emulator/clock/advance", { Seconds: seconds }));
});
$("#pause").addEventListener("click", () => act("Paused the clock", () => call("POST", "/_emulator/clock/pause")));
$("#resume").addEventListener("click", () => act("Resumed the clock", () => call("POST", "/_emulator/clock/resume")));
$("#reset").addEventListener("click", () => {
  if (!confirm("Reset the world to its fixtures? Every resource created since start is lost.")) return;
  state.players = null; $("#players").hidden = true;
  act("Reset the world", () => call("POST", "/_emulator/reset"));
});
$("#session-filter").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const f = {};
  for (const [k, v] of new FormData(ev.target)) if (v) f[k] = v;
  state.filter = f; state.page = 0; refresh();
});
$("#prev-page").addEventListener("click", () => { state.page = Math.max(0, state.page - 1); refresh(); });
$("#next-page").addEventListener("click", () => { state.page += 1; refresh(); });

// ----- navigation -----
function currentView() {
  const v = location.hash.slice(1);
  return VIEWS.includes(v) ? v : "fleets";
}
function showView() {
  const v = currentView();
  for (const name of VIEWS) $("#view-" + name).hidden = name !== v;
  for (const a of document.querySelectorAll("nav a")) {
    if (a.getAttribute("href") === "#" + v) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
  if (v === "events") renderEvents();
  refresh();
}
window.addEventListener("hashchange", showView);

// ----- live stream -----
function connect() {
  const live = $("#live");
  const es = new EventSource("/_emulator/ui/stream");
  es.addEventListener("hello", () => { live.textContent = "live"; live.className = "live ok"; refresh(); });
  es.addEventListener("change", () => refresh());
  es.addEventListener("events", (m) => {
    const list = JSON.parse(m.data);
    if (!list.length) return;
    state.events.push(...list);
    if (state.events.length > 500) state.events.splice(0, state.events.length - 500);
    if (currentView() === "events") renderEvents();
  });
  es.onerror = () => { live.textContent = "disconnected, reconnecting…"; live.className = "live down"; };
}

showView();
connect();
