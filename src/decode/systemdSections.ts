// [Unit], [Service] and [Install] pass through to the unit as systemd text.
// systemd ignores (with a warning in the journal nobody reads) a key it does
// not know and a value it cannot parse, so a typo such as `WanedBy=`,
// `RestartPolicy=` under [Service] or `After=1m30s` would silently mean
// something else. Refuse those here, at their line: unknown keys (systemd
// 252's own table, decode/systemdKeys.ts), and the values of the kinds a
// container unit uses most (dependencies, time spans, environment, users,
// command lines, counts). Other values are systemd's to judge, as in any
// hand-written unit. Keys starting with X- are for extensions and ignored.

import type { Diagnostic } from '../errors';
import type { Entry, UnitFile } from '../parse/parseUnitFile';
import { safeSplit } from '../parse/lookup';
import { EXEC_FLAGS, STRV_FLAGS } from '../parse/splitWords';
import { parseTimespan } from '../values/timespan';
import { unitNameProblem } from '../values/unitName';
import { CONTAINER_KEY_INDEX, QUADLET_KEY_INDEX } from './containerKeys';
import { suggest } from './suggest';
import { INSTALL_KEYS, NO_EMPTY_KEYS, REMOVED_KEYS, SERVICE_KEYS, UNIT_KEYS, UNIT_NAME_KEYS } from './systemdKeys';
import { hasSpecifier } from './validate';

const TABLES: ReadonlyArray<readonly [string, ReadonlySet<string>]> = [
  ['Unit', UNIT_KEYS],
  ['Service', SERVICE_KEYS],
  ['Install', INSTALL_KEYS],
  ['Container', new Set(CONTAINER_KEY_INDEX.keys())],
  ['Quadlet', new Set(QUADLET_KEY_INDEX.keys())],
];

const UNIT_TYPES = ['service', 'socket', 'device', 'mount', 'automount', 'swap', 'target', 'path', 'timer', 'slice', 'scope'];
/** References Quadlet turns into the generated unit's name (Requires=db.container -> db.service). */
const QUADLET_TYPES = ['container', 'volume', 'network', 'kube', 'image', 'build', 'pod'];
const EXEC_KEYS = new Set(['ExecStart', 'ExecStartPre', 'ExecStartPost', 'ExecStop', 'ExecStopPost', 'ExecReload', 'ExecCondition']);
const COUNT_KEYS = new Set(['StartLimitBurst', 'FileDescriptorStoreMax', 'LogRateLimitBurst']);
const USER_KEYS = new Set(['User', 'Group']);

/** Why a word of a dependency setting is no unit name, or undefined. */
function dependencyProblem(key: string, word: string): string | undefined {
  if (hasSpecifier(word)) return undefined; // known when the unit loads
  // Quadlet (and podgen's --output) makes an Alias= link in a subdirectory: in/a/dir/alias.service.
  if (key === 'Alias' && /^[^/]+(\/[^/]+)+$/.test(word) && !word.split('/').includes('..')) return dependencyProblem(key, word.slice(word.lastIndexOf('/') + 1));
  // systemd 252 refuses a path elsewhere ("Failed to add dependency on /x/y.service").
  if (word.includes('/')) return `"${word}" is not a unit name: write the unit's name, not a path`;
  const dot = word.lastIndexOf('.');
  const type = dot > 0 ? word.slice(dot + 1) : '';
  if (!UNIT_TYPES.includes(type) && !QUADLET_TYPES.includes(type)) {
    return `"${word}" is not a unit name: it needs a type suffix such as .service, .target or .socket`;
  }
  return unitNameProblem(QUADLET_TYPES.includes(type) ? `${word.slice(0, dot)}.service` : word);
}

/** systemd's env_name_is_valid(): a name of letters, digits and "_", not starting with a digit. */
function environmentProblem(word: string): string | undefined {
  const eq = word.indexOf('=');
  if (eq <= 0) return `"${word}" is not a NAME=VALUE assignment`;
  const name = word.slice(0, eq);
  if (hasSpecifier(name)) return undefined;
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? undefined : `"${name}" is not a valid environment variable name`;
}

