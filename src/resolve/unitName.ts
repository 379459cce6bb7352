// Pure helpers for definition and unit names (templates, drop-in directories).

import * as path from 'node:path';

export const DEFINITION_EXT = '.container';

export interface TemplateParts {
  /** "web" for web@a.container, web@.container; the whole name otherwise. */
  readonly prefix: string;
  /** "a" for web@a.container, "" for web@.container. */
  readonly instance: string;
  readonly isTemplate: boolean;
}

/** Split "web@a.container" into its template parts (systemd's %p and %i). */
export function templateParts(filename: string): TemplateParts {
  const base = stripExtension(filename);
  const at = base.indexOf('@');
  if (at === -1) return { prefix: base, instance: '', isTemplate: false };
  return { prefix: base.slice(0, at), instance: base.slice(at + 1), isTemplate: true };
}

export function stripExtension(filename: string): string {
  const dot = filename.lastIndexOf('.');
  return dot > 0 ? filename.slice(0, dot) : filename;
}

/** A NAME argument (not a path) must be a plausible unit name: no "/", no "..". */
export function invalidNameReason(name: string): string | undefined {
  if (name === '') return 'the name is empty';
  if (name.includes('/')) return 'a unit name cannot contain "/"';
  if (name.includes('..')) return 'a unit name cannot contain ".."';
  if (!/^[A-Za-z0-9:_.@\\-]+$/.test(name)) return 'a unit name may only contain letters, digits and ":_.@\\-"';
  if (name.length > 255) return 'the name is longer than 255 characters';
  return undefined;
}

/**
 * Drop-in directory names for a definition, most specific first (Quadlet and
 * systemd semantics): foo-bar.container.d, foo-.container.d, container.d, and
 * for instances the template's directories too.
 */
export function dropinDirNames(filename: string): string[] {
  const ext = path.extname(filename);
  const dropinExt = `${ext}.d`;
  const { prefix, instance, isTemplate } = templateParts(filename);
  const broadToSpecific: string[] = [dropinExt.slice(1)];
  const parts = prefix.split('-');
  if (parts.length > 1) {
    for (let i = 0; i < parts.length - 1; i++) {
      const truncated = `${parts.slice(0, i + 1).join('-')}-`;
      broadToSpecific.push(`${truncated}${dropinExt}`);
      if (isTemplate) broadToSpecific.push(`${truncated}@${dropinExt}`);
    }
  }
  if (instance !== '') broadToSpecific.push(`${prefix}@${dropinExt}`);
  broadToSpecific.push(`${filename}.d`);
  return broadToSpecific.reverse();
}
