// ESLint with typescript-eslint's recommended rules on the packages' sources
// and tests, the examples and the scripts (npm test runs it: npm run lint).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
    {
      ignores: [
        '**/dist/**', '**/node_modules/**', 'bench-results/**', 'test-results/**', 'offline-gpu/**', 'coverage/**', 'scratch/**',
        'packages/backend-wasm/src/generated/**', 'packages/backend-wasm/assembly/**'
      ]
    },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    // Scripts and examples run in Node and in pages (the examples' modules do both).
    {files: ['**/*.mjs', '**/*.js', '**/*.cjs'], languageOptions: {globals: {...globals.node, ...globals.browser}}},
    {files: ['**/*.cjs', 'packages/converter/bin/*.js'], rules: {'@typescript-eslint/no-require-imports': 'off'}},
    // `const {a: _, ...rest} = o` drops a key on purpose.
    {rules: {'@typescript-eslint/no-unused-vars': ['error', {ignoreRestSiblings: true}]}},
);
