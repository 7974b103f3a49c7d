// Sự cố: steps of a process that failed (a form not rendered, a status the rules refuse…), each with its element
// and the reason as the engine recorded it; "Chạy lại" once the cause is fixed, after a confirmation, and the outcome.
(function () {
  "use strict";
  const { api, shell, admin } = window.Motcua;
  const { el, fmt } = shell;
  const outcome = el("div", { id: "ket-qua-su-co" });

  function describe(answer) {
    const code = answer.dossier_code;
    if (answer.status === "incident") {
      return [`Chạy lại chưa thành công: bước vẫn gặp lỗi, hồ sơ ${code} có sự cố mới (xem lý do trong danh sách).`, "error"];
    }
    if (answer.status === "completed") return [`Đã chạy lại thành công: quy trình của hồ sơ ${code} đã kết thúc.`, "ok"];
    return [`Đã chạy lại thành công: hồ sơ ${code} tiếp tục được xử lý.`, "ok"];
  }

  async function render(main) {
    const page = await api.get("/incidents");
    const rows = page.items.flatMap((i) => {
      const slot = el("td", { colspan: 6 });
      const confirmRow = el("tr", { class: "confirm-row" }, slot);
      const retry = el("button", { type: "button", class: "secondary", "data-retry": i.id, onclick: () =>
        admin.confirmBox(slot, {
          text: `Chạy lại bước “${i.element_id}” của hồ sơ ${i.dossier_code}? Chỉ chạy lại khi đã khắc phục nguyên nhân lỗi.`,
          yes: "Chạy lại",
          onYes: async () => {
            const answer = await api.post(`/incidents/${i.id}/retry`);
            const [message, kind] = describe(answer);
            await render(main);
            admin.result(outcome, message, kind); // once the list under it is the new one
          },
        }) }, "Chạy lại");
      return [el("tr", { "data-incident": i.id },
        el("td", {}, "#" + i.id), el("td", {}, admin.dossierLink(i.dossier_code), el("span", { class: "code" }, i.process_key)),
        el("td", {}, el("code", {}, i.element_id)), el("td", {}, el("div", { class: "reason" }, i.reason)),
        el("td", {}, fmt.time(i.created_at)), el("td", {}, retry)), confirmRow];
    });
    main.replaceChildren(el("h1", {}, "Sự cố xử lý quy trình"), outcome,
      page.items.length ? el("table", { class: "list", id: "danh-sach-su-co" },
        el("thead", {}, el("tr", {}, ["Mã", "Hồ sơ", "Bước lỗi", "Lý do", "Phát sinh lúc", ""].map((t) => el("th", {}, t)))),
        el("tbody", {}, rows))
        : el("div", { class: "empty" }, "Không có sự cố nào đang chờ xử lý."));
  }

  shell.section({ id: "su-co", label: "Sự cố", roles: ["QUAN_TRI"], render: (main) => {
    outcome.replaceChildren();
    return render(main);
  } });
})();
