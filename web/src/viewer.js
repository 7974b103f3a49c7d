// The read-only diagram viewer (pan and zoom) for every page that shows a process: the officials' pages
// and the process designers' library. Exposed as a global so pages need no module loader: a page loads
// /static/build/bpmn-viewer.js and /static/build/bpmn.css, then `new window.MotcuaBpmnViewer({container})`.
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';

window.MotcuaBpmnViewer = NavigatedViewer;
