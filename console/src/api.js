// Calls to /api/v1 with the supervisor's tokens (kept for this tab only, in sessionStorage),
// the chosen language, a refresh on an expired access token, and the SSE stream read with
// fetch (EventSource cannot send Authorization), resumed with Last-Event-ID.
import { lang } from "./i18n.js";

const BASE = "/api/v1";
const KEY = "onevisit.console.tokens";
export const SIGNED_OUT = "onevisit:signed-out";

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export function tokens() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY)) || null;
  } catch {
    return null;
  }
}

function saveTokens(pair) {
  if (pair) sessionStorage.setItem(KEY, JSON.stringify(pair));
  else sessionStorage.removeItem(KEY);
}

export function uuid() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function headers(extra) {
  const h = { "Accept-Language": lang(), Accept: "application/json", ...extra };
  const pair = tokens();
  if (pair) h.Authorization = `Bearer ${pair.access_token}`;
  return h;
}

let refreshing = null;

async function refresh() {
  const pair = tokens();
  if (!pair) return false;
  refreshing ??= fetch(`${BASE}/auth/refresh`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "Accept-Language": lang() },
    body: JSON.stringify({ refresh_token: pair.refresh_token }),
  })
    .then(async (r) => {
      if (!r.ok) {
        saveTokens(null);
        return false;
      }
      saveTokens(await r.json());
      return true;
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

export async function call(method, path, { body, headers: extra, retry = true } = {}) {
  const init = { method, headers: headers(extra) };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(BASE + path, init);
  if (response.status === 401 && retry && tokens()) {
    if (await refresh()) return call(method, path, { body, headers: extra, retry: false });
    // The refresh token is dead too (expired, or the family revoked): the session is over.
    window.dispatchEvent(new Event(SIGNED_OUT));
  }
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export async function login(phone, password) {
  saveTokens(null);
  const pair = await call("POST", "/auth/login", { body: { phone, password }, retry: false });
  saveTokens(pair);
  return pair;
}

export async function logout() {
  const pair = tokens();
  saveTokens(null);
  if (pair) {
    await fetch(`${BASE}/auth/logout`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${pair.access_token}` },
      body: JSON.stringify({ refresh_token: pair.refresh_token }),
    }).catch(() => {});
  }
}

// Follow-up of one event: If-Match its version (a stale view answers 412), one
// Idempotency-Key per click (a retried click does not act twice).
export function followUp(event, action, body) {
  return call("POST", `/supervision/events/${event.id}/${action}`, {
    body: body ?? {},
    headers: { "If-Match": `"v${event.version}"`, "Idempotency-Key": uuid() },
  });
}

function parseFrames(buffer, onFrame) {
  let index;
  while ((index = buffer.search(/\r?\n\r?\n/)) >= 0) {
    const block = buffer.slice(0, index);
    buffer = buffer.slice(index).replace(/^\r?\n\r?\n/, "");
    const frame = { data: [] };
    for (const line of block.split(/\r?\n/)) {
      if (!line || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "data") frame.data.push(value);
      else frame[field] = value;
    }
    onFrame(frame);
  }
  return buffer;
}

// Runs until stop(): reconnects after each connection ends (the server ends them after a few
// minutes), with Last-Event-ID, so nothing is lost or repeated.
export function openStream(query, { onEvent, onStatus, onSignedOut }) {
  const controller = new AbortController();
  let lastId = null;
  let delay = 2000;
  let stopped = false;
  const run = async () => {
    while (!stopped) {
      try {
        const extra = { Accept: "text/event-stream" };
        if (lastId) extra["Last-Event-ID"] = lastId;
        let response = await fetch(`${BASE}/supervision/stream${query}`, {
          headers: headers(extra),
          signal: controller.signal,
        });
        if (response.status === 401) {
          if (await refresh()) continue;
          stopped = true; // the session is over (refresh token expired or revoked)
          onSignedOut();
          return;
        }
        if (!response.ok || !response.body) {
          onStatus("reconnecting");
          const after = Number(response.headers.get("Retry-After"));
          await sleep(after > 0 ? after * 1000 : delay);
          continue;
        }
        onStatus("live");
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer = parseFrames(buffer + decoder.decode(value, { stream: true }), (frame) => {
            if (frame.retry) delay = Number(frame.retry) || delay;
            if (frame.id && frame.data.length) {
              lastId = frame.id;
              onEvent(JSON.parse(frame.data.join("\n")));
            }
          });
        }
      } catch (error) {
        if (stopped) return;
      }
      if (!stopped) {
        onStatus("reconnecting");
        await sleep(delay);
      }
    }
  };
  run();
  return () => {
    stopped = true;
    controller.abort();
    onStatus("offline");
  };
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
