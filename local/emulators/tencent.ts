// The Tencent emulator lives in ./tencent/; this path stays for existing imports.
export * from './tencent/index.ts';
