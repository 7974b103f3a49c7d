// What every process designers' page shares: the signed-in token, API calls in the one error format, and
// small DOM helpers (text only: nothing from the server is ever parsed as HTML).

const TOKEN = 'motcua.quy-trinh.token';
const WHO = 'motcua.quy-trinh.who';

export function token() {
  return sessionStorage.getItem(TOKEN);
}

export function signOut() {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(WHO);
  location.assign('/quy-trinh/dang-nhap');
}

export function toSignIn() {
  location.assign(`/quy-trinh/dang-nhap?tiep=${encodeURIComponent(location.pathname)}`);
}

export async function signIn(username, password) {
  const response = await fetch('/api/v1/auth/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new ApiError(response.status, body);
  }
  sessionStorage.setItem(TOKEN, body.access_token);
  const me = await api('/api/v1/me');
  sessionStorage.setItem(WHO, JSON.stringify({ full_name: me.full_name, roles: me.roles }));
  return me;
}

export class ApiError extends Error {
  constructor(status, body) {
    super(describe(body) || `Lỗi ${status}`);
    this.status = status;
    this.body = body;
  }
}

// The API's problem+json: `detail` in Vietnamese, and per field messages under `errors`.
function describe(body) {
  if (!body || typeof body !== 'object') {
    return '';
  }
  const fields = (body.errors || []).map((e) => e.message).filter(Boolean);
  return [body.detail, ...fields].filter(Boolean).join(' ');
}

// GET (or `init`) with the token; a 401 sends the designer to the sign-in page.
export async function api(path, init = {}) {
  const headers = { ...(init.headers || {}), authorization: `Bearer ${token()}` };
  const response = await fetch(path, { ...init, headers });
  if (response.status === 401) {
    toSignIn();
    throw new ApiError(401, { detail: 'Cần đăng nhập lại.' });
  }
  const type = response.headers.get('content-type') || '';
  const body = type.includes('json') ? await response.json() : await response.text();
  if (!response.ok) {
    throw new ApiError(response.status, body);
  }
  return body;
}

// The header: who is signed in, and the sign-out button. Pages other than the sign-in need a token.
export function header({ required = true } = {}) {
  if (required && !token()) {
    toSignIn();
    return false;
  }
  const who = JSON.parse(sessionStorage.getItem(WHO) || 'null');
  const out = document.getElementById('sign-out');
  if (who && out) {
    document.getElementById('who').textContent = who.full_name;
    out.hidden = false;
    out.addEventListener('click', signOut);
  }
  return true;
}

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (name === 'class') {
      node.className = value;
    } else if (name === 'text') {
      node.textContent = value;
    } else if (name.startsWith('on')) {
      node.addEventListener(name.slice(2), value);
    } else {
      node.setAttribute(name, value === true ? '' : value);
    }
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) {
      node.append(child);
    }
  }
  return node;
}

export function showError(id, error) {
  const node = document.getElementById(id);
  node.textContent = error ? (error.message || String(error)) : '';
  node.hidden = !error;
}

export function formatTime(value) {
  return value ? new Date(value).toLocaleString('vi-VN', { timeZone: 'Asia/Ho_Chi_Minh' }) : '';
}

// BPMN element types as the designers say them.
const TYPES = {
  userTask: 'Bước của cán bộ', serviceTask: 'Tác vụ hệ thống', task: 'Tác vụ', scriptTask: 'Tác vụ script',
  sequenceFlow: 'Luồng', exclusiveGateway: 'Cổng rẽ nhánh', parallelGateway: 'Cổng song song',
  startEvent: 'Bắt đầu', endEvent: 'Kết thúc', boundaryEvent: 'Sự kiện biên',
  intermediateCatchEvent: 'Sự kiện chờ', intermediateThrowEvent: 'Sự kiện phát', lane: 'Làn',
  laneSet: 'Bộ làn', process: 'Quy trình', participant: 'Bể (pool)', collaboration: 'Cộng tác',
  message: 'Thông điệp', subProcess: 'Tiến trình con', callActivity: 'Gọi quy trình',
};
const ASPECTS = {
  name: 'tên', attributes: 'thuộc tính', extension: 'cấu hình (spiffworkflow)', condition: 'điều kiện',
  documentation: 'mô tả', lane_members: 'các bước trong làn', event: 'định nghĩa sự kiện', script: 'script',
  type: 'loại phần tử', other: 'nội dung khác',
};

export function typeName(type) {
  return TYPES[type] || type;
}

// The changes of one version against another (the API's ChangesOut) as lists; `onPick(id)` selects one.
export function renderChanges(container, changes, onPick) {
  container.replaceChildren();
  if (!changes) {
    container.append(el('p', { class: 'hint', text: 'Chưa có thông tin thay đổi.' }));
    return;
  }
  if (!changes.base_version) {
    container.append(el('p', { class: 'hint', text: `Phiên bản đầu tiên: chưa có phiên bản nào trước đó (${changes.added.length} phần tử mới).` }));
    return;
  }
  container.append(el('p', { class: 'hint', text: `So với phiên bản ${changes.base_version}.` }));
  const groups = [
    ['added', 'Thêm', changes.added],
    ['removed', 'Bỏ', changes.removed],
    ['changed', 'Sửa', changes.changed],
  ];
  let any = false;
  for (const [kind, label, items] of groups) {
    if (!items.length) {
      continue;
    }
    any = true;
    const list = el('ul', { class: `change-list ${kind}` });
    for (const item of items) {
      const aspects = item.aspects && item.aspects.length ? ` (${item.aspects.map((a) => ASPECTS[a] || a).join(', ')})` : '';
      const text = `${typeName(item.type)} “${item.name || item.element_id}”${aspects}`;
      const entry = el('li', { 'data-element': item.element_id }, el('span', { class: 'tag', text: label }), ' ', text);
      if (onPick && kind !== 'removed') {
        entry.classList.add('pick');
        entry.addEventListener('click', () => onPick(item.element_id));
      }
      list.append(entry);
    }
    container.append(list);
  }
  if (changes.moved.length) {
    any = true;
    container.append(el('p', { class: 'hint', text: `Chỉ đổi vị trí trên sơ đồ: ${changes.moved.length} phần tử.` }));
  }
  if (!any) {
    container.append(el('p', { class: 'hint', text: 'Không có thay đổi.' }));
  }
}
