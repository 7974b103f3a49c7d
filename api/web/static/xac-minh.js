// The verification page: sends the chosen PDF to POST /api/v1/public/verify and reads the answer out.
(function () {
  "use strict";
  var form = document.getElementById("verify-form");
  var out = document.getElementById("verify-result");

  function line(label, value) {
    var p = document.createElement("p");
    var strong = document.createElement("strong");
    strong.textContent = label + " ";
    p.appendChild(strong);
    p.appendChild(document.createTextNode(value));
    out.appendChild(p);
  }

  function when(iso) {
    return iso ? new Date(iso).toLocaleString("vi-VN", { timeZone: "Asia/Ho_Chi_Minh" }) : "không rõ";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = document.getElementById("verify-file").files[0];
    if (!file) { return; }
    var body = new FormData();
    body.append("file", file);
    out.textContent = "Đang xác minh…";
    fetch("/api/v1/public/verify", { method: "POST", body: body }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (reply) {
      out.textContent = "";
      if (!reply.ok) { line("Không xác minh được:", reply.data.detail || "lỗi không rõ"); return; }
      var d = reply.data;
      out.className = d.issued && d.unchanged ? "ok" : "warn";
      line("Kết quả:", d.message);
      if (d.dossier_code) { line("Mã hồ sơ:", d.dossier_code); }
      if (d.kind) { line("Loại văn bản:", d.kind); }
      if (d.signer_name) { line("Người ký:", d.signer_name + (d.signer_title ? ", " + d.signer_title : "")); }
      if (d.signed_at) { line("Thời điểm ký:", when(d.signed_at)); }
    }).catch(function () { out.textContent = "Không kết nối được máy chủ, vui lòng thử lại."; });
  });
}());
