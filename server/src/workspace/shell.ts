/**
 * Strict POSIX shell quoting. Berth's own scripts never interpolate data into script text: paths
 * and refs travel as positional arguments (`sh -c SCRIPT name "$1" "$2"`). Quoting is for the
 * places where a command line is shown to a person or handed to a shell by someone else (the log,
 * the benchmark's by-hand baseline), so that copying it runs exactly the same argv.
 */
export function shellQuote(arg: string): string {
  if (arg.includes('\0')) throw new Error('A shell argument cannot hold a NUL byte.');
  // Words made only of these characters mean the same quoted or not.
  if (arg.length > 0 && /^[A-Za-z0-9_./=:@%+,-]+$/.test(arg) && !arg.startsWith('-')) return arg;
  // Inside single quotes nothing is special except the closing quote itself.
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** One command line from an argv, every word quoted as needed. */
export function shellCommand(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
