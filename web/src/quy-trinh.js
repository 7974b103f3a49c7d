// The process designers' sign-in, library and version pages (/quy-trinh/…); the modeler is modeler.js.
import {
  api, el, formatTime, header, renderChanges, showError, signIn,
} from './designer/common.js';

const PAGES = { 'sign-in': signInPage, library: libraryPage, version: versionPage };

document.addEventListener('DOMContentLoaded', () => {
  const page = PAGES[document.body.dataset.page];
  if (page) {
    page().catch((error) => console.error(error));
  }
});

async function signInPage() {
  header({ required: false });
  const form = document.getElementById('sign-in-form');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    showError('sign-in-error', null);
    const username = form.username.value.trim();
    const password = form.password.value;
    if (!username || !password) {
      showError('sign-in-error', new Error(!username ? 'Tên đăng nhập: bắt buộc, chưa được nhập.' : 'Mật khẩu: bắt buộc, chưa được nhập.'));
      return;
    }
    try {
      const me = await signIn(username, password);
      if (!me.roles.includes('QUAN_TRI')) {
        showError('sign-in-error', new Error('Tài khoản này xem được thư viện nhưng không triển khai được quy trình (cần vai trò Quản trị hệ thống).'));
      }
      const next = new URLSearchParams(location.search).get('tiep');
      // Only a path of these pages: never an address elsewhere (no open redirect).
      location.assign(next && /^\/quy-trinh\/[A-Za-z0-9_./-]*$/.test(next) ? next : '/quy-trinh/');
    } catch (error) {
      showError('sign-in-error', error);
    }
  });
}

async function libraryPage() {
  if (!header()) {
    return;
  }
  const container = document.getElementById('library');
  let page;
  try {
    page = await api('/api/v1/process-definitions');
  } catch (error) {
    showError('library-error', error);
    container.replaceChildren();
    return;
  }
  const byKey = new Map();
  for (const item of page.items) {
    if (!byKey.has(item.key)) {
      byKey.set(item.key, []);
    }
    byKey.get(item.key).push(item);
  }
  container.replaceChildren();
  if (!byKey.size) {
    container.append(el('p', { class: 'hint', text: 'Chưa có quy trình nào được triển khai.' }));
  }
  for (const [key, versions] of byKey) {
    versions.sort((a, b) => b.version - a.version);
    const latest = versions[0];
    const rows = versions.map((v) => {
      const waiting = el('td', { class: 'num', 'data-waiting': `${key}/${v.version}`, text: '…' });
      loadRunning(key, v.version, waiting);
      return el('tr', { 'data-version': v.version },
        el('td', {}, el('a', { href: `/quy-trinh/${encodeURIComponent(key)}/${v.version}`, text: `Phiên bản ${v.version}` }),
          v.version === latest.version ? el('span', { class: 'tag current', text: 'mới nhất' }) : null),
        el('td', { text: formatTime(v.deployed_at) }),
        el('td', { class: 'file', text: v.filename || '' }),
        waiting,
        el('td', {}, el('a', { class: 'button small', href: `/quy-trinh/${encodeURIComponent(key)}/${v.version}/sua`, text: 'Sửa' })));
    });
    container.append(el('section', { class: 'process card', 'data-key': key },
      el('h2', {}, el('a', { href: `/quy-trinh/${encodeURIComponent(key)}/${latest.version}`, text: key }),
        el('small', { text: ` ${versions.length} phiên bản` })),
      el('table', {},
        el('thead', {}, el('tr', {},
          el('th', { text: 'Phiên bản' }), el('th', { text: 'Triển khai lúc' }), el('th', { text: 'Tệp' }),
          el('th', { text: 'Hồ sơ đang chạy' }), el('th', { text: '' }))),
        el('tbody', {}, rows))));
  }
}

async function loadRunning(key, version, cell) {
  try {
    const waiting = await api(`/api/v1/process-definitions/${encodeURIComponent(key)}/versions/${version}/waiting`);
    cell.textContent = String(waiting.instances);
  } catch (error) {
    cell.textContent = error.status === 403 ? '—' : '?';
    cell.title = error.message;
  }
}

async function versionPage() {
  if (!header()) {
    return;
  }
  const { key, version } = document.body.dataset;
  const base = `/api/v1/process-definitions/${encodeURIComponent(key)}/versions/${version}`;
  const viewer = new window.MotcuaBpmnViewer({ container: document.getElementById('canvas') });
  let xml;
  try {
    xml = await api(`${base}/xml`);
    await viewer.importXML(xml);
  } catch (error) {
    showError('version-error', error);
    return;
  }
  const canvas = viewer.get('canvas');
  canvas.zoom('fit-viewport', 'auto');
  const registry = viewer.get('elementRegistry');
  const overlays = viewer.get('overlays');
  const summary = document.getElementById('waiting-summary');
  try {
    const waiting = await api(`${base}/waiting`);
    let placed = 0;
    for (const item of waiting.elements) {
      if (!registry.get(item.element_id)) {
        continue;
      }
      if (item.waiting) {
        overlays.add(item.element_id, 'waiting', {
          position: { top: -12, right: 12 },
          scale: false, // readable whatever the zoom
          html: el('span', { class: 'count-badge', 'data-element': item.element_id, title: `${item.waiting} hồ sơ đang chờ ở bước này`, text: String(item.waiting) }),
        });
        placed += 1;
      }
      if (item.incidents) {
        overlays.add(item.element_id, 'incidents', {
          position: { bottom: 12, right: 12 },
          scale: false,
          html: el('span', { class: 'count-badge incident', title: `${item.incidents} hồ sơ gặp sự cố ở bước này`, text: `⚠ ${item.incidents}` }),
        });
      }
    }
    summary.textContent = `${waiting.instances} hồ sơ đang chạy phiên bản này; ${placed} bước có hồ sơ đang chờ (số trên góc mỗi bước).`;
  } catch (error) {
    summary.textContent = error.status === 403 ? 'Số hồ sơ đang chờ chỉ hiện cho quản trị và giám sát toàn tỉnh.' : error.message;
  }
  const changes = document.getElementById('changes');
  try {
    renderChanges(changes, await api(`${base}/changes`), (id) => {
      for (const other of registry.getAll()) {
        canvas.removeMarker(other, 'highlight');
      }
      canvas.addMarker(id, 'highlight');
      canvas.scrollToElement(id);
    });
  } catch (error) {
    changes.replaceChildren(el('p', { class: 'error', text: error.message }));
  }
}
