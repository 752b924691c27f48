// Live updates for the console: subscribes to the node's server-sent event
// streams (through /ui/api/v1/, where the session cookie is sent) and
// inserts what arrives into the page. Every element is built with
// textContent, never from HTML strings. Without this script the pages are
// complete, only not live.
(function () {
  'use strict';

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = text; }
    if (cls) { e.className = cls; }
    return e;
  }

  function shortID(id) {
    var i = id.indexOf('--');
    if (i < 0 || id.length - i - 2 < 12) { return id; }
    return id.slice(0, i + 2) + id.slice(i + 2, i + 10) + '\u2026';
  }

  function when(s) {
    if (!s) { return '\u2014'; }
    var d = new Date(s);
    if (isNaN(d.getTime())) { return s; }
    return d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  }

  function dropEmpty(list) {
    var empty = list.querySelector('li.empty');
    if (empty) { empty.remove(); }
  }

  // renderAlert mirrors the "alert" template in templates/partials.html.
  function renderAlert(a) {
    var li = el('li', null, 'live-new');
    li.dataset.alertId = String(a.id);
    li.appendChild(el('strong', a.selector.kind));
    li.appendChild(document.createTextNode(' '));
    li.appendChild(el('code', a.selector.value));
    if (a.noise) { li.appendChild(el('span', ' (common: held by many objects)', 'muted')); }
    var others = (a.others || []).map(function (o) {
      return (o.org_name || shortID(o.org_id)) + (o.hidden ? ' (records you may not see)' : '');
    });
    li.appendChild(document.createTextNode(' \u2014 also held by ' + others.join(', ') + '. '));
    li.appendChild(el('span', a.matches + (a.matches === 1 ? ' match' : ' matches') + ', last ' + when(a.last_seen) + '.', 'muted'));
    if (a.mine && a.mine.length) {
      var span = el('span', ' Yours: ');
      a.mine.forEach(function (h, i) {
        if (i) { span.appendChild(document.createTextNode(', ')); }
        var link = el('a', shortID(h.object_id));
        link.href = '/ui/objects/' + encodeURIComponent(h.object_id);
        span.appendChild(link);
      });
      li.appendChild(span);
    }
    return li;
  }

  function liveAlerts(list) {
    var url = list.dataset.stream + '?after=' + encodeURIComponent(list.dataset.after || '0');
    var es = new EventSource(url);
    es.addEventListener('alert', function (ev) {
      var a;
      try { a = JSON.parse(ev.data); } catch (e) { return; }
      dropEmpty(list);
      var old = list.querySelector('li[data-alert-id="' + String(Number(a.id)) + '"]');
      if (old) { old.remove(); }
      list.insertBefore(renderAlert(a), list.firstChild);
      list.dataset.after = String(a.revision);
    });
  }

  var gapWords = {
    'unassigned': 'nobody has been given custody',
    'handoff-expired': 'a handoff expired',
    'handoff-rejected': 'a handoff was rejected',
    'sighted-abroad': 'sighted outside the custodian\'s country',
    'sighted-uncovered': 'sighted while nobody held custody'
  };

  function liveCoverage(list) {
    var only = list.dataset.operation || '';
    var es = new EventSource(list.dataset.stream);
    es.addEventListener('coverage', function (ev) {
      var e;
      try { e = JSON.parse(ev.data); } catch (x) { return; }
      if (only && e.operation_ref !== only) { return; }
      var seen = Array.prototype.some.call(list.querySelectorAll('li[data-gap]'), function (li) { return li.dataset.gap === e.id; });
      if (seen) { return; }
      dropEmpty(list);
      var li = el('li', null, 'live-new');
      li.dataset.gap = e.id;
      var link = el('a', e.operation_name || shortID(e.operation_ref));
      link.href = '/ui/operations/' + encodeURIComponent(e.operation_ref);
      li.appendChild(link);
      li.appendChild(document.createTextNode(': ' + (gapWords[e.gap.kind] || e.gap.kind) + ' \u2014 ' + shortID(e.gap.subject_ref) + ', ' + when(e.gap.time) + '.'));
      list.insertBefore(li, list.firstChild);
    });
    return es;
  }

  // refreshBoard replaces the board's custody and pending handoffs with the
  // page as the node renders it now (same origin, parsed, never executed).
  var refreshing = false;
  function refreshBoard() {
    if (refreshing) { return; }
    refreshing = true;
    fetch(window.location.href, { credentials: 'same-origin' }).then(function (r) {
      if (!r.ok) { throw new Error(String(r.status)); }
      return r.text();
    }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, 'text/html');
      ['custody', 'handoffs'].forEach(function (id) {
        var now = document.getElementById(id);
        var fresh = doc.getElementById(id);
        if (now && fresh) { now.replaceWith(document.importNode(fresh, true)); }
      });
    }).catch(function () {}).then(function () { refreshing = false; });
  }

  // liveCustody follows who holds each subject of the board's operation:
  // when the stream says another custodian than the board shows (a handoff
  // accepted here or at a partner's node), the board is brought up to date.
  function liveCustody(list, es) {
    var only = list.dataset.operation;
    es.addEventListener('custody', function (ev) {
      var e;
      try { e = JSON.parse(ev.data); } catch (x) { return; }
      if (e.operation_ref !== only) { return; }
      var shown = Array.prototype.find.call(document.querySelectorAll('#custody tr[data-subject]'), function (tr) {
        return tr.dataset.subject === e.subject_ref;
      });
      if (shown && shown.dataset.custody !== e.id) { refreshBoard(); }
    });
  }

  if (!window.EventSource) { return; }
  var alerts = document.getElementById('alerts');
  if (alerts && alerts.dataset.stream) { liveAlerts(alerts); }
  var coverage = document.getElementById('coverage');
  if (coverage && coverage.dataset.stream) {
    var es = liveCoverage(coverage);
    if (coverage.dataset.operation && document.getElementById('custody')) { liveCustody(coverage, es); }
  }
}());
