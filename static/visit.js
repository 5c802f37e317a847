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
