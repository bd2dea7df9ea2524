/**
 * Names from input that become path segments (a seed's domain, the dataset): one rule, checked when
 * they are read, so that no name can climb out of the output folder or hide a separator.
 */
export const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const SAFE_NAME_RULE =
  'a letter or digit, then up to 63 letters, digits, ".", "_" or "-" (no "/", "\\", spaces, "." or "..")';

/** Why `name` cannot be a path segment, or undefined when it can. */
export function unsafeNameProblem(name: string): string | undefined {
  if (SAFE_NAME.test(name) && name !== '.' && name !== '..') return undefined;
  return `${JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}...` : name)} is not a safe name: ${SAFE_NAME_RULE}`;
}
