// Service worker: keeps the stylesheet and scripts, and the household and visit-form pages the
// agent opened, so a visit can be filled in without a connection (offline.js queues it).
var VERSION = '__VERSION__';
var ASSETS = __ASSETS__;
var PAGES = 'pesiar-halaman';
var STATIC = 'pesiar-aset-' + VERSION;
var KEPT = /^\/(rumah-tangga\/\d+(\/kunjungan\/baru)?|antrean)?$/;

self.addEventListener('install', function (event) {
  event.waitUntil(caches.open(STATIC).then(function (c) { return c.addAll(ASSETS); })
    .then(function () { return self.skipWaiting(); }));
});
self.addEventListener('activate', function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf('pesiar-aset-') === 0 && k !== STATIC; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});
// The page asks to keep some household pages and forms: fetch those not kept yet.
self.addEventListener('message', function (event) {
  var wanted = (event.data && event.data.simpan) || [];
  event.waitUntil(caches.open(PAGES).then(function (c) {
    return Promise.all(wanted.filter(function (p) { return KEPT.test(p); }).map(function (p) {
      return c.match(p).then(function (hit) {
        if (hit) return;
        return fetch(p, { credentials: 'same-origin' }).then(function (res) {
          if (res.ok && !res.redirected) return c.put(p, res);
        }).catch(function () {});
      });
    }));
  }));
});
self.addEventListener('fetch', function (event) {
  var req = event.request;
  if (req.method !== 'GET') return;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.indexOf('/static/') === 0) {
    event.respondWith(caches.match(req).then(function (hit) { return hit || fetch(req); }));
    return;
  }
  if (req.mode === 'navigate' && KEPT.test(url.pathname)) {
    event.respondWith(fetch(req).then(function (res) {
      if (res.ok && !res.redirected) {
        var copy = res.clone();
        caches.open(PAGES).then(function (c) { c.put(url.pathname, copy); });
      }
      return res;
    }, function () {
      return caches.match(url.pathname).then(function (hit) {
        return hit || new Response('<!doctype html><html lang="id"><meta charset="utf-8"><title>Tidak ada sinyal</title><h1>Tidak ada sinyal</h1><p>Halaman ini belum pernah dibuka di HP ini. Buka lagi saat ada sinyal.</p></html>',
          { status: 503, headers: { 'Content-Type': 'text/html; charset=utf-8' } });
      });
    }));
  }
});
