// The workspace's one door to the JSON API (/api/v1/…): the bearer token kept in sessionStorage (gone when the
// tab closes), one refresh via /auth/refresh when a call answers 401, then back to the sign-in form. Every
// refusal becomes an ApiError whose message is the problem's Vietnamese `detail` and whose `fields` maps a
// field name to the server's message about it (422 validation_failed), so forms show it on the field.
(function () {
  "use strict";
  const KEY = "motcua.can-bo.session";
  const GENERIC = "Không thực hiện được yêu cầu; vui lòng thử lại.";

  class ApiError extends Error {
    constructor(status, problem) {
      super((problem && problem.detail) || GENERIC);
      this.status = status;
      this.code = (problem && problem.code) || "";
      this.errors = (problem && problem.errors) || [];
      this.fields = {};
      this.errors.forEach((e) => { if (e.field && !this.fields[e.field]) this.fields[e.field] = e.message; });
    }
    // The detail plus each field message the detail does not already say ("Lý do: bắt buộc, …").
    get fullMessage() {
      const more = this.errors.map((e) => e.message).filter((m) => m && !this.message.includes(m.replace(/\.$/, "")));
      return more.length ? this.message + " " + more.join(" ") : this.message;
    }
  }

  const session = {
    get() { try { return JSON.parse(sessionStorage.getItem(KEY)) || null; } catch (e) { return null; } },
    set(tokens) {
      sessionStorage.setItem(KEY, JSON.stringify({ access: tokens.access_token, refresh: tokens.refresh_token,
        expires: Date.now() + tokens.expires_in * 1000 }));
    },
    clear() { sessionStorage.removeItem(KEY); },
  };

  let onSignedOut = () => {};
  let refreshing = null;

  async function problemOf(response) {
    const problem = await response.json().catch(() => ({}));
    if (response.status === 429 && !problem.detail) problem.detail = "Bạn đã gửi quá nhiều yêu cầu; vui lòng thử lại sau.";
    return new ApiError(response.status, problem);
  }

  async function signIn(username, password) {
    const body = new URLSearchParams({ username, password });
    const response = await fetch("/api/v1/auth/token", { method: "POST", body });
    if (!response.ok) {
      const error = await problemOf(response);
      const wait = response.headers.get("Retry-After");
      if (response.status === 429 && wait && !error.message.includes("giây")) error.message += " (chờ " + wait + " giây)";
      throw error;
    }
    session.set(await response.json());
  }

  // One refresh at a time: calls that fail together wait for the same new pair (a refresh token is single-use).
  function refresh() {
    const current = session.get();
    if (!current) return Promise.resolve(false);
    if (!refreshing) {
      refreshing = fetch("/api/v1/auth/refresh", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refresh_token: current.refresh }) })
        .then(async (r) => { if (!r.ok) return false; session.set(await r.json()); return true; })
        .catch(() => false)
        .finally(() => { refreshing = null; });
    }
    return refreshing;
  }

  function signOut(reason) { session.clear(); onSignedOut(reason || ""); }

  // request(path, {method, json, form, query, raw}) → parsed JSON (or the Response with raw: true).
  async function request(path, options) {
    const opts = options || {};
    let url = "/api/v1" + path;
    if (opts.query) {
      const q = new URLSearchParams();
      Object.entries(opts.query).forEach(([k, v]) => { if (v !== undefined && v !== null && v !== "") q.append(k, v); });
      if (q.toString()) url += "?" + q.toString();
    }
    const send = () => {
      const current = session.get();
      const headers = current ? { Authorization: "Bearer " + current.access } : {};
      const init = { method: opts.method || (opts.json !== undefined || opts.form ? "POST" : "GET"), headers };
      if (opts.json !== undefined) { headers["Content-Type"] = "application/json"; init.body = JSON.stringify(opts.json); }
      if (opts.form) init.body = opts.form;
      return fetch(url, init);
    };
    let response = await send();
    if (response.status === 401 && await refresh()) response = await send();
    if (response.status === 401) {
      signOut("Phiên đăng nhập đã hết hạn; vui lòng đăng nhập lại.");
      throw await problemOf(response);
    }
    if (!response.ok) throw await problemOf(response);
    if (opts.raw) return response;
    if (response.status === 204) return null;
    return response.json();
  }

  // A file of the API as a blob URL (downloads need the bearer header, so no plain link can fetch them).
  async function blobUrl(path) {
    const response = await request(path, { raw: true });
    const blob = await response.blob();
    const disposition = response.headers.get("Content-Disposition") || "";
    const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
    const plain = /filename="?([^";]+)"?/i.exec(disposition);
    const filename = star ? decodeURIComponent(star[1]) : (plain ? plain[1] : "tep");
    return { url: URL.createObjectURL(blob), filename, type: blob.type };
  }

  window.Motcua = window.Motcua || {};
  window.Motcua.api = {
    ApiError, request, signIn, signOut, blobUrl,
    get: (path, query) => request(path, { query }),
    post: (path, json) => request(path, { method: "POST", json: json === undefined ? {} : json }),
    signedIn: () => session.get() !== null,
    onSignedOut: (callback) => { onSignedOut = callback; },
  };
})();
