import { sleep } from '@temporalio/workflow';
export async function w(): Promise<void> {
  sleep(1000);
}
