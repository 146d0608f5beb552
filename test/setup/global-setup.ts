// Brings the real local stack up once per test run (placeholder until the stack module lands).
export default async function globalSetup(): Promise<void> {
  if (process.env.STEWARD_TEST_NO_STACK === '1') return;
}
