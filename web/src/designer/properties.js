// Our element templates, as a small form beside the canvas (not bpmn-js-properties-panel: its element
// templates bind Camunda's extension elements, and our engine reads SpiffWorkflow's). What the form offers
// comes from GET /api/v1/process-definitions/element-templates, built from the same operator registry and
// roles the server validates against: a service task gets an operator and its parameters (dossier status,
// Zalo notification, document rendering…), a user task its lane's role and its form schema.
import { el } from './common.js';

const SPIFF = 'spiffworkflow';

export class PropertiesForm {
  constructor({ modeler, container, templates }) {
    this.modeler = modeler;
    this.container = container;
    this.templates = templates;
    this.operators = new Map(templates.service_tasks.map((t) => [t.operator, t]));
    this.element = null;
    const eventBus = modeler.get('eventBus');
    eventBus.on('selection.changed', ({ newSelection }) => this.show(newSelection.length === 1 ? newSelection[0] : null));
    eventBus.on('elements.changed', ({ elements }) => {
      // Re-render after an undo/redo or a label edited on the canvas, not while typing in this form.
      if (this.element && elements.some((e) => e.id === this.element.id) && !this.container.contains(document.activeElement)) {
        this.show(this.element);
      }
    });
  }

  show(element) {
    this.element = element;
    const root = element && element.businessObject;
    this.container.replaceChildren();
    if (!element || element.type === 'label') {
      this.container.append(el('p', { class: 'hint', text: 'Chọn một phần tử để xem và sửa thuộc tính.' }));
      return;
    }
    this.container.append(
      el('h2', { text: 'Thuộc tính' }),
      field('Mã phần tử (id)', el('input', { id: 'prop-id', value: root.id, readonly: true })),
      field('Tên', el('input', {
        id: 'prop-name', value: root.name || '', maxlength: 300,
        oninput: (event) => this.modeler.get('modeling').updateLabel(element, event.target.value),
      })),
    );
    if (root.$type === 'bpmn:UserTask') {
      this.userTask(element);
    } else if (root.$type === 'bpmn:ServiceTask') {
      this.serviceTask(element);
    } else if (root.$type === 'bpmn:Lane') {
      this.container.append(el('p', { class: 'hint', text: 'Tên làn là mã vai trò thực hiện các bước trong làn (MOT_CUA, CHUYEN_VIEN, …).' }));
    }
  }

  // ---- user task: lane role, form schema, assignee, title --------------------------------------------

  userTask(element) {
    const lane = laneOf(this.modeler, element);
    const roles = this.templates.user_task.roles;
    const roleSelect = el('select', {
      id: 'prop-role', disabled: !lane,
      onchange: (event) => this.modeler.get('modeling').updateProperties(lane, { name: event.target.value }),
    }, el('option', { value: '', text: lane ? '— chọn vai trò —' : '(bước chưa nằm trong làn nào)' }),
    roles.map((r) => el('option', { value: r.value, text: `${r.value} – ${r.label}`, selected: lane && lane.businessObject.name === r.value })));
    this.container.append(el('h3', { text: 'Mẫu: bước của cán bộ (user task)' }),
      field('Vai trò (tên làn chứa bước)', roleSelect,
        lane ? 'Đổi vai trò là đổi tên làn: mọi bước trong làn cùng đổi.' : 'Kéo bước vào một làn để giao cho một vai trò.'));
    const values = properties(element.businessObject);
    for (const property of this.templates.user_task.properties) {
      const multiline = property.name === 'formJsonSchema';
      const input = el(multiline ? 'textarea' : 'input', {
        id: `prop-${property.name}`, rows: multiline ? 8 : undefined, spellcheck: multiline ? 'false' : undefined,
        maxlength: multiline ? 200000 : 300,
      });
      input.value = values[property.name] || '';
      const note = el('p', { class: 'field-error', hidden: true });
      input.addEventListener('change', () => {
        const value = input.value.trim();
        if (multiline && value) {
          try {
            JSON.parse(value);
          } catch (error) {
            note.textContent = `${property.name}: không phải JSON hợp lệ (${error.message}).`;
            note.hidden = false;
            return;
          }
        }
        note.hidden = true;
        this.setUserTaskProperty(element, property.name, value);
      });
      this.container.append(field(`${property.name}`, input, property.label), note);
    }
  }

  setUserTaskProperty(element, name, value) {
    const moddle = this.modeler.get('moddle');
    const bo = element.businessObject;
    const current = properties(bo);
    if (value) {
      current[name] = value;
    } else {
      delete current[name];
    }
    const list = Object.entries(current).map(([n, v]) => moddle.create(`${SPIFF}:Property`, { name: n, value: v }));
    const wrapper = list.length ? moddle.create(`${SPIFF}:Properties`, { properties: list }) : null;
    this.replaceExtension(element, `${SPIFF}:Properties`, wrapper);
  }

  // ---- service task: operator and its parameters -------------------------------------------------------