/** The first word of a command line: an absolute path or a plain file name, after systemd's prefixes (@ - : + !). */
function commandProblem(argv: readonly string[]): string | undefined {
  const first = argv[0];
  if (first === undefined) return undefined;
  const program = first.replace(/^[@\-:+!|]+/, '');
  if (hasSpecifier(program)) return undefined;
  if (program === '') return `"${first}" names no program`;
  if (program.startsWith('/') || !program.includes('/')) return undefined;
  return `"${program}" is neither an absolute path nor a plain program name`;
}

function valueProblems(section: string, e: Entry): string[] {
  const value = e.value;
  if (UNIT_NAME_KEYS.has(e.key)) return words(value, STRV_FLAGS).flatMap((w) => dependencyProblem(e.key, w) ?? []);
  if (/Sec$/.test(e.key) && e.key !== 'IODeviceLatencyTargetSec' && !hasSpecifier(value)) {
    const parsed = parseTimespan(value);
    return parsed.ok ? [] : [parsed.message];
  }
  if (COUNT_KEYS.has(e.key) && !hasSpecifier(value)) return /^\d+$/.test(value.trim()) ? [] : [`"${value}" is not a whole number`];
  if (section !== 'Service') return [];
  if (e.key === 'Environment') return words(value, EXEC_FLAGS).flatMap((w) => environmentProblem(w) ?? []);
  if (EXEC_KEYS.has(e.key)) return [commandProblem(words(value, EXEC_FLAGS))].flatMap((p) => p ?? []);
  if (USER_KEYS.has(e.key) && !hasSpecifier(value)) {
    return /^[^\s:/-][^\s:/]*$/.test(value.trim()) ? [] : [`"${value}" is not a user or group name systemd takes (no spaces, ":" or "/")`];
  }
  return [];
}

/** Words of a value; an unbalanced quote is reported by the key's own check, or by systemd. */
const words = safeSplit;

export function checkSystemdSections(unit: UnitFile, diagnostics: Diagnostic[]): void {
  for (const section of unit.sections) {
    const table = TABLES.find(([name]) => name === section.name)?.[1];
    if (!table || section.name === 'Container' || section.name === 'Quadlet') continue;
    for (const e of section.entries) {
      if (e.key.startsWith('X-')) continue;
      const at = { file: e.file, line: e.line, section: section.name, key: e.key };
      if (!table.has(e.key)) {
        const home = TABLES.find(([name, keys]) => name !== section.name && keys.has(e.key))?.[0];
        const close = suggest(e.key, [...table]);
        diagnostics.push({
          severity: 'error',
          ...at,
          message: home
            ? `${e.key}= belongs in [${home}], not [${section.name}]: systemd would ignore it here`
            : `unknown key "${e.key}" in [${section.name}], which systemd 252 would ignore${close ? `; did you mean "${close}"?` : ''}`,
          hint: home ? `move it under [${home}]` : close ? undefined : 'keys of your own start with X- (systemd ignores those)',
        });
        continue;
      }
      if (REMOVED_KEYS.has(e.key)) {
        diagnostics.push({ severity: 'error', ...at, message: `${e.key}= was removed from systemd: systemd 252 ignores it`, hint: 'remove the line (systemd.directives(7) lists what replaced it)' });
        continue;
      }
      if (e.value.trim() === '') {
        // An empty assignment resets most settings; these systemd refuses, and drops the line.
        if ((section.name === 'Unit' || section.name === 'Service') && NO_EMPTY_KEYS[section.name].has(e.key)) {
          diagnostics.push({ severity: 'error', ...at, message: `${e.key}= needs a value: systemd 252 does not read an empty one as a reset, it ignores the line`, hint: 'remove the line, or give a value' });
        }
        continue;
      }
      for (const problem of valueProblems(section.name, e)) {
        diagnostics.push({ severity: 'error', ...at, message: `${e.key}=: ${problem}`, hint: 'systemd would ignore this setting (see systemd.unit(5), systemd.service(5))' });
      }
    }
  }
}
