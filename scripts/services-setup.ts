// vitest globalSetup for the adapter packages: their tests need real servers, never mocks.
import { ensureServices } from './services.mjs'

export default async function setup(): Promise<void> {
  await ensureServices()
}
