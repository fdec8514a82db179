/// <reference types="vitest/config" />
import { defineConfig, type Plugin } from 'vite'
import preact from '@preact/preset-vite'
import { VitePWA } from 'vite-plugin-pwa'

// vite-plugin-pwa builds the service worker with Rollup's `inlineDynamicImports: true`, which Vite 8
// (Rolldown) deprecates with a warning on every build: ask for the same single file as Rolldown spells it.
const serviceWorkerOutput: Plugin = {
  name: 'haulport-service-worker-output',
  config(config) {
    const output = config.build?.rollupOptions?.output
    if (output && !Array.isArray(output) && 'inlineDynamicImports' in output) {
      delete output.inlineDynamicImports
      Object.assign(output, { codeSplitting: false })
    }
  },
}

// Where `npm run dev` forwards /api (and the live websocket) to: the Python server.
const apiTarget = process.env.HAULPORT_API ?? 'http://127.0.0.1:8000'

export default defineConfig({
  plugins: [
    preact(),
    VitePWA({
      // Our own service worker (src/sw/service-worker.ts): precache + SPA fallback via Workbox,
      // plus a Background Sync handler that replays the mutation queue.
      strategies: 'injectManifest',
      srcDir: 'src/sw',
      filename: 'service-worker.ts',
      injectRegister: false,
      registerType: 'prompt',
      manifestFilename: 'manifest.webmanifest',
      includeAssets: ['icons/favicon.svg'],
      manifest: {
        name: 'Haulport',
        short_name: 'Haulport',
        description: 'Your jobs, rentals, invoices and messages — even offline.',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        background_color: '#ffffff',
        theme_color: '#0f766e',
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: '/icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      injectManifest: {
        globPatterns: ['**/*.{js,css,html,png,svg,webmanifest}'],
        // The office console is for desktops with a connection: customers' and drivers' phones never
        // download it; the worker caches it the first time an office session loads it.
        globIgnores: ['**/assets/office-app-*'],
        buildPlugins: { vite: [serviceWorkerOutput] },
      },
      devOptions: { enabled: false },
    }),
  ],
  server: {
    proxy: {
      '/api': { target: apiTarget, ws: true, changeOrigin: true },
      '/schema': { target: apiTarget, changeOrigin: true },
    },
  },
  build: { target: 'es2020', sourcemap: false },
  resolve: {
    alias: [
      // Dexie's build for modern browsers (ES2021, native async) instead of its ES5 UMD file behind a
      // wrapper: the same version and API, 2 KB gzipped smaller. The app has one copy of Dexie, so the
      // wrapper's guard against two copies has nothing to guard.
      { find: /^dexie$/, replacement: 'dexie/dist/modern/dexie.mjs' },
    ],
  },
  test: { environment: 'node', include: ['tests/**/*.test.ts'] },
})
