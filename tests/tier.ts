/**
 * The slow tier: cases of over ~30 s whose behaviour faster cases cover in part (a second full demo run, a node
 * or worker killed and restarted, a server stopped mid-copy). They run under CI=true or QCC_SLOW_TESTS=1.
 */
export const slowTier = process.env.CI === 'true' || process.env.QCC_SLOW_TESTS === '1';
