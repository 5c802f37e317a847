// Offline visit queue (progressive enhancement). A visit form sent without a connection is kept
// on the phone (IndexedDB, with its one-time submission key) and sent when the connection comes
// back; the server records each key once, so sending twice is harmless. Without JavaScript or
// IndexedDB the forms post as usual.
(function () {
  if (!window.indexedDB || !window.fetch || !window.URLSearchParams) return;
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(function () {});
  }
  var STORE = 'antrean';
  function open() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open('pesiar', 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: 'key' }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function tx(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var result = work(t.objectStore(STORE));
        t.oncomplete = function () { resolve(result && result.result); };
        t.onerror = function () { reject(t.error); };
      });
    });
  }
  function all() { return tx('readonly', function (s) { return s.getAll(); }); }
  function put(item) { return tx('readwrite', function (s) { s.put(item); }); }
  function remove(key) { return tx('readwrite', function (s) { s.delete(key); }); }
  function clear() { return tx('readwrite', function (s) { s.clear(); }); }

  var banner = document.getElementById('antrean');
  function show() {
    return all().then(function (items) {
      if (!banner) return;
      banner.hidden = items.length === 0;
      banner.textContent = items.length + ' kunjungan belum terkirim' +
        (navigator.onLine ? '; sedang dikirim…' : '; akan dikirim otomatis saat ada sinyal.');
    }).catch(function () {});
  }
  // The session's current CSRF token (every signed-in page has one, in the logout form).
  function token() {
    var field = document.querySelector('form[action="/logout"] input[name=csrf_token]');
    return field ? field.value : null;
  }

  var sending = false;
  function flush() {
    var csrf = token();
    if (!csrf || sending) return Promise.resolve();
    sending = true;
    return all().then(function (items) {
      return items.reduce(function (chain, item) {
        return chain.then(function () {
          var body = new URLSearchParams(item.body);
          body.set('csrf_token', csrf);
          return fetch(item.url, { method: 'POST', body: body, credentials: 'same-origin' })
            .then(function (res) {
              var toLogin = res.url.indexOf('/login') !== -1;
              // Recorded (or recorded before: same key). A session that ended keeps the visit
              // for the next login.
              if (res.ok && !toLogin) return remove(item.key);
            })
            .catch(function () {});
        });
      }, Promise.resolve());
    }).then(function () { sending = false; return show(); },
            function () { sending = false; });
  }
  window.pesiarFlush = flush;

  var form = document.getElementById('visit-form');
  if (form && window.crypto && crypto.getRandomValues) {
    // A form page may come from the phone's cache: give each opening its own one-time key, so
    // two visits filled in from one cached page are two visits (a double tap is still one).
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    form.querySelector('input[name=submission_key]').value = 'h' +
      Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }
  // On the agent's list of households, keep the first few visit forms on the phone (only those
  // not kept yet), so they can be opened without signal.
  if ('serviceWorker' in navigator && navigator.serviceWorker.controller) {
    var seen = {};
    var pages = Array.prototype.map.call(document.querySelectorAll('main a[href^="/rumah-tangga/"]'),
      function (a) { return a.getAttribute('href'); })
      .filter(function (h) { return /^\/rumah-tangga\/\d+$/.test(h) && !seen[h] && (seen[h] = true); })
      .slice(0, 10);
    if (pages.length) {
      navigator.serviceWorker.controller.postMessage({ simpan: pages.reduce(function (all, h) {
        return all.concat([h, h + '/kunjungan/baru']);
      }, []) });
    }
  }
  if (form) {
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var body = new URLSearchParams(new FormData(form)).toString();
      var key = form.querySelector('input[name=submission_key]').value;
      var keep = function () {
        return put({ key: key, url: form.action, body: body, at: Date.now() }).then(function () {
          var note = document.getElementById('antrean-form');
          if (note) { note.hidden = false; }
          form.querySelector('button[type=submit]').disabled = true;
          return show();
        });
      };
      fetch(form.action, { method: 'POST', body: new URLSearchParams(body), credentials: 'same-origin' })
        .then(function (res) {
          // The server is up but cannot store now (database down, disk full, read-only): keep
          // the visit on the phone like one made without signal.
          if (res.status === 503) return keep();
          // Sent: show what the server answered (the recorded visit, or the form with its
          // errors and the values kept), as an ordinary submission would.
          return res.text().then(function (html) {
            history.replaceState(null, '', res.url);
            document.open();
            document.write(html);
            document.close();
          });
        }, keep);
    });
  }
  var logout = document.querySelector('form[action="/logout"]');
  if (logout) {
    logout.addEventListener('submit', function (event) {
      if (logout.dataset.cleared) return;
      event.preventDefault();
      var done = function () { logout.dataset.cleared = '1'; logout.submit(); };
      var caches_ = window.caches ? caches.delete('pesiar-halaman') : Promise.resolve();
      Promise.all([clear(), caches_]).then(done, done);
    });
  }
  window.addEventListener('online', flush);
  // A queue kept through a server outage has no 'online' event to wait for: retry each minute.
  setInterval(function () { if (navigator.onLine) flush(); }, 60000);
  window.addEventListener('offline', show);
  show().then(function () { if (navigator.onLine) flush(); });
})();
