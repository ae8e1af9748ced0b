/**
 * The demo (`switchyard demo`, `npm run demo`): realistic traffic through the reference e-commerce deployment, with
 * switchyard/client's producers and consumers, failures, a redrive, a live summary and a report. It talks to the
 * server through the AWS SDK only.
 */
export { type DemoReport, formatReport, type QueueReport } from './report.js';
export { type DemoOptions, type DemoScale, runDemo, SCALES } from './run.js';
export { DemoSetupError, START_HINT } from './topology.js';
