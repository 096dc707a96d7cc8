/** A short, secret-free description of a value's type for error messages (`null`, `an array`, `string`...). */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
