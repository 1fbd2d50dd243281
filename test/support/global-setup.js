// Plain JavaScript: Jest loads this file without the TypeScript transform's module mapping.
// It only names the run; the first test worker that needs a database builds the migrated
// template for everyone (see test-database.ts).
export default function globalSetup() {
  process.env.CHORUS_TEST_RUN = `${process.pid}_${Date.now()}`;
}
