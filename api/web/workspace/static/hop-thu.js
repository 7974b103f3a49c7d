// Hộp công việc: the official's open work items (first version: their own, soonest due first).
(function () {
  "use strict";
  const { api, shell } = window.Motcua;
  const { el, fmt } = shell;

  async function render(main) {
    const page = await api.get("/tasks", { scope: "mine" });
    main.replaceChildren(el("h1", {}, "Hộp công việc"),
      page.items.length ? el("table", { class: "list" },
        el("thead", {}, el("tr", {}, el("th", {}, "Hồ sơ"), el("th", {}, "Bước"), el("th", {}, "Hạn xử lý"))),
        el("tbody", {}, page.items.map((t) => el("tr", {},
          el("td", {}, t.dossier_code), el("td", {}, t.title || t.name),
          el("td", {}, fmt.time(t.due_at), shell.dueBadge(t.due_at, t.overdue))))))
        : el("div", { class: "empty" }, "Không có công việc nào."));
  }

  shell.section({ id: "hop-thu", label: "Hộp công việc", roles: ["MOT_CUA", "LANH_DAO_PHONG", "CHUYEN_VIEN",
    "LANH_DAO_SO", "VAN_THU", "GIAM_SAT", "GIAM_SAT_TINH"], render });
})();
