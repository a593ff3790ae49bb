import {
  IPCMessageReader,
  IPCMessageWriter,
  StreamMessageReader,
  StreamMessageWriter,
  type DataCallback,
  type Message,
  type MessageReader,
  type MessageWriter,
} from 'vscode-languageserver/node';
import { guardReader } from './rpcGuard';

/**
 * The backend process's transport, chosen by its command line as vscode-languageserver would
 * (`--node-ipc` from the extension, `--stdio` for tests and other clients), with every incoming
 * message passing `guardReader` first. The reader is built here rather than by
 * vscode-languageserver because only a reader we hold can be guarded.
 */
export function processTransport(argv: readonly string[] = process.argv): { reader: MessageReader; writer: MessageWriter } {
  if (argv.includes('--node-ipc')) {
    const writer = new IPCMessageWriter(process);
    return { reader: guardReader(new IPCMessageReader(process), writer), writer };
  }
  if (argv.includes('--stdio')) {
    const writer = new StreamMessageWriter(process.stdout);
    const { reader, shutdownSeen } = watchShutdown(guardReader(new StreamMessageReader(process.stdin), writer));
    // vscode-languageserver does this only for the streams it builds itself: when the client
    // closes stdin, the backend exits (0 after a shutdown request, as LSP asks, else 1).
    const exit = () => process.exit(shutdownSeen() ? 0 : 1);
    process.stdin.on('end', exit);
    process.stdin.on('close', exit);
    return { reader, writer };
  }
  throw new Error('The Berth backend needs --node-ipc or --stdio.');
}

/** Notes whether the client sent `shutdown`, without changing what the (guarded) reader delivers. */
function watchShutdown(reader: MessageReader): { reader: MessageReader; shutdownSeen: () => boolean } {
  let seen = false;
  return {
    shutdownSeen: () => seen,
    reader: {
      onError: reader.onError,
      onClose: reader.onClose,
      onPartialMessage: reader.onPartialMessage,
      listen: (callback: DataCallback) =>
        reader.listen((message: Message) => {
          if ((message as { method?: unknown }).method === 'shutdown') seen = true;
          callback(message);
        }),
      dispose: () => reader.dispose(),
    },
  };
}
