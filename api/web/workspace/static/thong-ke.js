// Thống kê: the on-time statistics of QĐ 766 for a period, per competent agency and procedure, with each agency's
// subtotal and the total (GET /registers/statistics). The province's supervisors may narrow it to one agency.
(function () {
  "use strict";
  const { api, shell, admin } = window.Motcua;
  const { el, fmt } = shell;
  const { number, rate } = admin;

  const PERIODS = [["thang-nay", "Tháng này"], ["thang-truoc", "Tháng trước"], ["quy-nay", "Quý này"],
    ["nam-nay", "Năm nay"], ["tuy-chon", "Tùy chọn"]];
  // Kept while the official moves between pages: the report they asked for last.
  const state = { period: "thang-nay", from: "", to: "", agency: "" };
  let names = null; // {agencies: code → name, procedures: code → name}, loaded once

  const pad = (n) => String(n).padStart(2, "0");
  function range(period) {
    const [y, m, d] = admin.today().split("-").map(Number);
    const last = (year, month) => new Date(Date.UTC(year, month, 0)).getUTCDate(); // month 1–12
    if (period === "thang-truoc") {
      const [py, pm] = m === 1 ? [y - 1, 12] : [y, m - 1];
      return [`${py}-${pad(pm)}-01`, `${py}-${pad(pm)}-${pad(last(py, pm))}`];
    }
    if (period === "quy-nay") return [`${y}-${pad(Math.floor((m - 1) / 3) * 3 + 1)}-01`, `${y}-${pad(m)}-${pad(d)}`];
    if (period === "nam-nay") return [`${y}-01-01`, `${y}-${pad(m)}-${pad(d)}`];
    return [`${y}-${pad(m)}-01`, `${y}-${pad(m)}-${pad(d)}`];
  }

  async function loadNames() {
    if (names) return names;
    const [agencies, procedures] = await Promise.all([api.get("/agencies"), api.get("/procedures")]);
    names = { agencies: {}, procedures: {}, list: agencies.items };
    agencies.items.forEach((a) => { names.agencies[a.code] = a.name; });
    procedures.items.forEach((p) => { names.procedures[p.code] = p.name; });
    return names;
  }

  function scopeText(me) {
    if (me.roles.includes("GIAM_SAT_TINH")) return "Toàn tỉnh";
    if (me.roles.includes("GIAM_SAT") || me.roles.includes("LANH_DAO_SO")) return "Các hồ sơ thuộc thẩm quyền của cơ quan";
    return "Các hồ sơ của " + me.department.name;
  }

  const COUNTS = ["received", "carried_over", "finished_early", "finished_on_time", "finished_late",
    "in_progress_on_time", "in_progress_late"];

  function row(kind, label, code, data) {
    return el("tr", { class: kind, "data-row": code },
      el("td", { class: kind === "procedure" ? "indent" : null }, label,
        kind === "procedure" ? el("span", { class: "code" }, code) : null),
      COUNTS.map((key) => el("td", { class: "num", "data-col": key }, number(data[key]))),
      el("td", { class: "num", "data-col": "on_time_rate" }, rate(data.on_time_rate)),
      el("td", { class: "num", "data-col": "satisfaction" }, rate(data.satisfaction && data.satisfaction.satisfaction_rate)));
  }

  function table(report) {
    const body = [];
    report.agencies.forEach((agency) => {
      body.push(row("subtotal", names.agencies[agency.agency_code] || agency.agency_code, agency.agency_code, agency));
      report.rows.filter((r) => r.agency_code === agency.agency_code).forEach((r) =>
        body.push(row("procedure", names.procedures[r.procedure_code] || r.procedure_code, r.procedure_code, r)));
    });
    body.push(row("total", "Tổng cộng", "*", report.total));
    return el("div", { class: "scroll" }, el("table", { class: "stats", id: "bang-thong-ke" },
      el("colgroup", {}, el("col", { class: "name" }), Array.from({ length: 9 }, () => el("col", { class: "count" }))),
      el("thead", {},
        el("tr", {},
          el("th", { rowspan: 2 }, "Cơ quan / Thủ tục"),
          el("th", { rowspan: 2, class: "num" }, "Tiếp nhận mới trong kỳ"),
          el("th", { rowspan: 2, class: "num" }, "Kỳ trước chuyển sang"),
          el("th", { colspan: 3, class: "group" }, "Đã giải quyết"),
          el("th", { colspan: 2, class: "group" }, "Đang giải quyết"),
          el("th", { rowspan: 2, class: "num" }, "Tỷ lệ đúng hạn"),
          el("th", { rowspan: 2, class: "num" }, "Tỷ lệ hài lòng")),
        el("tr", {}, ["Trước hạn", "Đúng hạn", "Quá hạn", "Trong hạn", "Quá hạn"].map((t) => el("th", { class: "num" }, t)))),
      el("tbody", {}, body)));
  }

  async function render(main, arg, me) {
    await loadNames();
    if (!state.from) [state.from, state.to] = range(state.period);
    const province = me.roles.includes("GIAM_SAT_TINH");
    const output = el("div", { id: "ket-qua-thong-ke" });
    const period = el("select", { id: "ky-bao-cao", name: "period" },
      PERIODS.map(([value, label]) => el("option", { value, selected: value === state.period }, label)));
    const from = el("input", { id: "tu-ngay", type: "date", name: "from", value: state.from, required: true });
    const to = el("input", { id: "den-ngay", type: "date", name: "to", value: state.to, required: true });
    const agency = province ? el("select", { id: "co-quan", name: "agency" },
      el("option", { value: "" }, "Tất cả cơ quan"),
      names.list.map((a) => el("option", { value: a.code, selected: a.code === state.agency },
        a.name + (a.closed_on && !a.name.includes("giải thể") ? " (đã giải thể)" : "")))) : null;
    period.addEventListener("change", () => {
      state.period = period.value;
      if (period.value !== "tuy-chon") { [from.value, to.value] = range(period.value); }
    });
    [from, to].forEach((input) => input.addEventListener("change", () => { state.period = "tuy-chon"; period.value = "tuy-chon"; }));

    async function show() {
      Object.assign(state, { from: from.value, to: to.value, agency: agency ? agency.value : "" });
      output.replaceChildren(el("p", { class: "muted" }, "Đang tổng hợp…"));
      try {
        const report = await api.get("/registers/statistics", { from: state.from, to: state.to, agency: state.agency });
        const caption = el("p", { class: "muted", id: "pham-vi" },
          `Kỳ báo cáo: ${fmt.date(report.period_from + "T12:00:00+07:00")} – ${fmt.date(report.period_to + "T12:00:00+07:00")}`
          + ` · Phạm vi: ${state.agency ? names.agencies[state.agency] || state.agency : scopeText(me)}`
          + " · Cách tính theo Quyết định 766/QĐ-TTg: hồ sơ đang giải quyết được xét tại cuối kỳ.");
        output.replaceChildren(caption, report.agencies.length ? table(report)
          : el("div", { class: "empty" }, "Không có hồ sơ nào trong kỳ báo cáo."));
      } catch (error) {
        output.replaceChildren(shell.alertBox(error.fullMessage || error.message));
      }
    }

    const form = el("form", { class: "filters", id: "loc-thong-ke", novalidate: true },
      el("label", {}, "Kỳ báo cáo", period), el("label", {}, "Từ ngày", from), el("label", {}, "Đến ngày", to),
      agency ? el("label", {}, "Cơ quan giải quyết", agency) : null,
      el("div", { class: "actions" }, el("button", { type: "submit", class: "primary" }, "Xem thống kê")));
    form.addEventListener("submit", (ev) => { ev.preventDefault(); show(); });
    main.replaceChildren(el("h1", {}, "Thống kê kết quả giải quyết hồ sơ"), form, output);
    await show();
  }

  shell.section({ id: "thong-ke", label: "Thống kê", roles: ["LANH_DAO_PHONG", "GIAM_SAT", "LANH_DAO_SO", "GIAM_SAT_TINH"],
    render });
})();
