import { InvalidArgumentError } from 'commander';

/** The one parser of integer CLI options: `min` 0 accepts 0 and up, 1 only positive counts. */
export function intOption(name: string, min: 0 | 1 = 0): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) {
      throw new InvalidArgumentError(`${name} must be a ${min === 0 ? 'non-negative' : 'positive'} integer`);
    }
    return n;
  };
}
