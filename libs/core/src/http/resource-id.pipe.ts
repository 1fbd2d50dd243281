import { Injectable, type PipeTransform } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { CoreProblems, ProblemException } from '../errors/problem.js';

/**
 * For `:id` path parameters: an id that is not a UUID names nothing, so it gets the same 404
 * as an id that exists but is not the caller's (which never tells whether an id exists).
 */
@Injectable()
export class ResourceIdPipe implements PipeTransform<string, string> {
  constructor(private readonly resource: string) {}

  transform(value: string): string {
    if (!isUUID(value)) throw new ProblemException(CoreProblems.notFound, `No such ${this.resource}.`);
    return value;
  }
}
