/* 民心通 web chat. ES5 and XMLHttpRequest only, for WeChat's WebView and old Android browsers.
   Every server or resident string is set with textContent: nothing is parsed as HTML. */
(function () {
  'use strict';
  var ELDER_KEY = 'mxt-elder';
  var base = meta('api-base');
  var csrf = meta('csrf-token');
  var log = byId('log');
  var announce = byId('announce');
  var input = byId('q');
  var entries = [];
  var opened = {};
  var busy = false;

  function meta(name) {
    var m = document.querySelector('meta[name="' + name + '"]');
    return m ? m.getAttribute('content') : '';
  }
  function byId(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }

  function request(method, path, body, done) {
    var x = new XMLHttpRequest();
    x.open(method, base + path, true);
    x.setRequestHeader('X-CSRF-Token', csrf);
    if (body) { x.setRequestHeader('Content-Type', 'application/json'); }
    x.timeout = 20000;
    x.onreadystatechange = function () {
      if (x.readyState !== 4) { return; }
      var data = null;
      try { data = JSON.parse(x.responseText); } catch (e) { data = null; }
      done(x.status, data);
    };
    x.send(body ? JSON.stringify(body) : null);
  }

  function indexOf(id) {
    for (var i = 0; i < entries.length; i++) { if (entries[i].id === id) { return i; } }
    return -1;
  }

  function apply(status, data) {
    busy = false;
    if (status !== 200 || !data) {
      var why = (data && data.error) || '网络不通或服务繁忙，请稍后再试。';
      render(why);
      say(why);
      return;
    }
    if (data.csrf) { csrf = data.csrf; }
    if (data.reset) { entries = []; opened = {}; }
    var added = data.entries || [];
    for (var i = 0; i < added.length; i++) {
      var at = indexOf(added[i].id);
      if (at >= 0) { entries[at] = added[i]; } else { entries.push(added[i]); }
    }
    var fresh = null;
    if (data.updated) {
      var j = indexOf(data.updated.id);
      if (j >= 0) { entries[j] = data.updated; }
      opened[data.updated.id] = true;
      fresh = data.updated;
    }
    for (var k = added.length - 1; k >= 0 && !fresh; k--) { if (added[k].who === 'bot') { fresh = added[k]; } }
    render(null, fresh && !data.updated ? fresh.id : null);
    if (fresh) { say(data.updated ? '原文：' + fresh.quote : fresh.text); }
  }

  function say(text) {
    announce.textContent = '';
    setTimeout(function () { announce.textContent = '民心通：' + text; }, 50);
  }

  function lastBotId() {
    for (var i = entries.length - 1; i >= 0; i--) { if (entries[i].who === 'bot') { return entries[i].id; } }
    return null;
  }

  function render(note, scrollTo) {
    while (log.firstChild) { log.removeChild(log.firstChild); }
    var last = lastBotId();
    var target = null;
    for (var i = 0; i < entries.length; i++) {
      var li = entryNode(entries[i], entries[i].id === last);
      if (entries[i].id === scrollTo) { target = li; }
      log.appendChild(li);
    }
    if (busy) { log.appendChild(bubble('note', '民心通', '正在查找，请稍候…')); }
    if (note) { log.appendChild(bubble('note', '提示', note)); }
    if (target) {  // the new answer's first line just under the (sticky) title bar
      var bar = document.querySelector('.top');
      var top = target.getBoundingClientRect().top + (window.pageYOffset || 0);
      window.scrollTo(0, Math.max(0, top - (bar ? bar.offsetHeight : 0) - 8));
    } else {
      window.scrollTo(0, document.body.scrollHeight);
    }
  }

  function bubble(kind, who, text) {
    var li = el('li', 'msg ' + kind);
    li.appendChild(el('p', 'who', who));
    var b = el('div', 'bubble');
    b.appendChild(el('p', 'text', text));
    li.appendChild(b);
    return li;
  }

  function entryNode(e, withButtons) {
    var li = bubble(e.who === 'me' ? 'me' : 'bot', e.who === 'me' ? '我' : '民心通', e.text);
    var b = li.lastChild;
    var quoteId = 'quote-' + e.id;
    if (e.quote) {
      var q = el('blockquote', 'quote', e.quote);
      q.id = quoteId;
      if (e.open && opened[e.id] === undefined) { opened[e.id] = true; }
      q.hidden = !opened[e.id] && !!e.open;
      b.appendChild(q);
    }
    if (e.link && /^https?:\/\//.test(e.link.url)) {
      var a = el('a', 'link', e.link.label);
      a.href = e.link.url;
      a.target = '_blank';
      a.rel = 'noopener';
      b.appendChild(a);
    }
    if (withButtons && e.buttons && e.buttons.length) {
      var group = el('div', 'choices');
      group.setAttribute('role', 'group');
      group.setAttribute('aria-label', '可选操作');
      for (var r = 0; r < e.buttons.length; r++) {
        for (var c = 0; c < e.buttons[r].length; c++) { group.appendChild(choice(e, e.buttons[r][c], quoteId)); }
      }
      li.appendChild(group);
    }
    return li;
  }

  function choice(e, spec, quoteId) {
    var btn = el('button');
    btn.type = 'button';
    if (spec.n) { btn.appendChild(el('span', 'n', String(spec.n))); }
    var isSource = spec.action.indexOf('src:') === 0 && e.quote && e.open;
    btn.appendChild(document.createTextNode(isSource && opened[e.id] ? '收起原文' : spec.label));
    if (isSource) {
      btn.setAttribute('aria-expanded', opened[e.id] ? 'true' : 'false');
      btn.setAttribute('aria-controls', quoteId);
    }
    btn.onclick = function () {
      if (isSource) {  // the paragraph is already here: open or close it without asking again
        opened[e.id] = !opened[e.id];
        render();
        var again = byId(quoteId);
        if (again && opened[e.id]) { say('原文：' + e.quote); }
        return;
      }
      press(spec.action, e.id);
    };
    return btn;
  }

  function press(action, of) {
    if (busy) { return; }
    busy = true;
    render();
    post('/api/action', { action: action, of: of }, function (s, d) {
      apply(s, d);
      // Focus the answer, not the input: on a phone that would pop the keyboard over it.
      var answers = log.querySelectorAll('li.bot');
      var last = answers[answers.length - 1];
      if (last) { last.setAttribute('tabindex', '-1'); last.focus(); }
    });
  }

  function ask(text) {
    if (busy || !text.replace(/\s+/g, '')) { return; }
    busy = true;
    entries.push({ id: -1, who: 'me', text: text, buttons: [] });
    render();
    post('/api/message', { text: text }, function (s, d) {
      entries = entries.filter(function (x) { return x.id !== -1; });
      apply(s, d);
    });
  }

  // Inside another site's frame a browser that refuses our cookie there cannot keep a session:
  // offer the page in a window of its own, where it can.
  function framed() {
    var a = el('a', 'link', '在新窗口中打开民心通');
    a.href = window.location.href;
    a.target = '_blank';
    a.rel = 'noopener';
    var p = byId('framed') || el('p', 'intro');
    p.id = 'framed';
    while (p.firstChild) { p.removeChild(p.firstChild); }
    p.appendChild(a);
    document.querySelector('.main').insertBefore(p, log);
  }

  function sync() {
    request('GET', '/api/history', null, function (s, d) {
      if (s === 200 && d) { entries = []; }
      apply(s, d);
    });
  }

  // A session that ended meanwhile (cookie cleared, /forget in another tab) gets a new one and
  // the same request once more: the resident's question is not lost.
  function post(path, body, done, retried) {
    request('POST', path, body, function (s, d) {
      if (s === 403 && retried && window.top !== window.self) { framed(); }
      if (s !== 403 || retried) { done(s, d); return; }
      request('GET', '/api/history', null, function (s2, d2) {
        if (s2 === 200 && d2) { csrf = d2.csrf; entries = d2.entries; }
        post(path, body, done, true);
      });
    });
  }

  function setElder(on) {
    var root = document.documentElement;
    root.className = on ? 'elder' : '';
    var t = byId('elder');
    t.setAttribute('aria-pressed', on ? 'true' : 'false');
    t.textContent = on ? '长辈模式：开' : '长辈模式：关';
    try { window.localStorage.setItem(ELDER_KEY, on ? '1' : '0'); } catch (e) { /* private mode */ }
  }

  var stored = null;
  try { stored = window.localStorage.getItem(ELDER_KEY); } catch (e) { stored = null; }
  setElder(stored === '1');
  byId('elder').onclick = function () { setElder(document.documentElement.className !== 'elder'); };
  byId('ask').onsubmit = function (ev) {
    ev.preventDefault();
    var text = input.value;
    input.value = '';
    ask(text);
  };
  var tools = document.querySelectorAll('.tools button');
  for (var i = 0; i < tools.length; i++) {
    tools[i].onclick = (function (action) { return function () { press(action, null); }; })(tools[i].getAttribute('data-action'));
  }
  // A phone that slept or a tab in the background missed nothing on the server: redraw from it.
  document.addEventListener('visibilitychange', function () { if (!document.hidden) { sync(); } });
  window.addEventListener('pageshow', function (ev) { if (ev.persisted) { sync(); } });
  sync();
}());
