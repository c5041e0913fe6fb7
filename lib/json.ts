/**
 * A server value as the browser receives it after `json()` (lib/http/route.ts): a Date becomes its
 * ISO string, a bigint its decimal string. Components type what they fetch as `Json<ServerType>`
 * instead of copying the server's shape. Types only: safe to import from client components.
 */
export type Json<T> = T extends Date
  ? string
  : T extends bigint
    ? string
    : T extends string | number | boolean | null | undefined
      ? T
      : T extends readonly (infer Item)[]
        ? Json<Item>[]
        : T extends (...args: never[]) => unknown
          ? never
          : { [Key in keyof T]: Json<T[Key]> };
