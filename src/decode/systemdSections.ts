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
import { problemsOnceExpanded } from '../values/specifier';
import { absolutePathProblem, parseSystemdBoolean } from '../values/systemdValue';
import { parseTimespan } from '../values/timespan';
import { unitNameProblem } from '../values/unitName';
import { DEFINITION_KINDS, UNIT_DEPENDENCY_KEYS } from '../resolve/relatedUnits';
import { CONTAINER_KEY_INDEX, QUADLET_KEY_INDEX } from './containerKeys';
import { suggest } from './suggest';
import { BOOLEAN_KEYS, INSTALL_KEYS, NO_EMPTY_KEYS, PATH_SETTINGS, REMOVED_KEYS, SERVICE_KEYS, UNIT_KEYS, UNIT_NAME_KEYS } from './systemdKeys';
import { hasVariable } from './validate';

const TABLES: ReadonlyArray<readonly [string, ReadonlySet<string>]> = [
  ['Unit', UNIT_KEYS],
  ['Service', SERVICE_KEYS],
  ['Install', INSTALL_KEYS],
  ['Container', new Set(CONTAINER_KEY_INDEX.keys())],
  ['Quadlet', new Set(QUADLET_KEY_INDEX.keys())],
];

const UNIT_TYPES = ['service', 'socket', 'device', 'mount', 'automount', 'swap', 'target', 'path', 'timer', 'slice', 'scope'];
/** References Quadlet turns into the generated unit's name (Requires=db.container -> db.service). */
const QUADLET_TYPES: readonly string[] = DEFINITION_KINDS;
const ONE_TYPE: Readonly<Record<string, string>> = { Sockets: 'socket', Slice: 'slice' };
const QUADLET_TRANSLATED: ReadonlySet<string> = new Set(UNIT_DEPENDENCY_KEYS);
const EXEC_KEYS = new Set(['ExecStart', 'ExecStartPre', 'ExecStartPost', 'ExecStop', 'ExecStopPost', 'ExecReload', 'ExecCondition']);
const COUNT_KEYS = new Set(['StartLimitBurst', 'FileDescriptorStoreMax', 'LogRateLimitBurst']);
const USER_KEYS = new Set(['User', 'Group']);

/** Why a word of a dependency setting is no unit name, or undefined. */
function dependencyProblem(key: string, word: string): string | undefined {
  // Quadlet (and podgen's --output) makes an Alias= link in a subdirectory: in/a/dir/alias.service.
  if (key === 'Alias' && /^[^/]+(\/[^/]+)+$/.test(word) && !word.split('/').includes('..')) return dependencyProblem(key, word.slice(word.lastIndexOf('/') + 1));
  // systemd 252 refuses a path elsewhere ("Failed to add dependency on /x/y.service").
  if (word.includes('/')) return `"${word}" is not a unit name: write the unit's name, not a path`;
  const dot = word.lastIndexOf('.');
  const type = dot > 0 ? word.slice(dot + 1) : '';
  // Sockets= and Slice= name units of one type; Quadlet turns x.container into x.service only in
  // the [Unit] dependencies it translates (and podgen in [Install]).
  const only = ONE_TYPE[key];
  if (only !== undefined && type !== only) return `"${word}" is not a .${only} unit, which ${key}= needs`;
  const quadlet = QUADLET_TYPES.includes(type) && (QUADLET_TRANSLATED.has(key) || INSTALL_KEYS.has(key));
  if (!UNIT_TYPES.includes(type) && !quadlet) {
    return QUADLET_TYPES.includes(type)
      ? `"${word}": ${key}= does not take Quadlet names (only ${[...QUADLET_TRANSLATED].join(', ')} do); write the unit's name`
      : `"${word}" is not a unit name: it needs a type suffix such as .service, .target or .socket`;
  }
  return unitNameProblem(quadlet ? `${word.slice(0, dot)}.service` : word);
}

/** systemd's env_name_is_valid(): a name of letters, digits and "_", not starting with a digit. */
function environmentProblem(word: string): string | undefined {
  const eq = word.indexOf('=');
  if (eq <= 0) return `"${word}" is not a NAME=VALUE assignment`;
  const name = word.slice(0, eq);
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? undefined : `"${name}" is not a valid environment variable name`;
}

/** The first word of a command line: an absolute path or a plain file name, after systemd's prefixes (@ - : + !). */
function commandProblem(argv: readonly string[]): string | undefined {
  const first = argv[0];
  if (first === undefined) return undefined;
  const program = first.replace(/^[@\-:+!|]+/, '');
  if (program === '') return `"${first}" names no program`;
  if (program.startsWith('/') || !program.includes('/')) return undefined;
  return `"${program}" is neither an absolute path nor a plain program name`;
}

/** A check of a setting's value: its problems, and whether it says all systemd would. */
interface ValueCheck {
  readonly problems: (value: string) => string[];
  /** The setting's whole grammar is checked here (a path check, for one, looks at absoluteness only). */
  readonly complete: boolean;
}

