// The process designers' modeler (/quy-trinh/{key}/{version}/sua): bpmn-js's Modeler with SpiffWorkflow's
// extensions, our element templates (designer/properties.js), bpmnlint in the browser and the server's own
// validation shown on the elements, deploy as a new version, and what changes against the deployed one.
import Modeler from 'bpmn-js/lib/Modeler';
import lintModule from 'bpmn-js-bpmnlint';
import lintConfig from './lint/config.js';
import spiffworkflow from './spiffworkflow.json';
import translateModule from './designer/translate.js';
import { PropertiesForm } from './designer/properties.js';
import { api, el, header, renderChanges, showError } from './designer/common.js';

const state = { lint: {}, server: [], dirty: false, checkedAt: null };

document.addEventListener('DOMContentLoaded', () => {
  if (header()) {
    start().catch((error) => showError('modeler-error', error));
  }
});

async function start() {
  const { key, version } = document.body.dataset;
  const modeler = new Modeler({
    container: document.getElementById('canvas'),
    keyboard: { bindTo: document },
    linting: { bpmnlint: lintConfig, active: true },
    additionalModules: [lintModule, translateModule],
    moddleExtensions: { spiffworkflow },
  });
  window.MotcuaModeler = { modeler }; // for the console and the browser test
  const [xml, templates] = await Promise.all([
    api(`/api/v1/process-definitions/${encodeURIComponent(key)}/versions/${version}/xml`),
    api('/api/v1/process-definitions/element-templates'),
  ]);
  const { warnings } = await modeler.importXML(xml);
  if (warnings.length) {
    console.warn('import warnings', warnings);
  }
  modeler.get('canvas').zoom('fit-viewport', 'auto');
  new PropertiesForm({ modeler, container: document.getElementById('properties'), templates });

  const eventBus = modeler.get('eventBus');
  eventBus.on('linting.completed', ({ issues }) => {
    state.lint = issues;
    renderProblems(modeler);
  });
  eventBus.on('commandStack.changed', () => {
    state.dirty = true;
    if (state.checkedAt) {
      document.getElementById('lint-status').dataset.stale = 'true';
    }
  });
  window.addEventListener('beforeunload', (event) => {
    if (state.dirty) {
      event.preventDefault();
    }
  });
  document.getElementById('check').addEventListener('click', () => check(modeler, key).catch((e) => showError('modeler-error', e)));
  document.getElementById('deploy').addEventListener('click', () => deploy(modeler, key).catch((e) => showError('modeler-error', e)));
}

function lintCounts() {
  let errors = 0;
  let warnings = 0;
  for (const reports of Object.values(state.lint)) {
    for (const report of reports) {
      if (report.category === 'error') {
        errors += 1;
      } else {
        warnings += 1;
      }
    }
  }
  return { errors, warnings };
}

// Both kinds of problems in one list (click: select the element); the server's also as overlays.
function renderProblems(modeler) {
  const list = document.getElementById('problems');
  const registry = modeler.get('elementRegistry');
  const { errors, warnings } = lintCounts();
  const status = document.getElementById('lint-status');
  status.textContent = `bpmnlint: ${errors} lỗi, ${warnings} cảnh báo · máy chủ: ${state.checkedAt ? `${state.server.length} lỗi` : 'chưa kiểm tra'}`;
  status.className = `status ${errors || state.server.length ? 'bad' : 'good'}`;
  status.dataset.stale = 'false';
  list.replaceChildren();
  const pick = (id) => {
    const element = registry.get(id);
    if (element) {
      modeler.get('selection').select(element);
      modeler.get('canvas').scrollToElement(element);
    }
  };
  for (const [id, reports] of Object.entries(state.lint)) {
    for (const report of reports) {
      const target = report.actualElementId || id;
      list.append(el('li', { class: `problem lint ${report.category}`, 'data-element': target, onclick: () => pick(target) },
        el('span', { class: 'tag', text: report.category === 'error' ? 'bpmnlint' : 'cảnh báo' }), ' ',
        el('b', { text: nameOf(registry, target) }), `: ${report.message}`));
    }
  }
  for (const problem of state.server) {
    list.append(el('li', { class: 'problem server error', 'data-element': problem.field, onclick: () => pick(problem.field) },
      el('span', { class: 'tag', text: 'máy chủ' }), ' ',
      el('b', { text: problem.field === 'xml' ? 'Tệp BPMN' : nameOf(registry, problem.field) }),
      `${problem.line ? ` (dòng ${problem.line})` : ''}: ${problem.message}`));
  }
  if (!list.children.length) {
    list.append(el('li', { class: 'hint', text: 'Không có lỗi.' }));
  }
}

