// Hộp công việc (#/hop-thu/<tab>): the open steps for the official's role in three tabs — mine, to claim, the
// department's — each with its count and overdue count (GET /tasks/counts), soonest due first, overdue and
// due-soon marked, filtered by procedure and dossier status, twenty to a page.
(function () {
  "use strict";
  const { api, shell } = window.Motcua;
  const { el, fmt } = shell;

  const TABS = [
    { id: "cua-toi", scope: "mine", label: "Của tôi" },
    { id: "cho-nhan", scope: "candidate", label: "Chờ nhận" },
    { id: "cua-phong", scope: "all", label: "Của phòng" },
  ];
  // DossierOut.status → its name (workflows/dossiers/statuses.py SUB_STATUS_NAMES), for the filter.
  const STATUSES = [
    ["DA_TIEP_NHAN", "Đã tiếp nhận"], ["CHO_PHAN_CONG", "Chờ phân công thụ lý"],
    ["KIEM_TRA_THUC_TE", "Đang kiểm tra thực tế"], ["DANG_THAM_DINH", "Đang thẩm định"],
    ["CHO_XEM_XET", "Chờ lãnh đạo phòng xem xét"], ["CHO_KY_DUYET", "Chờ lãnh đạo ký duyệt"],
    ["CHO_PHAT_HANH", "Chờ văn thư phát hành"], ["CHO_NGHIA_VU_TAI_CHINH", "Chờ thực hiện nghĩa vụ tài chính"],
    ["CHO_BO_SUNG", "Chờ bổ sung hồ sơ"], ["DA_XU_LY_XONG", "Đã có kết quả"], ["MOI_DANG_KY", "Mới đăng ký, chờ tiếp nhận"],
    ["YEU_CAU_RUT", "Công dân yêu cầu rút hồ sơ"],
  ];
  const PAGE_SIZE = 20;
  const state = { procedure: "", status: "", overdue: false, page: 1 };
  let procedures = null;

  async function render(main, tabId, me) {
    const supervisor = !me.roles.some((r) => ["MOT_CUA", "LANH_DAO_PHONG", "CHUYEN_VIEN", "LANH_DAO_SO", "VAN_THU"].includes(r));
    const tab = TABS.find((t) => t.id === tabId) || (supervisor ? TABS[2] : TABS[0]);
    if (!procedures) procedures = (await api.get("/procedures")).items;
    const filter = { procedure_code: state.procedure, status: state.status };
    const [counts, page] = await Promise.all([
      api.get("/tasks/counts", filter),
      api.get("/tasks", { ...filter, scope: tab.scope, overdue: state.overdue ? "true" : "", page: state.page,
        page_size: PAGE_SIZE }),
    ]);
    if (page.total && !page.items.length && state.page > 1) { state.page = 1; return render(main, tabId, me); }

    const tabs = el("div", { class: "tabs", role: "tablist" }, TABS.map((t) => {
      const c = counts[t.scope];
      return el("a", { href: "#/hop-thu/" + t.id, role: "tab", class: "tab" + (t === tab ? " active" : ""),
        "aria-selected": t === tab ? "true" : "false", "data-tab": t.id, onclick: () => { state.page = 1; } },
        t.label, el("span", { class: "count", "data-count": t.id }, String(c.total)),
        c.overdue ? el("span", { class: "badge off", title: "Số công việc quá hạn" }, c.overdue + " quá hạn") : null);
    }));

    const procedureSelect = el("select", { id: "filter-procedure" }, el("option", { value: "" }, "Tất cả thủ tục"),
      procedures.map((p) => el("option", { value: p.code }, p.name)));
    procedureSelect.value = state.procedure;
    const statusSelect = el("select", { id: "filter-status" }, el("option", { value: "" }, "Tất cả trạng thái"),
      STATUSES.map(([value, name]) => el("option", { value }, name)));
    statusSelect.value = state.status;
    const overdueBox = el("input", { type: "checkbox", id: "filter-overdue" });
    overdueBox.checked = state.overdue;
    const apply = () => {
      state.procedure = procedureSelect.value; state.status = statusSelect.value; state.overdue = overdueBox.checked;
      state.page = 1; render(main, tab.id, me);
    };
    [procedureSelect, statusSelect, overdueBox].forEach((x) => x.addEventListener("change", apply));
    const filters = el("div", { class: "filters" },
      el("label", {}, "Thủ tục", procedureSelect), el("label", {}, "Trạng thái hồ sơ", statusSelect),
      el("label", { class: "choice" }, overdueBox, "Chỉ công việc quá hạn"));

    const pages = Math.max(1, Math.ceil(page.total / PAGE_SIZE));
    const move = (delta) => { state.page += delta; render(main, tab.id, me); };
    const pager = el("div", { class: "pager" },
      el("button", { type: "button", class: "secondary", disabled: state.page <= 1, onclick: () => move(-1) }, "‹ Trang trước"),
      el("span", { id: "page-info" }, "Trang " + state.page + "/" + pages + " · " + page.total + " công việc"),
      el("button", { type: "button", class: "secondary", disabled: state.page >= pages, onclick: () => move(1) }, "Trang sau ›"));

    shell.fill(main, el("h1", {}, "Hộp công việc"), tabs, filters,
      page.items.length ? table(page.items, tab, me, main) : el("div", { class: "empty" }, emptyText(tab)),
      page.total > PAGE_SIZE ? pager : null);
  }

  function emptyText(tab) {
    return { mine: "Bạn chưa nhận công việc nào.", candidate: "Không có công việc chờ nhận.",
      all: "Phòng không có công việc đang mở." }[tab.scope];
  }

  function table(items, tab, me, main) {
    return el("table", { class: "list", id: "inbox" },
      el("thead", {}, el("tr", {}, ["Hồ sơ", "Thủ tục, người nộp", "Bước xử lý", "Hạn xử lý", ""].map((h) => el("th", {}, h)))),
      el("tbody", {}, items.map((t) => {
        const row = el("tr", { class: t.overdue ? "overdue" : t.due_soon ? "soon" : "", "data-dossier": t.dossier_code },
          el("td", {}, el("a", { href: "#/ho-so/" + encodeURIComponent(t.dossier_code) }, t.dossier_code),
            el("div", { class: "muted" }, t.dossier_status_name)),
          el("td", {}, t.procedure_name, el("div", { class: "muted" }, t.applicant_name)),
          el("td", {}, t.title || t.name,
            t.handover ? el("div", { class: "handover" }, t.handover)
              : t.assignee && t.assignee !== me.username ? el("div", { class: "muted" }, "Cán bộ khác đã nhận") : null),
          el("td", {}, fmt.time(t.due_at), shell.dueBadge(t.overdue, t.due_soon)),
          el("td", {}, actions(t, tab, me, main)));
        return row;
      })));
  }

  function actions(task, tab, me, main) {
    const open = el("a", { href: "#/cong-viec/" + encodeURIComponent(task.id), class: "primary-link" }, "Xử lý");
    if (task.assignee) return open;
    const claim = el("button", { type: "button", class: "secondary" }, "Nhận việc");
    claim.addEventListener("click", async () => {
      claim.disabled = true;
      try {
        await api.post("/tasks/" + encodeURIComponent(task.id) + "/claim");
        shell.toast("Đã nhận công việc của hồ sơ " + task.dossier_code + ".");
        render(main, tab.id, me);
      } catch (error) { shell.toast(error.fullMessage, "error"); claim.disabled = false; }
    });
    return el("div", { class: "actions" }, claim, open);
  }

  shell.section({ id: "hop-thu", label: "Hộp công việc", roles: ["MOT_CUA", "LANH_DAO_PHONG", "CHUYEN_VIEN",
    "LANH_DAO_SO", "VAN_THU", "GIAM_SAT", "GIAM_SAT_TINH"], render });
})();
