import { VellumError, type VellumErrorOptions } from '@vellum/atomic-io';
import { HEALTH_ERROR_CODES, type HealthErrorCode } from './codes.js';

/** The errors of `@vellum/health`: the category comes from `HEALTH_ERROR_CODES`. */
export class HealthError extends VellumError {
  constructor(code: HealthErrorCode, message: string, options: VellumErrorOptions = {}) {
    super(code, HEALTH_ERROR_CODES[code], message, options);
  }
}

/** `MetricsRecorder.record` was given something that is not an operation metric (`VELLUM_INVALID_METRIC`). */
export class InvalidMetricError extends HealthError {
  constructor(message: string) {
    super('VELLUM_INVALID_METRIC', `metric: ${message}`);
  }
}

/** The message of anything thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
