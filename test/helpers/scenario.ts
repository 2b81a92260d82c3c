// Scenario texts and problems for tests that parse, validate or refuse a scenario before anything connects.
import { parseScenario, ScenarioError, type Problem } from '../../src/scenario/load.js';
import { VF_PV_VARIANTS } from './cli.js';

/** Two hosts in the lab's address block and one netperf test; `extra` (lines) follows the name. */
export const twoHostScenario = (name: string, extra = '') => `name: ${name}
${extra}hosts:
  vm1: { ssh: root@198.18.0.11, data: 198.18.1.1 }
  vm2: { ssh: root@198.18.0.12, data: 198.18.1.2 }
pairs:
  - { client: vm1, server: vm2 }
${VF_PV_VARIANTS}tests:
  - tool: netperf
    test: TCP_RR
    duration: 1s
`;

/** The problems of a scenario the test expects to be refused (one that is accepted fails the test). */
export function scenarioProblems(text: string): Problem[] {
  try {
    parseScenario(text, 'bad.yaml');
  } catch (e) {
    if (e instanceof ScenarioError) return e.problems;
    throw e;
  }
  throw new Error('expected the scenario to be refused');
}
