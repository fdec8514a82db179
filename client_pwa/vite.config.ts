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

// Leaflet ships one ES module whose classes are built by calls (`Layer.extend({...})`) that a bundler must
// keep in case they have side effects. They have none: say so, and cut the top-level statements that only
// hang unused classes on others (popup, tooltip, GeoJSON and vector-renderer methods on Map, Layer and
// Marker; the layers and scale controls; WMS tiles; the projections other than the web map's), so that
// vector paths, renderers, GeoJSON, overlays, popups and tooltips drop out of the bundle. The maps use
// tiles, markers with div icons, the zoom and attribution controls and the standard handlers (drag,
// keyboard, wheel, touch, double-click and box zoom). A statement that is no longer found (a new Leaflet)
// fails the build.
const LEAFLET_UNUSED_STATEMENTS = [
  'Control.Layers = Layers;',
  'Control.Scale = Scale;',
  'control.layers = layers;',
  'control.scale = scale;',
  'CRS.EPSG3395 = EPSG3395;',
  'CRS.EPSG4326 = EPSG4326;',
  'CRS.Simple = Simple;',
  'Polyline._flat = _flat;',
  'Marker.include(PointToGeoJSON);',
  'Circle.include(PointToGeoJSON);',
  'CircleMarker.include(PointToGeoJSON);',
  'Polyline.include({\n\ttoGeoJSON',
  'Polygon.include({\n\ttoGeoJSON',
  'LayerGroup.include({\n\ttoMultiPoint',
  'Map.include({\n\t_initOverlay: function',
  'Layer.include({\n\t_initOverlay: function',
  'Map.include({\n\t// @method openPopup',
  'Layer.include({\n\n\t// @method bindPopup',
  'Map.include({\n\n\t// @method openTooltip',
  'Layer.include({\n\n\t// @method bindTooltip',
  'Map.include({\n\t// @namespace Map; @method getRenderer',
  'TileLayer.WMS = TileLayerWMS;',
  'tileLayer.wms = tileLayerWMS;',
  'SVG.create = create;',
  'SVG.pointsToPath = pointsToPath;',
  'GeoJSON.geometryToLayer = geometryToLayer;',
  'GeoJSON.coordsToLatLng = coordsToLatLng;',
  'GeoJSON.coordsToLatLngs = coordsToLatLngs;',
  'GeoJSON.latLngToCoords = latLngToCoords;',
  'GeoJSON.latLngsToCoords = latLngsToCoords;',
  'GeoJSON.getFeature = getFeature;',
  'GeoJSON.asFeature = asFeature;',
]
const leafletLite: Plugin = {
  name: 'haulport-leaflet-lite',
  enforce: 'pre',
  transform(code, id) {
    if (!id.replaceAll('\\', '/').endsWith('leaflet/dist/leaflet-src.esm.js')) return null
    // (The file mixes CRLF and LF line ends.)
    let out = code.replace(/\r\n/g, '\n').replace(/^(var [\w$]+ = )([\w$]+\.extend\(|extend\(\{\})/gm, '$1/*#__PURE__*/$2')
    for (const first of LEAFLET_UNUSED_STATEMENTS) {
      const at = out.indexOf('\n' + first)
      if (at < 0) throw new Error(`leaflet-lite: no statement "${first.split('\n')[0]}" in ${id} (a new Leaflet?)`)
      const end = first.endsWith(';') ? at + 1 + first.length : out.indexOf('\n});', at) + '\n});'.length
      out = out.slice(0, at + 1) + out.slice(end)
    }
    return { code: out, map: null }
  },
}

// Where `npm run dev` forwards /api (and the live websocket) to: the Python server.
const apiTarget = process.env.HAULPORT_API ?? 'http://127.0.0.1:8000'

export default defineConfig({
  plugins: [
    leafletLite,
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
      // Leaflet's ES module (its package points bundlers at the UMD file, which cannot be tree-shaken).
      { find: /^leaflet$/, replacement: 'leaflet/dist/leaflet-src.esm.js' },
      // Dexie's build for modern browsers (ES2018, native async) instead of its ES5 UMD file behind a
      // wrapper: the same version and API, 2 KB gzipped smaller. The app has one copy of Dexie, so the
      // wrapper's guard against two copies has nothing to guard.
      { find: /^dexie$/, replacement: 'dexie/dist/modern/dexie.mjs' },
    ],
  },
  test: { environment: 'node', include: ['tests/**/*.test.ts'] },
})
