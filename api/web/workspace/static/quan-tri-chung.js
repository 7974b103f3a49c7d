// Helpers shared by the supervisors' and administrators' pages (thong-ke, qua-han, su-co, ket-noi, tin-nhan-loi,
// can-bo-ql): an inline confirmation (no window.confirm: it blocks the page and cannot be styled), a result line,
// a pager, numbers and rates written the Vietnamese way, and how a step's holder reads.
(function () {
  "use strict";
  const { shell } = window.Motcua;
  const { el } = shell;
  const TZ = "Asia/Ho_Chi_Minh";

  // An inline "are you sure" box placed in `slot`: `text`, a confirming button `yes` and "Hủy". `onYes` runs once
  // (the button is disabled meanwhile); an ApiError is shown in the box with the server's own words.
  function confirmBox(slot, { text, yes, onYes, danger }) {
    const error = el("div", { class: "alert hidden", role: "alert" });
    const yesButton = el("button", { type: "button", class: danger ? "danger" : "primary", "data-confirm": "yes" }, yes);
    const box = el("div", { class: "confirm", role: "alertdialog", "aria-label": text },
      el("p", {}, text), error,
      el("div", { class: "actions" }, yesButton,
        el("button", { type: "button", class: "secondary", "data-confirm": "no", onclick: () => box.remove() }, "Hủy")));
    yesButton.addEventListener("click", async () => {
      yesButton.disabled = true;
      try {
        await onYes();
        box.remove();
      } catch (err) {
        error.textContent = err.fullMessage || err.message;
        error.classList.remove("hidden");
        yesButton.disabled = false;
      }
    });
    slot.replaceChildren(box);
    yesButton.focus();
    return box;
  }

  // The outcome of an action, kept above a list that is reloaded under it.
  function result(slot, message, kind) {
    slot.replaceChildren(el("div", { class: kind === "error" ? "alert" : "ok", role: "status", "data-result": kind || "ok" },
      message));
  }

  function pager(page, onGo) {
    const pages = Math.max(1, Math.ceil(page.total / page.page_size));
    if (pages <= 1) return el("div", { class: "pager hidden" }); // a node: main.replaceChildren writes null as text
    return el("div", { class: "pager" },
      el("button", { type: "button", class: "secondary", disabled: page.page <= 1, onclick: () => onGo(page.page - 1) },
        "‹ Trang trước"),
      el("span", {}, `Trang ${page.page}/${pages}`),
      el("button", { type: "button", class: "secondary", disabled: page.page >= pages,
        onclick: () => onGo(page.page + 1) }, "Trang sau ›"));
  }

  const number = (n) => (n === null || n === undefined) ? "—" : Number(n).toLocaleString("vi-VN");
  const rate = (r) => (r === null || r === undefined) ? "—"
    : Number(r).toLocaleString("vi-VN", { maximumFractionDigits: 2 }) + "%";

  // Today in Vietnam as YYYY-MM-DD (the date inputs' format).
  function today() { return new Date().toLocaleDateString("sv-SE", { timeZone: TZ }); }

  // Who holds a step: the assignee by full name and title; an unclaimed step, the role expected to take it.
  function holder(step) {
    if (step.assignee_label) return step.assignee_label;
    const role = shell.ROLE_LABELS[step.role] || step.role || "";
    return role ? `Chưa có người nhận (${role})` : "Chưa có người nhận";
  }

  // A dossier code links to the dossier page; other subjects (a feedback case, …) are plain text.
  const DOSSIER_CODE = /^[A-Z0-9.]+-\d{6}-\d{4,}$/;
  function dossierLink(code) {
    return DOSSIER_CODE.test(code || "") ? el("a", { href: "#/ho-so/" + encodeURIComponent(code) }, code) : (code || "—");
  }

  window.Motcua.admin = { confirmBox, result, pager, number, rate, today, holder, dossierLink, TZ };
})();
