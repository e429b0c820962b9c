// `wasi:config/store` for the service component under jco (`jco serve
// --jco-map wasi:config/store@0.2.0-rc.1=<this file>`): preview2-shim has
// none. A key `siptel_secret_<name>` is read from the environment variable
// `SIPTEL_SECRET_<NAME>` (upper case, `.` and `-` as `_`), so an operator
// supplies the Siptel key of `secret:<name>` as that variable; no other key
// is answered.

const PREFIX = 'siptel_secret_';

/** The environment variable that holds config key `key`, if it may hold one. */
function variableOf(key) {
  if (!key.startsWith(PREFIX)) return undefined;
  return key.toUpperCase().replace(/[.-]/g, '_');
}

/** `get: func(key: string) -> result<option<string>, error>`. */
export function get(key) {
  const variable = variableOf(key);
  return variable === undefined ? undefined : process.env[variable];
}

/** `get-all: func() -> result<list<tuple<string, string>>, error>`. */
export function getAll() {
  return Object.entries(process.env)
    .filter(([name]) => name.startsWith(PREFIX.toUpperCase()))
    .map(([name, value]) => [name.toLowerCase(), value]);
}
