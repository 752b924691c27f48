// Live progress of a bundle import. The form posts as it does without
// script, and its page stays on screen until the node answers with the
// result; meanwhile this follows the upload on a second connection
// (server-sent events from /ui/import/progress, see web/importprogress.go)
// and moves a <progress> bar with how much of the upload the node has
// read, the objects read so far in words beside it (a status region, read
// out by screen readers), then what the import did.
(function () {
  'use strict';

  var form = document.querySelector('form[data-progress]');
  var box = document.getElementById('import-progress');
  if (!form || !box || !window.EventSource) { return; }
  var bar = document.getElementById('import-bar');
  var status = document.getElementById('import-status');

  function plural(n, one, many) { return n + ' ' + (n === 1 ? one : many); }

  function mb(bytes) { return (bytes / 1048576).toFixed(1) + ' MB'; }

  function show(p) {
    if (p.total > 0) {
      bar.max = p.total;
      bar.value = Math.min(p.bytes, p.total);
    } else {
      bar.removeAttribute('value'); // indeterminate: the size was not sent
    }
    var words = 'The node has read ' + (p.total > 0 ? Math.floor(100 * Math.min(p.bytes, p.total) / p.total) + ' % of the upload (' + mb(p.bytes) + ' of ' + mb(p.total) + ')' : mb(p.bytes)) +
      ': ' + plural(p.objects, 'object', 'objects') + ' so far.';
    if (p.total > 0 && p.bytes >= p.total) {
      words = 'Upload read: ' + plural(p.objects, 'object', 'objects') + '; storing them\u2026';
    }
    status.textContent = words;
  }

  function done(p) {
    if (p.error) {
      status.textContent = 'The import failed: ' + p.error;
      return;
    }
    bar.max = 1;
    bar.value = 1;
    status.textContent = 'Imported: ' + plural(p.objects, 'object', 'objects') + ' read, ' + (p.added || 0) + ' added, ' +
      (p.unchanged || 0) + ' already held, ' + (p.refused || 0) + ' refused. Loading the summary\u2026';
  }

  form.addEventListener('submit', function () {
    var upload = form.elements.upload && form.elements.upload.value;
    if (!upload) { return; }
    box.hidden = false;
    bar.max = 1;
    bar.value = 0;
    status.textContent = 'Sending the bundle\u2026';
    var es = new EventSource(form.dataset.progress + '?upload=' + encodeURIComponent(upload));
    es.addEventListener('progress', function (ev) {
      try { show(JSON.parse(ev.data)); } catch (e) { /* a broken event moves nothing */ }
    });
    es.addEventListener('done', function (ev) {
      es.close();
      try { done(JSON.parse(ev.data)); } catch (e) { /* the result page follows anyway */ }
    });
    es.addEventListener('unknown', function () { es.close(); });
    es.onerror = function () { es.close(); }; // the page is leaving, or the node went away: the answer says which
    // A second press would send the bundle again and abandon this one.
    var button = form.querySelector('button[type="submit"]');
    if (button) { setTimeout(function () { button.disabled = true; }, 0); }
  });
}());
