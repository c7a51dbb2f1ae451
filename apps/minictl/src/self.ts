/**
 * How to start this CLI again (for work that must happen inside a user namespace, such as
 * unpacking an image as its root). Set once by the entry point, which knows whether this
 * process came from the V8 snapshot or the plain bundle.
 */
let command: string[] = [process.execPath, __filename];

export function setSelfCommand(argv: string[]): void {
  command = argv;
}

export function selfCommand(): string[] {
  return command;
}
