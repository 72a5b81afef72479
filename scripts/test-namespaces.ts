// One namespace per test for the multi-process suites (a Redis key prefix, a PostgreSQL schema),
// remembered so the file drops them all after it: a test touches nothing but its own.
export function testNamespaces(base: string) {
  const used: string[] = []
  return {
    used,
    namespace: (test: string) => {
      const name = `${base}_${test}`
      used.push(name)
      return name
    },
  }
}
