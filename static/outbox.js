// The outbox page (/antrean): each visit waiting on this phone, since when, and the server's
// last answer; "Kirim sekarang" sends them. The queue itself is offline.js's, which runs after
// this script: hence DOMContentLoaded, after every deferred script.
document.addEventListener('DOMContentLoaded', function () {
  var list = document.getElementById('outbox-list');
  if (!list || !window.pesiarQueue) return;
  var send = document.getElementById('outbox-send');
  function time(ms) { return new Date(ms).toLocaleString('id-ID'); }
  function answer(i) {
    if (!i.last) return 'belum pernah sampai ke server';
    var when = ' (' + time(i.tried) + ')';
    if (i.last === 422) return 'ditolak: isian perlu diperbaiki, buka formulirnya lagi' + when;
    if (i.last === 503) return 'server sedang gangguan, dicoba lagi' + when;
    return 'jawaban server ' + i.last + when;
  }
  function render() {
    return window.pesiarQueue().then(function (items) {
      list.textContent = '';
      items.forEach(function (i) {
        var li = document.createElement('li');
        var a = document.createElement('a');
        a.href = i.url;
        a.textContent = 'Kunjungan, rumah tangga ' + (i.url.match(/rumah-tangga\/(\d+)/) || ['', ''])[1];
        li.appendChild(a);
        li.appendChild(document.createTextNode(' · sejak ' + time(i.at) + ' · ' + answer(i)));
        list.appendChild(li);
      });
      document.getElementById('outbox-empty').hidden = items.length > 0;
      send.hidden = !items.length;
    });
  }
  send.addEventListener('click', function () {
    send.disabled = true;
    window.pesiarFlush().then(render).then(function () { send.disabled = false; });
  });
  render();
  setInterval(render, 3000);
});
