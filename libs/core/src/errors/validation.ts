import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { CoreProblems, ProblemException, type FieldError } from './problem.js';

/** Flattens class-validator's nested errors into `field.path: message` pairs. */
export function toFieldErrors(errors: readonly ValidationError[], parentPath = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parentPath ? `${parentPath}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...toFieldErrors(error.children ?? [], field)];
  });
}

/** The one validation pipe: unknown properties are rejected, payloads are turned into DTO instances. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) => {
      const fieldErrors = toFieldErrors(errors);
      const fields = [...new Set(fieldErrors.map((error) => error.field))];
      return new ProblemException(
        CoreProblems.validationFailed,
        `Invalid value${fields.length === 1 ? '' : 's'} for: ${fields.join(', ')}.`,
        { errors: fieldErrors },
      );
    },
  });
}
