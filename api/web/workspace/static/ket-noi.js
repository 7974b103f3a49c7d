// Kết nối Zalo: the Zalo OA connection as the system holds it (never a token), its last error and the link to
// connect or reconnect (Zalo's permission page, single use, ten minutes); beside it the DVCQG sync's failed calls.
(function () {
  "use strict";
  const { api, shell, admin } = window.Motcua;
  const { el, fmt } = shell;

  const STATES = {
    granted: ["Đã kết nối", "on"],
    not_granted: ["Chưa kết nối", "off"],
    refresh_failed: ["Mất kết nối: không làm mới được mã truy cập", "off"],
  };

  function facts(pairs) {
    return el("dl", { class: "facts" }, pairs.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  }

  function zaloCard(zalo, main) {
    const [label, tone] = STATES[zalo.state] || [zalo.state, "info"];
    const grant = el("div", { id: "cap-quyen" });
    const start = el("button", { type: "button", class: zalo.state === "granted" ? "secondary" : "primary", id: "ket-noi-lai" },
      zalo.state === "granted" ? "Kết nối lại Zalo OA" : "Kết nối Zalo OA");
    start.addEventListener("click", async () => {
      start.disabled = true;
      try {
        const answer = await api.post("/admin/zalo/grant");
        grant.replaceChildren(el("div", { class: "ok" },
          el("p", {}, el("a", { href: answer.authorization_url, target: "_blank", rel: "noopener noreferrer", id: "trang-cap-quyen" },
            "Mở trang cấp quyền của Zalo"), " — đăng nhập bằng tài khoản quản trị Zalo OA rồi chọn “Cho phép”."),
          el("p", { class: "muted" }, `Đường dẫn dùng một lần, có hiệu lực đến ${fmt.time(answer.expires_at)}. Zalo sẽ chuyển về `
            + `${answer.redirect_uri}; sau đó bấm “Tải lại trạng thái”.`)));
      } catch (error) {
        grant.replaceChildren(shell.alertBox(error.fullMessage || error.message));
      } finally { start.disabled = false; }
    });
    return el("section", { class: "card", id: "zalo" },
      el("h2", {}, "Zalo OA"),
      el("div", { class: "state-line" }, "Trạng thái:", el("span", { class: "badge " + tone, id: "trang-thai-zalo" }, label),
        el("span", { class: "badge " + (zalo.can_send ? "on" : "off") }, zalo.can_send ? "Gửi được tin nhắn" : "Chưa gửi được tin nhắn")),
      facts([
        ["Cấp quyền lúc", fmt.time(zalo.granted_at)],
        ["Làm mới mã truy cập gần nhất", fmt.time(zalo.last_refresh_at)],
        ["Mã truy cập hết hạn lúc", fmt.time(zalo.access_expires_at)],
        ["Lần làm mới tiếp theo", fmt.time(zalo.next_refresh_at)],
        ["Số lần làm mới thất bại liên tiếp", admin.number(zalo.refresh_failures)],
        ["Lỗi gần nhất", zalo.last_error ? el("span", { id: "loi-zalo" }, el("span", { class: "reason" }, zalo.last_error),
          " (" + fmt.time(zalo.last_error_at) + ")") : "Không có"],
      ]),
      el("div", { class: "actions" }, start,
        el("button", { type: "button", class: "secondary", onclick: () => render(main) }, "Tải lại trạng thái")),
      grant);
  }

  function dvcqgCard(dead, pending, main) {
    const outcome = el("div");
    const rows = dead.items.map((item) => el("tr", { "data-sync": item.id },
      el("td", {}, admin.dossierLink(item.dossier_code)), el("td", {}, item.kind_name),
      el("td", {}, el("div", { class: "reason" }, item.last_error || "—")), el("td", { class: "num" }, admin.number(item.attempts)),
      el("td", {}, fmt.time(item.last_attempt_at)),
      el("td", {}, el("button", { type: "button", class: "secondary", onclick: async (ev) => {
        ev.target.disabled = true;
        try {
          await api.post(`/admin/dvcqg/sync/${item.id}/resend`);
          await render(main);
        } catch (error) {
          admin.result(outcome, error.fullMessage || error.message, "error");
          ev.target.disabled = false;
        }
      } }, "Gửi lại"))));
    return el("section", { class: "card", id: "dvcqg" },
      el("h2", {}, "Đồng bộ Cổng Dịch vụ công quốc gia"),
      el("div", { class: "summary" },
        el("span", {}, "Đồng bộ thất bại: ", el("strong", { id: "dvcqg-that-bai" }, admin.number(dead.total))),
        el("span", {}, "Đang chờ gửi: ", el("strong", {}, admin.number(pending.total)))),
      outcome,
      dead.items.length ? el("table", { class: "list" },
        el("thead", {}, el("tr", {}, ["Hồ sơ", "Nội dung", "Lỗi gần nhất", "Số lần gửi", "Gửi gần nhất", ""].map((t) => el("th", {}, t)))),
        el("tbody", {}, rows)) : el("p", { class: "muted" }, "Không có lần đồng bộ nào thất bại."));
  }

  async function render(main) {
    const [zalo, dead, pending] = await Promise.all([api.get("/admin/zalo"),
      api.get("/admin/dvcqg/sync", { status: "dead", page_size: 10 }), api.get("/admin/dvcqg/sync", { status: "pending", page_size: 1 })]);
    main.replaceChildren(el("h1", {}, "Kết nối Zalo và DVCQG"), zaloCard(zalo, main), dvcqgCard(dead, pending, main));
  }

  shell.section({ id: "ket-noi", label: "Kết nối Zalo", roles: ["QUAN_TRI"], render });
})();
