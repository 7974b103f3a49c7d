// bpmnlint for the modeler, bundled (no rule is loaded at run time): bpmnlint's recommended rules, tuned to
// our conventions (docs/BPMN_CONVENTIONS.md), with their messages in Vietnamese. The server's validation
// (POST /api/v1/process-definitions/validate) checks what the engine needs; these check the drawing.
import recommended from 'bpmnlint/config/recommended';
import labelRequired from 'bpmnlint/rules/label-required';
import { MESSAGES } from './messages.js';

// The recommended rules, each imported explicitly so esbuild bundles exactly these.
import adHocSubProcess from 'bpmnlint/rules/ad-hoc-sub-process';
import conditionalFlows from 'bpmnlint/rules/conditional-flows';
import endEventRequired from 'bpmnlint/rules/end-event-required';
import eventBasedGateway from 'bpmnlint/rules/event-based-gateway';
import eventSubProcessTypedStartEvent from 'bpmnlint/rules/event-sub-process-typed-start-event';
import fakeJoin from 'bpmnlint/rules/fake-join';
import global from 'bpmnlint/rules/global';
import linkEvent from 'bpmnlint/rules/link-event';
import noBpmndi from 'bpmnlint/rules/no-bpmndi';
import noComplexGateway from 'bpmnlint/rules/no-complex-gateway';
import noDisconnected from 'bpmnlint/rules/no-disconnected';
import noDuplicateSequenceFlows from 'bpmnlint/rules/no-duplicate-sequence-flows';
import noGatewayJoinFork from 'bpmnlint/rules/no-gateway-join-fork';
import noImplicitSplit from 'bpmnlint/rules/no-implicit-split';
import noImplicitEnd from 'bpmnlint/rules/no-implicit-end';
import noImplicitStart from 'bpmnlint/rules/no-implicit-start';
import noInclusiveGateway from 'bpmnlint/rules/no-inclusive-gateway';
import noOverlappingElements from 'bpmnlint/rules/no-overlapping-elements';
import singleBlankStartEvent from 'bpmnlint/rules/single-blank-start-event';
import singleEventDefinition from 'bpmnlint/rules/single-event-definition';
import startEventRequired from 'bpmnlint/rules/start-event-required';
import subProcessBlankStartEvent from 'bpmnlint/rules/sub-process-blank-start-event';
import superfluousGateway from 'bpmnlint/rules/superfluous-gateway';
import superfluousLabel from 'bpmnlint/rules/superfluous-label';
import superfluousTermination from 'bpmnlint/rules/superfluous-termination';

const BUILTIN = {
  'ad-hoc-sub-process': adHocSubProcess,
  'conditional-flows': conditionalFlows,
  'end-event-required': endEventRequired,
  'event-based-gateway': eventBasedGateway,
  'event-sub-process-typed-start-event': eventSubProcessTypedStartEvent,
  'fake-join': fakeJoin,
  'global': global,
  'link-event': linkEvent,
  'no-bpmndi': noBpmndi,
  'no-complex-gateway': noComplexGateway,
  'no-disconnected': noDisconnected,
  'no-duplicate-sequence-flows': noDuplicateSequenceFlows,
  'no-gateway-join-fork': noGatewayJoinFork,
  'no-implicit-split': noImplicitSplit,
  'no-implicit-end': noImplicitEnd,
  'no-implicit-start': noImplicitStart,
  'no-inclusive-gateway': noInclusiveGateway,
  'no-overlapping-elements': noOverlappingElements,
  'single-blank-start-event': singleBlankStartEvent,
  'single-event-definition': singleEventDefinition,
  'start-event-required': startEventRequired,
  'sub-process-blank-start-event': subProcessBlankStartEvent,
  'superfluous-gateway': superfluousGateway,
  'superfluous-label': superfluousLabel,
  'superfluous-termination': superfluousTermination,
};

// label-required, except on the citizen's withdrawal: every step before issuance carries one interrupting
// message boundary event catching `rut_ho_so` (BPMN_CONVENTIONS.md "Messages"); the message names it, and
// a label on each of them would only repeat it across the diagram.
function motcuaLabelRequired() {
  const inner = labelRequired();
  function check(node, reporter) {
    const definitions = node.$type === 'bpmn:BoundaryEvent' ? node.eventDefinitions || [] : [];
    if (definitions.some((d) => d.$type === 'bpmn:MessageEventDefinition' && d.messageRef)) {
      return;
    }
    inner.check(node, reporter);
  }
  return { ...inner, check };
}

// Each rule's reports in Vietnamese (MESSAGES by rule name); an unknown message keeps bpmnlint's English.
function vietnamese(name, factory) {
  return function(config) {
    const rule = factory(config);
    const translate = (reporter) => ({
      ...reporter,
      report: (id, message, path) => reporter.report(id, MESSAGES[name] || message, path),
    });
    const check = rule.check;
    const wrapped = typeof check === 'function'
      ? (node, reporter) => check(node, translate(reporter))
      : {
        enter: check.enter && ((node, reporter) => check.enter(node, translate(reporter))),
        leave: check.leave && ((node, reporter) => check.leave(node, translate(reporter))),
      };
    return { ...rule, check: wrapped };
  };
}

const cache = {};
const rules = {};
for (const [name, level] of Object.entries(recommended.rules)) {
  if (name === 'label-required') {
    continue;
  }
  cache[`bpmnlint/${name}`] = vietnamese(name, BUILTIN[name]);
  rules[name] = level;
}
cache['bpmnlint-plugin-motcua/label-required'] = vietnamese('label-required', motcuaLabelRequired);
rules['motcua/label-required'] = 'error';

const resolver = {
  resolveRule(pkg, ruleName) {
    const rule = cache[`${pkg}/${ruleName}`];
    if (!rule) {
      throw new Error(`cannot resolve rule <${pkg}/${ruleName}>: not bundled`);
    }
    return rule;
  },
  resolveConfig(pkg, configName) {
    throw new Error(`cannot resolve config <${configName}> in <${pkg}>: not bundled`);
  },
};

export default { config: { rules }, resolver };
