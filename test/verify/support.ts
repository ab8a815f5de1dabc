// Moved to test/signatures/support.ts (test folders mirror src/). Kept so that tests written against this path on other
// branches still build after they merge; remove it once nothing imports it.
export * from '../signatures/support.js'
