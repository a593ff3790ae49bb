import * as l10n from '@vscode/l10n';
import type { DataCallback, Message, MessageReader, MessageWriter, ResponseMessage } from 'vscode-languageserver/node';
import { ErrorCodes, type BerthErrorData } from '../../protocol/src';
import { echo } from './echo';

/**
 * Answers malformed JSON-RPC messages before the connection sees them. vscode-jsonrpc drops a
 * message that is neither a valid request, notification nor response (`"method": 12`, an object
 * or `true` as id, a bare number, a batch) with a log line that echoes the whole message, and
 * never answers: the caller waits forever. JSON-RPC 2.0 says such a message gets an Invalid
 * Request error (-32600), with its id when the id is a string or number and `null` otherwise.
 * Params that are neither absent, null, an object nor an array make the message invalid too.
 * Valid messages pass through untouched and in order; the backend keeps serving either way.
 */
export function guardReader(reader: MessageReader, writer: MessageWriter): MessageReader {
  return {
    onError: reader.onError,
    onClose: reader.onClose,
    onPartialMessage: reader.onPartialMessage,
    listen: (callback: DataCallback) =>
      reader.listen((message: Message) => {
        const problem = invalidMessage(message);
        if (!problem) {
          callback(message);
          return;
        }
        const data: BerthErrorData = { name: 'InvalidRequest' };
        const answer: ResponseMessage = { jsonrpc: '2.0', id: problem.id, error: { code: ErrorCodes.InvalidRequest, message: problem.message, data } };
        writer.write(answer).catch(() => undefined);
      }),
    dispose: () => reader.dispose(),
  };
}

interface Problem {
  readonly id: string | number | null;
  readonly message: string;
}

/** Why `message` is not a valid request, notification or response; undefined when it is one. */
export function invalidMessage(message: unknown): Problem | undefined {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    return { id: null, message: l10n.t('Invalid request: a JSON-RPC message is one object (batches are not supported), not {0}.', kindOf(message)) };
  }
  const m = message as Record<string, unknown>;
  const idUsable = typeof m.id === 'string' || typeof m.id === 'number';
  const id = idUsable ? (m.id as string | number) : null;
  if (Object.hasOwn(m, 'method')) {
    if (typeof m.method !== 'string') return { id, message: l10n.t('Invalid request: "method" must be a string, not {0}.', kindOf(m.method)) };
    const method = echo(m.method);
    if (m.id !== undefined && !idUsable) {
      return { id: null, message: l10n.t('Invalid request: the "id" of {0} must be a string or a number, not {1}.', method, kindOf(m.id)) };
    }
    if (m.params !== undefined && m.params !== null && typeof m.params !== 'object') {
      return { id, message: l10n.t('Invalid request: the params of {0} must be an object or an array, not {1}.', method, kindOf(m.params)) };
    }
    return undefined;
  }
  // A response to one of the backend's own requests (work-done progress): result, or an error.
  const response = (m.result !== undefined || (typeof m.error === 'object' && m.error !== null)) && (idUsable || m.id === null);
  if (response) return undefined;
  return { id, message: l10n.t('Invalid request: a JSON-RPC message needs a "method" (request or notification), or a "result" or "error" and an "id" (response).') };
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return l10n.t('an array');
  switch (typeof value) {
    case 'string':
      return l10n.t('a string');
    case 'number':
      return l10n.t('a number ({0})', String(value));
    case 'boolean':
      return l10n.t('a boolean ({0})', String(value));
    case 'object':
      return l10n.t('an object');
    default:
      return l10n.t('missing');
  }
}
