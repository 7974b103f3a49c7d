// Tin nhắn lỗi: the messages to citizens by state (GET /admin/messages), the reason as the relay recorded it, the
// recipient masked; "Gửi lại" one, or every message of the state after a confirmation, and the API's answer.
(function () {
  "use strict";
  const { api, shell, admin } = window.Motcua;
  const { el, fmt } = shell;

  const TABS = [["dead", "Gửi thất bại"], ["unreachable", "Không đến được người nhận"], ["waiting", "Đang chờ gửi"],
    ["sent", "Đã gửi"]];
  const NAMES = Object.fromEntries(TABS);
  const view = { state: "dead", page: 1 };
  const outcome = el("div", { id: "ket-qua-gui-lai" });

  function resentText(answer) {
    if (!answer.resent) return `Không có tin nhắn “${NAMES[answer.state]}” nào cần gửi lại.`;
    return `Đã đưa ${answer.resent} tin nhắn vào hàng đợi để gửi lại: ${answer.ids.map((id) => "#" + id).join(", ")}.`;
  }

  async function render(main) {
    const [page, ...counts] = await Promise.all([
      api.get("/admin/messages", { state: view.state, page: view.page, page_size: 20 }),
      ...TABS.map(([state]) => api.get("/admin/messages", { state, page_size: 1 }))]);
    const totals = Object.fromEntries(TABS.map(([state], i) => [state, counts[i].total]));
    const tabs = el("div", { class: "tabs", role: "tablist" }, TABS.map(([state, label]) =>
      el("button", { type: "button", role: "tab", class: "tab" + (state === view.state ? " active" : ""),
        "aria-selected": state === view.state ? "true" : "false", "data-state": state,
        onclick: () => { Object.assign(view, { state, page: 1 }); outcome.replaceChildren(); render(main); } },
      label, el("span", { class: "count" }, admin.number(totals[state])))));
    const confirmSlot = el("div");
    const resendAll = view.state !== "sent" && page.total ? el("button", { type: "button", class: "primary", id: "gui-lai-tat-ca",
      onclick: () => admin.confirmBox(confirmSlot, {
        text: `Gửi lại tất cả ${page.total} tin nhắn “${NAMES[view.state]}”? Chỉ gửi lại khi đã khắc phục nguyên nhân `
          + "(kết nối Zalo, mẫu tin nhắn); mỗi tin được đưa lại vào hàng đợi một lần.",
        yes: "Gửi lại tất cả",
        onYes: async () => {
          const answer = await api.post("/admin/messages/resend", { state: view.state });
          await render(main);
          admin.result(outcome, resentText(answer)); // once the list under it is the new one
        },
      }) }, "Gửi lại tất cả") : null;

    const rows = page.items.map((m) => el("tr", { "data-message": m.id },
      el("td", {}, "#" + m.id), el("td", { class: "subject-cell" }, admin.dossierLink(m.subject), el("span", { class: "code" }, m.event)),
      el("td", {}, m.recipient), el("td", {}, m.reason ? el("div", { class: "reason" }, m.reason) : "—"),
      el("td", { class: "num" }, admin.number(m.attempts)),
      el("td", {}, el("div", {}, "Tạo: " + fmt.time(m.created_at)),
        m.last_attempt_at ? el("div", {}, "Gửi gần nhất: " + fmt.time(m.last_attempt_at)) : null,
        m.next_attempt_at ? el("div", {}, "Gửi lại lúc: " + fmt.time(m.next_attempt_at)) : null,
        m.sent_at ? el("div", {}, "Đã gửi: " + fmt.time(m.sent_at)) : null),
      el("td", {}, m.state === "sent" ? null : el("button", { type: "button", class: "secondary", "data-resend": m.id,
        onclick: async (ev) => {
          ev.target.disabled = true;
          try {
            const answer = await api.post(`/admin/messages/${m.id}/resend`);
            await render(main);
            admin.result(outcome, `Đã đưa tin nhắn #${answer.id} vào hàng đợi để gửi lại.`);
          } catch (error) {
            admin.result(outcome, error.fullMessage || error.message, "error");
            ev.target.disabled = false;
          }
        } }, "Gửi lại"))));

    main.replaceChildren(el("h1", {}, "Tin nhắn Zalo gửi công dân"), tabs, outcome,
      el("div", { class: "actions" }, resendAll), confirmSlot,
      page.items.length ? el("table", { class: "list", id: "danh-sach-tin-nhan" },
        el("thead", {}, el("tr", {}, ["Mã", "Hồ sơ / sự kiện", "Người nhận", "Lý do", "Số lần gửi", "Thời điểm", ""]
          .map((t) => el("th", {}, t)))), el("tbody", {}, rows))
        : el("div", { class: "empty" }, `Không có tin nhắn “${NAMES[view.state]}”.`),
      admin.pager(page, (n) => { view.page = n; render(main); }));
  }

  shell.section({ id: "tin-nhan-loi", label: "Tin nhắn lỗi", roles: ["QUAN_TRI"], render: (main) => {
    outcome.replaceChildren();
    return render(main);
  } });
})();
