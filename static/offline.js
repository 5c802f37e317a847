// Offline visit queue (progressive enhancement). A visit form sent without a connection is kept
// on the phone (IndexedDB, with its one-time submission key and its author) and sent when the
// connection comes back, only under its author's session; the server records each key once, so
// sending twice is harmless. Without JavaScript or IndexedDB the forms post as usual.
(function () {
  if (!window.indexedDB || !window.fetch || !window.URLSearchParams) return;
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(function () {});
  }
  var STORE = 'antrean';
  var banner = document.getElementById('antrean');
  // Who is signed in on this page: queued items are theirs alone.
  var me = banner ? banner.getAttribute('data-u') : null;
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
  function mine() {
    return tx('readonly', function (s) { return s.getAll(); }).then(function (items) {
      return (items || []).filter(function (i) { return me && i.user === me; });
    });
  }
  function put(item) { return tx('readwrite', function (s) { s.put(item); }); }
  function remove(key) { return tx('readwrite', function (s) { s.delete(key); }); }
  function removeMine() {
    return mine().then(function (items) {
      return tx('readwrite', function (s) { items.forEach(function (i) { s.delete(i.key); }); });
    });
  }
  window.pesiarQueue = mine;

  function say(text) {
    if (!banner) return;
    banner.hidden = !text;
    banner.textContent = text || '';
  }
  function show() {
    return mine().then(function (items) {
      say(items.length ? items.length + ' kunjungan belum terkirim' +
        (navigator.onLine ? '; sedang dikirim…' : '; akan dikirim otomatis saat ada sinyal.') : '');
      return items.length;
    }).catch(function () {});
  }
  // The session's current CSRF token (every signed-in page has one, in the logout form).
  function token() {
    var field = document.querySelector('form[action="/logout"] input[name=csrf_token]');
    return field ? field.value : null;
  }

  var sending = null;
  function flush() {
    var csrf = token();
    if (!csrf || !me) return Promise.resolve();
    if (sending) return sending;
    sending = mine().then(function (items) {
      return items.reduce(function (chain, item) {
        return chain.then(function () {
          var body = new URLSearchParams(item.body);
          body.set('csrf_token', csrf);
          return fetch(item.url, { method: 'POST', body: body, credentials: 'same-origin' })
            .then(function (res) {
              var toLogin = res.url.indexOf('/login') !== -1;
              // Recorded (or recorded before: same key). A session that ended keeps the visit
              // for the next login; any other answer is kept with the item, for the outbox.
              if (res.ok && !toLogin) return remove(item.key);
              item.last = res.status;
              item.tried = Date.now();
              return put(item);
            }, function () {});
        });
      }, Promise.resolve());
    }).then(function () { sending = null; return show(); },
            function () { sending = null; });
    return sending;
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
  if (form && me) {
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var body = new URLSearchParams(new FormData(form)).toString();
      var key = form.querySelector('input[name=submission_key]').value;
      var button = form.querySelector('button[type=submit]');
      var state = document.getElementById('antrean-form');
      var note = function (text) { if (state) { state.textContent = text; state.hidden = false; } };
      button.disabled = true;
      note('Mengirim…');
      var keep = function () {
        return put({ key: key, url: form.action, body: body, at: Date.now(), user: me }).then(function () {
          note('Tersimpan di HP, akan dikirim otomatis saat ada sinyal (tidak ada sinyal atau server sedang gangguan).');
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

  // Logging out: only a logout the server answered clears what the phone keeps, and unsent
  // visits are never dropped without the agent saying so.
  var logout = document.querySelector('form[action="/logout"]');
  function leave() {
    return fetch('/logout', { method: 'POST', body: new URLSearchParams(new FormData(logout)), credentials: 'same-origin' })
      .then(function (res) {
        if (!res.ok) throw new Error('logout ' + res.status);
        var pages = window.caches ? caches.delete('pesiar-halaman') : Promise.resolve();
        var done = function () { location.replace(res.url); };
        return Promise.all([removeMine(), pages]).then(done, done);
      })
      .catch(function () {
        say('Belum bisa keluar: tidak ada sinyal. Kunjungan yang belum terkirim tetap tersimpan di HP; coba keluar lagi saat ada sinyal.');
      });
  }
  function ask(count) {
    var old = document.getElementById('keluar-tanya');
    if (old) old.parentNode.removeChild(old);
    var box = document.createElement('div');
    box.id = 'keluar-tanya';
    box.className = 'notice';
    box.setAttribute('role', 'alert');
    var text = document.createElement('p');
    text.textContent = count + ' kunjungan belum terkirim. Kirim dulu sebelum keluar; bila dibuang, kunjungan itu hilang dari HP ini.';
    var send = document.createElement('button');
    send.type = 'button';
    send.id = 'kirim-dulu';
    send.textContent = 'Kirim dulu';
    var drop = document.createElement('button');
    drop.type = 'button';
    drop.id = 'buang-keluar';
    drop.className = 'secondary';
    drop.textContent = 'Buang dan keluar';
    box.appendChild(text);
    box.appendChild(send);
    box.appendChild(document.createTextNode(' '));
    box.appendChild(drop);
    var main = document.getElementById('isi');
    main.insertBefore(box, main.firstChild);
    send.addEventListener('click', function () {
      text.textContent = 'Mengirim…';
      flush().then(mine).then(function (left) {
        if (!left.length) { box.parentNode.removeChild(box); return leave(); }
        text.textContent = left.length + ' kunjungan masih belum terkirim (tidak ada sinyal?). Coba lagi saat ada sinyal, atau buang.';
      });
    });
    drop.addEventListener('click', function () { box.parentNode.removeChild(box); leave(); });
    send.focus();
  }
  if (logout) {
    logout.addEventListener('submit', function (event) {
      event.preventDefault();
      mine().then(function (items) { return items.length ? ask(items.length) : leave(); }, leave);
    });
  }
  window.addEventListener('online', flush);
  // A queue kept through a server outage has no 'online' event to wait for: retry each minute.
  setInterval(function () { if (navigator.onLine) flush(); }, 60000);
  window.addEventListener('offline', show);
  show().then(function () { if (navigator.onLine) flush(); });
})();
