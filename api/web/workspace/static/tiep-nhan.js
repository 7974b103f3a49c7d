// Tiếp nhận hồ sơ at the one-stop desk (#/tiep-nhan): choose the procedure, fill the applicant and the
// procedure's own fields (those that decide the fee), tick the components received and attach their scans,
// then accept at once (POST /dossiers with accept: Mẫu 01 is issued) and print Mẫu 01 from the answer.
// A refusal shows the server's message on its field (applicant.phone → the phone input).
(function () {
  "use strict";
  const { api, shell } = window.Motcua;
  const { el, fmt } = shell;
  const KINDS = { original: "Bản chính", copy: "Bản sao", certified_copy: "Bản sao có chứng thực" };
  const DELIVERY = { truc_tiep: "Trực tiếp tại Bộ phận Một cửa", buu_chinh: "Qua dịch vụ bưu chính công ích",
    truc_tuyen: "Trực tuyến (bản điện tử)" };

  function field(label, input, path, required) {
    return el("div", { class: "field", "data-path": path },
      el("label", { for: input.id }, label, required ? el("span", { class: "req" }, " *") : null, input),
      el("div", { class: "field-error hidden", "data-error": path }));
  }

  async function render(main) {
    const procedures = (await api.get("/procedures")).items;
    const select = el("select", { id: "procedure" }, el("option", { value: "" }, "— Chọn thủ tục —"),
      procedures.map((p) => el("option", { value: p.code }, p.name)));
    const procedurePart = el("div", { id: "procedure-part" });
    const status = el("div", { id: "intake-status" });
    const form = el("form", { class: "card", id: "intake-form", novalidate: true },
      field("Thủ tục hành chính", select, "procedure_code", true), procedurePart);
    shell.fill(main, el("h1", {}, "Tiếp nhận hồ sơ"), status, form);
    select.addEventListener("change", () => {
      const procedure = procedures.find((p) => p.code === select.value);
      procedurePart.replaceChildren(el("div", {}, procedure ? procedureForm(procedure, form, status, main) : []));
    });
  }

  function procedureForm(procedure, form, status, main) {
    const input = (id, attrs) => el("input", { id, ...(attrs || {}) });
    const applicant = {
      full_name: input("applicant-name", { maxlength: "255", autocomplete: "off" }),
      id_number: input("applicant-id", { maxlength: "20", inputmode: "numeric", autocomplete: "off" }),
      phone: input("applicant-phone", { maxlength: "20", inputmode: "tel", autocomplete: "off" }),
      email: input("applicant-email", { maxlength: "255", type: "email", autocomplete: "off" }),
      address: input("applicant-address", { maxlength: "500", autocomplete: "off" }),
    };
    const kind = el("select", { id: "applicant-kind" }, el("option", { value: "person" }, "Cá nhân"),
      el("option", { value: "organisation" }, "Tổ chức"));
    const facts = procedure.intake_fields.map((f) => {
      const control = f.kind === "choice"
        ? el("select", { id: "fact-" + f.key, "data-fact": f.key }, el("option", { value: "" }, "— Chọn —"),
          Object.entries(f.choices).map(([value, text]) => el("option", { value }, text)))
        : el("input", { id: "fact-" + f.key, "data-fact": f.key, type: "number", min: String(f.min), step: "1" });
      return { spec: f, control };
    });
    const components = procedure.documents.map((doc, i) => {
      const got = el("input", { type: "checkbox", id: "component-" + i, checked: true });
      const count = el("input", { type: "number", min: "1", max: "100", value: String(doc.count), class: "count-input",
        "aria-label": "Số lượng" });
      return { doc, got, count, node: el("li", {}, got, el("label", { for: "component-" + i, class: "grow" },
        doc.name, el("span", { class: "muted" }, " (" + KINDS[doc.kind] + ")")), count) };
    });
    const scans = el("input", { type: "file", id: "scans", multiple: true,
      accept: ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png" });
    const delivery = el("select", { id: "result-delivery" },
      Object.entries(DELIVERY).map(([value, text]) => el("option", { value }, text)));
    const zalo = el("input", { type: "checkbox", id: "notify-zalo", checked: true });
    const submit = el("button", { type: "submit", class: "primary", id: "accept" }, "Tiếp nhận và in Giấy tiếp nhận (Mẫu 01)");
    const fee = el("p", { class: "muted", id: "fee" });

    const showFee = () => {
      const values = readFacts(facts);
      const rule = procedure.fee.find((f) => Object.entries(f.when || {}).every(([k, v]) =>
        Array.isArray(v) ? values[k] >= v[0] && (v.length < 2 || values[k] <= v[1]) : values[k] === v));
      fee.textContent = procedure.fee.length === 0 ? "Thủ tục không thu phí, lệ phí."
        : rule ? "Phí, lệ phí: " + rule.amount.toLocaleString("vi-VN") + " đồng (" + rule.condition + ")."
          : "Khai đủ thông tin để biết mức phí, lệ phí.";
    };
    facts.forEach((f) => ["change", "input"].forEach((kind) => f.control.addEventListener(kind, showFee)));
    showFee();

    form.onsubmit = async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      status.replaceChildren();
      const body = {
        procedure_code: procedure.code, channel: "counter", accept: true, notify_zalo: zalo.checked,
        result_delivery: delivery.value, facts: readFacts(facts),
        applicant: Object.fromEntries(Object.entries(applicant).map(([k, x]) => [k, x.value.trim() || null])
          .concat([["kind", kind.value]])),
        documents: components.filter((c) => c.got.checked).map((c) => ({ name: c.doc.name,
          count: Number(c.count.value) || 1, kind: KINDS[c.doc.kind] })),
      };
      const missing = {};
      if (!body.applicant.full_name) missing["applicant.full_name"] = "Họ và tên người nộp: bắt buộc, chưa được nhập.";
      facts.forEach((f) => { if (body.facts[f.spec.key] === undefined) missing["facts." + f.spec.key] = f.spec.label + ": bắt buộc, chưa được nhập."; });
      if (Object.keys(missing).length) {
        showErrors(form, missing);
        status.replaceChildren(shell.alertBox("Hồ sơ chưa đủ thông tin; vui lòng sửa các trường được đánh dấu."));
        return;
      }
      submit.disabled = true;
      let dossier;
      try {
        dossier = await api.post("/dossiers", body);
      } catch (error) {
        submit.disabled = false;
        const rest = showErrors(form, error.fields);
        status.replaceChildren(shell.alertBox([error.message].concat(rest).join(" ")));
        return;
      }
      const failed = [];
      for (const file of scans.files) {
        const upload = new FormData();
        upload.append("file", file);
        upload.append("note", "Bản scan thành phần hồ sơ khi tiếp nhận");
        try { await api.request("/dossiers/" + encodeURIComponent(dossier.code) + "/documents", { method: "POST", form: upload }); }
        catch (error) { failed.push(file.name + ": " + error.fullMessage); }
      }
      accepted(main, dossier, failed);
    };

    return [
      el("h2", {}, "Người nộp hồ sơ"),
      el("div", { class: "two" },
        field("Loại người nộp", kind, "applicant.kind"), field("Họ và tên", applicant.full_name, "applicant.full_name", true),
        field("Số định danh cá nhân/CCCD", applicant.id_number, "applicant.id_number"),
        field("Số điện thoại", applicant.phone, "applicant.phone"),
        field("Thư điện tử", applicant.email, "applicant.email"), field("Địa chỉ", applicant.address, "applicant.address")),
      facts.length ? [el("h2", {}, "Thông tin của thủ tục"), el("div", { class: "two" },
        facts.map((f) => field(f.spec.label, f.control, "facts." + f.spec.key, true))), fee] : fee,
      el("h2", {}, "Thành phần hồ sơ đã nhận"),
      el("ul", { class: "docs components", id: "components" }, components.map((c) => c.node)),
      field("Bản scan giấy tờ (PDF, JPG, PNG; có thể chọn nhiều tệp)", scans, "file"),
      el("h2", {}, "Trả kết quả và thông báo"),
      field("Hình thức nhận kết quả", delivery, "result_delivery"),
      el("label", { class: "choice", for: "notify-zalo" }, zalo, "Công dân đồng ý nhận thông báo về hồ sơ qua Zalo"),
      el("div", { class: "actions" }, submit),
    ];
  }

  function readFacts(facts) {
    const out = {};
    facts.forEach(({ spec, control }) => {
      const raw = control.value.trim();
      if (raw === "") return;
      out[spec.key] = spec.kind === "integer" ? Number(raw) : raw;
    });
    return out;
  }

  function clearErrors(form) {
    form.querySelectorAll("[data-error]").forEach((box) => { box.textContent = ""; box.classList.add("hidden"); });
    form.querySelectorAll(".field.invalid").forEach((f) => f.classList.remove("invalid"));
  }

  // {path: message} → shown under the field of that path (or its parent: "documents.0.name" → "documents");
  // returns the messages without a field on the page.
  function showErrors(form, fields) {
    const rest = [];
    let first = null;
    Object.entries(fields || {}).forEach(([path, message]) => {
      const parts = path.split(".");
      let box = null;
      while (parts.length && !box) { box = form.querySelector('[data-error="' + parts.join(".") + '"]'); parts.pop(); }
      if (!box) { rest.push(message); return; }
      box.textContent = message;
      box.classList.remove("hidden");
      box.parentElement.classList.add("invalid");
      first = first || box.parentElement.querySelector("input, select");
    });
    if (first) first.focus();
    return rest;
  }

  function accepted(main, d, failed) {
    const receipt = el("button", { type: "button", class: "primary", id: "print-receipt" }, "In Giấy tiếp nhận (Mẫu 01)");
    receipt.addEventListener("click", async () => {
      const documents = (await api.get("/dossiers/" + encodeURIComponent(d.code) + "/documents")).items;
      const form = documents.filter((doc) => doc.form_code === "MAU_01").pop();
      if (!form) { shell.toast("Chưa có Giấy tiếp nhận của hồ sơ này.", "error"); return; }
      const file = await api.blobUrl("/dossiers/" + encodeURIComponent(d.code) + "/documents/" + form.id);
      window.open(file.url, "_blank", "noopener");
      setTimeout(() => URL.revokeObjectURL(file.url), 120000);
    });
    shell.fill(main, el("h1", {}, "Tiếp nhận hồ sơ"),
      el("div", { class: "ok", id: "intake-done" }, "Đã tiếp nhận hồ sơ " + d.code + ". Hẹn trả kết quả: " + fmt.time(d.due_at) + "."),
      failed.length ? shell.alertBox("Chưa tải lên được: " + failed.join("; ")) : null,
      el("div", { class: "card" }, el("dl", { class: "facts" },
        el("dt", {}, "Mã hồ sơ"), el("dd", { id: "new-code" }, d.code), el("dt", {}, "Thủ tục"), el("dd", {}, d.procedure_name),
        el("dt", {}, "Người nộp"), el("dd", {}, d.applicant.full_name), el("dt", {}, "Trạng thái"), el("dd", {}, d.status_name)),
      el("div", { class: "actions" }, receipt,
        el("a", { href: "#/ho-so/" + encodeURIComponent(d.code), class: "secondary" }, "Mở hồ sơ"),
        el("a", { href: "#/tiep-nhan/moi", class: "secondary", id: "next-intake" }, "Tiếp nhận hồ sơ khác"))));
    receipt.focus();
  }

  shell.section({ id: "tiep-nhan", label: "Tiếp nhận hồ sơ", roles: ["MOT_CUA"], render });
})();