  serviceTask(element) {
    const operator = operatorOf(element.businessObject);
    const current = operator ? operator.id : '';
    const select = el('select', {
      id: 'prop-operator',
      onchange: (event) => this.setOperator(element, event.target.value, {}),
    }, el('option', { value: '', text: '— chọn mẫu —' }),
    this.templates.service_tasks.map((t) => el('option', { value: t.operator, text: `${t.label} (${t.operator})`, selected: t.operator === current })));
    this.container.append(el('h3', { text: 'Mẫu: tác vụ hệ thống (service task)' }), field('Mẫu tác vụ', select));
    const template = this.operators.get(current);
    if (current && !template) {
      this.container.append(el('p', { class: 'field-error', text: `Toán tử “${current}” không có trong danh mục của máy chủ.` }));
    }
    if (!template) {
      return;
    }
    const params = parameters(operator);
    for (const param of template.params) {
      const literal = pythonString(params[param.name]);
      let input;
      if (param.choices) {
        input = el('select', { id: `prop-param-${param.name}` },
          el('option', { value: '', text: param.required ? '— chọn —' : '(không đặt)' }),
          param.choices.map((c) => el('option', { value: c.value, text: `${c.value} – ${c.label}`, selected: c.value === literal })));
        if (params[param.name] !== undefined && literal === null) {
          input.append(el('option', { value: '__expr', text: `biểu thức: ${params[param.name]}`, selected: true }));
        }
      } else {
        input = el('input', { id: `prop-param-${param.name}`, value: literal ?? '', maxlength: 500 });
      }
      input.addEventListener('change', () => {
        if (input.value === '__expr') {
          return;
        }
        const next = { ...parameters(operatorOf(element.businessObject)) };
        if (input.value) {
          next[param.name] = quote(input.value);
        } else {
          delete next[param.name];
        }
        this.setOperator(element, current, next);
      });
      this.container.append(field(`${param.label}${param.required ? ' *' : ''}`, input, param.name));
    }
  }

  setOperator(element, name, params) {
    const moddle = this.modeler.get('moddle');
    if (!name) {
      this.replaceExtension(element, `${SPIFF}:ServiceTaskOperator`, null);
      return;
    }
    const list = Object.entries(params).map(([id, value]) => moddle.create(`${SPIFF}:Parameter`, { id, type: 'str', value }));
    const operator = moddle.create(`${SPIFF}:ServiceTaskOperator`, {
      id: name, parameterList: moddle.create(`${SPIFF}:Parameters`, { parameters: list }),
    });
    this.replaceExtension(element, `${SPIFF}:ServiceTaskOperator`, operator);
    this.show(element);
  }

  // One undoable command: the element's extensionElements with `type` replaced by `value` (or removed).
  replaceExtension(element, type, value) {
    const moddle = this.modeler.get('moddle');
    const bo = element.businessObject;
    const others = ((bo.extensionElements && bo.extensionElements.values) || []).filter((v) => v.$type !== type);
    const values = value ? [...others, value] : others;
    const extensionElements = values.length ? moddle.create('bpmn:ExtensionElements', { values }) : undefined;
    if (extensionElements) {
      extensionElements.$parent = bo;
      for (const v of values) {
        v.$parent = extensionElements;
      }
    }
    this.modeler.get('modeling').updateProperties(element, { extensionElements });
  }
}

function field(label, input, help) {
  const id = input.id || undefined;
  return el('div', { class: 'field' },
    el('label', { for: id, text: label }), input,
    help ? el('p', { class: 'help', text: help }) : null);
}

function extension(bo, type) {
  return ((bo.extensionElements && bo.extensionElements.values) || []).find((v) => v.$type === type) || null;
}

function properties(bo) {
  const wrapper = extension(bo, `${SPIFF}:Properties`);
  const out = {};
  for (const p of (wrapper && wrapper.properties) || []) {
    out[p.name] = p.value;
  }
  return out;
}

function operatorOf(bo) {
  return extension(bo, `${SPIFF}:ServiceTaskOperator`);
}

function parameters(operator) {
  const out = {};
  for (const p of (operator && operator.parameterList && operator.parameterList.parameters) || []) {
    out[p.id] = p.value;
  }
  return out;
}

// A parameter's value is a Python expression (BPMN_CONVENTIONS.md): our templates write quoted literals.
function quote(value) {
  return `'${String(value).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function pythonString(expression) {
  const match = /^\s*(['"])((?:\\.|(?!\1).)*)\1\s*$/.exec(expression || '');
  return match ? match[2].replace(/\\(.)/g, '$1') : null;
}

export function laneOf(modeler, element) {
  const bo = element.businessObject;
  const lanes = modeler.get('elementRegistry').filter((e) => e.type === 'bpmn:Lane'
    && (e.businessObject.flowNodeRef || []).includes(bo)
    && !(e.businessObject.childLaneSet && e.businessObject.childLaneSet.lanes.length));
  return lanes[0] || null;
}
