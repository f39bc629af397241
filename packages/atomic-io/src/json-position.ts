import {
  findNodeAtLocation,
  parse,
  parseTree,
  printParseErrorCode,
  type ParseError,
} from 'jsonc-parser';

export interface TextPosition {
  offset: number;
  line: number;
  column: number;
}

const MESSAGES: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'expected a double-quoted property name',
  ValueExpected: 'expected a value',
  ColonExpected: "expected ':'",
  CommaExpected: "expected ','",
  CloseBraceExpected: "expected '}'",
  CloseBracketExpected: "expected ']'",
  EndOfFileExpected: 'unexpected content after the value',
  InvalidCommentToken: 'comments are not allowed',
  UnexpectedEndOfComment: 'unterminated comment',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'unterminated number',
  InvalidUnicode: 'invalid unicode escape',
  InvalidEscapeCharacter: 'invalid escape character',
  InvalidCharacter: 'invalid character in string',
};

const STRICT = { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false };

/** 1-based line and column of a character offset. */
export function positionAt(text: string, offset: number): TextPosition {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { offset, line, column: offset - lineStart + 1 };
}

/**
 * Where and why `text` is not valid JSON. Only called once JSON.parse has
 * failed, because V8's messages do not always give a position.
 */
export function locateSyntaxError(text: string): TextPosition & { message: string } {
  const errors: ParseError[] = [];
  parse(text, errors, STRICT);
  const first = errors[0];
  if (first === undefined) {
    return { ...positionAt(text, 0), message: 'not valid JSON' };
  }
  const code = printParseErrorCode(first.error);
  return { ...positionAt(text, first.offset), message: MESSAGES[code] ?? code };
}

/** Position of the value at `path` (or of its nearest existing parent). */
export function locatePath(text: string, path: readonly (string | number)[]): TextPosition {
  const root = parseTree(text, [], STRICT);
  if (root === undefined) return positionAt(text, 0);
  for (let depth = path.length; depth >= 0; depth--) {
    const node = findNodeAtLocation(root, path.slice(0, depth));
    if (node !== undefined) return positionAt(text, node.offset);
  }
  return positionAt(text, 0);
}
