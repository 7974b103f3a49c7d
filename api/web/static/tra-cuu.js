// The citizens' page: tabs, the three lookups, feedback, services and news, all through the public JSON API.
// Verifiers are sent in POST bodies only and kept nowhere (no URL, no storage).
(function () {
  "use strict";
  const $ = (sel) => document.querySelector(sel);
  const API = "/api/v1/public";
  const fmtDate = (iso) => iso ? new Date(iso).toLocaleDateString("vi-VN", { timeZone: "Asia/Ho_Chi_Minh",
    day: "2-digit", month: "2-digit", year: "numeric" }) : "—";
  const fmtTime = (iso) => new Date(iso).toLocaleString("vi-VN", { timeZone: "Asia/Ho_Chi_Minh", hour: "2-digit",
    minute: "2-digit", day: "2-digit", month: "2-digit", year: "numeric" });

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => { if (v !== null && v !== undefined) node.setAttribute(k, v); });
    children.flat().forEach((c) => node.append(c instanceof Node ? c : document.createTextNode(String(c ?? ""))));
    return node;
  }

  async function call(path, body) {
    const response = await fetch(API + path, body === undefined ? {} : {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      let detail = data.detail || "Không thực hiện được yêu cầu; vui lòng thử lại.";
      if (data.errors && data.errors.length && data.code === "validation_failed") {
        // Each message names its field by label ("Số điện thoại liên hệ: …"); skip those the detail says.
        const more = data.errors.map((e) => e.message).filter((m) => !detail.includes(m.replace(/\.$/, "")));
        if (more.length) detail += " " + more.join(" ");
      }
      const wait = response.headers.get("Retry-After");
      if (response.status === 429 && wait && !detail.includes("thử lại sau")) detail += " (chờ " + wait + " giây)";
      throw new Error(detail);
    }
    return data;
  }

  function showError(box, message) { box.textContent = message; box.classList.toggle("hidden", !message); }

  // Tabs and lookup modes.
  document.querySelectorAll(".tab").forEach((tab) => tab.addEventListener("click", () => openTab(tab.dataset.tab)));
  function openTab(name) {
    document.querySelectorAll(".tab").forEach((t) => {
      t.classList.toggle("active", t.dataset.tab === name); t.setAttribute("aria-selected", t.dataset.tab === name);
    });
    document.querySelectorAll(".panel").forEach((p) => p.classList.toggle("active", p.id === name));
  }
  document.querySelectorAll(".mode").forEach((button) => button.addEventListener("click", () => {
    document.querySelectorAll(".mode").forEach((b) => b.classList.toggle("active", b === button));
    document.querySelectorAll("form.lookup").forEach((f) => f.classList.toggle("hidden", f.dataset.mode !== button.dataset.mode));
    showError($("#lookup-error"), ""); $("#lookup-result").replaceChildren(); showRating(null);
  }));
  if (location.hash === "#phan-anh") openTab("phan-anh");
  if (location.hash === "#danh-gia") { $("#rating-hint").classList.remove("hidden"); $("#verifier").focus(); }

  // The satisfaction rating, offered under the timeline of a finished dossier. The verifier that opened the
  // timeline is kept in memory only, to send the rating behind the same second factor.
  let verified = null;
  function showRating(result) {
    const form = $("#danh-gia"), done = $("#rating-done"), state = result && result.satisfaction;
    form.classList.toggle("hidden", !(state && state.open));
    done.classList.toggle("hidden", !(state && state.rated));
    showError($("#rating-error"), "");
    if (state && state.rated) {
      done.textContent = "Ông/bà đã đánh giá hồ sơ " + result.code + ": " + state.level_name + " (ngày " +
        fmtDate(state.rated_at) + "). Cảm ơn ông/bà.";
    }
    if (state && state.open) {
      form.reset();
      if (location.hash === "#danh-gia") form.scrollIntoView();
    }
  }
  $("#danh-gia").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const form = ev.target, button = form.querySelector("button[type=submit]");
    const checked = (name) => { const input = form.querySelector("input[name='" + name + "']:checked"); return input && input.value; };
    if (!checked("level")) { showError($("#rating-error"), "Vui lòng chọn mức độ hài lòng."); return; }
    const criteria = {};
    form.querySelectorAll("fieldset[data-criterion]").forEach((f) => {
      const value = checked("c_" + f.dataset.criterion); if (value) criteria[f.dataset.criterion] = value;
    });
    button.disabled = true; showError($("#rating-error"), "");
    try {
      const created = await call("/ratings", { code: verified.code, verifier: verified.verifier, level: checked("level"),
        criteria, comment: $("#rating-comment").value.trim() || null });
      form.classList.add("hidden");
      $("#rating-done").textContent = created.message; $("#rating-done").classList.remove("hidden");
    } catch (e) { showError($("#rating-error"), e.message); }
    finally { button.disabled = false; }
  });

  function renderTimeline(r) {
    const late = r.lateness ? el("span", { class: "late-" + r.lateness }, " · " + r.lateness_name) : "";
    return el("div", { class: "card result", id: "timeline" },
      el("h2", {}, "Hồ sơ " + r.code),
      el("div", { class: "muted" }, r.procedure_name),
      el("div", { class: "status" }, r.status_name, late),
      el("dl", { class: "facts" },
        el("dt", {}, "Người nộp"), el("dd", {}, r.applicant_name),
        el("dt", {}, "Ngày nộp"), el("dd", {}, fmtDate(r.submitted_at)),
        el("dt", {}, "Ngày tiếp nhận"), el("dd", {}, fmtDate(r.received_at)),
        el("dt", {}, "Hẹn trả kết quả"), el("dd", {}, fmtDate(r.due_at))),
      r.payment_url ? el("p", { class: "payment" }, "Hồ sơ chờ nộp " +
        r.payment_amount.toLocaleString("vi-VN") + " đồng phí, lệ phí: ",
        el("a", { href: r.payment_url, id: "thanh-toan" }, "Thanh toán trực tuyến")) : "",
      el("h3", {}, "Quá trình xử lý"),
      el("ol", { class: "timeline" }, r.timeline.map((t) => el("li", {},
        el("div", { class: "when" }, fmtTime(t.at)),
        el("div", { class: "step" }, t.step_name,
          t.on_time === true ? el("span", { class: "badge on" }, "đúng hạn") : "",
          t.on_time === false ? el("span", { class: "badge off" }, "trễ hạn") : ""),
        el("div", { class: "unit" }, (t.unit || "") + (t.next_unit ? " → " + t.next_unit : ""))))),
      (r.documents || []).length ? [el("h3", {}, "Giấy tờ của hồ sơ"), el("ul", { class: "documents" },
        r.documents.map((d) => {
          const button = el("button", { type: "button", class: "link", "data-document": d.id },
            d.title + " (" + fmtDate(d.created_at) + ")");
          button.addEventListener("click", () => download(d));
          return el("li", {}, button);
        }))] : "");
  }

  // A form is fetched by POST with the verifier that opened the timeline, then saved from memory.
  async function download(d) {
    showError($("#lookup-error"), "");
    const response = await fetch(API + "/documents/" + d.id, { method: "POST",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(verified) });
    if (!response.ok) {
      const data = await response.json().catch(() => ({}));
      showError($("#lookup-error"), data.detail || "Không tải được giấy tờ; vui lòng thử lại.");
      return;
    }
    const url = URL.createObjectURL(await response.blob());
    const link = el("a", { href: url, download: d.filename });
    document.body.append(link); link.click(); link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  async function lookup(form, path, body, render) {
    const button = form.querySelector("button"); button.disabled = true;
    showError($("#lookup-error"), ""); $("#lookup-result").replaceChildren(); showRating(null);
    try {
      const result = await call(path, body);
      $("#lookup-result").replaceChildren(render(result));
      if (path === "/lookup") { verified = { code: result.code, verifier: body.verifier }; showRating(result); }
    }
    catch (e) { showError($("#lookup-error"), e.message); }
    finally { button.disabled = false; }
  }

  $("#form-code").addEventListener("submit", (ev) => {
    ev.preventDefault();
    lookup(ev.target, "/lookup", { code: $("#code").value.trim(), verifier: $("#verifier").value.trim() || null }, renderTimeline);
  });

  $("#form-id").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const last4 = $("#phone_last4").value.trim();
    lookup(ev.target, "/lookup/by-id", { id_number: $("#id_number").value.trim(), phone_last4: last4 || null }, (data) =>
      el("div", { class: "card result", id: "id-results" }, el("h2", {}, "Hồ sơ của người có số định danh đã nhập"),
        data.items.map((d) => {
          const item = el("button", { class: "card list-item", type: "button" },
            el("strong", {}, d.code), el("div", { class: "muted" }, d.procedure_name),
            el("div", { class: "status" }, d.status_name), el("div", { class: "muted" }, "Nộp ngày " + fmtDate(d.submitted_at)));
          // The phone's last 4 digits are a valid verifier of the person's own dossiers.
          item.addEventListener("click", () => lookup(ev.target, "/lookup", { code: d.code, verifier: last4 }, renderTimeline));
          return item;
        })));
  });

  $("#form-name").addEventListener("submit", (ev) => {
    ev.preventDefault();
    lookup(ev.target, "/lookup/by-name", { full_name: $("#full_name").value.trim(),
      procedure_code: $("#procedure_code").value || null, received_on: $("#received_on").value || null }, (data) =>
      el("div", { class: "card result", id: "name-results" }, el("h2", {}, "Kết quả tra cứu theo họ tên"),
        data.items.length ? data.items.map((m) => el("div", { class: "card" }, el("strong", {}, m.code_hint),
          el("div", {}, m.applicant_name + " · " + m.procedure_name), el("div", { class: "status" }, m.status_name)))
          : el("p", { class: "muted" }, "Không có hồ sơ nào khớp thông tin đã nhập."),
        data.truncated ? el("p", { class: "muted" }, "Còn hồ sơ khác; vui lòng tra cứu bằng mã hồ sơ.") : ""));
  });

  $("#form-feedback").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const button = ev.target.querySelector("button"); button.disabled = true;
    showError($("#feedback-error"), ""); $("#feedback-result").replaceChildren();
    const body = { category: $("#category").value, content: $("#content").value.trim(),
      dossier_code: $("#fb_dossier_code").value.trim() || null, contact_name: $("#contact_name").value.trim() || null,
      contact_phone: $("#contact_phone").value.trim() || null };
    try {
      const created = await call("/feedback", body);
      $("#feedback-result").replaceChildren(el("div", { class: "ok", id: "feedback-ok" }, created.message));
      ev.target.reset();
    } catch (e) { showError($("#feedback-error"), e.message); }
    finally { button.disabled = false; }
  });

  function renderServices(items) {
    $("#service-list").replaceChildren(...items.map((p) => el("details", { class: "card" },
      el("summary", {}, p.name), el("div", { class: "muted" }, p.field + " · " + p.authority),
      el("p", {}, el("strong", {}, "Thời hạn giải quyết: "), p.time_limit),
      el("strong", {}, "Thành phần hồ sơ"), el("ul", {}, p.documents.map((d) => el("li", {}, d))),
      el("strong", {}, "Phí, lệ phí"), el("ul", {}, p.fees.map((f) => el("li", {}, f))),
      el("p", {}, el("strong", {}, "Nơi nộp: "), p.where_to_submit))));
  }
  let searchTimer = null;
  $("#service-search").addEventListener("input", (ev) => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => call("/procedures?q=" + encodeURIComponent(ev.target.value.trim()))
      .then((d) => renderServices(d.items)).catch(() => {}), 250);
  });

  call("/procedures").then((data) => {
    renderServices(data.items);
    $("#procedure_code").append(...data.items.map((p) => el("option", { value: p.code }, p.name)));
  }).catch(() => {});
  call("/news").then((data) => {
    $("#news-list").replaceChildren(...(data.items.length ? data.items.map((n) => el("article", { class: "card news" },
      el("h3", {}, n.title), el("div", { class: "muted" }, (n.kind === "guide" ? "Hướng dẫn · " : "") + fmtDate(n.published_at)),
      el("p", {}, n.summary), n.body ? el("details", {}, el("summary", {}, "Xem chi tiết"), el("p", {}, n.body)) : "",
      n.video_url ? el("a", { href: n.video_url, target: "_blank", rel: "noopener" }, "▶ Xem video hướng dẫn") : ""))
      : [el("p", { class: "muted" }, "Chưa có tin tức.")]));
  }).catch(() => {});
})();
