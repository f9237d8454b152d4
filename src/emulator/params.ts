/**
 * Typed access to a JSON call's parameters, whether they came as a POST JSON body or a GET query
 * string. JSON null means absent. Wrong types and missing required fields become 400 bad_request with
 * a message naming the field.
 */
import { b2Fail } from './errors.js';

type Raw = Record<string, unknown>;

export class Params {
  constructor(
    private readonly raw: Raw,
    /** Values from a query string arrive as strings and are coerced. */
    private readonly fromQuery: boolean,
  ) {}

  has(name: string): boolean {
    const v = this.raw[name];
    return v !== undefined && v !== null;
  }

  private missing(name: string): never {
    throw b2Fail('bad_request', `required field ${name} is missing`);
  }

  private wrong(name: string, what: string): never {
    throw b2Fail('bad_request', `${name} must be ${what}`);
  }

  str(name: string): string | undefined {
    const v = this.raw[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') this.wrong(name, 'a string');
    return v;
  }

  reqStr(name: string): string {
    return this.str(name) ?? this.missing(name);
  }

  int(name: string): number | undefined {
    let v = this.raw[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string' && this.fromQuery && /^-?\d+$/.test(v.trim())) v = Number(v.trim());
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) this.wrong(name, 'an integer');
    return v;
  }

  reqInt(name: string): number {
    return this.int(name) ?? this.missing(name);
  }

  bool(name: string): boolean | undefined {
    let v = this.raw[name];
    if (v === undefined || v === null) return undefined;
    if (this.fromQuery && (v === 'true' || v === 'false')) v = v === 'true';
    if (typeof v !== 'boolean') this.wrong(name, 'a boolean');
    return v;
  }

  /** A query-string value that should be JSON (array/object): try to decode it. */
  private structured(name: string): unknown {
    const v = this.raw[name];
    if (this.fromQuery && typeof v === 'string') {
      try {
        return JSON.parse(v);
      } catch {
        return v;
      }
    }
    return v;
  }

  strArray(name: string): string[] | undefined {
    let v = this.structured(name);
    if (v === undefined || v === null) return undefined;
    // GET form: a comma-separated list is accepted too.
    if (typeof v === 'string' && this.fromQuery) v = v === '' ? [] : v.split(',');
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) this.wrong(name, 'an array of strings');
    return v as string[];
  }

  reqStrArray(name: string): string[] {
    return this.strArray(name) ?? this.missing(name);
  }

  strMap(name: string): Record<string, string> | undefined {
    const v = this.structured(name);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) this.wrong(name, 'an object');
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(v as Raw)) {
      if (typeof x !== 'string') this.wrong(`${name}.${k}`, 'a string');
      out[k] = x;
    }
    return out;
  }

  array(name: string): unknown[] | undefined {
    const v = this.structured(name);
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) this.wrong(name, 'an array');
    return v;
  }

  obj(name: string): Raw | undefined {
    const v = this.structured(name);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) this.wrong(name, 'an object');
    return v as Raw;
  }
}
