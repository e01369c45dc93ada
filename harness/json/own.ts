/**
 * Reading and writing a record's own keys only. Names from configs, captures and responses are
 * anybody's: `record[name]` finds Object.prototype's `constructor` or `toString` for names the
 * record does not hold, and `record["__proto__"] = v` sets the prototype instead of a key.
 */
export function getOwn<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(record, key, { value, writable: true, enumerable: true, configurable: true });
  else record[key] = value;
}
