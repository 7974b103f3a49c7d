// Hồ sơ: the department's dossiers (#/ho-so) and one dossier's page (#/ho-so/<code>): the applicant masked,
// with the audited reveal (a stated reason; the full numbers live only on the page, never in a URL or
// storage), the control log (Phiếu kiểm soát) with on-time marks, the procedure's diagram with the current
// step highlighted, documents (view, upload, download), the forms Mẫu 01–07 to print, the Zalo messages with
// their delivery state, and "Gửi tin nhắn Zalo" with a preview of the exact text.
(function () {
  "use strict";
  const { api, shell } = window.Motcua;
  const { el, fmt } = shell;

  const FORMS = {
    MAU_01: "Giấy tiếp nhận hồ sơ và hẹn trả kết quả", MAU_02: "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
    MAU_03: "Phiếu từ chối tiếp nhận giải quyết hồ sơ",
    MAU_04: "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết", MAU_05: "Thông báo dừng giải quyết hồ sơ",
    MAU_06: "Phiếu kiểm soát quá trình giải quyết hồ sơ", MAU_07: "Sổ theo dõi hồ sơ",
  };
  const LATENESS = { qua_han: ["off", "Quá hạn"], sap_den_han: ["soon", "Sắp đến hạn"], trong_han: ["on", "Trong hạn"],
    truoc_han: ["on", "Trước hạn"], dung_han: ["on", "Đúng hạn"] };
  // Who may do what (docs/ACCESS.md); the API decides, the page only hides what would be refused.
  const MAY = {
    reveal: ["MOT_CUA", "CHUYEN_VIEN"], upload: ["MOT_CUA", "LANH_DAO_PHONG", "CHUYEN_VIEN", "LANH_DAO_SO", "VAN_THU"],
    slip: ["MOT_CUA", "LANH_DAO_PHONG", "GIAM_SAT", "GIAM_SAT_TINH"], message: ["MOT_CUA", "LANH_DAO_PHONG", "CHUYEN_VIEN"],
    register: ["MOT_CUA", "LANH_DAO_PHONG", "GIAM_SAT"],
  };
  const may = (me, action) => me.roles.some((r) => MAY[action].includes(r));
  const path = (code) => "/dossiers/" + encodeURIComponent(code);

  async function openFile(apiPath, download) {
    const file = await api.blobUrl(apiPath);
    if (download) {
      const a = el("a", { href: file.url, download: file.filename, class: "hidden" });
      document.body.append(a); a.click(); a.remove();
    } else {
      window.open(file.url, "_blank", "noopener");
    }
    setTimeout(() => URL.revokeObjectURL(file.url), 120000);
  }

  function card(title, id, ...children) { return el("section", { class: "card", id }, el("h2", {}, title), children); }

  // ---- the list ---------------------------------------------------------------------------------------
  const listState = { page: 1 };
  async function renderList(main) {
    const page = await api.get("/dossiers", { page: listState.page, page_size: 20 });
    const pages = Math.max(1, Math.ceil(page.total / 20));
    shell.fill(main, el("h1", {}, "Hồ sơ"),
      page.items.length ? el("table", { class: "list" },
        el("thead", {}, el("tr", {}, ["Mã hồ sơ", "Thủ tục", "Người nộp", "Trạng thái", "Hẹn trả"].map((h) => el("th", {}, h)))),
        el("tbody", {}, page.items.map((d) => el("tr", {},
          el("td", {}, el("a", { href: "#/ho-so/" + encodeURIComponent(d.code) }, d.code)), el("td", {}, d.procedure_name),
          el("td", {}, d.applicant.full_name), el("td", {}, d.status_name),
          el("td", {}, fmt.date(d.due_at), lateBadge(d.lateness)))))) : el("div", { class: "empty" }, "Chưa có hồ sơ."),
      page.total > 20 ? el("div", { class: "pager" },
        el("button", { type: "button", class: "secondary", disabled: listState.page <= 1,
          onclick: () => { listState.page -= 1; renderList(main); } }, "‹ Trang trước"),
        el("span", {}, "Trang " + listState.page + "/" + pages),
        el("button", { type: "button", class: "secondary", disabled: listState.page >= pages,
          onclick: () => { listState.page += 1; renderList(main); } }, "Trang sau ›")) : null);
  }

  function lateBadge(lateness) {
    const [kind, text] = LATENESS[lateness] || [];
    return kind ? el("span", { class: "badge " + kind, "data-lateness": lateness }, text) : null;
  }

  // ---- one dossier ------------------------------------------------------------------------------------
  async function renderDossier(main, code, me) {
    const d = await api.get(path(code));
    const [history, documents, messages] = await Promise.all([
      api.get(path(code) + "/history"), api.get(path(code) + "/documents"), api.get(path(code) + "/messages")]);
    shell.fill(main, 
      header(d, me),
      el("div", { class: "grid" },
        el("div", {}, applicantCard(d, me), timelineCard(history.items), diagramCard(d)),
        el("div", {}, formsCard(d, documents.items, me), documentsCard(d, documents.items, me, main),
          messagesCard(d, messages.items, documents.items, me, main))));
  }

  function header(d, me) {
    const steps = d.current_steps.map((s) => el("li", { class: "step-now" }, s.name,
      s.due_at ? el("span", { class: "muted" }, " · hạn " + fmt.time(s.due_at)) : null,
      el("a", { href: "#/cong-viec/" + encodeURIComponent(s.task_id), class: "step-link", "data-step": s.step }, " Xử lý")));
    return el("section", { class: "card", id: "dossier-head" },
      el("h1", {}, "Hồ sơ " + d.code),
      el("div", { class: "muted" }, d.procedure_name),
      el("p", {}, el("span", { class: "status", id: "dossier-status" }, d.status_name), lateBadge(d.lateness),
        d.supplement_count ? el("span", { class: "badge info" }, "Đã yêu cầu bổ sung " + d.supplement_count + " lần") : null,
        d.incident ? el("span", { class: "badge off" }, "Sự cố xử lý: " + d.incident.reason) : null),
      el("dl", { class: "facts" },
        el("dt", {}, "Ngày tiếp nhận"), el("dd", {}, fmt.time(d.received_at)),
        el("dt", {}, "Hẹn trả kết quả"), el("dd", { id: "due-at" }, fmt.time(d.due_at)),
        d.original_due_at && d.original_due_at !== d.due_at ? [el("dt", {}, "Hẹn ban đầu"), el("dd", {}, fmt.time(d.original_due_at))] : null,
        el("dt", {}, "Phòng giải quyết"), el("dd", {}, d.department),
        el("dt", {}, "Nơi tiếp nhận"), el("dd", {}, d.received_agency_name || d.received_agency_code),
        d.returned_at ? [el("dt", {}, "Đã trả kết quả"), el("dd", {}, fmt.time(d.returned_at))] : null),
      steps.length ? [el("h3", {}, "Bước đang xử lý"), el("ul", { id: "current-steps" }, steps)] : null);
  }

  function applicantCard(d, me) {
    const a = d.applicant;
    const values = { id_number: el("dd", { id: "applicant-id" }, a.id_number || "—"),
      phone: el("dd", { id: "applicant-phone" }, a.phone || "—"), email: el("dd", {}, a.email || "—"),
      address: el("dd", { id: "applicant-address" }, a.address || "—") };
    const box = card("Người nộp hồ sơ", "applicant",
      el("dl", { class: "facts" }, el("dt", {}, "Họ và tên"), el("dd", {}, a.full_name),
        el("dt", {}, "Số CCCD"), values.id_number, el("dt", {}, "Điện thoại"), values.phone,
        el("dt", {}, "Thư điện tử"), values.email, el("dt", {}, "Địa chỉ"), values.address,
        el("dt", {}, "Nhận tin Zalo"), el("dd", {}, d.notify_zalo ? "Có" : "Không")));
    if (!may(me, "reveal")) {
      box.append(el("p", { class: "muted" }, "Số CCCD và điện thoại được che; vai trò của bạn không cần xem đầy đủ."));
      return box;
    }
    const reason = el("input", { id: "reveal-reason", maxlength: "500", placeholder: "Ví dụ: Đối chiếu CCCD khi trả kết quả" });
    const error = el("div", { class: "field-error hidden", id: "reveal-error" });
    const go = el("button", { type: "submit", class: "secondary" }, "Xem đầy đủ");
    const form = el("form", { id: "reveal-form", novalidate: true },
      el("label", { for: "reveal-reason" }, "Lý do xem đầy đủ thông tin cá nhân (được ghi nhật ký)", reason), error,
      el("div", { class: "actions" }, go));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      error.classList.add("hidden");
      go.disabled = true;
      try {
        const full = await api.post(path(d.code) + "/reveal", { reason: reason.value.trim(),
          fields: ["id_number", "phone", "address"] });
        Object.entries(full).forEach(([k, v]) => { if (values[k] && v) values[k].textContent = v; });
        form.replaceWith(el("p", { class: "muted", id: "revealed" }, "Đã hiện đầy đủ; lần xem này đã được ghi nhật ký."));
      } catch (e) {
        error.textContent = e.fields.reason || e.fullMessage; error.classList.remove("hidden"); go.disabled = false;
      }
    });
    box.append(form);
    return box;
  }

  function timelineCard(items) {
    return card("Quá trình xử lý (Phiếu kiểm soát)", "timeline",
      items.length ? el("ol", { class: "timeline" }, items.map((h) => el("li", { "data-step": h.step },
        el("div", { class: "when" }, fmt.time(h.at), h.due_at ? " · hạn " + fmt.time(h.due_at) : ""),
        el("div", { class: "step" }, h.step_name,
          h.on_time === true ? el("span", { class: "badge on" }, "Đúng hạn") : null,
          h.on_time === false ? el("span", { class: "badge off" }, "Trễ hạn") : null),
        el("div", {}, [h.actor, h.actor_unit].filter(Boolean).join(", "), h.to ? " → " + h.to : ""),
        h.note ? el("div", { class: "muted" }, h.note) : null))) : el("p", { class: "muted" }, "Chưa có bước nào."));
  }

  function diagramCard(d) {
    const box = el("div", { class: "diagram", id: "diagram" });
    const section = card("Quy trình", "process", box,
      el("p", { class: "muted" }, "Bước đang xử lý được tô màu: ",
        d.current_steps.map((s) => s.name).join(", ") || "hồ sơ không còn bước nào đang mở."));
    drawDiagram(box, d).catch(() => box.replaceChildren(el("p", { class: "muted" }, "Không hiển thị được sơ đồ quy trình.")));
    return section;
  }

  async function drawDiagram(box, d) {
    const Viewer = window.MotcuaBpmnViewer;
    if (!Viewer || !d.process_key || !d.process_version) {
      box.classList.add("hidden");
      return;
    }
    const response = await api.request("/process-definitions/" + encodeURIComponent(d.process_key) + "/versions/" +
      d.process_version + "/xml", { raw: true });
    const xml = await response.text();
    const viewer = new Viewer({ container: box });
    await viewer.importXML(xml);
    const canvas = viewer.get("canvas");
    canvas.zoom("fit-viewport");
    d.current_steps.forEach((s) => { try { canvas.addMarker(s.step, "highlight"); } catch (e) { /* not drawn */ } });
    box.dataset.highlighted = d.current_steps.map((s) => s.step).join(" ");
  }

  function formsCard(d, documents, me) {
    const forms = documents.filter((doc) => doc.form_code);
    const list = el("ul", { class: "docs", id: "forms" }, forms.map((doc) => el("li", { "data-form": doc.form_code },
      el("span", {}, el("strong", {}, "Mẫu " + doc.form_code.slice(-2)), " – " + (FORMS[doc.form_code] || doc.filename),
        doc.number ? el("span", { class: "muted" }, " · số " + doc.number) : null,
        el("div", { class: "muted" }, fmt.time(doc.created_at))),
      el("span", { class: "actions" },
        el("button", { type: "button", class: "link", onclick: () => openFile(path(d.code) + "/documents/" + doc.id, false) }, "Xem, in"),
        el("button", { type: "button", class: "link", onclick: () => openFile(path(d.code) + "/documents/" + doc.id, true) }, "Tải về")))));
    const extra = [];
    if (may(me, "slip")) {
      const slip = el("button", { type: "button", class: "secondary", id: "make-slip" }, "Lập Phiếu kiểm soát (Mẫu 06)");
      slip.addEventListener("click", async () => {
        slip.disabled = true;
        try {
          const doc = await api.post(path(d.code) + "/control-slip");
          await openFile(path(d.code) + "/documents/" + doc.id, false);
          shell.go("#/ho-so/" + encodeURIComponent(d.code));
        } catch (e) { shell.toast(e.fullMessage, "error"); slip.disabled = false; }
      });
      extra.push(slip);
    }
    if (may(me, "register")) {
      const day = new Date(d.received_at).toISOString().slice(0, 10);
      const register = el("button", { type: "button", class: "secondary", id: "register" }, "Sổ theo dõi hồ sơ (Mẫu 07)");
      const last = new Date(d.returned_at || d.finished_at || d.due_at || d.received_at).toISOString().slice(0, 10);
      register.addEventListener("click", () => openFile("/registers/mau-07?from=" + day + "&to=" + last, false)
        .catch((e) => shell.toast(e.fullMessage, "error")));
      extra.push(register);
    }
    return card("Biểu mẫu (Mẫu 01–07)", "forms-card",
      forms.length ? list : el("p", { class: "muted" }, "Chưa có biểu mẫu."), el("div", { class: "actions" }, extra));
  }

  function documentsCard(d, documents, me, main) {
    const files = documents.filter((doc) => !doc.form_code);
    const box = card("Giấy tờ, tệp đính kèm", "documents",
      files.length ? el("ul", { class: "docs" }, files.map((doc) => el("li", { "data-document": doc.filename },
        el("span", {}, doc.filename, doc.note ? el("span", { class: "muted" }, " · " + doc.note) : null,
          el("div", { class: "muted" }, fmt.time(doc.created_at) + " · " + Math.max(1, Math.round(doc.size / 1024)) + " KB")),
        el("span", { class: "actions" },
          el("button", { type: "button", class: "link", onclick: () => openFile(path(d.code) + "/documents/" + doc.id, false) }, "Xem"),
          el("button", { type: "button", class: "link", onclick: () => openFile(path(d.code) + "/documents/" + doc.id, true) }, "Tải về")))))
        : el("p", { class: "muted" }, "Chưa có tệp đính kèm."));
    if (!may(me, "upload")) return box;
    const file = el("input", { type: "file", id: "upload-file", accept: ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png" });
    const note = el("input", { id: "upload-note", maxlength: "500", placeholder: "Ví dụ: Bản scan giấy phép PCCC" });
    const error = el("div", { class: "field-error hidden", id: "upload-error" });
    const send = el("button", { type: "submit", class: "secondary" }, "Tải lên");
    const form = el("form", { id: "upload-form", novalidate: true }, el("h3", {}, "Tải lên tệp"),
      el("label", { for: "upload-file" }, "Tệp (PDF, JPG, PNG)", file), el("label", { for: "upload-note" }, "Ghi chú", note),
      error, el("div", { class: "actions" }, send));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      error.classList.add("hidden");
      if (!file.files.length) { error.textContent = "Tệp: bắt buộc, chưa được nhập."; error.classList.remove("hidden"); return; }
      const body = new FormData();
      body.append("file", file.files[0]);
      if (note.value.trim()) body.append("note", note.value.trim());
      send.disabled = true;
      try {
        await api.request(path(d.code) + "/documents", { method: "POST", form: body });
        shell.toast("Đã tải lên " + file.files[0].name + ".");
        renderDossier(main, d.code, me);
      } catch (e) { error.textContent = e.fullMessage; error.classList.remove("hidden"); send.disabled = false; }
    });
    box.append(form);
    return box;
  }

  function messagesCard(d, messages, documents, me, main) {
    const list = messages.length ? el("ul", { class: "docs messages", id: "messages" }, messages.map((m) => el("li", {},
      el("div", { class: "muted" }, fmt.time(m.created_at), " · ", el("span", { class: "message-status" }, m.status_name),
        m.delivered_at ? " · đã nhận " + fmt.time(m.delivered_at) : "", m.seen_at ? " · đã xem " + fmt.time(m.seen_at) : ""),
      el("div", { class: "message-text" }, m.text),
      m.problems.map((p) => el("div", { class: "field-error" }, p))))) : el("p", { class: "muted" }, "Chưa gửi tin nhắn nào.");
    const box = card("Tin nhắn Zalo đã gửi", "zalo", list);
    if (!may(me, "message")) return box;
    if (!d.notify_zalo) {
      box.append(el("p", { class: "muted" }, "Người nộp chưa đồng ý nhận tin nhắn qua Zalo."));
      return box;
    }
    const text = el("textarea", { id: "message-text", maxlength: "1500", rows: "3" });
    const attach = el("select", { id: "message-document" }, el("option", { value: "" }, "Không đính kèm"),
      documents.map((doc) => el("option", { value: String(doc.id) }, doc.form_code ? "Mẫu " + doc.form_code.slice(-2) + " – " +
        (FORMS[doc.form_code] || doc.filename) : doc.filename)));
    const error = el("div", { class: "field-error hidden", id: "message-error" });
    const preview = el("div", { id: "message-preview", class: "hidden" });
    const previewButton = el("button", { type: "button", class: "secondary", id: "message-preview-button" }, "Xem trước");
    const send = el("button", { type: "submit", class: "primary", id: "message-send", disabled: true }, "Gửi tin nhắn Zalo");
    const form = el("form", { id: "message-form", novalidate: true }, el("h3", {}, "Gửi tin nhắn Zalo"),
      el("label", { for: "message-text" }, "Nội dung", text), el("label", { for: "message-document" }, "Đính kèm giấy tờ", attach),
      error, preview, el("div", { class: "actions" }, previewButton, send));
    const body = () => ({ text: text.value, document_id: attach.value ? Number(attach.value) : null });
    const reset = () => { send.disabled = true; preview.classList.add("hidden"); };
    text.addEventListener("input", reset);
    attach.addEventListener("change", reset);
    const fail = (e) => { error.textContent = e.fields.text || e.fullMessage; error.classList.remove("hidden"); };
    previewButton.addEventListener("click", async () => {
      error.classList.add("hidden");
      if (!text.value.trim()) { fail({ fields: { text: "Nội dung: bắt buộc, chưa được nhập." } }); return; }
      try {
        const p = await api.post(path(d.code) + "/messages/preview", body());
        const how = p.attachment ? { file: "Gửi kèm tệp " + p.attachment.filename + ".",
          image: "Gửi kèm ảnh " + p.attachment.filename + ".",
          link: "Tệp không gửi được qua Zalo; công dân nhận được: " + p.attachment.link_text }[p.attachment.route] : null;
        shell.fill(preview, el("div", { class: "muted" }, "Công dân sẽ nhận được:"),
          el("div", { class: "preview", id: "preview-text" }, p.text), how ? el("div", { class: "muted" }, how) : null);
        preview.classList.remove("hidden");
        send.disabled = false;
      } catch (e) { fail(e); }
    });
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      send.disabled = true;
      try {
        await api.post(path(d.code) + "/messages", body());
        shell.toast("Đã đưa tin nhắn vào hàng đợi gửi qua Zalo.");
        renderDossier(main, d.code, me);
      } catch (e) { fail(e); send.disabled = false; }
    });
    box.append(form);
    return box;
  }

  async function render(main, code, me) {
    if (code) await renderDossier(main, code, me);
    else await renderList(main);
  }

  shell.section({ id: "ho-so", label: "Hồ sơ", roles: ["MOT_CUA", "LANH_DAO_PHONG", "CHUYEN_VIEN", "LANH_DAO_SO",
    "VAN_THU", "GIAM_SAT", "GIAM_SAT_TINH"], render });
})();
