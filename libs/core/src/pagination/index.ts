export {
  ApiCursorPageResponse,
  CursorPageQueryDto,
  DEFAULT_PAGE_SIZE,
  InvalidCursor,
  MAX_PAGE_SIZE,
  decodeCursor,
  encodeCursor,
  toCursorPage,
  type CursorPage,
  type CursorField,
  type CursorPosition,
} from './cursor-page.js';
