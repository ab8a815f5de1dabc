// Lint: what a reviewer should not have to enforce by hand. Import cycles and unused exports are checked by
// scripts/import-graph.ts (run by `npm run lint` too): the import plugins could not resolve `./x.js` to `.ts` here.
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {ignores: ['dist/**', 'node_modules/**', 'examples/**', '**/*.js', '!eslint.config.js']},
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.ts', 'commands/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      // Long string, template and regex literals read better whole than split.
      'max-len': ['error', {code: 180, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true}],
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none'}],
    },
  },
)
