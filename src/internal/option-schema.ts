/**
 * Options declared once, as a schema whose entries are the rules and carry the TSDoc. From it come the type an app writes
 * (`OptionsOf`), the unknown-key check, the settings (`SettingsOf`) and docs/options.md's Default column (`shownDefaults`).
 * An option typed by the app's user type `U` is declared by name (`option.userFn('lookup')`) and typed by the factory's map.
 */
import { describeType } from './describe-type.js';
import { OptionReader } from './option-reader.js';

export interface OptionRule<In, Out> {
  /** Read and check the value of `key`; apply the default. */
  read(o: OptionReader, key: string): Out;
  readonly required: boolean;
  /** The default as docs/options.md writes it (`` `5000` ``, `` `'/'` ``, or a phrase); `required` when required. */
  readonly shown: string;
  /** The type an app writes (type only). */
  readonly in?: In;
}

/** An option whose type the factory's map of user-typed options gives under the name `M`. */
export interface UserTyped<M extends string> {
  readonly userType: M;
}

export type OptionSchema = { readonly [name: string]: OptionRule<unknown, unknown> };

type InOf<R, Types> = R extends UserTyped<infer M> ? (M extends keyof Types ? Types[M] : never) : R extends OptionRule<infer In, unknown> ? In : never;
type RequiredKeys<S> = { [K in keyof S]: S[K] extends { readonly required: true } ? K : never }[keyof S];

/** The options an app writes for schema `S` (keeping the entries' TSDoc); `Types` gives the user-typed options' types by name. */
export type OptionsOf<S, Types = object> = { [K in keyof S as K extends RequiredKeys<S> ? K : never]: InOf<S[K], Types> } & {
  [K in keyof S as K extends RequiredKeys<S> ? never : K]?: InOf<S[K], Types>;
};

type OutOf<R, Types> = R extends UserTyped<infer M>
  ? (M extends keyof Types ? (R extends { readonly required: true } ? Types[M] : Types[M] | undefined) : never)
  : R extends OptionRule<unknown, infer Out> ? Out : never;

/** The settings a factory works with, once `S` was read: each option checked, its default applied. */
export type SettingsOf<S, Types = object> = { -readonly [K in keyof S]: OutOf<S[K], Types> };

/** Every option of `schema`, in its order (a later rule may read an earlier option's raw value from `o`). */
export function readSchema<S extends OptionSchema>(o: OptionReader, schema: S): SettingsOf<S> {
  const settings: Record<string, unknown> = {};
  for (const [key, rule] of Object.entries(schema)) settings[key] = rule.read(o, key);
  return settings as SettingsOf<S>;
}

/** {@link readSchema} for a schema with user-typed options, whose types `Types` gives by name. */
export function readSchemaOf<Types>(): <S extends OptionSchema>(o: OptionReader, schema: S) => SettingsOf<S, Types> {
  return (o, schema) => readSchema(o, schema) as SettingsOf<typeof schema, Types>;
}

/** The entries of `schema` named in `names`. */
export function pick<S extends object, K extends keyof S>(schema: S, names: readonly K[]): Pick<S, K> {
  return Object.fromEntries(names.map((name) => [name, schema[name]])) as Pick<S, K>;
}

export function schemaReader(factory: string, value: unknown, schema: OptionSchema, path?: string): OptionReader {
  return new OptionReader(factory, value, schema, path);
}

/** The Default column of docs/options.md for `schema`. */
export function shownDefaults(schema: OptionSchema): Record<string, string> {
  return Object.fromEntries(Object.entries(schema).map(([key, rule]) => [key, rule.shown]));
}

type Required<R> = R & { readonly required: true };

function literal(value: string | number | boolean): string {
  return typeof value === 'string' ? `\`'${value}'\`` : `\`${value}\``;
}

function optional<In, Out = In>(shown: string, read: OptionRule<In, Out>['read']): OptionRule<In, Out> {
  return { required: false, shown, read };
}

function required<In, Out = In>(read: OptionRule<In, Out>['read']): Required<OptionRule<In, Out>> {
  return { required: true, shown: 'required', read };
}

export const option = {
  string: (fallback: string) => optional<string>(literal(fallback), (o, key) => o.string(key, fallback)),
  /** `example` goes into the error. */
  requiredString: (example: string) => required<string>((o, key) => o.requiredString(key, example)),
  /** A required http(s) base URL, plain http only on loopback; returned without a trailing slash. */
  baseUrl: (example: string) => required<string>((o, key) => o.baseUrl(key, example)),
  integer: (fallback: number, min: number, max: number) => optional<number>(literal(fallback), (o, key) => o.integer(key, fallback, min, max)),
  boolean: (fallback: boolean) => optional<boolean>(literal(fallback), (o, key) => o.boolean(key, fallback)),
  oneOf: <T extends string>(choices: readonly T[], fallback: T) => optional<T>(literal(fallback), (o, key) => o.oneOf(key, choices, fallback)),
  /** `shown` says what happens without it. */
  fn: <F>(shown = 'none') => optional<F, F | undefined>(shown, (o, key) => o.fn<F>(key)),
  /** An optional function whose type names the app's user type: the factory's map gives it under `userType`. */
  userFn: <M extends string>(userType: M, shown = 'none'): OptionRule<never, unknown> & UserTyped<M> => ({
    ...optional<never, unknown>(shown, (o, key) => o.fn(key)),
    userType,
  }),
  /** A required function whose type names the app's user type; `hint` says what to give in the error. */
  requiredUserFn: <M extends string>(userType: M, hint: string): Required<OptionRule<never, unknown>> & UserTyped<M> => ({
    ...required<never, unknown>((o, key) => {
      const value = o.fn(key);
      if (!value) throw o.error(key, `is required: ${hint}`);
      return value;
    }),
    userType,
  }),
  custom: optional,
  requiredCustom: required,
  /** Declared here, read together with the options it goes with by the factory (`failureMode`, `outbox` ...): the setting is the raw value. */
  together: <In>(shown: string) => optional<In, unknown>(shown, (o, key) => o.raw(key)),
  /** A nested options object read with its own schema (errors name `<key>.<option>`), defaults applied. */
  nested: <S extends OptionSchema>(schema: S, shown: string) =>
    optional<OptionsOf<S>, SettingsOf<S>>(shown, (o, key) => readSchema(o.nested(key, schema), schema)),
  /** An instance of `type` (`what` names it in the error). */
  instance: <T>(type: abstract new (...args: never[]) => T, what: string, shown = 'none') =>
    optional<T, T | undefined>(shown, (o, key) => {
      const value = o.raw(key);
      if (value === undefined || value instanceof type) return value as T | undefined;
      throw o.error(key, `must be ${what} (got ${describeType(value)})`);
    }),
} as const;
