// UnitPlan -> unit file text through templates/service.hbs. The template only
// lays out lines; every value was quoted by render/escape.ts when planned.

import * as fs from 'node:fs';
import * as path from 'node:path';
import Handlebars from 'handlebars';
import type { UnitPlan } from '../plan/unitPlan';
import { singleLineValue } from './escape';

export const TEMPLATES_DIR = path.resolve(__dirname, '..', '..', '..', 'templates');

let compiled: HandlebarsTemplateDelegate | undefined;

function template(): HandlebarsTemplateDelegate {
  // noEscape: unit files are not HTML (default escaping turns "A=b&c" into "A&#x3D;b&amp;c").
  compiled ??= Handlebars.compile(fs.readFileSync(path.join(TEMPLATES_DIR, 'service.hbs'), 'utf8'), {
    noEscape: true,
    strict: true,
  });
  return compiled;
}

export function renderUnit(plan: UnitPlan, version: string): string {
  return template()({
    version,
    role: `engine ${plan.engine}`,
    source: singleLineValue(plan.source),
    dropins: plan.dropins.map(singleLineValue),
    sections: plan.sections,
  });
}

/** A unit that goes with PLAN's (its health check's timer or service): the same header, saying whose it is. */
export function renderCompanion(plan: UnitPlan, companion: UnitPlan['companions'][number], version: string): string {
  return template()({
    version,
    role: `health check of ${plan.unitName}`,
    source: singleLineValue(plan.source),
    dropins: [],
    sections: companion.sections,
  });
}
