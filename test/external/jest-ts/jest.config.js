// What `npx ts-jest config:init` writes: ts-jest's preset, nothing about express-bindid.
/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
};
