/**
 * The exhaustive step registry: one handler per step type. Adding a type to the schema without
 * a handler here fails to compile.
 */
import type { StepType } from '../schema.js';
import { checkHours } from './check-hours.step.js';
import { collectDigits } from './collect-digits.step.js';
import { hangup } from './hangup.step.js';
import { httpRequest } from './http-request.step.js';
import { menu } from './menu.step.js';
import { play } from './play.step.js';
import { record } from './record.step.js';
import { redirect } from './redirect.step.js';
import { reject } from './reject.step.js';
import { setVariables } from './set-variables.step.js';
import type { StepHandler } from './step.js';
import { switchStep } from './switch.step.js';
import { transfer } from './transfer.step.js';

export const stepHandlers: { [K in StepType]: StepHandler<K> } = {
  play,
  menu,
  collectDigits,
  checkHours,
  setVariables,
  switch: switchStep,
  httpRequest,
  transfer,
  redirect,
  reject,
  record,
  hangup,
};

/** The handler for a step (typed loosely for generic callers). */
export function handlerFor(type: StepType): StepHandler<StepType> {
  return stepHandlers[type];
}

export type { Edge, Run, StepHandler, StepProblem, StepRefs, DocPath } from './step.js';
