// Progressive enhancement for the visit form: a button that records the phone's location into
// the hidden latitude/longitude/accuracy fields. Without JavaScript the form works the same.
(function () {
  var button = document.getElementById('location-button');
  var status = document.getElementById('location-status');
  if (!button || !status || !navigator.geolocation) return;
  function field(id) { return document.getElementById(id); }
  function say(text) { status.textContent = text; status.hidden = false; }
  if (field('latitude').value) say('Lokasi sudah terekam.');
  button.hidden = false;
  button.addEventListener('click', function () {
    say('Mengambil lokasi…');
    navigator.geolocation.getCurrentPosition(function (pos) {
      field('latitude').value = pos.coords.latitude.toFixed(6);
      field('longitude').value = pos.coords.longitude.toFixed(6);
      field('accuracy_m').value = Math.round(pos.coords.accuracy);
      say('Lokasi terekam (±' + Math.round(pos.coords.accuracy) + ' m).');
    }, function () {
      say('Lokasi tidak tersedia; kunjungan tetap bisa disimpan tanpa lokasi.');
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
})();
// Short form: per member, only the fields the chosen action needs ([data-show] lists the
// actions, [data-seg] the target segments). A field holding a value or an error always shows;
// without JavaScript every field shows.
document.querySelectorAll('fieldset.member').forEach(function (set) {
  var act = set.querySelector('select[name$=".action"]');
  var seg = set.querySelector('select[name$=".segment"]');
  if (!act) return;
  function has(list, v) { return !!v && list.split(' ').indexOf(v) >= 0; }
  function update() {
    set.querySelectorAll('[data-show]').forEach(function (box) {
      var need = has(box.dataset.show, act.value) &&
        (!box.dataset.seg || (seg && has(box.dataset.seg, seg.value)));
      var input = box.querySelector('input,select');
      box.hidden = !need && !(input && input.value) && !box.querySelector('.field-error');
    });
  }
  act.addEventListener('change', update);
  if (seg) seg.addEventListener('change', update);
  update();
});