const complete = (problems: (value: string) => string[]): ValueCheck => ({ problems, complete: true });

/** The check of a setting's value (read as systemd reads it, specifiers expanded to typical text), if podgen has one. */
function checkOf(section: 'Unit' | 'Service' | 'Install', key: string): ValueCheck | undefined {
  if (UNIT_NAME_KEYS.has(key)) return complete((value) => words(value, STRV_FLAGS).flatMap((w) => dependencyProblem(key, w) ?? []));
  if (key === 'DefaultInstance') {
    // The instance becomes part of a unit name (and of the link enable makes: x.target.wants/web@INSTANCE.service).
    return complete((value) => (unitNameProblem(`x@${value.trim()}.service`) === undefined ? [] : [`"${value}" cannot be an instance name: use letters, digits and ":-_.\\@" only`]));
  }
  if (section === 'Install') return undefined;
  if (/Sec$/.test(key) && key !== 'IODeviceLatencyTargetSec') {
    return complete((value) => {
      const parsed = parseTimespan(value);
      return parsed.ok ? [] : [parsed.message];
    });
  }
  if (COUNT_KEYS.has(key)) return complete((value) => (/^\d+$/.test(value.trim()) ? [] : [`"${value}" is not a whole number`]));
  if (BOOLEAN_KEYS[section].has(key)) return complete((value) => (parseSystemdBoolean(value) === undefined ? [`"${value}" is not a boolean; use yes/no (or true/false, on/off, 1/0)`] : []));
  const paths = PATH_SETTINGS[section][key];
  if (paths) {
    return { complete: false, problems: (value) => (paths.list ? words(value, STRV_FLAGS) : [value.trim()]).flatMap((w) => absolutePathProblem(w, paths.prefixes, paths.home === true) ?? []) };
  }
  if (section !== 'Service') return undefined;
  if (key === 'Environment') return complete((value) => words(value, EXEC_FLAGS).flatMap((w) => environmentProblem(w) ?? []));
  if (EXEC_KEYS.has(key)) return complete((value) => [commandProblem(words(value, EXEC_FLAGS))].flatMap((p) => p ?? []));
  if (USER_KEYS.has(key)) {
    return { complete: false, problems: (value) => (/^[^\s:/-][^\s:/]*$/.test(value.trim()) ? [] : [`"${value}" is not a user or group name systemd takes (no spaces, ":" or "/")`]) };
  }
  return undefined;
}

/**
 * The problems of an entry. A % specifier is judged by what systemd puts there (values/specifier.ts:
 * %i is an instance name, %h a home directory), so "After=%i.service" passes and
 * "Requires=%go{x" does not; $VAR is expanded by systemd only in command lines.
 */
function valueProblems(section: 'Unit' | 'Service' | 'Install', e: Entry): string[] {
  if (EXEC_KEYS.has(e.key) && hasVariable(e.value)) return [];
  const check = checkOf(section, e.key);
  return check ? problemsOnceExpanded(e.value, check.problems) : [];
}

/** Words of a value; an unbalanced quote is reported by the key's own check, or by systemd. */
const words = safeSplit;

export function checkSystemdSections(unit: UnitFile, diagnostics: Diagnostic[]): void {
  for (const section of unit.sections) {
    const name = section.name;
    if (name !== 'Unit' && name !== 'Service' && name !== 'Install') continue;
    const table = TABLES.find(([n]) => n === name)?.[1] as ReadonlySet<string>;
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
        if (name !== 'Install' && NO_EMPTY_KEYS[name].has(e.key)) {
          diagnostics.push({ severity: 'error', ...at, message: `${e.key}= needs a value: systemd 252 does not read an empty one as a reset, it ignores the line`, hint: 'remove the line, or give a value' });
        }
        continue;
      }
      for (const problem of valueProblems(name, e)) {
        diagnostics.push({ severity: 'error', ...at, message: `${e.key}=: ${problem}`, hint: 'systemd would ignore this setting (see systemd.unit(5), systemd.service(5))' });
      }
    }
  }
}

/** Keys decode/validate.ts checks completely elsewhere (podgen reads them itself). */
const CHECKED_BY_PODGEN = new Set(['Restart', 'KillMode', 'Type', 'Description']);

/**
 * Whether the checks here say all systemd would about this setting: its value grammar is one this
 * file (or decode/validate.ts) implements in full. Units whose own settings are all of these need
 * no systemd-analyze run (commands/generate.ts); for the rest, systemd judges.
 */
export function fullyChecked(section: string, key: string): boolean {
  if (key.startsWith('X-') || section === 'Install') return true;
  if (section !== 'Unit' && section !== 'Service') return false;
  return CHECKED_BY_PODGEN.has(key) || checkOf(section, key)?.complete === true;
}
