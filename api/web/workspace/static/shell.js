// The workspace shell: sign-in, the layout (the official by full name and title), the navigation built from
// the sections that registered themselves, and the hash router (#/<section>/<argument>). Sections are plain
// objects {id, label, roles, nav, render(main, arg, me)}; see api/web/workspace/__init__.py.
(function () {
  "use strict";
  const api = window.Motcua.api;
  const $ = (sel) => document.querySelector(sel);
  const sections = [];
  let me = null;
  let generation = 0;

  const ROLE_LABELS = {
    MOT_CUA: "Công chức Bộ phận Một cửa", LANH_DAO_PHONG: "Lãnh đạo phòng chuyên môn",
    CHUYEN_VIEN: "Chuyên viên thụ lý", LANH_DAO_SO: "Lãnh đạo Sở", VAN_THU: "Văn thư", GIAM_SAT: "Giám sát",
    GIAM_SAT_TINH: "Giám sát toàn tỉnh", QUAN_TRI: "Quản trị hệ thống",
  };
  const TZ = "Asia/Ho_Chi_Minh";

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (v === null || v === undefined || v === false) return;
      if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    });
    children.flat(Infinity).forEach((c) => {
      if (c === null || c === undefined || c === false || c === "") return;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    });
    return node;
  }

  // node.replaceChildren without the null/false of conditional parts (replaceChildren would print "null").
  function fill(node, ...children) {
    node.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false && c !== ""));
    return node;
  }

  const fmt = {
    date: (iso) => iso ? new Date(iso).toLocaleDateString("vi-VN", { timeZone: TZ, day: "2-digit", month: "2-digit",
      year: "numeric" }) : "—",
    time: (iso) => iso ? new Date(iso).toLocaleString("vi-VN", { timeZone: TZ, hour: "2-digit", minute: "2-digit",
      day: "2-digit", month: "2-digit", year: "numeric" }) : "—",
  };

  // The due state of a work item as the server computed it (its clock, the working calendar): never the
  // browser's own clock, which may be wrong and knows no days off.
  function dueBadge(overdue, dueSoon) {
    if (overdue) return el("span", { class: "badge off", "data-due": "overdue" }, "Quá hạn");
    if (dueSoon) return el("span", { class: "badge soon", "data-due": "soon" }, "Sắp đến hạn");
    return null;
  }

  let toastTimer = null;
  function toast(message, kind) {
    const box = $("#toast");
    box.textContent = message;
    box.className = "toast " + (kind || "ok");
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => box.classList.add("hidden"), 6000);
  }

  function alertBox(message) { return el("div", { class: "alert", role: "alert" }, message); }

  function allowed(section) {
    return !section.roles || section.roles.some((r) => me && me.roles.includes(r));
  }

  function section(definition) { sections.push(definition); }

  function go(hash) { if (location.hash === hash) route(); else location.hash = hash; }

  function home() { return sections.find((s) => s.nav !== false && allowed(s)); }

  function renderNav(current) {
    const nav = $("#nav");
    nav.replaceChildren(...sections.filter((s) => s.nav !== false && allowed(s)).map((s) =>
      el("a", { href: "#/" + s.id, class: "nav-item" + (current && current.id === s.id ? " active" : ""),
        "aria-current": current && current.id === s.id ? "page" : null, "data-section": s.id }, s.label)));
  }

  async function route() {
    if (!me) return;
    const [, id, ...rest] = (location.hash || "").replace(/^#/, "").split("/");
    const arg = rest.length ? decodeURIComponent(rest.join("/")) : null;
    let target = sections.find((s) => s.id === id && allowed(s));
    if (!target) {
      target = home();
      if (!target) { $("#main").replaceChildren(alertBox("Tài khoản chưa được giao chức năng nào trên trang này.")); return; }
      if (id) { go("#/" + target.id); return; }
    }
    renderNav(target.nav === false ? sections.find((s) => s.id === target.parent) : target);
    // Each route renders into its own view, shown only if no later route started meanwhile: a slow page
    // (the inbox's three calls) must not replace the one the official has already moved to.
    const main = $("#main"), view = el("div", { class: "view", "data-view": target.id }), mine = ++generation;
    main.replaceChildren(el("p", { class: "muted" }, "Đang tải…"));
    try {
      await target.render(view, arg, me);
    } catch (error) {
      if (error instanceof api.ApiError && error.status === 401) return;
      view.replaceChildren(alertBox(error.message || "Không tải được trang."));
    }
    if (mine !== generation) return;
    main.replaceChildren(view);
    main.focus({ preventScroll: true });
  }

  function showSignIn(message) {
    me = null;
    $("#app").classList.add("hidden");
    $("#who").classList.add("hidden");
    $("#sign-in").classList.remove("hidden");
    const box = $("#sign-in-error");
    box.textContent = message || "";
    box.classList.toggle("hidden", !message);
    $("#password").value = "";
    $("#username").focus();
  }

  async function start() {
    try {
      me = await api.get("/me");
    } catch (error) {
      if (!(error instanceof api.ApiError && error.status === 401)) showSignIn(error.message);
      return;
    }
    $("#sign-in").classList.add("hidden");
    $("#who-name").textContent = me.full_name;
    $("#who-title").textContent = me.position || me.title || me.roles.map((r) => ROLE_LABELS[r] || r).join(", ");
    $("#who").classList.remove("hidden");
    $("#app").classList.remove("hidden");
    route();
  }

  $("#sign-in-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const button = ev.target.querySelector("button[type=submit]");
    const username = $("#username").value.trim(), password = $("#password").value;
    if (!username || !password) { showSignIn("Vui lòng nhập tên đăng nhập và mật khẩu."); $("#username").value = username; return; }
    button.disabled = true;
    try {
      await api.signIn(username, password);
      $("#password").value = "";
      await start();
    } catch (error) {
      showSignIn(error.message);
      $("#username").value = username;
    } finally { button.disabled = false; }
  });
  $("#sign-out").addEventListener("click", () => { api.signOut(); location.hash = ""; });
  api.onSignedOut((reason) => showSignIn(reason));
  window.addEventListener("hashchange", route);

  window.Motcua.shell = { section, el, fill, fmt, dueBadge, toast, alertBox, go, ROLE_LABELS, me: () => me };
  // Sections load after this file; start once every script has run.
  document.addEventListener("DOMContentLoaded", () => { if (api.signedIn()) start(); else showSignIn(""); });
})();
