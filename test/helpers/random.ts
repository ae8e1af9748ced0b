/** A small seeded generator of numbers in [0, 1), so that a failing run can be replayed with its seed. */
export { mulberry32 as random } from '../../src/core/seeded-random.js';
