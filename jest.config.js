/** Tests run on the TypeScript sources of every package; packages import each other by name. */
module.exports = {
  testEnvironment : 'node',
  roots : ['<rootDir>/packages', '<rootDir>/examples'],
  testMatch : ['**/test/**/*.test.ts'],
  transform : {
    '^.+\\.ts$' :
                [
                  'ts-jest', {
                    tsconfig : {module : 'commonjs', target : 'ES2019', esModuleInterop : true, isolatedModules : true},
                  }
                ],
  },
  moduleNameMapper : {
    '^@tfjs-blocksparse/test-util/jest/(.*)$' : '<rootDir>/packages/test-util/jest/$1',
    '^@tfjs-blocksparse/([^/]+)$' : '<rootDir>/packages/$1/src',
  },
  setupFiles : ['<rootDir>/packages/test-util/jest/seed_math_random.ts'],
  testTimeout : 300000,
};
