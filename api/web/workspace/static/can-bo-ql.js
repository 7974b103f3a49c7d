// Cán bộ: the officials with department, title, roles and state (disabled; logins held back after failed
// attempts); create one, change roles, disable or enable again, unlock. Shown by full name and title; the login
// name only as a detail under it.
(function () {
  "use strict";
  const { api, shell, admin } = window.Motcua;
  const { el, fmt } = shell;
  const ROLES = Object.keys(shell.ROLE_LABELS);
  const view = { page: 1, department: "" };
  const outcome = el("div", { id: "ket-qua-can-bo" });
  let departments = null;

  function roleChoices(name, chosen) {
    return el("div", { class: "role-choices", "data-field": "roles" }, ROLES.map((role) => el("label", {},
      el("input", { type: "checkbox", name, value: role, checked: chosen.includes(role) }), shell.ROLE_LABELS[role])));
  }
  const checked = (root, name) => [...root.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);

  function states(o) {
    const out = [o.disabled ? el("span", { class: "badge off", "data-state": "disabled" }, "Đã vô hiệu hóa")
      : el("span", { class: "badge on", "data-state": "active" }, "Đang hoạt động")];
    if (o.login_blocked_until) {
      out.push(el("span", { class: "badge soon", "data-state": "locked" }, "Tạm khóa đăng nhập đến " + fmt.time(o.login_blocked_until)));
    }
    return out;
  }

  function actions(o, slot, main, me) {
    // The outcome is written once the list under it is the new one (the next action acts on fresh rows).
    const done = async (message) => { await render(main, me); admin.result(outcome, message); };
    const buttons = [el("button", { type: "button", class: "secondary", "data-action": "roles", onclick: () => {
      const form = el("form", { class: "confirm" }, el("p", {}, `Vai trò của ${o.full_name}:`), roleChoices("roles-" + o.username, o.roles));
      const error = el("div", { class: "alert hidden", role: "alert" });
      form.append(error, el("div", { class: "actions" }, el("button", { type: "submit", class: "primary" }, "Lưu vai trò"),
        el("button", { type: "button", class: "secondary", onclick: () => form.remove() }, "Hủy")));
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        try {
          const saved = await api.request(`/officials/${encodeURIComponent(o.username)}/roles`,
            { method: "PUT", json: { roles: checked(form, "roles-" + o.username) } });
          await done(`Đã cập nhật vai trò của ${saved.full_name}: ${saved.roles.map((r) => shell.ROLE_LABELS[r] || r).join(", ")}.`);
        } catch (err) {
          error.textContent = err.fullMessage || err.message;
          error.classList.remove("hidden");
        }
      });
      slot.replaceChildren(form);
    } }, "Đổi vai trò")];
    if (o.disabled) {
      buttons.push(el("button", { type: "button", class: "secondary", "data-action": "enable", onclick: () => admin.confirmBox(slot, {
        text: `Cho ${o.full_name} hoạt động lại? Cán bộ đăng nhập bằng mật khẩu hiện có.`, yes: "Cho hoạt động lại",
        onYes: async () => {
          await api.post(`/officials/${encodeURIComponent(o.username)}/enable`);
          await done(`Đã cho ${o.full_name} hoạt động lại.`);
        } }) }, "Cho hoạt động lại"));
    } else if (o.username !== me.username) {
      buttons.push(el("button", { type: "button", class: "danger", "data-action": "disable", onclick: () => admin.confirmBox(slot, {
        text: `Vô hiệu hóa tài khoản của ${o.full_name}? Mọi phiên đăng nhập của cán bộ này dừng ngay.`, yes: "Vô hiệu hóa",
        danger: true,
        onYes: async () => {
          await api.post(`/officials/${encodeURIComponent(o.username)}/disable`);
          await done(`Đã vô hiệu hóa tài khoản của ${o.full_name}.`);
        } }) }, "Vô hiệu hóa"));
    }
    if (o.login_blocked_until) {
      buttons.push(el("button", { type: "button", class: "secondary", "data-action": "unlock", onclick: async () => {
        try {
          await api.post(`/admin/officials/${encodeURIComponent(o.username)}/unlock`);
          await done(`Đã mở khóa đăng nhập cho ${o.full_name}.`);
        } catch (err) { admin.result(outcome, err.fullMessage || err.message, "error"); }
      } }, "Mở khóa đăng nhập"));
    }
    return el("div", { class: "row-actions" }, buttons);
  }

  function field(label, input, hint) {
    return el("label", { "data-field": input.name }, label, input, hint ? el("span", { class: "hint" }, hint) : null);
  }

  function createForm(main, me) {
    const options = (departments || []).reduce((groups, d) => {
      (groups[d.agency_name] = groups[d.agency_name] || []).push(d);
      return groups;
    }, {});
    const form = el("form", { class: "card hidden", id: "tao-can-bo", novalidate: true },
      el("h2", {}, "Thêm cán bộ"),
      el("div", { class: "two" },
        field("Họ và tên", el("input", { name: "full_name", required: true })),
        field("Chức danh", el("input", { name: "title" }), "Ví dụ: Chuyên viên, Phó Trưởng phòng"),
        field("Phòng/ban", el("select", { name: "department_code", required: true }, el("option", { value: "" }, "— Chọn phòng/ban —"),
          Object.entries(options).map(([agency, list]) => el("optgroup", { label: agency },
            list.map((d) => el("option", { value: d.code }, d.name)))))),
        field("Đơn vị ghi trên biểu mẫu", el("input", { name: "unit_name" }), "Chỉ khi chức danh thuộc đơn vị khác phòng/ban (lãnh đạo Sở: tên Sở)"),
        field("Tên đăng nhập", el("input", { name: "username", required: true, autocapitalize: "none", spellcheck: "false" })),
        field("Mật khẩu ban đầu", el("input", { name: "password", type: "password", required: true, autocomplete: "new-password" }),
          "Ít nhất 8 ký tự")),
      el("fieldset", { "data-field": "roles" }, el("legend", {}, "Vai trò"), roleChoices("new-roles", [])),
      el("div", { class: "alert hidden", role: "alert" }),
      el("div", { class: "actions" }, el("button", { type: "submit", class: "primary" }, "Tạo tài khoản"),
        el("button", { type: "button", class: "secondary", onclick: () => form.classList.add("hidden") }, "Đóng")));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      form.querySelectorAll(".field-error").forEach((n) => n.remove());
      form.querySelectorAll(".invalid").forEach((n) => n.classList.remove("invalid"));
      const value = (name) => form.elements[name].value.trim();
      const body = { username: value("username"), password: form.elements.password.value, full_name: value("full_name"),
        department_code: value("department_code"), roles: checked(form, "new-roles"), title: value("title") || null,
        unit_name: value("unit_name") || null };
      const box = form.querySelector(".alert");
      try {
        const created = await api.post("/officials", body);
        await render(main, me);
        admin.result(outcome, `Đã tạo tài khoản cho ${created.full_name}${created.position ? ", " + created.position : ""}.`);
      } catch (err) {
        box.textContent = err.message;
        box.classList.remove("hidden");
        Object.entries(err.fields).forEach(([name, message]) => {
          const holder = form.querySelector(`[data-field="${name.split(".")[0]}"]`);
          if (holder) { holder.classList.add("invalid"); holder.append(el("div", { class: "field-error" }, message)); }
        });
      }
    });
    return form;
  }

  async function render(main, me) {
    if (!departments) departments = await api.get("/admin/departments");
    const page = await api.get("/officials", { page: view.page, page_size: 50, department: view.department });
    const form = createForm(main, me);
    const filter = el("select", { id: "loc-phong", onchange: (ev) => { Object.assign(view, { department: ev.target.value, page: 1 }); render(main, me); } },
      el("option", { value: "" }, "Tất cả phòng/ban"),
      departments.map((d) => el("option", { value: d.code, selected: d.code === view.department }, `${d.name} – ${d.agency_name}`)));
    const rows = page.items.flatMap((o) => {
      const slot = el("td", { colspan: 5 });
      return [el("tr", { "data-username": o.username, class: o.disabled ? "muted" : null },
        el("td", { class: "who-cell" }, el("strong", {}, o.full_name), el("div", {}, o.position || o.title || ""),
          el("span", { class: "code" }, "Tên đăng nhập: " + o.username)),
        el("td", {}, o.department.name),
        el("td", { "data-roles": o.roles.join(" ") }, o.roles.map((r) => el("div", {}, shell.ROLE_LABELS[r] || r))),
        el("td", {}, states(o)),
        el("td", {}, actions(o, slot, main, me))), el("tr", { class: "confirm-row" }, slot)];
    });
    main.replaceChildren(el("h1", {}, "Cán bộ và vai trò"), outcome,
      el("div", { class: "filters" }, el("label", {}, "Phòng/ban", filter),
        el("div", { class: "actions" }, el("button", { type: "button", class: "primary", id: "them-can-bo",
          onclick: () => { form.classList.remove("hidden"); form.elements.full_name.focus(); } }, "Thêm cán bộ"))),
      form,
      el("table", { class: "list", id: "danh-sach-can-bo" },
        el("thead", {}, el("tr", {}, ["Cán bộ", "Phòng/ban", "Vai trò", "Trạng thái", "Thao tác"].map((t) => el("th", {}, t)))),
        el("tbody", {}, rows)),
      admin.pager(page, (n) => { view.page = n; render(main, me); }));
  }

  shell.section({ id: "can-bo", label: "Cán bộ", roles: ["QUAN_TRI"], render: (main, arg, me) => {
    outcome.replaceChildren();
    return render(main, me);
  } });
})();
