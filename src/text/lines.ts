export function firstLine(message: string): string {
  return message.split('\n')[0]?.trim() ?? '';
}
