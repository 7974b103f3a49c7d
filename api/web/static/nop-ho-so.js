// The online submission form: builds the multipart body (applicant, facts as JSON, files with the document
// each answers) and shows the dossier code or the Vietnamese errors next to their fields.
"use strict";
(function () {
  var form = document.getElementById("nop-ho-so");
  if (!form) { return; }
  var result = document.getElementById("ket-qua");

  function clearErrors() {
    form.querySelectorAll(".error").forEach(function (p) { p.textContent = ""; });
  }

  function showError(field, message) {
    var target = form.querySelector('.error[data-field="' + field + '"]') ||
      form.querySelector('.error[data-field="general"]');
    target.textContent = (target.textContent ? target.textContent + " " : "") + message;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearErrors();
    var data = new FormData();
    data.append("procedure_code", form.dataset.procedure);
    ["full_name", "id_number", "phone", "email", "address"].forEach(function (name) {
      var value = form.elements[name].value.trim();
      if (value) { data.append(name, value); }
    });
    data.append("consent_zalo", form.elements.consent_zalo.checked ? "true" : "false");
    var facts = {};
    form.querySelectorAll("[data-fact]").forEach(function (input) {
      if (input.value === "") { return; }
      facts[input.dataset.fact] = input.dataset.kind === "integer" ? Number(input.value) : input.value;
    });
    data.append("facts", JSON.stringify(facts));
    form.querySelectorAll("input[type=file]").forEach(function (input) {
      if (input.files.length) {
        data.append("files", input.files[0]);
        data.append("components", input.dataset.component);
      }
    });
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    fetch("/api/v1/public/online-dossiers", { method: "POST", body: data })
      .then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      })
      .then(function (answer) {
        if (answer.ok) {
          form.classList.add("hidden");
          result.textContent = answer.body.message;
          result.classList.remove("hidden");
          return;
        }
        var errors = answer.body.errors || [];
        if (!errors.length) { showError("general", answer.body.detail || "Không nộp được hồ sơ."); }
        errors.forEach(function (e) { showError(e.field, e.message); });
      })
      .catch(function () { showError("general", "Không kết nối được máy chủ, vui lòng thử lại."); })
      .then(function () { button.disabled = false; });
  });
})();
