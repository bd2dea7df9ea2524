import { slowTier } from './tier.js';

/** Says once, before any test, whether the slow tier runs (tests/tier.ts). */
export default function announceTier(): void {
  console.log(
    slowTier
      ? 'qcc tests: the slow tier runs too (CI=true or QCC_SLOW_TESTS=1)'
      : 'qcc tests: the cases marked slow are skipped; CI=true or QCC_SLOW_TESTS=1 runs them (.ci/run does)',
  );
}
