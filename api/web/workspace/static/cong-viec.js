// Xử lý công việc (#/cong-viec/<task id>): the step, its dossier, and the form generated from the task's JSON
// Schema; claim when it is still the lane's; a 422 shows each message on its field, a 409 says plainly that
// someone else completed (or took) it first.
(function () {
  "use strict";
  const { api, shell, schemaForm } = window.Motcua;
  const { el, fmt } = shell;

  const TAKEN = "Công việc này đã được cán bộ khác xử lý trước. Hồ sơ đã chuyển sang bước tiếp theo; " +
    "vui lòng mở lại hộp công việc.";

  async function render(main, taskId, me) {
    const task = await api.get("/tasks/" + encodeURIComponent(taskId));
    const status = el("div", { id: "task-status", "aria-live": "polite" });
    const header = el("div", { class: "card" },
      el("h1", {}, task.title || task.name),
      el("dl", { class: "facts" },
        el("dt", {}, "Hồ sơ"), el("dd", {}, el("a", { href: "#/ho-so/" + encodeURIComponent(task.dossier_code) }, task.dossier_code)),
        el("dt", {}, "Thủ tục"), el("dd", {}, task.procedure_name),
        el("dt", {}, "Người nộp"), el("dd", {}, task.applicant_name),
        el("dt", {}, "Trạng thái"), el("dd", {}, task.dossier_status_name),
        el("dt", {}, "Hạn xử lý bước"), el("dd", {}, fmt.time(task.due_at), shell.dueBadge(task.overdue, task.due_soon)),
        el("dt", {}, "Người xử lý"), el("dd", {}, task.assignee === me.username ? "Tôi" : task.handover ? "Tôi (ủy quyền)" : task.assignee ? "Cán bộ khác đã nhận" : "Chưa có người nhận",
          task.handover ? el("div", { class: "handover" }, task.handover) : null)));
    shell.fill(main, header, status);

    if (!task.assignee) {
      const claim = el("button", { type: "button", class: "secondary", id: "claim" }, "Nhận việc");
      claim.addEventListener("click", async () => {
        claim.disabled = true;
        try { await api.post("/tasks/" + encodeURIComponent(task.id) + "/claim"); shell.toast("Đã nhận công việc."); shell.go("#/cong-viec/" + task.id); }
        catch (error) { status.replaceChildren(shell.alertBox(error.status === 409 ? TAKEN : error.fullMessage)); claim.disabled = false; }
      });
      header.append(el("div", { class: "actions" }, claim,
        el("span", { class: "muted" }, "Nhận việc để công việc vào mục “Của tôi”; có thể hoàn thành ngay mà không cần nhận.")));
    }

    const schema = task.form_schema || { type: "object", properties: {} };
    const generated = schemaForm.render(schema);
    const submit = el("button", { type: "submit", class: "primary", id: "complete" }, "Hoàn thành bước");
    const form = el("form", { class: "card", id: "task-form", novalidate: true },
      el("h2", {}, schema.title || "Biểu mẫu"), generated.node, el("div", { class: "actions" }, submit,
        el("a", { href: "#/ho-so/" + encodeURIComponent(task.dossier_code) }, "Xem hồ sơ")));
    main.append(form);

    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      status.replaceChildren();
      const local = generated.validate();
      if (Object.keys(local).length) {
        generated.showErrors(local);
        status.replaceChildren(shell.alertBox("Biểu mẫu chưa hợp lệ; vui lòng sửa các trường được đánh dấu."));
        return;
      }
      generated.clearErrors();
      submit.disabled = true;
      try {
        const result = await api.post("/tasks/" + encodeURIComponent(task.id) + "/complete", { data: generated.collect() });
        shell.toast("Đã hoàn thành bước “" + (task.title || task.name) + "”. Hồ sơ: " + result.dossier_code + ".");
        shell.go("#/ho-so/" + encodeURIComponent(result.dossier_code));
      } catch (error) {
        submit.disabled = false;
        if (error.status === 409) {
          status.replaceChildren(shell.alertBox(TAKEN));
          form.querySelectorAll("input, select, textarea, button").forEach((x) => { x.disabled = true; });
        } else if (error.status === 422 && error.errors.length) {
          const rest = generated.showErrors(error.fields);
          status.replaceChildren(shell.alertBox([error.message].concat(rest).join(" ")));
        } else {
          status.replaceChildren(shell.alertBox(error.fullMessage));
        }
      }
    });
  }

  shell.section({ id: "cong-viec", label: "Xử lý công việc", nav: false, parent: "hop-thu", render });
})();