function nameOf(registry, id) {
  const element = registry.get(id);
  const name = element && element.businessObject && element.businessObject.name;
  return name ? `${name} (${id})` : id;
}

function showServerProblems(modeler, problems) {
  const overlays = modeler.get('overlays');
  const canvas = modeler.get('canvas');
  const registry = modeler.get('elementRegistry');
  overlays.remove({ type: 'server-problem' });
  for (const element of registry.getAll()) {
    canvas.removeMarker(element, 'server-invalid');
  }
  state.server = problems;
  for (const problem of problems) {
    const element = registry.get(problem.field);
    if (!element) {
      continue;
    }
    canvas.addMarker(element, 'server-invalid');
    overlays.add(element, 'server-problem', {
      position: { bottom: 10, left: -10 },
      html: el('span', { class: 'server-badge', title: problem.message, 'data-element': problem.field, text: '!' }),
    });
  }
  renderProblems(modeler);
}

async function exportFile(modeler, key) {
  const { xml } = await modeler.saveXML({ format: true });
  const form = new FormData();
  form.append('file', new Blob([xml], { type: 'application/xml' }), `${key}.bpmn`);
  return form;
}

// The server's validation (deploy's own) and what deploying would change.
async function check(modeler, key) {
  showError('modeler-error', null);
  const result = await api('/api/v1/process-definitions/validate', { method: 'POST', body: await exportFile(modeler, key) });
  state.checkedAt = new Date();
  showServerProblems(modeler, result.problems);
  renderChanges(document.getElementById('changes'), result.changes, (id) => {
    const element = modeler.get('elementRegistry').get(id);
    if (element) {
      modeler.get('selection').select(element);
      modeler.get('canvas').scrollToElement(element);
    }
  });
  if (result.key && result.key !== key) {
    showError('modeler-error', new Error(`Mã quy trình trong sơ đồ là “${result.key}”, khác “${key}”: triển khai sẽ tạo một quy trình khác.`));
  }
  return result;
}

async function deploy(modeler, key) {
  const notice = document.getElementById('deployed');
  notice.hidden = true;
  const { errors } = lintCounts();
  if (errors) {
    throw new Error(`Còn ${errors} lỗi bpmnlint trên sơ đồ: sửa trước khi triển khai.`);
  }
  const result = await check(modeler, key);
  if (!result.valid) {
    throw new Error(`Máy chủ chưa nhận sơ đồ: ${result.problems.length} lỗi (đánh dấu “!” trên phần tử).`);
  }
  const deployed = await api('/api/v1/process-definitions', { method: 'POST', body: await exportFile(modeler, key) });
  state.dirty = false;
  const link = `/quy-trinh/${encodeURIComponent(deployed.key)}/${deployed.version}`;
  notice.replaceChildren(
    result.changes && result.changes.base_version === deployed.version
      ? `Nội dung không đổi: vẫn là phiên bản ${deployed.version}. `
      : `Đã triển khai phiên bản ${deployed.version} của ${deployed.key}. `,
    el('a', { href: link, id: 'deployed-link', text: `Xem phiên bản ${deployed.version}` }), ' · ',
    el('a', { href: '/quy-trinh/', text: 'Về thư viện' }));
  notice.hidden = false;
}
