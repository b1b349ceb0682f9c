import * as fs from 'fs';
export async function w(): Promise<string> {
  return fs.readFileSync('/etc/hostname', 'utf8');
}
