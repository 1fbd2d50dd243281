import { applyDecorators, type Type } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { Type as TransformType } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ProblemException } from '../errors/problem.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** Query parameters of every cursor-paginated list. */
export class CursorPageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE, description: 'Items per page.' })
  @IsOptional()
  @TransformType(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit: number = DEFAULT_PAGE_SIZE;

  @ApiPropertyOptional({ description: 'The `nextCursor` of the previous page; omit for the first page.' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  cursor?: string;
}

/** A page of a list, and the cursor of the page after it (null on the last page). */
export interface CursorPage<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

/** The position after which the next page starts: the sort key values of the last item. */
export type CursorPosition = Readonly<Record<string, string | number>>;

/** Cursors are opaque to clients: base64url JSON of the sort key, so the order can change without breaking them. */
export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

/** What a cursor's sort-key field holds: checked on decoding, so that a forged cursor is a 400, never a failed query. */
export type CursorField = 'text' | 'uuid' | 'timestamp' | 'integer';

const FIELD_CHECKS: Record<CursorField, (value: unknown) => boolean> = {
  text: (value) => typeof value === 'string',
  uuid: (value) => typeof value === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value),
  timestamp: (value) => typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(value) && !Number.isNaN(Date.parse(value)),
  integer: (value) => Number.isSafeInteger(value),
};

/** Decodes a cursor, answering 400 `invalid_cursor` for anything that is not one of ours (its fields of the wrong kind included). */
export function decodeCursor<Key extends string>(cursor: string, fields: Readonly<Record<Key, CursorField>>): Readonly<Record<Key, string | number>> {
  let position: unknown;
  try {
    position = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    position = undefined;
  }
  const valid =
    typeof position === 'object' &&
    position !== null &&
    (Object.entries(fields) as Array<[Key, CursorField]>).every(([key, field]) => FIELD_CHECKS[field]((position as Record<string, unknown>)[key]));
  if (!valid) throw new ProblemException(InvalidCursor, 'The cursor is not one this list issued.');
  return position as Record<Key, string | number>;
}

export const InvalidCursor = { code: 'invalid_cursor', status: 400, title: 'Invalid cursor' } as const;

/**
 * Builds a page from rows fetched with `LIMIT limit + 1`: the extra row only tells whether
 * there is a next page, and is not returned.
 */
export function toCursorPage<Row, Item>(
  rows: readonly Row[],
  limit: number,
  positionOf: (row: Row) => CursorPosition,
  toItem: (row: Row) => Item,
): CursorPage<Item> {
  const pageRows = rows.slice(0, limit);
  const last = pageRows.at(-1);
  return {
    items: pageRows.map(toItem),
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(positionOf(last)) : null,
  };
}

/** Documents a 200 response that is a `CursorPage` of `item`. */
export function ApiCursorPageResponse(item: Type<unknown>, description?: string): MethodDecorator {
  return applyDecorators(
    ApiExtraModels(item),
    ApiOkResponse({
      description,
      schema: {
        type: 'object',
        required: ['items', 'nextCursor'],
        properties: {
          items: { type: 'array', items: { $ref: getSchemaPath(item) } },
          nextCursor: { type: 'string', nullable: true, description: 'Pass as `cursor` to get the next page.' },
        },
      },
    }),
  );
}
