// A form generated from a task's JSON Schema (draft 2020-12, as the BPMN's formJsonSchema writes it): each
// property's `title` as its label, `required` marked, `oneOf` const/title (or `enum`) as choices, `format:
// date` as a date picker, booleans as checkboxes (`const: true`: a confirmation), arrays of strings as a list
// of lines. Fields required only under an `allOf` if/then (the reason of a refusal) show when their
// condition holds. Messages are the server's own words (workflows/core/field_errors.py): the few checked
// here before sending are worded the same, every other one comes back in the 422 and is shown on its field.
(function () {
  "use strict";
  const { el } = window.Motcua.shell;
  const RADIO_MAX = 4;

  function choicesOf(prop) {
    if (Array.isArray(prop.oneOf) && prop.oneOf.every((o) => "const" in o)) {
      return prop.oneOf.map((o) => ({ value: o.const, label: o.title || String(o.const) }));
    }
    if (Array.isArray(prop.enum)) return prop.enum.map((v) => ({ value: v, label: String(v) }));
    return null;
  }

  // Does `data` satisfy an `if` of the form {properties: {x: {const|enum}}, required: [x]}?
  function holds(condition, data) {
    const required = condition.required || [];
    if (required.some((name) => data[name] === undefined)) return false;
    return Object.entries(condition.properties || {}).every(([name, rule]) => {
      if ("const" in rule) return data[name] === rule.const;
      if (Array.isArray(rule.enum)) return rule.enum.includes(data[name]);
      return true;
    });
  }

  function requiredNow(schema, data) {
    const names = new Set(schema.required || []);
    (schema.allOf || []).forEach((rule) => {
      if (rule.if && rule.then && holds(rule.if, data)) (rule.then.required || []).forEach((n) => names.add(n));
    });
    return names;
  }

  function conditional(schema) {
    const names = new Set();
    (schema.allOf || []).forEach((rule) => (rule.then && rule.then.required || []).forEach((n) => names.add(n)));
    (schema.required || []).forEach((n) => names.delete(n));
    return names;
  }

  function render(schema, options) {
    const opts = options || {};
    const props = schema.properties || {};
    const fields = {};
    const form = el("div", { class: "schema-form" });
    const onlyWhen = conditional(schema);

    Object.entries(props).forEach(([name, prop]) => {
      const field = buildField(name, prop, (opts.values || {})[name]);
      fields[name] = field;
      form.append(field.node);
    });

    function collect() {
      const data = {};
      Object.entries(fields).forEach(([name, field]) => {
        if (field.node.classList.contains("hidden")) return;
        const value = field.read();
        if (value !== undefined) data[name] = value;
      });
      return data;
    }

    function refresh() {
      const data = collect();
      const needed = requiredNow(schema, data);
      Object.entries(fields).forEach(([name, field]) => {
        const show = !onlyWhen.has(name) || needed.has(name) || field.read() !== undefined;
        field.node.classList.toggle("hidden", !show);
        field.mark(needed.has(name));
      });
    }

    function clearErrors() { Object.values(fields).forEach((f) => f.error("")); }

    // fields: {name or "name.0": message} from ApiError.fields; returns the messages no field could show.
    function showErrors(byField) {
      clearErrors();
      const rest = [];
      let first = null;
      Object.entries(byField || {}).forEach(([path, message]) => {
        const field = fields[path.split(".")[0]];
        if (field && !field.node.classList.contains("hidden")) { field.error(message); first = first || field; }
        else rest.push(message);
      });
      if (first) first.focus();
      return rest;
    }

    // The checks made before sending, in the server's words: required fields and confirmations.
    function validate() {
      const data = collect();
      const needed = requiredNow(schema, data);
      const errors = {};
      Object.entries(fields).forEach(([name, field]) => {
        const prop = props[name], title = prop.title || name;
        if (needed.has(name) && (data[name] === undefined || (Array.isArray(data[name]) && !data[name].length))) {
          errors[name] = title + ": bắt buộc, chưa được nhập.";
        } else if (prop.const === true && data[name] === false) {
          errors[name] = title + ": cần được xác nhận.";
        }
      });
      return errors;
    }

    form.addEventListener("input", refresh);
    form.addEventListener("change", refresh);
    refresh();
    return { node: form, collect, validate, showErrors, clearErrors };
  }

  function buildField(name, prop, initial) {
    const id = "f-" + name;
    const title = prop.title || name;
    const choices = choicesOf(prop);
    const errorBox = el("div", { class: "field-error hidden", id: id + "-error", role: "alert" });
    const star = el("span", { class: "req hidden", "aria-hidden": "true" }, " *");
    const hint = prop.description ? el("p", { class: "hint" }, prop.description) : null;
    let node, read, focus;

    if (prop.type === "boolean") {
      const input = el("input", { type: "checkbox", id, name, "aria-describedby": id + "-error" });
      input.checked = initial === true;
      node = el("div", { class: "field", "data-field": name },
        el("label", { class: "choice", for: id }, input, title, star), hint, errorBox);
      read = () => input.checked;
      focus = () => input.focus();
    } else if (choices && (choices.length <= RADIO_MAX)) {
      const inputs = choices.map((c, i) => el("input", { type: "radio", name, id: id + "-" + i, value: String(c.value) }));
      inputs.forEach((input, i) => { if (initial !== undefined && choices[i].value === initial) input.checked = true; });
      node = el("fieldset", { class: "field", "data-field": name, "aria-describedby": id + "-error" },
        el("legend", {}, title, star), hint,
        choices.map((c, i) => el("label", { class: "choice", for: id + "-" + i }, inputs[i], c.label)), errorBox);
      read = () => { const i = inputs.findIndex((x) => x.checked); return i < 0 ? undefined : choices[i].value; };
      focus = () => inputs[0].focus();
    } else if (choices) {
      const select = el("select", { id, name, "aria-describedby": id + "-error" },
        el("option", { value: "" }, "— Chọn —"),
        choices.map((c, i) => el("option", { value: String(i) }, c.label)));
      const at = choices.findIndex((c) => c.value === initial);
      if (at >= 0) select.value = String(at);
      node = el("div", { class: "field", "data-field": name }, el("label", { for: id }, title, star, select), hint, errorBox);
      read = () => select.value === "" ? undefined : choices[Number(select.value)].value;
      focus = () => select.focus();
    } else if (prop.type === "array") {
      const list = el("div", { class: "array" });
      const add = (value) => {
        const input = el("input", { type: "text", "aria-label": (prop.items && prop.items.title) || title,
          maxlength: prop.items && prop.items.maxLength });
        input.value = value || "";
        const remove = el("button", { type: "button", class: "link", onclick: () => { row.remove(); list.dispatchEvent(new Event("input", { bubbles: true })); } }, "Xóa");
        const row = el("div", { class: "array-row" }, input, remove);
        list.append(row);
        return input;
      };
      (Array.isArray(initial) && initial.length ? initial : [""]).forEach((v) => add(v));
      const more = el("button", { type: "button", class: "secondary", onclick: () => add("").focus() },
        "+ Thêm " + ((prop.items && prop.items.title) || "dòng").toLowerCase());
      node = el("fieldset", { class: "field", "data-field": name, "aria-describedby": id + "-error" },
        el("legend", {}, title, star), hint, list, more, errorBox);
      read = () => {
        const values = [...list.querySelectorAll("input")].map((i) => i.value.trim()).filter((v) => v);
        return values.length ? values : undefined;
      };
      focus = () => { const first = list.querySelector("input"); if (first) first.focus(); };
    } else {
      const numeric = prop.type === "integer" || prop.type === "number";
      const long = prop.type === "string" && !prop.format && (prop.maxLength || 0) > 200;
      const attrs = { id, name, "aria-describedby": id + "-error", maxlength: numeric ? null : prop.maxLength };
      const input = long ? el("textarea", attrs)
        : el("input", { ...attrs, type: prop.format === "date" ? "date" : numeric ? "number" : "text",
          step: prop.type === "integer" ? "1" : null });
      if (initial !== undefined) input.value = initial;
      node = el("div", { class: "field", "data-field": name }, el("label", { for: id }, title, star, input), hint, errorBox);
      read = () => {
        const raw = input.value.trim();
        if (raw === "") return undefined;
        if (numeric) { const n = Number(raw); return Number.isFinite(n) ? n : raw; }
        return raw;
      };
      focus = () => input.focus();
    }
    return {
      node, read, focus,
      mark: (required) => star.classList.toggle("hidden", !required),
      error: (message) => {
        errorBox.textContent = message || "";
        errorBox.classList.toggle("hidden", !message);
        node.classList.toggle("invalid", !!message);
      },
    };
  }

  window.Motcua.schemaForm = { render };
})();
