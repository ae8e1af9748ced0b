/**
 * Topology as code: `switchyard.yaml` read into a checked, normalised {@link Topology}, and exported as a
 * CloudFormation template. Server-side code (it uses core's pattern compiler); not part of `switchyard/client`.
 */
export {
  type CloudFormationOptions,
  type CloudFormationTemplate,
  cloudFormationNotes,
  toCloudFormation,
} from './cloudformation.js';
export { formatTopologyIssue, TopologyError, type TopologyIssue } from './errors.js';
export { DEFAULT_TOPOLOGY_FILE, loadTopology, parseTopology } from './load.js';
export * from './model.js';
export { type TopologyDocument, TopologySchema, topologyJsonSchema } from './schema.js';
