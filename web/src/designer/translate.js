// bpmn-js's own words (palette, context pad, replace menu, lint button) in Vietnamese; anything not listed
// stays in English. A diagram-js `translate` service, as bpmn-js documents for localisation.
const WORDS = {
  'Activate hand tool': 'Công cụ kéo sơ đồ',
  'Activate lasso tool': 'Công cụ chọn vùng',
  'Activate create/remove space tool': 'Công cụ thêm/bớt khoảng trống',
  'Activate global connect tool': 'Công cụ nối',
  'Create start event': 'Thêm sự kiện bắt đầu',
  'Create end event': 'Thêm sự kiện kết thúc',
  'Create intermediate/boundary event': 'Thêm sự kiện trung gian',
  'Create task': 'Thêm tác vụ',
  'Create gateway': 'Thêm cổng',
  'Create expanded sub-process': 'Thêm tiến trình con',
  'Create pool/participant': 'Thêm bể (pool)',
  'Create data object reference': 'Thêm đối tượng dữ liệu',
  'Create data store reference': 'Thêm kho dữ liệu',
  'Create group': 'Thêm nhóm',
  'Append end event': 'Nối sự kiện kết thúc',
  'Append gateway': 'Nối cổng',
  'Append task': 'Nối tác vụ',
  'Append intermediate/boundary event': 'Nối sự kiện trung gian',
  'Append text annotation': 'Nối ghi chú',
  'Change element': 'Đổi loại phần tử',
  'Change type': 'Đổi loại',
  'Connect to other element': 'Nối tới phần tử khác',
  'Connect using sequence/message flow or association': 'Nối bằng luồng',
  'Delete': 'Xoá',
  'Add lane above': 'Thêm làn phía trên',
  'Add lane below': 'Thêm làn phía dưới',
  'Divide into two lanes': 'Chia thành hai làn',
  'Divide into three lanes': 'Chia thành ba làn',
  'User task': 'Bước của cán bộ (user task)',
  'Service task': 'Tác vụ hệ thống (service task)',
  'Task': 'Tác vụ',
  'Script task': 'Tác vụ script',
  'Toggle linting overlays': 'Bật/tắt hiển thị lỗi bpmnlint',
  '{errors} Errors, {warnings} Warnings': '{errors} lỗi, {warnings} cảnh báo',
  'No Issues': 'Không có lỗi',
  'Issues for child elements': 'Lỗi của phần tử con',
  'Errors': 'Lỗi',
  'Warnings': 'Cảnh báo',
};

function translate(template, replacements = {}) {
  return (WORDS[template] || template).replace(/{([^}]+)}/g, (_, key) => replacements[key] ?? `{${key}}`);
}

export default { translate: ['value', translate] };
