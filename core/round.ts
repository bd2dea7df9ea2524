/**
 * Rounds to `digits` decimals, half up on x · 10^digits: the rounding of the values qcc writes into records,
 * removals and reports. (Number(x.toFixed(d)) rounds the exact binary value instead and differs on about one
 * ratio in 1,500, so the few places that use it keep it: switching would change published bytes.)
 */
export const round = (x: number, digits = 4): number => Math.round(x * 10 ** digits) / 10 ** digits;
