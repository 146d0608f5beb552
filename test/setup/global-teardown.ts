export default async function globalTeardown(): Promise<void> {
  if (process.env.STEWARD_TEST_NO_STACK === '1') return;
}
