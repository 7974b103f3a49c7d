// Hồ sơ quá hạn: the dossiers past their appointment in the official's scope, the longest overdue first
// (GET /dossiers?overdue=true&sort=due_at), with the step each is at and who holds it (full name and title).
(function () {
  "use strict";
  const { api, shell, admin } = window.Motcua;
  const { el, fmt } = shell;
  const DAY = 24 * 3600 * 1000;
  let current = 1;

  function late(dueAt) {
    const days = Math.floor((Date.now() - new Date(dueAt).getTime()) / DAY);
    return days >= 1 ? `Quá hạn ${days} ngày` : "Quá hạn";
  }

  function steps(dossier) {
    if (!dossier.current_steps.length) return el("span", { class: "muted" }, dossier.status_name);
    return dossier.current_steps.map((s) => el("div", { class: "step" }, el("strong", {}, s.name)));
  }

  function holders(dossier) {
    if (!dossier.current_steps.length) return "—";
    return dossier.current_steps.map((s) => el("div", { "data-holder": s.assignee || "" }, admin.holder(s)));
  }

  async function render(main, arg) {
    const page = await api.get("/dossiers", { overdue: "true", sort: "due_at", page: current, page_size: 20 });
    const list = page.items.length ? el("table", { class: "list", id: "ho-so-qua-han" },
      el("thead", {}, el("tr", {}, ["Hồ sơ", "Người nộp", "Hạn trả kết quả", "Bước đang xử lý", "Người đang giữ",
        "Cơ quan giải quyết"].map((t) => el("th", {}, t)))),
      el("tbody", {}, page.items.map((d) => el("tr", { class: "overdue", "data-code": d.code },
        el("td", {}, admin.dossierLink(d.code), el("div", { class: "muted" }, d.procedure_name)),
        el("td", {}, d.applicant.full_name),
        el("td", {}, fmt.time(d.due_at), el("div", {}, el("span", { class: "badge off" }, late(d.due_at)))),
        el("td", {}, steps(d)),
        el("td", { class: "who-cell" }, holders(d)),
        el("td", {}, d.agency_name || d.department)))))
      : el("div", { class: "empty" }, "Không có hồ sơ nào quá hạn.");
    main.replaceChildren(el("h1", {}, "Hồ sơ quá hạn"),
      el("p", { class: "muted", id: "tong-qua-han" }, `${admin.number(page.total)} hồ sơ đã quá hạn trả kết quả mà chưa giải quyết xong, `
        + "hồ sơ quá hạn lâu nhất ở đầu danh sách."),
      list, admin.pager(page, (n) => { current = n; render(main, arg); }));
  }

  shell.section({ id: "qua-han", label: "Hồ sơ quá hạn", roles: ["LANH_DAO_PHONG", "GIAM_SAT", "LANH_DAO_SO", "GIAM_SAT_TINH"],
    render });
})();
